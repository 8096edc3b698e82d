//! Purging: soft-deleted records older than a cutoff are removed for good,
//! with the notes, tasks and tags that hang off them. A deleted parent whose
//! child was restored on its own is kept (deleted) rather than taking the
//! live child with it through the foreign key's cascade. Clients are purged
//! by erasure (privacy/erase.rs), so nothing of theirs is left behind.

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
    /// Paid milestones of purged clients, kept anonymized.
    pub kept: u64,
    /// Deleted clients left in place because a bid or payment of theirs is pending.
    pub blocked: u64,
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

/// Notes, tasks, tags and custom field values whose record no longer exists: (notes, tasks) removed.
async fn remove_orphans(conn: &mut SqliteConnection) -> Result<(u64, u64)> {
    let mut removed = (0, 0);
    for kind in EntityKind::ALL.iter().copied().filter(|k| k.can_be_subject()) {
        let table = super::table(kind);
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
        let sql = format!(
            "DELETE FROM custom_values WHERE field_id IN (SELECT id FROM custom_fields WHERE entity_kind = ?) \
             AND NOT EXISTS (SELECT 1 FROM {table} WHERE id = custom_values.entity_id)"
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
        let mut tx = self.begin_write().await?;
        let report = purge_in(&mut tx, before).await?;
        crate::audit::append(&mut tx, self.now(), "records.purged", serde_json::json!({ "removed": report.total }))
            .await?;
        tx.commit().await?;
        self.scrub_after_delete().await?;
        Ok(report)
    }
}

/// The purge inside the caller's transaction, without an audit entry.
pub(crate) async fn purge_in(tx: &mut SqliteConnection, before: DateTime<Utc>) -> Result<PurgeReport> {
    let mut removed = vec![
        (EntityKind::Activity, purge_table::<Activity>(tx, before).await?),
        (EntityKind::Task, purge_table::<Task>(tx, before).await?),
        (EntityKind::Milestone, purge_table::<Milestone>(tx, before).await?),
        (EntityKind::Bid, purge_table::<Bid>(tx, before).await?),
        (EntityKind::Contact, purge_table::<Contact>(tx, before).await?),
        (EntityKind::Project, purge_table::<Project>(tx, before).await?),
        (EntityKind::Job, purge_table::<Job>(tx, before).await?),
    ];
    let (notes, tasks) = remove_orphans(tx).await?;
    removed[0].1 += notes;
    removed[1].1 += tasks;
    let mut removed: BTreeMap<EntityKind, u64> = removed.into_iter().collect();
    // Clients go through erasure: their consents go too, paid milestones are
    // kept anonymized, and one with a pending bid or payment stays deleted.
    let ids: Vec<crate::id::Id> = sqlx::query_scalar(&format!(
        "SELECT id FROM clients WHERE deleted_at IS NOT NULL AND deleted_at <= ?{}",
        Client::CHILDREN
            .iter()
            .map(|(child, key)| format!(
                " AND NOT EXISTS (SELECT 1 FROM {child} WHERE {child}.{key} = clients.id AND {child}.deleted_at IS NULL)"
            ))
            .collect::<String>()
    ))
    .bind(before)
    .fetch_all(&mut *tx)
    .await?;
    let erased = crate::privacy::erase::erase_many(tx, &ids).await?;
    for (kind, n) in erased.deleted {
        *removed.entry(kind).or_default() += n;
    }
    removed.retain(|_, n| *n > 0);
    Ok(PurgeReport { total: removed.values().sum(), removed, kept: erased.kept, blocked: erased.blocked })
}
