//! The audit log of privacy and key actions: append-only, each entry chained
//! to the one before by SHA-256, so an edited or removed entry shows. Entries
//! name actions and counts, never personal data or secrets.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::SqliteConnection;

use crate::error::Result;

/// The actions privacy controls record. The UI and scripts match on these
/// words, so they never change; details hold counts and kinds, never data.
pub mod action {
    pub const EXPORT: &str = "export";
    pub const IMPORT: &str = "import";
    pub const ERASE_CLIENT: &str = "erase_client";
    /// Wiping destroys the log with everything else; the entry is written
    /// first so an interrupted wipe still shows that it was asked for.
    pub const WIPE: &str = "wipe";
    /// A backup snapshot was taken (reason and size only).
    pub const BACKUP: &str = "backup";
    /// The workspace was replaced by a backup snapshot.
    pub const BACKUP_RESTORE: &str = "backup_restore";
    pub const CONSENT_CHANGE: &str = "consent_change";
    /// Passphrase change or data-key rotation (detail `change`).
    pub const KEY_CHANGE: &str = "key_change";
    pub const RETENTION_RUN: &str = "retention_run";
    pub const RESTRICTION_CHANGE: &str = "restriction_change";
    pub const ANALYTICS_CHANGE: &str = "analytics_change";
    /// Erasure requests sent to marketplaces (detail: per account id, accepted or not).
    pub const MARKETPLACE_ERASURE_REQUEST: &str = "marketplace_erasure_request";
    /// A marketplace account was disconnected: its token deleted, its queued
    /// changes dropped (detail: counts and where the token was kept).
    pub const MARKET_DISCONNECT: &str = "market_disconnect";
    /// Postings a marketplace's terms let us keep only so long were removed
    /// untouched (detail: the account, how many, after how many hours).
    pub const POSTINGS_EXPIRED: &str = "postings_expired";
}

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, ts_rs::TS)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub action: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The result of checking the chain of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct AuditVerification {
    pub entries: i64,
    /// The seq of the first entry that does not chain to the one before it.
    pub first_broken: Option<i64>,
}

fn entry_hash(prev: &str, at: &DateTime<Utc>, action: &str, detail: &str) -> String {
    let mut h = Sha256::new();
    for part in [prev, &crate::store::record::stored_time(at), action, detail] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

pub(crate) async fn append(
    conn: &mut SqliteConnection,
    at: DateTime<Utc>,
    action: &str,
    detail: serde_json::Value,
) -> Result<()> {
    let prev: Option<String> =
        sqlx::query_scalar("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(&mut *conn).await?;
    let prev = prev.unwrap_or_else(|| GENESIS.to_string());
    let detail = detail.to_string();
    let hash = entry_hash(&prev, &at, action, &detail);
    sqlx::query("INSERT INTO audit_log (at, action, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?)")
        .bind(at)
        .bind(action)
        .bind(&detail)
        .bind(&prev)
        .bind(&hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// The first entry whose chain is broken, if any.
pub(crate) fn first_broken(entries: &[AuditEntry]) -> Option<i64> {
    let mut prev = GENESIS.to_string();
    for e in entries {
        if e.prev_hash != prev || entry_hash(&e.prev_hash, &e.at, &e.action, &e.detail) != e.hash {
            return Some(e.seq);
        }
        prev = e.hash.clone();
    }
    None
}

impl crate::Workspace {
    pub async fn audit_log(&self) -> Result<Vec<AuditEntry>> {
        Ok(sqlx::query_as("SELECT * FROM audit_log ORDER BY seq").fetch_all(&self.pool().await).await?)
    }

    /// `None` when every entry chains to the one before it.
    pub async fn verify_audit_log(&self) -> Result<Option<i64>> {
        Ok(first_broken(&self.audit_log().await?))
    }

    /// The whole log checked: how many entries, and the first broken one.
    pub async fn audit_verification(&self) -> Result<AuditVerification> {
        let entries = self.audit_log().await?;
        Ok(AuditVerification { entries: entries.len() as i64, first_broken: first_broken(&entries) })
    }
}
