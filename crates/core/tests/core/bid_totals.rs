//! The bid totals kept as bids are written (migration 0020: the board's
//! column counts, the dashboard's pipeline; 0023: decided bids by month, the
//! dashboard's win rate) always equal the bids counted afresh, whatever a
//! user does to them and whenever; `check_kept_totals` (run by `bidwell
//! doctor`) finds totals that disagree and rebuilds them.

use std::sync::Arc;

use bidwell_core::*;
use chrono::{TimeZone, Utc};
use proptest::prelude::*;

use crate::support::*;

const CURRENCIES: [&str; 3] = ["EUR", "USD", "JPY"];

#[derive(Debug, Clone)]
enum Step {
    Create {
        job: usize,
        currency: usize,
        amount: i64,
    },
    Move {
        bid: usize,
        to: usize,
    },
    /// Submitted, then `days` later awarded or rejected: the moves the win rate counts.
    Decide {
        bid: usize,
        awarded: bool,
        days: i64,
    },
    Reprice {
        bid: usize,
        currency: usize,
        amount: i64,
    },
    Delete {
        bid: usize,
    },
    Restore {
        bid: usize,
    },
    DeleteJob {
        job: usize,
    },
    Purge,
    /// Time passes (days), so later changes fall in a later month.
    Wait {
        days: i64,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..3usize, 0..3usize, 1..1_000_000i64).prop_map(|(job, currency, amount)| Step::Create { job, currency, amount }),
        3 => (0..64usize, 0..BidStatus::ALL.len()).prop_map(|(bid, to)| Step::Move { bid, to }),
        2 => (0..64usize, any::<bool>(), 0..40i64).prop_map(|(bid, awarded, days)| Step::Decide { bid, awarded, days }),
        2 => (0..64usize, 0..3usize, 1..1_000_000i64).prop_map(|(bid, currency, amount)| Step::Reprice { bid, currency, amount }),
        1 => (0..64usize).prop_map(|bid| Step::Delete { bid }),
        1 => (0..64usize).prop_map(|bid| Step::Restore { bid }),
        1 => (0..3usize).prop_map(|job| Step::DeleteJob { job }),
        1 => Just(Step::Purge),
        2 => (1..40i64).prop_map(|days| Step::Wait { days }),
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
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 20, 9, 0, 0).unwrap()));
    let (_dir, ws) = workspace_at(clock.clone()).await;
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
            Step::Decide { bid, awarded, days } if !bids.is_empty() => {
                let bid = bids[bid % bids.len()];
                let _ = ws.set_bid_status(bid, BidStatus::Submitted).await;
                clock.advance(chrono::Duration::days(days));
                let to = if awarded { BidStatus::Awarded } else { BidStatus::Rejected };
                ws.set_bid_status(bid, to).await.map(drop)
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
            Step::Wait { days } => {
                clock.advance(chrono::Duration::days(days));
                Ok(())
            }
            _ => Ok(()),
        };
        assert_eq!(ws.check_kept_totals(false).await.unwrap(), KeptTotalsReport::default(), "after {step:?}");
    }
    assert_eq!(board_counts(&ws).await, counted(&ws).await);
    assert_eq!(win_rate(&ws).await, decided_by_month(&ws).await);
}

/// The dashboard's win rate over the last year: (month, awarded, rejected)
/// of the months with a decision.
async fn win_rate(ws: &Workspace) -> Vec<(String, i64, i64)> {
    let months = ws.dashboard(12).await.unwrap().win_rate;
    months.into_iter().filter(|m| m.awarded + m.rejected > 0).map(|m| (m.month, m.awarded, m.rejected)).collect()
}

