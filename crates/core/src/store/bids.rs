//! Bids on jobs, and the moves between their statuses.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::extras::{self, ExtrasChange, FieldFilter};
use super::patch;
use super::record::{self, Binds, Page, PageRequest, Record};
use crate::domain::{check, Bid, BidStatus, EntityKind, Job, MarketJobStatus, Meta, Origin, Project};
use crate::error::{Error, Result};
use crate::id::Id;
use crate::money::normalize_currency;
use crate::sync::MarketAccount;
use crate::Workspace;

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct NewBid {
    pub job_id: Option<Id>,
    pub project_id: Option<Id>,
    pub amount_minor: i64,
    pub currency: String,
    pub delivery_days: i64,
    /// The first milestone as a share of the amount, 0 to 100 (default 0).
    #[serde(default)]
    pub milestone_percentage: i64,
    #[serde(default)]
    pub proposal: String,
    /// Its tags.
    #[serde(default)]
    #[ts(optional, as = "Option<Vec<String>>")]
    pub tags: Vec<String>,
    /// Its custom field values, by field name.
    #[serde(default)]
    #[ts(optional, as = "Option<BTreeMap<String, String>>")]
    pub fields: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
#[ts(optional_fields)]
pub struct BidPatch {
    #[serde(default, deserialize_with = "super::absent_null_or")]
    #[ts(optional)]
    pub project_id: Option<Option<Id>>,
    /// Amount and currency change together.
    pub amount: Option<(i64, String)>,
    pub delivery_days: Option<i64>,
    pub milestone_percentage: Option<i64>,
    pub proposal: Option<String>,
    /// All its tags from now on.
    pub tags: Option<Vec<String>>,
    /// Custom field values to set, or (null) to clear; others stay.
    pub fields: Option<BTreeMap<String, Option<String>>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct BidFilter {
    pub job_id: Option<Id>,
    pub status: Option<BidStatus>,
    /// Only records with this tag.
    pub tag: Option<String>,
    /// Only records whose custom field holds this value.
    pub field: Option<FieldFilter>,
}

impl BidFilter {
    /// The filter as ` AND …` conditions of a bids list.
    fn push_conditions(&self, qb: &mut QueryBuilder<'_, Sqlite>) {
        if let Some(job) = self.job_id {
            qb.push(" AND job_id = ").push_bind(job);
        }
        if let Some(status) = self.status {
            qb.push(" AND status = ").push_bind(status);
        }
    }

    /// Every live bid: no condition at all.
    fn is_everything(&self) -> bool {
        self.job_id.is_none() && self.status.is_none() && self.tag.is_none() && self.field.is_none()
    }

    /// The statement that counts the bids this filter lists, by status.
    fn count_by_status(&self) -> QueryBuilder<'static, Sqlite> {
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT status, COUNT(*) FROM bids WHERE deleted_at IS NULL");
        extras::push_filter(&mut qb, EntityKind::Bid, self.tag.as_deref(), self.field.as_ref());
        self.push_conditions(&mut qb);
        qb.push(" GROUP BY status ORDER BY status");
        qb
    }
}

/// One column of the bids board, as [`Workspace::bid_board`] reads it.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
pub struct BidColumnRequest {
    pub status: BidStatus,
    pub page: PageRequest,
}

/// One page of the bids `filter` lists, on `conn`.
async fn list_on(conn: &mut SqliteConnection, filter: &BidFilter, page: &PageRequest) -> Result<Page<Bid>> {
    extras::list(conn, page, |qb| {
        extras::push_filter(qb, EntityKind::Bid, filter.tag.as_deref(), filter.field.as_ref());
        filter.push_conditions(qb);
    })
    .await
}

/// [`Workspace::count_bids_by_status`] on `conn`.
async fn counts_on(conn: &mut SqliteConnection, filter: &BidFilter) -> Result<Vec<BidStatusCount>> {
    let rows: Vec<(BidStatus, i64)> = if filter.is_everything() {
        // Kept by triggers (migration 0020): a few rows, not every bid.
        sqlx::query_as("SELECT status, sum(bids) FROM bid_totals GROUP BY status HAVING sum(bids) <> 0 ORDER BY status")
            .fetch_all(conn)
            .await?
    } else {
        filter.count_by_status().build_query_as().fetch_all(conn).await?
    };
    Ok(rows.into_iter().map(|(status, count)| BidStatusCount { status, count }).collect())
}

/// The bids board as [`Workspace::bid_board`] reads it, from one snapshot.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct BidBoard {
    /// Each column's page, in the order asked.
    pub columns: Vec<Page<Bid>>,
    /// [`Workspace::count_bids_by_status`] under the same filter.
    pub counts: Vec<BidStatusCount>,
    /// [`Workspace::market_accounts`]: what each card's marketplace can do
    /// decides its buttons.
    pub accounts: Vec<MarketAccount>,
}

