//! The dashboard's figures for a small hand-made data set on a manual clock.

use std::sync::Arc;

use bidwell_core::dashboard::TaskCounts;
use bidwell_core::*;
use chrono::{Duration, TimeZone, Utc};

use crate::support::workspace_at;

async fn bid(ws: &Workspace, job: Id, amount_minor: i64, currency: &str) -> Id {
    let new =
        NewBid { job_id: Some(job), amount_minor, currency: currency.into(), delivery_days: 5, ..Default::default() };
    ws.create_bid(new).await.unwrap().meta.id
}

async fn moves(ws: &Workspace, id: Id, to: &[BidStatus]) {
    for status in to {
        ws.set_bid_status(id, *status).await.unwrap();
    }
}

async fn released(ws: &Workspace, bid: Id, amount_minor: i64, currency: &str) {
    let new = NewMilestone {
        bid_id: Some(bid),
        title: "Part".into(),
        amount_minor,
        currency: currency.into(),
        ..Default::default()
    };
    let id = ws.create_milestone(new).await.unwrap().meta.id;
    ws.set_milestone_status(id, MilestoneStatus::Funded).await.unwrap();
    ws.set_milestone_status(id, MilestoneStatus::Released).await.unwrap();
}

async fn task(ws: &Workspace, title: &str, due_at: Option<chrono::DateTime<Utc>>) -> Id {
    ws.create_task(NewTask { title: title.into(), due_at, ..Default::default() }).await.unwrap().meta.id
}

#[tokio::test]
async fn dashboard_figures() {
    use BidStatus::*;
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 8, 20, 9, 0, 0).unwrap()));
    let (_dir, ws) = workspace_at(clock.clone()).await;
    let job = ws.create_job(NewJob { title: "Site".into(), ..Default::default() }).await.unwrap().meta.id;

    // August: decided before the window, and a release outside it.
    let old = bid(&ws, job, 9_999, "USD").await;
    moves(&ws, old, &[Submitted, Rejected]).await;
    released(&ws, old, 7_777, "USD").await;

    // September: one award, one rejection.
    clock.advance(Duration::days(20));
    let won = bid(&ws, job, 200_000, "USD").await;
    moves(&ws, won, &[Submitted, Awarded]).await;
    let lost = bid(&ws, job, 50_000, "USD").await;
    moves(&ws, lost, &[Queued, Submitted, Rejected]).await;

    // October: nothing decided; one release.
    clock.advance(Duration::days(30));
    released(&ws, won, 50_000, "USD").await;

    // November: a release in two currencies, live bids in the pipeline.
    clock.advance(Duration::days(32)); // 2026-11-10 09:00
    released(&ws, won, 25_000, "USD").await;
    released(&ws, won, 10_000, "EUR").await;
    let _draft = bid(&ws, job, 100_000, "USD").await;
    let _draft_eur = bid(&ws, job, 30_000, "EUR").await;
    let shortlisted = bid(&ws, job, 70_000, "USD").await;
    moves(&ws, shortlisted, &[Submitted, Shortlisted]).await;

    let at = |h: u32, d: u32| Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap();
    let overdue = task(&ws, "Overdue", Some(at(8, 10))).await;
    task(&ws, "Yesterday", Some(at(8, 9))).await;
    task(&ws, "Today", Some(at(18, 10))).await;
    task(&ws, "Upcoming", Some(at(10, 12))).await;
    task(&ws, "Later", Some(at(10, 20))).await;
    task(&ws, "Much later", Some(at(10, 25))).await;
    task(&ws, "Someday", None).await;
    let done = task(&ws, "Done", Some(at(7, 1))).await;
    ws.update_task(done, TaskPatch { done: Some(true), ..Default::default() }).await.unwrap();

    let d = ws.dashboard(3).await.unwrap();

    let pipeline: Vec<_> =
        d.pipeline.iter().map(|p| (p.status, p.currency.as_str(), p.count, p.amount_minor)).collect();
    assert_eq!(
        pipeline,
        vec![
            (Draft, "EUR", 1, 30_000),
            (Draft, "USD", 1, 100_000),
            (Shortlisted, "USD", 1, 70_000),
            (Awarded, "USD", 1, 200_000),
            (Rejected, "USD", 2, 59_999),
        ]
    );

    let rates: Vec<_> = d.win_rate.iter().map(|w| (w.month.as_str(), w.awarded, w.rejected, w.rate)).collect();
    assert_eq!(rates, vec![("2026-09", 1, 1, Some(0.5)), ("2026-10", 0, 0, None), ("2026-11", 0, 0, None)]);

    let earnings: Vec<_> = d.earnings.iter().map(|e| (e.month.as_str(), e.currency.as_str(), e.amount_minor)).collect();
    assert_eq!(earnings, vec![("2026-10", "USD", 50_000), ("2026-11", "EUR", 10_000), ("2026-11", "USD", 25_000)]);

    assert_eq!(d.tasks, TaskCounts { overdue: 2, due_today: 1, upcoming: 3, undated: 1 });
    let titles: Vec<_> = d.upcoming.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(titles, vec!["Yesterday", "Overdue", "Today", "Upcoming", "Later"]);

    // Completing a task takes it out of every figure.
    ws.update_task(overdue, TaskPatch { done: Some(true), ..Default::default() }).await.unwrap();
    assert_eq!(ws.dashboard(3).await.unwrap().tasks.overdue, 1);
    // The window reaches back to August when asked.
    let d = ws.dashboard(4).await.unwrap();
    assert_eq!((d.win_rate[0].month.as_str(), d.win_rate[0].rejected), ("2026-08", 1));
    assert_eq!(d.earnings[0].amount_minor, 7_777);

    assert_eq!(ws.dashboard(0).await.unwrap_err().code(), ErrorCode::Validation);
}

