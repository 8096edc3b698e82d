//! The network side of sync: [`SyncEngine::sync_once`] pushes due outbox rows
//! (in order per bid, each with its idempotency key or base version) and
//! pulls every feed by cursor. Every step commits on its own, so dropping the
//! future at any await point loses nothing: a write the marketplace applied
//! but we never recorded is replayed with the same key or base version, and a
//! page is saved in the same transaction as the cursor that follows it.
//!
//! Time comes from the workspace's clock; the engine never sleeps. A driver
//! (the CLI's `bidwell sync`, the app's timer) may wait until
//! [`SyncReport::next_attempt_at`].

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bidwell_marketplace::{
    wire, ApiToken, Backoff, HttpOptions, IdempotencyKey, MarketError, MarketKind, Marketplace, Operation, Refusal,
    WireBounds,
};
use chrono::{DateTime, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sqlx::{Connection, SqliteConnection};

use super::accounts::{saved_searches, MarketAccount};
use super::feeds::{BidFeed, MilestoneFeed, PullRun, SearchFeed};
use super::flight;
use super::outbox::{self, ack_all, apply_server_bid, fail_row, parse, record_conflict, BidTerms, OutboxRow};
use super::pass::{Halt, PassMarket, MAX_PAGES_PER_FEED_PASS, MAX_REQUESTS_PER_ACCOUNT_PASS};
use super::sign_in::Refreshed;
use super::{ConnectionState, SyncReport};
use crate::domain::{Bid, Origin};
use crate::error::{Error, Result};
use crate::id::Id;
use crate::store::record;
use crate::Workspace;

/// Makes the [`Marketplace`] client for an account. The app and the CLI use
/// [`HttpConnector`]; tests may put a wrapper around it.
pub trait MarketConnector: Send + Sync {
    fn connect(
        &self,
        kind: MarketKind,
        base_url: &str,
        token: ApiToken,
    ) -> std::result::Result<Arc<dyn Marketplace>, MarketError>;
}

/// The real clients: the adapter for the account's kind, over HTTPS (or
/// plain HTTP to this machine) with reqwest.
#[derive(Debug, Clone, Default)]
pub struct HttpConnector {
    pub options: HttpOptions,
}

impl MarketConnector for HttpConnector {
    fn connect(
        &self,
        kind: MarketKind,
        base_url: &str,
        token: ApiToken,
    ) -> std::result::Result<Arc<dyn Marketplace>, MarketError> {
        kind.connect(base_url, token, self.options.clone())
    }
}

#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub backoff: Backoff,
    /// Items asked for per page (1 to 200).
    pub page_limit: u32,
    /// Seeds the backoff jitter, so tests can repeat a run.
    pub jitter_seed: Option<u64>,
    /// Requests one account may make in one pass
    /// ([`MAX_REQUESTS_PER_ACCOUNT_PASS`]).
    pub max_requests_per_account: u32,
    /// Pages one feed may pull in one pass ([`MAX_PAGES_PER_FEED_PASS`]).
    pub max_pages_per_feed: u32,
}

impl Default for SyncOptions {
    fn default() -> SyncOptions {
        SyncOptions {
            backoff: Backoff::default(),
            page_limit: bidwell_marketplace::MAX_PAGE_LIMIT,
            jitter_seed: None,
            max_requests_per_account: MAX_REQUESTS_PER_ACCOUNT_PASS,
            max_pages_per_feed: MAX_PAGES_PER_FEED_PASS,
        }
    }
}

/// Pushes and pulls for every connected account of a workspace.
pub struct SyncEngine {
    connector: Arc<dyn MarketConnector>,
    /// Each account's client, kept between passes: what an adapter learned
    /// (Freelancer's user id and project currencies) is not asked for again
    /// on every pass, so a pass cut short by a fault still moves on.
    clients: Mutex<HashMap<Id, KeptClient>>,
    pub(super) options: SyncOptions,
    rng: Mutex<ChaCha8Rng>,
}

/// A client and what it was made for; a new token or address makes a new one.
struct KeptClient {
    kind: MarketKind,
    base_url: String,
    /// SHA-256 of the token: no second copy of the secret is kept.
    token_digest: [u8; 32],
    market: Arc<dyn Marketplace>,
}

/// More accounts than anyone connects; past it the kept clients start over.
const MAX_KEPT_CLIENTS: usize = 64;

/// How a step ended for its account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flow {
    Go,
    /// The token was refused: stop this account until a new token.
    Unauthorized,
    Cancelled,
    /// A pull failed: this account's run ends here; the next one resumes.
    Stopped,
    /// A request was not sent or was abandoned ([`PassMarket::halt`] says
    /// why: the workspace is locking, or the request budget is used up).
    Halted,
    /// The workspace started locking: this run ends here.
    Locked,
}

/// What one account's run saw, for its connection state.
#[derive(Default)]
pub(super) struct Health {
    pub(super) answered: u64,
    transient: u64,
    last_error: Option<String>,
    /// Why part of this account's run stopped early (a refused answer, a
    /// feed's cursor that did not move, the page cap, the request budget,
    /// locking), for its status and the pass's report.
    stops: Vec<String>,
}

impl Health {
    fn note(&mut self, err: &MarketError) {
        if let MarketError::Refused(refusal) = err {
            self.stops.push(refusal.to_string());
        }
        if err.is_transient() {
            self.transient += 1;
        } else {
            // A refusal is still an answer: the marketplace is reachable.
            self.answered += 1;
        }
        self.last_error = Some(err.to_string());
    }
}

const PUSH: &str = "push";

impl SyncEngine {
    pub fn new(connector: Arc<dyn MarketConnector>, options: SyncOptions) -> SyncEngine {
        let rng = match options.jitter_seed {
            Some(seed) => ChaCha8Rng::seed_from_u64(seed),
            None => ChaCha8Rng::from_entropy(),
        };
        SyncEngine { connector, clients: Mutex::new(HashMap::new()), options, rng: Mutex::new(rng) }
    }

