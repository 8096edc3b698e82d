//! Erasing one client for good: the client, its contacts, projects, jobs,
//! bids and milestones, every note and task about them, their tags and the
//! client's consents are deleted in one transaction; payments the law makes
//! us keep are anonymized instead. Afterwards the search index is merged and
//! the WAL truncated, so the text is gone from every file, not only from
//! queries.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::SqliteConnection;

use crate::audit;
use crate::domain::{BidStatus, EntityKind, MilestoneStatus};
use crate::error::{Error, Result};
use crate::id::Id;
use crate::Workspace;

/// Why an anonymized record is kept rather than deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum KeepReason {
    /// A released (paid) milestone: income that tax law says to keep.
    TaxRecord,
    /// A refunded milestone: a money movement kept for the accounts.
    AccountingRecord,
}

impl KeepReason {
    pub fn explain(self) -> &'static str {
        match self {
            KeepReason::TaxRecord => "a payment received; tax law requires keeping income records",
            KeepReason::AccountingRecord => "a refunded payment; kept so the accounts still add up",
        }
    }

    fn for_status(status: MilestoneStatus) -> Option<KeepReason> {
        match status {
            MilestoneStatus::Released => Some(KeepReason::TaxRecord),
            MilestoneStatus::Refunded => Some(KeepReason::AccountingRecord),
            _ => None,
        }
    }
}

/// A record kept, anonymized: no name or text, linked to nothing personal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct KeptRecord {
    pub kind: EntityKind,
    pub id: Id,
    pub status: MilestoneStatus,
    pub amount_minor: i64,
    pub currency: String,
    pub reason: KeepReason,
    /// `reason` in words, for the UI and the CLI.
    pub explanation: String,
}

/// Something that stops the erasure until it is settled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ErasureBlocker {
    pub kind: EntityKind,
    pub id: Id,
    pub status: String,
    pub reason: String,
}

/// What erasing a client would do (preview) or did (report).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ErasurePlan {
    /// How many records of each kind are deleted (kinds with none left out).
    pub deleted: BTreeMap<EntityKind, u64>,
    pub consents_deleted: u64,
    pub kept: Vec<KeptRecord>,
    /// Empty when the erasure may go ahead.
    pub blockers: Vec<ErasureBlocker>,
}

/// The title every kept payment gets in place of its own.
const KEPT_TITLE: &str = "Payment of an erased client";

struct Scope {
    client: Id,
    contacts: Vec<Id>,
    projects: Vec<Id>,
    jobs: Vec<Id>,
    bids: Vec<Id>,
    /// Deleted milestones; the kept ones are in `plan.kept`.
    milestones: Vec<Id>,
    plan: ErasurePlan,
}

fn json_ids(ids: &[Id]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())
}

async fn ids(conn: &mut SqliteConnection, sql: &str, bind: &str) -> Result<Vec<Id>> {
    Ok(sqlx::query_scalar(sql).bind(bind).fetch_all(conn).await?)
}

