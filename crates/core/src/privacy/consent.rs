//! The consent ledger: the user's consents per purpose and each client's,
//! append-only (the database refuses edits, and deletions outside erasure).
//! The current state of a purpose is its latest row; no row means not given.
//! A withdrawal is one more row and counts from the moment it is written.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use crate::audit;
use crate::domain::{check, Client};
use crate::error::{Error, Result};
use crate::id::Id;
use crate::store::record;
use crate::Workspace;

/// What a consent is for. The first four are the user's own; `marketing` and
/// `processing` are a client's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "TEXT", rename_all = "snake_case")]
pub enum ConsentPurpose {
    /// Anonymous usage counts sent to the marketplace's analytics endpoint.
    UsageAnalytics,
    CrashReports,
    /// Marketplaces may send the user marketing.
    MarketplaceMarketing,
    /// The user's records may be sent to connected marketplaces.
    MarketplaceSharing,
    /// The client agreed to receive the user's marketing.
    Marketing,
    /// The lawful basis on which the user processes the client's data.
    Processing,
}

impl ConsentPurpose {
    pub const USER: &'static [ConsentPurpose] = &[
        ConsentPurpose::UsageAnalytics,
        ConsentPurpose::CrashReports,
        ConsentPurpose::MarketplaceMarketing,
        ConsentPurpose::MarketplaceSharing,
    ];
    pub const CLIENT: &'static [ConsentPurpose] = &[ConsentPurpose::Marketing, ConsentPurpose::Processing];

    pub fn as_str(self) -> &'static str {
        match self {
            ConsentPurpose::UsageAnalytics => "usage_analytics",
            ConsentPurpose::CrashReports => "crash_reports",
            ConsentPurpose::MarketplaceMarketing => "marketplace_marketing",
            ConsentPurpose::MarketplaceSharing => "marketplace_sharing",
            ConsentPurpose::Marketing => "marketing",
            ConsentPurpose::Processing => "processing",
        }
    }
}

impl std::str::FromStr for ConsentPurpose {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let wanted = s.trim().to_ascii_lowercase().replace('-', "_");
        ConsentPurpose::USER.iter().chain(ConsentPurpose::CLIENT).copied().find(|p| p.as_str() == wanted).ok_or_else(
            || {
                Error::validation(
                    "purpose",
                    format!(
                        "'{s}' is not one of: usage_analytics, crash_reports, marketplace_marketing, \
                         marketplace_sharing (yours), marketing, processing (a client's)"
                    ),
                )
            },
        )
    }
}

/// The lawful basis for processing a client's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "TEXT", rename_all = "snake_case")]
pub enum ProcessingBasis {
    Contract,
    Consent,
    LegitimateInterest,
}

impl std::str::FromStr for ProcessingBasis {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "contract" => Ok(ProcessingBasis::Contract),
            "consent" => Ok(ProcessingBasis::Consent),
            "legitimate_interest" => Ok(ProcessingBasis::LegitimateInterest),
            _ => {
                Err(Error::validation("basis", format!("'{s}' is not one of: contract, consent, legitimate_interest")))
            }
        }
    }
}

/// How a consent row was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "TEXT", rename_all = "snake_case")]
pub enum ConsentMethod {
    Ui,
    Cli,
    Import,
}

/// One row of the ledger.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, ts_rs::TS)]
pub struct ConsentRecord {
    pub id: Id,
    /// The client the consent is about; absent for the user's own.
    pub client_id: Option<Id>,
    pub purpose: ConsentPurpose,
    pub granted: bool,
    pub basis: Option<ProcessingBasis>,
    /// Where the consent came from (e.g. "signed contract", "web form").
    pub source: Option<String>,
    pub method: ConsentMethod,
    /// A note on the evidence (e.g. where the signed copy is kept).
    pub evidence: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

/// The current state of one purpose: its latest row, if any.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ConsentState {
    pub purpose: ConsentPurpose,
    /// False when never given or withdrawn.
    pub granted: bool,
    pub latest: Option<ConsentRecord>,
}

/// A grant or a withdrawal to record.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct ConsentChange {
    /// Absent for the user's own consents.
    pub client_id: Option<Id>,
    pub purpose: ConsentPurpose,
    pub granted: bool,
    /// Required when granting `processing`; only for `processing`.
    pub basis: Option<ProcessingBasis>,
    pub source: Option<String>,
    pub evidence: Option<String>,
    pub method: ConsentMethod,
}

const SELECT: &str =
    "SELECT id, subject_id AS client_id, purpose, granted, basis, source, method, evidence, recorded_at \
                      FROM consents";

impl ConsentChange {
    fn check(&mut self) -> Result<()> {
        let for_client = self.client_id.is_some();
        let allowed = if for_client { ConsentPurpose::CLIENT } else { ConsentPurpose::USER };
        if !allowed.contains(&self.purpose) {
            let whose = if for_client { "the user's own, not a client's" } else { "a client's; name the client" };
            return Err(Error::validation("purpose", format!("{} is {whose}", self.purpose.as_str())));
        }
        match (self.purpose, self.granted, self.basis) {
            (ConsentPurpose::Processing, true, None) => {
                return Err(Error::validation("basis", "is required: contract, consent or legitimate_interest"))
            }
            (p, _, Some(_)) if p != ConsentPurpose::Processing => {
                return Err(Error::validation("basis", "only applies to the processing purpose"))
            }
            _ => {}
        }
        self.source = check::optional("source", self.source.as_deref(), check::MAX_NAME)?;
        self.evidence = check::optional("evidence", self.evidence.as_deref(), 2000)?;
        Ok(())
    }
}

