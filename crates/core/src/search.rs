//! Full-text search over every entity, and the FTS5 index behind it.
//!
//! Writes queue a record in `search_pending` (migration 0017's triggers);
//! an import indexes its own inserts instead, in its transaction
//! ([`pause_queue`], migration 0022).
//! [`Workspace::catch_up_search_index`] indexes the queue in large batches,
//! and every search runs it first, so the index may trail the tables but no
//! search ever sees it trail. Removal never waits: the triggers take a
//! deleted or rewritten record's old text out of the index at once.
//!
//! Each word the user types is a prefix. Hits whose title holds every word
//! come first, then the rest; within each, the most recently indexed first.
//! Restricted clients and their records are left out of the results.

use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use crate::domain::EntityKind;
use crate::error::{Error, Result};
use crate::id::Id;
use crate::store::bulk;
use crate::store::db::BEGIN_WRITE;
use crate::Workspace;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, ts_rs::TS)]
pub struct SearchHit {
    pub kind: EntityKind,
    pub id: Id,
    pub title: String,
    /// The matching words in context, marked with « ».
    pub snippet: String,
}

/// What [`Workspace::check_search_index`] found, and whether it mended it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SearchIndexReport {
    /// Documents in the index after the check (records, custom values).
    pub documents: u64,
    /// Records that should be findable and were neither indexed nor queued.
    pub missing: u64,
    /// Index entries for records that are gone, deleted, or that have no
    /// text entry (and text entries that belong to no record).
    pub orphaned: u64,
    /// Index entries whose text is not the record's text now.
    pub stale: u64,
    /// FTS5's own check of its index against the text it holds failed.
    pub damaged: bool,
    /// The index was rebuilt where it disagreed (always, when anything did).
    pub repaired: bool,
}

impl SearchIndexReport {
    pub fn in_step(&self) -> bool {
        self.missing == 0 && self.orphaned == 0 && self.stale == 0 && !self.damaged
    }
}

/// One kind of record in the index: the table it lives in and the SQL (over
/// the alias `src`) of its title and body. The only place these are written:
/// the catch-up builds documents with them and the check compares with them.
struct IndexedKind {
    kind: &'static str,
    table: &'static str,
    title: &'static str,
    body: &'static str,
}

const INDEXED_KINDS: &[IndexedKind] = &[
    IndexedKind {
        kind: "client",
        table: "clients",
        title: "src.name",
        body: "concat_ws(' ', src.email, src.phone, src.company, src.website, src.country, src.notes)",
    },
    IndexedKind {
        kind: "contact",
        table: "contacts",
        title: "src.name",
        body: "concat_ws(' ', src.email, src.phone, src.role, src.notes)",
    },
    IndexedKind { kind: "project", table: "projects", title: "src.name", body: "concat_ws(' ', src.description)" },
    IndexedKind {
        kind: "job",
        table: "jobs",
        title: "src.title",
        body: "concat_ws(' ', src.description, src.employer_name, src.my_notes, \
               (SELECT group_concat(value, ' ') FROM json_each(src.skills)))",
    },
    IndexedKind {
        kind: "bid",
        table: "bids",
        title: "(SELECT title FROM jobs WHERE id = src.job_id)",
        body: "concat_ws(' ', src.proposal)",
    },
    IndexedKind { kind: "milestone", table: "milestones", title: "src.title", body: "''" },
    IndexedKind { kind: "activity", table: "activities", title: "src.kind", body: "concat_ws(' ', src.body)" },
    IndexedKind { kind: "task", table: "tasks", title: "src.title", body: "concat_ws(' ', src.notes)" },
];

/// A custom field's value is a document of its own (`cv:<field>:<record>`)
/// that stands for its record (`record_id`), with an empty title.
const VALUE_DOCS: &str = "FROM custom_values v JOIN custom_fields cf ON cf.id = v.field_id";

/// Documents indexed per transaction: large enough that FTS5 writes few,
/// large segments; small enough that a search behind a big import waits for
/// one batch at a time rather than for the whole queue under one lock.
const CATCH_UP_BATCH: i64 = 20_000;

/// The words of a query, split as the index's tokenizer splits text.
fn query_words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect()
}

