//! The local side of sync. A change that must reach a marketplace writes its
//! outbox row in the same transaction as the change (submit, edit, withdraw),
//! so there is never a change without its row or a row without its change.
//! Also here: settling a row once the marketplace answered (acknowledged,
//! refused, or a conflict), applying what the marketplace says about a bid
//! (its fields win where it owns them), the status the user sees, retrying
//! failed rows, and resolving conflicts.

use std::collections::{HashMap, HashSet};

use bidwell_marketplace::wire;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use super::{
    AccountStatus, ConnectionState, FailedChange, OutboxEntry, Resolution, SyncConflict, SyncStatus, TransparencyEntry,
};
use crate::domain::{Bid, BidStatus};
use crate::error::{Error, Result};
use crate::id::Id;
use crate::store::record::{self, Record};
use crate::Workspace;

pub(crate) const CREATE: &str = "create";
pub(crate) const UPDATE: &str = "update";
pub(crate) const WITHDRAW: &str = "withdraw";

/// The terms of a bid the user writes: what an edit sends and a conflict shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct BidTerms {
    pub amount_minor: i64,
    pub currency: String,
    pub delivery_days: i64,
    /// Absent in rows queued before bids had it: then 0, which is what was sent.
    #[serde(default)]
    pub milestone_percentage: i64,
    pub proposal: String,
}

impl BidTerms {
    pub(crate) fn of_local(bid: &Bid) -> BidTerms {
        BidTerms {
            amount_minor: bid.amount_minor,
            currency: bid.currency.clone(),
            delivery_days: bid.delivery_days,
            milestone_percentage: bid.milestone_percentage,
            proposal: bid.proposal.clone(),
        }
    }

    pub(crate) fn of_wire(bid: &wire::Bid) -> BidTerms {
        BidTerms {
            amount_minor: bid.amount.amount_minor,
            currency: bid.amount.currency.clone(),
            delivery_days: i64::from(bid.period_days),
            milestone_percentage: i64::from(bid.milestone_percentage),
            proposal: bid.proposal.clone(),
        }
    }

    pub(crate) fn to_edit(&self) -> wire::BidEdit {
        wire::BidEdit {
            amount: Some(wire::Money { amount_minor: self.amount_minor, currency: self.currency.clone() }),
            period_days: Some(u32::try_from(self.delivery_days).unwrap_or(u32::MAX)),
            milestone_percentage: Some(percentage(self.milestone_percentage)),
            proposal: Some(self.proposal.clone()),
        }
    }
}

/// A stored percentage (checked to 0..=100) as the wire's byte.
fn percentage(value: i64) -> u8 {
    u8::try_from(value.clamp(0, 100)).unwrap_or(0)
}

/// A marketplace bid's version as stored (SQLite integers are i64). One past
/// i64::MAX, which no marketplace reaches, is held at the top: versions still
/// only go forward.
pub(crate) fn stored_version(bid: &wire::Bid) -> i64 {
    i64::try_from(bid.version).unwrap_or(i64::MAX)
}

/// One outbox row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct OutboxRow {
    pub seq: i64,
    pub account_id: Id,
    pub entity_id: Id,
    pub operation: String,
    pub payload: String,
    pub idempotency_key: String,
    pub attempts: i64,
    pub base_version: Option<i64>,
    pub base_terms: Option<String>,
}

pub(crate) fn local_status(status: wire::BidStatus) -> BidStatus {
    match status {
        wire::BidStatus::Submitted => BidStatus::Submitted,
        wire::BidStatus::Shortlisted => BidStatus::Shortlisted,
        wire::BidStatus::Awarded => BidStatus::Awarded,
        wire::BidStatus::Rejected => BidStatus::Rejected,
        wire::BidStatus::Withdrawn => BidStatus::Withdrawn,
    }
}

fn json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|_| Error::Inconsistent("a sync record could not be written".to_owned()))
}

pub(crate) fn parse<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|_| Error::Inconsistent("a stored sync record could not be read".to_owned()))
}

/// The connected marketplace account a bid goes to and its job's id there,
/// if any: the bid's `market_account` (one definition, `Bid::SOURCE`), read
/// fresh in the caller's transaction.
async fn bid_target(conn: &mut SqliteConnection, bid: &Bid) -> Result<Option<(Id, String)>> {
    Ok(sqlx::query_as(&format!(
        "SELECT bid_rows.market_account, jobs.external_id FROM {} JOIN jobs ON jobs.id = bid_rows.job_id \
         WHERE bid_rows.id = ? AND bid_rows.market_account IS NOT NULL",
        Bid::SOURCE
    ))
    .bind(bid.meta.id)
    .fetch_optional(conn)
    .await?)
}

/// What the account's marketplace can do, from its kind.
pub(super) async fn capabilities_of(
    conn: &mut SqliteConnection,
    account: Id,
) -> Result<bidwell_marketplace::Capabilities> {
    let kind: String =
        sqlx::query_scalar("SELECT kind FROM market_accounts WHERE id = ?").bind(account).fetch_one(conn).await?;
    let kind = bidwell_marketplace::MarketKind::parse(&kind)
        .ok_or_else(|| Error::Inconsistent(format!("a marketplace account has an unknown kind {kind:?}")))?;
    Ok(kind.capabilities())
}

