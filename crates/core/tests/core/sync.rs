//! Marketplace sync against the real reference server (bidwell-market-sim)
//! on 127.0.0.1, port 0, with its fault injection. Time is a ManualClock
//! that the tests move past each `next_attempt_at`; nothing sleeps on it.

use bidwell_core::privacy::{ConsentChange, ConsentMethod, ConsentPurpose};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bidwell_core::sync::{ConnectionState, HttpConnector, Resolution, SyncEngine, SyncOptions, SyncReport};
use bidwell_core::vault::Protection;
use bidwell_core::{
    Bid, BidFilter, BidPatch, BidStatus, Environment, Id, Job, JobFilter, JobPatch, ManualClock, Milestone,
    MilestoneFilter, NewBid, NewClient, PageRequest, Workspace,
};
use bidwell_market_sim::{FaultKind, SimConfig, SimServer};
use bidwell_marketplace::{wire, ApiToken, Backoff, HttpOptions, MarketError};
use chrono::TimeZone;
use rand::{Rng, SeedableRng};

use crate::support::{self, synced_market, CallHook, HookedConnector, SyncedMarket};

pub struct Harness {
    pub _dir: tempfile::TempDir,
    pub ws: Workspace,
    pub clock: Arc<ManualClock>,
    pub account: Id,
}

pub fn http_options() -> HttpOptions {
    // Short, so the server's injected hang outlasts it without slowing the run.
    HttpOptions {
        request_timeout: Duration::from_millis(250),
        connect_timeout: Duration::from_millis(250),
        global_privacy_control: true,
    }
}

pub fn sync_options(seed: u64) -> SyncOptions {
    SyncOptions {
        backoff: Backoff { base: Duration::from_millis(500), cap: Duration::from_secs(60) },
        page_limit: 100,
        jitter_seed: Some(seed),
        ..SyncOptions::default()
    }
}

pub fn engine(seed: u64) -> SyncEngine {
    SyncEngine::new(Arc::new(HttpConnector { options: http_options() }), sync_options(seed))
}

pub async fn sim(jobs: usize, fault_rate: f64) -> SimServer {
    SimServer::start(SimConfig { jobs, fault_rate, hang: Duration::from_millis(600), ..SimConfig::default() })
        .await
        .unwrap()
}

/// A workspace with one account on `url` (token "sim-token") and one saved
/// search that matches every job.
pub async fn harness(url: &str) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap()));
    let env = Environment { clock: clock.clone(), ..support::env() };
    let (ws, _) =
        Workspace::create(dir.path(), "Sync", Protection::Passphrase(support::passphrase()), env).await.unwrap();
    let account =
        ws.add_market_account("Sim", url, ApiToken::new("sim-token".into()), ConsentMethod::Cli).await.unwrap().id;
    ws.add_saved_search(account, "everything", None, vec![]).await.unwrap();
    Harness { _dir: dir, ws, clock, account }
}

pub async fn sync(engine: &SyncEngine, ws: &Workspace) -> SyncReport {
    engine.sync_once(ws, &mut |_, _, _| {}, &AtomicBool::new(false)).await.unwrap()
}

/// Syncs, moving the clock past every wait, until nothing is queued and
/// nothing is waiting (or `rounds` runs out).
pub async fn sync_until_quiet(engine: &SyncEngine, h: &Harness, rounds: usize) {
    for _ in 0..rounds {
        let report = sync(engine, &h.ws).await;
        let status = h.ws.sync_status().await.unwrap();
        if status.queued == 0 && report.deferred == 0 && !report.interrupted && report.pulled == 0 {
            return;
        }
        h.clock.advance(chrono::Duration::minutes(16));
    }
    panic!("sync did not settle: {:?}", h.ws.sync_status().await.unwrap());
}

pub async fn all_jobs(ws: &Workspace) -> Vec<Job> {
    let mut out = Vec::new();
    let mut page = PageRequest { limit: 1000, ..Default::default() };
    loop {
        let got = ws.list_jobs(&JobFilter { hidden: None, ..Default::default() }, &page).await.unwrap();
        out.extend(got.items);
        match got.next {
            Some(next) => page.after = Some(next),
            None => return out,
        }
    }
}

/// Local copies of the jobs still open on the marketplace (seeded jobs
/// include closed ones, which refuse new bids).
pub async fn open_jobs(ws: &Workspace, server: &SimServer) -> Vec<Job> {
    let open: HashSet<String> =
        server.jobs().into_iter().filter(|j| j.status == wire::JobStatus::Open).map(|j| j.id).collect();
    let mut jobs: Vec<Job> = all_jobs(ws)
        .await
        .into_iter()
        .filter(|j| j.origin.external_id.as_ref().is_some_and(|e| open.contains(e)))
        .collect();
    jobs.sort_by(|a, b| a.origin.external_id.cmp(&b.origin.external_id));
    jobs
}

