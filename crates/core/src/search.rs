//! Full-text search over every entity through the FTS5 index the triggers
//! of migration 0003 keep in step. Each word the user types is a prefix.
//! Restricted clients and their records are left out of the results.

use serde::{Deserialize, Serialize};

use crate::domain::EntityKind;
use crate::error::{Error, Result};
use crate::id::Id;
use crate::Workspace;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, ts_rs::TS)]
pub struct SearchHit {
    pub kind: EntityKind,
    pub id: Id,
    pub title: String,
    /// The matching words in context, marked with « ».
    pub snippet: String,
}

/// `alice exa` → `"alice"* "exa"*`: every word must match as a prefix.
/// Quoting each word keeps FTS5 operators typed by the user literal.
fn to_fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"*", w.replace('"', "")))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// Ranking scores every match, which is fine for a few thousand and slow for
/// a word prefix that matches a fifth of a million-record workspace.
const RANK_AT_MOST: i64 = 2000;

impl Workspace {
    /// At most `limit` (1..=200) hits: best first when the query is selective,
    /// else the most recently indexed matches (ranking all of them would take
    /// too long to be worth it for a query that vague).
    pub async fn search(&self, text: &str, limit: u32) -> Result<Vec<SearchHit>> {
        if !(1..=200).contains(&limit) {
            return Err(Error::validation("limit", "must be between 1 and 200"));
        }
        let Some(query) = to_fts_query(text) else { return Ok(Vec::new()) };
        let pool = self.pool().await;
        // Counting stops at the cap, so this costs little even for vague queries.
        let matches: i64 =
            sqlx::query_scalar("SELECT count(*) FROM (SELECT 1 FROM search_fts WHERE search_fts MATCH ? LIMIT ?)")
                .bind(&query)
                .bind(RANK_AT_MOST + 1)
                .fetch_one(&pool)
                .await?;
        // A match in the title (a name) counts five times one in the body (notes, email…).
        let order = if matches <= RANK_AT_MOST { "bm25(search_fts, 5.0, 1.0)" } else { "search_fts.rowid DESC" };
        // A custom field value is a document of its own that stands for its
        // record (`record_id`): it counts while the record is in the index.
        let rows = sqlx::query_as::<_, SearchHit>(&format!(
            "SELECT d.kind AS kind, coalesce(d.record_id, d.entity_id) AS id, \
                    CASE WHEN d.record_id IS NULL THEN search_fts.title ELSE \
                      (SELECT f.title FROM search_doc r JOIN search_fts f ON f.rowid = r.doc_id \
                       WHERE r.entity_id = d.record_id) END AS title, \
                    snippet(search_fts, -1, '«', '»', '…', 12) AS snippet \
             FROM search_fts JOIN search_doc d ON d.doc_id = search_fts.rowid \
             WHERE search_fts MATCH ? \
               AND coalesce(d.record_id, d.entity_id) NOT IN (SELECT id FROM restricted_records) \
               AND (d.record_id IS NULL OR EXISTS (SELECT 1 FROM search_doc r WHERE r.entity_id = d.record_id)) \
             ORDER BY {order} LIMIT ?"
        ))
        .bind(query)
        .bind(i64::from(limit))
        .fetch_all(&pool)
        .await?;
        // A record found by its own text and by a value is one hit, the better placed.
        let mut hits: Vec<SearchHit> = Vec::with_capacity(rows.len());
        for hit in rows {
            if !hits.iter().any(|h| h.id == hit.id) {
                hits.push(hit);
            }
        }
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::to_fts_query;

    #[test]
    fn every_word_becomes_a_quoted_prefix() {
        assert_eq!(to_fts_query("alice exa").as_deref(), Some("\"alice\"* \"exa\"*"));
        assert_eq!(to_fts_query("a@b.com").as_deref(), Some("\"a\"* \"b\"* \"com\"*"));
        assert_eq!(to_fts_query("NOT OR \"x").as_deref(), Some("\"NOT\"* \"OR\"* \"x\"*"));
        assert_eq!(to_fts_query("José 東京").as_deref(), Some("\"José\"* \"東京\"*"));
        assert_eq!(to_fts_query("  ** "), None);
    }
}
