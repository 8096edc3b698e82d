//! Backups: encrypted snapshots of the workspace, their rotation, checking
//! and restoring them, and keeping erasure and wiping true of them.
//!
//! A snapshot is a folder `bidwell-backup-<UTC time>-<random>` in the backup
//! folder (a setting; `<data dir>/backups` by default) holding
//! - `bidwell.db`: a copy of the database made by SQLCipher's `VACUUM INTO`,
//!   so it is encrypted with the database key of its time and never exists in
//!   plaintext, not even half-written;
//! - `bidwell.key`: a key file in the live format wrapping that key in a
//!   primary slot (the keychain or passphrase of the time) and a recovery
//!   slot. Key rotation re-wraps the recovery slot of every snapshot under the
//!   new recovery key, so the *current* recovery key alone opens every
//!   snapshot even when the live key file is gone;
//! - `manifest.json`: when and why it was taken, schema version, size and
//!   record counts per kind. In plaintext on purpose: listing, the health
//!   report and choosing what to restore after the live key file is lost
//!   must work without any key, and it holds no personal data. `verify`
//!   checks it against the decrypted copy, so a changed manifest is caught.
//!
//! A snapshot is built in a hidden `.partial` folder and renamed into place
//! once complete and fsynced. docs/security.md ("Backups") has the design
//! and why it holds; `rotation` has which snapshots are kept.

pub mod rotation;
mod status;

pub use status::BackupStatus;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool};
use sqlx::{Connection, SqliteConnection};
use uuid::Uuid;

use crate::audit;
use crate::domain::EntityKind;
use crate::durable::sync_dir;
use crate::error::{Error, Result};
use crate::id::Id;
use crate::portability::{ProgressSink, Step};
use crate::process_lock::ProcessLock;
use crate::secret::{DataKey, RecoveryKey};
use crate::store::{db, settings};
use crate::vault::{KeyFile, Unlock};
use crate::work::LockSignal;
use crate::workspace::{Environment, WorkspacePaths, DATABASE_FILE};
use crate::Workspace;

/// Snapshot folders start with this.
pub const SNAPSHOT_PREFIX: &str = "bidwell-backup-";
pub const MANIFEST_FILE: &str = "manifest.json";
const FORMAT: &str = "bidwell-backup";
const FORMAT_VERSION: u32 = 1;
/// The default backup folder's name inside the data directory.
pub const DEFAULT_FOLDER: &str = "backups";
const FOLDER_SETTING: &str = "backup.folder";
const OVERDUE_SETTING: &str = "backup.overdue_days";
/// After this many days without a good backup the health report says so.
pub const DEFAULT_OVERDUE_DAYS: i64 = 7;
/// How far apart scheduled backups are.
pub fn backup_interval() -> Duration {
    Duration::days(1)
}
/// Restore copies the snapshot in pieces this large, checking the cancel
/// flag and reporting progress between them.
const COPY_CHUNK: usize = 1 << 20;
/// What a refused restore says it could not do.
const RESTORE: &str = "restore a backup";
/// A restore's staging folder in the workspace directory, removed when the
/// restore ends; one that is left was a killed restore's.
const RESTORE_STAGING_PREFIX: &str = ".bidwell-restore-";

/// Why a snapshot was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum BackupReason {
    /// The daily backup ([`Workspace::backup_if_due`]).
    Scheduled,
    /// The user asked for one.
    Manual,
    BeforeImport,
    BeforeKeyRotation,
    BeforeMigration,
    /// The state a restore replaced.
    BeforeRestore,
}

impl BackupReason {
    pub fn as_str(self) -> &'static str {
        match self {
            BackupReason::Scheduled => "scheduled",
            BackupReason::Manual => "manual",
            BackupReason::BeforeImport => "before_import",
            BackupReason::BeforeKeyRotation => "before_key_rotation",
            BackupReason::BeforeMigration => "before_migration",
            BackupReason::BeforeRestore => "before_restore",
        }
    }
}

/// The plaintext description beside each snapshot: dates, sizes and counts
/// only, never a name or any text from the records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct BackupManifest {
    pub format: String,
    pub format_version: u32,
    /// The workspace the snapshot belongs to (its key file's profile id).
    pub profile_id: String,
    pub taken_at: DateTime<Utc>,
    pub reason: BackupReason,
    pub app_version: String,
    pub schema_version: i64,
    /// Size of the encrypted database copy.
    pub database_bytes: u64,
    /// Live (not deleted) records per kind in the snapshot.
    pub counts: BTreeMap<EntityKind, i64>,
}

/// One snapshot found in the backup folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct BackupInfo {
    /// The snapshot folder's name, which `restore` and `verify` accept.
    pub name: String,
    pub path: PathBuf,
    pub manifest: BackupManifest,
    /// Size of the database copy as found now.
    pub bytes: u64,
    /// The copy is there and as large as the manifest says (a quick check;
    /// `verify` reads every page).
    pub complete: bool,
}

/// What [`Workspace::verify_backup`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct BackupVerification {
    pub name: String,
    /// Nothing wrong: every page decrypts, SQLite's check says ok, and the
    /// manifest matches the copy.
    pub healthy: bool,
    /// What is wrong, one line each; empty when healthy.
    pub findings: Vec<String>,
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct RestoreReport {
    pub restored: BackupInfo,
    /// The snapshot of the state the restore replaced (none when the live
    /// workspace could not be opened).
    pub replaced_state_backup: Option<BackupInfo>,
    /// Clients erased after the snapshot was taken, erased again from it.
    pub erasures_replayed: u64,
    /// Files of an unreadable workspace moved aside (recovery-key restore).
    pub moved_aside: Vec<PathBuf>,
}

/// Where the backups are and what they hold, for the privacy overview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct BackupOverview {
    pub folder: PathBuf,
    pub snapshots: u64,
    pub bytes: u64,
    pub latest: Option<DateTime<Utc>>,
}

// Reading the folder.