pub async fn all_bids(ws: &Workspace) -> Vec<Bid> {
    let mut out = Vec::new();
    let mut page = PageRequest { limit: 1000, ..Default::default() };
    loop {
        let got = ws.list_bids(&BidFilter::default(), &page).await.unwrap();
        out.extend(got.items);
        match got.next {
            Some(next) => page.after = Some(next),
            None => return out,
        }
    }
}

pub async fn all_milestones(ws: &Workspace) -> Vec<Milestone> {
    let mut out = Vec::new();
    let mut page = PageRequest { limit: 1000, ..Default::default() };
    loop {
        let got = ws.list_milestones(&MilestoneFilter::default(), &page).await.unwrap();
        out.extend(got.items);
        match got.next {
            Some(next) => page.after = Some(next),
            None => return out,
        }
    }
}

/// A draft bid on `job` in the job's currency.
pub async fn draft(ws: &Workspace, job: &Job, proposal: &str) -> Bid {
    ws.create_bid(NewBid {
        job_id: Some(job.meta.id),
        project_id: None,
        amount_minor: 50_000,
        currency: job.currency.clone().unwrap(),
        delivery_days: 10,
        proposal: proposal.to_owned(),
        ..Default::default()
    })
    .await
    .unwrap()
}

fn writes(server: &SimServer) -> usize {
    server.received().iter().filter(|r| r.method != "GET").count()
}

/// Server-owned fields of every marketplace bid and milestone equal locally,
/// each exactly once.
pub async fn assert_local_matches_server(ws: &Workspace, server: &SimServer) {
    let bids = all_bids(ws).await;
    let mut by_external: HashMap<String, &Bid> = HashMap::new();
    for bid in &bids {
        if let Some(ext) = &bid.origin.external_id {
            assert!(by_external.insert(ext.clone(), bid).is_none(), "bid {ext} is held twice locally");
        }
    }
    for theirs in server.bids() {
        let mine = by_external.get(&theirs.id).unwrap_or_else(|| panic!("server bid {} is missing locally", theirs.id));
        assert_eq!(mine.status.as_str(), theirs.status.as_str(), "status of {}", theirs.id);
        assert_eq!(mine.server_version, Some(theirs.version as i64), "version of {}", theirs.id);
    }
    let milestones = all_milestones(ws).await;
    let local: HashMap<String, &Milestone> =
        milestones.iter().filter_map(|m| m.origin.external_id.clone().map(|e| (e, m))).collect();
    assert_eq!(local.len(), milestones.len(), "every local milestone came from the marketplace");
    for theirs in server.milestones() {
        let mine = local.get(&theirs.id).unwrap_or_else(|| panic!("milestone {} is missing locally", theirs.id));
        assert_eq!(mine.amount_minor, theirs.amount.amount_minor);
        let status = serde_json::to_value(theirs.status).unwrap();
        assert_eq!(mine.status.as_str(), status.as_str().unwrap());
    }
    assert_eq!(local.len(), server.milestones().len());
}

#[tokio::test]
async fn a_submitted_bid_leaves_once_and_comes_back_submitted() {
    let SyncedMarket { server, h, engine, first_sync: report, jobs } = synced_market(20, 1).await;
    assert_eq!(report.pulled, 20, "the saved search brings every job");
    assert_eq!(all_jobs(&h.ws).await.len(), 20);

    let bid = draft(&h.ws, &jobs[0], "I can do this").await;
    let queued = h.ws.submit_bid(bid.meta.id).await.unwrap();
    assert_eq!(queued.status, BidStatus::Queued);
    assert_eq!(h.ws.sync_status().await.unwrap().queued, 1, "the outbox row came with the submit");

    let report = sync(&engine, &h.ws).await;
    assert_eq!(report.pushed, 1);
    let sent = h.ws.bid(bid.meta.id).await.unwrap();
    assert_eq!(sent.status, BidStatus::Submitted);
    let external = sent.origin.external_id.clone().unwrap();
    assert_eq!(server.bids().len(), 1);
    assert_eq!(server.bid(&external).unwrap().proposal, "I can do this");
    let status = h.ws.sync_status().await.unwrap();
    assert_eq!((status.queued, status.state), (0, ConnectionState::Online));
    assert!(status.last_sync_at.is_some());

    // The marketplace moves it; the status comes back.
    server.set_bid_status(&external, wire::BidStatus::Shortlisted).unwrap();
    sync(&engine, &h.ws).await;
    assert_eq!(h.ws.bid(bid.meta.id).await.unwrap().status, BidStatus::Shortlisted);

    // Withdrawn here at once, there with the next sync.
    assert_eq!(h.ws.withdraw_bid(bid.meta.id).await.unwrap().status, BidStatus::Withdrawn);
    sync(&engine, &h.ws).await;
    assert_eq!(server.bid(&external).unwrap().status, wire::BidStatus::Withdrawn);
    assert_eq!(server.bids().len(), 1);
    assert_local_matches_server(&h.ws, &server).await;
}

