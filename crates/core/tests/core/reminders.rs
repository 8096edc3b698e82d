//! Task reminders: each fires once, when its time has passed, and not for
//! done tasks — across a lock and reopen too.

use std::sync::Arc;

use bidwell_core::secret::Passphrase;
use bidwell_core::vault::{KdfParams, Protection, Unlock};
use bidwell_core::{Environment, ManualClock, NewTask, TaskPatch, Workspace};
use chrono::{Duration, TimeZone, Utc};

use crate::support::{NoKeychain, PASSPHRASE};

fn env(clock: Arc<ManualClock>) -> Environment {
    Environment { clock, keychain: Arc::new(NoKeychain), kdf: KdfParams::light(), holder: Default::default() }
}

fn titles(tasks: &[bidwell_core::Task]) -> Vec<&str> {
    tasks.iter().map(|t| t.title.as_str()).collect()
}

#[tokio::test]
async fn reminders_fire_once_when_due_and_skip_done_tasks() {
    let start = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let dir = tempfile::tempdir().unwrap();
    let passphrase = || Passphrase::new(PASSPHRASE.to_string());
    let (ws, _) =
        Workspace::create(dir.path(), "Test", Protection::Passphrase(passphrase()), env(clock.clone())).await.unwrap();

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
    let ws = Workspace::open(dir.path(), Unlock::Passphrase(passphrase()), env(clock.clone())).await.unwrap();
    assert_eq!(
        titles(&ws.take_due_reminders().await.unwrap()),
        ["Next week"],
        "a reminder that fell while the app was closed fires at the next sweep, the earlier ones do not repeat"
    );
}
