//! Tasks with due dates and reminders, optionally about a record: they can
//! repeat (completing one makes the next occurrence), be snoozed, and be
//! made in one step as a follow-up on a client, bid or job.

use chrono::{DateTime, Months, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::record::{self, stored_time, Binds, Page, PageRequest, Record};
use super::settings;
use super::{ensure_subject, patch, subject_label};
use crate::dashboard::TaskCounts;
use crate::domain::{check, EntityKind, Meta, Subject, Task, TaskRepeat};
use crate::error::{Error, Result};
use crate::id::Id;
use crate::Workspace;

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct NewTask {
    pub title: String,
    #[serde(default)]
    pub notes: String,
    pub due_at: Option<DateTime<Utc>>,
    pub remind_at: Option<DateTime<Utc>>,
    pub subject: Option<Subject>,
    pub repeat: Option<TaskRepeat>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
#[ts(optional_fields)]
pub struct TaskPatch {
    pub title: Option<String>,
    pub notes: Option<String>,
    #[serde(default, deserialize_with = "super::absent_null_or")]
    #[ts(optional)]
    pub due_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "super::absent_null_or")]
    #[ts(optional)]
    pub remind_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "super::absent_null_or")]
    #[ts(optional)]
    pub repeat: Option<Option<TaskRepeat>>,
    pub done: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct TaskFilter {
    pub done: Option<bool>,
    pub subject: Option<Subject>,
    /// Open tasks due before this time (overdue / due today).
    pub due_before: Option<DateTime<Utc>>,
    /// Open tasks due at or after this time (due today / upcoming).
    pub due_from: Option<DateTime<Utc>>,
    /// Only tasks with a due time (true), or only those without one (false).
    pub dated: Option<bool>,
}

impl TaskFilter {
    /// The filter as ` AND …` conditions of a tasks list.
    fn push_conditions(&self, qb: &mut QueryBuilder<'_, Sqlite>) {
        if let Some(done) = self.done {
            qb.push(if done { " AND done_at IS NOT NULL" } else { " AND done_at IS NULL" });
        }
        if let Some(subject) = self.subject {
            qb.push(" AND subject_kind = ").push_bind(subject.kind).push(" AND subject_id = ").push_bind(subject.id);
        }
        if let Some(before) = self.due_before {
            qb.push(" AND done_at IS NULL AND due_at < ").push_bind(before);
        }
        if let Some(from) = self.due_from {
            qb.push(" AND done_at IS NULL AND due_at >= ").push_bind(from);
        }
        if let Some(dated) = self.dated {
            qb.push(if dated { " AND due_at IS NOT NULL" } else { " AND due_at IS NULL" });
        }
    }
}

impl Record for Task {
    const TABLE: &'static str = "tasks";
    const KIND: EntityKind = EntityKind::Task;
    const LABEL: &'static str = "title";
    const FIELDS: &'static [&'static str] =
        &["title", "notes", "due_at", "remind_at", "done_at", "subject_kind", "subject_id", "repeat", "repeat_of"];
    const DUE: Option<&'static str> = Some("due_at");

    fn meta(&self) -> &Meta {
        &self.meta
    }
    fn label(&self) -> &str {
        &self.title
    }
    fn due(&self) -> Option<DateTime<Utc>> {
        self.due_at
    }
    fn bind_fields(&self, b: &mut Binds<'_, '_>) {
        b.push_bind(self.title.clone());
        b.push_bind(self.notes.clone());
        b.push_bind(self.due_at);
        b.push_bind(self.remind_at);
        b.push_bind(self.done_at);
        b.push_bind(self.subject_kind);
        b.push_bind(self.subject_id);
        b.push_bind(self.repeat);
        b.push_bind(self.repeat_of);
    }
}

impl Task {
    fn normalize(&mut self) -> Result<()> {
        self.title = check::required("title", &self.title, check::MAX_NAME)?;
        self.notes = check::text("notes", &self.notes, check::MAX_TEXT)?;
        if self.repeat.is_some() && self.due_at.is_none() && self.remind_at.is_none() {
            return Err(Error::validation("repeat", "needs a due or reminder time to repeat from"));
        }
        Ok(())
    }

    /// Checked when the user sets the times, not on every write: a snoozed
    /// reminder may lie after the due time.
    fn check_reminder(&self) -> Result<()> {
        match (self.remind_at, self.due_at) {
            (Some(remind), Some(due)) if remind > due => Err(Error::validation("remind_at", "is after the due time")),
            _ => Ok(()),
        }
    }

