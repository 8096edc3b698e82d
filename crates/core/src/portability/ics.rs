//! The calendar export: open tasks with a due or reminder time and the
//! milestones still to be paid, as an iCalendar file (RFC 5545) that Google
//! Calendar, Outlook, Apple Calendar and Thunderbird import.
//!
//! Everything is a VEVENT: Google Calendar imports events and drops VTODOs.
//! UIDs are the record's id (`<id>@bidwell`), so importing a newer file
//! updates the events instead of doubling them. A task starts at its due
//! time (its reminder time when it has none) and carries its reminder as a
//! VALARM relative to that start (Outlook reads only relative triggers) and
//! its repeat as an RRULE; a milestone is an all-day event on its due date.
//! Text is escaped and lines folded at 75 octets as vCard does (`vcard`).

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use super::staging::Staged;
use super::vcard::{escape, push_folded};
use crate::audit;
use crate::domain::{Milestone, Task, TaskRepeat};
use crate::error::{Error, Result};
use crate::money::Money;
use crate::store::record::Record;
use crate::Workspace;

/// How long a task's event lasts in a calendar: a slot to do it in.
const TASK_MINUTES: i64 = 30;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct IcsExportSummary {
    pub path: PathBuf,
    pub tasks: u64,
    pub milestones: u64,
}

fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

fn date(day: NaiveDate) -> String {
    day.format("%Y%m%d").to_string()
}

/// An RFC 5545 duration in seconds, signed: `-PT3600S`.
fn duration(d: Duration) -> String {
    let secs = d.num_seconds();
    format!("{}PT{}S", if secs < 0 { "-" } else { "" }, secs.abs())
}

fn rrule(repeat: TaskRepeat) -> &'static str {
    match repeat {
        TaskRepeat::Daily => "RRULE:FREQ=DAILY",
        TaskRepeat::Weekly => "RRULE:FREQ=WEEKLY",
        TaskRepeat::Monthly => "RRULE:FREQ=MONTHLY",
    }
}

/// A task's event, or `None` when it has no time to be placed at.
fn task_event(task: &Task, stamp: &str) -> Option<Vec<String>> {
    let start = task.due_at.or(task.remind_at)?;
    let mut lines = vec![
        "BEGIN:VEVENT".to_string(),
        format!("UID:{}@bidwell", task.meta.id),
        format!("DTSTAMP:{stamp}"),
        format!("DTSTART:{}", utc(start)),
        format!("DTEND:{}", utc(start + Duration::minutes(TASK_MINUTES))),
        format!("SUMMARY:{}", escape(&task.title)),
    ];
    if !task.notes.is_empty() {
        lines.push(format!("DESCRIPTION:{}", escape(&task.notes)));
    }
    if let Some(repeat) = task.repeat {
        lines.push(rrule(repeat).to_string());
    }
    if let Some(remind) = task.remind_at {
        lines.extend([
            "BEGIN:VALARM".to_string(),
            "ACTION:DISPLAY".to_string(),
            format!("DESCRIPTION:{}", escape(&task.title)),
            format!("TRIGGER:{}", duration(remind - start)),
            "END:VALARM".to_string(),
        ]);
    }
    lines.push("END:VEVENT".to_string());
    Some(lines)
}

/// A milestone's all-day event on its due date, or `None` without one.
fn milestone_event(milestone: &Milestone, stamp: &str) -> Option<Vec<String>> {
    let day = milestone.due_date?;
    let money = Money { amount_minor: milestone.amount_minor, currency: milestone.currency.clone() };
    Some(vec![
        "BEGIN:VEVENT".to_string(),
        format!("UID:{}@bidwell", milestone.meta.id),
        format!("DTSTAMP:{stamp}"),
        format!("DTSTART;VALUE=DATE:{}", date(day)),
        format!("DTEND;VALUE=DATE:{}", date(day.succ_opt().unwrap_or(day))),
        format!("SUMMARY:{}", escape(&format!("Milestone due: {}", milestone.title))),
        format!("DESCRIPTION:{}", escape(&format!("{money}, {}", milestone.status))),
        "TRANSP:TRANSPARENT".to_string(),
        "END:VEVENT".to_string(),
    ])
}

