//! Purging: soft-deleted records older than a cutoff are removed for good,
//! with the notes, tasks and tags that hang off them. A deleted parent whose
//! child was restored on its own is kept (deleted) rather than taking the
//! live child with it through the foreign key's cascade.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::SqliteConnection;

use super::record::Record;
use crate::domain::{Activity, Bid, Client, Contact, EntityKind, Job, Milestone, Project, Task};
use crate::error::Result;
use crate::Workspace;

/// How many records of each kind a purge removed (kinds with none are left out).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct PurgeReport {
    pub removed: BTreeMap<EntityKind, u64>,
    pub total: u64,
}

async fn purge_table<R: Record>(conn: &mut SqliteConnection, before: DateTime<Utc>) -> Result<u64> {
    let mut sql = format!("DELETE FROM {t} WHERE deleted_at IS NOT NULL AND deleted_at <= ?", t = R::TABLE);
    for (child, key) in R::CHILDREN {
        sql.push_str(&format!(
            " AND NOT EXISTS (SELECT 1 FROM {child} WHERE {child}.{key} = {t}.id AND {child}.deleted_at IS NULL)",
            t = R::TABLE
        ));
    }
    Ok(sqlx::query(&sql).bind(before).execute(conn).await?.rows_affected())
}

/// Notes, tasks and tags whose record no longer exists: (notes, tasks) removed.
async fn remove_orphans(conn: &mut SqliteConnection) -> Result<(u64, u64)> {
    let mut removed = (0, 0);
    for (kind, table) in [
        (EntityKind::Client, Client::TABLE),
        (EntityKind::Contact, Contact::TABLE),
        (EntityKind::Project, Project::TABLE),
        (EntityKind::Job, Job::TABLE),
        (EntityKind::Bid, Bid::TABLE),
        (EntityKind::Milestone, Milestone::TABLE),
    ] {
        for (dependent, count) in [("activities", &mut removed.0), ("tasks", &mut removed.1)] {
            let sql = format!(
                "DELETE FROM {dependent} WHERE subject_kind = ? \
                 AND NOT EXISTS (SELECT 1 FROM {table} WHERE id = {dependent}.subject_id)"
            );
            *count += sqlx::query(&sql).bind(kind).execute(&mut *conn).await?.rows_affected();
        }
        let sql = format!(
            "DELETE FROM entity_tags WHERE entity_kind = ? AND NOT EXISTS (SELECT 1 FROM {table} WHERE id = entity_tags.entity_id)"
        );
        sqlx::query(&sql).bind(kind).execute(&mut *conn).await?;
    }
    Ok(removed)
}

impl Workspace {
    /// Purges what was deleted longer than `age` ago, by the workspace's clock.
    pub async fn purge_deleted_older_than(&self, age: chrono::Duration) -> Result<PurgeReport> {
        self.purge_deleted(self.now() - age).await
    }

    /// Removes for good everything soft-deleted at or before `before`, in one
    /// transaction. Children go first so a parent's check sees them gone.
    pub async fn purge_deleted(&self, before: DateTime<Utc>) -> Result<PurgeReport> {
        let mut tx = self.pool().await.begin().await?;
        let mut removed = vec![
            (EntityKind::Activity, purge_table::<Activity>(&mut tx, before).await?),
            (EntityKind::Task, purge_table::<Task>(&mut tx, before).await?),
            (EntityKind::Milestone, purge_table::<Milestone>(&mut tx, before).await?),
            (EntityKind::Bid, purge_table::<Bid>(&mut tx, before).await?),
            (EntityKind::Contact, purge_table::<Contact>(&mut tx, before).await?),
            (EntityKind::Project, purge_table::<Project>(&mut tx, before).await?),
            (EntityKind::Job, purge_table::<Job>(&mut tx, before).await?),
            (EntityKind::Client, purge_table::<Client>(&mut tx, before).await?),
        ];
        let (notes, tasks) = remove_orphans(&mut tx).await?;
        removed[0].1 += notes;
        removed[1].1 += tasks;
        let removed: BTreeMap<EntityKind, u64> = removed.into_iter().filter(|(_, n)| *n > 0).collect();
        let report = PurgeReport { total: removed.values().sum(), removed };
        crate::audit::append(&mut tx, self.now(), "records.purged", serde_json::json!({ "removed": report.total }))
            .await?;
        tx.commit().await?;
        Ok(report)
    }
}