    /// The next occurrence of a repeating task, made when this one is done:
    /// the same task with its due and reminder times one period later. A
    /// reminder snoozed past the due time is not carried over as such: the
    /// next one reminds at its due time at the latest.
    fn next_occurrence(&self, now: DateTime<Utc>) -> Result<Option<Task>> {
        let Some(repeat) = self.repeat else { return Ok(None) };
        let later = |at: Option<DateTime<Utc>>| at.map(|t| one_period_after(t, repeat)).transpose();
        let (due_at, remind_at) = (later(self.due_at)?, later(self.remind_at)?);
        let remind_at = match (remind_at, due_at) {
            (Some(remind), Some(due)) => Some(remind.min(due)),
            _ => remind_at,
        };
        Ok(Some(Task {
            meta: record::new_meta(now),
            due_at,
            remind_at,
            done_at: None,
            repeat_of: Some(self.meta.id),
            ..self.clone()
        }))
    }
}

/// One period after `at`; a month is a calendar month, its day clamped to
/// the month's last (31 January → 28 or 29 February).
fn one_period_after(at: DateTime<Utc>, repeat: TaskRepeat) -> Result<DateTime<Utc>> {
    let next = match repeat {
        TaskRepeat::Daily => at.checked_add_signed(chrono::Duration::days(1)),
        TaskRepeat::Weekly => at.checked_add_signed(chrono::Duration::weeks(1)),
        TaskRepeat::Monthly => at.checked_add_months(Months::new(1)),
    };
    next.ok_or_else(|| Error::validation("due_at", "is too far in the future to repeat"))
}

/// Open tasks due before `?1` (now) and before `?2` (the end of the user's
/// day), all dated ones, and the undated ones. Tasks due before a moment
/// are the kept days before its day (`open_task_days`, migration 0025) and
/// that day's tasks due before it, a range of one day in `tasks_by_due`:
/// counting each range of the index read every open task's entry (6-15 ms
/// cold at 1 M records). Stored times and bound ones share one text form,
/// whose first ten characters are the UTC day.
const COUNT_OPEN: &str = "SELECT \
    (SELECT coalesce(sum(tasks), 0) FROM open_task_days WHERE day > '' AND day < substr(?1, 1, 10)) \
    + (SELECT count(*) FROM tasks WHERE deleted_at IS NULL AND done_at IS NULL \
       AND due_at >= substr(?1, 1, 10) AND due_at < ?1), \
    (SELECT coalesce(sum(tasks), 0) FROM open_task_days WHERE day > '' AND day < substr(?2, 1, 10)) \
    + (SELECT count(*) FROM tasks WHERE deleted_at IS NULL AND done_at IS NULL \
       AND due_at >= substr(?2, 1, 10) AND due_at < ?2), \
    (SELECT coalesce(sum(tasks), 0) FROM open_task_days WHERE day > ''), \
    (SELECT coalesce(sum(tasks), 0) FROM open_task_days WHERE day = '')";

/// Open tasks by when they are due: before `now`, from `now` until
/// `day_end`, from `day_end` on, and without a due time.
pub(crate) async fn count_open(
    conn: &mut SqliteConnection,
    now: DateTime<Utc>,
    day_end: DateTime<Utc>,
) -> Result<TaskCounts> {
    let (before_now, before_day_end, dated, undated) = sqlx::query_as::<_, (i64, i64, i64, i64)>(COUNT_OPEN)
        .bind(stored_time(&now))
        .bind(stored_time(&day_end))
        .fetch_one(conn)
        .await?;
    Ok(TaskCounts {
        overdue: before_now,
        due_today: before_day_end - before_now,
        upcoming: dated - before_day_end,
        undated,
    })
}

/// Where the reminder sweep got to, so that each reminder fires once, across restarts too.
const REMINDERS_SWEPT_KEY: &str = "reminders_swept_at";

/// How far back the very first sweep looks.
const FIRST_SWEEP_LOOKBACK_HOURS: i64 = 24;

