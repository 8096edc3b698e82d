//! The JSON shapes of Bidwell's marketplace API (docs/marketplace-openapi.yaml),
//! exactly as they travel. The core maps these to its own records; nothing
//! here knows about the local database.
//!
//! Money is integer minor units plus an ISO 4217 code, never a float. Ids are
//! the marketplace's opaque strings. Times are UTC.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An amount of money: integer minor units (cents for USD, yen for JPY) and
/// the ISO 4217 code of its currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: String,
}

/// How a job pays: a fixed price for the whole job, or an hourly rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetType {
    Fixed,
    Hourly,
}

impl BudgetType {
    pub fn as_str(self) -> &'static str {
        match self {
            BudgetType::Fixed => "fixed",
            BudgetType::Hourly => "hourly",
        }
    }
}

/// A job's budget range. For hourly jobs the amounts are per hour. `max_minor`
/// is absent when the employer gave only a lower bound.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budget {
    #[serde(rename = "type")]
    pub kind: BudgetType,
    pub min_minor: i64,
    pub max_minor: Option<i64>,
    pub currency: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Open,
    Closed,
}

/// A job posting. Every field is owned by the marketplace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    pub title: String,
    pub description: String,
    pub budget: Budget,
    pub skills: Vec<String>,
    /// The employer who posted it (`GET /v1/clients/{id}`).
    pub client_id: String,
    pub posted_at: DateTime<Utc>,
    pub status: JobStatus,
    pub updated_at: DateTime<Utc>,
    /// The job's page on the marketplace's website, where one is known:
    /// where the user places a bid the API cannot take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// An employer's public profile (the marketplace's "client").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Employer {
    pub id: String,
    pub display_name: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub member_since: DateTime<Utc>,
    pub payment_verified: bool,
    pub jobs_posted: u32,
    /// Total paid out on the marketplace so far.
    pub total_spent: Money,
    /// Average review, 0.0 to 5.0; absent before the first review.
    pub rating: Option<f64>,
    pub reviews_count: u32,
}

/// Where a bid stands. Only the marketplace moves a bid between these, except
/// `withdrawn`, which the bidder asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BidStatus {
    Submitted,
    Shortlisted,
    Awarded,
    Rejected,
    Withdrawn,
}

impl BidStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BidStatus::Submitted => "submitted",
            BidStatus::Shortlisted => "shortlisted",
            BidStatus::Awarded => "awarded",
            BidStatus::Rejected => "rejected",
            BidStatus::Withdrawn => "withdrawn",
        }
    }

    /// Whether the bidder may still edit or withdraw the bid.
    pub fn is_open(self) -> bool {
        matches!(self, BidStatus::Submitted | BidStatus::Shortlisted)
    }
}

impl fmt::Display for BidStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A bid as the marketplace holds it. `version` goes up by one on every
/// change, by either side; edits must name the version they were based on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bid {
    pub id: String,
    pub job_id: String,
    pub amount: Money,
    /// Delivery time promised, in days.
    pub period_days: u32,
    /// Share of the amount asked as the first milestone, 0 to 100.
    pub milestone_percentage: u8,
    pub proposal: String,
    pub status: BidStatus,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The body of `POST /v1/bids`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewBid {
    pub job_id: String,
    pub amount: Money,
    pub period_days: u32,
    pub milestone_percentage: u8,
    pub proposal: String,
}

/// The body of `PATCH /v1/bids/{id}`: only the fields present change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BidEdit {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub milestone_percentage: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal: Option<String>,
}

