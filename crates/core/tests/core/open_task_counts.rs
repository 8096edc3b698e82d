//! The open tasks' counts (overdue, due today, upcoming, undated: the
//! dashboard's and the task list's) come from open tasks kept by the day
//! they are due (migration 0025) and a day's range of the due index. They
//! always equal the open tasks counted one by one, for any moment and any
//! end of the user's day, whatever is done to the tasks; the kept days stay
//! in step with the tasks, and `check_kept_totals` rebuilds them if not.

use std::sync::Arc;

use bidwell_core::dashboard::TaskCounts;
use bidwell_core::*;
use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

use crate::support::*;

#[derive(Debug, Clone)]
enum Step {
    /// Due `minutes` from now (negative: in the past), or undated.
    Create {
        minutes: Option<i64>,
    },
    Complete {
        task: usize,
    },
    Reopen {
        task: usize,
    },
    Reschedule {
        task: usize,
        minutes: Option<i64>,
    },
    Delete {
        task: usize,
    },
    Restore {
        task: usize,
    },
    Purge,
    Wait {
        minutes: i64,
    },
}

/// Up to three days either side, so that tasks fall on days before, on and
/// after the boundaries' days.
fn due() -> impl Strategy<Value = Option<i64>> {
    prop_oneof![1 => Just(None), 4 => (-4320..4320i64).prop_map(Some)]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => due().prop_map(|minutes| Step::Create { minutes }),
        2 => (0..64usize).prop_map(|task| Step::Complete { task }),
        1 => (0..64usize).prop_map(|task| Step::Reopen { task }),
        2 => (0..64usize, due()).prop_map(|(task, minutes)| Step::Reschedule { task, minutes }),
        1 => (0..64usize).prop_map(|task| Step::Delete { task }),
        1 => (0..64usize).prop_map(|task| Step::Restore { task }),
        1 => Just(Step::Purge),
        2 => (1..2000i64).prop_map(|minutes| Step::Wait { minutes }),
    ]
}

/// The counts from the open tasks themselves, one by one.
async fn counted(ws: &Workspace, now: DateTime<Utc>, day_end: DateTime<Utc>) -> TaskCounts {
    let open = TaskFilter { done: Some(false), ..Default::default() };
    let mut counts = TaskCounts { overdue: 0, due_today: 0, upcoming: 0, undated: 0 };
    let tasks = ws.list_tasks(&open, &PageRequest { limit: 1000, ..Default::default() }).await.unwrap().items;
    for task in tasks {
        match task.due_at {
            None => counts.undated += 1,
            Some(due) if due < now => counts.overdue += 1,
            Some(due) if due < day_end => counts.due_today += 1,
            Some(_) => counts.upcoming += 1,
        }
    }
    counts
}

/// Ends of the user's day to ask with: where the zones put it (UTC-12 to
/// UTC+14 at the hour), and at each task's due time, where a range's
/// boundary falls exactly.
async fn day_ends(ws: &Workspace, now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let midnight = Utc.from_utc_datetime(&now.date_naive().and_hms_opt(0, 0, 0).unwrap());
    let mut ends: Vec<_> = (-14..=36)
        .map(|h| midnight + Duration::hours(h))
        .filter(|end| *end >= now && *end <= now + Duration::days(2))
        .collect();
    let all = ws.list_tasks(&TaskFilter::default(), &PageRequest { limit: 1000, ..Default::default() }).await.unwrap();
    ends.extend(all.items.iter().filter_map(|t| t.due_at).filter(|due| *due >= now));
    ends.push(now);
    ends
}