/// Refuses, before anything is queued, a change the bid's marketplace
/// cannot take through its API (it would only fail later).
async fn check_can(conn: &mut SqliteConnection, account: Id, operation: &str) -> Result<()> {
    let can = capabilities_of(conn, account).await?;
    let refusal = match operation {
        CREATE if can.bids_recorded_only => Some(
            "this marketplace takes bids only on its own website: place it there; the next sync links it here \
             from your proposals",
        ),
        CREATE if !can.submit_bid => Some("this marketplace cannot take bids from Bidwell"),
        UPDATE if !can.edit_bid => Some(
            "this marketplace cannot change a placed bid: withdraw it and place a new one, or change it on its website",
        ),
        WITHDRAW if !can.withdraw_bid => {
            Some("this marketplace cannot withdraw a bid from Bidwell: withdraw it on its website")
        }
        _ => None,
    };
    match refusal {
        Some(why) => Err(Error::validation("bid", why)),
        None => Ok(()),
    }
}

#[allow(clippy::too_many_arguments)]
async fn insert_row(
    conn: &mut SqliteConnection,
    account: Id,
    bid: Id,
    operation: &str,
    payload: String,
    base_version: Option<i64>,
    base_terms: Option<String>,
    now: DateTime<Utc>,
) -> Result<()> {
    // A fresh key per row: a retry of the same row reuses it, a new change never does.
    let key = Id::new_at(now).to_string();
    sqlx::query(
        "INSERT INTO outbox (account_id, entity_kind, entity_id, operation, payload, idempotency_key, \
         base_version, base_terms, created_at, updated_at) VALUES (?, 'bid', ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(account)
    .bind(bid)
    .bind(operation)
    .bind(payload)
    .bind(key)
    .bind(base_version)
    .bind(base_terms)
    .bind(now)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

async fn has_rows(conn: &mut SqliteConnection, bid: Id) -> Result<bool> {
    Ok(sqlx::query_scalar::<_, i64>("SELECT count(*) FROM outbox WHERE entity_kind = 'bid' AND entity_id = ?")
        .bind(bid)
        .fetch_one(conn)
        .await?
        > 0)
}

/// Whether a marketplace holds the bid (it has a marketplace id) or a change
/// of ours is on its way there: its status is then the marketplace's to set.
pub(crate) async fn linked_to_marketplace(conn: &mut SqliteConnection, bid: &Bid) -> Result<bool> {
    if bid.origin.external_id.is_some() {
        return Ok(true);
    }
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM outbox WHERE entity_kind = 'bid' AND entity_id = ? AND status = 'pending'",
    )
    .bind(bid.meta.id)
    .fetch_one(conn)
    .await?
        > 0)
}

/// Called by `update_bid` inside its transaction: an edit of a bid that is
/// on (or on its way to) a marketplace queues an update row. `before` is the
/// bid as it was, so the row knows what the edit was based on.
pub(crate) async fn queue_edit(
    conn: &mut SqliteConnection,
    before: &Bid,
    after: &Bid,
    now: DateTime<Utc>,
) -> Result<()> {
    let (old, new) = (BidTerms::of_local(before), BidTerms::of_local(after));
    if old == new || !before.status.sends_edits() {
        return Ok(());
    }
    let Some((account, _)) = bid_target(conn, before).await? else { return Ok(()) };
    check_can(conn, account, UPDATE).await?;
    // Behind another unacknowledged change, the edit builds on the version
    // that change produces (filled in when it is acknowledged).
    let base_version = if has_rows(conn, before.meta.id).await? { None } else { before.server_version };
    insert_row(conn, account, before.meta.id, UPDATE, json(&new)?, base_version, Some(json(&old)?), now).await
}

/// Applies the marketplace's view of a bid: ids, version and snapshot always;
/// the status unless a withdrawal of ours is still on its way; the terms
/// unless an edit of ours is still on its way or in conflict. A term the
/// marketplace does not give (Upwork's proposals have no amount without a
/// rate, no days, no text through the API: 0 or empty) keeps ours. A bid
/// that would not change is not written: most bids of a pull (and every
/// bid coming back after its acknowledgement) are as we hold them, and a
/// write would move its `updated_at` and rewrite its pages for nothing.
/// Returns the marketplace version the bid holds afterwards (`None`: no such
/// bid).
pub(crate) async fn apply_server_bid(
    conn: &mut SqliteConnection,
    account: Id,
    local: Id,
    bid: &wire::Bid,
    now: DateTime<Utc>,
) -> Result<Option<i64>> {
    let held = sqlx::query_as::<_, HeldBid>(&format!("{HELD_BIDS} WHERE id = ?"))
        .bind(local)
        .fetch_optional(&mut *conn)
        .await?;
    match held {
        Some(held) => apply_to_held(conn, account, &held, bid, now).await.map(Some),
        None => Ok(None),
    }
}

/// [`apply_server_bid`] onto a bid already read, in the same transaction:
/// nothing may have written it since.
pub(super) async fn apply_to_held(
    conn: &mut SqliteConnection,
    account: Id,
    held: &HeldBid,
    bid: &wire::Bid,
    now: DateTime<Utc>,
) -> Result<i64> {
    let write = match server_view(account, held, bid)? {
        ServerView::Held(version) => return Ok(version),
        ServerView::Write(write) => write,
    };
    sqlx::query(
        "UPDATE bids SET source = ?1, external_id = ?2, server_version = ?3, server_snapshot = ?4, status = ?5, \
         submitted_at = coalesce(submitted_at, ?6), updated_at = ?7, amount_minor = ?8, currency = ?9, \
         delivery_days = ?10, proposal = ?11, milestone_percentage = ?12 WHERE id = ?13",
    )
    .bind(account.to_string())
    .bind(&bid.id)
    .bind(write.version)
    .bind(write.snapshot)
    .bind(write.status)
    .bind(bid.created_at)
    .bind(now)
    .bind(write.terms.amount_minor)
    .bind(&write.terms.currency)
    .bind(write.terms.delivery_days)
    .bind(&write.terms.proposal)
    .bind(write.terms.milestone_percentage)
    .bind(held.id)
    .execute(conn)
    .await?;
    Ok(write.version)
}