/// The snapshots of workspace `profile` in `folder`, oldest first. A folder
/// whose manifest is unreadable is skipped (and logged), as is one of
/// another workspace sharing the folder.
pub fn list_in(folder: &Path, profile: Uuid) -> Result<Vec<BackupInfo>> {
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(folder, e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(folder, e))?;
        let name = entry.file_name().to_string_lossy().to_string();
        if !name.starts_with(SNAPSHOT_PREFIX) || !entry.path().is_dir() {
            continue;
        }
        match read_info(&entry.path()) {
            Ok(info) if info.manifest.profile_id == profile.to_string() => out.push(info),
            Ok(_) => {}
            Err(err) => tracing::warn!(code = ?err.code(), snapshot = %name, "unreadable backup manifest"),
        }
    }
    out.sort_by(|a, b| a.manifest.taken_at.cmp(&b.manifest.taken_at).then(a.name.cmp(&b.name)));
    Ok(out)
}

/// Reads one snapshot folder's manifest.
pub fn read_info(path: &Path) -> Result<BackupInfo> {
    let manifest_path = path.join(MANIFEST_FILE);
    let bytes = std::fs::read(&manifest_path).map_err(|e| Error::io(&manifest_path, e))?;
    let manifest: BackupManifest = serde_json::from_slice(&bytes)
        .map_err(|e| invalid(path, &format!("its manifest is not a Bidwell backup manifest ({e})")))?;
    if manifest.format != FORMAT || manifest.format_version != FORMAT_VERSION {
        return Err(invalid(
            path,
            &format!("unsupported backup format {} v{}", manifest.format, manifest.format_version),
        ));
    }
    let db_bytes = std::fs::metadata(path.join(DATABASE_FILE)).map(|m| m.len()).ok();
    let has_key = path.join(KeyFile::FILE_NAME).is_file();
    Ok(BackupInfo {
        name: path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default(),
        path: path.to_path_buf(),
        bytes: db_bytes.unwrap_or(0),
        complete: has_key && db_bytes == Some(manifest.database_bytes),
        manifest,
    })
}

fn invalid(path: &Path, why: &str) -> Error {
    Error::BackupInvalid(format!("{}: {why}", path.display()))
}

/// A snapshot as the desktop window names it: the name of its folder in the
/// backup folder, never a path (the window names no file: docs/security.md).
pub fn snapshot_name(snapshot: &str) -> Result<&str> {
    let plain = snapshot.starts_with(SNAPSHOT_PREFIX) && !snapshot.contains(['/', '\\']);
    match plain {
        true => Ok(snapshot),
        false => Err(Error::validation("snapshot", "is not the name of a backup in the backup folder")),
    }
}

/// A snapshot named by its folder name (looked up in `folder`) or by a path.
pub fn resolve(folder: &Path, snapshot: &str) -> PathBuf {
    let given = Path::new(snapshot);
    if given.components().count() == 1 && !given.is_absolute() && !given.exists() {
        folder.join(given)
    } else {
        given.to_path_buf()
    }
}

// Writing a snapshot.

/// Writes a snapshot of `pool`'s database (encrypted with `data_key`, which
/// `key_file` wraps) into `folder`. The caller must keep the key from
/// changing meanwhile (hold the workspace's data-key lock). Taken by a workspace,
/// the snapshot's key is committed to `backup_keys` before the snapshot
/// gets its name, so no snapshot is ever listed that the workspace cannot
/// open, rotate or erase from (a process killed in between leaves only a
/// hidden `.partial` folder; found by the crash harness).
pub(crate) async fn write_snapshot(
    pool: &SqlitePool,
    key_file: &KeyFile,
    data_key: &DataKey,
    folder: &Path,
    now: DateTime<Utc>,
    reason: BackupReason,
    taken_by: TakenBy<'_>,
) -> Result<BackupInfo> {
    let (record, locking, whole_file) = match taken_by {
        TakenBy::Workspace(locking) => (true, Some(locking), None),
        TakenBy::Migration { paths } => (false, None, Some(paths)),
    };
    create_private_dir(folder)?;
    let suffix = hex::encode(uuid::Uuid::new_v4().as_bytes())[..6].to_string();
    let name = format!("{SNAPSHOT_PREFIX}{}-{suffix}", now.format("%Y%m%dT%H%M%S%3fZ"));
    let partial = folder.join(partial_name(key_file.profile_id(), &suffix));
    create_private_dir(&partial)?;
    let written = async {
        let db_path = partial.join(DATABASE_FILE);
        let copied = match whole_file {
            Some(paths) => copy_checkpointed(pool, paths, &db_path).await?,
            None => false,
        };
        if !copied {
            // SQLCipher writes the copy encrypted with the same key, page by page.
            sqlx::query("VACUUM INTO ?").bind(db_path.to_string_lossy().to_string()).execute(pool).await?;
        }
        // Lock wins: after the copy (one statement) and before the rest,
        // and the half-made snapshot goes with the error.
        stop_if_locking(locking)?;
        let mut conn = open_snapshot(&db_path, data_key).await?;
        let counts = count_records(&mut conn).await?;
        let schema_version = schema_version(&mut conn).await?;
        conn.close().await?;
        stop_if_locking(locking)?;
        sync_file(&db_path)?;
        key_file.write_atomic(&partial.join(KeyFile::FILE_NAME))?;
        let manifest = BackupManifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            profile_id: key_file.profile_id().to_string(),
            taken_at: now,
            reason,
            app_version: env!("CARGO_PKG_VERSION").into(),
            schema_version,
            database_bytes: file_len(&db_path)?,
            counts,
        };
        write_manifest(&partial, &manifest)?;
        sync_dir(&partial)?;
        if record {
            record_key(pool, &name, now, data_key).await?;
        }
        let dest = folder.join(&name);
        if let Err(e) = std::fs::rename(&partial, &dest) {
            if record {
                let _ = sqlx::query("DELETE FROM backup_keys WHERE snapshot = ?").bind(&name).execute(pool).await;
            }
            return Err(Error::io(&dest, e));
        }
        sync_dir(folder)?;
        read_info(&dest)
    }
    .await;
    if written.is_err() {
        let _ = std::fs::remove_dir_all(&partial);
    }
    written
}