impl BidEdit {
    pub fn is_empty(&self) -> bool {
        self == &BidEdit::default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MilestoneStatus {
    /// Agreed but not yet paid into escrow.
    Pending,
    /// Paid into escrow by the employer.
    Funded,
    /// Paid out to the freelancer.
    Released,
    Refunded,
    Disputed,
}

/// A payment step of an awarded bid. Owned by the marketplace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestone {
    pub id: String,
    pub bid_id: String,
    pub amount: Money,
    pub description: String,
    pub status: MilestoneStatus,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An opaque position in a listing, issued by the server. Store it as is and
/// hand it back; never build or parse one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(pub String);

impl Cursor {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One page of a listing. `next_cursor` is where the next call starts; on the
/// change feeds (`/v1/bids`, `/v1/milestones`, `/v1/jobs`) it is present even
/// on the last page, so that a later call returns only what changed since.
/// `has_more` says whether more items are waiting right now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<Cursor>,
    pub has_more: bool,
}

/// Filters of `GET /v1/jobs`. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobQuery {
    /// Words that must all appear in the title or description (any case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// A job matches when it asks for any one of these skills (any case).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skills: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_type: Option<BudgetType>,
    /// Jobs whose budget can reach this many minor units (its maximum, or its
    /// minimum when it has no maximum).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_budget_minor: Option<i64>,
    /// ISO 4217; only jobs budgeted in this currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

/// What `POST /v1/privacy/erasure-requests` asks to erase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErasureScope {
    /// The whole account and everything in it.
    Account,
    /// Bid texts and amounts kept after bids closed.
    ClosedBids,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureRequest {
    pub scope: ErasureScope,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErasureStatus {
    Received,
    InProgress,
    Completed,
}

/// The marketplace's acknowledgement of an erasure request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureReceipt {
    pub id: String,
    pub scope: ErasureScope,
    pub status: ErasureStatus,
    pub received_at: DateTime<Utc>,
}

/// The account holder's consent choices, as sent with `PUT /v1/privacy/consents`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentChoices {
    /// Usage analytics about the account holder.
    pub analytics: bool,
    /// Marketing e-mail.
    pub marketing: bool,
    /// Showing the profile to employers outside the jobs bid on.
    pub profile_discovery: bool,
}

/// The choices as the marketplace holds them. `updated_at` is absent until
/// they were first set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consents {
    #[serde(flatten)]
    pub choices: ConsentChoices,
    pub updated_at: Option<DateTime<Utc>>,
}

/// One anonymous usage counter: an event name and how often it happened.
/// Names are lowercase `[a-z0-9_.]`, at most 64 characters, so that nothing
/// personal fits in them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyticsCount {
    pub name: String,
    pub count: u32,
}

/// The body of `POST /v1/analytics/events`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyticsBatch {
    pub events: Vec<AnalyticsCount>,
}

impl AnalyticsCount {
    /// Whether the name keeps to the allowed alphabet and length.
    pub fn has_valid_name(&self) -> bool {
        !self.name.is_empty()
            && self.name.len() <= 64
            && self.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
    }
}

/// The stable error codes of the API's error body. `Unknown` stands for a
/// code this build does not know (a newer server); `InvalidResponse` is the
/// client's own, for a reply it could not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiErrorCode {
    Unauthorized,
    NotFound,
    ValidationFailed,
    VersionConflict,
    PreconditionRequired,
    InvalidState,
    CursorExpired,
    IdempotencyKeyReused,
    RateLimited,
    Unavailable,
    Internal,
    InvalidResponse,
    #[serde(other)]
    Unknown,
}

impl ApiErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiErrorCode::Unauthorized => "unauthorized",
            ApiErrorCode::NotFound => "not_found",
            ApiErrorCode::ValidationFailed => "validation_failed",
            ApiErrorCode::VersionConflict => "version_conflict",
            ApiErrorCode::PreconditionRequired => "precondition_required",
            ApiErrorCode::InvalidState => "invalid_state",
            ApiErrorCode::CursorExpired => "cursor_expired",
            ApiErrorCode::IdempotencyKeyReused => "idempotency_key_reused",
            ApiErrorCode::RateLimited => "rate_limited",
            ApiErrorCode::Unavailable => "unavailable",
            ApiErrorCode::Internal => "internal",
            ApiErrorCode::InvalidResponse => "invalid_response",
            ApiErrorCode::Unknown => "unknown",
        }
    }
}

impl fmt::Display for ApiErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The one error body every endpoint answers with. `current` is present only
/// with `version_conflict`: the bid as the server holds it now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    pub code: ApiErrorCode,
    pub message: String,
    pub retryable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<Bid>,
}