    /// The client for an account: the one kept from an earlier pass when its
    /// kind, address and token are the same, else a new one.
    pub(super) fn client_for(
        &self,
        account: &MarketAccount,
        token: ApiToken,
    ) -> std::result::Result<Arc<dyn Marketplace>, MarketError> {
        use sha2::Digest;
        let token_digest: [u8; 32] = sha2::Sha256::digest(token.expose_secret().as_bytes()).into();
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(kept) = clients.get(&account.id) {
            if kept.kind == account.kind && kept.base_url == account.base_url && kept.token_digest == token_digest {
                return Ok(kept.market.clone());
            }
        }
        let market = self.connector.connect(account.kind, &account.base_url, token)?;
        if clients.len() >= MAX_KEPT_CLIENTS {
            clients.clear();
        }
        let kept =
            KeptClient { kind: account.kind, base_url: account.base_url.clone(), token_digest, market: market.clone() };
        clients.insert(account.id, kept);
        Ok(market)
    }

    /// The engine the app and the CLI use.
    pub fn http(options: HttpOptions) -> SyncEngine {
        SyncEngine::new(Arc::new(HttpConnector { options }), SyncOptions::default())
    }

    /// The one place that decides whether a client's data may leave the
    /// machine: a restricted client, or one whose processing basis was
    /// withdrawn, never does.
    async fn may_share(&self, conn: &mut SqliteConnection, client: Id) -> Result<bool> {
        crate::privacy::consent::client_may_leave(conn, client).await
    }

    /// One pass over every account: push what is due, then pull every feed.
    /// `progress(phase, done, total)`; `cancel` stops at the next safe point.
    /// One pass at a time per workspace: called while a pass runs (from this
    /// engine or another), it waits for that pass and returns its report
    /// with `joined` set, sending nothing itself (`sync/flight.rs`).
    pub async fn sync_once(
        &self,
        ws: &Workspace,
        progress: &mut (dyn FnMut(&str, u64, u64) + Send),
        cancel: &AtomicBool,
    ) -> Result<SyncReport> {
        loop {
            match flight::take_turn(ws.paths().database.clone()) {
                flight::Turn::Lead(lead) => {
                    let report = self.sync_pass(ws, progress, cancel).await?;
                    lead.finish(&report);
                    return Ok(report);
                }
                flight::Turn::Follow(pass) => {
                    if let Some(report) = flight::follow(pass).await {
                        return Ok(SyncReport { joined: true, ..report });
                    }
                    // That pass failed or was dropped: take a turn of our own.
                }
            }
        }
    }

    /// A pass the user asked for ("Sync now"), counted as a use (in the app,
    /// while analytics are on) before [`SyncEngine::sync_once`]: the
    /// background passes are not the user's doing and are not counted.
    pub async fn sync_on_request(
        &self,
        ws: &Workspace,
        progress: &mut (dyn FnMut(&str, u64, u64) + Send),
        cancel: &AtomicBool,
    ) -> Result<SyncReport> {
        ws.note_use(crate::privacy::UsageEvent::Sync).await;
        self.sync_once(ws, progress, cancel).await
    }

    async fn sync_pass(
        &self,
        ws: &Workspace,
        progress: &mut (dyn FnMut(&str, u64, u64) + Send),
        cancel: &AtomicBool,
    ) -> Result<SyncReport> {
        let mut report = SyncReport::default();
        // Before anything else, and whether or not anything may be sent:
        // what a marketplace's terms say not to keep goes.
        for account in ws.market_accounts().await? {
            let gone = super::retention::expire_untouched_postings(ws, &account).await?;
            if gone > 0 {
                let hours = account.capabilities.listing_retention_hours.unwrap_or_default();
                report.expired.push(format!(
                    "{}: {gone} {} you had not acted on, {hours} hours after {} fetched, as its API terms require",
                    account.name,
                    if gone == 1 { "posting" } else { "postings" },
                    if gone == 1 { "it was" } else { "they were" },
                ));
            }
        }
        // The user's consent to share with marketplaces gates every request.
        if !crate::privacy::consent::user_shares(&mut *ws.pool().await.acquire().await?).await? {
            report.sharing_off = true;
            return Ok(report);
        }
        for account in ws.market_accounts().await? {
            if cancel.load(Ordering::Relaxed) {
                report.cancelled = true;
                break;
            }
            if ws.locking().is_raised() {
                report.locked = true;
                break;
            }
            if account.connection == ConnectionState::TokenExpired {
                continue;
            }
            self.sync_account(ws, &account, &mut report, progress, cancel).await?;
        }
        // What the pull wrote is searchable when the pass reports done, in
        // large batches, rather than on the palette's first key press.
        if !ws.locking().is_raised() {
            ws.catch_up_search_index().await?;
        }
        report.next_attempt_at = next_attempt_at(ws).await?;
        Ok(report)
    }

    async fn sync_account(
        &self,
        ws: &Workspace,
        account: &MarketAccount,
        report: &mut SyncReport,
        progress: &mut (dyn FnMut(&str, u64, u64) + Send),
        cancel: &AtomicBool,
    ) -> Result<()> {
        let mut token = match ws.market_token(account).await {
            Ok(token) => token,
            Err(err) => {
                // The keychain did not give the token (locked, gone, no
                // answer in time): this account waits, the others go on.
                let health = Health { last_error: Some(err.to_string()), ..Health::default() };
                report.interrupted = true;
                return record_health(ws, account.id, &health, Flow::Stopped, false).await;
            }
        };
        // A signed-in account's access token is renewed shortly before it
        // expires, and once more if the marketplace refuses it anyway.
        let mut may_refresh = true;
        if ws.access_token_due(account) {
            may_refresh = false;
            match renew_sign_in(ws, account).await? {
                Some(Refreshed::Yes(renewed)) => token = renewed,
                Some(Refreshed::Refused) => {
                    report.interrupted = true;
                    return Ok(());
                }
                None => {
                    report.locked = true;
                    let health = Health { last_error: Some(Halt::Locked.reason()), ..Health::default() };
                    return record_health(ws, account.id, &health, Flow::Locked, false).await;
                }
                // Try the old token: it may still work.
                Some(Refreshed::NotPossible | Refreshed::Failed(_)) => {}
            }
        }
        let mut health = Health::default();
        let flow = loop {
            let market = match self.client_for(account, token) {
                Ok(market) => market,
                Err(err) => {
                    health.note(&err);
                    report.interrupted = true;
                    return record_health(ws, account.id, &health, Flow::Go, false).await;
                }
            };
            let flow = self.run_account(ws, account.id, market.as_ref(), report, &mut health, progress, cancel).await?;
            if flow != Flow::Unauthorized || !may_refresh {
                break flow;
            }
            may_refresh = false;
            match renew_sign_in(ws, account).await? {
                Some(Refreshed::Yes(renewed)) => token = renewed,
                Some(Refreshed::Refused) => {
                    report.interrupted = true;
                    return Ok(());
                }
                None => {
                    health.stops.push(Halt::Locked.reason());
                    break Flow::Locked;
                }
                Some(Refreshed::NotPossible) => break flow,
                // Not refused: the sign-in may still be good; try next pass.
                Some(Refreshed::Failed(why)) => {
                    health.last_error = Some(format!("the sign-in could not be renewed: {why}"));
                    health.transient += 1;
                    break Flow::Stopped;
                }
            }
        };
        match flow {
            Flow::Cancelled => report.cancelled = true,
            Flow::Locked => report.locked = true,
            Flow::Stopped | Flow::Unauthorized | Flow::Halted => report.interrupted = true,
            Flow::Go if !health.stops.is_empty() => report.interrupted = true,
            Flow::Go => {}
        }
        if !health.stops.is_empty() {
            let why = health.stops.join("; ");
            // Named by account, so the report says whose marketplace it was.
            report.stopped.push(format!("{}: {why}", account.name));
            health.last_error = Some(why);
        }
        let complete = flow == Flow::Go && health.stops.is_empty();
        record_health(ws, account.id, &health, flow, complete).await
    }