#[tokio::test]
async fn a_no_op_sync_after_a_full_sync_sends_nothing_and_pulls_nothing() {
    let SyncedMarket { server, h, engine, jobs, .. } = synced_market(30, 2).await;
    let bid = draft(&h.ws, &jobs[0], "once").await;
    h.ws.submit_bid(bid.meta.id).await.unwrap();
    sync(&engine, &h.ws).await;
    let external = h.ws.bid(bid.meta.id).await.unwrap().origin.external_id.unwrap();
    server.set_bid_status(&external, wire::BidStatus::Awarded).unwrap();
    server.fund_milestone(&external).unwrap();
    sync(&engine, &h.ws).await;
    assert_eq!(all_milestones(&h.ws).await.len(), 1);

    server.clear_received();
    let report = sync(&engine, &h.ws).await;
    assert_eq!((report.pushed, report.pulled), (0, 0));
    assert_eq!(writes(&server), 0, "nothing but listings went out");
    for request in server.received() {
        assert!(request.body.is_empty(), "{} {} carried a body", request.method, request.path);
    }
}

#[tokio::test]
async fn with_the_server_down_all_session_edits_queue_and_status_says_offline() {
    let SyncedMarket { server, h, engine, jobs, .. } = synced_market(10, 3).await;
    let port = server.addr().port();
    drop(server);

    let mut queued = Vec::new();
    for (i, job) in jobs.iter().enumerate().take(4) {
        let bid = draft(&h.ws, job, &format!("offline bid {i}")).await;
        h.ws.submit_bid(bid.meta.id).await.unwrap();
        queued.push(bid.meta.id);
    }
    h.ws.update_bid(queued[0], BidPatch { proposal: Some("offline bid, edited".into()), ..Default::default() })
        .await
        .unwrap();
    h.ws.withdraw_bid(queued[1]).await.unwrap();
    for _ in 0..3 {
        sync(&engine, &h.ws).await;
        h.clock.advance(chrono::Duration::minutes(16));
    }
    let status = h.ws.sync_status().await.unwrap();
    assert_eq!(status.state, ConnectionState::Offline);
    assert_eq!(status.queued, 6, "4 creates, 1 edit and 1 withdrawal wait");
    assert!(status.failed.is_empty());
    assert!(all_bids(&h.ws).await.iter().all(|b| b.origin.external_id.is_none()));

    // The server comes back on the same port.
    let server =
        SimServer::start(SimConfig { jobs: 10, port, ..SimConfig::default() }).await.expect("the port is free again");
    sync_until_quiet(&engine, &h, 10).await;
    let proposals: HashSet<String> = server.bids().into_iter().map(|b| b.proposal).collect();
    let expected: HashSet<String> =
        ["offline bid, edited", "offline bid 1", "offline bid 2", "offline bid 3"].map(String::from).into();
    assert_eq!(proposals, expected, "each queued bid exactly once, with its edit");
    let withdrawn = h.ws.bid(queued[1]).await.unwrap();
    let theirs = server.bid(withdrawn.origin.external_id.as_deref().unwrap()).unwrap();
    assert_eq!(theirs.status, wire::BidStatus::Withdrawn);
    let status = h.ws.sync_status().await.unwrap();
    assert_eq!((status.state, status.queued, status.failed.len()), (ConnectionState::Online, 0, 0));
    assert_local_matches_server(&h.ws, &server).await;
}

/// Records each error the real client returned, to compare with the schedule.
#[derive(Default)]
struct RecordsErrors(Mutex<Vec<MarketError>>);

impl CallHook for RecordsErrors {
    fn after(&self, _call: bidwell_marketplace::Operation, error: Option<&MarketError>) {
        self.0.lock().unwrap().extend(error.cloned());
    }
}

