//! The [`Workspace`] handle: creating, unlocking and locking the encrypted
//! database and its key file, and the key operations on them (passphrase
//! change, data-key rotation, health report). Entity operations live in
//! `store/*` as further `impl Workspace` blocks. An open workspace holds its
//! directory's process lock (`process_lock.rs`) shared, and exclusively for
//! key changes, migrations and wipe.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::sqlite::SqlitePool;
use sqlx::{Connection, SqliteConnection};
use tokio::sync::{Mutex, RwLock};

use crate::audit;
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::process_lock::{ExclusiveHold, Holder, ProcessLock};
use crate::recovery_confirmation::{self, RecoveryKeyOrigin, UnconfirmedRecoveryKey};
use crate::secret::{DataKey, Passphrase, RecoveryKey};
use crate::store::db;
use crate::store::long_read::{Halt, LongReads};
use crate::vault::{KdfParams, KeyFile, KeyStore, OsKeychain, Protection, ProtectionKind, Unlock, UnlockedSlots};

pub const DATABASE_FILE: &str = "bidwell.db";

/// The steps [`Workspace::open_reporting`] names: the first unlock after an
/// update of Bidwell backs the workspace up, then updates its storage.
pub const OPEN_BACKING_UP: &str = "backing up before the update";
pub const OPEN_UPDATING: &str = "updating the workspace";

/// A key file written for a rotation that has not finished yet.
const NEXT_KEY_FILE: &str = "bidwell.key.next";

/// What the core needs from outside: time, the keychain, how hard to
/// stretch passphrases, and what this process is (named to other processes
/// refused while it has a workspace open). Tests inject their own.
#[derive(Clone)]
pub struct Environment {
    pub clock: Arc<dyn Clock>,
    pub keychain: Arc<dyn KeyStore>,
    pub kdf: KdfParams,
    pub holder: Holder,
}

impl Environment {
    /// The system's clock and keychain; the front end sets `holder`.
    pub fn system() -> Self {
        Environment {
            clock: Arc::new(SystemClock),
            keychain: Arc::new(OsKeychain),
            kdf: KdfParams::default(),
            holder: Holder::Unnamed,
        }
    }
}

/// The files of one workspace.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct WorkspacePaths {
    pub dir: PathBuf,
    pub database: PathBuf,
    pub key_file: PathBuf,
}

