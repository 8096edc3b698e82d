//! `bidwell-marketplace`: the wire types of Bidwell's marketplace API
//! (docs/marketplace-openapi.yaml), the [`Marketplace`] trait the core's sync
//! engine talks to, [`HttpMarketplace`], the reqwest client for it, and the
//! adapters that put other marketplaces behind the same trait
//! ([`FreelancerMarketplace`], [`UpworkMarketplace`]). What each can do is data: [`Capabilities`].
//!
//! The client makes exactly one attempt per call. Retries, their schedule and
//! the clock belong to the sync engine; this crate gives it the pieces: a
//! classified [`MarketError`], [`RetryAfter`] and [`Backoff`].

mod bounds;
mod capabilities;
mod categories;
mod error;
mod freelancer;
mod http;
mod kind;
pub mod oauth;
mod retry;
mod token;
mod upwork;
pub mod wire;

use async_trait::async_trait;

pub use bounds::{
    decode_every_way, decode_page, decode_record, Refusal, WireBounds, MAX_AMOUNT_MINOR, MAX_CURSOR_BYTES,
    MAX_ID_BYTES, MAX_PERIOD_DAYS, MAX_RESPONSE_BYTES, MAX_SKILLS, MAX_SKILL_CHARS, MAX_TEXT_CHARS, MAX_TITLE_CHARS,
};
pub use capabilities::Capabilities;
pub use categories::{DataCategory, Operation};
pub use error::{MarketError, TransientReason};
pub use freelancer::{FreelancerMarketplace, FREELANCER_API, FREELANCER_SANDBOX_API};
pub use http::{HttpMarketplace, HttpOptions};
pub use kind::{MarketKind, SignInDefaults};
pub use retry::{Backoff, RetryAfter, MAX_RETRY_AFTER};
pub use token::{ApiToken, IdempotencyKey};
pub use upwork::{UpworkMarketplace, UPWORK_API};
pub use wire::*;

/// The largest page a listing may ask for.
pub const MAX_PAGE_LIMIT: u32 = 200;

/// One marketplace account, as the sync engine sees it. Object safe: the core
/// holds an `Arc<dyn Marketplace>`, so tests can put a fake behind it.
///
/// Every method is one request to Bidwell's API. An adapter for a
/// marketplace without a feature the contract assumes (idempotency keys, a
/// change feed) may need a few; it says how many in docs/adapters.md. A write that fails transiently may still have
/// been applied: retry creates and withdrawals with the same
/// [`IdempotencyKey`], and edits with the same base version (a
/// [`MarketError::VersionConflict`] whose `current` equals what was sent
/// means the first try went through).
#[async_trait]
pub trait Marketplace: Send + Sync {
    /// What this marketplace can do. Calls it cannot make answer
    /// [`MarketError::Unsupported`] without sending anything.
    ///
    /// The default is Bidwell's own API, whose contract the other methods
    /// describe; it exists so that wrappers and test fakes written before
    /// adapters keep compiling. A wrapper around another `Marketplace` must
    /// forward this to the inner one, or it reports the wrong marketplace.
    fn capabilities(&self) -> Capabilities {
        Capabilities::FULL
    }

    /// Jobs matching `query`, in the order they last changed. Start with no
    /// cursor; pass the `next_cursor` of a page with the same query to
    /// continue. `limit` is 1 to [`MAX_PAGE_LIMIT`].
    async fn list_jobs(&self, query: &JobQuery, cursor: Option<&Cursor>, limit: u32) -> Result<Page<Job>, MarketError>;

    async fn get_job(&self, id: &str) -> Result<Job, MarketError>;

    /// The employer ("client" in the API) who posted a job.
    async fn get_employer(&self, id: &str) -> Result<Employer, MarketError>;

    async fn create_bid(&self, key: &IdempotencyKey, bid: &NewBid) -> Result<Bid, MarketError>;

    async fn get_bid(&self, id: &str) -> Result<Bid, MarketError>;

    /// Changes the fields present in `edit` if the bid is still at
    /// `base_version`; otherwise [`MarketError::VersionConflict`].
    async fn edit_bid(&self, id: &str, base_version: u64, edit: &BidEdit) -> Result<Bid, MarketError>;

    /// Withdraws the bid. Withdrawing a withdrawn bid succeeds again.
    async fn withdraw_bid(&self, id: &str, key: &IdempotencyKey) -> Result<Bid, MarketError>;

    /// This account's bids changed since `since` (all of them when `None`),
    /// oldest change first.
    async fn bids_since(&self, since: Option<&Cursor>, limit: u32) -> Result<Page<Bid>, MarketError>;

    /// Milestones of this account's bids changed since `since`.
    async fn milestones_since(&self, since: Option<&Cursor>, limit: u32) -> Result<Page<Milestone>, MarketError>;

    async fn request_erasure(
        &self,
        key: &IdempotencyKey,
        request: &ErasureRequest,
    ) -> Result<ErasureReceipt, MarketError>;

    async fn get_consents(&self) -> Result<Consents, MarketError>;

    async fn put_consents(&self, choices: &ConsentChoices) -> Result<Consents, MarketError>;

    /// Sends anonymous usage counters. Refused without sending anything while
    /// Global Privacy Control is on.
    async fn send_analytics(&self, batch: &AnalyticsBatch) -> Result<(), MarketError>;

    /// While on (the default: analytics are off until the user opts in),
    /// every request carries `Sec-GPC: 1` and no analytics leave.
    fn set_global_privacy_control(&self, on: bool);

    fn global_privacy_control(&self) -> bool;
}
