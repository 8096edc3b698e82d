//! The push sends due rows in batches: the transparency-log entries of a
//! batch are written in one transaction before its first request leaves,
//! and its answers recorded in one after the last is back. What that must
//! not weaken: a batch cut off between its sends and its answers goes again
//! with the same idempotency keys and the marketplace holds each bid once;
//! a batch stopped part way keeps the answers it got, and the log names
//! only requests that may have left.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use bidwell_core::sync::{HttpConnector, SyncEngine};
use bidwell_core::{BidPatch, BidStatus, Id};
use bidwell_market_sim::{FaultKind, SimServer};
use bidwell_marketplace::{wire, Operation};
use tokio::sync::Notify;

use crate::support::{CallHook, HookedConnector};
use crate::sync::{
    all_bids, assert_local_matches_server, draft, harness, http_options, open_jobs, sim, sync, sync_options,
};

/// The creates the marketplace received, in order: (idempotency key, body).
fn creates(server: &SimServer) -> Vec<(String, String)> {
    server
        .received()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/v1/bids")
        .map(|r| (r.header("idempotency-key").unwrap_or_default().to_owned(), r.body_text()))
        .collect()
}

/// Holds the `nth` create (counting from 0) forever, once, after saying so.
struct HangsAtCreate {
    nth: usize,
    seen: AtomicUsize,
    reached: Arc<Notify>,
}

#[async_trait]
impl CallHook for HangsAtCreate {
    async fn before(&self, call: Operation) {
        if call == Operation::CreateBid && self.seen.fetch_add(1, Ordering::SeqCst) == self.nth {
            self.reached.notify_one();
            std::future::pending::<()>().await;
        }
    }
}

#[tokio::test]
async fn a_batch_cut_off_between_its_sends_and_its_answers_goes_again_with_the_same_keys_and_is_held_once() {
    let server = sim(12, 0.0).await;
    let h = harness(&server.base_url()).await;
    let reached = Arc::new(Notify::new());
    let hook = Arc::new(HangsAtCreate { nth: 3, seen: AtomicUsize::new(0), reached: reached.clone() });
    let connector = HookedConnector { http: HttpConnector { options: http_options() }, hook };
    let engine = SyncEngine::new(Arc::new(connector), sync_options(31));
    sync(&engine, &h.ws).await;
    let jobs = open_jobs(&h.ws, &server).await;
    let mut mine: Vec<Id> = Vec::new();
    for (i, job) in jobs.iter().cycle().take(6).enumerate() {
        let bid = draft(&h.ws, job, &format!("batched bid {i}")).await;
        h.ws.submit_bid(bid.meta.id).await.unwrap();
        mine.push(bid.meta.id);
    }

    // Three creates reach the marketplace; the pass is dropped while the
    // fourth is about to leave, as a killed process would stop.
    let (never, mut quiet) = (AtomicBool::new(false), |_: &str, _, _| {});
    tokio::select! {
        _ = engine.sync_once(&h.ws, &mut quiet, &never) => panic!("the pass ended before the fourth create"),
        () = reached.notified() => {}
    }
    assert_eq!(server.bids().len(), 3, "three creates were applied by the marketplace");
    assert_eq!(h.ws.sync_status().await.unwrap().queued, 6, "no answer was recorded: every row is still queued");
    for id in &mine {
        let bid = h.ws.bid(*id).await.unwrap();
        assert_eq!((bid.status, bid.origin.external_id), (BidStatus::Queued, None), "nothing was acknowledged");
    }
    let logged = h.ws.transparency_log(1000).await.unwrap().iter().filter(|e| e.operation == "create_bid").count();
    assert!(logged >= creates(&server).len(), "every create that left is in the log before it left");

    let report = sync(&engine, &h.ws).await;
    assert_eq!(report.pushed, 6, "{report:?}");
    assert_eq!(server.bids().len(), 6, "the marketplace holds each bid once");
    let sent = creates(&server);
    assert_eq!(sent.len(), 9, "the three that had left went again");
    let mut by_key: HashMap<&str, Vec<&str>> = HashMap::new();
    for (key, body) in &sent {
        by_key.entry(key.as_str()).or_default().push(body.as_str());
    }
    assert_eq!(by_key.len(), 6, "one key per queued create");
    assert_eq!(by_key.values().filter(|bodies| bodies.len() == 2).count(), 3, "each resent create kept its key");
    assert!(by_key.values().all(|bodies| bodies.iter().all(|b| b == &bodies[0])), "a key always carries its bid");
    for id in &mine {
        let bid = h.ws.bid(*id).await.unwrap();
        assert_eq!(bid.status, BidStatus::Submitted);
        let theirs = server.bid(bid.origin.external_id.as_deref().unwrap()).unwrap();
        assert_eq!(theirs.proposal, bid.proposal, "linked to its own marketplace bid");
    }
    assert_eq!(all_bids(&h.ws).await.len(), 6, "no bid came back as a stranger");
    assert_local_matches_server(&h.ws, &server).await;
}