/// `alice exa` → `"alice"* AND "exa"*`: every word must match as a prefix.
/// Quoting each word keeps FTS5 operators typed by the user literal. A word
/// of one ASCII letter or digit is asked as itself or any of its
/// two-character prefixes (see [`one_character_prefix`]), the rest of whose
/// second characters `non_ascii_pairs` lists.
fn to_fts_query(words: &[&str], non_ascii_pairs: &[String]) -> String {
    let words: Vec<String> = words
        .iter()
        .map(|w| match one_character_prefix(w) {
            Some(first) => {
                let pairs = ('a'..='z').chain('0'..='9').map(|second| format!("{first}{second}"));
                let pairs = pairs.chain(non_ascii_pairs.iter().filter(|p| p.starts_with(first)).cloned());
                let alternatives: Vec<String> =
                    std::iter::once(format!("\"{first}\"")).chain(pairs.map(|p| format!("\"{p}\"*"))).collect();
                format!("({})", alternatives.join(" OR "))
            }
            None => format!("\"{}\"*", w.replace('"', "")),
        })
        .collect();
    // AND spelled out: FTS5 joins phrases by a space, not a bracketed OR.
    words.join(" AND ")
}

/// A word that is one ASCII letter or digit, as the index holds it
/// (lowercase). FTS5 has no one-character prefix index here (`prefix = '2 3'`),
/// so `"p"*` would merge the doclists of every word starting with p (35-42 ms
/// at 1 M records); the word itself or one of its two-character prefixes is
/// the same set of documents, answered by the index in about a millisecond.
fn one_character_prefix(word: &str) -> Option<char> {
    let mut chars = word.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
        _ => None,
    }
}

/// The two-character prefixes of indexed words that start with one of the
/// query's one-character words and go on with a character that is not
/// ASCII ("mø" for `m` and "Møller"). Terms sort by their UTF-8 bytes, so
/// these are the terms from the letter followed by U+0080 up to the next
/// ASCII character; usually none, and a range read of the vocabulary.
async fn non_ascii_pairs(conn: &mut sqlx::SqliteConnection, words: &[&str]) -> Result<Vec<String>> {
    let mut pairs = Vec::new();
    for first in words.iter().filter_map(|w| one_character_prefix(w)) {
        let next = char::from(first as u8 + 1);
        let terms: Vec<String> = sqlx::query_scalar("SELECT term FROM search_vocab WHERE term >= ? AND term < ?")
            .bind(format!("{first}\u{80}"))
            .bind(next.to_string())
            .fetch_all(&mut *conn)
            .await?;
        for term in terms {
            let pair: String = term.chars().take(2).collect();
            if !pairs.contains(&pair) {
                pairs.push(pair);
            }
        }
    }
    Ok(pairs)
}

/// Hits, best first, for an FTS5 query; `rowid DESC` lets FTS5 walk its
/// doclists newest first and stop after `limit` rows, however many match.
/// Restriction is checked per hit, by primary key: what the view
/// `restricted_records` says (a restricted client, and its contacts,
/// projects and jobs), without building the view's whole list (60 ms at
/// 100 000 records, before the first hit).
const HITS: &str = "SELECT d.kind AS kind, coalesce(d.record_id, d.entity_id) AS id, \
        CASE WHEN d.record_id IS NULL THEN search_fts.title ELSE \
          (SELECT f.title FROM search_doc r JOIN search_fts f ON f.rowid = r.doc_id \
           WHERE r.entity_id = d.record_id) END AS title, \
        snippet(search_fts, -1, '«', '»', '…', 12) AS snippet \
    FROM search_fts JOIN search_doc d ON d.doc_id = search_fts.rowid \
    WHERE search_fts MATCH ? \
      AND NOT EXISTS (SELECT 1 FROM clients c WHERE c.restricted = 1 AND c.id IN ( \
            coalesce(d.record_id, d.entity_id), \
            (SELECT client_id FROM contacts WHERE id = coalesce(d.record_id, d.entity_id)), \
            (SELECT client_id FROM projects WHERE id = coalesce(d.record_id, d.entity_id)), \
            (SELECT client_id FROM jobs WHERE id = coalesce(d.record_id, d.entity_id)))) \
      AND (d.record_id IS NULL OR EXISTS (SELECT 1 FROM search_doc r WHERE r.entity_id = d.record_id)) \
    ORDER BY search_fts.rowid DESC LIMIT ?";

