//! What Bidwell sends marketplaces about the user's own privacy choices: the
//! queued anonymous usage counts (only while analytics are opted in and
//! Global Privacy Control is off), the "marketing from marketplaces" consent
//! (when it changed), and the user's request that a marketplace erase their
//! data. Each request is logged in the transparency log before
//! it leaves.

use std::collections::BTreeMap;

use bidwell_marketplace::{wire, IdempotencyKey, MarketError, Marketplace, Operation};
use serde::Serialize;
use sqlx::{Connection, SqliteConnection};

use super::accounts::MarketAccount;
use super::engine::{log_request, SyncEngine};
use crate::audit;
use crate::error::{Error, Result};
use crate::id::Id;
use crate::privacy::{ConsentPurpose, UsageCount, UsageTotal};
use crate::Workspace;

/// What one marketplace answered to the request to erase the user's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ErasureRequestOutcome {
    pub account_id: Id,
    pub account_name: String,
    pub accepted: bool,
    /// The marketplace's reference for the request, when accepted.
    pub receipt_id: Option<String>,
    /// Why it was not accepted.
    pub reason: Option<String>,
}

impl SyncEngine {
    /// Asks each connected marketplace (or only `account`) to erase the
    /// user's data: one request each, bounded by the HTTP timeout. The answer
    /// of each is returned; the audit log records how many accepted (account
    /// ids only), the transparency log each request. Sent even while sharing
    /// with marketplaces is withdrawn: it is the user's own request about
    /// their data, and it carries nothing else.
    pub async fn request_erasure(&self, ws: &Workspace, account: Option<Id>) -> Result<Vec<ErasureRequestOutcome>> {
        let accounts = match account {
            Some(id) => vec![ws.market_account(id).await?],
            None => ws.market_accounts().await?,
        };
        // One connection for the whole pass, as the push does: each request's
        // log entry and the audit entry are written on it.
        let mut conn = ws.pool().await.acquire().await?;
        let mut outcomes = Vec::with_capacity(accounts.len());
        for account in &accounts {
            outcomes.push(self.request_erasure_of(ws, &mut conn, account).await?);
        }
        let detail: Vec<serde_json::Value> = outcomes
            .iter()
            .map(|o| serde_json::json!({ "account_id": o.account_id, "accepted": o.accepted }))
            .collect();
        audit::append(
            &mut conn,
            ws.now(),
            audit::action::MARKETPLACE_ERASURE_REQUEST,
            serde_json::json!({ "accounts": detail }),
        )
        .await?;
        Ok(outcomes)
    }

    async fn request_erasure_of(
        &self,
        ws: &Workspace,
        conn: &mut SqliteConnection,
        account: &MarketAccount,
    ) -> Result<ErasureRequestOutcome> {
        let failed = |reason: String| ErasureRequestOutcome {
            account_id: account.id,
            account_name: account.name.clone(),
            accepted: false,
            receipt_id: None,
            reason: Some(reason),
        };
        let token = match ws.market_token(account).await {
            Ok(token) => token,
            Err(err) => return Ok(failed(format!("its token could not be read: {err}"))),
        };
        let market = match self.client_for(account, token) {
            Ok(market) => market,
            Err(err) => return Ok(failed(err.to_string())),
        };
        let analytics = crate::privacy::analytics::enabled(conn).await?;
        market.set_global_privacy_control(!analytics);
        let now = ws.now();
        let key = IdempotencyKey::new(Id::new_at(now).to_string())
            .ok_or_else(|| Error::Inconsistent("a record id is not a valid idempotency key".to_owned()))?;
        log_request(conn, account.id, Operation::RequestErasure, 1, now).await?;
        let request = wire::ErasureRequest { scope: wire::ErasureScope::Account };
        Ok(match market.request_erasure(&key, &request).await {
            Ok(receipt) => ErasureRequestOutcome {
                account_id: account.id,
                account_name: account.name.clone(),
                accepted: true,
                receipt_id: Some(receipt.id),
                reason: None,
            },
            Err(MarketError::Unauthorized) => failed("the marketplace refused the token; give it a new one".to_owned()),
            Err(err) => failed(err.to_string()),
        })
    }
}

