//! Usage analytics: off unless the user opted in (the `usage_analytics`
//! consent). While on, only anonymous counts are queued for the
//! marketplace's analytics endpoint: one of a closed catalogue of events
//! ([`UsageEvent`]: a screen opened, a feature used) per day, never an id or
//! any text. Opting out empties the queue at once and leaves a flag telling
//! the desktop shell to clear the webview's storage and cookies.
//!
//! Only the desktop app counts (`Holder::App` in its `Environment`): features
//! are counted here in the core, where the work is done, so a click and a
//! shortcut count alike; screens are known only to the window, which reports
//! them through the `count_usage` command. The `bidwell` command line never
//! counts: it runs scripts, and a script's loop is not a person's use.
//! [`Workspace::usage_preview`] is what Settings → Privacy shows, built from
//! the same rows and the same folding the sync sends.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use super::consent::{self, ConsentChange, ConsentMethod, ConsentPurpose};
use crate::error::{Error, Result};
use crate::process_lock::Holder;
use crate::store::settings;
use crate::Workspace;

/// Everything Bidwell can ever count: the catalogue is closed, and a name
/// outside it is refused. Each has a stable name (what is queued and sent)
/// and a plain-words description (what the Privacy screen shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
pub enum UsageEvent {
    #[serde(rename = "screen.dashboard")]
    ScreenDashboard,
    #[serde(rename = "screen.clients")]
    ScreenClients,
    #[serde(rename = "screen.client")]
    ScreenClient,
    #[serde(rename = "screen.contact")]
    ScreenContact,
    #[serde(rename = "screen.projects")]
    ScreenProjects,
    #[serde(rename = "screen.project")]
    ScreenProject,
    #[serde(rename = "screen.jobs")]
    ScreenJobs,
    #[serde(rename = "screen.job")]
    ScreenJob,
    #[serde(rename = "screen.bids")]
    ScreenBids,
    #[serde(rename = "screen.bid")]
    ScreenBid,
    #[serde(rename = "screen.tasks")]
    ScreenTasks,
    #[serde(rename = "screen.settings.general")]
    ScreenSettingsGeneral,
    #[serde(rename = "screen.settings.fields")]
    ScreenSettingsFields,
    #[serde(rename = "screen.settings.currency")]
    ScreenSettingsCurrency,
    #[serde(rename = "screen.settings.privacy")]
    ScreenSettingsPrivacy,
    #[serde(rename = "screen.settings.backups")]
    ScreenSettingsBackups,
    #[serde(rename = "screen.settings.marketplaces")]
    ScreenSettingsMarketplaces,
    #[serde(rename = "feature.client_created")]
    ClientCreated,
    #[serde(rename = "feature.bid_submitted")]
    BidSubmitted,
    #[serde(rename = "feature.export")]
    Export,
    #[serde(rename = "feature.import")]
    Import,
    #[serde(rename = "feature.backup")]
    Backup,
    #[serde(rename = "feature.sync")]
    Sync,
}

impl UsageEvent {
    /// The whole catalogue, in the order the Privacy screen lists it.
    pub const ALL: [UsageEvent; 23] = [
        UsageEvent::ScreenDashboard,
        UsageEvent::ScreenClients,
        UsageEvent::ScreenClient,
        UsageEvent::ScreenContact,
        UsageEvent::ScreenProjects,
        UsageEvent::ScreenProject,
        UsageEvent::ScreenJobs,
        UsageEvent::ScreenJob,
        UsageEvent::ScreenBids,
        UsageEvent::ScreenBid,
        UsageEvent::ScreenTasks,
        UsageEvent::ScreenSettingsGeneral,
        UsageEvent::ScreenSettingsFields,
        UsageEvent::ScreenSettingsCurrency,
        UsageEvent::ScreenSettingsPrivacy,
        UsageEvent::ScreenSettingsBackups,
        UsageEvent::ScreenSettingsMarketplaces,
        UsageEvent::ClientCreated,
        UsageEvent::BidSubmitted,
        UsageEvent::Export,
        UsageEvent::Import,
        UsageEvent::Backup,
        UsageEvent::Sync,
    ];

