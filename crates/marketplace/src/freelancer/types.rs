//! Freelancer REST 0.1's JSON, private to the adapter, and how each shape
//! maps onto Bidwell's wire types. Fields are optional wherever the real
//! API sends them only with a detail flag or not at all; unknown fields are
//! ignored. Every mapped record is held to the crate's limits
//! (`WireBounds`) by the caller.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::money::{to_minor, AmountError};
use crate::bounds::Refusal;
use crate::error::MarketError;
use crate::wire::{Bid, BidStatus, Budget, BudgetType, Employer, Job, JobStatus, Milestone, MilestoneStatus, Money};

/// The success envelope; errors are read by `classify`.
#[derive(Deserialize)]
pub(super) struct Envelope<T> {
    pub status: String,
    pub result: Option<T>,
}

#[derive(Deserialize)]
pub(super) struct ErrorEnvelope {
    pub message: Option<String>,
    pub error_code: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct SelfUser {
    pub id: u64,
}

#[derive(Deserialize)]
pub(super) struct Currency {
    pub code: String,
}

#[derive(Deserialize)]
pub(super) struct ProjectBudget {
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
}

#[derive(Deserialize)]
pub(super) struct Skill {
    pub name: String,
}

#[derive(Deserialize)]
pub(super) struct Project {
    pub id: u64,
    pub owner_id: u64,
    pub title: String,
    pub description: Option<String>,
    pub preview_description: Option<String>,
    pub status: String,
    pub currency: Currency,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub budget: ProjectBudget,
    pub time_submitted: i64,
    pub time_updated: Option<i64>,
    pub jobs: Option<Vec<Skill>>,
    /// The project page's path under `freelancer.com/projects/`.
    pub seo_url: Option<String>,
    /// Added by `projects/{id}/` with `user_details`.
    pub owner: Option<User>,
}

#[derive(Deserialize)]
pub(super) struct Projects {
    pub projects: Vec<Project>,
    pub users: Option<HashMap<String, User>>,
}

#[derive(Deserialize)]
pub(super) struct Country {
    pub name: Option<String>,
    pub code: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct Location {
    pub country: Option<Country>,
}

#[derive(Deserialize)]
pub(super) struct UserStatus {
    pub payment_verified: Option<bool>,
}

#[derive(Deserialize)]
pub(super) struct User {
    pub id: u64,
    pub username: Option<String>,
    pub display_name: Option<String>,
    pub public_name: Option<String>,
    pub registration_date: Option<i64>,
    pub location: Option<Location>,
    pub status: Option<UserStatus>,
}

#[derive(Deserialize)]
pub(super) struct FlBid {
    pub id: u64,
    pub project_id: u64,
    pub amount: f64,
    pub period: u32,
    pub milestone_percentage: Option<u32>,
    pub description: Option<String>,
    #[serde(default)]
    pub retracted: bool,
    pub award_status: Option<String>,
    pub time_submitted: i64,
}

#[derive(Deserialize)]
pub(super) struct Bids {
    pub bids: Vec<FlBid>,
}

#[derive(Deserialize)]
pub(super) struct FlMilestone {
    pub id: Option<u64>,
    pub transaction_id: Option<u64>,
    pub bid_id: u64,
    pub amount: f64,
    pub currency: Currency,
    pub description: Option<String>,
    pub status: String,
    pub time_created: i64,
}

/// Milestones come keyed by id.
#[derive(Deserialize)]
pub(super) struct Milestones {
    pub milestones: HashMap<String, FlMilestone>,
}

pub(super) fn time(field: &'static str, seconds: i64) -> Result<DateTime<Utc>, MarketError> {
    DateTime::from_timestamp(seconds, 0).ok_or_else(|| MarketError::invalid_response(field))
}

pub(super) fn minor(field: &'static str, major: f64, currency: &str) -> Result<i64, MarketError> {
    to_minor(major, currency).map_err(|e| {
        MarketError::Refused(Refusal::OutOfRange {
            field,
            range: match e {
                AmountError::OutOfRange => "0 to the largest amount taken".to_owned(),
                AmountError::TooPrecise => format!("whole minor units of {currency}"),
            },
        })
    })
}

impl Project {
    pub(super) fn key(&self) -> (i64, u64) {
        (self.time_submitted, self.id)
    }

