//! What every stored record shares: insert, read, update, soft delete with
//! undo, and keyset pages. Each entity declares its table, its writable
//! columns and its children; the SQL here is written once.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sqlx::query_builder::Separated;
use sqlx::sqlite::SqliteRow;
use sqlx::{FromRow, QueryBuilder, Sqlite, SqliteConnection};

use crate::domain::{EntityKind, Meta};
use crate::error::{Error, Result};
use crate::id::Id;

pub(crate) type Binds<'qb, 'args> = Separated<'qb, 'args, Sqlite, &'static str>;

pub(crate) trait Record: for<'r> FromRow<'r, SqliteRow> + Send + Unpin {
    const TABLE: &'static str;
    /// What reads select from: the table itself, or a subquery over it that
    /// keeps the table's column names and adds derived ones (each a
    /// primary-key join, which SQLite flattens into the read, so a list stays
    /// one query that walks the same index).
    const SOURCE: &'static str = Self::TABLE;
    const KIND: EntityKind;
    /// The column `Sort::Name` orders by.
    const LABEL: &'static str;
    /// Writable columns, in the order `bind_fields` binds them.
    const FIELDS: &'static [&'static str];
    /// Tables whose rows are soft-deleted and restored with this one: (table, foreign key).
    const CHILDREN: &'static [(&'static str, &'static str)] = &[];
    /// The column `Sort::Due` orders by; kinds without a due time refuse that order.
    const DUE: Option<&'static str> = None;
    /// The column `Sort::Happened` orders by; kinds that record no time
    /// something happened refuse that order.
    const HAPPENED: Option<&'static str> = None;

    fn meta(&self) -> &Meta;
    fn label(&self) -> &str;
    /// Its value of the `DUE` column.
    fn due(&self) -> Option<DateTime<Utc>> {
        None
    }
    /// Its value of the `HAPPENED` column.
    fn happened(&self) -> Option<DateTime<Utc>> {
        None
    }
    fn bind_fields(&self, binds: &mut Binds<'_, '_>);
}

/// The order of a list. Every order ends in the id, so pages never overlap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Newest,
    Oldest,
    Name,
    Updated,
    /// Soonest due first; records without a due time come before the rest
    /// (SQLite's order of NULL), so a list of what is due filters them out.
    /// Only tasks have a due time; other lists refuse this order.
    Due,
    /// Latest first by when it happened, not when it was written down: a
    /// timeline, where a call logged today may have happened last week.
    /// Only activities record that time; other lists refuse this order.
    Happened,
}

impl std::str::FromStr for Sort {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "newest" => Ok(Sort::Newest),
            "oldest" => Ok(Sort::Oldest),
            "name" => Ok(Sort::Name),
            "updated" => Ok(Sort::Updated),
            "due" => Ok(Sort::Due),
            "happened" => Ok(Sort::Happened),
            _ => Err(Error::validation(
                "sort",
                format!("'{s}' is not one of: newest, oldest, name, updated, due, happened"),
            )),
        }
    }
}

pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 1000;

/// The page limits as data for the UI (ui/src/bindings/Paging.ts): a list
/// read back far down asks for the largest pages the core gives.
pub(crate) fn typescript() -> String {
    format!(
        "// Generated from crates/core/src/store/record.rs. Do not edit.\n\n\
         /** The most items one page of a list may hold; a larger limit is refused. */\n\
         export const MAX_PAGE = {MAX_PAGE};\n"
    )
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
#[ts(optional_fields)]
pub struct PageRequest {
    /// 1..=1000; 0 means the default of 50.
    pub limit: u32,
    /// The `next` of the previous page.
    pub after: Option<String>,
    pub sort: Sort,
    /// Also list soft-deleted records (to restore them).
    pub include_deleted: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Cursor {
    s: Sort,
    k: Option<String>,
    i: Id,
}

fn encode_cursor(c: &Cursor) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(c).unwrap_or_default())
}

