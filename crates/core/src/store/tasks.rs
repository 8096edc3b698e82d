//! Tasks with due dates and reminders, optionally about a record.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{QueryBuilder, Sqlite};

use super::record::{self, Binds, Page, PageRequest, Record};
use super::settings;
use super::{ensure_subject, patch};
use crate::domain::{check, EntityKind, Meta, Subject, Task};
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
    pub done: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct TaskFilter {
    pub done: Option<bool>,
    pub subject: Option<Subject>,
    /// Open tasks due before this time (overdue / due today).
    pub due_before: Option<DateTime<Utc>>,
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
    }
}

impl Record for Task {
    const TABLE: &'static str = "tasks";
    const KIND: EntityKind = EntityKind::Task;
    const LABEL: &'static str = "title";
    const FIELDS: &'static [&'static str] =
        &["title", "notes", "due_at", "remind_at", "done_at", "subject_kind", "subject_id"];

    fn meta(&self) -> &Meta {
        &self.meta
    }
    fn label(&self) -> &str {
        &self.title
    }
    fn bind_fields(&self, b: &mut Binds<'_, '_>) {
        b.push_bind(self.title.clone());
        b.push_bind(self.notes.clone());
        b.push_bind(self.due_at);
        b.push_bind(self.remind_at);
        b.push_bind(self.done_at);
        b.push_bind(self.subject_kind);
        b.push_bind(self.subject_id);
    }
}

impl Task {
    fn normalize(&mut self) -> Result<()> {
        self.title = check::required("title", &self.title, check::MAX_NAME)?;
        self.notes = check::text("notes", &self.notes, check::MAX_TEXT)?;
        if let (Some(remind), Some(due)) = (self.remind_at, self.due_at) {
            if remind > due {
                return Err(Error::validation("remind_at", "is after the due time"));
            }
        }
        Ok(())
    }
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
        };
        task.normalize()?;
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

    pub async fn update_task(&self, id: Id, change: TaskPatch) -> Result<Task> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let mut task: Task = record::fetch(&mut tx, id, false).await?;
        patch(&mut task.title, change.title);
        patch(&mut task.notes, change.notes);
        patch(&mut task.due_at, change.due_at);
        patch(&mut task.remind_at, change.remind_at);
        if let Some(done) = change.done {
            task.done_at = if done { task.done_at.or(Some(now)) } else { None };
        }
        task.normalize()?;
        task.meta.updated_at = now;
        record::update(&mut tx, &task).await?;
        tx.commit().await?;
        Ok(task)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::record::{query_plan, Sort};

    /// The tasks screen lists finished tasks most recently changed first;
    /// each page walks an index instead of sorting every task.
    #[tokio::test]
    async fn the_done_tasks_list_by_update_reads_an_index_instead_of_sorting() {
        let done = TaskFilter { done: Some(true), ..TaskFilter::default() };
        for plan in query_plan::of_pages::<Task>(Sort::Updated, |qb| done.push_conditions(qb)).await {
            assert!(plan.contains("tasks_done_by_updated") && !plan.contains("USE TEMP B-TREE FOR ORDER BY"), "{plan}");
        }
    }
}