    pub(super) fn into_job(self) -> Result<Job, MarketError> {
        let currency = self.currency.code.to_ascii_uppercase();
        let posted_at = time("a project's time_submitted", self.time_submitted)?;
        Ok(Job {
            id: self.id.to_string(),
            title: self.title,
            // Without `full_description` only a preview comes.
            description: self.description.or(self.preview_description).unwrap_or_default(),
            budget: Budget {
                kind: if self.kind.as_deref() == Some("hourly") { BudgetType::Hourly } else { BudgetType::Fixed },
                min_minor: minor("a project's minimum budget", self.budget.minimum.unwrap_or(0.0), &currency)?,
                max_minor: self
                    .budget
                    .maximum
                    .map(|max| minor("a project's maximum budget", max, &currency))
                    .transpose()?,
                currency,
            },
            skills: self.jobs.unwrap_or_default().into_iter().map(|s| s.name).collect(),
            client_id: self.owner_id.to_string(),
            posted_at,
            // `active` takes bids; `closed`, `frozen` and anything newer do not.
            status: if self.status == "active" { JobStatus::Open } else { JobStatus::Closed },
            url: self
                .seo_url
                .filter(|path| is_url_path(path))
                .map(|path| format!("{FREELANCER_WEBSITE}projects/{path}")),
            updated_at: match self.time_updated {
                Some(t) => time("a project's time_updated", t)?,
                None => posted_at,
            },
        })
    }
}

impl User {
    /// Freelancer's user carries no spending, job count or rating in these
    /// answers: those are zero and absent, never guessed.
    pub(super) fn into_employer(self) -> Result<Employer, MarketError> {
        let country = self.location.and_then(|l| l.country).and_then(|c| c.code.or(c.name)).unwrap_or_default();
        Ok(Employer {
            id: self.id.to_string(),
            display_name: self.public_name.or(self.display_name).or(self.username).unwrap_or_default(),
            country,
            member_since: time("a user's registration_date", self.registration_date.unwrap_or(0))?,
            payment_verified: self.status.and_then(|s| s.payment_verified).unwrap_or(false),
            jobs_posted: 0,
            total_spent: Money { amount_minor: 0, currency: "USD".to_owned() },
            rating: None,
            reviews_count: 0,
        })
    }
}

impl FlBid {
    /// Freelancer keeps no bid version. This one counts the steps of the
    /// bid's life (placed 1; awarded, waiting for acceptance 2; accepted,
    /// rejected, revoked or retracted 3), which only ever go forward, so
    /// it rises whenever the status the engine sees changes.
    pub(super) fn status(&self) -> (BidStatus, u64) {
        if self.retracted {
            return (BidStatus::Withdrawn, 3);
        }
        match self.award_status.as_deref() {
            None | Some("") => (BidStatus::Submitted, 1),
            Some("pending") => (BidStatus::Awarded, 2),
            Some("awarded" | "accepted") => (BidStatus::Awarded, 3),
            Some(_) => (BidStatus::Rejected, 3),
        }
    }

    pub(super) fn into_bid(self, currency: &str) -> Result<Bid, MarketError> {
        let (status, version) = self.status();
        let at = time("a bid's time_submitted", self.time_submitted)?;
        let percentage = self.milestone_percentage.unwrap_or(0);
        Ok(Bid {
            id: self.id.to_string(),
            job_id: self.project_id.to_string(),
            amount: Money {
                amount_minor: minor("a bid's amount", self.amount, currency)?,
                currency: currency.to_owned(),
            },
            period_days: self.period,
            milestone_percentage: u8::try_from(percentage).unwrap_or(u8::MAX),
            proposal: self.description.unwrap_or_default(),
            status,
            version,
            created_at: at,
            // No change time on the wire: the placing time stands for it.
            updated_at: at,
        })
    }
}

impl FlMilestone {
    pub(super) fn milestone_id(&self) -> Option<u64> {
        self.id.or(self.transaction_id)
    }

    pub(super) fn into_milestone(self) -> Result<Milestone, MarketError> {
        let id = self.milestone_id().ok_or_else(|| MarketError::invalid_response("a milestone without an id"))?;
        // Like bids: a version counting the steps, which only go forward.
        let (status, version) = match self.status.as_str() {
            "pending" | "created" => (MilestoneStatus::Pending, 1),
            "frozen" => (MilestoneStatus::Funded, 2),
            "requested_release" => (MilestoneStatus::Funded, 3),
            "disputed" => (MilestoneStatus::Disputed, 4),
            "cleared" | "released" => (MilestoneStatus::Released, 5),
            "cancelled" | "canceled" | "refunded" => (MilestoneStatus::Refunded, 5),
            _ => return Err(MarketError::invalid_response("a milestone's status")),
        };
        let currency = self.currency.code.to_ascii_uppercase();
        let at = time("a milestone's time_created", self.time_created)?;
        Ok(Milestone {
            id: id.to_string(),
            bid_id: self.bid_id.to_string(),
            amount: Money { amount_minor: minor("a milestone's amount", self.amount, &currency)?, currency },
            description: self.description.unwrap_or_default(),
            status,
            version,
            created_at: at,
            updated_at: at,
        })
    }
}

/// Freelancer's website, where its project pages are.
const FREELANCER_WEBSITE: &str = "https://www.freelancer.com/";

/// A path the marketplace gave that may go into a URL as it is.
pub(super) fn is_url_path(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= 300
        && path.chars().all(|c| c.is_ascii_alphanumeric() || "-_~./".contains(c))
        && !path.contains("..")
}