/// How many live bids one status holds (a column of the bids board).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct BidStatusCount {
    pub status: BidStatus,
    pub count: i64,
}

/// Bids as read: every column of `bids`, the job's title while the job is not
/// deleted, and `market_account`, the connected
/// marketplace account the bid goes to. That is the account its job came from
/// (the job's `source`) when the job has a marketplace id and the account is
/// still connected; otherwise NULL: a hand-made job, sample data naming a
/// made-up marketplace, a job imported from another workspace, a disconnected
/// account. The one statement of where a bid goes: `Bid` reads and the
/// outbox's `bid_target` both select from it. Two primary-key joins, which
/// SQLite flattens into each read, so lists stay one query.
pub(crate) const BID_ROWS: &str = "(SELECT bids.*, \
     CASE WHEN jobs.deleted_at IS NULL THEN jobs.title END AS job_title, \
     market_accounts.id AS market_account FROM bids \
     LEFT JOIN jobs ON jobs.id = bids.job_id \
     LEFT JOIN market_accounts ON jobs.external_id IS NOT NULL AND market_accounts.id = jobs.source \
     AND market_accounts.deleted_at IS NULL) \
     AS bid_rows";

/// ` AND …` the bid is on one of the client's jobs (live ones unless
/// `include_deleted`): the client's jobs through `jobs_by_client`, then each
/// job's bids through `bids_by_job`, so a client's bids cost what they
/// number, not what the workspace holds.
fn push_on_client_jobs(qb: &mut QueryBuilder<'_, Sqlite>, client: Id, include_deleted: bool) {
    qb.push(" AND job_id IN (SELECT jobs.id FROM jobs WHERE jobs.client_id = ").push_bind(client);
    if !include_deleted {
        qb.push(" AND jobs.deleted_at IS NULL");
    }
    qb.push(")");
}

impl Record for Bid {
    const TABLE: &'static str = "bids";
    const SOURCE: &'static str = BID_ROWS;
    const KIND: EntityKind = EntityKind::Bid;
    const LABEL: &'static str = "proposal";
    const FIELDS: &'static [&'static str] = &[
        "job_id",
        "project_id",
        "status",
        "amount_minor",
        "currency",
        "delivery_days",
        "milestone_percentage",
        "proposal",
        "submitted_at",
        "server_version",
        "source",
        "external_id",
    ];
    const CHILDREN: &'static [(&'static str, &'static str)] = &[("milestones", "bid_id")];

    fn meta(&self) -> &Meta {
        &self.meta
    }
    fn label(&self) -> &str {
        &self.proposal
    }
    fn bind_fields(&self, b: &mut Binds<'_, '_>) {
        b.push_bind(self.job_id);
        b.push_bind(self.project_id);
        b.push_bind(self.status);
        b.push_bind(self.amount_minor);
        b.push_bind(self.currency.clone());
        b.push_bind(self.delivery_days);
        b.push_bind(self.milestone_percentage);
        b.push_bind(self.proposal.clone());
        b.push_bind(self.submitted_at);
        b.push_bind(self.server_version);
        b.push_bind(self.origin.source.clone());
        b.push_bind(self.origin.external_id.clone());
    }
}