#[tokio::test]
async fn retry_after_sets_the_next_attempt_on_the_injected_clock() {
    let server = sim(5, 0.0).await;
    let h = harness(&server.base_url()).await;
    let errors = Arc::new(RecordsErrors::default());
    let connector = HookedConnector { http: HttpConnector { options: http_options() }, hook: errors.clone() };
    let engine = SyncEngine::new(Arc::new(connector), sync_options(4));
    sync(&engine, &h.ws).await;
    let jobs = open_jobs(&h.ws, &server).await;
    for (i, job) in jobs.iter().take(3).enumerate() {
        let bid = draft(&h.ws, job, &format!("bid {i}")).await;
        h.ws.submit_bid(bid.meta.id).await.unwrap();
    }
    // The first create is told to wait, in whichever form the server picks.
    for _ in 0..3 {
        server.fail_next(FaultKind::RateLimited);
    }
    let report = sync(&engine, &h.ws).await;
    assert_eq!(report.deferred, 3);
    let told: Vec<bidwell_marketplace::RetryAfter> = errors
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|e| match e {
            MarketError::Transient { retry_after: Some(after), .. } => *after,
            other => panic!("expected a 429 with Retry-After, got {other:?}"),
        })
        .collect();
    assert_eq!(told.len(), 3, "each create was told to wait");
    let rows = h.ws.outbox().await.unwrap();
    assert_eq!(rows.len(), 3);
    for (row, after) in rows.iter().zip(&told) {
        let tried = row.last_attempt_at.unwrap();
        let wait = chrono::Duration::from_std(after.delay_from(tried)).unwrap();
        assert_eq!(row.next_attempt_at, Some(tried + wait), "the server's delay, not our backoff");
        assert_eq!(row.attempts, 1);
    }
    assert_eq!(report.next_attempt_at, rows.iter().filter_map(|r| r.next_attempt_at).min());

    // Not due yet: nothing is sent. Past the wait: all three go.
    server.clear_received();
    sync(&engine, &h.ws).await;
    assert_eq!(writes(&server), 0, "nothing is retried before its time");
    h.clock.advance(chrono::Duration::minutes(16));
    assert_eq!(sync(&engine, &h.ws).await.pushed, 3);
}

#[tokio::test]
async fn with_sharing_withdrawn_nothing_is_sent_or_asked_and_changes_wait() {
    let SyncedMarket { server, h, engine, jobs, .. } = synced_market(6, 5).await;
    let bid = draft(&h.ws, &jobs[0], "waits for consent").await;
    h.ws.submit_bid(bid.meta.id).await.unwrap();
    let withdraw = ConsentChange {
        client_id: None,
        purpose: ConsentPurpose::MarketplaceSharing,
        granted: false,
        basis: None,
        source: None,
        evidence: None,
        method: ConsentMethod::Ui,
    };
    h.ws.record_consent(withdraw.clone()).await.unwrap();
    server.clear_received();
    let report = engine.sync_once(&h.ws, &mut |_, _, _| {}, &AtomicBool::new(false)).await.unwrap();
    assert!(report.sharing_off);
    assert!(server.received().is_empty(), "a request left while sharing was withdrawn");
    let status = h.ws.sync_status().await.unwrap();
    assert_eq!(status.queued, 1, "the submitted bid waits, not lost");
    assert!(status.sharing_off, "the status says why nothing leaves");

    h.ws.record_consent(ConsentChange { granted: true, ..withdraw }).await.unwrap();
    sync(&engine, &h.ws).await;
    assert_eq!(server.bids().len(), 1, "it leaves once sharing is given again");
    assert!(!h.ws.sync_status().await.unwrap().sharing_off);
}

