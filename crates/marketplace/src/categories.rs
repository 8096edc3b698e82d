//! What each marketplace call sends, so the core can write a transparency log
//! entry ("sent bid text and amount to marketplace X") before the request
//! leaves. The lists are what an operation may carry at most, fixed per
//! operation, so the log never depends on what happened to be in a field.

use serde::{Deserialize, Serialize};

/// A kind of data that leaves the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataCategory {
    /// The account's API token (every call, in the `Authorization` header).
    AccountToken,
    /// Ids of marketplace records asked for (a job, an employer, a bid).
    RecordIds,
    /// Search words, skills and budget filters.
    JobQuery,
    /// A bid's proposal text, delivery time and milestone share.
    BidContent,
    /// A bid's amount and currency.
    BidAmount,
    /// Consent choices sent to the marketplace.
    ConsentChoices,
    /// A request to erase the account's data.
    ErasureRequest,
    /// Anonymous usage counters.
    AnalyticsCounts,
}

/// Every call the [`crate::Marketplace`] trait makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    ListJobs,
    GetJob,
    GetEmployer,
    CreateBid,
    GetBid,
    EditBid,
    WithdrawBid,
    ListBids,
    ListMilestones,
    RequestErasure,
    GetConsents,
    PutConsents,
    SendAnalytics,
}

impl Operation {
    /// Method and path template, as in the OpenAPI document.
    pub fn endpoint(self) -> &'static str {
        match self {
            Operation::ListJobs => "GET /v1/jobs",
            Operation::GetJob => "GET /v1/jobs/{id}",
            Operation::GetEmployer => "GET /v1/clients/{id}",
            Operation::CreateBid => "POST /v1/bids",
            Operation::GetBid => "GET /v1/bids/{id}",
            Operation::EditBid => "PATCH /v1/bids/{id}",
            Operation::WithdrawBid => "POST /v1/bids/{id}/withdraw",
            Operation::ListBids => "GET /v1/bids",
            Operation::ListMilestones => "GET /v1/milestones",
            Operation::RequestErasure => "POST /v1/privacy/erasure-requests",
            Operation::GetConsents => "GET /v1/privacy/consents",
            Operation::PutConsents => "PUT /v1/privacy/consents",
            Operation::SendAnalytics => "POST /v1/analytics/events",
        }
    }

    /// The kinds of data the call sends.
    pub fn data_categories(self) -> &'static [DataCategory] {
        use DataCategory::*;
        match self {
            Operation::ListJobs => &[AccountToken, JobQuery],
            Operation::GetJob | Operation::GetEmployer | Operation::GetBid => &[AccountToken, RecordIds],
            Operation::CreateBid | Operation::EditBid => &[AccountToken, RecordIds, BidContent, BidAmount],
            Operation::WithdrawBid => &[AccountToken, RecordIds],
            Operation::ListBids | Operation::ListMilestones | Operation::GetConsents => &[AccountToken],
            Operation::RequestErasure => &[AccountToken, ErasureRequest],
            Operation::PutConsents => &[AccountToken, ConsentChoices],
            Operation::SendAnalytics => &[AccountToken, AnalyticsCounts],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Operation; 13] = [
        Operation::ListJobs,
        Operation::GetJob,
        Operation::GetEmployer,
        Operation::CreateBid,
        Operation::GetBid,
        Operation::EditBid,
        Operation::WithdrawBid,
        Operation::ListBids,
        Operation::ListMilestones,
        Operation::RequestErasure,
        Operation::GetConsents,
        Operation::PutConsents,
        Operation::SendAnalytics,
    ];

    /// The transparency log names endpoints; they must be the documented ones.
    #[test]
    fn every_operation_is_in_the_openapi_document() {
        let spec = include_str!("../../../docs/marketplace-openapi.yaml");
        for op in ALL {
            let (method, path) = op.endpoint().split_once(' ').unwrap();
            let at = spec.find(&format!("\n  {path}:\n")).unwrap_or_else(|| panic!("{path} is documented"));
            let next_path = spec[at + 1..].find("\n  /").map_or(spec.len(), |n| at + 1 + n);
            assert!(spec[at..next_path].contains(&format!("\n    {}:\n", method.to_lowercase())), "{op:?}");
        }
    }

    #[test]
    fn every_call_declares_the_token() {
        for op in ALL {
            assert!(op.data_categories().contains(&DataCategory::AccountToken), "{op:?}");
        }
    }
}
