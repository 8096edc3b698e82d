//! Hostile or broken marketplaces are bounded, and locking always wins:
//! against the reference server playing a marketplace that streams a
//! gigabyte, a page of a million items, a feed whose cursor never moves or
//! that always has more, or a request that never answers. Each gives that
//! account a clear error in bounded memory while a healthy account in the
//! same pass still syncs; locking during an endless sync finishes, and the
//! sync says why it stopped. Waits are bounded by timeouts that only guard
//! against a hang; nothing asserts how long anything took.

use std::sync::Arc;
use std::time::Duration;

use bidwell_core::privacy::ConsentMethod;
use bidwell_core::sync::{ConnectionState, HttpConnector, SyncEngine, SyncOptions};
use bidwell_core::vault::{KdfParams, Protection, Unlock};
use bidwell_core::{Environment, Id, ManualClock, Session, Workspace};
use bidwell_market_sim::{FaultKind, SimConfig, SimServer};
use bidwell_marketplace::{ApiToken, HttpOptions};
use chrono::TimeZone;

use crate::support::{self, NoKeychain};
use crate::sync::{all_jobs, harness, sync};

/// Fails a test that would otherwise hang; never a measure of speed.
const GUARD: Duration = Duration::from_secs(120);

async fn sim_with(kind: FaultKind, config: SimConfig) -> SimServer {
    SimServer::start(SimConfig { jobs: 20, fault_rate: 1.0, fault_kinds: vec![kind], ..config }).await.unwrap()
}

fn engine_with(options: SyncOptions, request_timeout: Duration) -> SyncEngine {
    let http = HttpOptions { request_timeout, connect_timeout: Duration::from_secs(5), global_privacy_control: true };
    SyncEngine::new(Arc::new(HttpConnector { options: http }), options)
}

/// A workspace with one account per `(name, url)`, which a pass visits in
/// this order (account ids follow the clock, and a pass goes by id); the
/// last one has a saved search matching every job.
async fn accounts(list: &[(&str, &str)]) -> (tempfile::TempDir, Workspace, Vec<Id>) {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap()));
    let env = Environment { clock: clock.clone(), ..support::env() };
    let (ws, _) =
        Workspace::create(dir.path(), "Bounds", Protection::Passphrase(support::passphrase()), env).await.unwrap();
    let mut ids = Vec::new();
    for (name, url) in list {
        clock.advance(chrono::Duration::seconds(1));
        let token = ApiToken::new("sim-token".into());
        ids.push(ws.add_market_account(name, url, token, ConsentMethod::Cli).await.unwrap().id);
    }
    ws.add_saved_search(*ids.last().unwrap(), "everything", None, vec![]).await.unwrap();
    let order: Vec<Id> = ws.market_accounts().await.unwrap().into_iter().map(|a| a.id).collect();
    assert_eq!(order, ids, "a pass visits the accounts in the order given");
    (dir, ws, ids)
}

async fn last_error(ws: &Workspace, id: Id) -> Option<String> {
    ws.sync_status().await.unwrap().accounts.into_iter().find(|a| a.account_id == id).and_then(|a| a.last_error)
}

/// The test process's peak resident memory (`VmHWM`), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM in /proc/self/status");
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