/// "Due today" ends where the user's day does, as on the task list: at 22:00
/// UTC a user in Tokyo (UTC+9) is in tomorrow's morning, one in Hawaii
/// (UTC-10) at noon of the UTC day.
#[tokio::test]
async fn due_today_is_the_users_day() {
    let now = Utc.with_ymd_and_hms(2026, 8, 20, 22, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::new(now));
    let (_dir, ws) = workspace_at(clock).await;
    task(&ws, "before UTC midnight", Some(now + Duration::minutes(90))).await;
    task(&ws, "Tokyo's evening", Some(now + Duration::hours(14))).await;
    task(&ws, "Hawaii's evening", Some(now + Duration::hours(10))).await;
    task(&ws, "the day after", Some(now + Duration::hours(30))).await;

    let today = |minutes: i32| {
        let ws = &ws;
        async move {
            let counts = ws.dashboard_in_zone(1, minutes).await.unwrap().tasks;
            let tasks = ws.count_open_tasks(now, end_of_users_day(now, minutes)).await.unwrap();
            assert_eq!(counts, tasks, "the dashboard and the task list agree at UTC{minutes:+} minutes");
            counts.due_today
        }
    };
    // UTC: ends at midnight, 2 hours away.
    assert_eq!(today(0).await, 1);
    assert_eq!(ws.dashboard(1).await.unwrap().tasks.due_today, 1);
    // Tokyo: 07:00 on the 21st, the day ends 17 hours from now.
    assert_eq!(today(9 * 60).await, 3);
    // Hawaii: 12:00 on the 20th, the day ends 12 hours from now.
    assert_eq!(today(-10 * 60).await, 2);
    for wrong in [-721, 841] {
        assert_eq!(ws.dashboard_in_zone(1, wrong).await.unwrap_err().code(), ErrorCode::Validation);
    }
}

/// The end of the day `now` is in, for a user `minutes` ahead of UTC.
fn end_of_users_day(now: chrono::DateTime<Utc>, minutes: i32) -> chrono::DateTime<Utc> {
    let zone = chrono::FixedOffset::east_opt(minutes * 60).unwrap();
    let next = now.with_timezone(&zone).date_naive().succ_opt().unwrap().and_hms_opt(0, 0, 0).unwrap();
    next.and_local_timezone(zone).unwrap().with_timezone(&Utc)
}