impl Workspace {
    /// At most `limit` (1..=200) hits: records whose title holds every word
    /// first, then records that hold them anywhere; the most recently
    /// indexed first within each. The index is brought up to date first.
    pub async fn search(&self, text: &str, limit: u32) -> Result<Vec<SearchHit>> {
        if !(1..=200).contains(&limit) {
            return Err(Error::validation("limit", "must be between 1 and 200"));
        }
        let words = query_words(text);
        if words.is_empty() {
            return Ok(Vec::new());
        }
        self.catch_up_search_index().await?;
        // One connection for the search's statements: each statement on
        // whichever pooled connection is free next would find its pages in
        // that connection's cache less often (the pool hands them out in turn).
        let mut conn = self.pool().await.acquire().await?;
        let pairs = non_ascii_pairs(&mut conn, &words).await?;
        let query = to_fts_query(&words, &pairs);
        let mut hits: Vec<SearchHit> = sqlx::query_as(HITS)
            .bind(format!("title : ({query})"))
            .bind(i64::from(limit))
            .fetch_all(&mut *conn)
            .await?;
        if hits.len() < limit as usize {
            // The title hits come back here too (and a record may be found by
            // its own text and by a custom value): ask for enough to fill up.
            let rest: Vec<SearchHit> =
                sqlx::query_as(HITS).bind(&query).bind(i64::from(limit) * 2).fetch_all(&mut *conn).await?;
            for hit in rest {
                if hits.len() == limit as usize {
                    break;
                }
                if !hits.iter().any(|h| h.id == hit.id) {
                    hits.push(hit);
                }
            }
        }
        Ok(hits)
    }

    /// Indexes every queued record, in batches of one transaction each.
    /// Returns how many documents were (re)built. Costs one indexed read when
    /// nothing is queued.
    pub async fn catch_up_search_index(&self) -> Result<u64> {
        let pool = self.pool().await;
        let queued: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM search_pending)").fetch_one(&pool).await?;
        if !queued {
            return Ok(0);
        }
        let mut conn = pool.acquire().await?;
        let previous = bulk::enlarge_cache(&mut conn).await?;
        let mut built = 0;
        let caught_up = loop {
            let batch = async {
                let mut tx = sqlx::Connection::begin_with(&mut *conn, BEGIN_WRITE).await?;
                let indexed = index_batch(&mut tx, CATCH_UP_BATCH).await?;
                tx.commit().await?;
                Ok::<_, Error>(indexed)
            };
            match batch.await {
                Ok((done, more)) => {
                    built += done;
                    if !more {
                        break Ok(built);
                    }
                }
                Err(err) => break Err(err),
            }
        };
        bulk::restore_cache(&mut conn, previous).await;
        caught_up
    }

    /// Compares the index with the tables: every live record and custom value
    /// indexed (or queued) with its current text, nothing else indexed, and
    /// FTS5's own structure sound. The queue is caught up first, so what is
    /// compared is what a search would use. With `repair`, whatever disagrees
    /// is rebuilt (one transaction), then caught up again.
    pub async fn check_search_index(&self, repair: bool) -> Result<SearchIndexReport> {
        self.catch_up_search_index().await?;
        // Before the write lock below: the check runs on a connection of its own.
        let mut report = SearchIndexReport { damaged: self.search_index_damaged().await?, ..Default::default() };
        let pool = self.pool().await;
        let mut conn = pool.acquire().await?;
        let mut tx = sqlx::Connection::begin_with(&mut *conn, BEGIN_WRITE).await?;
        if report.damaged && repair {
            // FTS5 rebuilds its inverted index from the text it keeps; the
            // comparison with the tables below mends the text.
            sqlx::query("INSERT INTO search_fts (search_fts) VALUES ('rebuild')").execute(&mut *tx).await?;
        }
        let orphaned = orphaned_documents(&mut tx).await?;
        let stale = stale_documents(&mut tx).await?;
        let missing = missing_documents(&mut tx).await?;
        report.orphaned = orphaned.len() as u64;
        report.stale = stale.len() as u64;
        report.missing = missing.len() as u64;
        let in_step = report.in_step();
        if repair && !in_step {
            for doc in orphaned.iter().chain(&stale) {
                match doc {
                    Orphan::Document(doc_id) => {
                        sqlx::query("DELETE FROM search_fts WHERE rowid = ?").bind(doc_id).execute(&mut *tx).await?;
                        sqlx::query("DELETE FROM search_doc WHERE doc_id = ?").bind(doc_id).execute(&mut *tx).await?;
                    }
                    Orphan::Text(rowid) => {
                        sqlx::query("DELETE FROM search_fts WHERE rowid = ?").bind(rowid).execute(&mut *tx).await?;
                    }
                }
            }
            // Stale and missing records are queued; the catch-up builds them.
            for kind in INDEXED_KINDS {
                sqlx::query(&format!(
                    "INSERT OR IGNORE INTO search_pending (doc_key, kind) \
                     SELECT src.id, '{kind}' FROM {table} src \
                     WHERE src.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM search_doc d WHERE d.entity_id = src.id)",
                    kind = kind.kind,
                    table = kind.table
                ))
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(&format!(
                "INSERT OR IGNORE INTO search_pending (doc_key, kind, field_id, record_id) \
                 SELECT 'cv:' || v.field_id || ':' || v.entity_id, 'value', v.field_id, v.entity_id {VALUE_DOCS} \
                 WHERE NOT EXISTS (SELECT 1 FROM search_doc d WHERE d.entity_id = 'cv:' || v.field_id || ':' || v.entity_id)"
            ))
            .execute(&mut *tx)
            .await?;
            report.repaired = true;
        }
        tx.commit().await?;
        drop(conn);
        if repair {
            self.catch_up_search_index().await?;
        }
        report.documents =
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM search_doc").fetch_one(&pool).await? as u64;
        Ok(report)
    }
}