#[tokio::test]
async fn hostile_marketplaces_each_get_a_clear_error_and_a_healthy_account_still_syncs() {
    let huge = sim_with(FaultKind::HugeBody, SimConfig::default()).await;
    let million = sim_with(FaultKind::OverfullPage, SimConfig::default()).await;
    let stuck = sim_with(FaultKind::StuckCursor, SimConfig::default()).await;
    let healthy = SimServer::start(SimConfig { jobs: 30, ..SimConfig::default() }).await.unwrap();

    // The pass meets the hostile ones first, the healthy one last.
    let (_dir, ws, ids) = accounts(&[
        ("Huge body", &huge.base_url()),
        ("Million items", &million.base_url()),
        ("Stuck cursor", &stuck.base_url()),
        ("Healthy", &healthy.base_url()),
    ])
    .await;
    let [huge_id, million_id, stuck_id, healthy_id] = ids[..] else { unreachable!() };

    let engine = engine_with(SyncOptions::default(), Duration::from_secs(60));
    let report = tokio::time::timeout(GUARD, sync(&engine, &ws)).await.expect("the pass ends");

    assert!(report.interrupted, "{report:?}");
    assert_eq!(
        report.stopped,
        vec![
            "Huge body: a response body exceeded 16 MiB".to_owned(),
            "Million items: a response body exceeded 16 MiB".to_owned(),
            "Stuck cursor: stopped: the marketplace returned the same cursor twice on the bids feed; the next \
             sync asks again; stopped: the marketplace returned the same cursor twice on the milestones feed; \
             the next sync asks again"
                .to_owned(),
        ]
    );
    assert_eq!(last_error(&ws, huge_id).await.as_deref(), Some("a response body exceeded 16 MiB"));
    assert_eq!(last_error(&ws, million_id).await.as_deref(), Some("a response body exceeded 16 MiB"));
    assert!(last_error(&ws, stuck_id).await.unwrap().contains("the same cursor twice on the bids feed"));
    // The marketplace answered (badly): it is reachable, not offline.
    let status = ws.sync_status().await.unwrap();
    for account in &status.accounts {
        assert_eq!(account.state, ConnectionState::Online, "{account:?}");
    }

    // The healthy account after them synced all its jobs, cleanly.
    assert_eq!(all_jobs(&ws).await.len(), 30);
    assert_eq!(last_error(&ws, healthy_id).await, None);
    assert!(status.accounts.iter().find(|a| a.account_id == healthy_id).unwrap().last_sync_at.is_some());

    // Memory stayed bounded: a gigabyte body and a page of a million items
    // (about 240 MB) were cut off at the cap, never read whole.
    let sent = huge.hostile_bytes_streamed() + million.hostile_bytes_streamed();
    assert!(sent < 256 * 1024 * 1024, "the servers handed out {sent} bytes; the client kept reading");
    let peak = peak_rss();
    assert!(peak < 900 * 1024 * 1024, "peak memory {peak} bytes");
}

#[tokio::test]
async fn a_page_with_more_items_than_asked_stops_only_that_account() {
    let overfull =
        sim_with(FaultKind::OverfullPage, SimConfig { overfull_page_items: 101, ..SimConfig::default() }).await;
    let healthy = SimServer::start(SimConfig { jobs: 10, ..SimConfig::default() }).await.unwrap();
    let (_dir, ws, ids) = accounts(&[("Overfull", &overfull.base_url()), ("Healthy", &healthy.base_url())]).await;
    let options = SyncOptions { page_limit: 100, ..SyncOptions::default() };
    let report = tokio::time::timeout(GUARD, sync(&engine_with(options, Duration::from_secs(30)), &ws))
        .await
        .expect("the pass ends");
    assert_eq!(report.stopped, vec!["Overfull: a page held more items than the 100 asked for".to_owned()]);
    assert_eq!(last_error(&ws, ids[0]).await.as_deref(), Some("a page held more items than the 100 asked for"));
    assert_eq!(all_jobs(&ws).await.len(), 10, "the healthy account synced");
}

#[tokio::test]
async fn a_feed_that_always_has_more_stops_at_the_page_cap_and_the_request_budget() {
    let endless = sim_with(FaultKind::EndlessFeed, SimConfig::default()).await;
    let h = harness(&endless.base_url()).await;
    let options = SyncOptions { max_pages_per_feed: 5, ..SyncOptions::default() };
    let engine = engine_with(options, Duration::from_secs(30));
    let report = tokio::time::timeout(GUARD, sync(&engine, &h.ws)).await.expect("the pass ends");
    let lists = |server: &SimServer, path: &str| server.received().iter().filter(|r| r.path == path).count();
    assert_eq!(lists(&endless, "/v1/bids"), 5, "five pages of bids, then it stopped");
    assert_eq!(lists(&endless, "/v1/milestones"), 5);
    assert_eq!(lists(&endless, "/v1/jobs"), 5);
    assert!(report.interrupted);
    let why = last_error(&h.ws, h.account).await.unwrap();
    assert!(why.contains("stopped after 5 pages of bids this pass; the rest comes next sync"), "{why}");
    assert!(why.contains("stopped after 5 pages of jobs of \"everything\" this pass"), "{why}");

    // The request budget ends an account's run wherever it is.
    endless.clear_received();
    let options = SyncOptions { max_pages_per_feed: 1000, max_requests_per_account: 7, ..SyncOptions::default() };
    let report = tokio::time::timeout(GUARD, sync(&engine_with(options, Duration::from_secs(30)), &h.ws))
        .await
        .expect("the pass ends");
    assert_eq!(endless.received().len(), 7, "seven requests, no more");
    assert_eq!(report.stopped, vec!["Sim: stopped after 7 requests this pass; the rest comes next sync".to_owned()]);
}

