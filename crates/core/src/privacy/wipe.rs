//! Wiping the whole workspace. The user confirms by typing the workspace's
//! name. In this order:
//! 1. what to delete from the keychain is read while the database is still
//!    readable (the marketplace tokens' entries; `Workspace::wipe`);
//! 2. a marker file, `bidwell.wiping`, is written durably: from here on the
//!    wipe can only be finished, and `Workspace::state` says so
//!    (`WipeInterrupted`) instead of reporting a damaged workspace;
//! 3. the wrapped data key and its keychain entry are destroyed
//!    (crypto-shredding: from then on no copy of the database, its WAL or a
//!    backup can be decrypted), then every file of the workspace is removed;
//! 4. the other keychain entries are deleted; one that cannot be is reported;
//! 5. the marker goes;
//! 6. last, the lock files (`bidwell.lock`, `bidwell.lock.d/`; see below).
//!
//! A wipe that stopped anywhere after step 2 is finished by wiping again
//! with the same name: the marker keeps the name and the keychain entries.
//! Without the marker, a database whose key file is missing stays an
//! inconsistency (disk damage, a half-restored copy) and is never offered
//! as something to wipe.
//!
//! Asking connected marketplaces to erase the user's data first needs the
//! account tokens inside the database, so it happens before the key is
//! shredded: `Workspace::wipe_asking_marketplaces` (sync/privacy.rs).
//!
//! A wipe holds the workspace's process lock exclusively from its start (`process_lock.rs`),
//! so it is refused while another process has the workspace open; its last
//! step removes the lock files too, so nothing of the workspace is left.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::audit;
use crate::durable::sync_dir;
use crate::error::{Error, Result};
use crate::process_lock::{ExclusiveHold, Holder, ProcessLock};
use crate::vault::{KeyFile, KeyStore, ProtectionKind, Unlock, VaultError};
use crate::workspace::{Environment, WorkspacePaths, WorkspaceState};
use crate::Workspace;

/// The marker a wipe leaves from its start to its end.
pub const WIPE_MARKER_FILE: &str = "bidwell.wiping";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct WipeReport {
    /// The key file was overwritten and removed and its keychain entry (if any) deleted.
    pub key_shredded: bool,
    pub keychain_entry_removed: bool,
    /// Every file removed, the key file included, and every backup snapshot
    /// folder removed (each snapshot's key file destroyed first).
    pub removed_files: Vec<PathBuf>,
    /// Other keychain entries of the workspace (marketplace tokens) that were deleted.
    pub token_entries_removed: u32,
    /// Keychain entries that could not be deleted, each with the reason: the
    /// user may delete them by hand (service "Bidwell", the entry's name).
    pub keychain_leftovers: Vec<String>,
    /// Set when the workspace's keychain entries for tokens could not be
    /// listed (the database could not be opened to read them).
    pub keychain_unlisted: Option<String>,
}

/// What the marker holds: the name the wipe was confirmed with, and the
/// keychain entries still to delete. Names only, nothing secret.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct WipeMarker {
    name: String,
    /// Entries that exist (the workspace's key, tokens kept in the keychain):
    /// failing to delete one is reported.
    keychain_entries: Vec<String>,
    /// Entries that may exist (tokens kept in the database, which a keychain
    /// that answered late may have stored too): deleted where found.
    maybe_keychain_entries: Vec<String>,
    /// Whose backups to destroy (snapshots are named by profile), and the
    /// folders besides `<dir>/backups` that hold them: kept here because
    /// the key file and the settings are gone once the wipe is under way.
    profile_id: Option<uuid::Uuid>,
    backup_folders: Vec<PathBuf>,
}

fn marker_path(dir: &Path) -> PathBuf {
    dir.join(WIPE_MARKER_FILE)
}

fn read_marker(dir: &Path) -> Result<Option<WipeMarker>> {
    let path = marker_path(dir);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            Error::Inconsistent(format!(
                "{} is not a Bidwell wipe marker ({e}); it marks a wipe that did not finish: \
                 remove it by hand if that is not so",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(&path, e)),
    }
}

/// The name of a workspace whose wipe was started and did not finish.
pub(crate) fn interrupted_wipe(dir: &Path) -> Result<Option<String>> {
    Ok(read_marker(dir)?.map(|m| m.name))
}