/// Everything that belongs to the client, and what stops or survives erasure.
async fn scope(conn: &mut SqliteConnection, client: Id) -> Result<Scope> {
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM clients WHERE id = ?").bind(client).fetch_optional(&mut *conn).await?;
    if exists.is_none() {
        return Err(Error::not_found(EntityKind::Client, client));
    }
    let one = json_ids(&[client]);
    let contacts =
        ids(conn, "SELECT id FROM contacts WHERE client_id IN (SELECT value FROM json_each(?))", &one).await?;
    let projects =
        ids(conn, "SELECT id FROM projects WHERE client_id IN (SELECT value FROM json_each(?))", &one).await?;
    let jobs = ids(conn, "SELECT id FROM jobs WHERE client_id IN (SELECT value FROM json_each(?))", &one).await?;
    let bid_rows: Vec<(Id, BidStatus, Option<String>)> = sqlx::query_as(
        "SELECT id, status, deleted_at FROM bids WHERE job_id IN (SELECT value FROM json_each(?)) \
         OR project_id IN (SELECT value FROM json_each(?))",
    )
    .bind(json_ids(&jobs))
    .bind(json_ids(&projects))
    .fetch_all(&mut *conn)
    .await?;
    let bids: Vec<Id> = bid_rows.iter().map(|(id, _, _)| *id).collect();
    let milestone_rows: Vec<(Id, MilestoneStatus, i64, String, Option<String>)> = sqlx::query_as(
        "SELECT id, status, amount_minor, currency, deleted_at FROM milestones \
         WHERE project_id IN (SELECT value FROM json_each(?)) OR bid_id IN (SELECT value FROM json_each(?))",
    )
    .bind(json_ids(&projects))
    .bind(json_ids(&bids))
    .fetch_all(&mut *conn)
    .await?;

    let mut plan = ErasurePlan::default();
    // Only live records block: a deleted one is no longer acted upon here.
    for (id, status, deleted_at) in &bid_rows {
        if deleted_at.is_none() && status.is_pending() {
            plan.blockers.push(ErasureBlocker {
                kind: EntityKind::Bid,
                id: *id,
                status: status.to_string(),
                reason: format!("a bid is {status}: the marketplace is still acting on it"),
            });
        }
    }
    let mut milestones = Vec::new();
    for (id, status, amount_minor, currency, deleted_at) in milestone_rows {
        if deleted_at.is_none() && matches!(status, MilestoneStatus::Funded | MilestoneStatus::Disputed) {
            plan.blockers.push(ErasureBlocker {
                kind: EntityKind::Milestone,
                id,
                status: status.to_string(),
                reason: format!("a milestone is {status}: money is held in escrow or in dispute"),
            });
        }
        match KeepReason::for_status(status) {
            Some(reason) => plan.kept.push(KeptRecord {
                kind: EntityKind::Milestone,
                id,
                status,
                amount_minor,
                currency,
                reason,
                explanation: reason.explain().to_string(),
            }),
            None => milestones.push(id),
        }
    }
    let all_subjects = subjects_of(client, &contacts, &projects, &jobs, &bids, &milestones, &plan.kept);
    let subjects = json_ids(&all_subjects);
    let notes: i64 =
        sqlx::query_scalar("SELECT count(*) FROM activities WHERE subject_id IN (SELECT value FROM json_each(?))")
            .bind(&subjects)
            .fetch_one(&mut *conn)
            .await?;
    let tasks: i64 =
        sqlx::query_scalar("SELECT count(*) FROM tasks WHERE subject_id IN (SELECT value FROM json_each(?))")
            .bind(&subjects)
            .fetch_one(&mut *conn)
            .await?;
    plan.consents_deleted =
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM consents WHERE subject_kind = 'client' AND subject_id = ?")
            .bind(client)
            .fetch_one(&mut *conn)
            .await? as u64;
    for (kind, n) in [
        (EntityKind::Client, 1),
        (EntityKind::Contact, contacts.len() as u64),
        (EntityKind::Project, projects.len() as u64),
        (EntityKind::Job, jobs.len() as u64),
        (EntityKind::Bid, bids.len() as u64),
        (EntityKind::Milestone, milestones.len() as u64),
        (EntityKind::Activity, notes as u64),
        (EntityKind::Task, tasks as u64),
    ] {
        if n > 0 {
            plan.deleted.insert(kind, n);
        }
    }
    Ok(Scope { client, contacts, projects, jobs, bids, milestones, plan })
}

fn subjects_of(
    client: Id,
    contacts: &[Id],
    projects: &[Id],
    jobs: &[Id],
    bids: &[Id],
    milestones: &[Id],
    kept: &[KeptRecord],
) -> Vec<Id> {
    let mut all = vec![client];
    for set in [contacts, projects, jobs, bids, milestones] {
        all.extend_from_slice(set);
    }
    all.extend(kept.iter().map(|k| k.id));
    all
}

async fn delete_ids(conn: &mut SqliteConnection, table: &str, ids: &[Id]) -> Result<()> {
    sqlx::query(&format!("DELETE FROM {table} WHERE id IN (SELECT value FROM json_each(?))"))
        .bind(json_ids(ids))
        .execute(conn)
        .await?;
    Ok(())
}

/// Erases inside the caller's transaction; refuses while anything blocks.
/// Writes no audit entry: the caller records what it did as a whole. The
/// client's id goes into the erasure ledger, which backups replay.
pub(crate) async fn erase_in(conn: &mut SqliteConnection, client: Id) -> Result<ErasurePlan> {
    erase_scope(conn, client, true).await
}

/// Erases again, from a backup snapshot or a restored one, a client the
/// live workspace already erased. Nothing blocks it: whatever was pending in
/// the snapshot's past was settled before the live erasure.
pub(crate) async fn erase_replayed(conn: &mut SqliteConnection, client: Id) -> Result<ErasurePlan> {
    erase_scope(conn, client, false).await
}

