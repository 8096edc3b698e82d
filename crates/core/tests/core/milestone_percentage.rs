//! A bid's milestone percentage (the first milestone as a share of the
//! amount, as Freelancer-style marketplaces take it): checked to 0..=100,
//! sent on create and on edit, and pulled back when the marketplace changes it.

use bidwell_core::{BidPatch, ErrorCode, NewBid, NewJob};
use bidwell_marketplace::wire;

use crate::support::{synced_market, SyncedMarket};
use crate::sync::{draft, sync};

#[tokio::test]
async fn a_milestone_percentage_outside_0_to_100_is_refused_by_name() {
    let (_dir, ws) = crate::support::new_workspace().await;
    let job = ws.create_job(NewJob { title: "Job".into(), ..Default::default() }).await.unwrap();
    let new = |pct| NewBid {
        job_id: Some(job.meta.id),
        amount_minor: 1_000,
        currency: "USD".into(),
        delivery_days: 3,
        milestone_percentage: pct,
        ..Default::default()
    };
    for pct in [-1, 101] {
        let err = ws.create_bid(new(pct)).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Validation);
        assert!(err.to_string().starts_with("milestone_percentage:"), "{err}");
    }
    let bid = ws.create_bid(new(100)).await.unwrap();
    assert_eq!(bid.milestone_percentage, 100);
    let patch = BidPatch { milestone_percentage: Some(150), ..Default::default() };
    let err = ws.update_bid(bid.meta.id, patch).await.unwrap_err();
    assert!(err.to_string().starts_with("milestone_percentage:"), "{err}");
    assert_eq!(ws.bid(bid.meta.id).await.unwrap().milestone_percentage, 100, "nothing was written");
    assert_eq!(ws.create_bid(NewBid { milestone_percentage: 0, ..new(0) }).await.unwrap().milestone_percentage, 0);
}

#[tokio::test]
async fn the_milestone_percentage_is_sent_on_create_and_edit_and_pulled_back() {
    let SyncedMarket { server, h, engine, jobs, .. } = synced_market(5, 51).await;
    let bid = draft(&h.ws, &jobs[0], "with an upfront milestone").await;
    let bid = h.ws.update_bid(bid.meta.id, BidPatch { milestone_percentage: Some(30), ..Default::default() });
    let bid = bid.await.unwrap();
    h.ws.submit_bid(bid.meta.id).await.unwrap();
    sync(&engine, &h.ws).await;
    let external = h.ws.bid(bid.meta.id).await.unwrap().origin.external_id.unwrap();
    assert_eq!(server.bid(&external).unwrap().milestone_percentage, 30, "sent on create");

    h.ws.update_bid(bid.meta.id, BidPatch { milestone_percentage: Some(45), ..Default::default() }).await.unwrap();
    sync(&engine, &h.ws).await;
    assert_eq!(server.bid(&external).unwrap().milestone_percentage, 45, "sent on edit");
    assert_eq!(h.ws.sync_status().await.unwrap().conflicts, 0);

    let edit = wire::BidEdit { milestone_percentage: Some(60), ..Default::default() };
    server.edit_bid_server_side(&external, edit).unwrap();
    sync(&engine, &h.ws).await;
    assert_eq!(h.ws.bid(bid.meta.id).await.unwrap().milestone_percentage, 60, "pulled back");
}