fn decode_cursor(text: &str, sort: Sort) -> Result<Cursor> {
    let bad = || Error::validation("after", "is not a cursor from this list; start again without it");
    let bytes = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| bad())?;
    let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    // Name, Updated and Happened pages end on a key, Newest and Oldest on the
    // id alone; a Due page ends on a due time, or on none among the records without one.
    let keyed = match sort {
        Sort::Name | Sort::Updated | Sort::Happened => Some(true),
        Sort::Newest | Sort::Oldest => Some(false),
        Sort::Due => None,
    };
    if cursor.s != sort || keyed.is_some_and(|keyed| keyed != cursor.k.is_some()) {
        return Err(bad());
    }
    Ok(cursor)
}

/// Timestamps in the same text form sqlx stores, so keys compare as stored.
pub(crate) fn stored_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

pub(crate) fn new_meta(now: DateTime<Utc>) -> Meta {
    Meta { id: Id::new_at(now), created_at: now, updated_at: now, deleted_at: None }
}

/// Columns every record has before its `FIELDS`, bound by [`bind_row`].
pub(crate) const META_COLUMNS: usize = 4;
/// Their names, in that order (the export's CSV headers start with them).
pub(crate) const META_COLUMNS_NAMES: [&str; META_COLUMNS] = ["id", "created_at", "updated_at", "deleted_at"];

/// `INSERT INTO table (columns) `, ready for `push_values`: one row or many.
pub(crate) fn insert_head<R: Record>() -> String {
    format!("INSERT INTO {} (id, created_at, updated_at, deleted_at, {}) ", R::TABLE, R::FIELDS.join(", "))
}

/// Binds one record's values in the order of [`insert_head`].
pub(crate) fn bind_row<R: Record>(binds: &mut Binds<'_, '_>, record: &R) {
    let meta = record.meta();
    binds.push_bind(meta.id);
    binds.push_bind(meta.created_at);
    binds.push_bind(meta.updated_at);
    binds.push_bind(meta.deleted_at);
    record.bind_fields(binds);
}

pub(crate) async fn insert<R: Record>(conn: &mut SqliteConnection, record: &R) -> Result<()> {
    let mut qb = QueryBuilder::<Sqlite>::new(insert_head::<R>());
    qb.push_values(std::iter::once(record), |mut binds, record| bind_row(&mut binds, record));
    qb.build().execute(conn).await?;
    Ok(())
}

pub(crate) async fn update<R: Record>(conn: &mut SqliteConnection, record: &R) -> Result<()> {
    let mut qb =
        QueryBuilder::<Sqlite>::new(format!("UPDATE {} SET (updated_at, {}) = (", R::TABLE, R::FIELDS.join(", ")));
    {
        let mut binds = qb.separated(", ");
        binds.push_bind(record.meta().updated_at);
        record.bind_fields(&mut binds);
    }
    qb.push(") WHERE id = ").push_bind(record.meta().id);
    qb.build().execute(conn).await?;
    Ok(())
}

pub(crate) async fn fetch<R: Record>(conn: &mut SqliteConnection, id: Id, include_deleted: bool) -> Result<R> {
    let sql = format!(
        "SELECT * FROM {} WHERE id = ?{}",
        R::SOURCE,
        if include_deleted { "" } else { " AND deleted_at IS NULL" }
    );
    sqlx::query_as::<_, R>(&sql).bind(id).fetch_optional(conn).await?.ok_or_else(|| Error::not_found(R::KIND, id))
}

/// The records with these ids, deleted ones included, by id: one read for a
/// batch. Ids with no record are not in the map.
pub(crate) async fn fetch_each<R: Record>(
    conn: &mut SqliteConnection,
    ids: &[Id],
) -> Result<std::collections::HashMap<Id, R>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let sql = format!("SELECT * FROM {} WHERE id IN {}", R::SOURCE, parameters(ids.len()));
    let mut query = sqlx::query_as::<_, R>(&sql);
    for id in ids {
        query = query.bind(*id);
    }
    Ok(query.fetch_all(conn).await?.into_iter().map(|r| (r.meta().id, r)).collect())
}

/// `(?, ?, …)`: a list of `n` parameters for `IN`, so that a batch is one
/// statement (each is a round trip to the connection's thread). `n` is at
/// most a page or a batch, far inside SQLite's limit of parameters.
pub(crate) fn parameters(n: usize) -> String {
    format!("({})", vec!["?"; n].join(", "))
}

