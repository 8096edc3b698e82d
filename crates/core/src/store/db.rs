//! Opening the SQLCipher database. The only way in is with a data key; the
//! single exception is the benchmarks' unencrypted baseline, behind a feature
//! the app never enables.

use std::path::Path;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection};

use crate::error::{Error, Result};
use crate::secret::DataKey;

pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

/// SQLITE_NOTADB: with a key that unwrapped correctly this means damage.
const SQLITE_NOTADB: i32 = 26;
/// SQLITE_CORRUPT (and its extended codes): the file's structure is damaged.
const SQLITE_CORRUPT: i32 = 11;

fn base_options(path: &Path, create: bool) -> SqliteConnectOptions {
    // Before SQLCipher first touches OpenSSL: no OpenSSL teardown at exit
    // while a connection's thread may still be using it (process.rs).
    crate::process::keep_crypto_through_exit();
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(create)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
        // Deleted content is overwritten, not left in free pages; temporary
        // tables and indices never touch the disk.
        .pragma("secure_delete", "ON")
        .pragma("temp_store", "MEMORY")
        .pragma("cache_size", "-32000")
        // sqlx logs every statement, PRAGMA key included, unless told not to.
        .disable_statement_logging()
}

/// Options for the encrypted database. sqlx sends `key` before any other pragma.
pub(crate) fn encrypted_options(path: &Path, key: &DataKey, create: bool) -> SqliteConnectOptions {
    base_options(path, create).pragma("key", key.sqlcipher_key_pragma().to_string())
}

/// Options for one connection that reads the whole file (the integrity
/// check): the pool's settings with a 2 MB page cache instead of 32 MB, since
/// a scan touches every page once and caching them helps nothing after it.
pub(crate) fn scan_options(path: &Path, key: &DataKey) -> SqliteConnectOptions {
    encrypted_options(path, key, false).pragma("cache_size", "-2000")
}

/// Whether SQLite without any key reads the database at `path` (an
/// encrypted one it cannot: its first page is not a SQLite header). Asked
/// of SQLite rather than read from the file here: closing a file of our own
/// on the database drops every POSIX lock this process holds on it,
/// SQLite's included, and a command run beside the app would then take
/// itself for the last user and delete the WAL and its index under the app.
pub(crate) async fn readable_without_key(path: &Path) -> Result<bool> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .busy_timeout(Duration::from_secs(5))
        .disable_statement_logging();
    let mut conn = open_connection(&options).await?;
    let read = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM sqlite_master").fetch_one(&mut conn).await;
    let _ = conn.close().await;
    match read {
        Ok(_) => Ok(true),
        Err(err) if primary_code(&err) == Some(SQLITE_NOTADB) => Ok(false),
        Err(err) => Err(err.into()),
    }
}

/// One connection outside the pool, classified like the pool's first open.
pub(crate) async fn open_connection(options: &SqliteConnectOptions) -> Result<SqliteConnection> {
    let path = options.get_filename().to_path_buf();
    SqliteConnection::connect_with(options).await.map_err(|e| classify_open_error(e, &path))
}

/// The SQLite code, when SQLite stopped because a page is damaged (or fails
/// to decrypt) rather than for some other reason.
pub(crate) fn damage_code(err: &sqlx::Error) -> Option<String> {
    if !matches!(primary_code(err), Some(SQLITE_CORRUPT | SQLITE_NOTADB)) {
        return None;
    }
    // The extended code, which says more than the primary one.
    Some(err.as_database_error()?.code()?.into_owned())
}

/// SQLite's primary result code of a database error: the low byte of the
/// extended code sqlx reports (SQLITE_CORRUPT_INDEX 779 is SQLITE_CORRUPT 11).
fn primary_code(err: &sqlx::Error) -> Option<i32> {
    Some(err.as_database_error()?.code()?.parse::<i32>().ok()? & 0xff)
}

/// How every transaction that writes begins: it takes the write lock at
/// once, waiting up to the busy timeout for another writer to finish. A
/// plain (deferred) transaction that has read and then writes gets
/// SQLITE_BUSY at once, without waiting, when another connection holds the
/// write lock at that moment: SQLite runs no busy handler for a transaction
/// that already reads (waiting could deadlock). Under load that was a
/// `database_busy` from an edit right after a failed one, whose rollback on
/// its own connection had not run yet.
pub(crate) const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

