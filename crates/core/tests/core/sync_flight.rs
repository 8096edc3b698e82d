//! One sync pass at a time per workspace: "Sync now" pressed while the
//! background pass runs waits for it and shares its report; it never sends
//! the same queued change a second time beside it.

use std::sync::atomic::AtomicBool;

use bidwell_core::sync::SyncReport;

use crate::support::{synced_market, SyncedMarket};
use crate::sync::{draft, engine, sync};

#[tokio::test]
async fn two_syncs_at_once_run_one_pass_and_create_each_bid_once() {
    let SyncedMarket { server, h, jobs, .. } = synced_market(8, 41).await;
    let mut proposals = Vec::new();
    for (i, job) in jobs.iter().take(4).enumerate() {
        let bid = draft(&h.ws, job, &format!("single-flight bid {i}")).await;
        h.ws.submit_bid(bid.meta.id).await.unwrap();
        proposals.push(format!("single-flight bid {i}"));
    }
    let creates_before = creates(&server);

    // Two engines, as the app's timer and a second front end would hold: the
    // guard belongs to the workspace, not to an engine.
    let (background, now) = (engine(42), engine(43));
    let never = AtomicBool::new(false);
    let (mut quiet_a, mut quiet_b) = (|_: &str, _, _| {}, |_: &str, _, _| {});
    let (a, b) =
        tokio::join!(background.sync_once(&h.ws, &mut quiet_a, &never), now.sync_once(&h.ws, &mut quiet_b, &never),);
    let (a, b): (SyncReport, SyncReport) = (a.unwrap(), b.unwrap());
    assert_eq!((a.joined, b.joined), (false, true), "the second call waited for the first pass");
    assert_eq!(a.pushed, 4, "{a:?}");
    assert_eq!(SyncReport { joined: false, ..b }, a, "the waiting call got the running pass's report");

    let mut theirs: Vec<String> = server.bids().into_iter().map(|b| b.proposal).collect();
    theirs.sort();
    assert_eq!(theirs, proposals, "each bid exactly once on the marketplace");
    assert_eq!(creates(&server) - creates_before, 4, "the marketplace received each create once");
    assert_eq!(h.ws.sync_status().await.unwrap().queued, 0);

    // Once it is over, the next call runs a pass of its own.
    assert!(!sync(&engine(44), &h.ws).await.joined);
}

fn creates(server: &bidwell_market_sim::SimServer) -> usize {
    server.received().iter().filter(|r| r.method == "POST" && r.path.ends_with("/bids")).count()
}