/// Who takes a snapshot, which decides what is done around the copy.
pub(crate) enum TakenBy<'a> {
    /// An open workspace: the snapshot's key is recorded before the snapshot
    /// is named, and the workspace's lock signal stops it.
    Workspace(&'a LockSignal),
    /// The open before a migration: the table for the key comes with the
    /// migration (`after_migration` records it), and nothing can lock yet.
    /// No other process has the workspace and nothing here writes, so the
    /// encrypted database file is copied as it is.
    Migration { paths: &'a WorkspacePaths },
}

/// Copies the encrypted database file as it is, after moving everything in
/// its write-ahead log into it: on a 1 M-record workspace several times
/// faster than `VACUUM INTO`, which decrypts and encrypts every page again.
/// Only while no other connection can write (the open before a migration).
/// `false`: the log could not be emptied, nothing was copied.
async fn copy_checkpointed(pool: &SqlitePool, paths: &WorkspacePaths, to: &Path) -> Result<bool> {
    let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(pool).await?;
    let log_empty = std::fs::metadata(paths.write_ahead_log()).map(|m| m.len() == 0).unwrap_or(true);
    if busy != 0 || !log_empty {
        return Ok(false);
    }
    std::fs::copy(&paths.database, to).map_err(|e| Error::io(to, e))?;
    Ok(true)
}

/// Snapshot folders under construction: hidden, and named with the
/// profile so that a wipe finds its own leftovers.
fn partial_name(profile: Uuid, suffix: &str) -> String {
    format!(".{SNAPSHOT_PREFIX}{profile}-{suffix}.partial")
}

fn write_manifest(dir: &Path, manifest: &BackupManifest) -> Result<()> {
    let mut bytes = serde_json::to_vec_pretty(manifest)
        .map_err(|e| Error::Inconsistent(format!("could not write a backup manifest: {e}")))?;
    bytes.push(b'\n');
    let dest = dir.join(MANIFEST_FILE);
    let mut tmp = tempfile::Builder::new().prefix(".manifest.").tempfile_in(dir).map_err(|e| Error::io(dir, e))?;
    tmp.write_all(&bytes).map_err(|e| Error::io(tmp.path(), e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(tmp.path(), e))?;
    tmp.persist(&dest).map_err(|e| Error::io(&dest, e.error))?;
    Ok(())
}

/// One connection to a snapshot's database, in rollback-journal mode so no
/// WAL file is left beside the copy.
fn snapshot_options(path: &Path, key: &DataKey) -> SqliteConnectOptions {
    db::encrypted_options(path, key, false).journal_mode(SqliteJournalMode::Delete)
}

async fn open_snapshot(path: &Path, key: &DataKey) -> Result<SqliteConnection> {
    let mut conn = db::open_connection(&snapshot_options(path, key)).await?;
    // The first read proves the key.
    sqlx::query_scalar::<_, i64>("SELECT count(*) FROM sqlite_master").fetch_one(&mut conn).await.map_err(|e| {
        if db::damage_code(&e).is_some() {
            Error::DatabaseCorrupt { path: path.to_path_buf() }
        } else {
            Error::from(e)
        }
    })?;
    Ok(conn)
}

async fn count_records(conn: &mut SqliteConnection) -> Result<BTreeMap<EntityKind, i64>> {
    let mut counts = BTreeMap::new();
    for kind in EntityKind::ALL {
        let table = crate::store::table(*kind);
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table} WHERE deleted_at IS NULL"))
            .fetch_one(&mut *conn)
            .await?;
        counts.insert(*kind, n);
    }
    Ok(counts)
}

async fn schema_version(conn: &mut SqliteConnection) -> Result<i64> {
    let v: Option<i64> =
        sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success = 1").fetch_one(&mut *conn).await?;
    Ok(v.unwrap_or(0))
}

/// Whether the database has the tables of migration 0011 (a database
/// opened before migrating does not).
async fn has_backup_tables<'c>(db: impl sqlx::Executor<'c, Database = sqlx::Sqlite>) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'backup_keys'")
        .fetch_one(db)
        .await?;
    Ok(n > 0)
}

// The workspace's side.

impl Workspace {
    /// The folder backups go to: the `backup.folder` setting, else
    /// `<data dir>/backups`.
    pub async fn backup_folder(&self) -> Result<PathBuf> {
        folder_setting(&self.pool().await, self.paths()).await
    }

    /// Sets the backup folder (an absolute path; created if missing). The
    /// snapshots already taken stay where they are, and remain listed,
    /// rotated and wiped only while the folder is set to their place.
    pub async fn set_backup_folder(&self, folder: &Path) -> Result<PathBuf> {
        if !folder.is_absolute() {
            return Err(Error::validation("folder", format!("{} is not an absolute path", folder.display())));
        }
        create_private_dir(folder)?;
        settings::put(&self.pool().await, FOLDER_SETTING, &folder.to_string_lossy(), self.now()).await?;
        Ok(folder.to_path_buf())
    }