impl WorkspacePaths {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        WorkspacePaths { database: dir.join(DATABASE_FILE), key_file: dir.join(KeyFile::FILE_NAME), dir }
    }

    pub(crate) fn next_key_file(&self) -> PathBuf {
        self.dir.join(NEXT_KEY_FILE)
    }

    /// The database and the files SQLite keeps beside it.
    pub fn database_files(&self) -> Vec<PathBuf> {
        ["", "-wal", "-shm", "-journal"].iter().map(|suffix| self.beside_database(suffix)).collect()
    }

    /// The database's write-ahead log, one of [`WorkspacePaths::database_files`].
    pub(crate) fn write_ahead_log(&self) -> PathBuf {
        self.beside_database("-wal")
    }

    fn beside_database(&self, suffix: &str) -> PathBuf {
        PathBuf::from(format!("{}{suffix}", self.database.display()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum WorkspaceState {
    Missing,
    Locked {
        name: String,
        protection: ProtectionKind,
    },
    /// A wipe was started here (its marker file says so) and did not finish:
    /// wiping again with this name finishes it. Without the marker, a
    /// database whose key file is missing is an inconsistency, never this.
    WipeInterrupted {
        name: String,
    },
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct DoctorReport {
    pub paths: WorkspacePaths,
    pub workspace_name: String,
    /// The file does not start with SQLite's plaintext header and SQLCipher reports a cipher.
    pub encrypted: bool,
    pub cipher_version: String,
    pub cipher_provider: String,
    /// What [`Workspace::check_integrity`] found, or null when this report
    /// did not run that scan of the whole database.
    pub integrity: Option<Vec<String>>,
    /// What [`Workspace::check_search_index`] found and mended, or null when
    /// this report did not check the search index against the tables.
    pub search_index: Option<crate::search::SearchIndexReport>,
    /// What [`Workspace::check_kept_totals`] found and mended, or null when
    /// this report did not compare the kept totals (the board's, the
    /// dashboard's and the task list's) with the bids, milestones and tasks.
    pub kept_totals: Option<crate::store::KeptTotalsReport>,
    pub protection: ProtectionKind,
    pub keychain_backend: &'static str,
    /// Why no keychain can be used, if none can.
    pub keychain_unavailable: Option<String>,
    pub schema_version: i64,
    pub latest_schema_version: i64,
    /// Set while the current recovery key has not been confirmed as saved:
    /// make a new one (and keep it) before it is needed.
    pub unconfirmed_recovery_key: Option<UnconfirmedRecoveryKey>,
    /// When the newest complete backup snapshot was taken.
    pub last_good_backup: Option<DateTime<Utc>>,
    /// No complete backup for longer than the `backup.overdue_days` setting (7 by default).
    pub backup_overdue: bool,
}

/// How [`Workspace::check_integrity`] ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum IntegrityOutcome {
    /// Every page was read and nothing is wrong.
    Healthy,
    /// What SQLite's integrity check and SQLCipher's page check found.
    Damaged { findings: Vec<String> },
    /// The user stopped the check ([`Workspace::stop_integrity_check`])
    /// before it read everything: nothing is known either way.
    Stopped,
}

/// SQLite's whole answer when its check finds nothing.
const NO_DAMAGE: &str = "ok";

impl IntegrityOutcome {
    fn from_findings(findings: Vec<String>) -> Self {
        if findings.len() == 1 && findings[0] == NO_DAMAGE {
            Self::Healthy
        } else {
            Self::Damaged { findings }
        }
    }

    /// SQLite's own lines (`["ok"]` when healthy), as the health report
    /// shows them; `None` when the check was stopped before its end.
    pub fn findings(self) -> Option<Vec<String>> {
        match self {
            Self::Healthy => Some(vec![NO_DAMAGE.to_string()]),
            Self::Damaged { findings } => Some(findings),
            Self::Stopped => None,
        }
    }
}

/// How far the integrity check's statements got.
enum Scan {
    Finished(Vec<String>),
    /// Halted between statements, where an interrupt does not reach.
    Halted(Halt),
}

pub struct Workspace {
    // pub(crate) for backup.rs, whose restore swaps them in place.
    pub(crate) pool: RwLock<SqlitePool>,
    paths: WorkspacePaths,
    env: Environment,
    pub(crate) key_file: Mutex<KeyFile>,
    pub(crate) data_key: Mutex<DataKey>,
    unlocked: UnlockedSlots,
    long_reads: LongReads,
    /// Held shared while open; exclusively for key changes and wipe.
    process: ProcessLock,
    /// Raised when the session starts locking; long work stops at its next step.
    locking: Arc<crate::work::LockSignal>,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace").field("dir", &self.paths.dir).finish_non_exhaustive()
    }
}

impl Workspace {
    /// Whether `dir` holds a workspace, without unlocking it.
    pub fn state(dir: &Path) -> Result<WorkspaceState> {
        let paths = WorkspacePaths::new(dir);
        if let Some(name) = crate::privacy::wipe::interrupted_wipe(dir)? {
            return Ok(WorkspaceState::WipeInterrupted { name });
        }
        if !paths.key_file.exists() {
            if paths.database.exists() {
                return Err(Error::Inconsistent(format!(
                    "{} exists but its key file {} is missing: restore the key file from a backup; \
                     without it the database cannot be read",
                    paths.database.display(),
                    paths.key_file.display()
                )));
            }
            return Ok(WorkspaceState::Missing);
        }
        let key_file = KeyFile::load(&paths.key_file)?;
        Ok(WorkspaceState::Locked { name: key_file.workspace_name().to_string(), protection: key_file.protection() })
    }

    /// Creates a workspace in `dir`. The recovery key is returned once: show it to the user.
    pub async fn create(
        dir: &Path,
        name: &str,
        protection: Protection,
        env: Environment,
    ) -> Result<(Workspace, RecoveryKey)> {
        let name = crate::domain::check::required("name", name, 100)?;
        let paths = WorkspacePaths::new(dir);
        if let Some(name) = crate::privacy::wipe::interrupted_wipe(dir)? {
            return Err(Error::WipeInterrupted { name, dir: paths.dir.clone() });
        }
        if paths.key_file.exists() || paths.database.exists() {
            return Err(Error::WorkspaceExists { path: paths.dir.clone() });
        }
        create_private_dir(&paths.dir)?;
        let process = ProcessLock::shared(&paths.dir, &env.holder)?;
        let only_us = process.hold_exclusively("create a workspace")?;
        // Again under the lock: another process may have made one meanwhile.
        if paths.key_file.exists() || paths.database.exists() {
            return Err(Error::WorkspaceExists { path: paths.dir.clone() });
        }
        let now = env.clock.now();
        let profile_id = uuid::Uuid::new_v4();
        let created_at = now.to_rfc3339();
        let (key_file, data_key, recovery, unlocked) = match protection {
            // Storing the key in the keychain can hang as reading it can.
            Protection::Keychain => {
                let (name, kdf) = (name.clone(), env.kdf);
                ask_keychain(&env.keychain, move |k| {
                    KeyFile::create(profile_id, &name, &created_at, &Protection::Keychain, kdf, k)
                })
                .await?
            }
            Protection::Passphrase(_) => {
                KeyFile::create(profile_id, &name, &created_at, &protection, env.kdf, env.keychain.as_ref())?
            }
        };

        // The database first, the key file last: a workspace exists once its key file does.
        let built = async {
            let pool = db::open_pool(db::encrypted_options(&paths.database, &data_key, true), &paths.database).await?;
            db::migrate(&pool).await?;
            let mut tx = pool.begin_with(crate::store::db::BEGIN_WRITE).await?;
            audit::append(
                &mut tx,
                now,
                "workspace.created",
                serde_json::json!({ "protection": key_file.protection() }),
            )
            .await?;
            // Until the user says "I saved it", the UI asks for a new key.
            recovery_confirmation::mark(&mut *tx, RecoveryKeyOrigin::Created, now).await?;
            tx.commit().await?;
            key_file.write_atomic(&paths.key_file)?;
            Ok::<_, Error>(pool)
        }
        .await;
        let pool = match built {
            Ok(pool) => pool,
            Err(err) => {
                for file in paths.database_files() {
                    let _ = std::fs::remove_file(file);
                }
                // The key file was never written, so remove its keychain entry by name.
                if key_file.protection() == ProtectionKind::Keychain {
                    let _ = env.keychain.delete(&crate::vault::keychain_account(profile_id));
                }
                return Err(err);
            }
        };
        drop(only_us);
        let workspace = Workspace::assemble(pool, paths, env, key_file, data_key, unlocked, process);
        Ok((workspace, recovery))
    }

    /// Unlocks the workspace in `dir`. A wrong credential fails before the database is touched.
    pub async fn open(dir: &Path, how: Unlock, env: Environment) -> Result<Workspace> {
        Workspace::open_held(dir, how, env, None, &mut |_, _, _| {}).await
    }

    /// [`Workspace::open`], naming the long steps the first unlock after an
    /// update of Bidwell waits through (`step(phase, done, total)`):
    /// [`OPEN_BACKING_UP`], then [`OPEN_UPDATING`]: seconds on a large
    /// workspace (the backup copies the whole file). An unlock with nothing
    /// to update reports nothing.
    pub async fn open_reporting(
        dir: &Path,
        how: Unlock,
        env: Environment,
        step: &mut (dyn FnMut(&str, u64, u64) + Send),
    ) -> Result<Workspace> {
        Workspace::open_held(dir, how, env, None, step).await
    }

    /// [`Workspace::open`] with the workspace already held shared by
    /// `held` (a restore that held it exclusively hands its lock over, so
    /// no other process comes between the restore and the open).
    pub(crate) async fn open_held(
        dir: &Path,
        how: Unlock,
        env: Environment,
        held: Option<ProcessLock>,
        step: &mut (dyn FnMut(&str, u64, u64) + Send),
    ) -> Result<Workspace> {
        let paths = WorkspacePaths::new(dir);
        match Workspace::state(dir)? {
            WorkspaceState::Missing => return Err(Error::WorkspaceMissing { path: paths.dir.clone() }),
            WorkspaceState::WipeInterrupted { name } => {
                return Err(Error::WipeInterrupted { name, dir: paths.dir.clone() })
            }
            WorkspaceState::Locked { .. } => {}
        }
        if !paths.database.exists() {
            return Err(Error::Inconsistent(format!(
                "the key file is present but the database {} is missing",
                paths.database.display()
            )));
        }
        // Held from before the key file is read, so no key change can come between.
        let process = match held {
            Some(process) => process,
            None => ProcessLock::shared(&paths.dir, &env.holder)?,
        };
        // What killed processes left; held, so nobody is using them now.
        crate::privacy::wipe::remove_marker_leftovers(&paths.dir);
        if let Err(e) = crate::backup::remove_restore_leftovers(&paths.dir) {
            tracing::warn!("a killed restore's staging folder could not be removed: {e}");
        }
        for key_file in [&paths.key_file, &paths.next_key_file()] {
            if let Err(e) = crate::vault::keyfile::shred_interrupted_writes(key_file) {
                tracing::warn!("an interrupted key-file write's temporary file could not be removed: {e}");
            }
        }
        let mut key_file = KeyFile::load(&paths.key_file)?;
        let loaded = key_file.clone();
        let (mut data_key, mut unlocked) = unlock_key_file(&key_file, &how, &env.keychain).await?;
        let mut interrupted = false;
        let pool = match db::open_pool(db::encrypted_options(&paths.database, &data_key, false), &paths.database).await
        {
            Ok(pool) => pool,
            Err(Error::DatabaseCorrupt { .. }) if paths.next_key_file().exists() => {
                // A rotation stopped after re-keying the database and before
                // its key file was promoted: the staged key file opens it.
                let next = KeyFile::load(&paths.next_key_file())?;
                let (next_key, next_unlocked) = unlock_key_file(&next, &how, &env.keychain).await?;
                let pool =
                    db::open_pool(db::encrypted_options(&paths.database, &next_key, false), &paths.database).await?;
                interrupted = true;
                (key_file, data_key, unlocked) = (next, next_key, next_unlocked);
                pool
            }
            Err(err) => return Err(err),
        };
        // Migrating or finishing a rotation changes the workspace under
        // every process that has it open: only when no other one has.
        let pending = db::migrations_pending(&pool).await?;
        let only_us = match (interrupted, pending) {
            (true, _) => Some(process.hold_exclusively("finish an interrupted key rotation")?),
            (false, true) => Some(process.hold_exclusively("update the workspace to this version of Bidwell")?),
            (false, false) => None,
        };
        // A schema migration is risky work: a snapshot of the database as it
        // is first, taken while no other process has the workspace open.
        if pending {
            step(OPEN_BACKING_UP, 0, 2);
        }
        let before = crate::backup::before_migration(&pool, &paths, &key_file, &data_key, env.clock.now()).await?;
        if pending {
            step(OPEN_UPDATING, 1, 2);
        }
        db::migrate(&pool).await?;
        if let Some(info) = before {
            crate::backup::after_migration(&pool, &info, &data_key).await?;
        }
        if interrupted {
            // The rotation's new recovery key was never shown to anyone and
            // the old one no longer opens the database: say so durably, then
            // promote the key file. Should this fail, the next open starts over.
            let now = env.clock.now();
            let mut tx = pool.begin_with(crate::store::db::BEGIN_WRITE).await?;
            audit::append(
                &mut tx,
                now,
                audit::action::KEY_CHANGE,
                serde_json::json!({ "change": "rotation", "finished_on_open": true }),
            )
            .await?;
            recovery_confirmation::mark(&mut *tx, RecoveryKeyOrigin::InterruptedRotation, now).await?;
            tx.commit().await?;
            loaded.check_unchanged(&paths.key_file)?;
            KeyFile::promote(&paths.next_key_file(), &paths.key_file)?;
            tracing::info!(
                "finished an interrupted key rotation; its recovery key was never shown, so a new one is due"
            );
        } else {
            // A staged key file that the database does not need is from a rotation that never re-keyed.
            let _ = std::fs::remove_file(paths.next_key_file());
        }
        drop(only_us);
        let workspace = Workspace::assemble(pool, paths, env, key_file, data_key, unlocked, process);
        // Data, not schema: tokens an older Bidwell kept in the keychain of a
        // passphrase workspace move inside it (sync/accounts.rs).
        workspace.move_tokens_out_of_keychain().await?;
        Ok(workspace)
    }

    fn assemble(
        pool: SqlitePool,
        paths: WorkspacePaths,
        env: Environment,
        key_file: KeyFile,
        data_key: DataKey,
        unlocked: UnlockedSlots,
        process: ProcessLock,
    ) -> Workspace {
        Workspace {
            pool: RwLock::new(pool),
            paths,
            env,
            key_file: Mutex::new(key_file),
            data_key: Mutex::new(data_key),
            unlocked,
            long_reads: LongReads::default(),
            process,
            locking: Arc::default(),
        }
    }

    /// Holds the workspace exclusively until the hold drops: no other
    /// process has it open meanwhile, and none can open it. For work that
    /// changes the workspace under everyone (a restore); `action` says what
    /// is refused otherwise ("restore a backup"). Refused with
    /// `workspace_in_use`, naming the holders, while another process (or
    /// another open handle in this one) has it open; nothing waits.
    pub fn hold_exclusively(&self, action: &str) -> Result<ExclusiveHold<'_>> {
        self.process.hold_exclusively(action)
    }

    /// Closes the database; the keys are zeroized as the handle drops. The
    /// WAL is folded into the database first so no recent page lingers there.
    pub async fn lock(self) {
        let pool = self.pool.read().await;
        if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&*pool).await {
            tracing::warn!(code = ?Error::from(err).code(), "checkpoint before locking failed");
        }
        db::close_pool(&pool).await;
    }

    pub fn paths(&self) -> &WorkspacePaths {
        &self.paths
    }

    /// Raised when this workspace starts locking (see [`crate::work::LockSignal`]).
    /// Shared, so the session can raise it without waiting for any lock.
    pub fn locking(&self) -> &Arc<crate::work::LockSignal> {
        &self.locking
    }

    pub(crate) fn env(&self) -> &Environment {
        &self.env
    }

    pub(crate) async fn key_file_info(&self) -> (String, ProtectionKind) {
        let key_file = self.key_file.lock().await;
        (key_file.workspace_name().to_string(), key_file.protection())
    }

    /// The time by the workspace's clock (injected, so tests set it): what
    /// "in 3 days" or "for an hour" counts from.
    pub fn now(&self) -> DateTime<Utc> {
        self.env.clock.now()
    }

    /// The keychain for a call made through `vault::off_runtime`.
    pub(crate) fn keychain_handle(&self) -> Arc<dyn KeyStore> {
        self.env.keychain.clone()
    }

    /// A transaction that will write ([`db::BEGIN_WRITE`]).
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.pool.read().await.begin_with(db::BEGIN_WRITE).await?)
    }

    pub(crate) async fn pool(&self) -> SqlitePool {
        self.pool.read().await.clone()
    }

    /// The SQL that created the table, index or trigger `name`, as
    /// `sqlite_master` holds it after every migration: the sync benchmark
    /// builds its unencrypted baseline from the same definitions (its FTS5
    /// index above all), so the baseline follows the migrations.
    pub async fn schema_sql(&self, name: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool().await)
            .await?
            .flatten())
    }

    /// Checks a credential against the key file without changing anything:
    /// re-authentication before a sensitive action in an unlocked workspace.
    pub async fn verify_unlock(&self, how: &Unlock) -> Result<()> {
        let key_file = self.key_file.lock().await.clone();
        unlock_key_file(&key_file, how, &self.env.keychain).await?;
        Ok(())
    }

    /// Re-wraps the data key under a new passphrase. Nothing is re-encrypted.
    pub async fn change_passphrase(&self, new: &Passphrase) -> Result<()> {
        let mut key_file = self.key_file.lock().await;
        let only_us = self.process.hold_exclusively("change the passphrase")?;
        key_file.check_unchanged(&self.paths.key_file)?;
        let mut changed = key_file.clone();
        changed.change_passphrase(&*self.data_key.lock().await, new, self.env.kdf)?;
        changed.write_atomic(&self.paths.key_file)?;
        *key_file = changed;
        drop(only_us);
        let mut conn = self.pool().await.acquire().await?;
        audit::append(&mut conn, self.now(), audit::action::KEY_CHANGE, serde_json::json!({ "change": "passphrase" }))
            .await?;
        Ok(())
    }

    /// Re-encrypts the database under a new data key (`PRAGMA rekey`) and
    /// returns the new recovery key; the old one stops working.
    ///
    /// Crash safety: the new key file is staged (written and fsynced) before
    /// the re-key, and `open` finishes a rotation that stopped after it. The
    /// staged file is promoted only once the re-keyed database is durable:
    /// `PRAGMA rekey`, a TRUNCATE checkpoint (with synchronous=NORMAL a WAL
    /// commit is not fsynced; the checkpoint syncs the WAL, copies it into
    /// the database and syncs that), an fsync of the database file, then the
    /// rename and an fsync of the directory. A power cut at any point leaves
    /// a database that the key file or the staged one opens.
    ///
    /// The workspace is held exclusively from before the snapshot taken
    /// first until the snapshots are re-wrapped: a refusal (another process
    /// has it open, or changed the key file) comes before any of it, and no
    /// other process rotates meanwhile, so the snapshots end up under the
    /// recovery key returned here.
    pub async fn rotate_key(&self) -> Result<RecoveryKey> {
        let _only_us = self.process.hold_exclusively("rotate the key")?;
        self.key_file.lock().await.check_unchanged(&self.paths.key_file)?;
        self.backup_now(crate::backup::BackupReason::BeforeKeyRotation).await?;
        let recovery = self.rotate_key_only().await?;
        // The snapshots' recovery slots follow, so the new key opens them all.
        if let Err(err) = self.rewrap_backups(&recovery).await {
            tracing::warn!(code = ?err.code(), "backups could not all be re-wrapped under the new recovery key");
        }
        Ok(recovery)
    }

    /// The rotation itself; the caller holds the workspace exclusively.
    async fn rotate_key_only(&self) -> Result<RecoveryKey> {
        let mut key_file = self.key_file.lock().await;
        let mut data_key = self.data_key.lock().await;
        key_file.check_unchanged(&self.paths.key_file)?;
        let new_key = DataKey::generate();
        let mut rotated = key_file.clone();
        let recovery = rotated.rotate(&new_key, &self.unlocked, self.env.kdf)?;
        rotated.write_atomic(&self.paths.next_key_file())?;

        let mut pool = self.pool.write().await;
        // Marked before the re-key, so the re-keyed database carries the mark
        // however the rotation ends (see recovery_confirmation.rs).
        let marked = async {
            let previous = recovery_confirmation::stored(&*pool).await?;
            recovery_confirmation::mark(&*pool, RecoveryKeyOrigin::Rotated, self.now()).await?;
            Ok::<_, Error>(previous)
        }
        .await;
        let previous_mark = match marked {
            Ok(previous) => previous,
            Err(err) => {
                let _ = std::fs::remove_file(self.paths.next_key_file());
                return Err(err);
            }
        };
        db::close_pool(&pool).await;
        let rekeyed = async {
            let mut conn =
                SqliteConnection::connect_with(&db::encrypted_options(&self.paths.database, &data_key, false)).await?;
            sqlx::query(&format!("PRAGMA rekey = {}", new_key.sqlcipher_key_pragma().as_str()))
                .execute(&mut conn)
                .await?;
            conn.close().await?;
            Ok::<_, Error>(())
        }
        .await;
        if let Err(err) = rekeyed {
            let _ = std::fs::remove_file(self.paths.next_key_file());
            *pool = db::open_pool(db::encrypted_options(&self.paths.database, &data_key, false), &self.paths.database)
                .await?;
            // The old recovery key still works: it is as confirmed as before.
            let restored = recovery_confirmation::put(&*pool, previous_mark, self.now()).await;
            if let Err(restore) = restored {
                // Left marked: the user is asked for a new key they did not need.
                tracing::warn!(code = ?restore.code(), "could not put back the recovery key mark after a failed rotation");
            }
            return Err(err);
        }
        // From here the database is under the new key: the staged key file
        // is the only one that opens it and must stay, whatever fails.
        let durable = async {
            let mut conn =
                SqliteConnection::connect_with(&db::encrypted_options(&self.paths.database, &new_key, false)).await?;
            let (busy, _, _): (i64, i64, i64) =
                sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(&mut conn).await?;
            conn.close().await?;
            if busy != 0 {
                return Err(Error::DatabaseBusy);
            }
            fsync_file(&self.paths.database)?;
            key_file.check_unchanged(&self.paths.key_file)?;
            KeyFile::promote(&self.paths.next_key_file(), &self.paths.key_file)?;
            Ok::<_, Error>(())
        }
        .await;
        if let Err(err) = durable {
            tracing::warn!(code = ?err.code(), "a key rotation re-keyed the database but could not finish");
            return Err(Error::Inconsistent(format!(
                "the key rotation re-encrypted the database but could not finish ({err}); lock the workspace \
                 and unlock it again to finish it (the new key file waits beside the database as {NEXT_KEY_FILE})"
            )));
        }
        *pool =
            db::open_pool(db::encrypted_options(&self.paths.database, &new_key, false), &self.paths.database).await?;
        *key_file = rotated;
        *data_key = new_key;
        let mut conn = pool.acquire().await?;
        audit::append(&mut conn, self.now(), audit::action::KEY_CHANGE, serde_json::json!({ "change": "rotation" }))
            .await?;
        Ok(recovery)
    }

    /// One connection outside the pool with a small page cache, for a check
    /// that must not see what a pooled connection has cached (close it after).
    pub(crate) async fn scan_connection(&self) -> Result<sqlx::SqliteConnection> {
        let data_key = self.data_key.lock().await;
        db::open_connection(&db::scan_options(&self.paths.database, &data_key)).await
    }

    /// The cheap facts about the workspace: files, cipher, protection,
    /// keychain and schema. It does not read the data, so `integrity` is
    /// `None`; [`Workspace::check_integrity`] is the full scan.
    pub async fn doctor(&self) -> Result<DoctorReport> {
        let pool = self.pool().await;
        let cipher_version: Option<String> = sqlx::query_scalar("PRAGMA cipher_version").fetch_optional(&pool).await?;
        let cipher_provider: Option<String> =
            sqlx::query_scalar("PRAGMA cipher_provider").fetch_optional(&pool).await?;
        let readable_without_key = db::readable_without_key(&self.paths.database).await?;
        // Before the key file's lock, which listing the backups takes too.
        let (last_good_backup, backup_overdue) = (self.last_good_backup().await?, self.backup_overdue().await?);
        let key_file = self.key_file.lock().await;
        let cipher_version = cipher_version.unwrap_or_default();
        Ok(DoctorReport {
            paths: self.paths.clone(),
            workspace_name: key_file.workspace_name().to_string(),
            encrypted: !cipher_version.is_empty() && !readable_without_key,
            cipher_version,
            cipher_provider: cipher_provider.unwrap_or_default(),
            integrity: None,
            search_index: None,
            kept_totals: None,
            protection: key_file.protection(),
            keychain_backend: self.env.keychain.backend(),
            keychain_unavailable: self.env.keychain.probe().err().map(|e| e.to_string()),
            schema_version: db::schema_version(&pool).await?,
            latest_schema_version: db::latest_schema_version(),
            unconfirmed_recovery_key: self.unconfirmed_recovery_key().await?,
            last_good_backup,
            backup_overdue,
        })
    }

    /// Reads and decrypts every page and says what SQLite's integrity check
    /// and SQLCipher's page HMAC check found, or that the user stopped it
    /// ([`Workspace::stop_integrity_check`]). It runs on a connection of its
    /// own with a small page cache, closed afterwards, so it holds no pooled
    /// connection while it reads and leaves no cache behind; other commands
    /// (WAL readers and writers) go on meanwhile. Locking ends it with
    /// [`Error::Locked`].
    pub async fn check_integrity(&self) -> Result<IntegrityOutcome> {
        let mut conn = {
            // Held until the read below pins a snapshot, so a key rotation
            // cannot rekey the file between opening with this key and reading.
            let data_key = self.data_key.lock().await;
            let mut conn = db::open_connection(&db::scan_options(&self.paths.database, &data_key)).await?;
            // Both checks see one snapshot: cipher_integrity_check reads the
            // main file itself, and the open read transaction keeps a
            // checkpoint from rewriting pages under it.
            sqlx::query("BEGIN").execute(&mut conn).await?;
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM sqlite_master").fetch_one(&mut conn).await?;
            conn
        };
        if let Err(err) = self.long_reads.start(&mut conn).await {
            let _ = conn.close().await;
            return Err(err);
        }
        let scanned = async {
            // A page that fails to decrypt stops SQLite's check with an error:
            // SQLITE_CORRUPT, or a bare SQLITE_ERROR when the page belongs to
            // some b-trees (a WITHOUT ROWID table's). The page check below
            // says which page it was; without one, the error was no damage.
            let mut stopped_by = None;
            let mut findings =
                match sqlx::query_scalar::<_, String>("PRAGMA integrity_check").fetch_all(&mut conn).await {
                    Ok(lines) => lines,
                    Err(err) => match db::damage_code(&err) {
                        Some(code) => vec![format!("the check stopped at a damaged page (sqlite code {code})")],
                        None if err.as_database_error().is_some() => {
                            let code = err.as_database_error().and_then(|e| e.code()).unwrap_or_default();
                            let line = format!("the check stopped at a page it could not read (sqlite code {code})");
                            stopped_by = Some(err);
                            vec![line]
                        }
                        None => return Err(err.into()),
                    },
                };
            // SQLCipher's page check runs as the statement is prepared, where
            // an interrupt does not reach: not started once halted.
            if let Some(halt) = self.long_reads.halted() {
                return Ok(Scan::Halted(halt));
            }
            let page_errors: Vec<String> =
                sqlx::query_scalar("PRAGMA cipher_integrity_check").fetch_all(&mut conn).await?;
            if !page_errors.is_empty() {
                findings.retain(|line| line != NO_DAMAGE);
                findings.extend(page_errors);
            } else if let Some(err) = stopped_by {
                return Err(err.into());
            }
            Ok::<_, Error>(Scan::Finished(findings))
        }
        .await;
        let halt = self.long_reads.finish();
        let _ = sqlx::query("ROLLBACK").execute(&mut conn).await;
        let closed = conn.close().await;
        // A check that read everything reports it, even if a stop came late;
        // otherwise an interrupted statement's failure means the halt.
        let halt = match scanned {
            Ok(Scan::Finished(findings)) => {
                closed?;
                return Ok(IntegrityOutcome::from_findings(findings));
            }
            Ok(Scan::Halted(halt)) => halt,
            Err(err) => halt.ok_or(err)?,
        };
        match halt {
            Halt::Locking => Err(Error::Locked),
            Halt::Stopped => Ok(IntegrityOutcome::Stopped),
        }
    }

    /// Gives back the memory the database connections cache; the next reads
    /// fill it again. For quiet spells (see `Session::release_memory_if_quiet`).
    pub async fn release_cache_memory(&self) -> Result<()> {
        db::release_cache_memory(&self.pool().await).await
    }

    /// Whether an integrity check is reading the database now.
    pub fn is_checking_integrity(&self) -> bool {
        self.long_reads.running()
    }

    /// Stops a running integrity check, and refuses new ones, so that
    /// locking does not wait for a scan of the whole database.
    pub fn stop_long_reads(&self) {
        self.long_reads.stop_all();
    }

    /// Stops the running integrity check, which then ends with
    /// [`IntegrityOutcome::Stopped`]; the next check runs as usual. Nothing
    /// happens when no check runs.
    pub fn stop_integrity_check(&self) {
        self.long_reads.stop_running();
    }
}

