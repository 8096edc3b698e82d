//! Sync throughput against the reference marketplace on 127.0.0.1: pull
//! 100 000 jobs and push 10 000 bids through the engine into an encrypted
//! workspace. The baselines run in the same process against a second server
//! with the same seed: for the pull, the bare HTTP client writing each page
//! into plain (unencrypted) SQLite with sqlx, one transaction per page, into
//! a jobs table and an FTS5 index created from the workspace's own
//! definitions; for the push, the bare client alone (the wire). Prints rates
//! and engine/baseline ratios; one run of each, since a run is tens of
//! thousands of requests already.
//!
//! Environment: BIDWELL_BENCH_SYNC_JOBS (default 100000),
//! BIDWELL_BENCH_SYNC_BIDS (default 10000). How to run and the figures:
//! docs/performance.md.

use std::collections::HashSet;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bidwell_core::secret::{Passphrase, WrappingKey};
use bidwell_core::sync::{HttpConnector, SyncEngine, SyncOptions};
use bidwell_core::vault::{KdfParams, KeyStore, Protection, VaultError};
use bidwell_core::*;
use bidwell_market_sim::{SimConfig, SimServer};
use bidwell_marketplace::{wire, ApiToken, Backoff, HttpMarketplace, HttpOptions, IdempotencyKey, Marketplace};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, SqliteConnection};

const TOKEN: &str = "sim-token";
const PAGE: u32 = 200;

/// The benchmark keeps its key behind a passphrase; no keychain is asked.
struct NoKeychain;

impl KeyStore for NoKeychain {
    fn backend(&self) -> &'static str {
        "none"
    }
    fn probe(&self) -> Result<(), VaultError> {
        Err(VaultError::NoKeychain { backend: "none", reason: "benchmark".into() })
    }
    fn store(&self, _: &str, _: &WrappingKey) -> Result<(), VaultError> {
        self.probe()
    }
    fn load(&self, _: &str) -> Result<WrappingKey, VaultError> {
        Err(VaultError::NoKeychain { backend: "none", reason: "benchmark".into() })
    }
    fn delete(&self, _: &str) -> Result<(), VaultError> {
        self.probe()
    }
}

