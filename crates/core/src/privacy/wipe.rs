//! Wiping the whole workspace. The user confirms by typing the workspace's
//! name. The wrapped data key and the keychain entry are destroyed first
//! (crypto-shredding: from then on no copy of the database, its WAL or a
//! backup can be decrypted), then every file of the workspace is removed.
//!
//! Asking connected marketplaces to erase the user's data first needs the
//! account tokens inside the database, so it happens before the key is
//! shredded: `Workspace::wipe_asking_marketplaces` (sync/privacy.rs).

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::audit;
use crate::error::{Error, Result};
use crate::vault::{KeyFile, KeyStore};
use crate::workspace::{WorkspacePaths, WorkspaceState};
use crate::Workspace;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct WipeReport {
    /// The key file was overwritten and removed and its keychain entry (if any) deleted.
    pub key_shredded: bool,
    pub keychain_entry_removed: bool,
    /// Every file removed, the key file included, and every backup snapshot
    /// folder removed (each snapshot's key file destroyed first).
    pub removed_files: Vec<PathBuf>,
}

/// Files of the workspace: the key file, its staged and temporary copies,
/// the database, its WAL, shared memory, journal and any backups beside it,
/// and the demo marketplace's state file.
fn workspace_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            for entry in entries {
                let entry = entry.map_err(|e| Error::io(dir, e))?;
                let name = entry.file_name().to_string_lossy().to_string();
                let ours = name.starts_with("bidwell.db")
                    || name.starts_with("bidwell.key")
                    || name.starts_with(".bidwell.key")
                    || name.starts_with(crate::sync::DEMO_STATE_FILE_PREFIX);
                if ours && entry.path().is_file() {
                    out.push(entry.path());
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(dir, e)),
    }
    out.sort();
    Ok(out)
}

pub(crate) fn name_mismatch() -> Error {
    Error::validation("confirm", "is not the workspace's name; type the name exactly to wipe it. Nothing was changed")
}

impl Workspace {
    /// Whether `confirm` is this workspace's name (surrounding spaces ignored).
    pub async fn is_named(&self, confirm: &str) -> bool {
        self.key_file_info().await.0 == confirm.trim()
    }

    /// Wipes a workspace without unlocking it (a forgotten passphrase is no
    /// reason to keep data around). `confirm` must be the workspace's name.
    /// The backups in `<dir>/backups` go too; those in a folder chosen in
    /// the settings only when the workspace is unlocked ([`Workspace::wipe`]),
    /// since the setting is inside the encrypted database.
    pub fn wipe_locked(dir: &Path, confirm: &str, keychain: &dyn KeyStore) -> Result<WipeReport> {
        Workspace::wipe_locked_with(dir, confirm, keychain, &[])
    }

    fn wipe_locked_with(
        dir: &Path,
        confirm: &str,
        keychain: &dyn KeyStore,
        backup_folders: &[PathBuf],
    ) -> Result<WipeReport> {
        let paths = WorkspacePaths::new(dir);
        match Workspace::state(dir) {
            Ok(WorkspaceState::Missing) => return Err(Error::WorkspaceMissing { path: dir.to_path_buf() }),
            Ok(WorkspaceState::Locked { name, .. }) if name != confirm.trim() => {
                return Err(name_mismatch());
            }
            Ok(WorkspaceState::Locked { .. }) => {}
            // A damaged key file cannot name the workspace; refuse rather than guess.
            Err(e) => return Err(e),
        }
        let key_file = KeyFile::load(&paths.key_file)?;
        let keychain_entry_removed = key_file.keychain_account().is_some();
        let mut before = workspace_files(dir)?;
        // The key first: once it is gone nothing left behind can be read.
        KeyFile::shred(&paths.key_file, keychain)?;
        // Then the backups, each snapshot's key file first.
        let mut folders = vec![dir.join(crate::backup::DEFAULT_FOLDER)];
        folders.extend(backup_folders.iter().cloned());
        before.extend(crate::backup::destroy_all(&folders, key_file.profile_id())?);
        for file in workspace_files(dir)? {
            let name = file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            if name.starts_with("bidwell.key") || name.starts_with(".bidwell.key") {
                // A staged rotation key file is a key too.
                KeyFile::shred(&file, keychain)?;
            } else {
                match std::fs::remove_file(&file) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::io(&file, e)),
                }
            }
        }
        let left = workspace_files(dir)?;
        if let Some(file) = left.first() {
            return Err(Error::io(file, std::io::Error::other("could not be removed; remove it by hand")));
        }
        Ok(WipeReport { key_shredded: true, keychain_entry_removed, removed_files: before })
    }

    /// Wipes this workspace: records the request, closes the database, then
    /// see [`Workspace::wipe_locked`]. A wrong name changes nothing.
    pub async fn wipe(self, confirm: &str) -> Result<WipeReport> {
        if !self.is_named(confirm).await {
            return Err(name_mismatch());
        }
        {
            let mut conn = self.pool().await.acquire().await?;
            audit::append(&mut conn, self.now(), audit::action::WIPE, serde_json::json!({})).await?;
        }
        let dir = self.paths().dir.clone();
        let keychain = self.env().keychain.clone();
        let backup_folder = self.backup_folder().await?;
        self.pool().await.close().await;
        drop(self);
        Workspace::wipe_locked_with(&dir, confirm, keychain.as_ref(), &[backup_folder])
    }
}
