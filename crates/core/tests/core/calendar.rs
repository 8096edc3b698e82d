//! The calendar export (.ics): every open task with a time and every
//! milestone still to be paid, read back by Python's maintained `icalendar`
//! library, the way calendar apps' importers read it.

use std::path::{Path, PathBuf};
use std::process::Command;

use bidwell_core::*;
use chrono::{Duration, NaiveDate};
use serde_json::Value;

use crate::reminders::workspace_starting_at;

/// The pinned `icalendar` in a virtualenv under target/ (made once, again
/// when the pins change). `None`, said aloud, only when python3 is missing.
fn ics_reader() -> Option<PathBuf> {
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("SKIPPED: python3 is missing, so the .ics file is not checked with the icalendar library");
        return None;
    }
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let requirements = here.join("tests/core/ics-requirements.txt");
    let venv = here.join("../../target/ics-venv");
    let stamp = venv.join(".requirements");
    let python = venv.join("bin/python");
    let wanted = std::fs::read(&requirements).unwrap();
    if std::fs::read(&stamp).ok().as_ref() != Some(&wanted) || !python.exists() {
        run(Command::new("python3").args(["-m", "venv", "--clear"]).arg(&venv));
        run(Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(&requirements));
        std::fs::write(&stamp, wanted).unwrap();
    }
    Some(python)
}

fn run(command: &mut Command) -> Vec<u8> {
    let out = command.output().unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(out.status.success(), "{command:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn read_calendar(python: &Path, file: &Path) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/core/read_ics.py");
    serde_json::from_slice(&run(Command::new(python).arg(script).arg(file))).unwrap()
}

fn event(calendar: &Value, id: Id) -> &Value {
    let uid = format!("{id}@bidwell");
    calendar["events"].as_array().unwrap().iter().find(|e| e["uid"] == uid.as_str()).unwrap_or_else(|| {
        panic!("no event {uid} in {calendar}");
    })
}

#[tokio::test]
async fn the_calendar_file_holds_every_open_task_and_milestone_with_its_time() {
    let Some(python) = ics_reader() else { return };
    let start = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 20, 9, 0, 0).unwrap();
    let (dir, ws, _clock) = workspace_starting_at(start).await;
    let client = ws.create_client(NewClient { name: "Zoë; Ångström, Ltd".into(), ..Default::default() }).await.unwrap();
    let due = start + Duration::days(2);
    let weekly = ws
        .create_task(NewTask {
            title: "Send the weekly report to Zoë; with the numbers, the charts and the notes from the call".into(),
            notes: "Line one\nLine two, with a comma".into(),
            due_at: Some(due),
            remind_at: Some(due - Duration::hours(2)),
            repeat: Some(TaskRepeat::Weekly),
            subject: Some(Subject { kind: EntityKind::Client, id: client.meta.id }),
        })
        .await
        .unwrap();
    let reminder_only = ws
        .create_task(NewTask {
            title: "Call back".into(),
            remind_at: Some(start + Duration::hours(3)),
            ..Default::default()
        })
        .await
        .unwrap();
    let follow_up = ws.follow_up(Subject { kind: EntityKind::Client, id: client.meta.id }, due).await.unwrap();
    ws.create_task(NewTask { title: "No time".into(), ..Default::default() }).await.unwrap();
    let finished =
        ws.create_task(NewTask { title: "Finished".into(), due_at: Some(due), ..Default::default() }).await.unwrap();
    ws.update_task(finished.meta.id, TaskPatch { done: Some(true), ..Default::default() }).await.unwrap();

    let project = ws
        .create_project(NewProject { client_id: Some(client.meta.id), name: "Site".into(), ..Default::default() })
        .await
        .unwrap();
    let milestone = |title: &str, day: u32| NewMilestone {
        project_id: Some(project.meta.id),
        title: title.into(),
        amount_minor: 50000,
        currency: "EUR".into(),
        due_date: NaiveDate::from_ymd_opt(2026, 12, day),
        ..Default::default()
    };
    let pending = ws.create_milestone(milestone("Design", 1)).await.unwrap();
    let released = ws.create_milestone(milestone("Paid already", 2)).await.unwrap();
    ws.set_milestone_status(released.meta.id, MilestoneStatus::Funded).await.unwrap();
    ws.set_milestone_status(released.meta.id, MilestoneStatus::Released).await.unwrap();
    ws.create_milestone(NewMilestone { due_date: None, ..milestone("Undated", 1) }).await.unwrap();

    let out = dir.path().join("calendar.ics");
    let summary = ws.export_ics(&out).await.unwrap();
    assert_eq!((summary.tasks, summary.milestones), (3, 1));
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.split(|b| *b == b'\n').all(|line| line.len() <= 76), "lines are folded at 75 octets");
    let calendar = read_calendar(&python, &out);
    assert_eq!(calendar["version"], "2.0");
    assert_eq!(calendar["events"].as_array().unwrap().len(), 4, "{calendar}");

    let e = event(&calendar, weekly.meta.id);
    assert_eq!(e["summary"], weekly.title.as_str());
    assert_eq!(e["description"], "Line one\nLine two, with a comma");
    assert_eq!(e["start"]["utc"], "2026-11-22T09:00:00+00:00");
    assert_eq!(e["stamp"]["utc"], "2026-11-20T09:00:00+00:00");
    assert_eq!(e["rrule"], "FREQ=WEEKLY");
    assert_eq!(e["alarms"], serde_json::json!([{ "action": "DISPLAY", "trigger_seconds": -7200.0 }]));

    let e = event(&calendar, reminder_only.meta.id);
    assert_eq!(e["start"]["utc"], "2026-11-20T12:00:00+00:00", "a task without a due time sits at its reminder");
    assert_eq!(e["alarms"][0]["trigger_seconds"], 0.0);
    assert_eq!(e["rrule"], Value::Null);

    let e = event(&calendar, follow_up.meta.id);
    assert_eq!(e["summary"], "Follow up: Zoë; Ångström, Ltd");

    let e = event(&calendar, pending.meta.id);
    assert_eq!(e["start"]["date"], "2026-12-01", "a milestone is an all-day event on its due date");
    assert_eq!(e["summary"], "Milestone due: Design");
    assert_eq!(e["alarms"], serde_json::json!([]));
    ws.lock().await;
}
