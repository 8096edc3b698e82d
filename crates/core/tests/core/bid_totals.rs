//! The bid totals kept as bids are written (migration 0020: the board's
//! column counts, the dashboard's pipeline) always equal the bids counted
//! afresh, whatever a user does to them; `check_bid_totals` (run by `bidwell
//! doctor`) finds totals that disagree and rebuilds them.

use bidwell_core::*;
use proptest::prelude::*;

use crate::support::*;

const CURRENCIES: [&str; 3] = ["EUR", "USD", "JPY"];

#[derive(Debug, Clone)]
enum Step {
    Create { job: usize, currency: usize, amount: i64 },
    Move { bid: usize, to: usize },
    Reprice { bid: usize, currency: usize, amount: i64 },
    Delete { bid: usize },
    Restore { bid: usize },
    DeleteJob { job: usize },
    Purge,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..3usize, 0..3usize, 1..1_000_000i64).prop_map(|(job, currency, amount)| Step::Create { job, currency, amount }),
        3 => (0..64usize, 0..BidStatus::ALL.len()).prop_map(|(bid, to)| Step::Move { bid, to }),
        2 => (0..64usize, 0..3usize, 1..1_000_000i64).prop_map(|(bid, currency, amount)| Step::Reprice { bid, currency, amount }),
        1 => (0..64usize).prop_map(|bid| Step::Delete { bid }),
        1 => (0..64usize).prop_map(|bid| Step::Restore { bid }),
        1 => (0..3usize).prop_map(|job| Step::DeleteJob { job }),
        1 => Just(Step::Purge),
    ]
}

/// The board's counts, as the window asks for them (no filter).
async fn board_counts(ws: &Workspace) -> Vec<(BidStatus, i64)> {
    let mut all: Vec<_> = ws
        .count_bids_by_status(&BidFilter::default())
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.status, c.count))
        .collect();
    all.sort();
    all
}

/// The same counts, each from a filtered count (which reads the bids).
async fn counted(ws: &Workspace) -> Vec<(BidStatus, i64)> {
    let mut all = Vec::new();
    for &status in BidStatus::ALL {
        let filter = BidFilter { status: Some(status), ..Default::default() };
        for c in ws.count_bids_by_status(&filter).await.unwrap() {
            all.push((c.status, c.count));
        }
    }
    all.sort();
    all
}

async fn run(steps: Vec<Step>) {
    let (_dir, ws) = new_workspace().await;
    let mut jobs = Vec::new();
    for i in 0..3 {
        jobs.push(ws.create_job(NewJob { title: format!("Job {i}"), ..Default::default() }).await.unwrap().meta.id);
    }
    let mut bids = Vec::new();
    for step in steps {
        // Refusals (a move the pipeline does not allow, a deleted job) are part of the game.
        let _ = match step {
            Step::Create { job, currency, amount } => ws
                .create_bid(NewBid {
                    job_id: Some(jobs[job]),
                    amount_minor: amount,
                    currency: CURRENCIES[currency].into(),
                    delivery_days: 5,
                    ..Default::default()
                })
                .await
                .map(|bid| bids.push(bid.meta.id)),
            Step::Move { bid, to } if !bids.is_empty() => {
                ws.set_bid_status(bids[bid % bids.len()], BidStatus::ALL[to]).await.map(drop)
            }
            Step::Reprice { bid, currency, amount } if !bids.is_empty() => ws
                .update_bid(
                    bids[bid % bids.len()],
                    BidPatch { amount: Some((amount, CURRENCIES[currency].into())), ..Default::default() },
                )
                .await
                .map(drop),
            Step::Delete { bid } if !bids.is_empty() => ws.delete(EntityKind::Bid, bids[bid % bids.len()]).await,
            Step::Restore { bid } if !bids.is_empty() => ws.restore(EntityKind::Bid, bids[bid % bids.len()]).await,
            Step::DeleteJob { job } => ws.delete(EntityKind::Job, jobs[job]).await,
            Step::Purge => ws.purge_deleted_older_than(chrono::Duration::zero()).await.map(drop),
            _ => Ok(()),
        };
        assert_eq!(ws.check_bid_totals(false).await.unwrap(), BidTotalsReport::default(), "after {step:?}");
    }
    assert_eq!(board_counts(&ws).await, counted(&ws).await);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
    #[test]
    fn kept_totals_equal_the_bids_whatever_is_done_to_them(steps in proptest::collection::vec(step(), 1..40)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(run(steps));
    }
}

#[tokio::test]
async fn the_check_finds_and_rebuilds_totals_that_disagree() {
    let (dir, ws) = new_workspace().await;
    let job = ws.create_job(NewJob { title: "Kiosk app".into(), ..Default::default() }).await.unwrap().meta.id;
    for amount in [100, 250] {
        let new = NewBid {
            job_id: Some(job),
            amount_minor: amount,
            currency: "EUR".into(),
            delivery_days: 3,
            ..Default::default()
        };
        ws.create_bid(new).await.unwrap();
    }
    let before = ws.dashboard(6).await.unwrap().pipeline;
    assert_eq!(before.len(), 1);
    assert_eq!((before[0].count, before[0].amount_minor), (2, 350));

    // Totals damaged behind the app's back: one wrong, one made up.
    let mut conn = raw_connection(dir.path()).await;
    sqlx::query("UPDATE bid_totals SET bids = 7").execute(&mut conn).await.unwrap();
    sqlx::query("INSERT INTO bid_totals VALUES ('awarded', 'USD', 1, 5)").execute(&mut conn).await.unwrap();
    sqlx::Connection::close(conn).await.unwrap();
    assert_eq!(board_counts(&ws).await, vec![(BidStatus::Draft, 7), (BidStatus::Awarded, 1)]);

    assert_eq!(ws.check_bid_totals(false).await.unwrap(), BidTotalsReport { disagreeing: 3, repaired: false });
    assert_eq!(ws.check_bid_totals(true).await.unwrap(), BidTotalsReport { disagreeing: 3, repaired: true });
    assert_eq!(ws.check_bid_totals(false).await.unwrap(), BidTotalsReport::default());
    assert_eq!(board_counts(&ws).await, vec![(BidStatus::Draft, 2)]);
    assert_eq!(ws.dashboard(6).await.unwrap().pipeline, before);
}