impl Bid {
    fn normalize(&mut self) -> Result<()> {
        check::positive("amount", self.amount_minor)?;
        self.currency = normalize_currency("currency", &self.currency)?;
        if !(1..=3650).contains(&self.delivery_days) {
            return Err(Error::validation("days", "must be between 1 and 3650"));
        }
        if !(0..=100).contains(&self.milestone_percentage) {
            return Err(Error::validation("milestone_percentage", "must be between 0 and 100"));
        }
        self.proposal = check::text("proposal", &self.proposal, check::MAX_TEXT)?;
        Ok(())
    }
}

/// Why a bid is checked against its job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Intent {
    /// Made, or sent to the marketplace: the job must still take bids.
    Place,
    /// Its terms change: only what the terms must match is checked.
    Change,
}

/// Refuses, before anything is queued, a bid its job's marketplace would
/// refuse for reasons Bidwell can see: the job is closed there, or the bid
/// is not in the currency the job pays in. Jobs entered by hand (no
/// marketplace status) are the user's own and take any bid.
pub(crate) async fn fits_its_job(conn: &mut SqliteConnection, bid: &Bid, intent: Intent) -> Result<()> {
    let (status, currency): (Option<MarketJobStatus>, Option<String>) =
        sqlx::query_as("SELECT market_status, currency FROM jobs WHERE id = ?")
            .bind(bid.job_id)
            .fetch_one(&mut *conn)
            .await?;
    let Some(status) = status else { return Ok(()) };
    if intent == Intent::Place && status == MarketJobStatus::Closed {
        return Err(Error::validation("job", "the job is closed on its marketplace, which takes no more bids on it"));
    }
    match currency {
        Some(pays_in) if pays_in != bid.currency => Err(Error::validation(
            "currency",
            format!("the job pays in {pays_in}; its marketplace takes bids on it only in {pays_in}"),
        )),
        _ => Ok(()),
    }
}

/// One page of the bids on a client's jobs, on `conn`
/// ([`Workspace::list_bids_on_client_jobs`]).
pub(crate) async fn list_on_client_jobs(
    conn: &mut SqliteConnection,
    client: Id,
    page: &PageRequest,
) -> Result<Page<Bid>> {
    extras::list(conn, page, |qb| push_on_client_jobs(qb, client, page.include_deleted)).await
}

impl Workspace {
    pub async fn create_bid(&self, new: NewBid) -> Result<Bid> {
        let job_id = new.job_id.ok_or_else(|| Error::validation("job", "is required"))?;
        let mut bid = Bid {
            meta: record::new_meta(self.now()),
            job_id,
            project_id: new.project_id,
            status: BidStatus::Draft,
            amount_minor: new.amount_minor,
            currency: new.currency,
            delivery_days: new.delivery_days,
            milestone_percentage: new.milestone_percentage,
            proposal: new.proposal,
            submitted_at: None,
            server_version: None,
            origin: Origin::default(),
            market_account: None,
            job_title: None,
            fields: Default::default(),
            tags: Default::default(),
        };
        bid.normalize()?;
        let mut tx = self.begin_write().await?;
        record::ensure_live::<Job>(&mut tx, job_id).await?;
        fits_its_job(&mut tx, &bid, Intent::Place).await?;
        if let Some(project) = bid.project_id {
            record::ensure_live::<Project>(&mut tx, project).await?;
        }
        record::insert(&mut tx, &bid).await?;
        // Read back: where it would go is the store's to say.
        let mut bid = record::fetch(&mut tx, bid.meta.id, false).await?;
        extras::write(&mut tx, &mut bid, ExtrasChange::of_new(new.tags, new.fields), self.now()).await?;
        tx.commit().await?;
        Ok(bid)
    }

    pub async fn bid(&self, id: Id) -> Result<Bid> {
        extras::fetch(&mut *self.pool().await.acquire().await?, id, true).await
    }

    pub async fn list_bids(&self, filter: &BidFilter, page: &PageRequest) -> Result<Page<Bid>> {
        list_on(&mut *self.pool().await.acquire().await?, filter, page).await
    }