#[cfg(feature = "unencrypted-baseline")]
impl Workspace {
    /// BENCHMARKS ONLY: a workspace over an unencrypted database in `dir`,
    /// created if absent, so the same code measures what encryption costs.
    /// No key file is written; the key material it holds is a throwaway.
    pub async fn unencrypted_baseline(dir: &Path, env: Environment) -> Result<Workspace> {
        let paths = WorkspacePaths::new(dir);
        create_private_dir(&paths.dir)?;
        let protection = Protection::Passphrase(Passphrase::new("unencrypted baseline".to_string()));
        let now = env.clock.now().to_rfc3339();
        let (key_file, data_key, _recovery, unlocked) =
            KeyFile::create(uuid::Uuid::new_v4(), "baseline", &now, &protection, env.kdf, env.keychain.as_ref())?;
        let pool = db::open_unencrypted_baseline(&paths.database).await?;
        let process = ProcessLock::shared(&paths.dir, &env.holder)?;
        Ok(Workspace::assemble(pool, paths, env, key_file, data_key, unlocked, process))
    }
}

/// Flushes a file's bytes to the disk. Opened for writing, which Windows'
/// FlushFileBuffers needs.
fn fsync_file(path: &Path) -> Result<()> {
    let file = std::fs::OpenOptions::new().read(true).write(true).open(path).map_err(|e| Error::io(path, e))?;
    file.sync_all().map_err(|e| Error::io(path, e))
}

