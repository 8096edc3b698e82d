//! Marketplace sync: connected accounts, the outbox of local changes waiting
//! for a marketplace, the pull of marketplace changes by cursor, conflicts
//! between an offline edit and a marketplace change, and the status the user
//! sees. How it works and what survives what: docs/sync-protocol.md.
//!
//! - `accounts` owns marketplace accounts, their tokens and saved searches.
//! - `outbox` owns the local side: queueing a change in the same transaction
//!   as the change itself, the status, retrying failed rows, conflicts.
//! - `engine` owns the network side: pushing rows, pulling pages.
//! - `privacy` owns what is sent about the user's privacy choices: analytics
//!   counts when opted in, and erasure requests.
//! - `flight` owns "one pass at a time per workspace".
//! - `retention` owns dropping postings a marketplace's terms let us keep
//!   only so long, once the user has not acted on them.
//! - `sign_in` owns OAuth sign-in, token refresh and revocation.
//! - `demo` owns the demo marketplace of "Try with sample data".

mod accounts;
pub(crate) use accounts::accounts_on;
mod demo;
mod engine;
mod feeds;
mod flight;
mod outbox;
mod pass;
mod privacy;
mod retention;
mod sign_in;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::Id;

pub use accounts::{
    market_kinds, AccountRemoval, MarketAccount, MarketKindInfo, MarketSecrets, NewMarketAccount, SavedSearch,
    SignInSettings,
};
/// What the front ends need to connect an account without a direct dependency.
pub use bidwell_marketplace::{ApiToken, Capabilities, HttpOptions, MarketKind};
pub use demo::{DemoMarketHost, DemoMarketSpec, DemoStateCipher, DEMO_MARKET_NAME, DEMO_STATE_FILE_PREFIX};
pub use engine::{HttpConnector, MarketConnector, SyncEngine, SyncOptions};
pub use outbox::BidTerms;
pub(crate) use outbox::{linked_to_marketplace, queue_edit};
pub use pass::{MAX_PAGES_PER_FEED_PASS, MAX_REQUESTS_PER_ACCOUNT_PASS};
pub(crate) use privacy::usage_totals;
pub use privacy::ErasureRequestOutcome;
pub use sign_in::{PendingSignIn, SignInTarget, SignedIn, SIGN_IN_WAIT};

/// What the last sync of an account found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "TEXT", rename_all = "snake_case")]
pub enum ConnectionState {
    /// Never synced yet.
    Unknown,
    Online,
    /// The marketplace could not be reached or kept failing; changes queue.
    Offline,
    /// The marketplace refused the token: nothing is sent until a new one is given.
    TokenExpired,
}

/// What one `sync_once` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct SyncReport {
    /// Local changes the marketplace acknowledged.
    pub pushed: u64,
    /// Records received from the marketplace (bids, milestones, jobs).
    pub pulled: u64,
    /// Changes that failed for good in this run (shown, retryable).
    pub failed: u64,
    /// New conflicts between an offline edit and a marketplace change.
    pub conflicts: u64,
    /// Changes that failed for now and wait for their next attempt.
    pub deferred: u64,
    /// The earliest time a waiting change may be tried again.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Stopped early through the cancel flag; what was committed stays.
    pub cancelled: bool,
    /// A pull failed (or a token was refused), so some feed was not read to
    /// its end; the next run resumes at its saved cursor.
    pub interrupted: bool,
    /// The user withdrew consent to share with marketplaces: nothing was
    /// sent or asked, and changes stay queued.
    pub sharing_off: bool,
    /// A pass was already running when this one was asked for: this is that
    /// pass's report, and this call sent nothing of its own.
    pub joined: bool,
    /// The workspace started locking during the pass, so it stopped at its
    /// next step (a request in flight was abandoned); what was committed stays.
    pub locked: bool,
    /// Why an account's run stopped early, one line per account, naming it
    /// ("Demo marketplace: a response body exceeded 16 MiB"): a refused
    /// answer, a feed whose cursor did not move, the page cap, the request
    /// budget, locking. Each account's status keeps the same reason.
    pub stopped: Vec<String>,
    /// Postings removed because their marketplace's terms allow keeping
    /// them only so long and the user had not acted on them, one line per
    /// account ("Upwork: 12 postings you had not acted on, 24 hours after
    /// they were fetched").
    pub expired: Vec<String>,
}

/// A change that failed for good and waits for the user (retry or edit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct FailedChange {
    pub seq: i64,
    pub bid_id: Id,
    /// create, update or withdraw.
    pub operation: String,
    pub reason: String,
    pub attempts: i64,
}

/// One account's part of [`SyncStatus`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct AccountStatus {
    pub account_id: Id,
    pub name: String,
    pub state: ConnectionState,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// What the status bar shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct SyncStatus {
    /// The worst state over all accounts (token expired, offline, online, unknown).
    pub state: ConnectionState,
    /// The latest complete sync of any account.
    pub last_sync_at: Option<DateTime<Utc>>,
    /// Changes waiting to be sent (not failed).
    pub queued: u64,
    pub failed: Vec<FailedChange>,
    pub conflicts: u64,
    pub accounts: Vec<AccountStatus>,
    /// The user's consent to share with marketplaces is withdrawn: sync sends
    /// and asks nothing until it is given again (Settings → Privacy).
    pub sharing_off: bool,
}

/// One change waiting in the outbox (the queue view).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, ts_rs::TS)]
pub struct OutboxEntry {
    pub seq: i64,
    pub account_id: Id,
    #[sqlx(rename = "entity_id")]
    pub bid_id: Id,
    /// create, update or withdraw.
    pub operation: String,
    /// pending or failed.
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// One request that left the machine: when, to which account, which
/// operation, what kinds of data, how many records. Never the content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, ts_rs::TS)]
pub struct TransparencyEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub account_id: Id,
    pub operation: String,
    pub endpoint: String,
    /// JSON array of category names, e.g. `["account_token","bid_content"]`.
    pub data_categories: String,
    pub record_count: i64,
}

/// An offline edit of a bid that the marketplace changed meanwhile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct SyncConflict {
    pub id: Id,
    pub bid_id: Id,
    /// The terms the user wants.
    pub mine: BidTerms,
    /// The terms on the marketplace now.
    pub theirs: BidTerms,
    pub server_version: i64,
    pub created_at: DateTime<Utc>,
}

/// How the user settles a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// Send my terms again, based on the marketplace's current version.
    KeepMine,
    /// Drop my edit and take the marketplace's terms.
    TakeTheirs,
}

impl std::str::FromStr for Resolution {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "mine" | "keep_mine" => Ok(Resolution::KeepMine),
            "theirs" | "take_theirs" => Ok(Resolution::TakeTheirs),
            _ => Err(crate::Error::validation("keep", format!("'{s}' is not one of: mine, theirs"))),
        }
    }
}
