//! `bidwell backup …`: taking, listing, verifying and restoring snapshots,
//! and the backup folder. Restore asks before replacing anything (unless
//! `--yes`), shows a progress bar, and Ctrl-C stops it before the swap.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use bidwell_core::backup::{self, BackupInfo, BackupVerification, RestoreReport};
use bidwell_core::secret::RecoveryKey;
use bidwell_core::{EntityKind, Environment, Error, Result, Workspace};

use crate::args::BackupCmd;
use crate::output::{say, Output};
use crate::unlock::Credentials;
use crate::{cancel_on_ctrl_c, progress_bar, show_step};

pub async fn run(ws: &Workspace, cmd: BackupCmd, out: &Output) -> Result<()> {
    match cmd {
        BackupCmd::Now => {
            let info = ws.backup_now(backup::BackupReason::Manual).await?;
            taken(&info, out);
        }
        BackupCmd::IfDue => match ws.backup_if_due().await? {
            Some(info) => taken(&info, out),
            None if out.json => say!("{}", serde_json::json!({ "status": "not_due" })),
            None => say!("Not due: the newest backup is less than a day old."),
        },
        BackupCmd::List => {
            let backups = ws.list_backups().await?;
            if out.json {
                say!("{}", serde_json::json!({ "folder": ws.backup_folder().await?, "backups": backups }));
            } else {
                say!("Backups in {}:", ws.backup_folder().await?.display());
                if backups.is_empty() {
                    say!("(none)");
                }
                for b in &backups {
                    say!("{}", line(b));
                }
            }
        }
        BackupCmd::Verify { snapshot, .. } => verified(&ws.verify_backup(&snapshot).await?, out)?,
        BackupCmd::Restore { snapshot, yes, .. } => {
            let info = backup::read_info(&backup::resolve(&ws.backup_folder().await?, &snapshot))?;
            confirm(&info, yes)?;
            let bar = progress_bar(out);
            let cancel = cancel_on_ctrl_c();
            let report = ws.restore_backup(&snapshot, &mut show_step(&bar), &cancel).await;
            bar.finish_and_clear();
            restored(&report?, out);
        }
        BackupCmd::Folder { path: Some(path) } => {
            let path = if path.is_absolute() {
                path
            } else {
                std::env::current_dir().map_err(|e| Error::validation("folder", e.to_string()))?.join(path)
            };
            let folder = ws.set_backup_folder(&path).await?;
            if out.json {
                say!("{}", serde_json::json!({ "folder": folder }));
            } else {
                say!("Backups now go to {}.", folder.display());
            }
        }
        BackupCmd::Folder { path: None } => {
            let folder = ws.backup_folder().await?;
            if out.json {
                say!("{}", serde_json::json!({ "folder": folder }));
            } else {
                say!("{}", folder.display());
            }
        }
    }
    Ok(())
}

/// `verify` or `restore` with the recovery key alone (first stdin line).
/// The snapshot is a path, or a name in `<data dir>/backups`.
pub async fn with_recovery_key(
    dir: &Path,
    cmd: &BackupCmd,
    creds: &mut Credentials,
    env: Environment,
    out: &Output,
) -> Result<()> {
    let snapshot = match cmd {
        BackupCmd::Verify { snapshot, .. } | BackupCmd::Restore { snapshot, .. } => snapshot,
        _ => unreachable!("only verify and restore take the recovery key"),
    };
    let path = backup::resolve(&dir.join(backup::DEFAULT_FOLDER), snapshot);
    let info = backup::read_info(&path)?;
    let line = creds.stdin.passphrase("recovery key")?;
    let recovery = RecoveryKey::parse(line.expose_secret())?;
    drop(line);
    match cmd {
        BackupCmd::Verify { .. } => verified(&backup::verify_with_recovery_key(&path, recovery, &env).await?, out),
        BackupCmd::Restore { yes, .. } => {
            confirm(&info, *yes)?;
            let bar = progress_bar(out);
            let cancel = cancel_on_ctrl_c();
            let result =
                Workspace::restore_with_recovery_key(dir, &path, recovery, env, &mut show_step(&bar), &cancel).await;
            bar.finish_and_clear();
            let (ws, report) = result?;
            ws.lock().await;
            restored(&report, out);
            Ok(())
        }
        _ => unreachable!("only verify and restore take the recovery key"),
    }
}

/// Asks on the terminal unless `yes`; refuses without a terminal.
fn confirm(info: &BackupInfo, yes: bool) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::validation("yes", "restoring replaces the workspace: pass --yes to confirm"));
    }
    eprint!(
        "Replace the workspace with the backup of {}? The current state is backed up first. [y/N] ",
        info.manifest.taken_at.format("%Y-%m-%d %H:%M UTC")
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).map_err(|e| Error::validation("yes", e.to_string()))?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(Error::Cancelled)
    }
}

fn taken(info: &BackupInfo, out: &Output) {
    if out.json {
        say!("{}", serde_json::to_value(info).unwrap_or_default());
    } else {
        say!("Backed up: {}", line(info));
    }
}

fn verified(v: &BackupVerification, out: &Output) -> Result<()> {
    if out.json {
        say!("{}", serde_json::to_value(v).unwrap_or_default());
    } else if v.healthy {
        say!("{}: healthy", v.name);
    } else {
        say!("{}: DAMAGED", v.name);
        for finding in &v.findings {
            say!("  {finding}");
        }
    }
    if v.healthy {
        Ok(())
    } else {
        Err(Error::BackupInvalid(format!("{} failed its check", v.name)))
    }
}

fn restored(report: &RestoreReport, out: &Output) {
    if out.json {
        say!("{}", serde_json::to_value(report).unwrap_or_default());
        return;
    }
    say!("Restored the backup of {}.", report.restored.manifest.taken_at.format("%Y-%m-%d %H:%M UTC"));
    if let Some(before) = &report.replaced_state_backup {
        say!("The state it replaced is backed up as {}.", before.name);
    }
    if report.erasures_replayed > 0 {
        say!("{} client(s) erased since then were erased from it again.", report.erasures_replayed);
    }
    for file in &report.moved_aside {
        say!("Moved aside: {}", file.display());
    }
}

/// One line of `backup list`: name, date, size, counts, reason.
fn line(b: &BackupInfo) -> String {
    let counts: Vec<String> = b
        .manifest
        .counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(kind, n)| format!("{n} {}", plural(*kind, *n)))
        .collect();
    format!(
        "{}  {}  {}  {}  {}{}",
        b.name,
        b.manifest.taken_at.format("%Y-%m-%d %H:%M UTC"),
        size(b.bytes),
        if counts.is_empty() { "empty".to_string() } else { counts.join(", ") },
        b.manifest.reason.as_str(),
        if b.complete { "" } else { "  INCOMPLETE" }
    )
}

fn plural(kind: EntityKind, n: i64) -> String {
    let word = kind.to_string();
    if n == 1 {
        word
    } else if word.ends_with('y') {
        format!("{}ies", &word[..word.len() - 1])
    } else {
        format!("{word}s")
    }
}

fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / (1 << 20) as f64)
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}
