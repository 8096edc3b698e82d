//! What a marketplace would refuse, Bidwell refuses first (#14 part 1): a
//! bid on a job its marketplace has closed, or in another currency than the
//! job pays in, is refused when it is made, edited or submitted, with the
//! field and the reason, and nothing is queued. The job's marketplace
//! status is kept, shown and carried by export and import. Jobs entered by
//! hand take any bid.

use std::sync::atomic::AtomicBool;

use bidwell_core::portability::{ExportOptions, ImportOptions};
use bidwell_core::*;

use crate::support::{new_workspace, synced_market, SyncedMarket};
use crate::sync::{draft, sync};

fn other_currency(currency: &str) -> String {
    if currency == "USD" { "EUR" } else { "USD" }.to_owned()
}

fn refused(result: Result<Bid>, field: &str) -> String {
    match result {
        Err(Error::Validation { field: f, message }) if f == field => message,
        other => panic!("expected a refusal of {field}, got {other:?}"),
    }
}

#[tokio::test]
async fn a_bid_its_marketplace_would_refuse_is_refused_when_made() {
    let SyncedMarket { server, h, engine, jobs, .. } = synced_market(8, 33).await;
    let ws = &h.ws;
    let open = &jobs[0];
    assert_eq!(ws.job(open.meta.id).await.unwrap().market_status, Some(MarketJobStatus::Open));
    let pays_in = open.currency.clone().unwrap();

    // Another currency: refused, saying which one the job takes.
    let wrong = NewBid {
        job_id: Some(open.meta.id),
        amount_minor: 40_000,
        currency: other_currency(&pays_in),
        delivery_days: 5,
        ..Default::default()
    };
    let why = refused(ws.create_bid(wrong).await, "currency");
    assert!(why.contains(&pays_in), "{why}");

    // A draft made while the job was open, and one whose currency is then changed.
    let early = draft(ws, &jobs[1], "made while open").await;
    let edited = draft(ws, &jobs[2], "in the job's currency").await;
    let change = BidPatch { amount: Some((45_000, other_currency(&edited.currency))), ..Default::default() };
    refused(ws.update_bid(edited.meta.id, change).await, "currency");
    assert_eq!(ws.bid(edited.meta.id).await.unwrap().currency, edited.currency, "unchanged");

    // The marketplace closes two jobs; the next sync says so.
    for job in [open, &jobs[1]] {
        server.close_job(job.origin.external_id.as_deref().unwrap()).unwrap();
    }
    sync(&engine, ws).await;
    assert_eq!(ws.job(open.meta.id).await.unwrap().market_status, Some(MarketJobStatus::Closed));
    let closed = NewBid {
        job_id: Some(open.meta.id),
        amount_minor: 40_000,
        currency: pays_in.clone(),
        delivery_days: 5,
        ..Default::default()
    };
    let why = refused(ws.create_bid(closed).await, "job");
    assert!(why.contains("closed"), "{why}");
    // The early draft cannot be sent any more, and stays a draft.
    refused(ws.submit_bid(early.meta.id).await, "job");
    assert_eq!(ws.bid(early.meta.id).await.unwrap().status, BidStatus::Draft);
    assert!(ws.outbox().await.unwrap().is_empty(), "nothing was queued");

    // A job entered by hand is the user's own: any currency, any time.
    let own = NewJob { title: "Own job".into(), currency: Some("GBP".into()), ..Default::default() };
    let own = ws.create_job(own).await.unwrap();
    assert_eq!(own.market_status, None);
    let any = NewBid {
        job_id: Some(own.meta.id),
        amount_minor: 1,
        currency: "JPY".into(),
        delivery_days: 3,
        ..Default::default()
    };
    ws.create_bid(any).await.unwrap();

    // Export and import carry what the marketplace said.
    let out = tempfile::tempdir().unwrap();
    let archive = out.path().join("jobs.zip");
    let no_stop = AtomicBool::new(false);
    ws.export(&archive, &ExportOptions::default(), None, &mut |_| {}, &no_stop).await.unwrap();
    let (_dir, copy) = new_workspace().await;
    copy.import(&archive, &ImportOptions::default(), None, &mut |_| {}, &no_stop).await.unwrap();
    assert_eq!(copy.job(open.meta.id).await.unwrap().market_status, Some(MarketJobStatus::Closed));
    assert_eq!(copy.job(jobs[2].meta.id).await.unwrap().market_status, Some(MarketJobStatus::Open));
    assert_eq!(copy.job(own.meta.id).await.unwrap().market_status, None);
    copy.lock().await;
}
