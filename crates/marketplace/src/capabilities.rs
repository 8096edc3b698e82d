//! [`Capabilities`]: what one marketplace can do, as data. The sync engine
//! and the UI decide from these flags (offer a Withdraw button, queue an
//! edit, show the consent panel), never from which marketplace it is; an
//! adapter asked for something its flags deny answers
//! [`MarketError::Unsupported`](crate::MarketError::Unsupported), which is
//! permanent.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
pub struct Capabilities {
    /// `list_jobs` and `get_job` work.
    pub list_jobs: bool,
    /// `get_employer` works.
    pub employer_profiles: bool,
    /// `create_bid` places a bid on the marketplace.
    pub submit_bid: bool,
    /// `edit_bid` changes a placed bid.
    pub edit_bid: bool,
    /// `withdraw_bid` withdraws (retracts) a placed bid.
    pub withdraw_bid: bool,
    /// `get_bid` and `bids_since` read this account's bids.
    pub read_bids: bool,
    /// Bids are placed on the marketplace's own website; the app only
    /// records them and links them when they show up in `bids_since`
    /// (Upwork has no API to submit a proposal).
    pub bids_recorded_only: bool,
    /// `milestones_since` reads milestones of this account's bids.
    pub milestones: bool,
    /// `request_erasure` asks the marketplace to erase data.
    pub erasure_requests: bool,
    /// `get_consents` and `put_consents` work.
    pub consent: bool,
    /// `send_analytics` can deliver anonymous counters.
    pub analytics: bool,
    /// The marketplace itself deduplicates creates by idempotency key. When
    /// false the adapter makes a retried create safe by reading back
    /// whether the first try went through (one extra request per create).
    pub server_idempotency: bool,
    /// The jobs feed reports a job as closed. When false a job that closes
    /// simply stops appearing in `list_jobs`; `get_job` still says closed.
    pub feed_reports_closed_jobs: bool,
    /// How long the marketplace's terms let the app keep a job posting the
    /// user has not acted on (saved, noted, bid on), counted from when it
    /// was fetched; `None` when they set no limit. Upwork: 24 hours. The
    /// user's own records (bids, notes, clients) are theirs and never expire.
    pub listing_retention_hours: Option<u32>,
}

impl Capabilities {
    /// Everything Bidwell's own API (docs/marketplace-openapi.yaml) offers.
    pub const FULL: Capabilities = Capabilities {
        list_jobs: true,
        employer_profiles: true,
        submit_bid: true,
        edit_bid: true,
        withdraw_bid: true,
        read_bids: true,
        bids_recorded_only: false,
        milestones: true,
        erasure_requests: true,
        consent: true,
        analytics: true,
        server_idempotency: true,
        feed_reports_closed_jobs: true,
        listing_retention_hours: None,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn travels_as_snake_case_flags() {
        let json = serde_json::to_value(Capabilities::FULL).unwrap();
        assert_eq!(json["submit_bid"], true);
        assert_eq!(json["bids_recorded_only"], false);
        assert_eq!(json["listing_retention_hours"], serde_json::Value::Null);
        let back: Capabilities = serde_json::from_value(json).unwrap();
        assert_eq!(back, Capabilities::FULL);
        let kept = Capabilities { listing_retention_hours: Some(24), ..Capabilities::FULL };
        let json = serde_json::to_value(kept).unwrap();
        assert_eq!(json["listing_retention_hours"], 24);
        assert_eq!(serde_json::from_value::<Capabilities>(json).unwrap(), kept);
    }
}