impl Workspace {
    /// FTS5's own check of its inverted index against the text it keeps. On
    /// a connection of its own: SQLite 3.45's check (SQLCipher 4.5.7) reports
    /// corruption on a connection that read the index before another one
    /// wrote it, though the index is sound (a fresh connection finds nothing
    /// and every search agrees with the text); later SQLite versions do not.
    async fn search_index_damaged(&self) -> Result<bool> {
        let mut conn = self.scan_connection().await?;
        let checked = sqlx::query("INSERT INTO search_fts (search_fts, rank) VALUES ('integrity-check', 0)")
            .execute(&mut conn)
            .await;
        let _ = sqlx::Connection::close(conn).await;
        match checked {
            Ok(_) => Ok(false),
            Err(err) if crate::store::db::damage_code(&err).is_some() => Ok(true),
            Err(err) => Err(err.into()),
        }
    }
}

/// A writer's own indexing of the records it inserts ([`pause_queue`]):
/// each indexed table's largest rowid before the inserts.
pub(crate) struct OwnIndexing {
    rowids_before: Vec<i64>,
}

/// For a writer about to insert many records in `conn`'s open write
/// transaction: the insert triggers stop queueing them (migration 0022), and
/// [`index_own_inserts`] indexes them before the commit, straight from the
/// tables, in the same transaction. Without the queue an import of 100 000
/// clients does about a third less work. `None` (the queue stays on) if a
/// table's rowids are near their end, where SQLite may pick new rowids at
/// random instead of counting up from the largest.
pub(crate) async fn pause_queue(conn: &mut SqliteConnection) -> Result<Option<OwnIndexing>> {
    let mut rowids_before = Vec::with_capacity(INDEXED_KINDS.len());
    for kind in INDEXED_KINDS {
        let max: i64 = sqlx::query_scalar(&format!("SELECT coalesce(max(rowid), 0) FROM {}", kind.table))
            .fetch_one(&mut *conn)
            .await?;
        if max > i64::MAX / 2 {
            return Ok(None);
        }
        rowids_before.push(max);
    }
    sqlx::query("INSERT INTO search_queue_paused (paused) VALUES (1)").execute(&mut *conn).await?;
    Ok(Some(OwnIndexing { rowids_before }))
}