    /// How many days without a good backup make the health report say a
    /// backup is overdue.
    pub async fn backup_overdue_days(&self) -> Result<i64> {
        let stored = settings::get(&self.pool().await, OVERDUE_SETTING).await?;
        Ok(stored.and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_OVERDUE_DAYS))
    }

    pub async fn set_backup_overdue_days(&self, days: i64) -> Result<()> {
        if !(1..=365).contains(&days) {
            return Err(Error::validation("days", "must be between 1 and 365"));
        }
        settings::put(&self.pool().await, OVERDUE_SETTING, &days.to_string(), self.now()).await
    }

    /// The snapshots of this workspace in its backup folder, oldest first.
    pub async fn list_backups(&self) -> Result<Vec<BackupInfo>> {
        let profile = self.key_file.lock().await.profile_id();
        list_in(&self.backup_folder().await?, profile)
    }

    /// The time of the newest complete snapshot.
    pub async fn last_good_backup(&self) -> Result<Option<DateTime<Utc>>> {
        Ok(self.list_backups().await?.iter().rev().find(|b| b.complete).map(|b| b.manifest.taken_at))
    }

    /// Whether the newest complete snapshot is older than the overdue setting (or there is none).
    pub async fn backup_overdue(&self) -> Result<bool> {
        let days = self.backup_overdue_days().await?;
        Ok(match self.last_good_backup().await? {
            Some(at) => self.now() - at > Duration::days(days),
            None => true,
        })
    }

    /// Takes a snapshot now, then applies the rotation rule (except for the
    /// snapshot taken before a restore, which must not remove the one being
    /// restored).
    pub async fn backup_now(&self, reason: BackupReason) -> Result<BackupInfo> {
        let folder = self.backup_folder().await?;
        let pool = self.pool().await;
        let info = {
            // Held while copying, so a key rotation cannot rekey in between.
            let data_key = self.data_key.lock().await;
            let key_file = self.key_file.lock().await.clone();
            write_snapshot(&pool, &key_file, &data_key, &folder, self.now(), reason, TakenBy::Workspace(self.locking()))
                .await?
        };
        let mut conn = pool.acquire().await?;
        let detail = serde_json::json!({ "reason": reason.as_str(), "bytes": info.manifest.database_bytes });
        audit::append(&mut conn, self.now(), audit::action::BACKUP, detail).await?;
        drop(conn);
        if reason != BackupReason::BeforeRestore {
            self.prune_backups().await?;
        }
        if reason == BackupReason::Manual {
            self.note_use(crate::privacy::UsageEvent::Backup).await;
        }
        Ok(info)
    }

    /// The scheduled backup: takes one when the newest snapshot is a day old
    /// or more (by the injected clock), or there is none. Also carries every
    /// erasure into the snapshots that still hold the client (erasures made
    /// by retention or purge, or while the folder was unreachable).
    pub async fn backup_if_due(&self) -> Result<Option<BackupInfo>> {
        self.erase_from_backups().await?;
        let newest = self.list_backups().await?.into_iter().filter(|b| b.complete).map(|b| b.manifest.taken_at).max();
        match newest {
            Some(at) if self.now() - at < backup_interval() => Ok(None),
            _ => Ok(Some(self.backup_now(BackupReason::Scheduled).await?)),
        }
    }

    /// Deletes the snapshots the rotation rule (7 daily, 4 weekly, 12
    /// monthly, and all of the last 24 hours) does not keep; returns how many.
    pub async fn prune_backups(&self) -> Result<u64> {
        let backups = self.list_backups().await?;
        let times: Vec<_> = backups.iter().map(|b| b.manifest.taken_at).collect();
        let keep = rotation::keep_at(&times, self.now());
        let pool = self.pool().await;
        let mut removed = 0;
        for (i, backup) in backups.iter().enumerate() {
            if keep.contains(&i) {
                continue;
            }
            remove_snapshot(&backup.path)?;
            sqlx::query("DELETE FROM backup_keys WHERE snapshot = ?").bind(&backup.name).execute(&pool).await?;
            removed += 1;
        }
        Ok(removed)
    }

    /// The database key of a snapshot this workspace took.
    async fn snapshot_key(&self, name: &str) -> Result<Option<DataKey>> {
        let stored: Option<Vec<u8>> = sqlx::query_scalar("SELECT data_key FROM backup_keys WHERE snapshot = ?")
            .bind(name)
            .fetch_optional(&self.pool().await)
            .await?;
        Ok(stored.and_then(|bytes| <[u8; 32]>::try_from(bytes.as_slice()).ok()).map(DataKey::from_bytes))
    }

    async fn require_snapshot_key(&self, info: &BackupInfo) -> Result<DataKey> {
        self.snapshot_key(&info.name).await?.ok_or_else(|| {
            invalid(
                &info.path,
                "this workspace holds no key for it (taken by another copy of the workspace?); \
                 use the recovery key instead",
            )
        })
    }

    async fn own_snapshot(&self, snapshot: &str) -> Result<BackupInfo> {
        let path = resolve(&self.backup_folder().await?, snapshot);
        let info = read_info(&path)?;
        let profile = self.key_file.lock().await.profile_id();
        if info.manifest.profile_id != profile.to_string() {
            return Err(invalid(&path, "it is a backup of another workspace"));
        }
        Ok(info)
    }

    /// Opens a snapshot and checks it: every page decrypts (SQLCipher's page
    /// check), SQLite's integrity check says ok, and its manifest matches.
    pub async fn verify_backup(&self, snapshot: &str) -> Result<BackupVerification> {
        let info = self.own_snapshot(snapshot).await?;
        let key = self.require_snapshot_key(&info).await?;
        verify_with_key(&info, &key).await
    }

    /// After an erasure: every snapshot that still holds a client in the
    /// erasure ledger is rewritten without it (copy, erase, vacuum, rename).
    /// Returns how many snapshots were rewritten. A snapshot that cannot be
    /// rewritten is logged and left; restore replays the ledger anyway.
    pub async fn erase_from_backups(&self) -> Result<u64> {
        let pool = self.pool().await;
        let ledger: Vec<Id> = sqlx::query_scalar("SELECT client_id FROM erasure_ledger").fetch_all(&pool).await?;
        if ledger.is_empty() {
            return Ok(0);
        }
        let mut rewritten = 0;
        for info in self.list_backups().await? {
            let Some(key) = self.snapshot_key(&info.name).await? else {
                tracing::warn!(snapshot = %info.name, "no key for a backup: the erasure reaches it on restore");
                continue;
            };
            match erase_in_snapshot(&info, &key, &ledger).await {
                Ok(true) => rewritten += 1,
                Ok(false) => {}
                Err(err) => {
                    tracing::warn!(code = ?err.code(), snapshot = %info.name, "could not erase from a backup")
                }
            }
        }
        Ok(rewritten)
    }

    /// After a key rotation: re-wraps every snapshot's recovery slot under
    /// the new recovery key (one Argon2id derivation for all), so the
    /// recovery key the user now holds opens them all. Returns how many.
    pub(crate) async fn rewrap_backups(&self, recovery: &RecoveryKey) -> Result<u64> {
        let mut files = Vec::new();
        for info in self.list_backups().await? {
            let Some(key) = self.snapshot_key(&info.name).await? else {
                tracing::warn!(snapshot = %info.name, "no key for a backup: it still opens with the older recovery key");
                continue;
            };
            // The stored key must open the copy, or the new slot would wrap a wrong key.
            open_snapshot(&info.path.join(DATABASE_FILE), &key).await?.close().await?;
            let key_path = info.path.join(KeyFile::FILE_NAME);
            files.push((key_path.clone(), KeyFile::load(&key_path)?, key));
        }
        let mut pairs: Vec<(KeyFile, DataKey)> = Vec::new();
        let mut paths = Vec::new();
        for (path, file, key) in files {
            paths.push(path);
            pairs.push((file, key));
        }
        KeyFile::reseal_recovery(&mut pairs, recovery, self.env().kdf)?;
        for (path, (file, _)) in paths.iter().zip(&pairs) {
            file.write_atomic(path)?;
        }
        Ok(paths.len() as u64)
    }

    /// Replaces the live workspace with a snapshot of it, in place: this
    /// handle then serves the restored data. First a snapshot of the current
    /// state is taken; the copy is restored into a staging folder beside the
    /// workspace, migrated, and every client in the erasure ledger (the
    /// live one and the snapshot's) is erased from it; only then are the
    /// files swapped (key file staged as `bidwell.key.next`, so an
    /// interrupted swap is finished by the next open). Setting `cancel`
    /// before the swap stops with [`Error::Cancelled`], and the workspace
    /// starting to lock (its [`crate::work::LockSignal`]) with
    /// [`Error::Locked`]: lock wins. Either way the live workspace is
    /// unchanged, the safety snapshot already taken is kept and the staging
    /// folder is removed. The restored workspace uses the snapshot's key file: its
    /// recovery slot opens with the current recovery key, its primary slot
    /// with the passphrase (or keychain) of the snapshot's time.
    pub async fn restore_backup(
        &self,
        snapshot: &str,
        progress: &mut ProgressSink<'_>,
        cancel: &AtomicBool,
    ) -> Result<RestoreReport> {
        // The live files are replaced under every process that has the
        // workspace open: only while no other one has (process_lock.rs).
        // Held from the start, so a refusal comes before any of the work.
        let _only_us = self.hold_exclusively(RESTORE)?;
        let info = self.own_snapshot(snapshot).await?;
        let key = self.require_snapshot_key(&info).await?;
        let snapshot_key_file = KeyFile::load(&info.path.join(KeyFile::FILE_NAME))?;
        progress(Step { stage: "backing up the current state".into(), done: 0, total: 4 });
        let replaced = self.backup_now(BackupReason::BeforeRestore).await?;
        let locking = self.locking().clone();
        stop_if_asked(cancel, Some(&locking))?;
        let paths = self.paths().clone();
        let staging = Staging::new(&paths.dir)?;
        staging.copy_in(&info, progress, cancel, Some(&locking))?;
        progress(Step { stage: "replaying erasures".into(), done: 2, total: 4 });
        let live = self.pool().await;
        let erasures_replayed = staging.prepare(&key, Some(&live), &[]).await?;
        stop_if_asked(cancel, Some(&locking))?;
        progress(Step { stage: "replacing the workspace".into(), done: 3, total: 4 });

        // Still held exclusively (`_only_us`): nobody else has the live files open.
        let mut key_file = self.key_file.lock().await;
        let mut data_key = self.data_key.lock().await;
        let mut pool = self.pool.write().await;
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&*pool).await;
        crate::store::db::close_pool(&pool).await;
        let swapped = staging.swap_into(&paths, &snapshot_key_file);
        let (open_key, swapped_ok) = match &swapped {
            Ok(()) => (&key, true),
            Err(SwapError { db_replaced: true, .. }) => (&key, false),
            Err(_) => (&*data_key, false),
        };
        *pool = db::open_pool(db::encrypted_options(&paths.database, open_key, false), &paths.database).await?;
        if let Err(SwapError { db_replaced, error }) = swapped {
            if db_replaced {
                // The database is the snapshot's now; its key file is staged as
                // bidwell.key.next, which the next open promotes.
                *data_key = DataKey::from_bytes(*key.as_bytes());
            }
            return Err(error);
        }
        debug_assert!(swapped_ok);
        *key_file = snapshot_key_file;
        *data_key = DataKey::from_bytes(*key.as_bytes());
        let mut conn = pool.acquire().await?;
        let detail = serde_json::json!({
            "taken_at": info.manifest.taken_at,
            "erasures_replayed": erasures_replayed,
        });
        audit::append(&mut conn, self.now(), audit::action::BACKUP_RESTORE, detail).await?;
        drop(conn);
        progress(Step { stage: "done".into(), done: 4, total: 4 });
        Ok(RestoreReport {
            restored: info,
            replaced_state_backup: Some(replaced),
            erasures_replayed,
            moved_aside: vec![],
        })
    }

    /// Restores a snapshot with the recovery key alone, for when the live
    /// workspace in `dir` cannot be opened (its key file lost or damaged)
    /// or is gone. Whatever workspace files are in `dir` are moved aside
    /// (renamed `….replaced-<time>`), never deleted. Returns the restored
    /// workspace, open. Every other snapshot in the snapshot's folder that
    /// the recovery key opens is made known to the restored workspace, so
    /// rotation and erasure reach them again.
    pub async fn restore_with_recovery_key(
        dir: &Path,
        snapshot: &Path,
        recovery: RecoveryKey,
        env: Environment,
        progress: &mut ProgressSink<'_>,
        cancel: &AtomicBool,
    ) -> Result<(Workspace, RestoreReport)> {
        let info = read_info(snapshot)?;
        let snapshot_key_file = KeyFile::load(&snapshot.join(KeyFile::FILE_NAME))?;
        if info.manifest.profile_id != snapshot_key_file.profile_id().to_string() {
            return Err(invalid(snapshot, "its manifest and key file belong to different workspaces"));
        }
        let how = Unlock::RecoveryKey(recovery);
        let (key, _) = snapshot_key_file.unlock(&how, env.keychain.as_ref())?;
        progress(Step { stage: "copying".into(), done: 0, total: 4 });
        create_private_dir(dir)?;
        // Whatever is in `dir` is moved aside: only while no other process
        // has it open (process_lock.rs). Held from the start, so a refusal
        // comes before any of the work, and handed to the restored
        // workspace at the end, so nobody comes in between.
        let process = ProcessLock::exclusive(dir, &env.holder, RESTORE)?;
        let paths = WorkspacePaths::new(dir);
        let staging = Staging::new(dir)?;
        staging.copy_in(&info, progress, cancel, None)?;
        progress(Step { stage: "replaying erasures".into(), done: 2, total: 4 });
        // The other snapshots the recovery key opens, so the restored
        // workspace can rotate and erase them too.
        let mut known = Vec::new();
        if let Some(folder) = snapshot.parent() {
            let profile = snapshot_key_file.profile_id();
            for other in list_in(folder, profile)? {
                let Ok(file) = KeyFile::load(&other.path.join(KeyFile::FILE_NAME)) else { continue };
                if let Ok((other_key, _)) = file.unlock(&how, env.keychain.as_ref()) {
                    known.push((other.name.clone(), other.manifest.taken_at, other_key));
                }
            }
        }
        let erasures_replayed = staging.prepare(&key, None, &known).await?;
        if cancel.load(Ordering::Relaxed) {
            return Err(Error::Cancelled);
        }
        progress(Step { stage: "replacing the workspace".into(), done: 3, total: 4 });
        // Still held exclusively (`process`): nobody else has these files open.
        let stamp = env.clock.now().format("%Y%m%dT%H%M%S%3fZ").to_string();
        let mut moved_aside = Vec::new();
        for file in paths.database_files().into_iter().chain([paths.key_file.clone()]) {
            if file.exists() {
                let aside = PathBuf::from(format!("{}.replaced-{stamp}", file.display()));
                std::fs::rename(&file, &aside).map_err(|e| Error::io(&file, e))?;
                moved_aside.push(aside);
            }
        }
        staging.swap_into(&paths, &snapshot_key_file).map_err(|e| e.error)?;
        let workspace = Workspace::open_held(dir, how, env, Some(process.into_shared()), &mut |_, _, _| {}).await?;
        {
            let mut conn = workspace.pool().await.acquire().await?;
            let detail = serde_json::json!({
                "taken_at": info.manifest.taken_at,
                "erasures_replayed": erasures_replayed,
                "with_recovery_key": true,
            });
            audit::append(&mut conn, workspace.now(), audit::action::BACKUP_RESTORE, detail).await?;
        }
        progress(Step { stage: "done".into(), done: 4, total: 4 });
        let report = RestoreReport { restored: info, replaced_state_backup: None, erasures_replayed, moved_aside };
        Ok((workspace, report))
    }

    /// Where the backups are, how many and how large, for the privacy overview.
    pub async fn backup_overview(&self) -> Result<BackupOverview> {
        let folder = self.backup_folder().await?;
        let backups = self.list_backups().await?;
        Ok(BackupOverview {
            snapshots: backups.len() as u64,
            bytes: backups.iter().map(|b| b.bytes).sum(),
            latest: backups.iter().map(|b| b.manifest.taken_at).max(),
            folder,
        })
    }
}

