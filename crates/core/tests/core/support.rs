//! Shared set-up: a workspace in a temp dir with a fast KDF and a manual clock.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bidwell_core::secret::Passphrase;
use bidwell_core::vault::{KdfParams, KeyStore, OsKeychain, Protection, Unlock};
use bidwell_core::{Environment, ManualClock, Workspace};
use chrono::TimeZone;

pub const PASSPHRASE: &str = "correct horse battery staple";

/// A keychain that is refused everything: the "no keychain on this machine" case.
pub struct NoKeychain;

impl KeyStore for NoKeychain {
    fn backend(&self) -> &'static str {
        "none"
    }
    fn probe(&self) -> Result<(), bidwell_core::vault::VaultError> {
        Err(bidwell_core::vault::VaultError::NoKeychain { backend: "none", reason: "no keychain in this test".into() })
    }
    fn store(&self, _: &str, _: &bidwell_core::secret::WrappingKey) -> Result<(), bidwell_core::vault::VaultError> {
        self.probe()
    }
    fn load(&self, _: &str) -> Result<bidwell_core::secret::WrappingKey, bidwell_core::vault::VaultError> {
        Err(bidwell_core::vault::VaultError::NoKeychain { backend: "none", reason: "no keychain in this test".into() })
    }
    fn delete(&self, _: &str) -> Result<(), bidwell_core::vault::VaultError> {
        self.probe()
    }
}

pub fn env_with(keychain: Arc<dyn KeyStore>) -> Environment {
    let start = chrono::Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
    Environment { clock: Arc::new(ManualClock::new(start)), keychain, kdf: KdfParams::light() }
}

pub fn env() -> Environment {
    env_with(Arc::new(NoKeychain))
}

pub fn passphrase() -> Passphrase {
    Passphrase::new(PASSPHRASE.to_string())
}

pub async fn new_workspace() -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    let (ws, _recovery) =
        Workspace::create(dir.path(), "Test", Protection::Passphrase(passphrase()), env()).await.unwrap();
    (dir, ws)
}

pub async fn reopen(dir: &Path, ws: Workspace) -> Workspace {
    ws.lock().await;
    Workspace::open(dir, Unlock::Passphrase(passphrase()), env()).await.unwrap()
}

/// The real OS keychain, or `None` (with a note) where none runs. CI sets
/// BIDWELL_REQUIRE_KEYCHAIN=1 so that a missing keychain fails there.
pub fn os_keychain() -> Option<Arc<dyn KeyStore>> {
    match OsKeychain.probe() {
        Ok(()) => Some(Arc::new(OsKeychain)),
        Err(e) if std::env::var("BIDWELL_REQUIRE_KEYCHAIN").as_deref() == Ok("1") => {
            panic!("BIDWELL_REQUIRE_KEYCHAIN=1 but no keychain is usable: {e}")
        }
        Err(e) => {
            eprintln!("skipping the keychain part: {e}");
            None
        }
    }
}

/// Every regular file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