/// The same from the bids themselves, as a user would count them on the board.
async fn decided_by_month(ws: &Workspace) -> Vec<(String, i64, i64)> {
    let since = ws.dashboard(12).await.unwrap().win_rate[0].month.clone();
    let mut months = std::collections::BTreeMap::<String, (i64, i64)>::new();
    for status in [BidStatus::Awarded, BidStatus::Rejected] {
        let filter = BidFilter { status: Some(status), ..Default::default() };
        for bid in ws.list_bids(&filter, &PageRequest { limit: 1000, ..Default::default() }).await.unwrap().items {
            let month = bid.meta.updated_at.format("%Y-%m").to_string();
            if month >= since {
                let counts = months.entry(month).or_default();
                if status == BidStatus::Awarded {
                    counts.0 += 1
                } else {
                    counts.1 += 1
                }
            }
        }
    }
    months.into_iter().map(|(month, (a, r))| (month, a, r)).collect()
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

    assert_eq!(ws.check_kept_totals(false).await.unwrap(), KeptTotalsReport { disagreeing: 3, repaired: false });
    assert_eq!(ws.check_kept_totals(true).await.unwrap(), KeptTotalsReport { disagreeing: 3, repaired: true });
    assert_eq!(ws.check_kept_totals(false).await.unwrap(), KeptTotalsReport::default());
    assert_eq!(board_counts(&ws).await, vec![(BidStatus::Draft, 2)]);
    assert_eq!(ws.dashboard(6).await.unwrap().pipeline, before);
}

#[tokio::test]
async fn the_check_finds_and_rebuilds_decided_months_that_disagree() {
    let (dir, ws) = new_workspace().await;
    let job = ws.create_job(NewJob { title: "Kiosk app".into(), ..Default::default() }).await.unwrap().meta.id;
    let new =
        NewBid { job_id: Some(job), amount_minor: 100, currency: "EUR".into(), delivery_days: 3, ..Default::default() };
    let bid = ws.create_bid(new).await.unwrap().meta.id;
    for status in [BidStatus::Submitted, BidStatus::Awarded] {
        ws.set_bid_status(bid, status).await.unwrap();
    }
    let before = win_rate(&ws).await;
    assert_eq!(before, vec![("2026-11".to_string(), 1, 0)]);

    // Counts damaged behind the app's back: one wrong, one month made up.
    let mut conn = raw_connection(dir.path()).await;
    sqlx::query("UPDATE bid_decisions SET rejected = 4").execute(&mut conn).await.unwrap();
    sqlx::query("INSERT INTO bid_decisions VALUES ('2026-10', 2, 0)").execute(&mut conn).await.unwrap();
    sqlx::Connection::close(conn).await.unwrap();
    assert_eq!(win_rate(&ws).await, vec![("2026-10".to_string(), 2, 0), ("2026-11".to_string(), 1, 4)]);

    // The wrong month counts twice (kept and counted differ), the made-up one once.
    assert_eq!(ws.check_kept_totals(false).await.unwrap(), KeptTotalsReport { disagreeing: 3, repaired: false });
    assert_eq!(ws.check_kept_totals(true).await.unwrap(), KeptTotalsReport { disagreeing: 3, repaired: true });
    assert_eq!(ws.check_kept_totals(false).await.unwrap(), KeptTotalsReport::default());
    assert_eq!(win_rate(&ws).await, before);
}

/// A decided bid counts in the month of its last change: a deletion takes
/// it out, a restore puts it in the month it came back.
#[tokio::test]
async fn a_decided_bid_counts_in_the_month_of_its_last_change() {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 8, 20, 9, 0, 0).unwrap()));
    let (_dir, ws) = workspace_at(clock.clone()).await;
    let job = ws.create_job(NewJob { title: "Kiosk app".into(), ..Default::default() }).await.unwrap().meta.id;
    let new =
        NewBid { job_id: Some(job), amount_minor: 100, currency: "EUR".into(), delivery_days: 3, ..Default::default() };
    let bid = ws.create_bid(new).await.unwrap().meta.id;
    ws.set_bid_status(bid, BidStatus::Submitted).await.unwrap();
    let month = |m: &str, a, r| vec![(m.to_string(), a, r)];

    clock.advance(chrono::Duration::days(20)); // September
    ws.set_bid_status(bid, BidStatus::Rejected).await.unwrap();
    assert_eq!(win_rate(&ws).await, month("2026-09", 0, 1));
    clock.advance(chrono::Duration::days(30)); // October
    ws.delete(EntityKind::Bid, bid).await.unwrap();
    assert_eq!(win_rate(&ws).await, vec![]);
    clock.advance(chrono::Duration::days(30)); // November
    ws.restore(EntityKind::Bid, bid).await.unwrap();
    assert_eq!(win_rate(&ws).await, month("2026-11", 0, 1));
    assert_eq!(decided_by_month(&ws).await, month("2026-11", 0, 1));
    assert_eq!(ws.check_kept_totals(false).await.unwrap(), KeptTotalsReport::default());
}
