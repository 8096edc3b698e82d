//! Task reminders: each fires once, when its time has passed, and not for
//! done tasks — across a lock and reopen too. Repeating tasks come back one
//! period after they are done, a snoozed reminder fires again, and a
//! follow-up is one call on a client, a bid or a job.

use std::sync::Arc;

use bidwell_core::vault::Unlock;
use bidwell_core::{
    Clock, EntityKind, Environment, ManualClock, NewBid, NewClient, NewJob, NewTask, PageRequest, Subject, Task,
    TaskFilter, TaskPatch, TaskRepeat, Workspace,
};
use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::support;

/// The tests' environment, on `clock`.
fn env_on(clock: Arc<ManualClock>) -> Environment {
    Environment { clock, ..support::env() }
}

fn titles(tasks: &[bidwell_core::Task]) -> Vec<&str> {
    tasks.iter().map(|t| t.title.as_str()).collect()
}

#[tokio::test]
async fn reminders_fire_once_when_due_and_skip_done_tasks() {
    let start = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap();
    let (dir, ws, clock) = workspace_starting_at(start).await;

    let task = |title: &str, due_hours: i64, remind_hours: Option<i64>| NewTask {
        title: title.into(),
        due_at: Some(start + Duration::hours(due_hours)),
        remind_at: remind_hours.map(|h| start + Duration::hours(h)),
        ..Default::default()
    };
    ws.create_task(task("Send invoice", 3, Some(1))).await.unwrap();
    ws.create_task(task("Call Ana", 2, None)).await.unwrap();
    let done = ws.create_task(task("Already done", 2, None)).await.unwrap();
    ws.create_task(task("Next week", 24 * 7, None)).await.unwrap();
    ws.update_task(done.meta.id, TaskPatch { done: Some(true), ..Default::default() }).await.unwrap();

    assert!(ws.take_due_reminders().await.unwrap().is_empty(), "nothing is due yet");
    clock.advance(Duration::hours(2) + Duration::minutes(1));
    assert_eq!(titles(&ws.take_due_reminders().await.unwrap()), ["Send invoice", "Call Ana"]);
    assert!(ws.take_due_reminders().await.unwrap().is_empty(), "a reminder fires once");

    ws.lock().await;
    clock.advance(Duration::days(8));
    let ws =
        Workspace::open(dir.path(), Unlock::Passphrase(support::passphrase()), env_on(clock.clone())).await.unwrap();
    assert_eq!(
        titles(&ws.take_due_reminders().await.unwrap()),
        ["Next week"],
        "a reminder that fell while the app was closed fires at the next sweep, the earlier ones do not repeat"
    );
}

/// A new workspace whose clock starts at `start`, and that clock.
pub async fn workspace_starting_at(start: DateTime<Utc>) -> (tempfile::TempDir, Workspace, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(start));
    let (dir, ws) = support::workspace_at(clock.clone()).await;
    (dir, ws, clock)
}

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

async fn open_tasks(ws: &Workspace) -> Vec<Task> {
    let open = TaskFilter { done: Some(false), ..Default::default() };
    ws.list_tasks(&open, &PageRequest::default()).await.unwrap().items
}

fn done() -> TaskPatch {
    TaskPatch { done: Some(true), ..Default::default() }
}

#[tokio::test]
async fn completing_a_repeating_task_makes_the_next_one_a_period_later() {
    let cases = [
        (TaskRepeat::Daily, at(2026, 11, 20, 9), at(2026, 11, 21, 9)),
        (TaskRepeat::Weekly, at(2026, 11, 20, 9), at(2026, 11, 27, 9)),
        (TaskRepeat::Monthly, at(2026, 11, 20, 9), at(2026, 12, 20, 9)),
        // A month later than 31 January is the last day of February.
        (TaskRepeat::Monthly, at(2027, 1, 31, 9), at(2027, 2, 28, 9)),
        (TaskRepeat::Monthly, at(2028, 1, 31, 9), at(2028, 2, 29, 9)),
    ];
    for (repeat, due, next_due) in cases {
        let (_dir, ws, _clock) = workspace_starting_at(due - Duration::days(1)).await;
        let client = ws.create_client(NewClient { name: "Ana".into(), ..Default::default() }).await.unwrap();
        let subject = Subject { kind: EntityKind::Client, id: client.meta.id };
        let first = ws
            .create_task(NewTask {
                title: "Send report".into(),
                notes: "the usual numbers".into(),
                due_at: Some(due),
                remind_at: Some(due - Duration::hours(1)),
                subject: Some(subject),
                repeat: Some(repeat),
            })
            .await
            .unwrap();
        ws.update_task(first.meta.id, done()).await.unwrap();
        let open = open_tasks(&ws).await;
        assert_eq!(open.len(), 1, "{repeat}: one next occurrence");
        let next = &open[0];
        assert_eq!((next.due_at, next.remind_at), (Some(next_due), Some(next_due - Duration::hours(1))), "{repeat}");
        assert_eq!((next.title.as_str(), next.notes.as_str()), ("Send report", "the usual numbers"));
        assert_eq!(
            (next.subject_kind, next.subject_id, next.repeat),
            (Some(EntityKind::Client), Some(client.meta.id), Some(repeat))
        );
        assert_eq!(next.repeat_of, Some(first.meta.id));
        ws.lock().await;
    }
}