#[tokio::test]
async fn a_restricted_clients_data_never_appears_in_a_request() {
    let SyncedMarket { server, h, engine, jobs, .. } = synced_market(6, 5).await;
    let secret =
        h.ws.create_client(NewClient { name: "Restricted Ltd".into(), ..Default::default() }).await.unwrap().meta.id;
    h.ws.set_client_restricted(secret, true).await.unwrap();
    h.ws.update_job(jobs[0].meta.id, JobPatch { client_id: Some(Some(secret)), ..Default::default() }).await.unwrap();
    let hidden = draft(&h.ws, &jobs[0], "CONFIDENTIAL-PROPOSAL-7f3a").await;
    let shared = draft(&h.ws, &jobs[1], "an ordinary proposal").await;
    h.ws.submit_bid(hidden.meta.id).await.unwrap();
    h.ws.submit_bid(shared.meta.id).await.unwrap();
    h.ws.update_bid(hidden.meta.id, BidPatch { proposal: Some("CONFIDENTIAL-EDIT-7f3a".into()), ..Default::default() })
        .await
        .unwrap();
    sync(&engine, &h.ws).await;

    for request in server.received() {
        let text = format!("{} {} {}", request.path, request.query.clone().unwrap_or_default(), request.body_text());
        assert!(!text.contains("7f3a"), "restricted data left the machine: {text}");
        assert!(!text.contains("Restricted Ltd"));
    }
    assert_eq!(server.bids().len(), 1, "the unrestricted bid still flows");
    let status = h.ws.sync_status().await.unwrap();
    assert_eq!(status.failed.len(), 1);
    assert!(status.failed[0].reason.contains("restricted"));
    assert_eq!(status.failed[0].bid_id, hidden.meta.id);
}

#[tokio::test]
async fn every_request_carries_gpc_and_lands_in_the_transparency_log() {
    let SyncedMarket { server, h, engine, jobs, .. } = synced_market(5, 6).await;
    let bid = draft(&h.ws, &jobs[0], "logged").await;
    h.ws.submit_bid(bid.meta.id).await.unwrap();
    sync(&engine, &h.ws).await;
    let received = server.received();
    assert!(received.iter().all(|r| r.header("sec-gpc") == Some("1")), "analytics are off by default");
    let log = h.ws.transparency_log(1000).await.unwrap();
    assert_eq!(log.len(), received.len(), "one entry per request");
    let create = log.iter().find(|e| e.operation == "create_bid").expect("the create is logged");
    assert_eq!(create.record_count, 1);
    assert!(create.data_categories.contains("bid_content") && create.data_categories.contains("bid_amount"));
    assert!(!log.iter().any(|e| e.data_categories.contains("logged")), "no content in the log");
}

#[tokio::test]
async fn an_offline_edit_of_a_bid_changed_on_the_marketplace_becomes_a_conflict() {
    let SyncedMarket { server, h, engine, jobs, .. } = synced_market(5, 7).await;
    let a = draft(&h.ws, &jobs[0], "original a").await.meta.id;
    let b = draft(&h.ws, &jobs[1], "original b").await.meta.id;
    h.ws.submit_bid(a).await.unwrap();
    h.ws.submit_bid(b).await.unwrap();
    sync(&engine, &h.ws).await;
    let ea = h.ws.bid(a).await.unwrap().origin.external_id.unwrap();
    let eb = h.ws.bid(b).await.unwrap().origin.external_id.unwrap();
    for e in [&ea, &eb] {
        let edit = wire::BidEdit { proposal: Some(format!("theirs {e}")), ..Default::default() };
        server.edit_bid_server_side(e, edit).unwrap();
    }
    h.ws.update_bid(a, BidPatch { proposal: Some("mine a".into()), ..Default::default() }).await.unwrap();
    h.ws.update_bid(b, BidPatch { proposal: Some("mine b".into()), ..Default::default() }).await.unwrap();
    let report = sync(&engine, &h.ws).await;
    assert_eq!(report.conflicts, 2);
    let conflicts = h.ws.sync_conflicts().await.unwrap();
    assert_eq!(conflicts.len(), 2);
    let ca = conflicts.iter().find(|c| c.bid_id == a).unwrap();
    assert_eq!(ca.mine.proposal, "mine a");
    assert_eq!(ca.theirs.proposal, format!("theirs {ea}"));
    assert_eq!(h.ws.bid(a).await.unwrap().proposal, "mine a", "my edit is kept, never dropped");
    assert_eq!(h.ws.sync_status().await.unwrap().conflicts, 2);

    let cb = conflicts.iter().find(|c| c.bid_id == b).unwrap();
    h.ws.resolve_conflict(ca.id, Resolution::KeepMine).await.unwrap();
    h.ws.resolve_conflict(cb.id, Resolution::TakeTheirs).await.unwrap();
    sync(&engine, &h.ws).await;
    assert_eq!(server.bid(&ea).unwrap().proposal, "mine a");
    assert_eq!(server.bid(&eb).unwrap().proposal, format!("theirs {eb}"));
    assert_eq!(h.ws.bid(b).await.unwrap().proposal, format!("theirs {eb}"));
    assert!(h.ws.sync_conflicts().await.unwrap().is_empty());
    assert_local_matches_server(&h.ws, &server).await;
}