/// The data directory is readable by its owner only.
fn create_private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(|e| Error::io(dir, e))?;
    }
    Ok(())
}

/// Where the workspace lives: `explicit` (from `--data-dir` or
/// BIDWELL_DATA_DIR) if given, else the OS's local data directory's
/// `Bidwell` folder (`~/.local/share`, `~/Library/Application Support`,
/// `%LOCALAPPDATA%`). The local one, not Windows' roaming AppData, which a
/// roaming profile copies to a server at every logoff. The app and the CLI
/// both resolve it here, so they agree.
pub fn data_dir(explicit: Option<impl Into<PathBuf>>) -> Result<PathBuf> {
    if let Some(dir) = explicit {
        return Ok(dir.into());
    }
    dirs::data_local_dir()
        .map(|d| d.join("Bidwell"))
        .ok_or_else(|| Error::validation("data-dir", "this system has no data directory; pass --data-dir"))
}

/// Unlocks `key_file`; the keychain is asked through [`ask_keychain`].
async fn unlock_key_file(
    key_file: &KeyFile,
    how: &Unlock,
    keychain: &Arc<dyn KeyStore>,
) -> Result<(DataKey, UnlockedSlots)> {
    Ok(match how {
        Unlock::Keychain => {
            let key_file = key_file.clone();
            ask_keychain(keychain, move |k| key_file.unlock(&Unlock::Keychain, k)).await?
        }
        Unlock::Passphrase(_) | Unlock::RecoveryKey(_) => key_file.unlock(how, keychain.as_ref())?,
    })
}

/// Runs a key-file call that asks the keychain (create or unlock with it)
/// under the keychain's time limit, through `vault::off_runtime`, as for
/// marketplace tokens: a Secret Service waiting on an unlock prompt nobody
/// sees may never answer, and the call must then fail with
/// `keychain_unavailable` (the passphrase-less user has the recovery key)
/// rather than hang the app. A call with a passphrase or recovery key never
/// asks the keychain and runs in place, so its secret is not moved or copied.
async fn ask_keychain<T: Send + 'static>(
    keychain: &Arc<dyn KeyStore>,
    call: impl FnOnce(&dyn KeyStore) -> std::result::Result<T, crate::vault::VaultError> + Send + 'static,
) -> Result<T> {
    Ok(crate::vault::off_runtime(keychain.clone(), call).await?)
}