/// Fails with NotFound naming `R` unless a live record with this id exists.
pub(crate) async fn ensure_live<R: Record>(conn: &mut SqliteConnection, id: Id) -> Result<()> {
    let sql = format!("SELECT 1 FROM {} WHERE id = ? AND deleted_at IS NULL", R::TABLE);
    match sqlx::query_scalar::<_, i64>(&sql).bind(id).fetch_optional(conn).await? {
        Some(_) => Ok(()),
        None => Err(Error::not_found(R::KIND, id)),
    }
}

/// Soft delete, with the same stamp on the children it takes along, so that
/// restore brings back exactly what this delete removed.
pub(crate) async fn soft_delete<R: Record>(conn: &mut SqliteConnection, id: Id, now: DateTime<Utc>) -> Result<()> {
    let done = sqlx::query(&format!(
        "UPDATE {} SET deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL",
        R::TABLE
    ))
    .bind(now)
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::not_found(R::KIND, id));
    }
    for (table, key) in R::CHILDREN {
        sqlx::query(&format!(
            "UPDATE {table} SET deleted_at = ?, updated_at = ? WHERE {key} = ? AND deleted_at IS NULL"
        ))
        .bind(now)
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub(crate) async fn restore<R: Record>(conn: &mut SqliteConnection, id: Id, now: DateTime<Utc>) -> Result<()> {
    let record: R = fetch(conn, id, true).await?;
    let Some(stamp) = record.meta().deleted_at else {
        return Err(Error::validation("id", format!("{} {id} is not deleted", R::KIND)));
    };
    sqlx::query(&format!("UPDATE {} SET deleted_at = NULL, updated_at = ? WHERE id = ?", R::TABLE))
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for (table, key) in R::CHILDREN {
        sqlx::query(&format!(
            "UPDATE {table} SET deleted_at = NULL, updated_at = ? WHERE {key} = ? AND deleted_at = ?"
        ))
        .bind(now)
        .bind(id)
        .bind(stamp)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// One keyset page. `filter` appends ` AND …` conditions.
pub(crate) async fn list<R: Record>(
    conn: &mut SqliteConnection,
    page: &PageRequest,
    filter: impl FnOnce(&mut QueryBuilder<'_, Sqlite>),
) -> Result<Page<R>> {
    let (mut qb, limit) = page_query::<R>(page, filter)?;
    let mut items: Vec<R> = qb.build_query_as().fetch_all(conn).await?;
    let next = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|last| {
            let k = match page.sort {
                Sort::Name => Some(last.label().to_string()),
                Sort::Updated => Some(stored_time(&last.meta().updated_at)),
                Sort::Due => last.due().map(|due| stored_time(&due)),
                Sort::Happened => last.happened().map(|at| stored_time(&at)),
                Sort::Newest | Sort::Oldest => None,
            };
            encode_cursor(&Cursor { s: page.sort, k, i: last.meta().id })
        })
    } else {
        None
    };
    Ok(Page { items, next })
}

/// The statement that reads one page of [`list`], and the page's size. It
/// asks for one row more than that, which says whether another page follows.
fn page_query<R: Record>(
    page: &PageRequest,
    filter: impl FnOnce(&mut QueryBuilder<'_, Sqlite>),
) -> Result<(QueryBuilder<'static, Sqlite>, u32)> {
    let limit = match page.limit {
        0 => DEFAULT_PAGE,
        n if n > MAX_PAGE => return Err(Error::validation("limit", format!("is at most {MAX_PAGE}"))),
        n => n,
    };
    let due = match (page.sort, R::DUE) {
        (Sort::Due, None) => {
            return Err(Error::validation("sort", format!("a {} has no due time to sort by", R::KIND)))
        }
        (_, due) => due.unwrap_or_default(),
    };
    let happened = match (page.sort, R::HAPPENED) {
        (Sort::Happened, None) => {
            return Err(Error::validation("sort", format!("a {} records no time it happened to sort by", R::KIND)))
        }
        (_, happened) => happened.unwrap_or_default(),
    };
    let cursor = page.after.as_deref().map(|c| decode_cursor(c, page.sort)).transpose()?;
    let mut qb = QueryBuilder::<Sqlite>::new(format!("SELECT * FROM {} WHERE 1 = 1", R::SOURCE));
    if !page.include_deleted {
        qb.push(" AND deleted_at IS NULL");
    }
    filter(&mut qb);
    let label = R::LABEL;
    if let Some(c) = cursor {
        match page.sort {
            Sort::Newest => qb.push(" AND id < ").push_bind(c.i),
            Sort::Oldest => qb.push(" AND id > ").push_bind(c.i),
            Sort::Name => qb.push(format!(" AND ({label}, id) > (")).push_bind(c.k).push(", ").push_bind(c.i).push(")"),
            Sort::Updated => qb.push(" AND (updated_at, id) < (").push_bind(c.k).push(", ").push_bind(c.i).push(")"),
            Sort::Happened => {
                qb.push(format!(" AND ({happened}, id) < (")).push_bind(c.k).push(", ").push_bind(c.i).push(")")
            }
            // After a record with a due time: those due later (the undated ones came first).
            Sort::Due if c.k.is_some() => {
                qb.push(format!(" AND ({due}, id) > (")).push_bind(c.k).push(", ").push_bind(c.i).push(")")
            }
            // Still among those without one: the rest of them, then every dated record.
            Sort::Due => qb.push(format!(" AND ({due} IS NOT NULL OR id > ")).push_bind(c.i).push(")"),
        };
    }
    qb.push(match page.sort {
        Sort::Newest => " ORDER BY id DESC".to_string(),
        Sort::Oldest => " ORDER BY id ASC".to_string(),
        Sort::Name => format!(" ORDER BY {label}, id"),
        Sort::Updated => " ORDER BY updated_at DESC, id DESC".to_string(),
        Sort::Due => format!(" ORDER BY {due}, id"),
        Sort::Happened => format!(" ORDER BY {happened} DESC, id DESC"),
    });
    qb.push(" LIMIT ").push_bind(i64::from(limit) + 1);
    Ok((qb, limit))
}

/// How SQLite reads a list's pages, for tests that hold a list to an index.
#[cfg(test)]
pub(crate) mod query_plan {
    use sqlx::Row;

    use super::*;

    /// The query plans of the first page and of a later one (SQLite's
    /// `EXPLAIN QUERY PLAN` lines, joined) of the list of `R` in `sort`, with
    /// `filter`'s conditions, in a new workspace database. SQLite plans a
    /// statement before its parameters are bound, so the plan is explained
    /// with them unbound.
    pub(crate) async fn of_pages<R: Record>(sort: Sort, filter: impl Fn(&mut QueryBuilder<'_, Sqlite>)) -> [String; 2] {
        let last: DateTime<Utc> = "2026-11-01T09:00:00Z".parse().unwrap();
        let sort_key =
            matches!(sort, Sort::Name | Sort::Updated | Sort::Due | Sort::Happened).then(|| stored_time(&last));
        let later = encode_cursor(&Cursor { s: sort, k: sort_key, i: Id::new_at(last) });
        let mut statements = Vec::new();
        for after in [None, Some(later)] {
            let page = PageRequest { sort, after, ..PageRequest::default() };
            let (statement, _) = page_query::<R>(&page, &filter).unwrap();
            statements.push(statement.sql().to_string());
        }
        let mut plans = of_statements(&statements).await;
        [plans.remove(0), plans.remove(0)]
    }

    /// The query plans of `statements` (parameters unbound) in a new workspace database.
    pub(crate) async fn of_statements(statements: &[String]) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.db");
        let key = crate::secret::DataKey::generate();
        let pool =
            crate::store::db::open_pool(crate::store::db::encrypted_options(&path, &key, true), &path).await.unwrap();
        crate::store::db::migrate(&pool).await.unwrap();
        let mut plans = Vec::new();
        for statement in statements {
            let rows = sqlx::query(&format!("EXPLAIN QUERY PLAN {statement}")).fetch_all(&pool).await.unwrap();
            plans.push(rows.iter().map(|row| row.get::<String, _>("detail")).collect::<Vec<_>>().join("\n"));
        }
        pool.close().await;
        plans
    }

    /// The query plan of `sql` (unbound parameters), in a new workspace database.
    pub(crate) async fn of_statement(sql: &str) -> String {
        of_statements(&[sql.to_string()]).await.remove(0)
    }
}
