//! Many records at once, for the seed generator and imports. Rows go in
//! multi-row INSERTs, so the fixed cost of a statement (the trip to sqlx's
//! worker thread, binding, one VM run) is paid per few hundred rows instead
//! of per row. The search triggers still fire for every row, inside the same
//! statement (queueing it, unless the writer indexes its own inserts:
//! `search::pause_queue`). The caller owns the transaction and checks the
//! records first: nothing here validates.

use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::record::{self, Record};
use crate::domain::EntityKind;
use crate::error::Result;
use crate::id::Id;

/// SQLite's default limit on bound variables in one statement (3.32 and later).
const MAX_VARIABLES: usize = 32_766;

/// Rows per statement, below the variable limit for the widest table (jobs,
/// 20 columns). Measured on the seed mix (50 k records, FTS triggers on):
/// 1 row per statement 4.7 k rows/s, 16 rows 12 k, 64 rows 14 k, 256 rows
/// 20 k, 1000 rows 22 k, 1600 rows 20 k. Past a few hundred rows the
/// per-row trigger work dominates (docs/performance.md).
const MAX_ROWS: usize = 1000;

fn rows_per_statement(columns: usize) -> usize {
    (MAX_VARIABLES / columns.max(1)).clamp(1, MAX_ROWS)
}

/// Page cache for bulk writes, in KiB (SQLite's negative form): 256 MB.
/// Bulk writes touch index pages all over the file (names, ids, the FTS
/// b-tree); with the default 32 MB most are evicted between rows and, under
/// SQLCipher, read and decrypted again (docs/performance.md).
const BULK_CACHE_KIB: i64 = 262_144;

/// Gives `conn` the bulk page cache; returns its previous setting for
/// [`restore_cache`]. SQLite only allocates pages as they are used.
pub(crate) async fn enlarge_cache(conn: &mut SqliteConnection) -> Result<i64> {
    let previous: i64 = sqlx::query_scalar("PRAGMA cache_size").fetch_one(&mut *conn).await?;
    sqlx::query(&format!("PRAGMA cache_size = -{BULK_CACHE_KIB}")).execute(&mut *conn).await?;
    Ok(previous)
}

/// Gives back the cache setting [`enlarge_cache`] returned, and the memory.
/// Should that fail, the connection is closed when dropped rather than go
/// back to the pool holding the bulk cache.
pub(crate) async fn restore_cache(conn: &mut PoolConnection<Sqlite>, previous: i64) {
    if sqlx::query(&format!("PRAGMA cache_size = {previous}")).execute(&mut **conn).await.is_err() {
        conn.close_on_drop();
    }
}

/// Inserts `records` of one kind, in order, on `conn`.
pub(crate) async fn insert_many<R: Record>(conn: &mut SqliteConnection, records: &[R]) -> Result<()> {
    for chunk in records.chunks(rows_per_statement(record::META_COLUMNS + R::FIELDS.len())) {
        let mut qb = QueryBuilder::<Sqlite>::new(record::insert_head::<R>());
        qb.push_values(chunk, |mut binds, r| record::bind_row(&mut binds, r));
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Tags records of one kind: `(record, tag)` pairs. Tags that do not exist
/// yet are created (names compare without case, as everywhere).
pub(crate) async fn tag_many(
    conn: &mut SqliteConnection,
    kind: EntityKind,
    links: &[(Id, &str)],
    now: DateTime<Utc>,
) -> Result<()> {
    let mut names: Vec<&str> = links.iter().map(|(_, name)| *name).collect();
    names.sort_unstable();
    names.dedup();
    for chunk in names.chunks(rows_per_statement(3)) {
        let mut qb = QueryBuilder::<Sqlite>::new("INSERT INTO tags (id, name, created_at) ");
        qb.push_values(chunk, |mut b, name| {
            b.push_bind(Id::new_at(now)).push_bind(*name).push_bind(now);
        });
        qb.push(" ON CONFLICT (name) DO NOTHING");
        qb.build().execute(&mut *conn).await?;
    }
    for chunk in links.chunks(rows_per_statement(2)) {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "INSERT OR IGNORE INTO entity_tags (tag_id, entity_kind, entity_id) SELECT t.id, ",
        );
        qb.push_bind(kind).push(", v.column1 FROM (");
        qb.push_values(chunk, |mut b, (id, name)| {
            b.push_bind(*id).push_bind(*name);
        });
        qb.push(") AS v JOIN tags AS t ON t.name = v.column2");
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}
