//! The pull side of sync, as one loop: [`SyncEngine::pull`] walks a feed of
//! the marketplace page by page from its saved cursor, and commits each
//! page's records with the cursor that follows it. A [`Feed`] says only what
//! differs between feeds: which call fetches a page, what is fetched before
//! a page is saved, and how one item is stored. Jobs of each saved search,
//! bids and milestones are the three feeds.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use bidwell_marketplace::{wire, JobQuery, MarketError, Marketplace, Operation, WireBounds};
use chrono::{DateTime, Utc};
use sqlx::{Connection, SqliteConnection};

use super::engine::{
    known_externals, load_cursor, log_request, pull_failed, save_cursor, upsert_bid, upsert_job, upsert_jobs,
    upsert_milestone, within_bounds, Flow, Health, SyncEngine,
};
use super::outbox::{apply_to_held, held_by_external};
use super::SyncReport;
use crate::error::Result;
use crate::id::Id;
use crate::Workspace;

/// One feed of a marketplace, pulled by cursor.
#[async_trait]
pub(super) trait Feed: Send + Sync {
    type Item: WireBounds + Send + Sync;
    /// The request each page is, in the transparency log.
    const OPERATION: Operation;
    /// The step named in progress reports.
    const PROGRESS: &'static str;

    /// Where its cursor is kept (`sync_cursors.resource`).
    fn resource(&self) -> String;
    /// The feed in words, in the reason a pass stopped it.
    fn name(&self) -> String;
    async fn page(
        &self,
        market: &dyn Marketplace,
        cursor: Option<&wire::Cursor>,
        limit: u32,
    ) -> std::result::Result<wire::Page<Self::Item>, MarketError>;
    /// What the page's records need from the network, fetched and saved
    /// before the page's transaction, which must not wait on the network.
    /// `Some(flow)` ends the feed there.
    async fn prepare(
        &self,
        _ws: &Workspace,
        _conn: &mut SqliteConnection,
        _account: Id,
        _market: &dyn Marketplace,
        _items: &[Self::Item],
        _health: &mut Health,
    ) -> Result<Option<Flow>> {
        Ok(None)
    }
    async fn save(&self, tx: &mut SqliteConnection, account: Id, item: &Self::Item, now: DateTime<Utc>) -> Result<()>;
    /// A whole page, in the page's transaction: item by item unless a feed
    /// can do better.
    async fn save_page(
        &self,
        tx: &mut SqliteConnection,
        account: Id,
        items: &[Self::Item],
        now: DateTime<Utc>,
    ) -> Result<()> {
        for item in items {
            self.save(tx, account, item, now).await?;
        }
        Ok(())
    }
}

/// The jobs of one saved search.
pub(super) struct SearchFeed {
    pub search_id: Id,
    pub search_name: String,
    pub query: JobQuery,
}

#[async_trait]
impl Feed for SearchFeed {
    type Item = wire::Job;
    const OPERATION: Operation = Operation::ListJobs;
    const PROGRESS: &'static str = "pull jobs";

    fn resource(&self) -> String {
        format!("jobs:{}", self.search_id)
    }
    fn name(&self) -> String {
        format!("jobs of \"{}\"", self.search_name)
    }
    async fn page(
        &self,
        market: &dyn Marketplace,
        cursor: Option<&wire::Cursor>,
        limit: u32,
    ) -> std::result::Result<wire::Page<wire::Job>, MarketError> {
        market.list_jobs(&self.query, cursor, limit).await
    }
    async fn save(&self, tx: &mut SqliteConnection, account: Id, job: &wire::Job, now: DateTime<Utc>) -> Result<()> {
        upsert_job(tx, account, job, now).await
    }
    async fn save_page(
        &self,
        tx: &mut SqliteConnection,
        account: Id,
        jobs: &[wire::Job],
        now: DateTime<Utc>,
    ) -> Result<()> {
        upsert_jobs(tx, account, jobs, now).await
    }
}

/// The user's bids, as the marketplace holds them.
pub(super) struct BidFeed;

#[async_trait]
impl Feed for BidFeed {
    type Item = wire::Bid;
    const OPERATION: Operation = Operation::ListBids;
    const PROGRESS: &'static str = "pull bids";

    fn resource(&self) -> String {
        "bids".into()
    }
    fn name(&self) -> String {
        "bids".into()
    }
    async fn page(
        &self,
        market: &dyn Marketplace,
        cursor: Option<&wire::Cursor>,
        limit: u32,
    ) -> std::result::Result<wire::Page<wire::Bid>, MarketError> {
        market.bids_since(cursor, limit).await
    }

    /// The jobs of new bids that no search brought, each saved as it arrives
    /// (a pass cut short by a fault keeps what it fetched, so the next does
    /// not ask again).
    async fn prepare(
        &self,
        ws: &Workspace,
        conn: &mut SqliteConnection,
        account: Id,
        market: &dyn Marketplace,
        bids: &[wire::Bid],
        health: &mut Health,
    ) -> Result<Option<Flow>> {
        let ids: Vec<&str> = bids.iter().map(|b| b.id.as_str()).collect();
        let jobs: Vec<&str> = bids.iter().map(|b| b.job_id.as_str()).collect();
        let held_bids = known_externals(conn, "bids", account, &ids).await?;
        let held_jobs = known_externals(conn, "jobs", account, &jobs).await?;
        let mut seen = HashSet::new();
        for bid in bids {
            if !seen.insert(bid.job_id.as_str()) || held_bids.contains(&bid.id) || held_jobs.contains(&bid.job_id) {
                continue;
            }
            log_request(conn, account, Operation::GetJob, 0, ws.now()).await?;
            match market.get_job(&bid.job_id).await {
                Ok(job) => {
                    if let Err(refusal) = job.check_bounds() {
                        return Ok(Some(pull_failed(health, &MarketError::Refused(refusal))));
                    }
                    let mut tx = conn.begin_with(crate::store::db::BEGIN_WRITE).await?;
                    upsert_job(&mut tx, account, &job, ws.now()).await?;
                    tx.commit().await?;
                }
                Err(MarketError::NotFound) => {}
                Err(err) => return Ok(Some(pull_failed(health, &err))),
            }
        }
        Ok(None)
    }