/// The calendar file: one VEVENT per task and milestone that has a time.
pub fn write_calendar(tasks: &[Task], milestones: &[Milestone], now: DateTime<Utc>) -> String {
    let stamp = utc(now);
    let mut out = String::new();
    for line in ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Bidwell//Bidwell CRM//EN", "CALSCALE:GREGORIAN"] {
        push_folded(&mut out, line);
    }
    push_folded(&mut out, "METHOD:PUBLISH");
    let events = tasks
        .iter()
        .filter_map(|t| task_event(t, &stamp))
        .chain(milestones.iter().filter_map(|m| milestone_event(m, &stamp)));
    for line in events.flatten() {
        push_folded(&mut out, &line);
    }
    push_folded(&mut out, "END:VCALENDAR");
    out
}

impl Workspace {
    /// Writes every open task with a due or reminder time and every
    /// milestone with a due date that is not yet released or refunded to
    /// `dest` as an iCalendar file, atomically. Appends an `export` audit entry.
    pub async fn export_ics(&self, dest: &Path) -> Result<IcsExportSummary> {
        let staged = Staged::beside(dest)?;
        let pool = self.pool().await;
        let (tasks, milestones) = {
            let mut conn = pool.acquire().await?;
            let tasks: Vec<Task> = sqlx::query_as(&format!(
                "SELECT * FROM {} WHERE deleted_at IS NULL AND done_at IS NULL \
                 AND (due_at IS NOT NULL OR remind_at IS NOT NULL) ORDER BY COALESCE(due_at, remind_at), id",
                Task::SOURCE
            ))
            .fetch_all(&mut *conn)
            .await?;
            let milestones: Vec<Milestone> = sqlx::query_as(&format!(
                "SELECT * FROM {} WHERE deleted_at IS NULL AND due_date IS NOT NULL \
                 AND status NOT IN ('released', 'refunded') ORDER BY due_date, id",
                Milestone::SOURCE
            ))
            .fetch_all(&mut *conn)
            .await?;
            (tasks, milestones)
        };
        let text = write_calendar(&tasks, &milestones, self.now());
        staged.file().write_all(text.as_bytes()).map_err(|e| Error::io(staged.path(), e))?;
        staged.persist()?;
        let summary = IcsExportSummary {
            path: dest.to_path_buf(),
            tasks: tasks.len() as u64,
            milestones: milestones.len() as u64,
        };
        let detail = serde_json::json!({ "format": "ics", "tasks": summary.tasks, "milestones": summary.milestones });
        let mut conn = pool.acquire().await?;
        if let Err(err) = audit::append(&mut conn, self.now(), audit::action::EXPORT, detail).await {
            // An export the audit log does not show must not exist.
            let _ = std::fs::remove_file(dest);
            return Err(err);
        }
        drop(conn);
        self.note_use(crate::privacy::UsageEvent::Export).await;
        Ok(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::record::new_meta;

    fn at() -> DateTime<Utc> {
        chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 20, 9, 0, 0).unwrap()
    }

    fn task(title: &str, notes: &str) -> Task {
        let at = at();
        Task {
            meta: new_meta(at),
            title: title.into(),
            notes: notes.into(),
            due_at: Some(at),
            remind_at: Some(at - Duration::hours(1)),
            done_at: None,
            subject_kind: None,
            subject_id: None,
            repeat: Some(TaskRepeat::Weekly),
            repeat_of: None,
        }
    }

    #[test]
    fn long_lines_are_folded_and_text_is_escaped() {
        let long = "Call Zoë; about the invoice, the contract and the next phase of the work ".repeat(3);
        let text = write_calendar(&[task(&long, "line one\nline two")], &[], at());
        assert!(text.split("\r\n").all(|l| l.len() <= 75), "{text}");
        let text = text.replace("\r\n ", "");
        assert!(text.contains("line one\\nline two"), "{text}");
        assert!(text.contains("Zoë\\; about the invoice\\,"), "{text}");
        assert!(text.contains("RRULE:FREQ=WEEKLY") && text.contains("TRIGGER:-PT3600S"), "{text}");
        assert!(text.ends_with("END:VCALENDAR\r\n"));
    }
}
