//! The bounds of one account's part of a sync pass: how many requests it
//! may make, how many pages a feed may pull, and the workspace's lock
//! signal. [`PassMarket`] wraps the account's [`Marketplace`] so that every
//! request the engine (and `sync/privacy.rs`) makes goes through them: a
//! request past the budget, or asked for once the workspace is locking, is
//! not sent, and one in flight when locking starts is abandoned. Either way
//! the caller gets [`MarketError::Abandoned`] and [`PassMarket::halt`]
//! says why.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;
use bidwell_marketplace::{wire, IdempotencyKey, MarketError, Marketplace};

use crate::work::LockSignal;

/// Requests one account may make in one pass. A healthy pass needs a few
/// (one per page, per queued change, per job a new bid names); a first
/// sync of a large account may need a few hundred. Past this, a looping or
/// hostile marketplace stops for this pass and the rest comes next sync.
pub const MAX_REQUESTS_PER_ACCOUNT_PASS: u32 = 5_000;

/// Pages one feed may pull in one pass: with 200 items a page, 40 000
/// records. A feed that always has more (broken, or endless on purpose)
/// stops here; its saved cursor resumes it on the next pass.
pub const MAX_PAGES_PER_FEED_PASS: u32 = 200;

/// Why a [`PassMarket`] stopped sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Halt {
    /// The workspace started locking.
    Locked,
    /// The pass's request budget (its size given) was used up.
    Budget(u32),
}

impl Halt {
    /// The reason, as the account's status shows it.
    pub(super) fn reason(self) -> String {
        match self {
            Halt::Locked => "stopped: the workspace was locked; what was done is kept".to_owned(),
            Halt::Budget(n) => format!("stopped after {n} requests this pass; the rest comes next sync"),
        }
    }
}

pub(super) struct PassMarket<'a> {
    inner: &'a dyn Marketplace,
    locking: &'a LockSignal,
    budget: u32,
    left: AtomicU32,
    halt: Mutex<Option<Halt>>,
}

impl<'a> PassMarket<'a> {
    pub(super) fn new(inner: &'a dyn Marketplace, locking: &'a LockSignal, budget: u32) -> Self {
        PassMarket { inner, locking, budget, left: AtomicU32::new(budget), halt: Mutex::new(None) }
    }

    /// Why requests stopped being sent, if they did.
    pub(super) fn halt(&self) -> Option<Halt> {
        *self.halt.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn halted(&self, why: Halt) -> MarketError {
        self.halt.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(why);
        MarketError::Abandoned
    }

    /// One request, within the budget and given up when locking starts. The
    /// request future is dropped then, which closes its connection.
    async fn send<T>(&self, request: impl Future<Output = Result<T, MarketError>> + Send) -> Result<T, MarketError> {
        if self.locking.is_raised() {
            return Err(self.halted(Halt::Locked));
        }
        if self.left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1)).is_err() {
            return Err(self.halted(Halt::Budget(self.budget)));
        }
        tokio::select! {
            biased;
            () = self.locking.raised() => Err(self.halted(Halt::Locked)),
            answer = request => answer,
        }
    }
}

#[async_trait]
impl Marketplace for PassMarket<'_> {
    async fn list_jobs(
        &self,
        query: &wire::JobQuery,
        cursor: Option<&wire::Cursor>,
        limit: u32,
    ) -> Result<wire::Page<wire::Job>, MarketError> {
        self.send(self.inner.list_jobs(query, cursor, limit)).await
    }

    async fn get_job(&self, id: &str) -> Result<wire::Job, MarketError> {
        self.send(self.inner.get_job(id)).await
    }

    async fn get_employer(&self, id: &str) -> Result<wire::Employer, MarketError> {
        self.send(self.inner.get_employer(id)).await
    }

    async fn create_bid(&self, key: &IdempotencyKey, bid: &wire::NewBid) -> Result<wire::Bid, MarketError> {
        self.send(self.inner.create_bid(key, bid)).await
    }

    async fn get_bid(&self, id: &str) -> Result<wire::Bid, MarketError> {
        self.send(self.inner.get_bid(id)).await
    }

    async fn edit_bid(&self, id: &str, base_version: u64, edit: &wire::BidEdit) -> Result<wire::Bid, MarketError> {
        self.send(self.inner.edit_bid(id, base_version, edit)).await
    }

    async fn withdraw_bid(&self, id: &str, key: &IdempotencyKey) -> Result<wire::Bid, MarketError> {
        self.send(self.inner.withdraw_bid(id, key)).await
    }

    async fn bids_since(&self, since: Option<&wire::Cursor>, limit: u32) -> Result<wire::Page<wire::Bid>, MarketError> {
        self.send(self.inner.bids_since(since, limit)).await
    }

    async fn milestones_since(
        &self,
        since: Option<&wire::Cursor>,
        limit: u32,
    ) -> Result<wire::Page<wire::Milestone>, MarketError> {
        self.send(self.inner.milestones_since(since, limit)).await
    }

    async fn request_erasure(
        &self,
        key: &IdempotencyKey,
        request: &wire::ErasureRequest,
    ) -> Result<wire::ErasureReceipt, MarketError> {
        self.send(self.inner.request_erasure(key, request)).await
    }

    async fn get_consents(&self) -> Result<wire::Consents, MarketError> {
        self.send(self.inner.get_consents()).await
    }

    async fn put_consents(&self, choices: &wire::ConsentChoices) -> Result<wire::Consents, MarketError> {
        self.send(self.inner.put_consents(choices)).await
    }

    async fn send_analytics(&self, batch: &wire::AnalyticsBatch) -> Result<(), MarketError> {
        self.send(self.inner.send_analytics(batch)).await
    }

    fn set_global_privacy_control(&self, on: bool) {
        self.inner.set_global_privacy_control(on);
    }

    fn global_privacy_control(&self) -> bool {
        self.inner.global_privacy_control()
    }

    /// The wrapped marketplace's: the pass's budget changes nothing it can do.
    fn capabilities(&self) -> bidwell_marketplace::Capabilities {
        self.inner.capabilities()
    }
}