impl Workspace {
    /// The first half of "wipe, asking the marketplaces first": checks the
    /// name, then asks every connected marketplace to erase the user's data.
    /// If any did not accept, nothing is wiped and the error names them; the
    /// user may then wipe anyway ([`Workspace::wipe`]).
    pub async fn request_erasure_before_wipe(
        &self,
        confirm: &str,
        engine: &SyncEngine,
    ) -> Result<Vec<ErasureRequestOutcome>> {
        if !self.is_named(confirm).await {
            return Err(crate::privacy::wipe::name_mismatch());
        }
        let outcomes = engine.request_erasure(self, None).await?;
        let failed: Vec<String> = outcomes
            .iter()
            .filter(|o| !o.accepted)
            .map(|o| format!("{} ({})", o.account_name, o.reason.as_deref().unwrap_or("no answer")))
            .collect();
        if failed.is_empty() {
            Ok(outcomes)
        } else {
            Err(Error::ErasureRequestFailed { failed, before_wipe: true })
        }
    }

    /// Asks the marketplaces first (see [`Workspace::request_erasure_before_wipe`]),
    /// then wipes. A failed request leaves the workspace as it was. The
    /// workspace is held exclusively before any marketplace is asked, so a
    /// wipe that another process would refuse asks nobody.
    pub async fn wipe_asking_marketplaces(
        self,
        confirm: &str,
        engine: &SyncEngine,
    ) -> Result<crate::privacy::WipeReport> {
        let only_us = self.hold_to_wipe(confirm).await?;
        self.request_erasure_before_wipe(confirm, engine).await?;
        self.wipe_held(confirm, only_us).await
    }

    /// The name checked, then the workspace held exclusively for a wipe.
    pub(crate) async fn hold_to_wipe(&self, confirm: &str) -> Result<crate::process_lock::ExclusiveHold<'_>> {
        if !self.is_named(confirm).await {
            return Err(crate::privacy::wipe::name_mismatch());
        }
        self.hold_exclusively(crate::privacy::wipe::WIPE)
    }
}

/// The API takes at most this many counters per request.
const MAX_EVENTS_PER_BATCH: usize = 100;

/// Sends the analytics queue to `account`'s marketplace and forgets exactly
/// what the marketplace accepted. Nothing leaves while analytics are off or
/// the client says `Sec-GPC: 1`. Returns the marketplace's refusal, if any.
/// Reads, logs and forgets on the caller's connection.
///
/// Each count leaves once: the first account whose marketplace accepts the
/// batch takes it, so with several accounts the counts are not repeated.
pub(super) async fn send_usage_counts(
    ws: &Workspace,
    conn: &mut SqliteConnection,
    account: Id,
    market: &dyn Marketplace,
) -> Result<Option<MarketError>> {
    if market.global_privacy_control() || !crate::privacy::analytics::enabled(conn).await? {
        return Ok(None);
    }
    let queued = crate::privacy::analytics::queued(conn).await?;
    for (batch, rows) in batches(&queued) {
        log_request(conn, account, Operation::SendAnalytics, batch.events.len() as i64, ws.now()).await?;
        if let Err(err) = market.send_analytics(&batch).await {
            return Ok(Some(err));
        }
        forget_sent(conn, &rows).await?;
    }
    Ok(None)
}

/// Sends the user's "marketing from marketplaces" consent to `account`'s
/// marketplace when it differs from what that account last acknowledged (or
/// it never did). The other choices the marketplace holds are read first and
/// kept as they are. Returns the marketplace's refusal, if any; the choice is
/// then tried again on the next run. Reads, logs and records on the caller's
/// connection.
pub(super) async fn send_consent_choices(
    ws: &Workspace,
    conn: &mut SqliteConnection,
    account: Id,
    market: &dyn Marketplace,
) -> Result<Option<MarketError>> {
    let marketing = crate::privacy::consent::latest(conn, None, ConsentPurpose::MarketplaceMarketing)
        .await?
        .is_some_and(|r| r.granted);
    let acknowledged: Option<bool> =
        sqlx::query_scalar("SELECT marketing FROM market_consent_acks WHERE account_id = ?")
            .bind(account)
            .fetch_optional(&mut *conn)
            .await?;
    if acknowledged == Some(marketing) {
        return Ok(None);
    }
    log_request(conn, account, Operation::GetConsents, 0, ws.now()).await?;
    let held = match market.get_consents().await {
        Ok(held) => held,
        Err(err) => return Ok(Some(err)),
    };
    let held = if held.choices.marketing == marketing {
        held
    } else {
        let choices = wire::ConsentChoices { marketing, ..held.choices };
        log_request(conn, account, Operation::PutConsents, 1, ws.now()).await?;
        match market.put_consents(&choices).await {
            Ok(held) => held,
            Err(err) => return Ok(Some(err)),
        }
    };
    sqlx::query(
        "INSERT INTO market_consent_acks (account_id, marketing, acknowledged_at) VALUES (?, ?, ?) \
         ON CONFLICT (account_id) DO UPDATE SET marketing = excluded.marketing, \
         acknowledged_at = excluded.acknowledged_at",
    )
    .bind(account)
    .bind(held.choices.marketing)
    .bind(ws.now())
    .execute(&mut *conn)
    .await?;
    Ok(None)
}

