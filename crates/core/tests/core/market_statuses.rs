//! Statuses a marketplace owns: a bid it holds (or that is on its way to it)
//! is shortlisted, awarded or rejected only by the marketplace, through sync;
//! a hand move is refused with `marketplace_owned` and says why. Bids the user
//! keeps by hand move as before.

use bidwell_core::{BidStatus, ErrorCode, NewBid, NewJob};
use bidwell_marketplace::wire;

use crate::support::{synced_market, SyncedMarket};
use crate::sync::{draft, sync};

#[tokio::test]
async fn a_marketplace_bids_decided_statuses_come_only_from_the_marketplace() {
    let SyncedMarket { server, h, engine, jobs, .. } = synced_market(6, 21).await;

    // On its way: queued for the marketplace, not yet sent.
    let bid = draft(&h.ws, &jobs[0], "on its way").await;
    h.ws.submit_bid(bid.meta.id).await.unwrap();
    for to in [BidStatus::Submitted, BidStatus::Draft, BidStatus::Failed] {
        let err = h.ws.set_bid_status(bid.meta.id, to).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::MarketplaceOwned, "{to}: {err}");
    }
    assert_eq!(h.ws.bid(bid.meta.id).await.unwrap().status, BidStatus::Queued);

    // Held by the marketplace: its decisions arrive with sync, never by hand.
    sync(&engine, &h.ws).await;
    assert_eq!(h.ws.bid(bid.meta.id).await.unwrap().status, BidStatus::Submitted);
    for to in [BidStatus::Shortlisted, BidStatus::Awarded, BidStatus::Rejected] {
        let err = h.ws.set_bid_status(bid.meta.id, to).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::MarketplaceOwned, "{to}: {err}");
        assert!(err.to_string().contains("the marketplace decides this; it arrives with sync"), "{err}");
    }
    assert_eq!(h.ws.bid(bid.meta.id).await.unwrap().status, BidStatus::Submitted, "a refused move changes nothing");
    let external = h.ws.bid(bid.meta.id).await.unwrap().origin.external_id.unwrap();
    server.set_bid_status(&external, wire::BidStatus::Shortlisted).unwrap();
    sync(&engine, &h.ws).await;
    assert_eq!(h.ws.bid(bid.meta.id).await.unwrap().status, BidStatus::Shortlisted, "arrived with sync");

    // Withdrawing is the user's to do: a move to withdrawn queues it for the marketplace.
    let moved = h.ws.set_bid_status(bid.meta.id, BidStatus::Withdrawn).await.unwrap();
    assert_eq!(moved.status, BidStatus::Withdrawn);
    let queued: Vec<String> = h.ws.outbox().await.unwrap().into_iter().map(|e| e.operation).collect();
    assert_eq!(queued, ["withdraw"]);
    sync(&engine, &h.ws).await;
    let theirs = server.bids().into_iter().find(|b| b.id == external).unwrap();
    assert_eq!(theirs.status, wire::BidStatus::Withdrawn, "the marketplace heard");
}

#[tokio::test]
async fn a_bid_kept_by_hand_moves_as_before() {
    let (_dir, ws) = crate::support::new_workspace().await;
    let job = ws.create_job(NewJob { title: "Found it myself".into(), ..Default::default() }).await.unwrap();
    let bid = ws
        .create_bid(NewBid {
            job_id: Some(job.meta.id),
            project_id: None,
            amount_minor: 1_000,
            currency: "EUR".into(),
            delivery_days: 3,
            proposal: String::new(),
            ..Default::default()
        })
        .await
        .unwrap();
    for to in [BidStatus::Submitted, BidStatus::Shortlisted, BidStatus::Awarded] {
        assert_eq!(ws.set_bid_status(bid.meta.id, to).await.unwrap().status, to);
    }
}