/// Turns the queue back on and indexes every live record inserted since
/// [`pause_queue`]: SQLite gives each new row the largest rowid plus one, so
/// they are the rows past the rowids noted then. Returns how many documents.
/// Should indexing fail, the records are queued instead, as the triggers
/// would have done, and the catch-up after the commit tries again: the
/// writer's records are saved either way.
pub(crate) async fn index_own_inserts(conn: &mut SqliteConnection, own: OwnIndexing) -> Result<u64> {
    sqlx::query("DELETE FROM search_queue_paused").execute(&mut *conn).await?;
    let mut attempt = sqlx::Connection::begin(&mut *conn).await?;
    match index_rows_after(&mut attempt, &own.rowids_before).await {
        Ok(built) => {
            attempt.commit().await?;
            Ok(built)
        }
        Err(err) => {
            attempt.rollback().await?;
            tracing::warn!(code = ?err.code(), "indexing the written records failed; they are queued for the catch-up");
            for (kind, before) in INDEXED_KINDS.iter().zip(&own.rowids_before) {
                sqlx::query(&format!(
                    "INSERT INTO search_pending (doc_key, kind) SELECT src.id, '{kind}' FROM {table} src \
                     WHERE src.rowid > ? AND src.deleted_at IS NULL \
                       AND NOT EXISTS (SELECT 1 FROM search_pending p WHERE p.doc_key = src.id)",
                    kind = kind.kind,
                    table = kind.table
                ))
                .bind(before)
                .execute(&mut *conn)
                .await?;
            }
            Ok(0)
        }
    }
}

/// Indexes the live rows of each kind past its rowid in `rowids_before`.
async fn index_rows_after(conn: &mut SqliteConnection, rowids_before: &[i64]) -> Result<u64> {
    let mut next: i64 =
        sqlx::query_scalar("SELECT coalesce(max(doc_id), 0) FROM search_doc").fetch_one(&mut *conn).await?;
    let mut built = 0;
    for (kind, before) in INDEXED_KINDS.iter().zip(rowids_before) {
        let rows = format!("FROM {table} src WHERE src.rowid > ?2 AND src.deleted_at IS NULL", table = kind.table);
        let added = build_documents(conn, kind, &rows, "src.rowid", next, *before).await?;
        next += added as i64;
        built += added;
    }
    Ok(built)
}

/// Builds the documents of `kind` for the rows `rows` selects (SQL over
/// `src`, from its FROM on, with `?2` bound to `bound`), numbered after
/// `next` in the order `order`: their `search_doc` entries, then their text.
/// Each document's id is given rather than read back: the two inserts
/// select the same rows in the same order. Returns how many.
async fn build_documents<B>(
    conn: &mut SqliteConnection,
    kind: &IndexedKind,
    rows: &str,
    order: &str,
    next: i64,
    bound: B,
) -> Result<u64>
where
    B: for<'q> sqlx::Encode<'q, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + Clone + Send + 'static,
{
    let added = sqlx::query(&format!(
        "INSERT INTO search_doc (doc_id, kind, entity_id) \
         SELECT ?1 + row_number() OVER (ORDER BY {order}), '{kind}', src.id {rows}",
        kind = kind.kind
    ))
    .bind(next)
    .bind(bound.clone())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if added > 0 {
        sqlx::query(&format!(
            "INSERT INTO search_fts (rowid, title, body) \
             SELECT ?1 + row_number() OVER (ORDER BY {order}), {title}, {body} {rows}",
            title = kind.title,
            body = kind.body
        ))
        .bind(next)
        .bind(bound)
        .execute(&mut *conn)
        .await?;
    }
    Ok(added)
}