/// Makes the marketplace answer the `nth` create with a body over the
/// client's limit: a refusal, which stops the account's run.
struct RefusesCreate {
    nth: usize,
    seen: AtomicUsize,
    server: Arc<SimServer>,
}

#[async_trait]
impl CallHook for RefusesCreate {
    async fn before(&self, call: Operation) {
        if call == Operation::CreateBid && self.seen.fetch_add(1, Ordering::SeqCst) == self.nth {
            self.server.fail_next(FaultKind::HugeBody);
        }
    }
}

#[tokio::test]
async fn a_batch_stopped_part_way_keeps_the_answers_it_got_and_logs_only_what_left() {
    let server = Arc::new(sim(12, 0.0).await);
    let h = harness(&server.base_url()).await;
    let hook = Arc::new(RefusesCreate { nth: 2, seen: AtomicUsize::new(0), server: server.clone() });
    let connector = HookedConnector { http: HttpConnector { options: http_options() }, hook };
    let engine = SyncEngine::new(Arc::new(connector), sync_options(32));
    sync(&engine, &h.ws).await;
    let jobs = open_jobs(&h.ws, &server).await;
    let mut mine: Vec<Id> = Vec::new();
    for (i, job) in jobs.iter().cycle().take(5).enumerate() {
        let bid = draft(&h.ws, job, &format!("stopped batch bid {i}")).await;
        h.ws.submit_bid(bid.meta.id).await.unwrap();
        mine.push(bid.meta.id);
    }
    server.clear_received();

    let report = sync(&engine, &h.ws).await;
    assert_eq!((report.pushed, report.deferred), (2, 1), "{report:?}");
    assert!(report.interrupted && !report.stopped.is_empty(), "the refusal stopped the run: {report:?}");
    assert_eq!(creates(&server).len(), 3, "nothing was sent after the refusal");
    for (i, id) in mine.iter().enumerate() {
        let bid = h.ws.bid(*id).await.unwrap();
        assert_eq!(bid.origin.external_id.is_some(), i < 2, "bid {i}: only the answered creates are linked");
    }
    let rows = h.ws.outbox().await.unwrap();
    let attempts: Vec<i64> = rows.iter().map(|r| r.attempts).collect();
    assert_eq!(attempts, vec![1, 0, 0], "the refused row waits; the two behind it were never tried");
    let log = h.ws.transparency_log(1000).await.unwrap();
    let logged = log.iter().filter(|e| e.operation == "create_bid").count();
    assert_eq!(logged, 3, "one entry per create that left, none for the two that did not");

    h.clock.advance(chrono::Duration::minutes(16));
    let report = sync(&engine, &h.ws).await;
    assert_eq!(report.pushed, 3, "{report:?}");
    assert_eq!(server.bids().len(), 5, "each bid once");
    assert_eq!(h.ws.sync_status().await.unwrap().queued, 0);
    assert_local_matches_server(&h.ws, &server).await;
}