#[tokio::test]
async fn a_marketplace_status_change_alone_is_no_conflict() {
    let SyncedMarket { server, h, engine, jobs, .. } = synced_market(5, 8).await;
    let a = draft(&h.ws, &jobs[0], "first words").await.meta.id;
    h.ws.submit_bid(a).await.unwrap();
    sync(&engine, &h.ws).await;
    let ext = h.ws.bid(a).await.unwrap().origin.external_id.unwrap();
    server.set_bid_status(&ext, wire::BidStatus::Shortlisted).unwrap();
    h.ws.update_bid(a, BidPatch { proposal: Some("better words".into()), ..Default::default() }).await.unwrap();
    let report = sync(&engine, &h.ws).await;
    assert_eq!((report.conflicts, report.pushed), (0, 1));
    assert_eq!(server.bid(&ext).unwrap().proposal, "better words");
    let mine = h.ws.bid(a).await.unwrap();
    assert_eq!((mine.status, mine.proposal.as_str()), (BidStatus::Shortlisted, "better words"));
}

#[tokio::test]
async fn an_expired_cursor_resyncs_everything_without_duplicates() {
    let SyncedMarket { server, h, engine, jobs, .. } = synced_market(250, 9).await;
    let bid = draft(&h.ws, &jobs[0], "kept once").await.meta.id;
    h.ws.submit_bid(bid).await.unwrap();
    sync(&engine, &h.ws).await;
    server.expire_cursors();
    server.add_jobs(7);
    let report = sync(&engine, &h.ws).await;
    assert!(report.pulled >= 257, "a full resync: {}", report.pulled);
    let jobs = all_jobs(&h.ws).await;
    assert_eq!(jobs.len(), server.jobs().len());
    let unique: HashSet<_> = jobs.iter().map(|j| j.origin.external_id.clone()).collect();
    assert_eq!(unique.len(), jobs.len());
    assert_eq!(all_bids(&h.ws).await.len(), 1);
    // Every pulled job is queued and indexed (the insert triggers queue
    // unless an import pauses them, migration 0022), none twice.
    let index = h.ws.check_search_index(false).await.unwrap();
    assert!(index.in_step() && index.documents as usize >= jobs.len(), "{index:?}");
    let title = jobs[jobs.len() - 1].title.clone();
    assert!(h.ws.search(&title, 20).await.unwrap().iter().any(|hit| hit.title == title), "{title} not found");
}

#[tokio::test]
async fn a_bid_pulled_again_as_we_hold_it_is_not_written_and_a_changed_one_is() {
    let SyncedMarket { server, h, engine, jobs, .. } = synced_market(10, 13).await;
    let (same, moved) =
        (draft(&h.ws, &jobs[0], "as held").await.meta.id, draft(&h.ws, &jobs[1], "moves").await.meta.id);
    h.ws.submit_bid(same).await.unwrap();
    h.ws.submit_bid(moved).await.unwrap();
    sync(&engine, &h.ws).await;
    let (before_same, before_moved) = (h.ws.bid(same).await.unwrap(), h.ws.bid(moved).await.unwrap());
    server.set_bid_status(before_moved.origin.external_id.as_deref().unwrap(), wire::BidStatus::Shortlisted).unwrap();

    // Every bid comes again, later by the workspace's clock.
    h.clock.advance(chrono::Duration::hours(1));
    server.expire_cursors();
    let report = sync(&engine, &h.ws).await;
    assert!(report.pulled >= 12, "a full resync: {report:?}");
    let after_same = h.ws.bid(same).await.unwrap();
    assert_eq!(after_same.meta.updated_at, before_same.meta.updated_at, "nothing changed, nothing written");
    assert_eq!(after_same.status, BidStatus::Submitted);
    let after_moved = h.ws.bid(moved).await.unwrap();
    assert_eq!(after_moved.status, BidStatus::Shortlisted);
    assert!(after_moved.meta.updated_at > before_moved.meta.updated_at, "a change is written");
    assert_local_matches_server(&h.ws, &server).await;
}

#[tokio::test]
async fn a_refused_token_stops_sync_until_a_new_one() {
    let SyncedMarket { server, h, engine, jobs, .. } = synced_market(5, 10).await;
    let bid = draft(&h.ws, &jobs[0], "waits for a token").await.meta.id;
    h.ws.submit_bid(bid).await.unwrap();
    h.ws.set_market_token(h.account, ApiToken::new("revoked".into())).await.unwrap();
    sync(&engine, &h.ws).await;
    let status = h.ws.sync_status().await.unwrap();
    assert_eq!((status.state, status.queued), (ConnectionState::TokenExpired, 1));
    server.clear_received();
    sync(&engine, &h.ws).await;
    assert!(server.received().is_empty(), "nothing is sent with a refused token");
    h.ws.set_market_token(h.account, ApiToken::new("sim-token".into())).await.unwrap();
    assert_eq!(sync(&engine, &h.ws).await.pushed, 1);
    assert_eq!(h.ws.sync_status().await.unwrap().state, ConnectionState::Online);
}

