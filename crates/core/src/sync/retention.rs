//! Postings a marketplace's API terms let us keep only so long (Upwork: 24
//! hours, `Capabilities::listing_retention_hours`). A posting the user has
//! not acted on is deleted that long after it was last fetched, whether or
//! not the marketplace is reachable: the rule is about what stays on this
//! computer. Acting on it means any of: a bid on it (even one in the trash),
//! saving it, a note in its "my notes", a note or task about it, or linking
//! it to a client. Those stay, with everything the user wrote; a later pull
//! refreshes them. The deletion goes through the row (its search entry
//! with it; `secure_delete` overwrites the freed pages), and the audit log
//! records how many went (counts only).

use chrono::{DateTime, Utc};

use super::accounts::MarketAccount;
use crate::error::Result;
use crate::Workspace;

/// Deletes `account`'s postings that are past its marketplace's limit and
/// untouched; says how many went. Nothing for marketplaces without a limit.
pub(super) async fn expire_untouched_postings(ws: &Workspace, account: &MarketAccount) -> Result<u64> {
    let Some(hours) = account.capabilities.listing_retention_hours else { return Ok(0) };
    let cutoff: DateTime<Utc> = ws.now() - chrono::Duration::hours(i64::from(hours));
    let mut tx = ws.begin_write().await?;
    let gone = sqlx::query(
        "DELETE FROM jobs WHERE source = ?1 AND external_id IS NOT NULL \
         AND fetched_at IS NOT NULL AND fetched_at <= ?2 \
         AND saved = 0 AND my_notes = '' AND client_id IS NULL \
         AND NOT EXISTS (SELECT 1 FROM bids WHERE bids.job_id = jobs.id) \
         AND NOT EXISTS (SELECT 1 FROM activities a \
                         WHERE a.subject_kind = 'job' AND a.subject_id = jobs.id AND a.deleted_at IS NULL) \
         AND NOT EXISTS (SELECT 1 FROM tasks t \
                         WHERE t.subject_kind = 'job' AND t.subject_id = jobs.id AND t.deleted_at IS NULL)",
    )
    .bind(account.id.to_string())
    .bind(cutoff)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if gone > 0 {
        let detail = serde_json::json!({ "account": account.id, "postings": gone, "after_hours": hours });
        crate::audit::append(&mut tx, ws.now(), crate::audit::action::POSTINGS_EXPIRED, detail).await?;
    }
    tx.commit().await?;
    if gone > 0 {
        tracing::info!(account = %account.id, postings = gone, hours, "removed postings past their marketplace's limit");
    }
    Ok(gone)
}