    /// What the bids board draws, in one call and one read transaction:
    /// for each column, what [`Workspace::list_bids`] answers for `filter`
    /// with the column's status (in place of the filter's) and page, in the
    /// order asked; the counts by status under `filter`; and the marketplace
    /// accounts. Each command costs the board more in its round trip through
    /// the window than in its query (docs/performance.md), and one snapshot
    /// keeps a column's count from disagreeing with its cards. At most as
    /// many columns as there are statuses (a status may be asked for twice;
    /// the count alone bounds the call).
    pub async fn bid_board(&self, filter: &BidFilter, columns: &[BidColumnRequest]) -> Result<BidBoard> {
        if columns.len() > BidStatus::ALL.len() {
            return Err(Error::validation(
                "columns",
                format!(
                    "{} columns asked for; at most {}, as many as there are statuses",
                    columns.len(),
                    BidStatus::ALL.len()
                ),
            ));
        }
        let mut read = self.pool().await.begin().await?;
        let mut pages = Vec::with_capacity(columns.len());
        for column in columns {
            let filter = BidFilter { status: Some(column.status), ..filter.clone() };
            pages.push(list_on(&mut read, &filter, &column.page).await?);
        }
        let counts = counts_on(&mut read, filter).await?;
        let accounts = crate::sync::accounts_on(&mut read).await?;
        read.commit().await?;
        Ok(BidBoard { columns: pages, counts, accounts })
    }

    /// The bids on a client's jobs (a client's page lists them), one keyset
    /// page in `page`'s order, with the same rows, extras and rules as
    /// [`Workspace::list_bids`]: one query for what was one list per job.
    /// Unless `page` includes deleted records, a bid on a deleted job is left
    /// out with its job. An unknown client has none.
    pub async fn list_bids_on_client_jobs(&self, client: Id, page: &PageRequest) -> Result<Page<Bid>> {
        list_on_client_jobs(&mut *self.pool().await.acquire().await?, client, page).await
    }

    /// How many of the bids `filter` lists each status holds; statuses
    /// without any are left out. Unfiltered, it reads the kept totals
    /// (`bid_totals`); under a filter, the bids it lists.
    pub async fn count_bids_by_status(&self, filter: &BidFilter) -> Result<Vec<BidStatusCount>> {
        counts_on(&mut *self.pool().await.acquire().await?, filter).await
    }

    /// Changes a bid's terms. Awarded, rejected and withdrawn bids are history and refuse.
    pub async fn update_bid(&self, id: Id, change: BidPatch) -> Result<Bid> {
        let mut tx = self.begin_write().await?;
        let mut bid: Bid = extras::fetch(&mut tx, id, false).await?;
        if bid.status.is_terminal() {
            return Err(Error::validation(
                "status",
                format!("the bid is {}; its terms can no longer change", bid.status),
            ));
        }
        if let Some(Some(project)) = change.project_id {
            record::ensure_live::<Project>(&mut tx, project).await?;
        }
        let before = bid.clone();
        patch(&mut bid.project_id, change.project_id);
        if let Some((amount, currency)) = change.amount {
            (bid.amount_minor, bid.currency) = (amount, currency);
        }
        patch(&mut bid.delivery_days, change.delivery_days);
        patch(&mut bid.milestone_percentage, change.milestone_percentage);
        patch(&mut bid.proposal, change.proposal);
        bid.normalize()?;
        if bid.currency != before.currency {
            fits_its_job(&mut tx, &bid, Intent::Change).await?;
        }
        bid.meta.updated_at = self.now();
        record::update(&mut tx, &bid).await?;
        // A bid on a marketplace queues the edit for it in this same transaction.
        crate::sync::queue_edit(&mut tx, &before, &bid, bid.meta.updated_at).await?;
        extras::write(&mut tx, &mut bid, ExtrasChange::of_patch(change.tags, change.fields), self.now()).await?;
        tx.commit().await?;
        Ok(bid)
    }

