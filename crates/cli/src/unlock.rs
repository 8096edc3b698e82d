//! Where the credential comes from: the keychain if the workspace uses it,
//! else BIDWELL_PASSPHRASE, else --passphrase-stdin, else a prompt.

use std::io::IsTerminal;
use std::path::Path;

use bidwell_core::secret::Passphrase;
use bidwell_core::vault::{ProtectionKind, Unlock};
use bidwell_core::{Environment, Error, Result, Workspace, WorkspaceState};

use crate::input::StdinLines;

pub struct Credentials {
    pub passphrase_stdin: bool,
    pub stdin: StdinLines,
}

impl Credentials {
    /// The passphrase, from the first source that has one.
    pub fn passphrase(&mut self, prompt: &str, env_var: &str) -> Result<Passphrase> {
        if let Ok(p) = std::env::var(env_var) {
            if !p.is_empty() {
                return Ok(Passphrase::new(p));
            }
        }
        if self.passphrase_stdin {
            return self.stdin.passphrase("passphrase");
        }
        prompt_passphrase(prompt)
    }

    /// A new passphrase: from `env_var`, the next stdin line, or a prompt asked twice.
    pub fn new_passphrase(&mut self, from_stdin: bool, env_var: &str) -> Result<Passphrase> {
        if let Ok(p) = std::env::var(env_var) {
            if !p.is_empty() {
                return Ok(Passphrase::new(p));
            }
        }
        if from_stdin {
            return self.stdin.passphrase("new passphrase");
        }
        let first = prompt_passphrase("New passphrase: ")?;
        let again = prompt_passphrase("Repeat the new passphrase: ")?;
        if first.expose_secret() != again.expose_secret() {
            return Err(Error::validation("passphrase", "the two entries differ; nothing was changed"));
        }
        Ok(first)
    }
}

fn prompt_passphrase(prompt: &str) -> Result<Passphrase> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::validation(
            "passphrase",
            "none given: set BIDWELL_PASSPHRASE, pass --passphrase-stdin, or run in a terminal",
        ));
    }
    rpassword::prompt_password(prompt)
        .map(Passphrase::new)
        .map_err(|e| Error::validation("passphrase", format!("could not read it from the terminal: {e}")))
}

pub async fn open(dir: &Path, creds: &mut Credentials, env: Environment) -> Result<Workspace> {
    let how = match Workspace::state(dir)? {
        WorkspaceState::Missing => return Err(Error::WorkspaceMissing { path: dir.to_path_buf() }),
        WorkspaceState::WipeInterrupted { name } => {
            return Err(Error::WipeInterrupted { name, dir: dir.to_path_buf() })
        }
        WorkspaceState::Locked { protection: ProtectionKind::Keychain, .. } => Unlock::Keychain,
        WorkspaceState::Locked { protection: ProtectionKind::Passphrase, .. } => {
            Unlock::Passphrase(creds.passphrase("Passphrase: ", "BIDWELL_PASSPHRASE")?)
        }
    };
    // The first open after an update backs the workspace up and updates it,
    // seconds on a large one: say why the command waits.
    let mut step = |phase: &str, done: u64, total: u64| eprintln!("{phase} (step {} of {total})…", done + 1);
    Workspace::open_reporting(dir, how, env, &mut step).await
}