impl Workspace {
    /// Open tasks whose reminder time (their due time, when they have no
    /// reminder) passed since the previous call, oldest first. The shell turns
    /// them into OS notifications; a task fires once even if the app restarts.
    pub async fn take_due_reminders(&self) -> Result<Vec<Task>> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let swept: Option<DateTime<Utc>> =
            settings::get(&mut *tx, REMINDERS_SWEPT_KEY).await?.and_then(|v| v.parse().ok());
        let since = swept.unwrap_or(now - chrono::Duration::hours(FIRST_SWEEP_LOOKBACK_HOURS));
        let due: Vec<Task> = sqlx::query_as(
            "SELECT * FROM tasks WHERE deleted_at IS NULL AND done_at IS NULL \
             AND COALESCE(remind_at, due_at) > ? AND COALESCE(remind_at, due_at) <= ? \
             ORDER BY COALESCE(remind_at, due_at), id",
        )
        .bind(since)
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        settings::put(&mut *tx, REMINDERS_SWEPT_KEY, &now.to_rfc3339(), now).await?;
        tx.commit().await?;
        Ok(due)
    }

    pub async fn create_task(&self, new: NewTask) -> Result<Task> {
        let mut task = Task {
            meta: record::new_meta(self.now()),
            title: new.title,
            notes: new.notes,
            due_at: new.due_at,
            remind_at: new.remind_at,
            done_at: None,
            subject_kind: new.subject.map(|s| s.kind),
            subject_id: new.subject.map(|s| s.id),
            repeat: new.repeat,
            repeat_of: None,
        };
        task.normalize()?;
        task.check_reminder()?;
        let mut tx = self.begin_write().await?;
        if let Some(subject) = &new.subject {
            ensure_subject(&mut tx, subject).await?;
        }
        record::insert(&mut tx, &task).await?;
        tx.commit().await?;
        Ok(task)
    }

    pub async fn task(&self, id: Id) -> Result<Task> {
        record::fetch(&mut *self.pool().await.acquire().await?, id, true).await
    }

    pub async fn list_tasks(&self, filter: &TaskFilter, page: &PageRequest) -> Result<Page<Task>> {
        record::list(&mut *self.pool().await.acquire().await?, page, |qb| filter.push_conditions(qb)).await
    }

    /// How many open tasks are overdue (due before `now`), due today (from
    /// `now` until `day_end`), upcoming (from `day_end` on) and undated: the
    /// task list's groups, with "today" ending where the user's day does.
    pub async fn count_open_tasks(&self, now: DateTime<Utc>, day_end: DateTime<Utc>) -> Result<TaskCounts> {
        if day_end < now {
            return Err(Error::validation("day_end", "is before now"));
        }
        count_open(&mut *self.pool().await.acquire().await?, now, day_end).await
    }

    /// Changes a task. Completing a repeating task makes its next
    /// occurrence in the same transaction; undoing that completion removes
    /// the occurrence again while it is still open, so no duplicate is left.
    pub async fn update_task(&self, id: Id, change: TaskPatch) -> Result<Task> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let mut task: Task = record::fetch(&mut tx, id, false).await?;
        let was_done = task.done_at.is_some();
        let times_changed = change.due_at.is_some() || change.remind_at.is_some();
        patch(&mut task.title, change.title);
        patch(&mut task.notes, change.notes);
        patch(&mut task.due_at, change.due_at);
        patch(&mut task.remind_at, change.remind_at);
        patch(&mut task.repeat, change.repeat);
        if let Some(done) = change.done {
            task.done_at = if done { task.done_at.or(Some(now)) } else { None };
        }
        task.normalize()?;
        if times_changed {
            task.check_reminder()?;
        }
        task.meta.updated_at = now;
        record::update(&mut tx, &task).await?;
        match (was_done, task.done_at.is_some()) {
            (false, true) => make_next_occurrence(&mut tx, &task, now).await?,
            (true, false) => remove_open_next_occurrence(&mut tx, id, now).await?,
            _ => {}
        }
        tx.commit().await?;
        Ok(task)
    }

    /// Moves an open task's reminder to `until`, which must be in the
    /// future, so that [`Workspace::take_due_reminders`] fires it again then.
    /// The due time stays.
    pub async fn snooze_task(&self, id: Id, until: DateTime<Utc>) -> Result<Task> {
        let now = self.now();
        if until <= now {
            return Err(Error::validation("until", "is not in the future"));
        }
        let mut tx = self.begin_write().await?;
        let mut task: Task = record::fetch(&mut tx, id, false).await?;
        if task.done_at.is_some() {
            return Err(Error::validation("id", "is done; reopen it to snooze it"));
        }
        task.remind_at = Some(until);
        task.meta.updated_at = now;
        record::update(&mut tx, &task).await?;
        tx.commit().await?;
        Ok(task)
    }

    /// One step for "follow up in N days": an open task "Follow up: <the
    /// record's label>" about `subject`, reminding at `due_at`.
    pub async fn follow_up(&self, subject: Subject, due_at: DateTime<Utc>) -> Result<Task> {
        if !subject.kind.can_be_subject() {
            return Err(Error::validation("on", format!("a {} cannot be followed up", subject.kind)));
        }
        let now = self.now();
        let mut tx = self.begin_write().await?;
        ensure_subject(&mut tx, &subject).await?;
        let label = subject_label(&mut tx, &subject).await?;
        let mut task = Task {
            meta: record::new_meta(now),
            title: format!("Follow up: {label}"),
            notes: String::new(),
            due_at: Some(due_at),
            remind_at: Some(due_at),
            done_at: None,
            subject_kind: Some(subject.kind),
            subject_id: Some(subject.id),
            repeat: None,
            repeat_of: None,
        };
        task.normalize()?;
        record::insert(&mut tx, &task).await?;
        tx.commit().await?;
        Ok(task)
    }
}