/// The latest row of each purpose for the user (`client` None) or a client.
pub(crate) async fn states(conn: &mut SqliteConnection, client: Option<Id>) -> Result<Vec<ConsentState>> {
    let purposes = if client.is_some() { ConsentPurpose::CLIENT } else { ConsentPurpose::USER };
    let mut out = Vec::new();
    for &purpose in purposes {
        let latest = latest(conn, client, purpose).await?;
        out.push(ConsentState { purpose, granted: latest.as_ref().is_some_and(|r| r.granted), latest });
    }
    Ok(out)
}

/// The user's own consent to share with marketplaces; without it sync sends nothing.
pub(crate) async fn user_shares(conn: &mut SqliteConnection) -> Result<bool> {
    Ok(latest(conn, None, ConsentPurpose::MarketplaceSharing).await?.is_some_and(|r| r.granted))
}

/// Whether this client's data may leave the machine: not restricted, not
/// deleted, and the basis for processing (if one was recorded) not withdrawn.
pub(crate) async fn client_may_leave(conn: &mut SqliteConnection, client: Id) -> Result<bool> {
    let c: Client = record::fetch(conn, client, true).await?;
    if c.restricted || c.meta.deleted_at.is_some() {
        return Ok(false);
    }
    Ok(latest(conn, Some(client), ConsentPurpose::Processing).await?.is_none_or(|r| r.granted))
}

pub(crate) async fn latest(
    conn: &mut SqliteConnection,
    client: Option<Id>,
    purpose: ConsentPurpose,
) -> Result<Option<ConsentRecord>> {
    // rowid breaks ties between rows written in the same instant.
    let sql = format!("{SELECT} WHERE subject_id IS ? AND purpose = ? ORDER BY recorded_at DESC, rowid DESC LIMIT 1");
    Ok(sqlx::query_as(&sql).bind(client).bind(purpose).fetch_optional(conn).await?)
}

/// Appends the row and its audit entry inside the caller's transaction.
pub(crate) async fn append(
    conn: &mut SqliteConnection,
    now: DateTime<Utc>,
    mut change: ConsentChange,
) -> Result<ConsentRecord> {
    change.check()?;
    if let Some(client) = change.client_id {
        record::ensure_live::<Client>(conn, client).await?;
    }
    let row = ConsentRecord {
        id: Id::new_at(now),
        client_id: change.client_id,
        purpose: change.purpose,
        granted: change.granted,
        basis: change.basis,
        source: change.source,
        method: change.method,
        evidence: change.evidence,
        recorded_at: now,
    };
    sqlx::query(
        "INSERT INTO consents (id, subject_kind, subject_id, purpose, granted, basis, source, method, evidence, \
         recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(row.id)
    .bind(if row.client_id.is_some() { "client" } else { "user" })
    .bind(row.client_id)
    .bind(row.purpose)
    .bind(row.granted)
    .bind(row.basis)
    .bind(&row.source)
    .bind(row.method)
    .bind(&row.evidence)
    .bind(row.recorded_at)
    .execute(&mut *conn)
    .await?;
    let action = if row.purpose == ConsentPurpose::UsageAnalytics {
        audit::action::ANALYTICS_CHANGE
    } else {
        audit::action::CONSENT_CHANGE
    };
    let subject = if row.client_id.is_some() { "client" } else { "user" };
    audit::append(
        conn,
        now,
        action,
        serde_json::json!({ "subject": subject, "purpose": row.purpose, "granted": row.granted, "method": row.method }),
    )
    .await?;
    Ok(row)
}

impl Workspace {
    /// Records a grant or withdrawal; it applies from this moment. Withdrawing
    /// usage analytics also empties the analytics queue (see `analytics`).
    pub async fn record_consent(&self, change: ConsentChange) -> Result<ConsentRecord> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let analytics_off = change.purpose == ConsentPurpose::UsageAnalytics && !change.granted;
        let row = append(&mut tx, now, change).await?;
        if analytics_off {
            super::analytics::stop(&mut tx, now).await?;
        }
        tx.commit().await?;
        Ok(row)
    }

    /// The current state of every purpose, the user's (`client` None) or a client's.
    pub async fn consents(&self, client: Option<Id>) -> Result<Vec<ConsentState>> {
        let mut conn = self.pool().await.acquire().await?;
        if let Some(id) = client {
            record::fetch::<Client>(&mut conn, id, true).await?;
        }
        states(&mut conn, client).await
    }

    /// Every row about the user (`client` None) or a client, oldest first.
    pub async fn consent_history(&self, client: Option<Id>) -> Result<Vec<ConsentRecord>> {
        let sql = format!("{SELECT} WHERE subject_id IS ? ORDER BY recorded_at, rowid");
        Ok(sqlx::query_as(&sql).bind(client).fetch_all(&self.pool().await).await?)
    }

    /// Whether anything of this client may be sent to a marketplace now: the
    /// user shares with marketplaces, the client is not restricted, and the
    /// client's processing basis (if one was recorded) is not withdrawn.
    pub async fn sharing_allowed(&self, client: Id) -> Result<bool> {
        let mut conn = self.pool().await.acquire().await?;
        Ok(user_shares(&mut conn).await? && client_may_leave(&mut conn, client).await?)
    }
}

impl std::fmt::Display for ConsentPurpose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