/// The backup folder setting of the database behind `pool`, else the default.
pub(crate) async fn folder_setting(pool: &SqlitePool, paths: &WorkspacePaths) -> Result<PathBuf> {
    Ok(match settings::get(pool, FOLDER_SETTING).await? {
        Some(folder) => PathBuf::from(folder),
        None => paths.dir.join(DEFAULT_FOLDER),
    })
}

async fn record_key(pool: &SqlitePool, snapshot: &str, taken_at: DateTime<Utc>, key: &DataKey) -> Result<()> {
    if !has_backup_tables(pool).await? {
        // A snapshot taken before migrating: the caller records it afterwards.
        return Ok(());
    }
    sqlx::query("INSERT OR REPLACE INTO backup_keys (snapshot, data_key, taken_at) VALUES (?, ?, ?)")
        .bind(snapshot)
        .bind(key.as_bytes().as_slice())
        .bind(taken_at)
        .execute(pool)
        .await?;
    Ok(())
}

/// Before `Workspace::open` migrates an existing database to a newer
/// schema: a snapshot of it as it is, in the folder its settings name.
/// Recorded in `backup_keys` once the migration has made that table.
pub(crate) async fn before_migration(
    pool: &SqlitePool,
    paths: &WorkspacePaths,
    key_file: &KeyFile,
    data_key: &DataKey,
    now: DateTime<Utc>,
) -> Result<Option<BackupInfo>> {
    let current = db::schema_version(pool).await?;
    if current == 0 || current >= db::latest_schema_version() {
        return Ok(None);
    }
    let folder = folder_setting(pool, paths).await?;
    // Not recorded yet: the table comes with the migration (`after_migration`).
    Ok(Some(
        write_snapshot(
            pool,
            key_file,
            data_key,
            &folder,
            now,
            BackupReason::BeforeMigration,
            TakenBy::Migration { paths },
        )
        .await?,
    ))
}