    /// Moves a bid to `to`, or refuses with `invalid_transition`. Staying put is not a move and succeeds.
    /// A bid linked to a marketplace (it holds the bid, or our create is on
    /// its way) takes submitted, shortlisted, awarded and rejected only from
    /// the marketplace (`marketplace_owned`); a move to withdrawn queues the
    /// withdrawal for it; back to draft or failed is refused (withdraw it instead).
    pub async fn set_bid_status(&self, id: Id, to: BidStatus) -> Result<Bid> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let mut bid: Bid = extras::fetch(&mut tx, id, false).await?;
        if bid.status == to {
            return Ok(bid);
        }
        if !bid.status.can_move_to(to) {
            return Err(Error::InvalidTransition { from: bid.status, to });
        }
        if crate::sync::linked_to_marketplace(&mut tx, &bid).await? {
            if to == BidStatus::Withdrawn {
                drop(tx);
                return self.withdraw_bid(id).await;
            }
            let reason = BidStatus::marketplace_owned_reason(to);
            return Err(Error::MarketplaceOwned { to, reason });
        }
        bid.status = to;
        if to == BidStatus::Submitted && bid.submitted_at.is_none() {
            bid.submitted_at = Some(now);
        }
        bid.meta.updated_at = now;
        record::update(&mut tx, &bid).await?;
        tx.commit().await?;
        Ok(bid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::record::{query_plan, Sort};

    /// A client id for a plan: the plan is made before anything is bound.
    fn any_client() -> Id {
        Id::new_at("2026-11-01T09:00:00Z".parse().unwrap())
    }

    /// The bids board lists every bid most recently changed first; each page
    /// walks an index instead of sorting the whole table.
    #[tokio::test]
    async fn the_bids_list_by_update_reads_an_index_instead_of_sorting() {
        let unfiltered = BidFilter::default();
        for plan in query_plan::of_pages::<Bid>(Sort::Updated, |qb| unfiltered.push_conditions(qb)).await {
            assert!(plan.contains("bids_by_updated") && !plan.contains("USE TEMP B-TREE FOR ORDER BY"), "{plan}");
        }
    }

    /// A client's page lists the bids on its jobs: the client's jobs by
    /// index, then each job's bids by index, in every order, never a scan of
    /// every bid (the key account's page read one list per job before).
    #[tokio::test]
    async fn the_bids_on_a_clients_jobs_are_read_through_the_clients_jobs() {
        for sort in [Sort::Newest, Sort::Oldest, Sort::Name, Sort::Updated] {
            for include_deleted in [false, true] {
                let plans =
                    query_plan::of_pages::<Bid>(sort, |qb| push_on_client_jobs(qb, any_client(), include_deleted))
                        .await;
                for plan in plans {
                    assert!(
                        plan.contains("jobs_by_client") && plan.contains("bids_by_job") && !plan.contains("SCAN bids"),
                        "{sort:?}: {plan}"
                    );
                }
            }
        }
    }

    /// A column of the board lists its bids latest change first, a page at a
    /// time; each page walks the status's part of `bids_by_status_updated`
    /// (migration 0019), however many bids the other statuses hold or this one does.
    #[tokio::test]
    async fn a_board_column_reads_its_status_from_an_index_instead_of_sorting() {
        let column = BidFilter { status: Some(BidStatus::Submitted), ..BidFilter::default() };
        for plan in query_plan::of_pages::<Bid>(Sort::Updated, |qb| column.push_conditions(qb)).await {
            assert!(plan.contains("bids_by_status_updated (status=?") && !plan.contains("TEMP B-TREE"), "{plan}");
        }
    }

    /// The board's column counts read an index that holds every column they
    /// name, `deleted_at` included (`bids_for_dashboard`, migration 0018), in
    /// status order: no bid row is read. An index that lacks `deleted_at`
    /// (`bids_by_status`) would read each bid's row to check it.
    #[tokio::test]
    async fn the_counts_by_status_read_an_index_alone() {
        let statement = BidFilter::default().count_by_status().sql().to_string();
        let plan = query_plan::of_statements(&[statement]).await.remove(0);
        assert!(plan.contains("USING COVERING INDEX") && !plan.contains("TEMP B-TREE"), "{plan}");
    }
}