    /// The name queued and sent (the serde name, so the window's argument
    /// and the stored row agree).
    pub fn name(self) -> &'static str {
        match self {
            UsageEvent::ScreenDashboard => "screen.dashboard",
            UsageEvent::ScreenClients => "screen.clients",
            UsageEvent::ScreenClient => "screen.client",
            UsageEvent::ScreenContact => "screen.contact",
            UsageEvent::ScreenProject => "screen.project",
            UsageEvent::ScreenJob => "screen.job",
            UsageEvent::ScreenBid => "screen.bid",
            UsageEvent::ScreenProjects => "screen.projects",
            UsageEvent::ScreenJobs => "screen.jobs",
            UsageEvent::ScreenBids => "screen.bids",
            UsageEvent::ScreenTasks => "screen.tasks",
            UsageEvent::ScreenSettingsGeneral => "screen.settings.general",
            UsageEvent::ScreenSettingsFields => "screen.settings.fields",
            UsageEvent::ScreenSettingsCurrency => "screen.settings.currency",
            UsageEvent::ScreenSettingsPrivacy => "screen.settings.privacy",
            UsageEvent::ScreenSettingsBackups => "screen.settings.backups",
            UsageEvent::ScreenSettingsMarketplaces => "screen.settings.marketplaces",
            UsageEvent::ClientCreated => "feature.client_created",
            UsageEvent::BidSubmitted => "feature.bid_submitted",
            UsageEvent::Export => "feature.export",
            UsageEvent::Import => "feature.import",
            UsageEvent::Backup => "feature.backup",
            UsageEvent::Sync => "feature.sync",
        }
    }

    /// What one count of it means, in plain words.
    pub fn description(self) -> &'static str {
        match self {
            UsageEvent::ScreenDashboard => "The dashboard was opened",
            UsageEvent::ScreenClients => "The list of clients was opened",
            UsageEvent::ScreenClient => "A client's page was opened (which client is not counted)",
            UsageEvent::ScreenContact => "A contact's page was opened (which contact is not counted)",
            UsageEvent::ScreenProject => "A project's page was opened (which project is not counted)",
            UsageEvent::ScreenJob => "A job's page was opened (which job is not counted)",
            UsageEvent::ScreenBid => "A bid's page was opened (which bid is not counted)",
            UsageEvent::ScreenProjects => "The list of projects was opened",
            UsageEvent::ScreenJobs => "The jobs feed was opened",
            UsageEvent::ScreenBids => "The bids board was opened",
            UsageEvent::ScreenTasks => "The list of tasks was opened",
            UsageEvent::ScreenSettingsGeneral => "Settings → General was opened",
            UsageEvent::ScreenSettingsFields => "Settings → Custom fields was opened",
            UsageEvent::ScreenSettingsCurrency => "Settings → Currency was opened",
            UsageEvent::ScreenSettingsPrivacy => "Settings → Privacy was opened",
            UsageEvent::ScreenSettingsBackups => "Settings → Backups was opened",
            UsageEvent::ScreenSettingsMarketplaces => "Settings → Marketplaces was opened",
            UsageEvent::ClientCreated => "A client was added (not who)",
            UsageEvent::BidSubmitted => "A bid was submitted or marked as placed (not which, not the amount)",
            UsageEvent::Export => "An export was written (everything, a client, vCard or calendar)",
            UsageEvent::Import => "A file was imported",
            UsageEvent::Backup => "A backup was taken by hand",
            UsageEvent::Sync => "A sync was started by hand",
        }
    }

    /// The event of that name; any other name is refused.
    pub fn from_name(name: &str) -> Result<UsageEvent> {
        UsageEvent::ALL.into_iter().find(|e| e.name() == name).ok_or_else(|| {
            Error::validation("event", "is not one of the usage events Bidwell counts (see Settings → Privacy)")
        })
    }
}

/// One event of the catalogue, as the Privacy screen lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct UsageEventInfo {
    pub event: UsageEvent,
    pub description: String,
}

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

/// The queue, one row per event and day, in the order it is shown and sent.
pub(crate) async fn queued(conn: &mut SqliteConnection) -> Result<Vec<UsageCount>> {
    Ok(sqlx::query_as("SELECT event, day, count FROM analytics_queue ORDER BY event, day").fetch_all(conn).await?)
}