/// Indexes up to `batch` queued documents; says how many and whether more wait.
async fn index_batch(conn: &mut SqliteConnection, batch: i64) -> Result<(u64, bool)> {
    // The batch is every queued key up to a bound, so each statement below
    // names the same keys by a range of the queue's primary key.
    let bound: Option<String> =
        sqlx::query_scalar("SELECT doc_key FROM search_pending ORDER BY doc_key LIMIT 1 OFFSET ?")
            .bind(batch - 1)
            .fetch_optional(&mut *conn)
            .await?;
    let more = bound.is_some();
    let bound = bound.unwrap_or_else(|| "\u{10FFFF}".to_string());
    // Whatever the index holds for these keys goes first: a bid queued for its
    // job's new title, or a record queued by a repair. Usually nothing.
    let replaced: Vec<i64> = sqlx::query_scalar(
        "SELECT d.doc_id FROM search_pending p JOIN search_doc d ON d.entity_id = p.doc_key WHERE p.doc_key <= ?",
    )
    .bind(&bound)
    .fetch_all(&mut *conn)
    .await?;
    for ids in replaced.chunks(10_000) {
        // Numbers always serialize.
        let ids = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        for table in ["search_fts WHERE rowid", "search_doc WHERE doc_id"] {
            sqlx::query(&format!("DELETE FROM {table} IN (SELECT value FROM json_each(?))"))
                .bind(&ids)
                .execute(&mut *conn)
                .await?;
        }
    }
    let mut next: i64 =
        sqlx::query_scalar("SELECT coalesce(max(doc_id), 0) FROM search_doc").fetch_one(&mut *conn).await?;
    let mut built = 0;
    for kind in INDEXED_KINDS {
        let rows = format!(
            "FROM search_pending p JOIN {table} src ON src.id = p.doc_key \
             WHERE p.doc_key <= ?2 AND p.kind = '{kind}' AND src.deleted_at IS NULL",
            kind = kind.kind,
            table = kind.table
        );
        let added = build_documents(conn, kind, &rows, "p.doc_key", next, bound.clone()).await?;
        next += added as i64;
        built += added;
    }
    let values = "FROM search_pending p JOIN custom_values v ON v.field_id = p.field_id AND v.entity_id = p.record_id \
         JOIN custom_fields cf ON cf.id = v.field_id WHERE p.doc_key <= ?2 AND p.kind = 'value'";
    built += sqlx::query(&format!(
        "INSERT INTO search_doc (doc_id, kind, entity_id, record_id) \
         SELECT ?1 + row_number() OVER (ORDER BY p.doc_key), cf.entity_kind, p.doc_key, p.record_id {values}"
    ))
    .bind(next)
    .bind(&bound)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    sqlx::query(&format!(
        "INSERT INTO search_fts (rowid, title, body) SELECT ?1 + row_number() OVER (ORDER BY p.doc_key), '', v.value {values}"
    ))
    .bind(next)
    .bind(&bound)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM search_pending WHERE doc_key <= ?").bind(&bound).execute(&mut *conn).await?;
    Ok((built, more))
}

/// An index entry to take out: a document (its text goes with it), or text
/// that belongs to no document.
enum Orphan {
    Document(i64),
    Text(i64),
}

/// Documents whose record is gone or deleted, documents without text, and
/// text without a document. Reads FTS5's content table (`search_fts_content`,
/// id = rowid) directly: a plain b-tree join, where the virtual table would
/// be asked row by row.
async fn orphaned_documents(conn: &mut SqliteConnection) -> Result<Vec<Orphan>> {
    let mut orphans = Vec::new();
    for kind in INDEXED_KINDS {
        let ids: Vec<i64> = sqlx::query_scalar(&format!(
            "SELECT d.doc_id FROM search_doc d WHERE d.record_id IS NULL AND d.kind = '{kind}' \
             AND NOT EXISTS (SELECT 1 FROM {table} src WHERE src.id = d.entity_id AND src.deleted_at IS NULL)",
            kind = kind.kind,
            table = kind.table
        ))
        .fetch_all(&mut *conn)
        .await?;
        orphans.extend(ids.into_iter().map(Orphan::Document));
    }
    let known = INDEXED_KINDS.iter().map(|k| format!("'{}'", k.kind)).collect::<Vec<_>>().join(", ");
    let ids: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT d.doc_id FROM search_doc d \
         WHERE (d.record_id IS NULL AND d.kind NOT IN ({known})) \
            OR (d.record_id IS NOT NULL AND NOT EXISTS (SELECT 1 {VALUE_DOCS} \
                WHERE 'cv:' || v.field_id || ':' || v.entity_id = d.entity_id AND v.entity_id = d.record_id)) \
            OR NOT EXISTS (SELECT 1 FROM search_fts_content c WHERE c.id = d.doc_id)"
    ))
    .fetch_all(&mut *conn)
    .await?;
    orphans.extend(ids.into_iter().map(Orphan::Document));
    let texts: Vec<i64> = sqlx::query_scalar(
        "SELECT c.id FROM search_fts_content c WHERE NOT EXISTS (SELECT 1 FROM search_doc d WHERE d.doc_id = c.id)",
    )
    .fetch_all(&mut *conn)
    .await?;
    orphans.extend(texts.into_iter().map(Orphan::Text));
    Ok(orphans)
}