/// After the migration: remembers the key of the snapshot taken before it.
pub(crate) async fn after_migration(pool: &SqlitePool, info: &BackupInfo, key: &DataKey) -> Result<()> {
    record_key(pool, &info.name, info.manifest.taken_at, key).await
}

async fn verify_with_key(info: &BackupInfo, key: &DataKey) -> Result<BackupVerification> {
    let mut findings = Vec::new();
    let db_path = info.path.join(DATABASE_FILE);
    if !info.complete {
        findings.push(format!(
            "the database copy is {} bytes, the manifest says {}, or the key file is missing",
            info.bytes, info.manifest.database_bytes
        ));
    }
    match KeyFile::load(&info.path.join(KeyFile::FILE_NAME)) {
        Ok(file) if file.profile_id().to_string() != info.manifest.profile_id => {
            findings.push("the key file belongs to another workspace than the manifest".into())
        }
        Ok(_) => {}
        Err(err) => findings.push(err.to_string()),
    }
    let mut conn = match open_snapshot(&db_path, key).await {
        Ok(conn) => conn,
        Err(err) => {
            findings.push(err.to_string());
            return Ok(BackupVerification { name: info.name.clone(), healthy: false, findings });
        }
    };
    let checked = async {
        let lines: Vec<String> = match sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&mut conn).await {
            Ok(lines) => lines,
            Err(err) => match db::damage_code(&err) {
                Some(code) => vec![format!("the check stopped at a damaged page (sqlite code {code})")],
                None => return Err(Error::from(err)),
            },
        };
        if lines != ["ok"] {
            findings.extend(lines);
        }
        let pages: Vec<String> = sqlx::query_scalar("PRAGMA cipher_integrity_check").fetch_all(&mut conn).await?;
        findings.extend(pages);
        let counts = count_records(&mut conn).await?;
        if counts != info.manifest.counts {
            findings.push("the record counts differ from the manifest's".into());
        }
        if schema_version(&mut conn).await? != info.manifest.schema_version {
            findings.push("the schema version differs from the manifest's".into());
        }
        Ok::<_, Error>(())
    }
    .await;
    let _ = conn.close().await;
    checked?;
    Ok(BackupVerification { name: info.name.clone(), healthy: findings.is_empty(), findings })
}

/// Checks a snapshot with the recovery key alone (no workspace needed).
pub async fn verify_with_recovery_key(
    snapshot: &Path,
    recovery: RecoveryKey,
    env: &Environment,
) -> Result<BackupVerification> {
    let info = read_info(snapshot)?;
    let file = KeyFile::load(&snapshot.join(KeyFile::FILE_NAME))?;
    let (key, _) = file.unlock(&Unlock::RecoveryKey(recovery), env.keychain.as_ref())?;
    verify_with_key(&info, &key).await
}

