//! Retention rules, kept in the settings table: archived clients are erased
//! after N months (off unless set), soft-deleted records are purged after
//! N days (30 by default). `run_retention` applies both in one transaction
//! and records the counts (never ids or names) in the audit log; the app runs
//! it at unlock and once a day.

use chrono::{DateTime, Months, Utc};
use serde::{Deserialize, Serialize};

use crate::audit;
use crate::error::{Error, Result};
use crate::store::purge::purge_in;
use crate::store::settings;
use crate::store::PurgeReport;
use crate::Workspace;

const RULES_KEY: &str = "retention.rules";
const LAST_RUN_KEY: &str = "retention.last_run";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
#[ts(optional_fields)]
pub struct RetentionRules {
    /// Erase clients archived this many months ago; absent: keep them.
    pub archived_client_months: Option<u32>,
    /// Purge records deleted this many days ago (1..=3650).
    pub deleted_after_days: u32,
}

impl Default for RetentionRules {
    fn default() -> Self {
        RetentionRules { archived_client_months: None, deleted_after_days: 30 }
    }
}

impl RetentionRules {
    fn check(&self) -> Result<()> {
        if !(1..=3650).contains(&self.deleted_after_days) {
            return Err(Error::validation("deleted_after_days", "must be between 1 and 3650"));
        }
        if self.archived_client_months.is_some_and(|m| !(1..=1200).contains(&m)) {
            return Err(Error::validation("archived_client_months", "must be between 1 and 1200"));
        }
        Ok(())
    }
}

/// The rules and when they last ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct RetentionStatus {
    pub rules: RetentionRules,
    pub last_run_at: Option<DateTime<Utc>>,
}

/// What one run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct RetentionSummary {
    pub ran_at: DateTime<Utc>,
    /// Archived clients erased (their records are counted in `purged`).
    pub archived_clients_erased: u64,
    /// Clients due for removal but left because a bid or payment is pending.
    pub blocked: u64,
    /// Everything removed for good, by kind, and the payments kept anonymized.
    pub purged: PurgeReport,
}

/// Retention runs by itself at most this often.
const RUN_EVERY_HOURS: i64 = 24;

impl Workspace {
    pub async fn retention(&self) -> Result<RetentionStatus> {
        let pool = self.pool().await;
        let rules =
            settings::get(&pool, RULES_KEY).await?.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default();
        let last_run_at = settings::get(&pool, LAST_RUN_KEY).await?.and_then(|s| s.parse().ok());
        Ok(RetentionStatus { rules, last_run_at })
    }

    pub async fn set_retention(&self, rules: &RetentionRules) -> Result<RetentionStatus> {
        rules.check()?;
        let value = serde_json::to_string(rules).map_err(|e| Error::validation("rules", e.to_string()))?;
        settings::put(&self.pool().await, RULES_KEY, &value, self.now()).await?;
        self.retention().await
    }

    /// Runs the rules when they have not run for a day (or ever): the app
    /// calls this at unlock and then every hour, so retention needs no user.
    pub async fn run_retention_if_due(&self) -> Result<Option<RetentionSummary>> {
        let last = self.retention().await?.last_run_at;
        match last {
            Some(at) if self.now() - at < chrono::Duration::hours(RUN_EVERY_HOURS) => Ok(None),
            _ => self.run_retention().await.map(Some),
        }
    }

    /// Applies the rules as of the workspace clock's now.
    pub async fn run_retention(&self) -> Result<RetentionSummary> {
        let now = self.now();
        let rules = self.retention().await?.rules;
        let mut tx = self.begin_write().await?;
        let mut erased = crate::privacy::erase::ErasedMany::default();
        let mut archived_clients_erased = 0;
        if let Some(months) = rules.archived_client_months {
            let cutoff = now.checked_sub_months(Months::new(months)).unwrap_or(DateTime::<Utc>::MIN_UTC);
            let ids: Vec<crate::id::Id> = sqlx::query_scalar(
                "SELECT id FROM clients WHERE archived_at IS NOT NULL AND archived_at <= ? AND deleted_at IS NULL",
            )
            .bind(cutoff)
            .fetch_all(&mut *tx)
            .await?;
            erased = crate::privacy::erase::erase_many(&mut tx, &ids).await?;
            archived_clients_erased = ids.len() as u64 - erased.blocked;
        }
        let mut purged = purge_in(&mut tx, now - chrono::Duration::days(rules.deleted_after_days.into())).await?;
        for (kind, n) in erased.deleted {
            *purged.removed.entry(kind).or_default() += n;
            purged.total += n;
        }
        purged.kept += erased.kept;
        let blocked = purged.blocked + erased.blocked;
        settings::put(&mut *tx, LAST_RUN_KEY, &now.to_rfc3339(), now).await?;
        audit::append(
            &mut tx,
            now,
            audit::action::RETENTION_RUN,
            serde_json::json!({
                "archived_clients_erased": archived_clients_erased,
                "removed": purged.removed,
                "kept": purged.kept,
                "blocked": blocked,
            }),
        )
        .await?;
        tx.commit().await?;
        self.scrub_after_delete().await?;
        Ok(RetentionSummary { ran_at: now, archived_clients_erased, blocked, purged })
    }
}