/// Documents whose text is not what their record would be indexed with now.
async fn stale_documents(conn: &mut SqliteConnection) -> Result<Vec<Orphan>> {
    let mut stale = Vec::new();
    for kind in INDEXED_KINDS {
        let ids: Vec<i64> = sqlx::query_scalar(&format!(
            "SELECT d.doc_id FROM search_doc d JOIN {table} src ON src.id = d.entity_id \
             JOIN search_fts_content c ON c.id = d.doc_id \
             WHERE d.record_id IS NULL AND d.kind = '{kind}' AND src.deleted_at IS NULL \
               AND (c.c0 IS NOT {title} OR c.c1 IS NOT {body}) \
               AND NOT EXISTS (SELECT 1 FROM search_pending p WHERE p.doc_key = d.entity_id)",
            kind = kind.kind,
            table = kind.table,
            title = kind.title,
            body = kind.body
        ))
        .fetch_all(&mut *conn)
        .await?;
        stale.extend(ids.into_iter().map(Orphan::Document));
    }
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT d.doc_id FROM search_doc d JOIN search_fts_content c ON c.id = d.doc_id \
         JOIN custom_values v ON 'cv:' || v.field_id || ':' || v.entity_id = d.entity_id AND v.entity_id = d.record_id \
         WHERE d.record_id IS NOT NULL AND (c.c0 IS NOT '' OR c.c1 IS NOT v.value OR d.kind IS NOT \
            (SELECT entity_kind FROM custom_fields WHERE id = v.field_id)) \
           AND NOT EXISTS (SELECT 1 FROM search_pending p WHERE p.doc_key = d.entity_id)",
    )
    .fetch_all(&mut *conn)
    .await?;
    stale.extend(ids.into_iter().map(Orphan::Document));
    Ok(stale)
}

/// Live records and custom values that are neither indexed nor queued.
async fn missing_documents(conn: &mut SqliteConnection) -> Result<Vec<String>> {
    let mut missing = Vec::new();
    for kind in INDEXED_KINDS {
        let ids: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT src.id FROM {table} src WHERE src.deleted_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM search_doc d WHERE d.entity_id = src.id) \
             AND NOT EXISTS (SELECT 1 FROM search_pending p WHERE p.doc_key = src.id)",
            table = kind.table
        ))
        .fetch_all(&mut *conn)
        .await?;
        missing.extend(ids);
    }
    let ids: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT 'cv:' || v.field_id || ':' || v.entity_id {VALUE_DOCS} \
         WHERE NOT EXISTS (SELECT 1 FROM search_doc d WHERE d.entity_id = 'cv:' || v.field_id || ':' || v.entity_id) \
           AND NOT EXISTS (SELECT 1 FROM search_pending p WHERE p.doc_key = 'cv:' || v.field_id || ':' || v.entity_id)"
    ))
    .fetch_all(&mut *conn)
    .await?;
    missing.extend(ids);
    Ok(missing)
}

#[cfg(test)]
mod tests {
    use super::{query_words, to_fts_query};

    fn query(text: &str, pairs: &[&str]) -> Option<String> {
        let pairs: Vec<String> = pairs.iter().map(|p| p.to_string()).collect();
        let words = query_words(text);
        (!words.is_empty()).then(|| to_fts_query(&words, &pairs))
    }

    #[test]
    fn every_word_becomes_a_quoted_prefix() {
        assert_eq!(query("alice exa", &[]).as_deref(), Some("\"alice\"* AND \"exa\"*"));
        assert_eq!(query("ab@cd.com", &[]).as_deref(), Some("\"ab\"* AND \"cd\"* AND \"com\"*"));
        assert_eq!(query("NOT OR \"xy", &[]).as_deref(), Some("\"NOT\"* AND \"OR\"* AND \"xy\"*"));
        assert_eq!(query("José 東京", &[]).as_deref(), Some("\"José\"* AND \"東京\"*"));
        assert_eq!(query("  ** ", &[]), None);
    }

    #[test]
    fn a_one_character_word_is_itself_or_any_of_its_two_character_prefixes() {
        let ascii: Vec<String> = ('a'..='z').chain('0'..='9').map(|c| format!("\"m{c}\"*")).collect::<Vec<_>>();
        let want = format!("(\"m\" OR {} OR \"mø\"*) AND \"ol\"*", ascii.join(" OR "));
        assert_eq!(query("M ol", &["mø", "pä"]).as_deref(), Some(want.as_str()));
        // Not ASCII: asked as a prefix, which FTS5 answers by merging.
        assert_eq!(query("é", &[]).as_deref(), Some("\"é\"*"));
    }
}