    /// One account's steps with a connected client: push, then each feed,
    /// then the privacy choices, within the pass's bounds.
    #[allow(clippy::too_many_arguments)]
    async fn run_account(
        &self,
        ws: &Workspace,
        account: Id,
        market: &dyn Marketplace,
        report: &mut SyncReport,
        health: &mut Health,
        progress: &mut (dyn FnMut(&str, u64, u64) + Send),
        cancel: &AtomicBool,
    ) -> Result<Flow> {
        // While analytics are off (the default), every request says Sec-GPC: 1.
        let analytics = crate::privacy::analytics::enabled(&mut *ws.pool().await.acquire().await?).await?;
        market.set_global_privacy_control(!analytics);
        // Every request of this account's run goes through the pass's bounds.
        let pass = PassMarket::new(market, ws.locking(), self.options.max_requests_per_account);
        let market: &dyn Marketplace = &pass;
        // Only what the marketplace can do is asked of it.
        let can = market.capabilities();
        let mut flow = self.push(ws, account, market, report, health, progress, cancel).await?;
        let mut run = PullRun { ws, account, market, report, health, progress, cancel, pulled: 0 };
        // Jobs before bids: a bid on a listed job then needs no request of its own.
        if flow == Flow::Go && can.list_jobs {
            let searches = saved_searches(&mut *ws.pool().await.acquire().await?, Some(account)).await?;
            for (search, query) in searches {
                let feed = SearchFeed { search_id: search.id, search_name: search.name, query };
                flow = self.pull(&feed, &mut run).await?;
                if flow != Flow::Go {
                    break;
                }
            }
        }
        if flow == Flow::Go && can.read_bids {
            run.pulled = 0;
            flow = self.pull(&BidFeed, &mut run).await?;
        }
        if flow == Flow::Go && can.milestones {
            run.pulled = 0;
            flow = self.pull(&MilestoneFeed, &mut run).await?;
        }
        let PullRun { health, .. } = run;
        if flow == Flow::Go {
            flow = self.send_privacy_choices(ws, account, market, health).await?;
        }
        if flow == Flow::Halted {
            flow = match pass.halt() {
                Some(Halt::Locked) => Flow::Locked,
                Some(halt @ Halt::Budget(_)) => {
                    health.stops.push(halt.reason());
                    Flow::Stopped
                }
                None => Flow::Stopped,
            };
        }
        if flow == Flow::Locked {
            health.stops.push(Halt::Locked.reason());
        }
        Ok(flow)
    }

    /// After the feeds: the marketing consent when it changed, then the
    /// queued usage counts (only when opted in). A refusal of one does not
    /// stop the other, except a refused token.
    async fn send_privacy_choices(
        &self,
        ws: &Workspace,
        account: Id,
        market: &dyn Marketplace,
        health: &mut Health,
    ) -> Result<Flow> {
        // One connection for both, as the push does for a row.
        let mut conn = ws.pool().await.acquire().await?;
        let can = market.capabilities();
        let consent = match can.consent {
            true => super::privacy::send_consent_choices(ws, &mut conn, account, market).await?,
            false => None,
        };
        if let Some(err) = consent {
            match err {
                MarketError::Abandoned => return Ok(Flow::Halted),
                MarketError::Unauthorized => {
                    health.note(&err);
                    return Ok(Flow::Unauthorized);
                }
                _ => health.note(&err),
            }
        }
        let usage = match can.analytics {
            true => super::privacy::send_usage_counts(ws, &mut conn, account, market).await?,
            false => None,
        };
        if let Some(err) = usage {
            match err {
                MarketError::Abandoned => return Ok(Flow::Halted),
                MarketError::Unauthorized => {
                    health.note(&err);
                    return Ok(Flow::Unauthorized);
                }
                _ => health.note(&err),
            }
        }
        Ok(Flow::Go)
    }

    // ----- push -----

    #[allow(clippy::too_many_arguments)]
    async fn push(
        &self,
        ws: &Workspace,
        account: Id,
        market: &dyn Marketplace,
        report: &mut SyncReport,
        health: &mut Health,
        progress: &mut (dyn FnMut(&str, u64, u64) + Send),
        cancel: &AtomicBool,
    ) -> Result<Flow> {
        // Rows due at the start; a row deferred now is not tried again in this run.
        let started = ws.now();
        let mut tried: HashSet<i64> = HashSet::new();
        let mut done = 0u64;
        loop {
            let rows = due_heads(ws, account, started).await?;
            let rows: Vec<OutboxRow> = rows.into_iter().filter(|r| !tried.contains(&r.seq)).collect();
            if rows.is_empty() {
                return Ok(Flow::Go);
            }
            let total = done + rows.len() as u64;
            for batch in rows.chunks(PUSH_BATCH) {
                if cancel.load(Ordering::Relaxed) {
                    return Ok(Flow::Cancelled);
                }
                tried.extend(batch.iter().map(|r| r.seq));
                let (flow, settled) = self.send_batch(ws, market, batch, report, health, cancel).await?;
                done += settled;
                progress(PUSH, done, total);
                if flow != Flow::Go {
                    return Ok(flow);
                }
            }
        }
    }