fn count(var: &str, default: usize) -> usize {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn http_options() -> HttpOptions {
    HttpOptions {
        request_timeout: Duration::from_secs(30),
        connect_timeout: Duration::from_secs(5),
        global_privacy_control: true,
    }
}

async fn server(jobs: usize) -> SimServer {
    let config = SimConfig { jobs, record_requests: false, ..SimConfig::default() };
    SimServer::start(config).await.expect("the reference server starts")
}

fn rate(n: usize, took: Duration) -> f64 {
    n as f64 / took.as_secs_f64()
}

/// Open jobs, which accept bids, in id order: (external id, currency).
fn open_jobs(server: &SimServer, n: usize) -> Vec<(String, String)> {
    let mut open: Vec<(String, String)> = server
        .jobs()
        .into_iter()
        .filter(|j| j.status == wire::JobStatus::Open)
        .map(|j| (j.id, j.budget.currency))
        .collect();
    open.sort();
    open.into_iter().cycle().take(n).collect()
}

/// The pull's baseline database: plain SQLite (no key) with the journal
/// settings the workspace uses, a `jobs` table and the `search_fts` index as
/// the workspace's migrations define them (copied from its `sqlite_master`).
async fn plain_sqlite(dir: &std::path::Path, ws: &Workspace) -> SqliteConnection {
    let mut conn = SqliteConnectOptions::new()
        .filename(dir.join("plain.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        // The copied table names `clients` in a reference; that table is not here.
        .foreign_keys(false)
        .pragma("cache_size", "-32000")
        .disable_statement_logging()
        .connect()
        .await
        .expect("a plain SQLite database");
    for name in ["jobs", "search_fts"] {
        let sql = ws.schema_sql(name).await.expect("the workspace's schema").expect("defined by a migration");
        sqlx::query(&sql).execute(&mut conn).await.expect("the same definition, unencrypted");
    }
    conn
}

/// One page into the baseline, in one transaction: each job's row and its
/// search entry (title; description and skills, as the workspace's trigger
/// joins them), the values the engine writes.
async fn write_plain(conn: &mut SqliteConnection, jobs: &[wire::Job]) {
    let now = chrono::Utc::now();
    let mut tx = conn.begin().await.expect("a transaction");
    for job in jobs {
        let skills = serde_json::to_string(&job.skills).expect("skills as JSON");
        let status = match job.status {
            wire::JobStatus::Open => "open",
            wire::JobStatus::Closed => "closed",
        };
        sqlx::query(
            "INSERT INTO jobs (id, title, description, budget_kind, budget_min_minor, budget_max_minor, currency, \
             skills, posted_at, market_status, source, external_id, created_at, updated_at, url, fetched_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14, ?13)",
        )
        .bind(Id::new_at(now))
        .bind(&job.title)
        .bind(&job.description)
        .bind(job.budget.kind.as_str())
        .bind(job.budget.min_minor)
        .bind(job.budget.max_minor)
        .bind(&job.budget.currency)
        .bind(&skills)
        .bind(job.posted_at)
        .bind(status)
        .bind("bench")
        .bind(&job.id)
        .bind(now)
        .bind(&job.url)
        .execute(&mut *tx)
        .await
        .expect("a job row");
        sqlx::query(
            "INSERT INTO search_fts (rowid, title, body) VALUES (last_insert_rowid(), ?1, \
             concat_ws(' ', ?2, NULL, '', (SELECT group_concat(value, ' ') FROM json_each(?3))))",
        )
        .bind(&job.title)
        .bind(&job.description)
        .bind(&skills)
        .execute(&mut *tx)
        .await
        .expect("its search entry");
    }
    tx.commit().await.expect("the page is committed");
}

#[tokio::main]
async fn main() {
    let jobs = count("BIDWELL_BENCH_SYNC_JOBS", 100_000);
    let bids = count("BIDWELL_BENCH_SYNC_BIDS", 10_000);
    println!("sync benchmark: {jobs} jobs pulled, {bids} bids pushed, against 127.0.0.1");

    // The engine's workspace, made first: the baseline copies its schema.
    let dir = tempfile::tempdir().expect("a temp dir");
    let env = Environment {
        clock: Arc::new(SystemClock),
        keychain: Arc::new(NoKeychain),
        kdf: KdfParams::light(),
        holder: Default::default(),
    };
    let protection = Protection::Passphrase(Passphrase::new("benchmark passphrase".into()));
    let (ws, _) = Workspace::create(&dir.path().join("ws"), "Bench", protection, env).await.expect("a workspace");

    // Baselines: the bare client; for the pull, writing into plain SQLite.
    let bare_server = server(jobs).await;
    let market = HttpMarketplace::new(&bare_server.base_url(), ApiToken::new(TOKEN.into()), http_options())
        .expect("a client for the local server");
    let mut plain = plain_sqlite(dir.path(), &ws).await;
    let started = Instant::now();
    let (mut cursor, mut pulled) = (None, 0);
    loop {
        let page = market.list_jobs(&wire::JobQuery::default(), cursor.as_ref(), PAGE).await.expect("a jobs page");
        pulled += page.items.len();
        write_plain(&mut plain, &page.items).await;
        if !page.has_more {
            break;
        }
        cursor = page.next_cursor;
    }
    let bare_pull = started.elapsed();
    assert_eq!(pulled, jobs, "the baseline pull saw every job");
    let written: i64 =
        sqlx::query_scalar("SELECT count(*) FROM search_fts").fetch_one(&mut plain).await.expect("a count");
    assert_eq!(written as usize, jobs, "the baseline indexed every job");
    plain.close().await.expect("the baseline database closes");
    let targets = open_jobs(&bare_server, bids);
    let started = Instant::now();
    for (i, (job, currency)) in targets.iter().enumerate() {
        let bid = wire::NewBid {
            job_id: job.clone(),
            amount: wire::Money { amount_minor: 50_000, currency: currency.clone() },
            period_days: 10,
            milestone_percentage: 0,
            proposal: format!("benchmark bid {i}"),
        };
        let key = IdempotencyKey::new(format!("bench-{i}")).expect("a valid key");
        market.create_bid(&key, &bid).await.expect("the bid is created");
    }
    let bare_push = started.elapsed();

    // The engine: an encrypted workspace, the outbox, cursors saved per page.
    let engine_server = server(jobs).await;
    let account = ws
        .add_market_account("Sim", &engine_server.base_url(), ApiToken::new(TOKEN.into()), privacy::ConsentMethod::Cli)
        .await
        .expect("the account")
        .id;
    ws.add_saved_search(account, "everything", None, vec![]).await.expect("a saved search");
    let options = SyncOptions {
        backoff: Backoff { base: Duration::from_millis(500), cap: Duration::from_secs(60) },
        page_limit: PAGE,
        jitter_seed: Some(1),
        // One pass for the whole run: the bounds a pass keeps against a
        // looping marketplace (200 pages, 5 000 requests) would cut it into
        // several, which measures the same work with more set-up.
        max_pages_per_feed: u32::MAX,
        max_requests_per_account: u32::MAX,
    };
    let engine = SyncEngine::new(Arc::new(HttpConnector { options: http_options() }), options);
    let quiet = || AtomicBool::new(false);
    let started = Instant::now();
    let report = engine.sync_once(&ws, &mut |_, _, _| {}, &quiet()).await.expect("the pull");
    // Until the pulled jobs can be found: a search catches up an index that is filled later.
    ws.search("zzzqqq", 1).await.expect("a search");
    let engine_pull = started.elapsed();
    assert!(report.pulled as usize >= jobs, "the engine pulled every job: {report:?}");

    // Drafts and their submits are local work, timed apart from the push.
    let open: HashSet<String> = open_jobs(&engine_server, bids).into_iter().map(|(id, _)| id).collect();
    let mut local = Vec::new();
    let mut page = PageRequest { limit: 1000, ..Default::default() };
    loop {
        let got = ws.list_jobs(&JobFilter::default(), &page).await.expect("a page of jobs");
        local.extend(got.items.into_iter().filter(|j| j.origin.external_id.as_ref().is_some_and(|e| open.contains(e))));
        match got.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
    }
    local.sort_by(|a, b| a.origin.external_id.cmp(&b.origin.external_id));
    let started = Instant::now();
    for (i, job) in local.iter().cycle().take(bids).enumerate() {
        let draft = NewBid {
            job_id: Some(job.meta.id),
            project_id: None,
            amount_minor: 50_000,
            currency: job.currency.clone().expect("marketplace jobs have a currency"),
            delivery_days: 10,
            proposal: format!("benchmark bid {i}"),
            ..Default::default()
        };
        let bid = ws.create_bid(draft).await.expect("a draft");
        ws.submit_bid(bid.meta.id).await.expect("queued");
    }
    let local_queue = started.elapsed();
    let started = Instant::now();
    let report = engine.sync_once(&ws, &mut |_, _, _| {}, &quiet()).await.expect("the push");
    let engine_push = started.elapsed();
    assert_eq!(report.pushed as usize, bids, "every bid was acknowledged: {report:?}");
    assert_eq!(engine_server.bids().len(), bids, "one bid on the server per local bid");

    println!(
        "pull {jobs} jobs:  baseline (bare client + plain SQLite, same rows and FTS5 index) {:>9.0} jobs/s, engine (until searchable) {:>9.0} jobs/s, ratio {:.2}",
        rate(jobs, bare_pull),
        rate(jobs, engine_pull),
        engine_pull.as_secs_f64() / bare_pull.as_secs_f64()
    );
    println!("push {bids} bids:  baseline (bare client) {:>9.0} bids/s, engine {:>9.0} bids/s, ratio {:.2} (the engine's pass also pulls the {bids} bids back)", rate(bids, bare_push), rate(bids, engine_push), engine_push.as_secs_f64() / bare_push.as_secs_f64());
    println!(
        "queue {bids} bids locally (draft + submit, outbox row in the same transaction): {:.0} bids/s",
        rate(bids, local_queue)
    );
}
