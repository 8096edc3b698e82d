//! Where a bid goes: every bid read from the store names the connected
//! marketplace account it would be submitted to (`market_account`), which is
//! what the app reads to offer "Submit to marketplace" and "Withdraw". It is
//! the same rule submit and withdraw follow, so what the app offers is what
//! the core accepts.

use std::io::Read;
use std::sync::atomic::AtomicBool;

use bidwell_core::portability::{ExportOptions, ImportOptions};
use bidwell_core::{Bid, BidFilter, ErrorCode, NewBid, NewJob, PageRequest, Workspace};

use crate::support::{self, synced_market, SyncedMarket};
use crate::sync::{draft, sync};

async fn listed(ws: &Workspace, bid: &Bid) -> Bid {
    let page = ws.list_bids(&BidFilter::default(), &PageRequest::default()).await.unwrap();
    page.items.into_iter().find(|b| b.meta.id == bid.meta.id).expect("the bid is listed")
}

async fn hand_made_bid(ws: &Workspace) -> Bid {
    let job = ws.create_job(NewJob { title: "Logo for a friend".into(), ..Default::default() }).await.unwrap();
    ws.create_bid(NewBid {
        job_id: Some(job.meta.id),
        amount_minor: 30_000,
        currency: "USD".into(),
        delivery_days: 5,
        ..Default::default()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_bid_goes_to_the_account_its_job_came_from_while_that_account_is_connected() {
    // Bound, not `_`: the server keeps running for the syncs below.
    let SyncedMarket { server: _server, h, engine, jobs, .. } = synced_market(4, 21).await;

    // A bid on a pulled job names the account, however it is read.
    let pulled = draft(&h.ws, &jobs[0], "on a pulled job").await;
    assert_eq!(pulled.market_account, Some(h.account), "as created");
    assert_eq!(h.ws.bid(pulled.meta.id).await.unwrap().market_account, Some(h.account), "as shown");
    assert_eq!(listed(&h.ws, &pulled).await.market_account, Some(h.account), "as listed");
    let sent = draft(&h.ws, &jobs[1], "sent").await;
    let queued = h.ws.submit_bid(sent.meta.id).await.unwrap();
    assert_eq!(queued.market_account, Some(h.account), "a submitted bid can still be withdrawn there");

    // A bid on a job made by hand has nowhere to go, and submit says so.
    let mine = hand_made_bid(&h.ws).await;
    assert_eq!(mine.market_account, None);
    assert_eq!(listed(&h.ws, &mine).await.market_account, None);
    let err = h.ws.submit_bid(mine.meta.id).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Validation, "{err}");
    assert_eq!(h.ws.outbox().await.unwrap().len(), 1, "only the real submit is queued");

    // Disconnected, the account takes nothing more: no bid names it, and
    // submit and withdraw refuse with the same code.
    sync(&engine, &h.ws).await;
    h.ws.remove_market_account(h.account).await.unwrap();
    for bid in [&pulled, &sent, &mine] {
        assert_eq!(h.ws.bid(bid.meta.id).await.unwrap().market_account, None, "{}", bid.proposal);
        assert_eq!(listed(&h.ws, bid).await.market_account, None, "{}", bid.proposal);
    }
    let err = h.ws.submit_bid(pulled.meta.id).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Validation, "{err}");
    let err = h.ws.withdraw_bid(sent.meta.id).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Validation, "{err}");
    assert!(h.ws.outbox().await.unwrap().is_empty());
}

/// An export carries no `market_account`: it is derived, not data, and its
/// account id means nothing in another workspace. There, a bid on an
/// imported marketplace job has no account to go to until one is connected.
#[tokio::test]
async fn a_job_from_an_account_another_workspace_connected_takes_no_bid_to_market() {
    let SyncedMarket { server: _server, h, jobs, .. } = synced_market(3, 22).await;
    let bid = draft(&h.ws, &jobs[0], "exported").await;
    assert_eq!(bid.market_account, Some(h.account));
    let out = tempfile::tempdir().unwrap();
    let archive = out.path().join("export.zip");
    let no_cancel = AtomicBool::new(false);
    h.ws.export(&archive, &ExportOptions::default(), None, &mut |_| {}, &no_cancel).await.unwrap();
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&archive).unwrap()).unwrap();
    let mut bids_json = String::new();
    zip.by_name("bids.json").unwrap().read_to_string(&mut bids_json).unwrap();
    assert!(bids_json.contains(&bid.meta.id.to_string()), "{bids_json}");
    assert!(!bids_json.contains("market_account"), "the archive holds no derived field: {bids_json}");

    let (_dir, other) = support::new_workspace().await;
    other.import(&archive, &ImportOptions::default(), None, &mut |_| {}, &no_cancel).await.unwrap();
    let imported = other.bid(bid.meta.id).await.unwrap();
    assert_eq!(imported.origin, bid.origin);
    let job = other.job(jobs[0].meta.id).await.unwrap();
    assert_eq!(job.origin.source, Some(h.account.to_string()), "the job still says where it came from");
    assert_eq!(imported.market_account, None, "that account is not connected here");
    let err = other.submit_bid(bid.meta.id).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Validation, "{err}");
    assert!(other.outbox().await.unwrap().is_empty());
}