/// What the marketplace's view of a bid does to the bid we hold.
pub(super) enum ServerView {
    /// Nothing to write; the marketplace version the bid holds.
    Held(i64),
    Write(ServerWrite),
}

pub(super) struct ServerWrite {
    version: i64,
    snapshot: String,
    status: BidStatus,
    terms: BidTerms,
}

/// The decision of [`apply_server_bid`], without the database: reads of a
/// whole page or batch share it with the bid-by-bid path.
pub(super) fn server_view(account: Id, held: &HeldBid, bid: &wire::Bid) -> Result<ServerView> {
    let version = stored_version(bid);
    // Versions only go forward: an answer older than the view we hold (a
    // write's answer replayed under its idempotency key after a pull brought
    // the bid's newer state) would put that state back, and the pull's cursor
    // has passed it.
    let source = account.to_string();
    let same_bid =
        held.source.as_deref() == Some(source.as_str()) && held.external_id.as_deref() == Some(bid.id.as_str());
    if same_bid {
        if let Some(newer) = held.server_version.filter(|held| *held > version) {
            return Ok(ServerView::Held(newer));
        }
    }
    let status = if held.withdrawing > 0 { BidStatus::Withdrawn } else { local_status(bid.status) };
    let theirs = BidTerms::of_wire(bid);
    let keep = held.editing > 0;
    let terms = BidTerms {
        amount_minor: if keep || theirs.amount_minor <= 0 { held.amount_minor } else { theirs.amount_minor },
        currency: if keep || theirs.amount_minor <= 0 { held.currency.clone() } else { theirs.currency },
        delivery_days: if keep || theirs.delivery_days <= 0 { held.delivery_days } else { theirs.delivery_days },
        milestone_percentage: if keep { held.milestone_percentage } else { theirs.milestone_percentage },
        proposal: if keep || theirs.proposal.is_empty() { held.proposal.clone() } else { theirs.proposal },
    };
    let snapshot = json(bid)?;
    let unchanged = same_bid
        && held.server_version == Some(version)
        && held.server_snapshot.as_deref() == Some(snapshot.as_str())
        && held.status == status.as_str()
        && !held.unsubmitted
        && terms
            == BidTerms {
                amount_minor: held.amount_minor,
                currency: held.currency.clone(),
                delivery_days: held.delivery_days,
                milestone_percentage: held.milestone_percentage,
                proposal: held.proposal.clone(),
            };
    if unchanged {
        return Ok(ServerView::Held(version));
    }
    Ok(ServerView::Write(ServerWrite { version, snapshot, status, terms }))
}

/// What [`apply_server_bid`] reads of a bid before it writes; add a `WHERE`
/// on `bids`.
pub(super) const HELD_BIDS: &str = "SELECT id, source, external_id, server_version, server_snapshot, status, \
       submitted_at IS NULL AS unsubmitted, amount_minor, currency, delivery_days, proposal, milestone_percentage, \
       (SELECT count(*) FROM outbox WHERE entity_kind = 'bid' AND entity_id = bids.id \
          AND operation = 'withdraw' AND status = 'pending') AS withdrawing, \
       (SELECT count(*) FROM outbox WHERE entity_kind = 'bid' AND entity_id = bids.id AND operation = 'update') \
       + (SELECT count(*) FROM sync_conflicts WHERE bid_id = bids.id AND resolved_at IS NULL) AS editing \
     FROM bids";

/// The bids of an account held under these marketplace ids, by that id:
/// one read for a whole page.
pub(super) async fn held_by_external(
    conn: &mut SqliteConnection,
    account: Id,
    externals: &[&str],
) -> Result<HashMap<String, HeldBid>> {
    if externals.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = held_by_external_sql(externals.len());
    let mut query = sqlx::query_as::<_, HeldBid>(&sql).bind(account.to_string());
    for external in externals {
        query = query.bind(*external);
    }
    let held = query.fetch_all(conn).await?;
    Ok(held.into_iter().filter_map(|bid| Some((bid.external_id.clone()?, bid))).collect())
}

fn held_by_id_sql(n: usize) -> String {
    format!("{HELD_BIDS} WHERE id IN {}", record::parameters(n))
}

fn held_by_external_sql(n: usize) -> String {
    format!("{HELD_BIDS} WHERE source = ? AND external_id IN {}", record::parameters(n))
}

/// What [`apply_server_bid`] reads of a bid before it writes.
#[derive(sqlx::FromRow)]
pub(super) struct HeldBid {
    pub id: Id,
    source: Option<String>,
    pub external_id: Option<String>,
    server_version: Option<i64>,
    server_snapshot: Option<String>,
    status: String,
    unsubmitted: bool,
    amount_minor: i64,
    currency: String,
    delivery_days: i64,
    proposal: String,
    milestone_percentage: i64,
    /// Pending withdrawals of ours.
    withdrawing: i64,
    /// Edits of ours on their way, and open conflicts.
    editing: i64,
}

/// After a failed withdrawal or edit, the bid shows the marketplace's status
/// again (the last snapshot is the newest we know).
pub(crate) async fn restore_server_status(conn: &mut SqliteConnection, local: Id, now: DateTime<Utc>) -> Result<()> {
    let row: Option<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT source, server_snapshot FROM bids WHERE id = ?")
            .bind(local)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some((Some(source), Some(snapshot))) = row {
        let bid: wire::Bid = parse(&snapshot)?;
        let account: Id = source.parse().map_err(|_| Error::Inconsistent("a bid names an unknown account".into()))?;
        apply_server_bid(conn, account, local, &bid, now).await?;
    }
    Ok(())
}