/// A session with its workspace unlocked and one account on `url`.
async fn session_on(url: &str) -> (tempfile::TempDir, Arc<Session>, Id) {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap()));
    let env =
        Environment { clock, keychain: Arc::new(NoKeychain), kdf: KdfParams::light(), holder: Default::default() };
    let session = Arc::new(Session::new(dir.path().to_path_buf(), env));
    session.create("Studio", Protection::Passphrase(support::passphrase())).await.unwrap();
    let id = session
        .workspace()
        .await
        .unwrap()
        .add_market_account("Endless", url, ApiToken::new("sim-token".into()), ConsentMethod::Cli)
        .await
        .unwrap()
        .id;
    (dir, session, id)
}

/// Locks `session` while its background sync runs against `server`, once
/// the server has received `requests`; returns the sync's report.
async fn lock_during_sync(
    session: &Arc<Session>,
    engine: SyncEngine,
    server: &SimServer,
    requests: usize,
) -> bidwell_core::sync::SyncReport {
    let syncing = tokio::spawn({
        let session = session.clone();
        async move { session.sync_if_due(&engine, true).await }
    });
    tokio::time::timeout(GUARD, async {
        while server.received().len() < requests {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the sync got going");
    tokio::time::timeout(GUARD, session.lock()).await.expect("locking finished while the sync was running");
    assert!(!session.state().await.unwrap().unlocked);
    let report = tokio::time::timeout(GUARD, syncing).await.expect("the sync ended").unwrap().unwrap();
    report.expect("the pass ran")
}

#[tokio::test]
async fn locking_during_an_endless_sync_finishes_and_the_sync_says_why_it_stopped() {
    let endless = sim_with(FaultKind::EndlessFeed, SimConfig::default()).await;
    let (_dir, session, id) = session_on(&endless.base_url()).await;
    // No page cap and no budget to speak of: only locking can end this pass.
    let options =
        SyncOptions { max_pages_per_feed: u32::MAX, max_requests_per_account: u32::MAX, ..SyncOptions::default() };
    let report = lock_during_sync(&session, engine_with(options, Duration::from_secs(30)), &endless, 20).await;
    assert!(report.locked, "{report:?}");
    assert_eq!(report.stopped, vec!["Endless: stopped: the workspace was locked; what was done is kept".to_owned()]);

    // Unlocked again, the account shows why, and the pages it had
    // committed are kept: the next pass resumes from the saved cursor.
    session.unlock(Unlock::Passphrase(support::passphrase())).await.unwrap();
    let ws = session.workspace().await.unwrap();
    assert_eq!(last_error(&ws, id).await.as_deref(), Some("stopped: the workspace was locked; what was done is kept"));
    endless.clear_received();
    let options = SyncOptions { max_pages_per_feed: 1, ..SyncOptions::default() };
    sync(&engine_with(options, Duration::from_secs(30)), &ws).await;
    let first = endless.received().into_iter().find(|r| r.path == "/v1/bids").expect("bids asked again");
    assert!(first.query.unwrap_or_default().contains("since=endless-"), "it resumed from a saved cursor");
}

#[tokio::test]
async fn locking_abandons_a_request_that_never_answers() {
    // The server holds every request for ten minutes; the client would wait
    // as long. Locking must not.
    let hanging = SimServer::start(SimConfig {
        fault_rate: 1.0,
        fault_kinds: vec![FaultKind::Hang],
        hang: Duration::from_secs(600),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let (_dir, session, _) = session_on(&hanging.base_url()).await;
    let report =
        lock_during_sync(&session, engine_with(SyncOptions::default(), Duration::from_secs(600)), &hanging, 1).await;
    assert!(report.locked, "{report:?}");
    assert!(!report.interrupted && !report.cancelled);
}