async fn run(steps: Vec<Step>) {
    // Late in the UTC day, so that "today" in many zones crosses midnight.
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 28, 21, 30, 0).unwrap()));
    let (_dir, ws) = workspace_at(clock.clone()).await;
    let mut tasks: Vec<Id> = Vec::new();
    let pick = |all: &[Id], i: usize| all[i % all.len()];
    for step in steps {
        let now = clock.now();
        let at = |minutes: Option<i64>| minutes.map(|m| now + Duration::minutes(m));
        // Refusals (a deleted task) are part of the game.
        let _ = match step {
            Step::Create { minutes } => ws
                .create_task(NewTask { title: "Call back".into(), due_at: at(minutes), ..Default::default() })
                .await
                .map(|t| tasks.push(t.meta.id)),
            Step::Complete { task } if !tasks.is_empty() => {
                let change = TaskPatch { done: Some(true), ..Default::default() };
                ws.update_task(pick(&tasks, task), change).await.map(drop)
            }
            Step::Reopen { task } if !tasks.is_empty() => {
                let change = TaskPatch { done: Some(false), ..Default::default() };
                ws.update_task(pick(&tasks, task), change).await.map(drop)
            }
            Step::Reschedule { task, minutes } if !tasks.is_empty() => {
                let change = TaskPatch { due_at: Some(at(minutes)), ..Default::default() };
                ws.update_task(pick(&tasks, task), change).await.map(drop)
            }
            Step::Delete { task } if !tasks.is_empty() => ws.delete(EntityKind::Task, pick(&tasks, task)).await,
            Step::Restore { task } if !tasks.is_empty() => ws.restore(EntityKind::Task, pick(&tasks, task)).await,
            Step::Purge => ws.purge_deleted_older_than(Duration::zero()).await.map(drop),
            Step::Wait { minutes } => {
                clock.advance(Duration::minutes(minutes));
                Ok(())
            }
            _ => Ok(()),
        };
        assert_eq!(ws.check_kept_totals(false).await.unwrap(), KeptTotalsReport::default(), "after {step:?}");
    }
    let now = clock.now();
    for day_end in day_ends(&ws, now).await {
        let asked = ws.count_open_tasks(now, day_end).await.unwrap();
        assert_eq!(asked, counted(&ws, now, day_end).await, "day ending {day_end}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]
    #[test]
    fn the_counts_equal_the_open_tasks_counted_one_by_one(steps in proptest::collection::vec(step(), 1..40)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(run(steps));
    }
}

/// A task due at the very moment counts as due today, not overdue; one due
/// when the day ends counts as upcoming; one due earlier the same UTC day
/// as now is overdue, though its day is the one counted from the index.
#[tokio::test]
async fn the_boundaries_fall_where_the_task_list_draws_them() {
    let now = Utc.with_ymd_and_hms(2026, 3, 28, 21, 30, 0).unwrap();
    let (_dir, ws) = workspace_at(Arc::new(ManualClock::new(now))).await;
    let day_end = Utc.with_ymd_and_hms(2026, 3, 29, 3, 0, 0).unwrap(); // a user at UTC-3
    for (title, due) in [
        ("yesterday", Some(now - Duration::days(1))),
        ("this morning", Some(now - Duration::hours(12))),
        ("a second ago", Some(now - Duration::seconds(1))),
        ("now", Some(now)),
        ("after midnight UTC", Some(day_end - Duration::hours(1))),
        ("when the day ends", Some(day_end)),
        ("next week", Some(now + Duration::days(7))),
        ("someday", None),
    ] {
        ws.create_task(NewTask { title: title.into(), due_at: due, ..Default::default() }).await.unwrap();
    }
    let counts = ws.count_open_tasks(now, day_end).await.unwrap();
    assert_eq!(counts, TaskCounts { overdue: 3, due_today: 2, upcoming: 2, undated: 1 });
    assert_eq!(counts, counted(&ws, now, day_end).await);
    // The dashboard counts the same way, at its own reading of the clock.
    let dashboard = ws.dashboard_in_zone(3, -180).await.unwrap();
    assert_eq!(dashboard.tasks, counted(&ws, dashboard.now, day_end).await);
}

#[tokio::test]
async fn the_check_finds_and_rebuilds_task_days_that_disagree() {
    let now = Utc.with_ymd_and_hms(2026, 3, 28, 9, 0, 0).unwrap();
    let (dir, ws) = workspace_at(Arc::new(ManualClock::new(now))).await;
    for due in [Some(now - Duration::days(2)), Some(now + Duration::days(3)), None] {
        ws.create_task(NewTask { title: "Send invoice".into(), due_at: due, ..Default::default() }).await.unwrap();
    }
    let day_end = now + Duration::hours(15);
    let before = ws.count_open_tasks(now, day_end).await.unwrap();
    assert_eq!(before, TaskCounts { overdue: 1, due_today: 0, upcoming: 1, undated: 1 });

    // Days damaged behind the app's back: one wrong, one made up.
    let mut conn = raw_connection(dir.path()).await;
    sqlx::query("UPDATE open_task_days SET tasks = 5 WHERE day = ''").execute(&mut conn).await.unwrap();
    sqlx::query("INSERT INTO open_task_days VALUES ('2026-03-01', 4)").execute(&mut conn).await.unwrap();
    sqlx::Connection::close(conn).await.unwrap();
    let damaged = ws.count_open_tasks(now, day_end).await.unwrap();
    assert_eq!(damaged, TaskCounts { overdue: 5, due_today: 0, upcoming: 1, undated: 5 });

    // The wrong day counts twice (kept and counted differ), the made-up one once.
    assert_eq!(ws.check_kept_totals(false).await.unwrap(), KeptTotalsReport { disagreeing: 3, repaired: false });
    assert_eq!(ws.check_kept_totals(true).await.unwrap(), KeptTotalsReport { disagreeing: 3, repaired: true });
    assert_eq!(ws.check_kept_totals(false).await.unwrap(), KeptTotalsReport::default());
    assert_eq!(ws.count_open_tasks(now, day_end).await.unwrap(), before);
}