// ----- Settling a row with the marketplace's answer: the local writes the
// engine makes once it has one, each in one transaction.

/// The marketplace refused a row for good: it stays, failed, for the user to
/// retry; a refused create leaves its bid failed, anything else puts the bid
/// back as the marketplace last had it.
pub(super) async fn fail_row(
    conn: &mut SqliteConnection,
    row: &OutboxRow,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?, last_attempt_at = ?, \
         next_attempt_at = NULL, updated_at = ? WHERE seq = ?",
    )
    .bind(reason)
    .bind(now)
    .bind(now)
    .bind(row.seq)
    .execute(&mut *conn)
    .await?;
    if row.operation == CREATE {
        sqlx::query("UPDATE bids SET status = 'failed', updated_at = ? WHERE id = ? AND status = 'queued'")
            .bind(now)
            .bind(row.entity_id)
            .execute(&mut *conn)
            .await?;
    } else {
        restore_server_status(conn, row.entity_id, now).await?;
    }
    Ok(())
}

/// The marketplace acknowledged a row: it goes, the bid takes the answer,
/// and an edit chained behind it learns the version it builds on. In the
/// caller's transaction (the push records a batch's answers in one).
pub(super) async fn ack(
    tx: &mut SqliteConnection,
    row: &OutboxRow,
    server: &wire::Bid,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("DELETE FROM outbox WHERE seq = ?").bind(row.seq).execute(&mut *tx).await?;
    // A pull may have brought this bid in as a stranger before its create was
    // acknowledged: fold that copy into ours.
    let source = row.account_id.to_string();
    let stranger: Option<(Id, Option<String>)> =
        sqlx::query_as("SELECT id, server_snapshot FROM bids WHERE source = ? AND external_id = ? AND id <> ?")
            .bind(&source)
            .bind(&server.id)
            .bind(row.entity_id)
            .fetch_optional(&mut *tx)
            .await?;
    let mut newer: Option<wire::Bid> = None;
    if let Some((stranger, snapshot)) = stranger {
        let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE entity_kind = 'bid' AND entity_id = ?")
            .bind(stranger)
            .fetch_one(&mut *tx)
            .await?;
        if rows == 0 {
            // The pulled copy may be newer than this answer: a create's answer
            // replayed under its idempotency key is the bid as it was created.
            newer = snapshot.and_then(|s| parse::<wire::Bid>(&s).ok()).filter(|theirs| theirs.version > server.version);
            sqlx::query("UPDATE milestones SET bid_id = ? WHERE bid_id = ?")
                .bind(row.entity_id)
                .bind(stranger)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM bids WHERE id = ?").bind(stranger).execute(&mut *tx).await?;
        } else {
            // A bid of our own that claims the same marketplace id (the
            // marketplace reused it): it keeps its changes, loses the link.
            sqlx::query("UPDATE bids SET external_id = NULL WHERE id = ?").bind(stranger).execute(&mut *tx).await?;
        }
    }
    let server = newer.as_ref().unwrap_or(server);
    // An edit chained behind builds on the newest version we hold.
    let held = apply_server_bid(tx, row.account_id, row.entity_id, server, now).await?;
    sqlx::query(
        "UPDATE outbox SET base_version = ?1 WHERE base_version IS NULL AND operation = 'update' AND seq = \
         (SELECT min(seq) FROM outbox WHERE entity_kind = 'bid' AND entity_id = ?2 AND status = 'pending')",
    )
    .bind(held.unwrap_or(stored_version(server)))
    .bind(row.entity_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// [`ack`] for every acknowledged row of a push batch, in the caller's
/// transaction: a few statements for the batch rather than five a row. The
/// rows are of different bids (a batch holds the first due row of each), so
/// what one row writes is not read for another. A copy of a bid pulled in
/// before its acknowledgement, rare, has the batch acknowledged row by row.
pub(super) async fn ack_all(
    tx: &mut SqliteConnection,
    acks: &[(&OutboxRow, wire::Bid)],
    now: DateTime<Utc>,
) -> Result<()> {
    let Some(account) = acks.first().map(|(row, _)| row.account_id) else { return Ok(()) };
    let bids: HashSet<Id> = acks.iter().map(|(row, _)| row.entity_id).collect();
    let externals: Vec<&str> = acks.iter().map(|(_, server)| server.id.as_str()).collect();
    let alike = acks.iter().all(|(row, _)| row.account_id == account)
        && bids.len() == acks.len()
        && externals.iter().collect::<HashSet<_>>().len() == acks.len();
    let holders = if alike { held_by_external(tx, account, &externals).await? } else { HashMap::new() };
    let strangers = holders.iter().any(|(external, holder)| {
        acks.iter().any(|(row, server)| server.id == *external && row.entity_id != holder.id)
    });
    if !alike || strangers {
        for (row, server) in acks {
            ack(tx, row, server, now).await?;
        }
        return Ok(());
    }

    let delete = format!("DELETE FROM outbox WHERE seq IN {}", record::parameters(acks.len()));
    let mut query = sqlx::query(&delete);
    for (row, _) in acks {
        query = query.bind(row.seq);
    }
    query.execute(&mut *tx).await?;

    let read = held_by_id_sql(acks.len());
    let mut query = sqlx::query_as::<_, HeldBid>(&read);
    for (row, _) in acks {
        query = query.bind(row.entity_id);
    }
    let held: HashMap<Id, HeldBid> = query.fetch_all(&mut *tx).await?.into_iter().map(|bid| (bid.id, bid)).collect();
    let mut versions = HashMap::with_capacity(acks.len());
    for (row, server) in acks {
        let version = match held.get(&row.entity_id) {
            Some(held) => apply_to_held(tx, account, held, server, now).await?,
            None => stored_version(server),
        };
        versions.insert(row.entity_id, version);
    }

    // An edit chained behind builds on the newest version we hold.
    let chained = chained_edits_sql(acks.len());
    let mut query = sqlx::query_as::<_, (i64, Id)>(&chained);
    for (row, _) in acks {
        query = query.bind(row.entity_id);
    }
    for (seq, bid) in query.fetch_all(&mut *tx).await? {
        sqlx::query("UPDATE outbox SET base_version = ? WHERE seq = ?")
            .bind(versions.get(&bid).copied())
            .bind(seq)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// The edits with no base yet that come next for these bids: `(seq, bid)`.
fn chained_edits_sql(bids: usize) -> String {
    format!(
        "SELECT o.seq, o.entity_id FROM outbox o WHERE o.base_version IS NULL AND o.operation = 'update' \
         AND o.entity_kind = 'bid' AND o.seq = (SELECT min(seq) FROM outbox p WHERE p.entity_kind = 'bid' \
         AND p.entity_id = o.entity_id AND p.status = 'pending') AND o.entity_id IN {}",
        record::parameters(bids)
    )
}

/// An edit whose base the marketplace changed in content: both versions are
/// kept for the user, in the caller's transaction.
pub(super) async fn record_conflict(
    tx: &mut SqliteConnection,
    row: &OutboxRow,
    bid: &Bid,
    current: &wire::Bid,
    now: DateTime<Utc>,
) -> Result<()> {
    let mine: Bid = record::fetch(tx, bid.meta.id, true).await?;
    sqlx::query(
        "INSERT INTO sync_conflicts (id, account_id, bid_id, mine, theirs, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(Id::new_at(now))
    .bind(row.account_id)
    .bind(bid.meta.id)
    .bind(serde_json::to_string(&BidTerms::of_local(&mine)).unwrap_or_default())
    .bind(serde_json::to_string(current).unwrap_or_default())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM outbox WHERE seq = ?").bind(row.seq).execute(&mut *tx).await?;
    apply_server_bid(tx, row.account_id, bid.meta.id, current, now).await?;
    Ok(())
}

impl Workspace {
    /// Queues a draft (or failed) bid for its marketplace: the bid becomes
    /// "queued" and its create row is written in the same transaction. It
    /// leaves with the next sync, exactly once.
    pub async fn submit_bid(&self, id: Id) -> Result<Bid> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let bid: Bid = record::fetch(&mut tx, id, false).await?;
        if !bid.status.is_submittable() {
            return Err(Error::InvalidTransition { from: bid.status, to: BidStatus::Queued });
        }
        let Some((account, job_external)) = bid_target(&mut tx, &bid).await? else {
            return Err(Error::validation(
                "job",
                "the bid's job did not come from a marketplace; nothing to submit to",
            ));
        };
        check_can(&mut tx, account, CREATE).await?;
        // The job may have closed since the draft was made.
        crate::store::bids::fits_its_job(&mut tx, &bid, crate::store::bids::Intent::Place).await?;
        // Rows of an earlier, failed attempt are replaced by this one.
        sqlx::query("DELETE FROM outbox WHERE entity_kind = 'bid' AND entity_id = ? AND status = 'failed'")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let new = wire::NewBid {
            job_id: job_external,
            amount: wire::Money { amount_minor: bid.amount_minor, currency: bid.currency.clone() },
            period_days: u32::try_from(bid.delivery_days).unwrap_or(u32::MAX),
            milestone_percentage: percentage(bid.milestone_percentage),
            proposal: bid.proposal.clone(),
        };
        if bid.origin.external_id.is_some() {
            return Err(Error::validation("bid", "is already on the marketplace"));
        }
        insert_row(&mut tx, account, id, CREATE, json(&new)?, None, None, now).await?;
        sqlx::query("UPDATE bids SET status = 'queued', updated_at = ? WHERE id = ?")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let bid = crate::store::extras::fetch(&mut tx, id, false).await?;
        tx.commit().await?;
        self.note_use(crate::privacy::UsageEvent::BidSubmitted).await;
        Ok(bid)
    }

    /// Records that the user placed a bid on the marketplace's own website,
    /// for a marketplace whose API takes none (`bids_recorded_only`): it is
    /// submitted here and nothing is queued; the next pull links it to its
    /// proposal when that appears, and the marketplace's status follows.
    pub async fn mark_bid_placed(&self, id: Id) -> Result<Bid> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let bid: Bid = record::fetch(&mut tx, id, false).await?;
        if !bid.status.is_submittable() {
            return Err(Error::InvalidTransition { from: bid.status, to: BidStatus::Submitted });
        }
        let Some((account, _)) = bid_target(&mut tx, &bid).await? else {
            return Err(Error::validation("job", "the bid's job did not come from a marketplace"));
        };
        if !capabilities_of(&mut tx, account).await?.bids_recorded_only {
            return Err(Error::validation("bid", "this marketplace takes bids from Bidwell: submit it instead"));
        }
        sqlx::query("UPDATE bids SET status = 'submitted', submitted_at = ?1, updated_at = ?1 WHERE id = ?2")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let bid = crate::store::extras::fetch(&mut tx, id, false).await?;
        tx.commit().await?;
        self.note_use(crate::privacy::UsageEvent::BidSubmitted).await;
        Ok(bid)
    }

    /// Withdraws a bid: locally at once, on the marketplace with the next sync.
    pub async fn withdraw_bid(&self, id: Id) -> Result<Bid> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let bid: Bid = record::fetch(&mut tx, id, false).await?;
        if !bid.status.is_withdrawable() {
            return Err(Error::InvalidTransition { from: bid.status, to: BidStatus::Withdrawn });
        }
        let Some((account, _)) = bid_target(&mut tx, &bid).await? else {
            return Err(Error::validation("job", "the bid's job did not come from a marketplace"));
        };
        check_can(&mut tx, account, WITHDRAW).await?;
        insert_row(&mut tx, account, id, WITHDRAW, "{}".to_owned(), None, None, now).await?;
        sqlx::query("UPDATE bids SET status = 'withdrawn', updated_at = ? WHERE id = ?")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let bid = crate::store::extras::fetch(&mut tx, id, false).await?;
        tx.commit().await?;
        Ok(bid)
    }

    /// Last sync, queued and failed changes, conflicts, and each account's state.
    pub async fn sync_status(&self) -> Result<SyncStatus> {
        let pool = self.pool().await;
        let accounts: Vec<AccountStatus> = self
            .market_accounts()
            .await?
            .into_iter()
            .map(|a| AccountStatus {
                account_id: a.id,
                name: a.name,
                state: a.connection,
                last_sync_at: a.last_sync_at,
                last_error: a.last_error,
            })
            .collect();
        let rank = |s: ConnectionState| match s {
            ConnectionState::TokenExpired => 3,
            ConnectionState::Offline => 2,
            ConnectionState::Online => 1,
            ConnectionState::Unknown => 0,
        };
        let state = accounts.iter().map(|a| a.state).max_by_key(|s| rank(*s)).unwrap_or(ConnectionState::Unknown);
        let last_sync_at = accounts.iter().filter_map(|a| a.last_sync_at).max();
        let queued: i64 =
            sqlx::query_scalar("SELECT count(*) FROM outbox WHERE status = 'pending'").fetch_one(&pool).await?;
        let failed: Vec<(i64, Id, String, Option<String>, i64)> = sqlx::query_as(
            "SELECT seq, entity_id, operation, last_error, attempts FROM outbox WHERE status = 'failed' ORDER BY seq",
        )
        .fetch_all(&pool)
        .await?;
        let conflicts: i64 = sqlx::query_scalar("SELECT count(*) FROM sync_conflicts WHERE resolved_at IS NULL")
            .fetch_one(&pool)
            .await?;
        let sharing_off = !crate::privacy::consent::user_shares(&mut *pool.acquire().await?).await?;
        Ok(SyncStatus {
            sharing_off,
            state,
            last_sync_at,
            queued: queued as u64,
            failed: failed
                .into_iter()
                .map(|(seq, bid_id, operation, reason, attempts)| FailedChange {
                    seq,
                    bid_id,
                    operation,
                    reason: reason.unwrap_or_default(),
                    attempts,
                })
                .collect(),
            conflicts: conflicts as u64,
            accounts,
        })
    }

    /// Whether a queued change may be tried now: never tried, or its wait
    /// is over. Changes for an account whose token was refused wait for a new
    /// token, not for time. The app's timer asks this between its regular runs.
    pub async fn sync_due(&self) -> Result<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM outbox o JOIN market_accounts a ON a.id = o.account_id \
             WHERE o.status = 'pending' AND a.connection != 'token_expired' \
               AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= ?))",
        )
        .bind(self.now())
        .fetch_one(&self.pool().await)
        .await?)
    }

    /// Every change waiting in the outbox, in the order it will leave.
    pub async fn outbox(&self) -> Result<Vec<OutboxEntry>> {
        Ok(sqlx::query_as(
            "SELECT seq, account_id, entity_id, operation, status, attempts, last_error, last_attempt_at, \
             next_attempt_at FROM outbox ORDER BY seq",
        )
        .fetch_all(&self.pool().await)
        .await?)
    }

    /// What left the machine, newest first, at most `limit` entries.
    pub async fn transparency_log(&self, limit: u32) -> Result<Vec<TransparencyEntry>> {
        Ok(sqlx::query_as(
            "SELECT seq, at, account_id, operation, endpoint, data_categories, record_count \
             FROM transparency_log ORDER BY seq DESC LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool().await)
        .await?)
    }

    /// Puts every failed change back in the queue and makes every waiting
    /// one due now ("retry now"); returns how many failed ones came back.
    pub async fn retry_failed(&self) -> Result<u64> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let creates: Vec<Id> =
            sqlx::query_scalar("SELECT entity_id FROM outbox WHERE status = 'failed' AND operation = 'create'")
                .fetch_all(&mut *tx)
                .await?;
        for bid in creates {
            sqlx::query("UPDATE bids SET status = 'queued', updated_at = ? WHERE id = ? AND status = 'failed'")
                .bind(now)
                .bind(bid)
                .execute(&mut *tx)
                .await?;
        }
        let done = sqlx::query(
            "UPDATE outbox SET status = 'pending', next_attempt_at = NULL, attempts = 0, updated_at = ? \
             WHERE status = 'failed'",
        )
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query("UPDATE outbox SET next_attempt_at = NULL WHERE status = 'pending'").execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done)
    }

    /// Conflicts waiting for the user, oldest first.
    pub async fn sync_conflicts(&self) -> Result<Vec<SyncConflict>> {
        let rows: Vec<(Id, Id, String, String, DateTime<Utc>)> = sqlx::query_as(
            "SELECT id, bid_id, mine, theirs, created_at FROM sync_conflicts WHERE resolved_at IS NULL ORDER BY id",
        )
        .fetch_all(&self.pool().await)
        .await?;
        rows.into_iter()
            .map(|(id, bid_id, mine, theirs, created_at)| {
                let theirs: wire::Bid = parse(&theirs)?;
                Ok(SyncConflict {
                    id,
                    bid_id,
                    mine: parse(&mine)?,
                    theirs: BidTerms::of_wire(&theirs),
                    server_version: stored_version(&theirs),
                    created_at,
                })
            })
            .collect()
    }

    /// Settles a conflict. Keep mine: my terms go out again, based on the
    /// marketplace's current version. Take theirs: the marketplace's terms
    /// replace mine and my queued edits of that bid are dropped.
    pub async fn resolve_conflict(&self, id: Id, resolution: Resolution) -> Result<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let row: Option<(Id, Id, String, String)> = sqlx::query_as(
            "SELECT account_id, bid_id, mine, theirs FROM sync_conflicts WHERE id = ? AND resolved_at IS NULL",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((account, bid_id, _mine, theirs)) = row else {
            return Err(Error::validation("conflict", format!("no open conflict {id}")));
        };
        let server: wire::Bid = parse(&theirs)?;
        // Queued edits are folded into the one decision: either my current
        // terms go out once, or the marketplace's stand.
        sqlx::query("DELETE FROM outbox WHERE entity_kind = 'bid' AND entity_id = ? AND operation = 'update'")
            .bind(bid_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE sync_conflicts SET resolution = ?, resolved_at = ? WHERE id = ?")
            .bind(match resolution {
                Resolution::KeepMine => "keep_mine",
                Resolution::TakeTheirs => "take_theirs",
            })
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        // The newest marketplace view we hold may be newer than the conflict's.
        let snapshot: Option<String> = sqlx::query_scalar("SELECT server_snapshot FROM bids WHERE id = ?")
            .bind(bid_id)
            .fetch_one(&mut *tx)
            .await?;
        let latest = match snapshot.map(|s| parse::<wire::Bid>(&s)).transpose()? {
            Some(s) if s.version >= server.version => s,
            _ => server,
        };
        match resolution {
            Resolution::TakeTheirs => {
                apply_server_bid(&mut tx, account, bid_id, &latest, now).await?;
            }
            Resolution::KeepMine => {
                let bid: Bid = record::fetch(&mut tx, bid_id, true).await?;
                let version = stored_version(&latest);
                let base_terms = json(&BidTerms::of_wire(&latest))?;
                insert_row(
                    &mut tx,
                    account,
                    bid_id,
                    UPDATE,
                    json(&BidTerms::of_local(&bid))?,
                    Some(version),
                    Some(base_terms),
                    now,
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! An answer older than the bid's state we already hold must not put that
    //! state back: the pull's cursor has passed it, so nothing would correct
    //! it later. A unit test: the order (a pulled copy first, then a create's
    //! answer replayed under its idempotency key) is what the chaos sync test
    //! reaches only by chance.

    use std::sync::Arc;

    use bidwell_marketplace::ApiToken;
    use chrono::TimeZone;

    use super::*;
    use crate::clock::ManualClock;
    use crate::privacy::ConsentMethod;
    use crate::secret::Passphrase;
    use crate::store::{NewBid, NewJob};
    use crate::vault::{KdfParams, MemoryKeyStore, Protection};
    use crate::workspace::Environment;

    fn marketplace_bid(status: wire::BidStatus, version: u64) -> wire::Bid {
        let at = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
        wire::Bid {
            id: "bid_000041".to_owned(),
            job_id: "job_000007".to_owned(),
            amount: wire::Money { amount_minor: 50_000, currency: "USD".to_owned() },
            period_days: 10,
            milestone_percentage: 0,
            proposal: "I can do this".to_owned(),
            status,
            version,
            created_at: at,
            updated_at: at,
        }
    }

    /// A workspace with an account and two local bids: ours, queued, and a
    /// copy of it a pull brought in before our create was acknowledged, at
    /// version 2 (awarded since).
    async fn ours_and_a_newer_pulled_copy() -> (tempfile::TempDir, Workspace, Id, Id, Id) {
        let dir = tempfile::tempdir().unwrap();
        let env = Environment {
            clock: Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap())),
            keychain: Arc::new(MemoryKeyStore::default()),
            kdf: KdfParams::light(),
            holder: Default::default(),
        };
        let passphrase = Passphrase::new("correct horse battery staple".to_owned());
        let (ws, _) = Workspace::create(dir.path(), "Replay", Protection::Passphrase(passphrase), env).await.unwrap();
        let token = ApiToken::new("token".to_owned());
        let account = ws.add_market_account("Sim", "http://127.0.0.1:9", token, ConsentMethod::Cli).await.unwrap();
        let job = ws
            .create_job(NewJob { title: "A shop".to_owned(), currency: Some("USD".to_owned()), ..Default::default() })
            .await
            .unwrap();
        let new_bid = || NewBid {
            job_id: Some(job.meta.id),
            amount_minor: 50_000,
            currency: "USD".to_owned(),
            delivery_days: 10,
            proposal: "I can do this".to_owned(),
            ..Default::default()
        };
        let ours = ws.create_bid(new_bid()).await.unwrap();
        let pulled = ws.create_bid(new_bid()).await.unwrap();
        let awarded = marketplace_bid(wire::BidStatus::Awarded, 2);
        sqlx::query(
            "UPDATE bids SET source = ?, external_id = ?, server_version = 2, server_snapshot = ?, status = 'awarded' \
             WHERE id = ?",
        )
        .bind(account.id.to_string())
        .bind(&awarded.id)
        .bind(json(&awarded).unwrap())
        .bind(pulled.meta.id)
        .execute(&ws.pool().await)
        .await
        .unwrap();
        (dir, ws, account.id, ours.meta.id, pulled.meta.id)
    }

    async fn held(ws: &Workspace, id: Id) -> Option<(String, Option<i64>, Option<String>)> {
        sqlx::query_as("SELECT status, server_version, external_id FROM bids WHERE id = ?")
            .bind(id)
            .fetch_optional(&ws.pool().await)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_replayed_create_answer_older_than_the_pulled_copy_keeps_the_newer_state() {
        let (_dir, ws, account, ours, pulled) = ours_and_a_newer_pulled_copy().await;
        let row = OutboxRow {
            seq: 1,
            account_id: account,
            entity_id: ours,
            operation: CREATE.to_owned(),
            payload: String::new(),
            idempotency_key: "create-1".to_owned(),
            attempts: 1,
            base_version: None,
            base_terms: None,
        };
        let now = Utc.with_ymd_and_hms(2026, 11, 1, 10, 0, 0).unwrap();
        let pool = ws.pool().await;
        let mut tx = pool.begin().await.unwrap();
        ack(&mut tx, &row, &marketplace_bid(wire::BidStatus::Submitted, 1), now).await.unwrap();
        tx.commit().await.unwrap();

        assert_eq!(held(&ws, pulled).await, None, "the pulled copy is folded into ours");
        assert_eq!(held(&ws, ours).await, Some(("awarded".to_owned(), Some(2), Some("bid_000041".to_owned()))));
    }

    fn create_row(seq: i64, account: Id, bid: Id) -> OutboxRow {
        OutboxRow {
            seq,
            account_id: account,
            entity_id: bid,
            operation: CREATE.to_owned(),
            payload: String::new(),
            idempotency_key: format!("create-{seq}"),
            attempts: 1,
            base_version: None,
            base_terms: None,
        }
    }

    #[tokio::test]
    async fn a_batch_whose_answer_has_a_pulled_copy_folds_it_and_acknowledges_the_others() {
        let (_dir, ws, account, ours, pulled) = ours_and_a_newer_pulled_copy().await;
        let job: Id = sqlx::query_scalar("SELECT job_id FROM bids WHERE id = ?")
            .bind(ours)
            .fetch_one(&ws.pool().await)
            .await
            .unwrap();
        let other = NewBid {
            job_id: Some(job),
            amount_minor: 60_000,
            currency: "USD".to_owned(),
            delivery_days: 5,
            proposal: "Another go".to_owned(),
            ..Default::default()
        };
        let other = ws.create_bid(other).await.unwrap().meta.id;
        let other_answer = wire::Bid { id: "bid_000042".to_owned(), ..marketplace_bid(wire::BidStatus::Submitted, 1) };
        let now = Utc.with_ymd_and_hms(2026, 11, 1, 10, 0, 0).unwrap();
        let acks = [
            (&create_row(1, account, other), other_answer),
            (&create_row(2, account, ours), marketplace_bid(wire::BidStatus::Submitted, 1)),
        ];
        let pool = ws.pool().await;
        let mut tx = pool.begin().await.unwrap();
        ack_all(&mut tx, &acks, now).await.unwrap();
        tx.commit().await.unwrap();

        assert_eq!(held(&ws, pulled).await, None, "the pulled copy is folded into ours");
        assert_eq!(held(&ws, ours).await, Some(("awarded".to_owned(), Some(2), Some("bid_000041".to_owned()))));
        assert_eq!(held(&ws, other).await, Some(("submitted".to_owned(), Some(1), Some("bid_000042".to_owned()))));
    }

    #[tokio::test]
    async fn an_answer_older_than_the_held_version_changes_nothing() {
        let (_dir, ws, account, _ours, pulled) = ours_and_a_newer_pulled_copy().await;
        let now = Utc.with_ymd_and_hms(2026, 11, 1, 10, 0, 0).unwrap();
        // An older answer is ignored; a newer one still applies.
        let steps =
            [(wire::BidStatus::Submitted, 1, "awarded", 2), (wire::BidStatus::Shortlisted, 3, "shortlisted", 3)];
        for (answer, answer_version, status, version) in steps {
            let mut conn = ws.pool().await.acquire().await.unwrap();
            apply_server_bid(&mut conn, account, pulled, &marketplace_bid(answer, answer_version), now).await.unwrap();
            drop(conn);
            let expected = Some((status.to_owned(), Some(version), Some("bid_000041".to_owned())));
            assert_eq!(held(&ws, pulled).await, expected, "after an answer at version {answer_version}");
        }
    }
}

#[cfg(test)]
mod plans {
    //! A page or batch is read in one statement; at a million records each
    //! must find its rows by an index, never by walking a table.

    use super::*;
    use crate::store::record::query_plan;

    #[tokio::test]
    async fn the_reads_of_a_page_or_a_batch_find_their_bids_by_index() {
        let statements = [held_by_external_sql(3), held_by_id_sql(3), chained_edits_sql(3)];
        let plans = query_plan::of_statements(&statements).await;
        for plan in &plans {
            assert!(!plan.contains("SCAN"), "{plan}");
        }
        assert!(
            plans[0].contains("SEARCH bids USING INDEX bids_external (source=? AND external_id=?)"),
            "{}",
            plans[0]
        );
        assert!(plans[1].contains("SEARCH bids USING INDEX sqlite_autoindex_bids_1 (id=?)"), "{}", plans[1]);
        assert!(
            plans[2].contains("SEARCH o USING INDEX outbox_by_entity (entity_kind=? AND entity_id=?)"),
            "{}",
            plans[2]
        );
    }
}
