//! Activities: notes, calls, emails, meetings and messages on any record.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::record::{self, Binds, Page, PageRequest, Record};
use super::{ensure_subject, patch};
use crate::domain::{check, Activity, ActivityKind, EntityKind, Meta, Subject};
use crate::error::{Error, Result};
use crate::id::Id;
use crate::Workspace;

#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct NewActivity {
    pub subject: Subject,
    pub kind: Option<ActivityKind>,
    pub body: String,
    /// Defaults to now.
    pub occurred_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
#[ts(optional_fields)]
pub struct ActivityPatch {
    pub kind: Option<ActivityKind>,
    pub body: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct ActivityFilter {
    pub subject: Option<Subject>,
    pub kind: Option<ActivityKind>,
}

impl Record for Activity {
    const TABLE: &'static str = "activities";
    const KIND: EntityKind = EntityKind::Activity;
    const LABEL: &'static str = "body";
    const FIELDS: &'static [&'static str] = &["subject_kind", "subject_id", "kind", "body", "occurred_at"];
    const HAPPENED: Option<&'static str> = Some("occurred_at");

    fn meta(&self) -> &Meta {
        &self.meta
    }
    fn label(&self) -> &str {
        &self.body
    }
    fn happened(&self) -> Option<DateTime<Utc>> {
        Some(self.occurred_at)
    }
    fn bind_fields(&self, b: &mut Binds<'_, '_>) {
        b.push_bind(self.subject_kind);
        b.push_bind(self.subject_id);
        b.push_bind(self.kind);
        b.push_bind(self.body.clone());
        b.push_bind(self.occurred_at);
    }
}

/// One page of the activities `filter` lists, on `conn`.
pub(crate) async fn list_on(
    conn: &mut SqliteConnection,
    filter: &ActivityFilter,
    page: &PageRequest,
) -> Result<Page<Activity>> {
    record::list(conn, page, |qb| filter.push_conditions(qb)).await
}

impl ActivityFilter {
    /// The filter as ` AND …` conditions of an activities list.
    fn push_conditions(&self, qb: &mut QueryBuilder<'_, Sqlite>) {
        if let Some(subject) = self.subject {
            qb.push(" AND subject_kind = ").push_bind(subject.kind).push(" AND subject_id = ").push_bind(subject.id);
        }
        if let Some(kind) = self.kind {
            qb.push(" AND kind = ").push_bind(kind);
        }
    }
}

impl Workspace {
    pub async fn create_activity(&self, new: NewActivity) -> Result<Activity> {
        let now = self.now();
        if !new.subject.kind.can_be_subject() {
            return Err(Error::validation("on", format!("a note cannot be attached to a {}", new.subject.kind)));
        }
        let activity = Activity {
            meta: record::new_meta(now),
            subject_kind: new.subject.kind,
            subject_id: new.subject.id,
            kind: new.kind.unwrap_or(ActivityKind::Note),
            body: check::required("body", &new.body, check::MAX_TEXT)?,
            occurred_at: new.occurred_at.unwrap_or(now),
        };
        let mut tx = self.begin_write().await?;
        ensure_subject(&mut tx, &new.subject).await?;
        record::insert(&mut tx, &activity).await?;
        tx.commit().await?;
        Ok(activity)
    }

    pub async fn activity(&self, id: Id) -> Result<Activity> {
        record::fetch(&mut *self.pool().await.acquire().await?, id, true).await
    }

    pub async fn list_activities(&self, filter: &ActivityFilter, page: &PageRequest) -> Result<Page<Activity>> {
        list_on(&mut *self.pool().await.acquire().await?, filter, page).await
    }

    pub async fn update_activity(&self, id: Id, change: ActivityPatch) -> Result<Activity> {
        let mut tx = self.begin_write().await?;
        let mut activity: Activity = record::fetch(&mut tx, id, false).await?;
        patch(&mut activity.kind, change.kind);
        patch(&mut activity.occurred_at, change.occurred_at);
        if let Some(body) = change.body {
            activity.body = check::required("body", &body, check::MAX_TEXT)?;
        }
        activity.meta.updated_at = self.now();
        record::update(&mut tx, &activity).await?;
        tx.commit().await?;
        Ok(activity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::record::{query_plan, Sort};

    /// A record's timeline, latest happened first, walks the subject's
    /// entries in the index by their time instead of reading them all and
    /// sorting: only entries at the same moment are put in id order.
    #[tokio::test]
    async fn a_timeline_reads_its_subjects_entries_in_the_order_of_the_index() {
        let subject = Subject { kind: EntityKind::Client, id: Id::new_at(chrono::Utc::now()) };
        let filter = ActivityFilter { subject: Some(subject), kind: None };
        let plans = query_plan::of_pages::<Activity>(Sort::Happened, |qb| filter.push_conditions(qb)).await;
        for plan in plans {
            assert!(plan.contains("activities USING INDEX activities_by_subject"), "{plan}");
            assert!(!plan.contains("USE TEMP B-TREE FOR ORDER BY"), "{plan}");
        }
    }
}