/// Runs a workspace call again while it reports a transient failure
/// (`database_busy`): an aborted sync's last statement may still be
/// finishing on its connection, as a user's click may meet a running sync.
macro_rules! settled {
    ($call:expr) => {{
        let mut tries = 0;
        loop {
            match $call.await {
                Err(e) if e.is_transient() && tries < 100 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                other => break other.unwrap(),
            }
        }
    }};
}

/// One random local or marketplace action.
async fn random_operation(
    rng: &mut rand_chacha::ChaCha8Rng,
    h: &Harness,
    server: &SimServer,
    jobs: &[Job],
    mine: &mut Vec<Id>,
    n: usize,
) {
    let choice = rng.gen_range(0..100);
    if choice < 35 || mine.is_empty() {
        let job = &jobs[rng.gen_range(0..jobs.len())];
        let new = NewBid {
            job_id: Some(job.meta.id),
            project_id: None,
            amount_minor: 50_000,
            currency: job.currency.clone().unwrap(),
            delivery_days: 10,
            proposal: format!("chaos bid {n}"),
            ..Default::default()
        };
        let bid = settled!(h.ws.create_bid(new.clone())).meta.id;
        settled!(h.ws.submit_bid(bid));
        mine.push(bid);
        return;
    }
    let bid = mine[rng.gen_range(0..mine.len())];
    let current = settled!(h.ws.bid(bid));
    match choice {
        35..=69 => {
            if !current.status.is_terminal() && current.status != BidStatus::Failed {
                let patch = BidPatch { proposal: Some(format!("chaos edit {n}")), ..Default::default() };
                settled!(h.ws.update_bid(bid, patch.clone()));
            }
        }
        70..=79 => {
            if matches!(current.status, BidStatus::Queued | BidStatus::Submitted | BidStatus::Shortlisted) {
                settled!(h.ws.withdraw_bid(bid));
            }
        }
        _ => {
            // The marketplace acts on a bid it holds.
            if let Some(ext) = current.origin.external_id {
                let theirs = server.bid(&ext).unwrap();
                if theirs.status.is_open() {
                    let to = [wire::BidStatus::Shortlisted, wire::BidStatus::Awarded, wire::BidStatus::Rejected]
                        [rng.gen_range(0..3)];
                    server.set_bid_status(&ext, to).unwrap();
                    if to == wire::BidStatus::Awarded {
                        server.fund_milestone(&ext).unwrap();
                    }
                } else if theirs.status == wire::BidStatus::Awarded {
                    if let Some(m) = server.milestones().into_iter().find(|m| m.bid_id == ext) {
                        if m.status == wire::MilestoneStatus::Funded {
                            server.release_milestone(&m.id).unwrap();
                        }
                    }
                } else if rng.gen_bool(0.5) && theirs.status == wire::BidStatus::Shortlisted {
                    let edit = wire::BidEdit { proposal: Some(format!("server edit {n}")), ..Default::default() };
                    server.edit_bid_server_side(&ext, edit).unwrap();
                }
            }
        }
    }
}