/// Rewrites one snapshot without the clients of `ledger` it still holds.
/// Returns whether it held any. The copy is made beside the snapshot's
/// database and renamed over it once erased, vacuumed and fsynced.
async fn erase_in_snapshot(info: &BackupInfo, key: &DataKey, ledger: &[Id]) -> Result<bool> {
    let db_path = info.path.join(DATABASE_FILE);
    let ids = serde_json::to_string(ledger).unwrap_or_else(|_| "[]".into());
    let mut conn = open_snapshot(&db_path, key).await?;
    let present: Vec<Id> = sqlx::query_scalar("SELECT id FROM clients WHERE id IN (SELECT value FROM json_each(?))")
        .bind(&ids)
        .fetch_all(&mut conn)
        .await?;
    conn.close().await?;
    if present.is_empty() {
        return Ok(false);
    }
    let tmp = info.path.join(format!(".{DATABASE_FILE}.erasing"));
    let _ = std::fs::remove_file(&tmp);
    std::fs::copy(&db_path, &tmp).map_err(|e| Error::io(&tmp, e))?;
    let rewritten = async {
        let mut conn = open_snapshot(&tmp, key).await?;
        // An older snapshot gets the current schema, which erasure expects.
        // `run_direct`, not `run`: a future awaiting `run(&mut conn)` (generic
        // over `Acquire<'a>`) is not provably `Send`, which the app's
        // commands need (erasing a client rewrites the snapshots).
        db::MIGRATOR.run_direct(&mut conn).await?;
        let mut tx = conn.begin_with(crate::store::db::BEGIN_WRITE).await?;
        for client in &present {
            crate::privacy::erase::erase_replayed(&mut tx, *client).await?;
        }
        tx.commit().await?;
        sqlx::query("INSERT INTO search_fts (search_fts) VALUES ('optimize')").execute(&mut conn).await?;
        // A fresh file: no free page keeps the erased text.
        sqlx::query("VACUUM").execute(&mut conn).await?;
        let counts = count_records(&mut conn).await?;
        let schema_version = schema_version(&mut conn).await?;
        conn.close().await?;
        sync_file(&tmp)?;
        Ok::<_, Error>((counts, schema_version))
    }
    .await;
    let (counts, schema_version) = match rewritten {
        Ok(done) => done,
        Err(err) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(err);
        }
    };
    std::fs::rename(&tmp, &db_path).map_err(|e| Error::io(&db_path, e))?;
    let manifest =
        BackupManifest { counts, schema_version, database_bytes: file_len(&db_path)?, ..info.manifest.clone() };
    write_manifest(&info.path, &manifest)?;
    sync_dir(&info.path)?;
    Ok(true)
}

// Restoring.

/// Between steps of a restore: [`Error::Cancelled`] when the user cancelled
/// it, [`Error::Locked`] when the workspace started locking (lock wins: it
/// does not wait for the rest of the restore).
fn stop_if_asked(cancel: &AtomicBool, locking: Option<&LockSignal>) -> Result<()> {
    if cancel.load(Ordering::Relaxed) {
        return Err(Error::Cancelled);
    }
    stop_if_locking(locking)
}

/// [`Error::Locked`] once the workspace started locking.
fn stop_if_locking(locking: Option<&LockSignal>) -> Result<()> {
    match locking.is_some_and(LockSignal::is_raised) {
        true => Err(Error::Locked),
        false => Ok(()),
    }
}

/// A hidden folder beside the workspace where a snapshot is restored before
/// it replaces the live files; removed when dropped.
struct Staging {
    dir: PathBuf,
}

struct SwapError {
    /// The live database is already the snapshot's.
    db_replaced: bool,
    error: Error,
}

impl Staging {
    fn new(workspace_dir: &Path) -> Result<Staging> {
        let dir = workspace_dir.join(format!("{RESTORE_STAGING_PREFIX}{}", Uuid::new_v4().simple()));
        create_private_dir(&dir)?;
        Ok(Staging { dir })
    }

    fn database(&self) -> PathBuf {
        self.dir.join(DATABASE_FILE)
    }

    /// Copies the snapshot's (encrypted) database in, reporting progress and
    /// stopping with [`Error::Cancelled`] when asked (or [`Error::Locked`]
    /// when `locking` is raised).
    fn copy_in(
        &self,
        info: &BackupInfo,
        progress: &mut ProgressSink<'_>,
        cancel: &AtomicBool,
        locking: Option<&LockSignal>,
    ) -> Result<()> {
        let from = info.path.join(DATABASE_FILE);
        let to = self.database();
        let mut src = std::fs::File::open(&from).map_err(|e| Error::io(&from, e))?;
        let mut dst = create_private_file(&to)?;
        let total = src.metadata().map_err(|e| Error::io(&from, e))?.len().max(1);
        let mut buf = vec![0u8; COPY_CHUNK];
        let mut done = 0u64;
        loop {
            progress(Step { stage: "copying".into(), done, total });
            stop_if_asked(cancel, locking)?;
            let n = src.read(&mut buf).map_err(|e| Error::io(&from, e))?;
            if n == 0 {
                break;
            }
            dst.write_all(&buf[..n]).map_err(|e| Error::io(&to, e))?;
            done += n as u64;
        }
        dst.sync_all().map_err(|e| Error::io(&to, e))?;
        Ok(())
    }