/// Undo of "done" takes back the occurrence it made; done again makes one,
/// not two. An occurrence already finished is the user's work and stays.
#[tokio::test]
async fn undoing_done_on_a_repeating_task_leaves_no_duplicate() {
    let start = at(2026, 11, 20, 9);
    let (_dir, ws, _clock) = workspace_starting_at(start).await;
    let new = NewTask {
        title: "Timesheet".into(),
        due_at: Some(start + Duration::hours(8)),
        repeat: Some(TaskRepeat::Daily),
        ..Default::default()
    };
    let task = ws.create_task(new).await.unwrap();
    let undo = TaskPatch { done: Some(false), ..Default::default() };
    ws.update_task(task.meta.id, done()).await.unwrap();
    ws.update_task(task.meta.id, undo.clone()).await.unwrap();
    assert_eq!(open_tasks(&ws).await.iter().map(|t| t.meta.id).collect::<Vec<_>>(), [task.meta.id]);
    ws.update_task(task.meta.id, done()).await.unwrap();
    ws.update_task(task.meta.id, done()).await.unwrap();
    let open = open_tasks(&ws).await;
    assert_eq!(open.len(), 1, "done twice makes one next occurrence");

    ws.update_task(open[0].meta.id, done()).await.unwrap();
    ws.update_task(task.meta.id, undo).await.unwrap();
    ws.update_task(task.meta.id, done()).await.unwrap();
    let all = ws.list_tasks(&TaskFilter::default(), &PageRequest::default()).await.unwrap().items;
    assert_eq!(all.len(), 3, "the finished second occurrence stays and is not made again: {all:?}");
    ws.lock().await;
}

#[tokio::test]
async fn a_repeat_needs_a_time_to_repeat_from() {
    let (_dir, ws, _clock) = workspace_starting_at(at(2026, 11, 20, 9)).await;
    let err = ws
        .create_task(NewTask { title: "Someday".into(), repeat: Some(TaskRepeat::Weekly), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(err.to_api().field.as_deref(), Some("repeat"));
    ws.lock().await;
}

#[tokio::test]
async fn a_snoozed_reminder_fires_again_once_and_keeps_its_due_time() {
    let start = at(2026, 11, 20, 9);
    let (_dir, ws, clock) = workspace_starting_at(start).await;
    let due = start + Duration::minutes(30);
    let new = NewTask { title: "Call Ana".into(), due_at: Some(due), remind_at: Some(due), ..Default::default() };
    let task = ws.create_task(new).await.unwrap();
    clock.advance(Duration::minutes(31));
    assert_eq!(titles(&ws.take_due_reminders().await.unwrap()), ["Call Ana"]);

    let err = ws.snooze_task(task.meta.id, clock.now() - Duration::minutes(1)).await.unwrap_err();
    assert_eq!(err.to_api().field.as_deref(), Some("until"));
    let snoozed = ws.snooze_task(task.meta.id, clock.now() + Duration::hours(1)).await.unwrap();
    assert_eq!(snoozed.due_at, Some(due), "the due time stays");
    assert!(ws.take_due_reminders().await.unwrap().is_empty());
    clock.advance(Duration::minutes(59));
    assert!(ws.take_due_reminders().await.unwrap().is_empty(), "not before the snooze ends");
    clock.advance(Duration::minutes(2));
    assert_eq!(titles(&ws.take_due_reminders().await.unwrap()), ["Call Ana"]);
    assert!(ws.take_due_reminders().await.unwrap().is_empty(), "a snoozed reminder fires once");
    // Other edits still work on a task whose reminder now lies after its due time.
    ws.update_task(task.meta.id, TaskPatch { notes: Some("left a message".into()), ..Default::default() })
        .await
        .unwrap();
    ws.lock().await;
}

#[tokio::test]
async fn follow_up_makes_one_reminding_task_about_a_client_a_bid_or_a_job() {
    let start = at(2026, 11, 20, 9);
    let (_dir, ws, clock) = workspace_starting_at(start).await;
    let client = ws.create_client(NewClient { name: "Ana Lima".into(), ..Default::default() }).await.unwrap();
    let job = ws
        .create_job(NewJob { title: "Logo for a bakery".into(), client_id: Some(client.meta.id), ..Default::default() })
        .await
        .unwrap();
    let bid = ws
        .create_bid(NewBid {
            job_id: Some(job.meta.id),
            amount_minor: 30000,
            currency: "USD".into(),
            delivery_days: 5,
            proposal: "Three drafts in a week.\nThen two rounds of changes.".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let due = start + Duration::days(3);
    let cases = [
        (EntityKind::Client, client.meta.id, "Follow up: Ana Lima"),
        (EntityKind::Job, job.meta.id, "Follow up: Logo for a bakery"),
        (EntityKind::Bid, bid.meta.id, "Follow up: bid on Logo for a bakery"),
    ];
    for (kind, id, title) in cases {
        let task = ws.follow_up(Subject { kind, id }, due).await.unwrap();
        assert_eq!(task.title, title);
        assert_eq!((task.subject_kind, task.subject_id), (Some(kind), Some(id)));
        assert_eq!((task.due_at, task.remind_at, task.done_at), (Some(due), Some(due), None));
        let about = TaskFilter { subject: Some(Subject { kind, id }), ..Default::default() };
        assert_eq!(ws.list_tasks(&about, &PageRequest::default()).await.unwrap().items, [task]);
    }
    clock.advance(Duration::days(3));
    assert_eq!(ws.take_due_reminders().await.unwrap().len(), 3);
    let gone = Subject { kind: EntityKind::Client, id: bidwell_core::Id::new_at(start) };
    assert!(ws.follow_up(gone, due).await.is_err(), "no follow-up on a record that is not there");
    ws.lock().await;
}