/// One queued row as the Privacy screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct QueuedUsage {
    pub event: String,
    /// The catalogue's words for it; a row left by an older version whose
    /// name is no longer in the catalogue says so (it is still sent).
    pub description: String,
    /// YYYY-MM-DD (UTC).
    pub day: String,
    pub count: i64,
}

/// One counter of the request body: the total of an event over the queued
/// days (the day itself is not sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct UsageTotal {
    pub event: String,
    pub count: u32,
}

/// A marketplace the counts would go to: the first of them that accepts
/// takes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct UsageDestination {
    pub account_name: String,
    pub base_url: String,
    /// Method and path, as in the marketplace API.
    pub endpoint: String,
}

/// Exactly what would be sent, before it is sent: Settings → Privacy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct UsagePreview {
    pub enabled: bool,
    /// The queue as kept here, a row per event and day. Empty while off.
    pub rows: Vec<QueuedUsage>,
    /// The body the next sync sends: what the sync itself computes from `rows`.
    pub totals: Vec<UsageTotal>,
    /// Connected marketplaces that take analytics, in the order they are tried.
    pub destinations: Vec<UsageDestination>,
    /// Everything that can ever be counted.
    pub catalogue: Vec<UsageEventInfo>,
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
    pub async fn count_usage(&self, event: UsageEvent) -> Result<bool> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        if !enabled(&mut tx).await? {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO analytics_queue (event, day, count) VALUES (?, ?, 1) \
             ON CONFLICT (event, day) DO UPDATE SET count = count + 1",
        )
        .bind(event.name())
        .bind(now.format("%Y-%m-%d").to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A feature used in the desktop app, counted after the work is done.
    /// Only the app counts (see the module's notes), and counting never
    /// fails the work: a failure is logged by its code alone and dropped.
    pub(crate) async fn note_use(&self, event: UsageEvent) {
        if self.env().holder != Holder::App {
            return;
        }
        if let Err(err) = self.count_usage(event).await {
            tracing::warn!(event = event.name(), code = ?err.code(), "a usage count was not kept");
        }
    }

    /// The queue the sync engine will send to the analytics endpoint, a row
    /// per event and day.
    pub async fn queued_usage(&self) -> Result<Vec<UsageCount>> {
        queued(&mut *self.pool().await.acquire().await?).await
    }

    /// What Settings → Privacy shows: the queue with each event's words, the
    /// request body the sync would send (computed by the sync's own
    /// function) and where it would go.
    pub async fn usage_preview(&self) -> Result<UsagePreview> {
        let (enabled, rows) = {
            let mut conn = self.pool().await.acquire().await?;
            (enabled(&mut conn).await?, queued(&mut conn).await?)
        };
        let totals = crate::sync::usage_totals(&rows);
        let endpoint = bidwell_marketplace::Operation::SendAnalytics.endpoint().to_owned();
        let destinations = self
            .market_accounts()
            .await?
            .into_iter()
            .filter(|a| a.capabilities.analytics)
            .map(|a| UsageDestination { account_name: a.name, base_url: a.base_url, endpoint: endpoint.clone() })
            .collect();
        let rows = rows
            .into_iter()
            .map(|r| QueuedUsage {
                description: UsageEvent::from_name(&r.event)
                    .map(|e| e.description().to_owned())
                    .unwrap_or_else(|_| "An event this version no longer counts".to_owned()),
                event: r.event,
                day: r.day,
                count: r.count,
            })
            .collect();
        let catalogue = UsageEvent::ALL
            .iter()
            .map(|&event| UsageEventInfo { event, description: event.description().into() })
            .collect();
        Ok(UsagePreview { enabled, rows, totals, destinations, catalogue })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_event_is_named_as_serde_names_it_and_only_once() {
        let mut names = std::collections::BTreeSet::new();
        for event in UsageEvent::ALL {
            assert_eq!(serde_json::to_value(event).unwrap(), serde_json::json!(event.name()));
            assert_eq!(UsageEvent::from_name(event.name()).unwrap(), event);
            assert!(names.insert(event.name()), "{} twice", event.name());
            assert!(event.name().len() <= 40 && ["screen.", "feature."].iter().any(|p| event.name().starts_with(p)));
        }
    }
}