async fn erase_scope(conn: &mut SqliteConnection, client: Id, check_blockers: bool) -> Result<ErasurePlan> {
    let s = scope(conn, client).await?;
    if check_blockers && !s.plan.blockers.is_empty() {
        return Err(Error::ErasureBlocked { reasons: s.plan.blockers.iter().map(|b| b.reason.clone()).collect() });
    }
    sqlx::query("INSERT OR IGNORE INTO erasure_in_progress (started) VALUES (1)").execute(&mut *conn).await?;

    // Kept payments first, so deleting their project or bid does not cascade
    // to them. updated_at stays, so earnings stay in the month they were paid.
    for kept in &s.plan.kept {
        sqlx::query(
            "UPDATE milestones SET project_id = NULL, bid_id = NULL, title = ?, due_date = NULL, source = NULL, \
             external_id = NULL, kept_reason = ? WHERE id = ?",
        )
        .bind(KEPT_TITLE)
        .bind(kept.explanation.as_str())
        .bind(kept.id)
        .execute(&mut *conn)
        .await?;
    }

    let subjects =
        json_ids(&subjects_of(s.client, &s.contacts, &s.projects, &s.jobs, &s.bids, &s.milestones, &s.plan.kept));
    for table in ["activities", "tasks"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE subject_id IN (SELECT value FROM json_each(?))"))
            .bind(&subjects)
            .execute(&mut *conn)
            .await?;
    }
    // Tags used only by what is erased go too: a tag name can be personal.
    let tags: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT tag_id FROM entity_tags WHERE entity_id IN (SELECT value FROM json_each(?))",
    )
    .bind(&subjects)
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM entity_tags WHERE entity_id IN (SELECT value FROM json_each(?))")
        .bind(&subjects)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "DELETE FROM tags WHERE id IN (SELECT value FROM json_each(?)) \
         AND NOT EXISTS (SELECT 1 FROM entity_tags WHERE tag_id = tags.id)",
    )
    .bind(serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into()))
    .execute(&mut *conn)
    .await?;
    // Custom field values are the records' data too (the fields themselves are the user's).
    sqlx::query("DELETE FROM custom_values WHERE entity_id IN (SELECT value FROM json_each(?))")
        .bind(&subjects)
        .execute(&mut *conn)
        .await?;
    // Queued changes carry the records' text in their payloads.
    sqlx::query("DELETE FROM outbox WHERE entity_id IN (SELECT value FROM json_each(?))")
        .bind(&subjects)
        .execute(&mut *conn)
        .await?;

    delete_ids(conn, "milestones", &s.milestones).await?;
    delete_ids(conn, "bids", &s.bids).await?;
    delete_ids(conn, "jobs", &s.jobs).await?;
    delete_ids(conn, "projects", &s.projects).await?;
    delete_ids(conn, "contacts", &s.contacts).await?;
    delete_ids(conn, "clients", &[s.client]).await?;
    sqlx::query("DELETE FROM consents WHERE subject_kind = 'client' AND subject_id = ?")
        .bind(s.client)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM erasure_in_progress").execute(&mut *conn).await?;
    sqlx::query("INSERT OR IGNORE INTO erasure_ledger (client_id) VALUES (?)")
        .bind(s.client)
        .execute(&mut *conn)
        .await?;
    Ok(s.plan)
}

/// The audit detail of an erasure: counts only, never ids or names.
pub(crate) fn audit_detail(plan: &ErasurePlan) -> serde_json::Value {
    serde_json::json!({ "deleted": plan.deleted, "consents_deleted": plan.consents_deleted, "kept": plan.kept.len() })
}

impl Workspace {
    /// What erasing the client would delete, keep (and why), or what stops it.
    pub async fn erasure_preview(&self, client: Id) -> Result<ErasurePlan> {
        // Reads only: a deferred transaction, one consistent snapshot.
        let mut tx = self.pool().await.begin_with("BEGIN DEFERRED").await?;
        Ok(scope(&mut tx, client).await?.plan)
    }

    /// Erases the client for good (see the module comment). Refused with
    /// `erasure_blocked`, changing nothing, while one of its bids is queued,
    /// submitted or shortlisted, or a milestone is funded or disputed.
    pub async fn erase_client(&self, client: Id) -> Result<ErasurePlan> {
        let mut tx = self.begin_write().await?;
        let plan = erase_in(&mut tx, client).await?;
        audit::append(&mut tx, self.now(), audit::action::ERASE_CLIENT, audit_detail(&plan)).await?;
        tx.commit().await?;
        self.scrub_after_delete().await?;
        // The snapshots too; one that cannot be rewritten now is by the next
        // scheduled backup, and a restore replays the ledger anyway.
        if let Err(err) = self.erase_from_backups().await {
            tracing::warn!(code = ?err.code(), "the erasure could not reach the backups yet");
        }
        Ok(plan)
    }

    /// After records are deleted for good: merge the search index so no
    /// segment still holds their words, then fold the WAL into the database
    /// and truncate it so no old page of theirs lingers there.
    pub(crate) async fn scrub_after_delete(&self) -> Result<()> {
        let pool = self.pool().await;
        sqlx::query("INSERT INTO search_fts (search_fts) VALUES ('optimize')").execute(&pool).await?;
        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(&pool).await?;
        if busy != 0 {
            // A reader held the WAL; the next checkpoint (at latest on lock) finishes it.
            tracing::warn!("the WAL could not be truncated right after an erasure");
        }
        Ok(())
    }
}

/// What erasing several clients did, summed.
#[derive(Debug, Default)]
pub(crate) struct ErasedMany {
    pub deleted: BTreeMap<EntityKind, u64>,
    pub kept: u64,
    /// Clients left alone because something of theirs is pending.
    pub blocked: u64,
}

/// Erases each client inside the caller's transaction, skipping (and
/// counting) those that are blocked. A blocked client is refused before
/// anything is written, so skipping it leaves the transaction clean.
pub(crate) async fn erase_many(conn: &mut SqliteConnection, clients: &[Id]) -> Result<ErasedMany> {
    let mut out = ErasedMany::default();
    for &client in clients {
        match erase_in(conn, client).await {
            Ok(plan) => {
                for (kind, n) in plan.deleted {
                    *out.deleted.entry(kind).or_default() += n;
                }
                out.kept += plan.kept.len() as u64;
            }
            Err(Error::ErasureBlocked { .. }) => out.blocked += 1,
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}