/// Writes the marker durably (temporary file, fsync, rename, fsync of the
/// directory): the shredding that follows must never be found without it.
fn write_marker(dir: &Path, marker: &WipeMarker) -> Result<()> {
    use std::io::Write;
    let path = marker_path(dir);
    let bytes = serde_json::to_vec(marker).map_err(|e| Error::io(&path, std::io::Error::other(e)))?;
    let mut file = tempfile::Builder::new()
        .prefix(&format!("{WIPE_MARKER_FILE}."))
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    file.write_all(&bytes).map_err(|e| Error::io(&path, e))?;
    file.as_file().sync_all().map_err(|e| Error::io(&path, e))?;
    file.persist(&path).map_err(|e| Error::io(&path, e.error))?;
    sync_dir(dir)
}

/// Files of the workspace: the key file, its staged and temporary copies,
/// the database, its WAL, shared memory, journal and any backups beside it,
/// and the demo marketplace's state file. Not the wipe's own marker.
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

/// Temporary files a marker write left behind when it was interrupted.
fn marker_leftovers(dir: &Path) -> Vec<PathBuf> {
    let prefix = format!("{WIPE_MARKER_FILE}.");
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default()
}

/// Removes what a wipe killed while writing its marker left (the marker
/// counts only under its final name). Called by a process that holds the
/// workspace, shared or exclusively, so no wipe is writing one now.
pub(crate) fn remove_marker_leftovers(dir: &Path) {
    for file in marker_leftovers(dir) {
        if let Err(e) = std::fs::remove_file(&file) {
            tracing::warn!("an interrupted wipe's temporary marker could not be removed: {e}");
        }
    }
}

/// Token entries listed from the database: `(entry, certainly there)`.
type TokenEntries = Vec<(String, bool)>;

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
    /// Finishes a wipe that was interrupted (see the module's comment). The
    /// keychain entries of marketplace tokens cannot be listed without the
    /// database: [`Workspace::wipe_closed`] reads them where it can.
    /// The backups in `<dir>/backups` go too; those in a folder chosen in
    /// the settings only when the workspace is unlocked ([`Workspace::wipe`]),
    /// since the setting is inside the encrypted database.
    /// Refused with `workspace_in_use` while another process has it open;
    /// `holder` is this process, as they would be told.
    pub fn wipe_locked(dir: &Path, confirm: &str, keychain: &dyn KeyStore, holder: &Holder) -> Result<WipeReport> {
        wipe_exclusively(dir, confirm, keychain, holder, None, &[])
    }

    /// Wipes a workspace that is not open here. A keychain workspace is
    /// opened with the keychain first (no credential needed), so that the
    /// keychain entries of its marketplace tokens are read and deleted too;
    /// if it cannot be opened, it is wiped all the same and the report says
    /// the entries could not be listed. A passphrase workspace keeps its
    /// tokens inside the database, so there is nothing to read. Refused with
    /// `workspace_in_use` while another process has it open.
    pub async fn wipe_closed(dir: &Path, confirm: &str, env: Environment) -> Result<WipeReport> {
        if let Ok(WorkspaceState::Locked { name, protection: ProtectionKind::Keychain }) = Workspace::state(dir) {
            if name == confirm.trim() {
                match Workspace::open(dir, Unlock::Keychain, env.clone()).await {
                    Ok(workspace) => return workspace.wipe(confirm).await,
                    // Another process is changing it: it is not wiped under it.
                    Err(e @ Error::WorkspaceInUse { .. }) => return Err(with_wipe_action(e)),
                    Err(e) => {
                        let why = format!("the workspace could not be opened to list them: {}", e.to_api().message);
                        let keychain = env.keychain.as_ref();
                        return wipe_exclusively(dir, confirm, keychain, &env.holder, Some(Err(why)), &[]);
                    }
                }
            }
        }
        Workspace::wipe_locked(dir, confirm, env.keychain.as_ref(), &env.holder)
    }

    /// Wipes this workspace: records the request, reads the keychain entries
    /// of its tokens, closes the database, then see
    /// [`Workspace::wipe_locked`]. A wrong name changes nothing.
    pub async fn wipe(self, confirm: &str) -> Result<WipeReport> {
        if !self.is_named(confirm).await {
            return Err(name_mismatch());
        }
        let only_us = self.hold_exclusively(WIPE)?;
        self.wipe_held(confirm, only_us).await
    }

    /// [`Workspace::wipe`] with the workspace already held exclusively, so
    /// that work done first (asking the marketplaces to erase) cannot be
    /// followed by a refusal to wipe. Nothing may use `self` afterwards.
    pub(crate) async fn wipe_held(&self, confirm: &str, only_us: ExclusiveHold<'_>) -> Result<WipeReport> {
        // Each step says in the log which one failed (codes only): a wipe
        // refused once in CI with SQLite's short read, cause not yet known.
        let noted = |step: &'static str| {
            move |err: Error| {
                tracing::warn!(step, code = ?err.code(), "a wipe stopped before any file was touched");
                err
            }
        };
        let tokens = self.token_keychain_entries().await.map_err(noted("reading the token entries"))?;
        let backup_folder = self.backup_folder().await.map_err(noted("reading the backup folder"))?;
        {
            let mut conn = self.pool().await.acquire().await.map_err(|e| noted("opening a connection")(e.into()))?;
            audit::append(&mut conn, self.now(), audit::action::WIPE, serde_json::json!({}))
                .await
                .map_err(noted("writing the audit entry"))?;
        }
        let keychain = self.env().keychain.clone();
        crate::store::db::close_pool(&self.pool().await).await;
        let report = wipe_files(&self.paths().dir, confirm, keychain.as_ref(), Some(Ok(tokens)), &[backup_folder])?;
        // Last: the lock files, so nothing of the workspace is left.
        only_us.remove_lock_files();
        Ok(report)
    }
}