/// The chaos run. CHAOS_OPERATIONS=10000 for the full count (default 600,
/// to keep a debug `cargo test` short).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_thirty_percent_faults_lose_nothing_and_double_nothing() {
    let operations: usize = std::env::var("CHAOS_OPERATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(600);
    let server = sim(120, 0.3).await;
    let h = harness(&server.base_url()).await;
    let engine = engine(11);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    sync_until_quiet(&engine, &h, 200).await;
    assert_eq!(all_jobs(&h.ws).await.len(), 120);
    let jobs = open_jobs(&h.ws, &server).await;
    let mut mine = Vec::new();
    let mut n = 0;
    while n < operations {
        for _ in 0..rng.gen_range(1..40) {
            random_operation(&mut rng, &h, &server, &jobs, &mut mine, n).await;
            n += 1;
        }
        sync(&engine, &h.ws).await;
        h.clock.advance(chrono::Duration::seconds(rng.gen_range(0..90)));
        // Conflicts are the user's to settle; settle them either way.
        for (i, conflict) in h.ws.sync_conflicts().await.unwrap().into_iter().enumerate() {
            let how = if i % 2 == 0 { Resolution::KeepMine } else { Resolution::TakeTheirs };
            h.ws.resolve_conflict(conflict.id, how).await.unwrap();
        }
    }
    // Drain with the faults still on.
    for _ in 0..400 {
        for conflict in h.ws.sync_conflicts().await.unwrap() {
            h.ws.resolve_conflict(conflict.id, Resolution::TakeTheirs).await.unwrap();
        }
        let report = sync(&engine, &h.ws).await;
        let status = h.ws.sync_status().await.unwrap();
        if status.queued == 0
            && status.conflicts == 0
            && report.deferred == 0
            && report.pulled == 0
            && !report.interrupted
        {
            break;
        }
        h.clock.advance(chrono::Duration::minutes(16));
    }
    let status = h.ws.sync_status().await.unwrap();
    assert_eq!((status.queued, status.conflicts), (0, 0), "{status:?}");
    assert!(server.fault_counts().total() > 0);
    eprintln!(
        "chaos: {operations} operations, faults {:?}, {} failed rows",
        server.fault_counts(),
        status.failed.len()
    );

    // 0 lost, 0 duplicated: every bid that was not refused for good is on
    // the marketplace exactly once, and the marketplace has nothing else.
    let bids = all_bids(&h.ws).await;
    assert_eq!(bids.len(), mine.len(), "no local bid appeared twice");
    let sent: Vec<&Bid> = bids.iter().filter(|b| b.status != BidStatus::Failed).collect();
    assert!(sent.iter().all(|b| b.origin.external_id.is_some()), "every submitted bid reached the marketplace");
    assert_eq!(server.bids().len(), sent.len(), "no bid was created twice");
    let proposals_first: HashSet<String> =
        server.bids().iter().map(|b| b.created_at.to_rfc3339() + &b.job_id + &b.id).collect();
    assert_eq!(proposals_first.len(), server.bids().len());
    assert_local_matches_server(&h.ws, &server).await;
}

/// Drops the sync future at random points (a random tiny timeout) and checks
/// that resuming loses and doubles nothing, and no cursor runs ahead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_aborted_at_random_points_resumes_without_loss_or_duplicates() {
    let server = sim(150, 0.1).await;
    let h = harness(&server.base_url()).await;
    let engine = engine(12);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
    // The first pull is also aborted at random.
    for _ in 0..30 {
        let budget = Duration::from_micros(rng.gen_range(50..30_000));
        let _ = tokio::time::timeout(budget, engine.sync_once(&h.ws, &mut |_, _, _| {}, &AtomicBool::new(false))).await;
    }
    sync_until_quiet(&engine, &h, 100).await;
    assert_eq!(all_jobs(&h.ws).await.len(), 150, "every job once, whatever the aborts");
    let jobs = open_jobs(&h.ws, &server).await;
    let mut mine = Vec::new();
    for round in 0..40 {
        for k in 0..rng.gen_range(1..8) {
            random_operation(&mut rng, &h, &server, &jobs, &mut mine, round * 10 + k).await;
        }
        let budget = Duration::from_micros(rng.gen_range(50..40_000));
        let _ = tokio::time::timeout(budget, engine.sync_once(&h.ws, &mut |_, _, _| {}, &AtomicBool::new(false))).await;
        h.clock.advance(chrono::Duration::seconds(rng.gen_range(0..120)));
        for conflict in settled!(h.ws.sync_conflicts()) {
            settled!(h.ws.resolve_conflict(conflict.id, Resolution::TakeTheirs));
        }
    }
    for _ in 0..200 {
        for conflict in h.ws.sync_conflicts().await.unwrap() {
            h.ws.resolve_conflict(conflict.id, Resolution::TakeTheirs).await.unwrap();
        }
        let report = sync(&engine, &h.ws).await;
        let status = h.ws.sync_status().await.unwrap();
        if status.queued == 0
            && status.conflicts == 0
            && report.deferred == 0
            && report.pulled == 0
            && !report.interrupted
        {
            break;
        }
        h.clock.advance(chrono::Duration::minutes(16));
    }
    let bids = all_bids(&h.ws).await;
    let sent = bids.iter().filter(|b| b.status != BidStatus::Failed).count();
    assert_eq!(bids.len(), mine.len(), "no local bid appeared twice");
    assert_eq!(server.bids().len(), sent, "no bid was created twice, none lost");
    assert_local_matches_server(&h.ws, &server).await;
    assert_eq!(all_jobs(&h.ws).await.len(), 150);
}