    /// A batch of due rows, each the first of its bid, in three steps: one
    /// transaction checks each row (its bid still there, its client's data
    /// allowed to leave) and writes the transparency-log entry of every
    /// request about to leave; the requests leave one after another; one
    /// transaction records every answer. Dropped after the first step, the
    /// rows are still queued and go again with the same keys (an entry may
    /// then name a request that never left; none is ever missing). A stop
    /// (refused token, a refusal, locking, cancel) ends the sending; what
    /// was answered is recorded and the entries of requests not sent are
    /// taken out of the log. Returns the flow and how many rows were settled.
    async fn send_batch(
        &self,
        ws: &Workspace,
        market: &dyn Marketplace,
        rows: &[OutboxRow],
        report: &mut SyncReport,
        health: &mut Health,
        cancel: &AtomicBool,
    ) -> Result<(Flow, u64)> {
        // One connection for the batch: a statement on another pooled
        // connection would find its page cache stale after our last write and
        // read (and decrypt) the pages again.
        let mut conn = ws.pool().await.acquire().await?;
        let conn = &mut *conn;
        let now = ws.now();
        let mut tx = conn.begin_with(crate::store::db::BEGIN_WRITE).await?;
        let (planned, mut settled) = self.plan(&mut tx, rows, now, report).await?;
        tx.commit().await?;

        let mut answers = Vec::with_capacity(planned.len());
        let mut flow = Flow::Go;
        for plan in &planned {
            if cancel.load(Ordering::Relaxed) {
                flow = Flow::Cancelled;
                break;
            }
            let answer = self.send_planned(conn, market, plan, now, health).await?;
            let stops = match &answer {
                Answer::Settle(Err(err)) => {
                    matches!(err, MarketError::Abandoned | MarketError::Unauthorized | MarketError::Refused(_))
                }
                _ => false,
            };
            answers.push(answer);
            if stops {
                break;
            }
        }

        let sent = answers.len();
        // When the answers came: what a retry's wait counts from.
        let now = ws.now();
        let mut tx = conn.begin_with(crate::store::db::BEGIN_WRITE).await?;
        let mut acks = Vec::with_capacity(sent);
        for (plan, answer) in planned.iter().zip(answers) {
            let row_flow = match answer {
                Answer::Settle(Ok(server)) => {
                    health.answered += 1;
                    report.pushed += 1;
                    acks.push((plan.row, server));
                    Flow::Go
                }
                Answer::Settle(Err(err)) => self.settle(&mut tx, plan.row, err, now, report, health).await?,
                Answer::Conflict(current) => {
                    record_conflict(&mut tx, plan.row, &plan.bid, &current, now).await?;
                    report.conflicts += 1;
                    Flow::Go
                }
            };
            settled += 1;
            if row_flow != Flow::Go {
                flow = row_flow;
            }
        }
        ack_all(&mut tx, &acks, now).await?;
        // The batch stopped before these left: the log keeps only what may have left.
        for plan in planned.iter().skip(sent) {
            if let Some(seq) = plan.logged {
                sqlx::query("DELETE FROM transparency_log WHERE seq = ?").bind(seq).execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok((flow, settled))
    }

    /// Checks a batch's due rows inside its first transaction and writes the
    /// transparency-log entry of every request about to leave. A row with
    /// nothing to send (its bid is gone, or its client's data may not leave)
    /// is settled here and counted in the returned number. A few statements
    /// for the batch, not a few a row: each is a round trip to the
    /// connection's thread, which cost a row more than its work.
    async fn plan<'r>(
        &self,
        tx: &mut SqliteConnection,
        rows: &'r [OutboxRow],
        now: DateTime<Utc>,
        report: &mut SyncReport,
    ) -> Result<(Vec<Planned<'r>>, u64)> {
        let ids: Vec<Id> = rows.iter().map(|r| r.entity_id).collect();
        let bids = record::fetch_each::<Bid>(tx, &ids).await?;
        let clients = bid_clients(tx, &ids).await?;
        let mut may_leave: HashMap<Id, bool> = HashMap::new();
        let mut planned = Vec::with_capacity(rows.len());
        let mut entries = Vec::with_capacity(rows.len());
        let mut settled = 0u64;
        for row in rows {
            let Some(bid) = bids.get(&row.entity_id).cloned() else {
                // The bid is gone for good: nothing is left to send.
                sqlx::query("DELETE FROM outbox WHERE seq = ?").bind(row.seq).execute(&mut *tx).await?;
                settled += 1;
                continue;
            };
            if let Some(&client) = clients.get(&bid.meta.id) {
                let leaves = match may_leave.get(&client) {
                    Some(&leaves) => leaves,
                    None => *may_leave.entry(client).or_insert(self.may_share(tx, client).await?),
                };
                if !leaves {
                    let reason = "the bid's client is restricted; nothing about it leaves this machine";
                    fail_row(tx, row, reason, now).await?;
                    report.failed += 1;
                    settled += 1;
                    continue;
                }
            }
            let key = IdempotencyKey::new(row.idempotency_key.clone())
                .ok_or_else(|| Error::Inconsistent("an outbox row has an invalid idempotency key".to_owned()))?;
            let (request, operation) = request_of(row, &bid)?;
            if let Some(op) = operation {
                entries.push((planned.len(), row.account_id, op));
            }
            planned.push(Planned { row, bid, key, request, logged: None });
        }
        let logged = log_requests(tx, entries.iter().map(|&(_, account, op)| (account, op)), now).await?;
        for (&(at, ..), seq) in entries.iter().zip(logged) {
            planned[at].logged = Some(seq);
        }
        Ok((planned, settled))
    }

    /// Sends one planned row. Its entry is in the log already; only an
    /// edit's further tries (onto a newer version) log their own.
    async fn send_planned(
        &self,
        conn: &mut SqliteConnection,
        market: &dyn Marketplace,
        plan: &Planned<'_>,
        now: DateTime<Utc>,
        health: &mut Health,
    ) -> Result<Answer> {
        Ok(match &plan.request {
            Request::Create(new) => Answer::Settle(market.create_bid(&plan.key, new).await),
            Request::Withdraw(external) => Answer::Settle(market.withdraw_bid(external, &plan.key).await),
            Request::Refuse(err) => Answer::Settle(Err(err.clone())),
            Request::Edit { external, terms, base_terms, base } => {
                self.send_edit(conn, market, plan.row, external, terms, base_terms.as_ref(), *base, now, health).await?
            }
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn send_edit(
        &self,
        conn: &mut SqliteConnection,
        market: &dyn Marketplace,
        row: &OutboxRow,
        external: &str,
        terms: &BidTerms,
        base_terms: Option<&BidTerms>,
        mut base: i64,
        now: DateTime<Utc>,
        health: &mut Health,
    ) -> Result<Answer> {
        // A marketplace change of status only (shortlisted, say) is no
        // conflict: the edit moves onto the new version. Bounded, so a bid
        // changing under us all the time is retried later rather than forever.
        for attempt in 0..3 {
            if attempt > 0 {
                log_request(conn, row.account_id, Operation::EditBid, 1, now).await?;
            }
            let result = market.edit_bid(external, u64::try_from(base).unwrap_or(0), &terms.to_edit()).await;
            let Err(MarketError::VersionConflict { current }) = result else {
                return Ok(Answer::Settle(result));
            };
            health.answered += 1;
            let theirs = BidTerms::of_wire(&current);
            if theirs == *terms {
                // Our earlier try went through; its answer was lost.
                return Ok(Answer::Settle(Ok(*current)));
            }
            if base_terms == Some(&theirs) {
                base = outbox::stored_version(&current);
                sqlx::query("UPDATE outbox SET base_version = ? WHERE seq = ?")
                    .bind(base)
                    .bind(row.seq)
                    .execute(&mut *conn)
                    .await?;
                continue;
            }
            return Ok(Answer::Conflict(current));
        }
        let busy = MarketError::Transient {
            retry_after: None,
            reason: bidwell_marketplace::TransientReason::Retryable(wire::ApiErrorCode::VersionConflict),
        };
        Ok(Answer::Settle(Err(busy)))
    }

    /// Records what the marketplace said to a row it did not acknowledge,
    /// in the caller's transaction (acknowledgements: [`ack_all`]).
    async fn settle(
        &self,
        tx: &mut SqliteConnection,
        row: &OutboxRow,
        err: MarketError,
        now: DateTime<Utc>,
        report: &mut SyncReport,
        health: &mut Health,
    ) -> Result<Flow> {
        if matches!(err, MarketError::Abandoned) {
            // Not sent, or its answer never read: the row stays as it was and
            // the next run sends it again with the same key or base version.
            return Ok(Flow::Halted);
        }
        health.note(&err);
        match err {
            MarketError::Unauthorized => Ok(Flow::Unauthorized),
            // The marketplace misbehaved, not the change: it waits like
            // after a transient failure (backed off, so a marketplace that
            // keeps doing it is not asked every run), and this account's
            // run stops; the other accounts go on.
            MarketError::Transient { .. } | MarketError::Refused(_) => {
                let attempt = u32::try_from(row.attempts).unwrap_or(u32::MAX);
                let delay = {
                    let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
                    err.retry_delay(attempt, &self.options.backoff, now, &mut *rng)
                        .unwrap_or_else(|| self.options.backoff.delay(attempt, &mut *rng))
                };
                let next = now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::zero());
                sqlx::query(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = ?, last_attempt_at = ?, \
                     next_attempt_at = ?, updated_at = ? WHERE seq = ?",
                )
                .bind(err.to_string())
                .bind(now)
                .bind(next)
                .bind(now)
                .bind(row.seq)
                .execute(&mut *tx)
                .await?;
                report.deferred += 1;
                Ok(if err.is_transient() { Flow::Go } else { Flow::Stopped })
            }
            other => {
                fail_row(tx, row, &other.to_string(), now).await?;
                report.failed += 1;
                Ok(Flow::Go)
            }
        }
    }
}

/// Rows sent per batch: their log entries are written in one transaction
/// before the first request leaves, their answers recorded in one after the
/// last is back. At 100 the two commits no longer show in a profile of the
/// push; a bigger batch would only widen what a crash sends again.
const PUSH_BATCH: usize = 100;

/// A due row, checked, with what it will send.
struct Planned<'r> {
    row: &'r OutboxRow,
    bid: Bid,
    key: IdempotencyKey,
    request: Request,
    /// Its request's transparency-log entry (`seq`), written before it leaves.
    logged: Option<i64>,
}

enum Request {
    Create(wire::NewBid),
    Withdraw(String),
    Edit {
        external: String,
        terms: BidTerms,
        base_terms: Option<BidTerms>,
        base: i64,
    },
    /// Settled as refused with no request (an edit or withdrawal of a bid
    /// that never reached the marketplace, an unknown operation).
    Refuse(MarketError),
}

/// What the marketplace said to a planned row.
enum Answer {
    Settle(std::result::Result<wire::Bid, MarketError>),
    /// An edit whose base the marketplace changed in content.
    Conflict(Box<wire::Bid>),
}

impl SyncEngine {
    /// After a committed page that says more are waiting: whether its feed
    /// stops here for this pass, and why (kept in `health`). Its cursor
    /// must move, or asking again would get the same page forever; and a
    /// feed gets at most `max_pages_per_feed` pages a pass. Either way what
    /// was committed stays, and the next pass resumes at the saved cursor.
    pub(super) fn feed_stops(
        &self,
        health: &mut Health,
        feed: &str,
        asked: Option<&wire::Cursor>,
        next: Option<&wire::Cursor>,
        pages: u32,
    ) -> bool {
        if next.is_none() || next == asked {
            health.stops.push(format!(
                "stopped: the marketplace returned the same cursor twice on the {feed} feed; the next sync asks again"
            ));
            return true;
        }
        if pages >= self.options.max_pages_per_feed {
            health.stops.push(format!("stopped after {pages} pages of {feed} this pass; the rest comes next sync"));
            return true;
        }
        false
    }
}

/// A page held to the client's limits, whatever adapter brought it: no
/// more items than asked for, every field within `bounds.rs`'s limits.
pub(super) fn within_bounds<T: WireBounds>(page: &wire::Page<T>, asked: u32) -> std::result::Result<(), MarketError> {
    if page.items.len() > asked as usize {
        return Err(MarketError::Refused(Refusal::TooManyItems { asked }));
    }
    page.check_bounds().map_err(MarketError::Refused)
}

/// Waits for a running sync pass of `ws` to end and keeps any other from
/// starting until the returned turn is dropped (removing an account holds it).
pub(crate) async fn hold_sync(ws: &Workspace) -> flight::Lead {
    loop {
        match flight::take_turn(ws.paths().database.clone()) {
            flight::Turn::Lead(lead) => return lead,
            flight::Turn::Follow(pass) => {
                // Its report is not ours to use; only its end matters.
                let _ = flight::follow(pass).await;
            }
        }
    }
}

/// What a due row asks of the marketplace, and the operation its log entry
/// names (`None`: refused here, nothing leaves).
fn request_of(row: &OutboxRow, bid: &Bid) -> Result<(Request, Option<Operation>)> {
    Ok(match (row.operation.as_str(), &bid.origin.external_id) {
        (outbox::CREATE, _) => (Request::Create(parse(&row.payload)?), Some(Operation::CreateBid)),
        (outbox::WITHDRAW, Some(external)) => (Request::Withdraw(external.clone()), Some(Operation::WithdrawBid)),
        (outbox::UPDATE, Some(external)) => {
            let edit = Request::Edit {
                external: external.clone(),
                terms: parse(&row.payload)?,
                base_terms: row.base_terms.as_deref().map(parse).transpose()?,
                base: row.base_version.or(bid.server_version).unwrap_or(0),
            };
            (edit, Some(Operation::EditBid))
        }
        (outbox::WITHDRAW | outbox::UPDATE, None) => (Request::Refuse(never_created()), None),
        (other, _) => {
            let unknown = MarketError::Permanent {
                code: wire::ApiErrorCode::Unknown,
                message: format!("unknown outbox operation {other}"),
            };
            (Request::Refuse(unknown), None)
        }
    })
}

fn never_created() -> MarketError {
    MarketError::Permanent {
        code: wire::ApiErrorCode::InvalidState,
        message: "the bid never reached the marketplace".to_owned(),
    }
}

/// A pull that failed: the cursor stays where its data is; the next run resumes there.
pub(super) fn pull_failed(health: &mut Health, err: &MarketError) -> Flow {
    match err {
        MarketError::Abandoned => Flow::Halted,
        MarketError::Unauthorized => {
            health.note(err);
            Flow::Unauthorized
        }
        _ => {
            health.note(err);
            Flow::Stopped
        }
    }
}

/// The first pending row of each bid that is due and has no open conflict.
/// A failed create holds back the rows behind it (they need the bid on the
/// marketplace); a failed edit or withdrawal does not: it stays visible for a
/// retry and the bid's later changes keep flowing.
async fn due_heads(ws: &Workspace, account: Id, now: DateTime<Utc>) -> Result<Vec<OutboxRow>> {
    Ok(sqlx::query_as::<_, OutboxRow>(
        "SELECT seq, account_id, entity_id, operation, payload, idempotency_key, attempts, base_version, base_terms \
         FROM outbox o WHERE o.account_id = ?1 AND o.status = 'pending' \
           AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= ?2) \
           AND o.seq = (SELECT min(seq) FROM outbox p WHERE p.entity_kind = o.entity_kind AND p.entity_id = o.entity_id \
                        AND (p.status = 'pending' OR p.operation = 'create')) \
           AND NOT EXISTS (SELECT 1 FROM sync_conflicts c WHERE c.bid_id = o.entity_id AND c.resolved_at IS NULL) \
         ORDER BY o.seq",
    )
    .bind(account)
    .bind(now)
    .fetch_all(&ws.pool().await)
    .await?)
}

async fn next_attempt_at(ws: &Workspace) -> Result<Option<DateTime<Utc>>> {
    Ok(sqlx::query_scalar(
        "SELECT min(next_attempt_at) FROM outbox WHERE status = 'pending' AND next_attempt_at IS NOT NULL",
    )
    .fetch_one(&ws.pool().await)
    .await?)
}

/// The local client each of these bids is about, through its project or
/// its job; bids about no client are not in the map.
async fn bid_clients(conn: &mut SqliteConnection, bids: &[Id]) -> Result<HashMap<Id, Id>> {
    if bids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = bid_clients_sql(bids.len());
    let mut query = sqlx::query_as::<_, (Id, Id)>(&sql);
    for id in bids {
        query = query.bind(*id);
    }
    Ok(query.fetch_all(conn).await?.into_iter().collect())
}

fn bid_clients_sql(n: usize) -> String {
    format!(
        "SELECT id, client FROM (SELECT b.id, coalesce((SELECT client_id FROM projects WHERE id = b.project_id), \
         (SELECT client_id FROM jobs WHERE id = b.job_id)) AS client FROM bids b WHERE b.id IN {}) \
         WHERE client IS NOT NULL",
        record::parameters(n)
    )
}

/// The transparency log: what kind of data went where, and how many records.
/// Returns the entry's `seq`.
pub(super) async fn log_request(
    conn: &mut SqliteConnection,
    account: Id,
    op: Operation,
    records: i64,
    now: DateTime<Utc>,
) -> Result<i64> {
    let (op_name, categories) = log_words(op);
    let seq = sqlx::query(
        "INSERT INTO transparency_log (at, account_id, operation, endpoint, data_categories, record_count) \
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(now)
    .bind(account)
    .bind(op_name)
    .bind(op.endpoint())
    .bind(categories)
    .bind(records)
    .execute(conn)
    .await?
    .last_insert_rowid();
    Ok(seq)
}

/// One log entry (of one record) for each request about to leave, in one
/// statement. Returns each entry's `seq`, in the order given.
pub(super) async fn log_requests(
    conn: &mut SqliteConnection,
    requests: impl Iterator<Item = (Id, Operation)>,
    now: DateTime<Utc>,
) -> Result<Vec<i64>> {
    let requests: Vec<(Id, Operation)> = requests.collect();
    if requests.is_empty() {
        return Ok(Vec::new());
    }
    let mut insert = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
        "INSERT INTO transparency_log (at, account_id, operation, endpoint, data_categories, record_count) ",
    );
    insert.push_values(&requests, |mut entry, &(account, op)| {
        let (name, categories) = log_words(op);
        entry
            .push_bind(now)
            .push_bind(account)
            .push_bind(name)
            .push_bind(op.endpoint())
            .push_bind(categories)
            .push_bind(1);
    });
    insert.push(" RETURNING seq, account_id, operation");
    let mut written: Vec<(i64, Id, String)> = insert.build_query_as().fetch_all(&mut *conn).await?;
    // RETURNING's order is SQLite's to choose. Entries of the same account
    // and operation are alike, so each takes the lowest seq left of its kind.
    written.sort_by_key(|&(seq, ..)| std::cmp::Reverse(seq));
    let mut seqs = Vec::with_capacity(requests.len());
    for (account, op) in requests {
        let name = log_words(op).0;
        let at = written
            .iter()
            .rposition(|(_, a, o)| *a == account && *o == name)
            .ok_or_else(|| Error::Inconsistent("a transparency-log entry was not written".to_owned()))?;
        seqs.push(written.remove(at).0);
    }
    Ok(seqs)
}

/// An operation's name and its data categories (a JSON array), as the log keeps them.
fn log_words(op: Operation) -> (String, String) {
    let categories: Vec<String> = op
        .data_categories()
        .iter()
        .map(|c| serde_json::to_value(c).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default())
        .collect();
    let name = serde_json::to_value(op).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    (name, serde_json::Value::from(categories).to_string())
}

/// Renews an account's sign-in, given up (`None`) once the workspace starts
/// locking: locking wins over a sync, and a slow token endpoint must not
/// hold it up.
async fn renew_sign_in(ws: &Workspace, account: &MarketAccount) -> Result<Option<Refreshed>> {
    tokio::select! {
        renewed = ws.refresh_market_token(account) => renewed.map(Some),
        () = ws.locking().raised() => Ok(None),
    }
}

async fn record_health(ws: &Workspace, account: Id, health: &Health, flow: Flow, complete: bool) -> Result<()> {
    let now = ws.now();
    let state = match flow {
        Flow::Unauthorized => Some(ConnectionState::TokenExpired),
        _ if health.answered > 0 => Some(ConnectionState::Online),
        _ if health.transient > 0 => Some(ConnectionState::Offline),
        // Cancelled before anything was asked: what we knew still holds.
        _ => None,
    };
    let clean = complete && health.transient == 0;
    sqlx::query(
        "UPDATE market_accounts SET connection = coalesce(?1, connection), \
         last_sync_at = CASE WHEN ?2 THEN ?3 ELSE last_sync_at END, \
         last_error = CASE WHEN ?2 THEN NULL ELSE coalesce(?4, last_error) END, updated_at = ?3 WHERE id = ?5",
    )
    .bind(state)
    .bind(clean)
    .bind(now)
    .bind(&health.last_error)
    .bind(account)
    .execute(&ws.pool().await)
    .await?;
    Ok(())
}

pub(super) async fn load_cursor(ws: &Workspace, account: Id, resource: &str) -> Result<Option<wire::Cursor>> {
    let cursor: Option<Option<String>> =
        sqlx::query_scalar("SELECT cursor FROM sync_state WHERE account_id = ? AND resource = ?")
            .bind(account)
            .bind(resource)
            .fetch_optional(&ws.pool().await)
            .await?;
    Ok(cursor.flatten().map(wire::Cursor))
}

pub(super) async fn save_cursor(
    conn: &mut SqliteConnection,
    account: Id,
    resource: &str,
    cursor: Option<&wire::Cursor>,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sync_state (account_id, resource, cursor, last_synced_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (account_id, resource) DO UPDATE SET cursor = excluded.cursor, \
         last_synced_at = excluded.last_synced_at",
    )
    .bind(account)
    .bind(resource)
    .bind(cursor.map(|c| c.0.clone()))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub(super) async fn local_bid(conn: &mut SqliteConnection, account: Id, external: &str) -> Result<Option<Id>> {
    Ok(sqlx::query_scalar("SELECT id FROM bids WHERE source = ? AND external_id = ?")
        .bind(account.to_string())
        .bind(external)
        .fetch_optional(conn)
        .await?)
}

/// Which of these marketplace ids of an account `table` ("bids" or "jobs")
/// holds: one read for a page.
pub(super) async fn known_externals(
    conn: &mut SqliteConnection,
    table: &'static str,
    account: Id,
    externals: &[&str],
) -> Result<HashSet<String>> {
    if externals.is_empty() {
        return Ok(HashSet::new());
    }
    let sql = known_externals_sql(table, externals.len());
    let mut query = sqlx::query_scalar::<_, String>(&sql).bind(account.to_string());
    for external in externals {
        query = query.bind(*external);
    }
    Ok(query.fetch_all(conn).await?.into_iter().collect())
}

fn known_externals_sql(table: &str, n: usize) -> String {
    format!("SELECT external_id FROM {table} WHERE source = ? AND external_id IN {}", record::parameters(n))
}

pub(super) async fn local_job(conn: &mut SqliteConnection, account: Id, external: &str) -> Result<Option<Id>> {
    Ok(sqlx::query_scalar("SELECT id FROM jobs WHERE source = ? AND external_id = ?")
        .bind(account.to_string())
        .bind(external)
        .fetch_optional(conn)
        .await?)
}

/// A bid from the marketplace feed: ours (by marketplace id), ours before its
/// create was acknowledged (same job and terms, no marketplace id yet), or
/// one made elsewhere (added).
pub(super) async fn upsert_bid(
    conn: &mut SqliteConnection,
    account: Id,
    bid: &wire::Bid,
    now: DateTime<Utc>,
) -> Result<()> {
    let local = match local_bid(conn, account, &bid.id).await? {
        Some(local) => Some(local),
        None => match adopt_pending_create(conn, account, bid).await? {
            Some(local) => Some(local),
            None => adopt_recorded_bid(conn, account, bid).await?,
        },
    };
    let local = match local {
        Some(local) => local,
        None => {
            let Some(job) = local_job(conn, account, &bid.job_id).await? else {
                tracing::warn!("a marketplace bid names a job that could not be fetched; skipped");
                return Ok(());
            };
            let terms = BidTerms::of_wire(bid);
            let record = Bid {
                meta: record::new_meta(now),
                job_id: job,
                project_id: None,
                status: outbox::local_status(bid.status),
                amount_minor: terms.amount_minor.max(1),
                currency: terms.currency,
                delivery_days: terms.delivery_days.max(1),
                milestone_percentage: terms.milestone_percentage.clamp(0, 100),
                proposal: terms.proposal,
                submitted_at: Some(bid.created_at),
                server_version: None,
                origin: Origin { source: Some(account.to_string()), external_id: Some(bid.id.clone()) },
                market_account: None, // derived on read (as job_title); this record is only inserted
                job_title: None,
                fields: Default::default(),
                tags: Default::default(),
            };
            record::insert(conn, &record).await?;
            record.meta.id
        }
    };
    apply_server_bid(conn, account, local, bid, now).await?;
    Ok(())
}

async fn adopt_pending_create(conn: &mut SqliteConnection, account: Id, bid: &wire::Bid) -> Result<Option<Id>> {
    let candidates: Vec<(Id, String)> = sqlx::query_as(
        "SELECT b.id, o.payload FROM bids b JOIN outbox o ON o.entity_kind = 'bid' AND o.entity_id = b.id \
         AND o.operation = 'create' JOIN jobs j ON j.id = b.job_id \
         WHERE b.external_id IS NULL AND j.source = ? AND j.external_id = ? ORDER BY o.seq",
    )
    .bind(account.to_string())
    .bind(&bid.job_id)
    .fetch_all(conn)
    .await?;
    for (id, payload) in candidates {
        let new: wire::NewBid = parse(&payload)?;
        if new.amount == bid.amount && new.period_days == bid.period_days && new.proposal == bid.proposal {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// On a marketplace that takes bids only on its website: the bid the user
/// marked as placed on this job (submitted here, not linked yet, nothing
/// queued), oldest first, is the one this proposal is.
async fn adopt_recorded_bid(conn: &mut SqliteConnection, account: Id, bid: &wire::Bid) -> Result<Option<Id>> {
    if !outbox::capabilities_of(conn, account).await?.bids_recorded_only {
        return Ok(None);
    }
    Ok(sqlx::query_scalar(
        "SELECT b.id FROM bids b JOIN jobs j ON j.id = b.job_id \
         WHERE b.external_id IS NULL AND b.status = 'submitted' AND b.deleted_at IS NULL \
         AND j.source = ? AND j.external_id = ? \
         AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.entity_kind = 'bid' AND o.entity_id = b.id) \
         ORDER BY b.id LIMIT 1",
    )
    .bind(account.to_string())
    .bind(&bid.job_id)
    .fetch_optional(conn)
    .await?)
}

pub(super) async fn upsert_job(
    conn: &mut SqliteConnection,
    account: Id,
    job: &wire::Job,
    now: DateTime<Utc>,
) -> Result<()> {
    upsert_jobs(conn, account, std::slice::from_ref(job), now).await
}

/// Jobs written per statement: a statement is a round trip to the
/// connection's thread, which cost a pulled job about as much as its row.
/// 50 jobs are 800 parameters, far inside SQLite's limit.
const JOBS_PER_STATEMENT: usize = 50;

/// A page of jobs, added or brought up to date by marketplace id, a few
/// statements for the page rather than one a job.
pub(super) async fn upsert_jobs(
    conn: &mut SqliteConnection,
    account: Id,
    jobs: &[wire::Job],
    now: DateTime<Utc>,
) -> Result<()> {
    let source = account.to_string();
    for chunk in jobs.chunks(JOBS_PER_STATEMENT) {
        let mut insert = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT INTO jobs (id, title, description, budget_kind, budget_min_minor, budget_max_minor, currency, \
             skills, posted_at, market_status, source, external_id, created_at, updated_at, url, fetched_at) ",
        );
        insert.push_values(chunk, |mut row, job| {
            let status = match job.status {
                wire::JobStatus::Open => "open",
                wire::JobStatus::Closed => "closed",
            };
            row.push_bind(Id::new_at(now))
                .push_bind(job.title.clone())
                .push_bind(job.description.clone())
                .push_bind(job.budget.kind.as_str())
                .push_bind(job.budget.min_minor)
                .push_bind(job.budget.max_minor)
                .push_bind(job.budget.currency.clone())
                .push_bind(serde_json::to_string(&job.skills).unwrap_or_else(|_| "[]".to_owned()))
                .push_bind(job.posted_at)
                .push_bind(status)
                .push_bind(source.clone())
                .push_bind(job.id.clone())
                .push_bind(now)
                .push_bind(now)
                .push_bind(job.url.clone())
                .push_bind(now);
        });
        insert.push(
            " ON CONFLICT (source, external_id) WHERE external_id IS NOT NULL DO UPDATE SET \
             title = excluded.title, description = excluded.description, budget_kind = excluded.budget_kind, \
             budget_min_minor = excluded.budget_min_minor, budget_max_minor = excluded.budget_max_minor, \
             currency = excluded.currency, skills = excluded.skills, posted_at = excluded.posted_at, \
             market_status = excluded.market_status, updated_at = excluded.updated_at, \
             url = coalesce(excluded.url, jobs.url), fetched_at = excluded.fetched_at",
        );
        insert.build().execute(&mut *conn).await?;
    }
    Ok(())
}

pub(super) async fn upsert_milestone(
    conn: &mut SqliteConnection,
    account: Id,
    milestone: &wire::Milestone,
    now: DateTime<Utc>,
) -> Result<()> {
    let Some(bid) = local_bid(conn, account, &milestone.bid_id).await? else {
        tracing::warn!("a marketplace milestone names a bid we do not hold; skipped");
        return Ok(());
    };
    let status = match milestone.status {
        wire::MilestoneStatus::Pending => "pending",
        wire::MilestoneStatus::Funded => "funded",
        wire::MilestoneStatus::Released => "released",
        wire::MilestoneStatus::Refunded => "refunded",
        wire::MilestoneStatus::Disputed => "disputed",
    };
    let title = if milestone.description.trim().is_empty() { "Milestone" } else { milestone.description.as_str() };
    sqlx::query(
        "INSERT INTO milestones (id, bid_id, title, amount_minor, currency, status, source, external_id, \
         created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) \
         ON CONFLICT (source, external_id) WHERE external_id IS NOT NULL DO UPDATE SET \
         bid_id = excluded.bid_id, title = excluded.title, amount_minor = excluded.amount_minor, \
         currency = excluded.currency, status = excluded.status, updated_at = excluded.updated_at",
    )
    .bind(Id::new_at(now))
    .bind(bid)
    .bind(title)
    .bind(milestone.amount.amount_minor.max(1))
    .bind(&milestone.amount.currency)
    .bind(status)
    .bind(account.to_string())
    .bind(&milestone.id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod plans {
    //! A page or batch is read in one statement; at a million records each
    //! must find its rows by an index, never by walking a table.

    use super::*;
    use crate::store::record::query_plan;

    #[tokio::test]
    async fn the_reads_of_a_page_or_a_batch_find_their_rows_by_index() {
        let statements = [known_externals_sql("bids", 3), known_externals_sql("jobs", 3), bid_clients_sql(3)];
        let plans = query_plan::of_statements(&statements).await;
        for plan in &plans {
            assert!(!plan.contains("SCAN"), "{plan}");
        }
        assert!(plans[0].contains("USING COVERING INDEX bids_external (source=? AND external_id=?)"), "{}", plans[0]);
        assert!(plans[1].contains("USING COVERING INDEX jobs_external (source=? AND external_id=?)"), "{}", plans[1]);
    }
}