/// The request body the queue makes, batch after batch: what Settings →
/// Privacy shows before it is sent (`Workspace::usage_preview`).
pub(crate) fn usage_totals(queued: &[UsageCount]) -> Vec<UsageTotal> {
    batches(queued)
        .into_iter()
        .flat_map(|(batch, _)| batch.events)
        .map(|c| UsageTotal { event: c.name, count: c.count })
        .collect()
}

/// The queue as batches of per-event totals (the day stays here: the API
/// takes no times finer than the request), each with the rows it covers.
fn batches(queued: &[UsageCount]) -> Vec<(wire::AnalyticsBatch, Vec<UsageCount>)> {
    let mut by_event: BTreeMap<&str, (u32, Vec<UsageCount>)> = BTreeMap::new();
    for row in queued {
        let entry = by_event.entry(row.event.as_str()).or_default();
        // A row that would overflow the counter waits for the next run.
        let Some(total) = u32::try_from(row.count).ok().and_then(|c| entry.0.checked_add(c)) else { continue };
        entry.0 = total;
        entry.1.push(row.clone());
    }
    let events: Vec<(&str, (u32, Vec<UsageCount>))> = by_event.into_iter().collect();
    events
        .chunks(MAX_EVENTS_PER_BATCH)
        .map(|chunk| {
            let batch = wire::AnalyticsBatch {
                events: chunk
                    .iter()
                    .map(|(name, (count, _))| wire::AnalyticsCount { name: (*name).to_owned(), count: *count })
                    .collect(),
            };
            (batch, chunk.iter().flat_map(|(_, (_, rows))| rows.clone()).collect())
        })
        .collect()
}

/// Subtracts what was sent, in one transaction: a use counted while the
/// request was out stays queued for the next run.
async fn forget_sent(conn: &mut SqliteConnection, sent: &[UsageCount]) -> Result<()> {
    let mut tx = conn.begin_with(crate::store::db::BEGIN_WRITE).await?;
    for row in sent {
        sqlx::query("DELETE FROM analytics_queue WHERE event = ? AND day = ? AND count <= ?")
            .bind(&row.event)
            .bind(&row.day)
            .bind(row.count)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE analytics_queue SET count = count - ?3 WHERE event = ?1 AND day = ?2 AND count > ?3")
            .bind(&row.event)
            .bind(&row.day)
            .bind(row.count)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(event: &str, day: &str, count: i64) -> UsageCount {
        UsageCount { event: event.to_owned(), day: day.to_owned(), count }
    }

    #[test]
    fn days_fold_into_one_counter_per_event_and_batches_keep_to_the_limit() {
        let mut queued = vec![count("a", "2026-11-01", 2), count("a", "2026-11-02", 3), count("b", "2026-11-01", 1)];
        let got = batches(&queued);
        assert_eq!(got.len(), 1);
        let names: Vec<(String, u32)> = got[0].0.events.iter().map(|e| (e.name.clone(), e.count)).collect();
        assert_eq!(names, vec![("a".to_owned(), 5), ("b".to_owned(), 1)]);
        assert_eq!(got[0].1.len(), 3, "every row is covered");

        queued = (0..250).map(|i| count(&format!("e{i:03}"), "2026-11-01", 1)).collect();
        let got = batches(&queued);
        assert_eq!(got.iter().map(|(b, _)| b.events.len()).collect::<Vec<_>>(), vec![100, 100, 50]);
    }
}