/// While armed: before each edit leaves, the marketplace changes the text
/// of the bids named (once each), and the edit itself gets a 500.
struct TheirEditsFirst {
    armed: AtomicBool,
    change: std::sync::Mutex<Vec<String>>,
    server: Arc<SimServer>,
}

#[async_trait]
impl CallHook for TheirEditsFirst {
    async fn before(&self, call: Operation) {
        if call != Operation::EditBid || !self.armed.load(Ordering::SeqCst) {
            return;
        }
        let proposals: Vec<String> = std::mem::take(&mut *self.change.lock().unwrap());
        for theirs in self.server.bids().into_iter().filter(|b| proposals.contains(&b.proposal)) {
            let edit = wire::BidEdit { proposal: Some(format!("theirs: {}", theirs.proposal)), ..Default::default() };
            self.server.edit_bid_server_side(&theirs.id, edit).unwrap();
        }
        self.server.fail_next(FaultKind::ServerError);
    }
}

#[tokio::test]
async fn an_edit_queued_behind_its_create_builds_on_the_creates_answer_so_a_change_pulled_since_is_a_conflict() {
    let server = Arc::new(sim(12, 0.0).await);
    let h = harness(&server.base_url()).await;
    let hook = Arc::new(TheirEditsFirst {
        armed: AtomicBool::new(false),
        change: std::sync::Mutex::new(vec!["chained 0".to_owned(), "chained 2".to_owned()]),
        server: server.clone(),
    });
    let connector = HookedConnector { http: HttpConnector { options: http_options() }, hook: hook.clone() };
    let engine = SyncEngine::new(Arc::new(connector), sync_options(33));
    sync(&engine, &h.ws).await;
    let jobs = open_jobs(&h.ws, &server).await;
    let mut mine: Vec<Id> = Vec::new();
    for (i, job) in jobs.iter().take(3).enumerate() {
        let bid = draft(&h.ws, job, &format!("chained {i}")).await;
        h.ws.submit_bid(bid.meta.id).await.unwrap();
        let edit = BidPatch { proposal: Some(format!("mine {i}")), ..Default::default() };
        h.ws.update_bid(bid.meta.id, edit).await.unwrap();
        mine.push(bid.meta.id);
    }

    // The creates go in one batch. Before the edits behind them leave, the
    // marketplace changes two of the bids; the edits fail and wait, and the
    // pass's pull brings the changed bids in.
    hook.armed.store(true, Ordering::SeqCst);
    let report = sync(&engine, &h.ws).await;
    hook.armed.store(false, Ordering::SeqCst);
    assert_eq!((report.pushed, report.deferred), (3, 3), "{report:?}");

    // Each edit still names the version its create's answer gave, not the
    // one pulled since: the two changed bids are conflicts, not overwritten.
    h.clock.advance(chrono::Duration::minutes(16));
    let report = sync(&engine, &h.ws).await;
    assert_eq!((report.pushed, report.conflicts), (1, 2), "{report:?}");
    for (i, id) in mine.iter().enumerate() {
        let external = h.ws.bid(*id).await.unwrap().origin.external_id.unwrap();
        let theirs = server.bid(&external).unwrap().proposal;
        let expected = if i == 1 { "mine 1".to_owned() } else { format!("theirs: chained {i}") };
        assert_eq!(theirs, expected, "bid {i} on the marketplace");
    }
    let conflicts = h.ws.sync_conflicts().await.unwrap();
    let mut conflicted: Vec<Id> = conflicts.iter().map(|c| c.bid_id).collect();
    conflicted.sort();
    let mut expected = vec![mine[0], mine[2]];
    expected.sort();
    assert_eq!(conflicted, expected);
    assert!(conflicts.iter().all(|c| c.mine.proposal.starts_with("mine ")), "my edits are kept for me to choose");
}