    /// Migrates the staged copy, carries over the live ledger and snapshot
    /// keys (when the live workspace is open) and `known` snapshot keys,
    /// then erases every client of the ledger still in it. Returns how many.
    async fn prepare(
        &self,
        key: &DataKey,
        live: Option<&SqlitePool>,
        known: &[(String, DateTime<Utc>, DataKey)],
    ) -> Result<u64> {
        let mut conn = open_snapshot(&self.database(), key).await?;
        let prepared = async {
            // `run_direct`, not `run`, so the future is `Send`: see `erase_in_snapshot`.
            db::MIGRATOR.run_direct(&mut conn).await?;
            let mut tx = conn.begin_with(crate::store::db::BEGIN_WRITE).await?;
            if let Some(live) = live {
                let ledger: Vec<String> =
                    sqlx::query_scalar("SELECT client_id FROM erasure_ledger").fetch_all(live).await?;
                for client in ledger {
                    sqlx::query("INSERT OR IGNORE INTO erasure_ledger (client_id) VALUES (?)")
                        .bind(client)
                        .execute(&mut *tx)
                        .await?;
                }
                let keys: Vec<(String, Vec<u8>, String)> =
                    sqlx::query_as("SELECT snapshot, data_key, taken_at FROM backup_keys").fetch_all(live).await?;
                for (snapshot, data_key, taken_at) in keys {
                    sqlx::query("INSERT OR IGNORE INTO backup_keys (snapshot, data_key, taken_at) VALUES (?, ?, ?)")
                        .bind(snapshot)
                        .bind(data_key)
                        .bind(taken_at)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            for (snapshot, taken_at, data_key) in known {
                sqlx::query("INSERT OR IGNORE INTO backup_keys (snapshot, data_key, taken_at) VALUES (?, ?, ?)")
                    .bind(snapshot)
                    .bind(data_key.as_bytes().as_slice())
                    .bind(taken_at)
                    .execute(&mut *tx)
                    .await?;
            }
            let resurrected: Vec<Id> =
                sqlx::query_scalar("SELECT client_id FROM erasure_ledger WHERE client_id IN (SELECT id FROM clients)")
                    .fetch_all(&mut *tx)
                    .await?;
            for client in &resurrected {
                crate::privacy::erase::erase_replayed(&mut tx, *client).await?;
            }
            tx.commit().await?;
            if !resurrected.is_empty() {
                sqlx::query("INSERT INTO search_fts (search_fts) VALUES ('optimize')").execute(&mut conn).await?;
                sqlx::query("VACUUM").execute(&mut conn).await?;
            }
            Ok::<_, Error>(resurrected.len() as u64)
        }
        .await;
        let closed = conn.close().await;
        let replayed = prepared?;
        closed?;
        sync_file(&self.database())?;
        Ok(replayed)
    }

    /// Puts the staged database and `key_file` in place of the live ones:
    /// key file staged as `bidwell.key.next` (so an open after a crash
    /// finishes the swap), the old WAL removed, the database renamed over,
    /// then the key file promoted.
    fn swap_into(&self, paths: &WorkspacePaths, key_file: &KeyFile) -> std::result::Result<(), SwapError> {
        let early = |error: Error| SwapError { db_replaced: false, error };
        let next = paths.next_key_file();
        key_file.write_atomic(&next).map_err(|e| early(e.into()))?;
        for stale in paths.database_files().into_iter().skip(1) {
            match std::fs::remove_file(&stale) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(early(Error::io(&stale, e))),
            }
        }
        std::fs::rename(self.database(), &paths.database).map_err(|e| early(Error::io(&paths.database, e)))?;
        let late = |error: Error| SwapError { db_replaced: true, error };
        sync_dir(&paths.dir).map_err(late)?;
        std::fs::rename(&next, &paths.key_file).map_err(|e| late(Error::io(&paths.key_file, e)))?;
        sync_dir(&paths.dir).map_err(late)?;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Removes the staging folders of restores that were killed; returns them.
/// Only for a process that holds the workspace (shared or exclusively): a
/// restore stages only while it holds it exclusively, so none is in use.
pub(crate) fn remove_restore_leftovers(workspace_dir: &Path) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(workspace_dir) else { return Ok(removed) };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(RESTORE_STAGING_PREFIX) {
            let path = entry.path();
            std::fs::remove_dir_all(&path).map_err(|e| Error::io(&path, e))?;
            removed.push(path);
        }
    }
    Ok(removed)
}

// Wiping.

/// Destroys every snapshot of workspace `profile` in `folders` (and the
/// leftovers of unfinished ones): each snapshot's key file is overwritten
/// and removed first, then the rest. Never asks the keychain: the live
/// key file's shredding removes the one keychain entry all snapshots share.
/// Returns the folders removed.
pub(crate) fn destroy_all(folders: &[PathBuf], profile: Uuid) -> Result<Vec<PathBuf>> {
    let mut victims = Vec::new();
    let partial_prefix = format!(".{SNAPSHOT_PREFIX}{profile}-");
    for folder in folders {
        for info in list_in(folder, profile)? {
            victims.push(info.path);
        }
        if let Ok(entries) = std::fs::read_dir(folder) {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with(&partial_prefix) {
                    victims.push(entry.path());
                }
            }
        }
    }
    victims.sort();
    victims.dedup();
    // Keys first: once they are gone no copy can be decrypted.
    for victim in &victims {
        shred_file(&victim.join(KeyFile::FILE_NAME))?;
    }
    for victim in &victims {
        remove_snapshot(victim)?;
    }
    Ok(victims)
}

/// Removes one snapshot folder, its key file overwritten first.
fn remove_snapshot(path: &Path) -> Result<()> {
    shred_file(&path.join(KeyFile::FILE_NAME))?;
    match std::fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Overwrites a (small) file with zeros, fsyncs and removes it. Not
/// `KeyFile::shred`: that would also delete the keychain entry, which the
/// live key file still uses.
fn shred_file(path: &Path) -> Result<()> {
    let len = match std::fs::metadata(path) {
        Ok(meta) => meta.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(path, e)),
    };
    let mut file = std::fs::OpenOptions::new().write(true).open(path).map_err(|e| Error::io(path, e))?;
    file.write_all(&vec![0u8; usize::try_from(len).unwrap_or(0)]).map_err(|e| Error::io(path, e))?;
    file.sync_all().map_err(|e| Error::io(path, e))?;
    drop(file);
    std::fs::remove_file(path).map_err(|e| Error::io(path, e))
}

// Files.

fn create_private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(|e| Error::io(dir, e))?;
    }
    Ok(())
}

fn create_private_file(path: &Path) -> Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(|e| Error::io(path, e))
}

fn file_len(path: &Path) -> Result<u64> {
    Ok(std::fs::metadata(path).map_err(|e| Error::io(path, e))?.len())
}

fn sync_file(path: &Path) -> Result<()> {
    std::fs::File::open(path).and_then(|f| f.sync_all()).map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_names_a_snapshot_by_its_folder_name_only() {
        assert!(snapshot_name("bidwell-backup-20261203T101500123Z-a1b2c3").is_ok());
        for path in [
            "/tmp/bidwell-backup-x",
            "../bidwell-backup-x",
            "bidwell-backup-x/../../etc",
            "bidwell-backup-x\\..",
            "..",
            "",
        ] {
            assert_eq!(snapshot_name(path).unwrap_err().code(), crate::ErrorCode::Validation, "{path:?}");
        }
    }
}