    async fn save(&self, tx: &mut SqliteConnection, account: Id, bid: &wire::Bid, now: DateTime<Utc>) -> Result<()> {
        upsert_bid(tx, account, bid, now).await
    }

    /// The bids we hold are read in one go, and most of them (every bid
    /// coming back after its acknowledgement) need no write: a statement is
    /// a round trip to the connection's thread, which cost a bid more than
    /// its work. New bids, and a bid twice in a page, go one by one.
    async fn save_page(
        &self,
        tx: &mut SqliteConnection,
        account: Id,
        bids: &[wire::Bid],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let externals: Vec<&str> = bids.iter().map(|b| b.id.as_str()).collect();
        let held = held_by_external(tx, account, &externals).await?;
        let mut seen = HashSet::new();
        for bid in bids {
            match held.get(&bid.id) {
                // Written bids are other bids: what was read of this one still holds.
                Some(held) if seen.insert(bid.id.as_str()) => {
                    apply_to_held(tx, account, held, bid, now).await?;
                }
                _ => upsert_bid(tx, account, bid, now).await?,
            }
        }
        Ok(())
    }
}

/// The milestones of the user's contracts.
pub(super) struct MilestoneFeed;

#[async_trait]
impl Feed for MilestoneFeed {
    type Item = wire::Milestone;
    const OPERATION: Operation = Operation::ListMilestones;
    const PROGRESS: &'static str = "pull milestones";

    fn resource(&self) -> String {
        "milestones".into()
    }
    fn name(&self) -> String {
        "milestones".into()
    }
    async fn page(
        &self,
        market: &dyn Marketplace,
        cursor: Option<&wire::Cursor>,
        limit: u32,
    ) -> std::result::Result<wire::Page<wire::Milestone>, MarketError> {
        market.milestones_since(cursor, limit).await
    }
    async fn save(
        &self,
        tx: &mut SqliteConnection,
        account: Id,
        milestone: &wire::Milestone,
        now: DateTime<Utc>,
    ) -> Result<()> {
        upsert_milestone(tx, account, milestone, now).await
    }
}

/// What a pull reports to, shared by the feeds of one account's run.
pub(super) struct PullRun<'a> {
    pub ws: &'a Workspace,
    pub account: Id,
    pub market: &'a dyn Marketplace,
    pub report: &'a mut SyncReport,
    pub health: &'a mut Health,
    pub progress: &'a mut (dyn FnMut(&str, u64, u64) + Send),
    pub cancel: &'a AtomicBool,
    /// Items pulled so far in the current step (the searches of one account share one count).
    pub pulled: u64,
}

impl SyncEngine {
    /// Pulls `feed` from its saved cursor until the marketplace has no more,
    /// the pass's page cap, or a failure; each page commits with its cursor.
    pub(super) async fn pull<F: Feed>(&self, feed: &F, run: &mut PullRun<'_>) -> Result<Flow> {
        let resource = feed.resource();
        let mut cursor = load_cursor(run.ws, run.account, &resource).await?;
        let mut restarted = false;
        let mut pages = 0u32;
        // One connection for the whole feed: the pool hands its connections
        // out in turn, and one that another wrote through since it last ran
        // finds its page cache stale and reads (and decrypts) every page a
        // page of items touches again: most of a pull's time went there.
        let mut conn = run.ws.pool().await.acquire().await?;
        loop {
            if run.cancel.load(Ordering::Relaxed) {
                return Ok(Flow::Cancelled);
            }
            log_request(&mut conn, run.account, F::OPERATION, 0, run.ws.now()).await?;
            let page = match feed.page(run.market, cursor.as_ref(), self.options.page_limit).await {
                Ok(page) => page,
                Err(MarketError::CursorExpired) if !restarted => {
                    // Start over and merge by marketplace id: nothing doubles.
                    restarted = true;
                    cursor = None;
                    continue;
                }
                Err(err) => return Ok(pull_failed(run.health, &err)),
            };
            if let Err(err) = within_bounds(&page, self.options.page_limit) {
                return Ok(pull_failed(run.health, &err));
            }
            run.health.answered += 1;
            pages += 1;
            if let Some(flow) =
                feed.prepare(run.ws, &mut conn, run.account, run.market, &page.items, run.health).await?
            {
                return Ok(flow);
            }
            let now = run.ws.now();
            let mut tx = conn.begin_with(crate::store::db::BEGIN_WRITE).await?;
            feed.save_page(&mut tx, run.account, &page.items, now).await?;
            save_cursor(&mut tx, run.account, &resource, page.next_cursor.as_ref().or(cursor.as_ref()), now).await?;
            tx.commit().await?;
            run.pulled += page.items.len() as u64;
            run.report.pulled += page.items.len() as u64;
            (run.progress)(F::PROGRESS, run.pulled, run.pulled);
            let asked = cursor.take();
            cursor = page.next_cursor.or_else(|| asked.clone());
            if !page.has_more || self.feed_stops(run.health, &feed.name(), asked.as_ref(), cursor.as_ref(), pages) {
                return Ok(Flow::Go);
            }
        }
    }
}
