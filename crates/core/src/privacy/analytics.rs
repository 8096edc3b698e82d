//! Usage analytics: off unless the user opted in (the `usage_analytics`
//! consent). While on, only anonymous counts (an event name per day) are
//! queued for the marketplace's analytics endpoint. Opting out empties the
//! queue at once and leaves a flag telling the desktop shell to clear the
//! webview's storage and cookies.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::SqliteConnection;

use super::consent::{self, ConsentChange, ConsentMethod, ConsentPurpose};
use crate::error::{Error, Result};
use crate::store::settings;
use crate::Workspace;

/// Set by an opt-out until the shell has cleared the webview's storage.
const CLEAR_WEBVIEW_KEY: &str = "analytics.clear_webview_storage";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct AnalyticsStatus {
    pub enabled: bool,
    /// Counts waiting to be sent.
    pub queued: i64,
    /// The user opted out and the webview's storage and cookies are still to
    /// be cleared; the shell clears them and calls `webview_storage_cleared`.
    pub clear_webview_storage: bool,
}

/// One queued count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, ts_rs::TS)]
pub struct UsageCount {
    pub event: String,
    /// YYYY-MM-DD (UTC).
    pub day: String,
    pub count: i64,
}

/// Empties the queue and asks for the webview to be cleared (an opt-out).
pub(crate) async fn stop(conn: &mut SqliteConnection, now: DateTime<Utc>) -> Result<()> {
    sqlx::query("DELETE FROM analytics_queue").execute(&mut *conn).await?;
    settings::put(conn, CLEAR_WEBVIEW_KEY, "true", now).await
}

pub(crate) async fn enabled(conn: &mut SqliteConnection) -> Result<bool> {
    Ok(consent::latest(conn, None, ConsentPurpose::UsageAnalytics).await?.is_some_and(|r| r.granted))
}

/// An event name is an identifier chosen by the code, never user text.
fn check_event(event: &str) -> Result<()> {
    let ok = !event.is_empty()
        && event.len() <= 40
        && event.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(Error::validation("event", "is a name of at most 40 characters: a-z, 0-9, '_' and '.'"))
    }
}

impl Workspace {
    pub async fn analytics_enabled(&self) -> Result<bool> {
        enabled(&mut *self.pool().await.acquire().await?).await
    }

    /// Opts in or out (recorded as the user's `usage_analytics` consent).
    pub async fn set_analytics(&self, enabled: bool, method: ConsentMethod) -> Result<AnalyticsStatus> {
        self.record_consent(ConsentChange {
            client_id: None,
            purpose: ConsentPurpose::UsageAnalytics,
            granted: enabled,
            basis: None,
            source: None,
            evidence: None,
            method,
        })
        .await?;
        self.analytics_status().await
    }

    pub async fn analytics_status(&self) -> Result<AnalyticsStatus> {
        let mut conn = self.pool().await.acquire().await?;
        let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM analytics_queue").fetch_one(&mut *conn).await?;
        let clear = settings::get(&mut *conn, CLEAR_WEBVIEW_KEY).await?;
        Ok(AnalyticsStatus { enabled: enabled(&mut conn).await?, queued, clear_webview_storage: clear.is_some() })
    }

    /// The shell cleared the webview's storage and cookies after an opt-out;
    /// returns the status that no longer asks for it.
    pub async fn webview_storage_cleared(&self) -> Result<AnalyticsStatus> {
        settings::remove(&self.pool().await, CLEAR_WEBVIEW_KEY).await?;
        self.analytics_status().await
    }

    /// Counts one use of `event` today, only while analytics are on. Returns
    /// whether it was counted.
    pub async fn count_usage(&self, event: &str) -> Result<bool> {
        check_event(event)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        if !enabled(&mut tx).await? {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO analytics_queue (event, day, count) VALUES (?, ?, 1) \
             ON CONFLICT (event, day) DO UPDATE SET count = count + 1",
        )
        .bind(event)
        .bind(now.format("%Y-%m-%d").to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// What the sync engine will send to the analytics endpoint.
    pub async fn queued_usage(&self) -> Result<Vec<UsageCount>> {
        Ok(sqlx::query_as("SELECT event, day, count FROM analytics_queue ORDER BY day, event")
            .fetch_all(&self.pool().await)
            .await?)
    }
}