/// Inserts the next occurrence of `done` unless one made by an earlier
/// completion is still there (done, undone and done again).
async fn make_next_occurrence(conn: &mut sqlx::SqliteConnection, done: &Task, now: DateTime<Utc>) -> Result<()> {
    let Some(next) = done.next_occurrence(now)? else { return Ok(()) };
    let existing: Option<String> =
        sqlx::query_scalar("SELECT id FROM tasks WHERE repeat_of = ? AND deleted_at IS NULL LIMIT 1")
            .bind(done.meta.id)
            .fetch_optional(&mut *conn)
            .await?;
    if existing.is_none() {
        record::insert(conn, &next).await?;
    }
    Ok(())
}

/// Undoing "done" on a repeating task: the occurrence its completion made
/// goes (soft deleted, like any task) if it is still open; one the user has
/// already finished stays.
async fn remove_open_next_occurrence(conn: &mut sqlx::SqliteConnection, id: Id, now: DateTime<Utc>) -> Result<()> {
    let open: Vec<Id> =
        sqlx::query_scalar("SELECT id FROM tasks WHERE repeat_of = ? AND deleted_at IS NULL AND done_at IS NULL")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    for next in open {
        record::soft_delete::<Task>(conn, next, now).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::record::{query_plan, Sort};

    #[test]
    fn a_reminder_snoozed_past_the_due_time_is_not_repeated_past_it() {
        let at = |d, h| chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, d, h, 0, 0).unwrap();
        let task = Task {
            meta: record::new_meta(at(20, 8)),
            title: "Timesheet".into(),
            notes: String::new(),
            due_at: Some(at(20, 10)),
            remind_at: Some(at(21, 9)),
            done_at: None,
            subject_kind: None,
            subject_id: None,
            repeat: Some(TaskRepeat::Daily),
            repeat_of: None,
        };
        let next = task.next_occurrence(at(21, 9)).unwrap().unwrap();
        assert_eq!((next.due_at, next.remind_at), (Some(at(21, 10)), Some(at(21, 10))));
    }

    /// The tasks screen lists finished tasks most recently changed first;
    /// each page walks an index instead of sorting every task.
    #[tokio::test]
    async fn the_done_tasks_list_by_update_reads_an_index_instead_of_sorting() {
        let done = TaskFilter { done: Some(true), ..TaskFilter::default() };
        for plan in query_plan::of_pages::<Task>(Sort::Updated, |qb| done.push_conditions(qb)).await {
            assert!(plan.contains("tasks_done_by_updated") && !plan.contains("USE TEMP B-TREE FOR ORDER BY"), "{plan}");
        }
    }

    /// The task list's groups (overdue, due today, upcoming: soonest due
    /// first; no date: oldest first) each read their pages from the open
    /// tasks' index by due time instead of sorting every open task.
    #[tokio::test]
    async fn the_open_task_groups_read_the_due_index_instead_of_sorting() {
        let at = |t: &str| Some(t.parse::<DateTime<Utc>>().unwrap());
        let (now, day_end) = (at("2026-11-20T10:00:00Z"), at("2026-11-21T00:00:00Z"));
        let groups = [
            (Sort::Due, TaskFilter { due_before: now, ..TaskFilter::default() }),
            (Sort::Due, TaskFilter { due_from: now, due_before: day_end, ..TaskFilter::default() }),
            (Sort::Due, TaskFilter { due_from: day_end, ..TaskFilter::default() }),
            (Sort::Oldest, TaskFilter { done: Some(false), dated: Some(false), ..TaskFilter::default() }),
        ];
        for (sort, group) in groups {
            for plan in query_plan::of_pages::<Task>(sort, |qb| group.push_conditions(qb)).await {
                assert!(plan.contains("tasks_by_due") && !plan.contains("TEMP B-TREE"), "{group:?}: {plan}");
            }
        }
    }

    /// Counting the groups reads the kept days by their key and, for each
    /// boundary, one day's range of the open tasks' index: never every open
    /// task, nor every task.
    #[tokio::test]
    async fn counting_the_open_tasks_reads_the_kept_days_and_a_day_of_the_due_index() {
        let plan = query_plan::of_statements(&[COUNT_OPEN.to_string()]).await.remove(0);
        for part in [
            "SEARCH open_task_days USING PRIMARY KEY (day>? AND day<?)",
            "SEARCH open_task_days USING PRIMARY KEY (day>?)",
            "SEARCH open_task_days USING PRIMARY KEY (day=?)",
            "SEARCH tasks USING INDEX tasks_by_due (due_at>? AND due_at<?)",
        ] {
            assert!(plan.contains(part), "{part}: {plan}");
        }
        assert!(!plan.contains("SCAN tasks") && !plan.contains("SCAN open_task_days"), "{plan}");
    }
}