pub(crate) const WIPE: &str = "wipe the workspace";

/// A refusal to open, told as a refusal to wipe.
fn with_wipe_action(err: Error) -> Error {
    match err {
        Error::WorkspaceInUse { dir, holders, .. } => {
            Error::WorkspaceInUse { dir, action: Some(WIPE.to_string()), holders }
        }
        other => other,
    }
}

/// `confirm` names the workspace in `dir` (read from its key file, or from
/// the marker of an interrupted wipe).
fn check_name_locked(dir: &Path, confirm: &str) -> Result<()> {
    match Workspace::state(dir) {
        Ok(WorkspaceState::Missing) => Err(Error::WorkspaceMissing { path: dir.to_path_buf() }),
        Ok(WorkspaceState::Locked { name, .. } | WorkspaceState::WipeInterrupted { name })
            if name != confirm.trim() =>
        {
            Err(name_mismatch())
        }
        Ok(WorkspaceState::Locked { .. } | WorkspaceState::WipeInterrupted { .. }) => Ok(()),
        // A damaged key file cannot name the workspace; refuse rather than guess.
        Err(e) => Err(e),
    }
}

/// [`wipe_files`] for a workspace not open in this process: the name is
/// checked first (a typo takes no lock and creates no lock file), then the
/// workspace is held exclusively for the whole wipe, and its lock files are
/// removed last.
fn wipe_exclusively(
    dir: &Path,
    confirm: &str,
    keychain: &dyn KeyStore,
    holder: &Holder,
    tokens: Option<std::result::Result<TokenEntries, String>>,
    backup_folders: &[PathBuf],
) -> Result<WipeReport> {
    check_name_locked(dir, confirm)?;
    let process = ProcessLock::exclusive(dir, holder, WIPE)?;
    // wipe_files checks the name again, now under the lock: another process
    // may have wiped or replaced the workspace in between.
    let report = wipe_files(dir, confirm, keychain, tokens, backup_folders)?;
    process.remove_lock_files();
    Ok(report)
}