pub(crate) async fn open_pool(options: SqliteConnectOptions, path: &Path) -> Result<SqlitePool> {
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .min_connections(1)
        // A connection given back inside a transaction is closed (which
        // rolls it back), not reused: a `begin_with` whose future was
        // dropped between SQLite's BEGIN and sqlx's check leaves no
        // `Transaction` to end it, and the next user would then write into
        // a transaction nobody commits (sqlx makes its BEGIN a SAVEPOINT).
        .after_release(|conn, _| Box::pin(async move { Ok(!conn.is_in_transaction()) }))
        .connect_with(options)
        .await
        .map_err(|e| classify_open_error(e, path))?;
    // The first read proves the key; do it before anything is written.
    sqlx::query_scalar::<_, i64>("SELECT count(*) FROM sqlite_master")
        .fetch_one(&pool)
        .await
        .map_err(|e| classify_open_error(e, path))?;
    Ok(pool)
}

/// Closes every connection of `pool`, and with the last one the WAL file,
/// before it returns. sqlx 0.8's `Pool::close` alone does not (sqlx issue
/// #3217, fixed after 0.8.6): it can return while a connection that was
/// being given back is still closing, or with one that went idle after it
/// emptied the idle queue; and two connections closing at once both see
/// the other open, so neither removes the WAL. Locking must leave nothing
/// open: a connection closing late would delete the WAL by name after a
/// restore put another database in its place.
pub(crate) async fn close_pool(pool: &SqlitePool) {
    for _ in 0..CLOSE_POLLS {
        // Each pass also closes connections that went idle after the last one.
        pool.close().await;
        if pool.size() == 0 {
            break;
        }
        // The rest are closing on their own: a connection closes in well under a millisecond.
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    if pool.size() != 0 {
        tracing::warn!("a database connection was still closing when the workspace was locked");
        return;
    }
    let wal = wal_file(&pool.connect_options());
    if wal.exists() {
        // Alone, this connection is the last one: closing it checkpoints and removes the WAL.
        let removed = async { open_connection(&pool.connect_options()).await?.close().await.map_err(Error::from) };
        if let Err(e) = removed.await {
            tracing::warn!(code = ?e.code(), "the WAL file could not be folded into the database");
        }
    }
}

/// Polls of [`close_pool`] for connections still closing: 5 s at most.
const CLOSE_POLLS: usize = 2500;

/// SQLite's write-ahead log beside the database `options` open.
fn wal_file(options: &SqliteConnectOptions) -> std::path::PathBuf {
    let mut name = options.get_filename().as_os_str().to_owned();
    name.push("-wal");
    name.into()
}

fn classify_open_error(err: sqlx::Error, path: &Path) -> Error {
    if primary_code(&err) == Some(SQLITE_NOTADB) {
        return Error::DatabaseCorrupt { path: path.to_path_buf() };
    }
    Error::from(err)
}

pub(crate) async fn migrate(pool: &SqlitePool) -> Result<()> {
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// Whether `migrate` has anything to do: a migration this build knows that
/// the database has not applied (or no migration table at all).
pub(crate) async fn migrations_pending(pool: &SqlitePool) -> Result<bool> {
    let has_table: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'")
            .fetch_one(pool)
            .await?;
    if has_table == 0 {
        return Ok(true);
    }
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = 1").fetch_all(pool).await?;
    Ok(MIGRATOR.iter().any(|m| !m.migration_type.is_down_migration() && !applied.contains(&m.version)))
}

/// The newest migration applied, which is the schema version users see.
pub(crate) async fn schema_version(pool: &SqlitePool) -> Result<i64> {
    let v: Option<i64> =
        sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success = 1").fetch_one(pool).await?;
    Ok(v.unwrap_or(0))
}

/// The newest migration this build knows.
pub fn latest_schema_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// An unencrypted database, for measuring what encryption costs.
#[cfg(feature = "unencrypted-baseline")]
pub async fn open_unencrypted_baseline(path: &Path) -> Result<SqlitePool> {
    let pool = open_pool(base_options(path, true), path).await?;
    migrate(&pool).await?;
    Ok(pool)
}

/// Gives back what the pool's idle connections hold: one keeps its place
/// with its page cache emptied (up to 32 MB, read again on next use), the
/// others are closed, with their prepared statements, schema and worker
/// thread; the pool opens them again when work needs them (a connection is
/// a file open and a schema read: the key is raw, nothing is derived).
/// Connections in use are left alone.
pub(crate) async fn release_cache_memory(pool: &SqlitePool) -> Result<()> {
    let mut idle = Vec::new();
    while let Some(conn) = pool.try_acquire() {
        idle.push(conn);
    }
    if let Some(kept) = idle.first_mut() {
        sqlx::query("PRAGMA shrink_memory").execute(&mut **kept).await?;
    }
    for conn in idle.drain(..).skip(1) {
        // A connection that fails to close is gone from the pool anyway.
        let _ = conn.close().await;
    }
    drop(idle);
    // The freed pages sit in glibc's per-thread arenas (each connection has a
    // worker thread) and stay resident until trimmed.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap memory to the OS.
    unsafe {
        libc::malloc_trim(0);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scan must not fill a 32 MB cache like the pool's connections do.
    #[tokio::test]
    async fn the_scan_connection_keeps_a_small_page_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scan.db");
        let key = DataKey::generate();
        let pool = open_pool(encrypted_options(&path, &key, true), &path).await.unwrap();
        let pooled: i64 = sqlx::query_scalar("PRAGMA cache_size").fetch_one(&pool).await.unwrap();
        let mut scan = open_connection(&scan_options(&path, &key)).await.unwrap();
        let scanning: i64 = sqlx::query_scalar("PRAGMA cache_size").fetch_one(&mut scan).await.unwrap();
        assert_eq!((pooled, scanning), (-32000, -2000));
        scan.close().await.unwrap();
        pool.close().await;
    }

    /// A dropped connection goes back to the pool by a task of the pool's, so
    /// it shows as idle a moment later; wait for that (bounded), then report
    /// how many connections the pool holds.
    async fn size_once_idle(pool: &SqlitePool, idle: usize) -> u32 {
        for _ in 0..500 {
            if pool.num_idle() == idle {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(pool.num_idle(), idle, "idle connections after waiting 5 s");
        pool.size()
    }

    /// A quiet spell leaves one open connection, its cache emptied; the pool
    /// opens more again when work needs them, and they read the same data.
    #[tokio::test]
    async fn a_quiet_spell_closes_all_idle_connections_but_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("quiet.db");
        let key = DataKey::generate();
        let pool = open_pool(encrypted_options(&path, &key, true), &path).await.unwrap();
        sqlx::query("CREATE TABLE t (x)").execute(&pool).await.unwrap();
        sqlx::query("INSERT INTO t VALUES (42)").execute(&pool).await.unwrap();
        let mut busy = Vec::new();
        for _ in 0..4 {
            busy.push(pool.acquire().await.unwrap());
        }
        drop(busy);
        // As after a quiet minute: all four given back and idle.
        assert_eq!(size_once_idle(&pool, 4).await, 4);

        release_cache_memory(&pool).await.unwrap();
        assert_eq!(size_once_idle(&pool, 1).await, 1);

        let mut again = Vec::new();
        for _ in 0..3 {
            let mut conn = pool.acquire().await.unwrap();
            let x: i64 = sqlx::query_scalar("SELECT x FROM t").fetch_one(&mut *conn).await.unwrap();
            assert_eq!(x, 42);
            again.push(conn);
        }
        assert_eq!(pool.size(), 3);
        drop(again);
        close_pool(&pool).await;
    }

    /// The doctor's "encrypted" comes from here: SQLite without a key reads a
    /// plain database and not ours, with the pool open and its WAL in use.
    #[tokio::test]
    async fn only_a_plain_database_is_readable_without_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let ours = dir.path().join("ours.db");
        let pool = open_pool(encrypted_options(&ours, &DataKey::generate(), true), &ours).await.unwrap();
        sqlx::query("CREATE TABLE t (x)").execute(&pool).await.unwrap();
        assert!(!readable_without_key(&ours).await.unwrap());
        close_pool(&pool).await;

        let plain = dir.path().join("plain.db");
        let options = SqliteConnectOptions::new().filename(&plain).create_if_missing(true);
        let mut conn = SqliteConnection::connect_with(&options).await.unwrap();
        sqlx::query("CREATE TABLE t (x)").execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
        assert!(readable_without_key(&plain).await.unwrap());
    }

    /// A connection given back just as the pool closes is closed too: an
    /// open one keeps the WAL file, and with it the database, open after the
    /// workspace is locked. It is a race, so it is run many times.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn closing_the_pool_closes_a_connection_given_back_meanwhile() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("close.db");
        let key = DataKey::generate();
        let wal = dir.path().join("close.db-wal");
        for round in 0..300 {
            let pool = open_pool(encrypted_options(&path, &key, true), &path).await.unwrap();
            // Given back by a task of its own, as every pooled query's connection is.
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&pool).await.unwrap();
            close_pool(&pool).await;
            assert_eq!(pool.size(), 0, "round {round}: a connection is still open");
            assert!(!wal.exists(), "round {round}: the WAL outlived the pool");
        }
    }
}