/// The wipe itself (see the module's comment). `tokens`: the token entries
/// read from the database, why they could not be, or `None` when nobody tried.
/// `backup_folders`: folders besides `<dir>/backups` that hold snapshots.
/// The caller holds the workspace exclusively and removes the lock files
/// (`bidwell.lock`, `bidwell.lock.d/`) afterwards; they are not files of
/// the workspace here, nor is the marker.
fn wipe_files(
    dir: &Path,
    confirm: &str,
    keychain: &dyn KeyStore,
    tokens: Option<std::result::Result<TokenEntries, String>>,
    backup_folders: &[PathBuf],
) -> Result<WipeReport> {
    let paths = WorkspacePaths::new(dir);
    let fresh = matches!(Workspace::state(dir), Ok(WorkspaceState::Locked { .. }));
    let (mut marker, keychain_entry_removed) = match Workspace::state(dir) {
        Ok(WorkspaceState::Missing) => return Err(Error::WorkspaceMissing { path: dir.to_path_buf() }),
        Ok(WorkspaceState::Locked { name, .. } | WorkspaceState::WipeInterrupted { name })
            if name != confirm.trim() =>
        {
            return Err(name_mismatch());
        }
        Ok(WorkspaceState::Locked { name, .. }) => {
            let key_file = KeyFile::load(&paths.key_file)?;
            let account = key_file.keychain_account().map(str::to_owned);
            let removed = account.is_some();
            let marker = WipeMarker {
                name,
                keychain_entries: account.into_iter().collect(),
                profile_id: Some(key_file.profile_id()),
                ..Default::default()
            };
            (marker, removed)
        }
        Ok(WorkspaceState::WipeInterrupted { .. }) => {
            let marker = read_marker(dir)?.unwrap_or_default();
            let removed = marker.keychain_entries.iter().any(|e| e.starts_with("workspace-"));
            (marker, removed)
        }
        // A damaged key file cannot name the workspace; refuse rather than guess.
        Err(e) => return Err(e),
    };
    let keychain_unlisted = match tokens {
        Some(Ok(tokens)) => {
            for (entry, there) in tokens {
                let list = if there { &mut marker.keychain_entries } else { &mut marker.maybe_keychain_entries };
                if !list.contains(&entry) {
                    list.push(entry);
                }
            }
            None
        }
        Some(Err(why)) => Some(why),
        None => None,
    };
    for folder in backup_folders {
        if !marker.backup_folders.contains(folder) {
            marker.backup_folders.push(folder.clone());
        }
    }
    let mut before = workspace_files(dir)?;
    write_marker(dir, &marker)?;

    // The key first: once it is gone nothing left behind can be read.
    if let Err(e) = KeyFile::shred(&paths.key_file, keychain) {
        // Shredding stops before touching the file when the keychain fails:
        // nothing has changed yet, so the workspace stays as it was.
        let keychain_failed = matches!(
            e,
            VaultError::NoKeychain { .. } | VaultError::Keychain { .. } | VaultError::KeychainNoAnswer { .. }
        );
        if fresh && keychain_failed {
            let _ = std::fs::remove_file(marker_path(dir));
        }
        return Err(e.into());
    }
    // Then the backups, each snapshot's key file first.
    if let Some(profile) = marker.profile_id {
        let mut folders = vec![dir.join(crate::backup::DEFAULT_FOLDER)];
        folders.extend(marker.backup_folders.iter().cloned());
        before.extend(crate::backup::destroy_all(&folders, profile)?);
    }
    before.extend(crate::backup::remove_restore_leftovers(dir)?);
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

    // Then the other keychain entries, by the names read before the shredding.
    let mut keychain_leftovers = Vec::new();
    let mut token_entries_removed = 0;
    for entry in &marker.keychain_entries {
        match keychain.delete(entry) {
            Ok(()) if !entry.starts_with("workspace-") => token_entries_removed += 1,
            Ok(()) => {}
            Err(e) => keychain_leftovers.push(format!("{entry}: {e}")),
        }
    }
    for entry in &marker.maybe_keychain_entries {
        match keychain.delete(entry) {
            Ok(()) | Err(VaultError::NoKeychain { .. }) => {}
            Err(e) => keychain_leftovers.push(format!("{entry}: {e}")),
        }
    }
    for leftover in &keychain_leftovers {
        tracing::warn!("a keychain entry of the wiped workspace could not be deleted: {leftover}");
    }
    remove_marker_leftovers(dir);
    let marker = marker_path(dir);
    std::fs::remove_file(&marker).map_err(|e| Error::io(&marker, e))?;
    sync_dir(dir)?;
    Ok(WipeReport {
        key_shredded: true,
        keychain_entry_removed,
        removed_files: before,
        token_entries_removed,
        keychain_leftovers,
        keychain_unlisted,
    })
}
