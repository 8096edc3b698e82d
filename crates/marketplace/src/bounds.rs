//! What the client accepts from a marketplace. A marketplace is a server on
//! the internet: broken, compromised or hostile, it must not be able to fill
//! the user's memory or disk, or put numbers into the workspace that break
//! its sums. Every answer is held to these limits on its way in, and the
//! decoding the client uses is public ([`decode_page`], [`decode_record`]),
//! so the fuzz target feeds arbitrary bytes to exactly that path.
//!
//! A refusal ([`Refusal`]) is permanent for the request that met it: asking
//! again gets the same answer, so it is not retried in a loop; the sync
//! engine stops that account for this pass and says why.

use std::fmt;

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;

use crate::error::MarketError;
use crate::wire::*;

/// The largest response body read, declared (`Content-Length`) or streamed.
/// A full page of 200 jobs with long descriptions is well under 1 MiB; 16 MiB
/// leaves room for unusual pages and still bounds the memory one request can
/// take (the body, then about as much again while it is decoded).
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// The largest amount of money taken from the wire, in minor units (10^12:
/// ten billion dollars in cents, a trillion yen). Far above any bid or
/// budget, and low enough that sums over millions of records stay inside
/// an `i64` (the dashboard adds them up).
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000_000;

/// Titles and names: the workspace's own limit for a name or title
/// (`check::MAX_NAME` in bidwell-core), so a pulled record can be edited
/// and saved again.
pub const MAX_TITLE_CHARS: usize = 300;

/// Descriptions and proposals: the workspace's own limit for free text
/// (`check::MAX_TEXT` in bidwell-core).
pub const MAX_TEXT_CHARS: usize = 100_000;

/// Ids and cursors are opaque strings the client stores and sends back in a
/// URL: long enough for any UUID, ULID or signed token, short enough that a
/// URL built from them stays well under what servers accept (8 KiB).
pub const MAX_ID_BYTES: usize = 200;
pub const MAX_CURSOR_BYTES: usize = 2_048;

/// Skills of one job, and the length of each: real postings list a handful.
pub const MAX_SKILLS: usize = 100;
pub const MAX_SKILL_CHARS: usize = 100;

/// Delivery promised, in days: the workspace accepts 1 to 3650 (ten years).
pub const MAX_PERIOD_DAYS: u32 = 3650;

/// Why an answer was refused. Shown to the user (with the account's name),
/// so each says what was refused and the limit it broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The body was (or said it would be) larger than `limit` bytes.
    BodyTooLarge { limit: usize },
    /// A page held more items than the `asked` limit the request sent.
    TooManyItems { asked: u32 },
    /// A text field over its limit (`limit` characters, or bytes for ids
    /// and cursors, as `unit` says).
    TooLong { field: &'static str, limit: usize, unit: &'static str },
    /// A number outside what the field can mean.
    OutOfRange { field: &'static str, range: String },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::BodyTooLarge { limit } => write!(f, "a response body exceeded {}", size(*limit)),
            Refusal::TooManyItems { asked } => {
                write!(f, "a page held more items than the {asked} asked for")
            }
            Refusal::TooLong { field, limit, unit } => write!(f, "{field} was longer than {limit} {unit}"),
            Refusal::OutOfRange { field, range } => write!(f, "{field} was outside {range}"),
        }
    }
}

fn size(bytes: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// A record from the wire that can be held to the limits above.
pub trait WireBounds {
    fn check_bounds(&self) -> Result<(), Refusal>;
}

fn chars(field: &'static str, value: &str, limit: usize) -> Result<(), Refusal> {
    // Bytes first: a string of at most `limit` bytes has at most `limit` chars.
    if value.len() > limit && value.chars().count() > limit {
        return Err(Refusal::TooLong { field, limit, unit: "characters" });
    }
    Ok(())
}

fn bytes(field: &'static str, value: &str, limit: usize) -> Result<(), Refusal> {
    if value.len() > limit {
        return Err(Refusal::TooLong { field, limit, unit: "bytes" });
    }
    Ok(())
}

fn amount(field: &'static str, value: i64) -> Result<(), Refusal> {
    if !(0..=MAX_AMOUNT_MINOR).contains(&value) {
        return Err(Refusal::OutOfRange { field, range: format!("0 to {MAX_AMOUNT_MINOR} minor units") });
    }
    Ok(())
}

/// ISO 4217 codes are three letters; the workspace checks the code itself.
fn currency(field: &'static str, value: &str) -> Result<(), Refusal> {
    if value.len() != 3 || !value.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(Refusal::OutOfRange { field, range: "three letters (ISO 4217)".to_owned() });
    }
    Ok(())
}

fn money(amount_field: &'static str, currency_field: &'static str, value: &Money) -> Result<(), Refusal> {
    amount(amount_field, value.amount_minor)?;
    currency(currency_field, &value.currency)
}

impl WireBounds for Job {
    fn check_bounds(&self) -> Result<(), Refusal> {
        bytes("a job's id", &self.id, MAX_ID_BYTES)?;
        bytes("a job's client id", &self.client_id, MAX_ID_BYTES)?;
        chars("a job's title", &self.title, MAX_TITLE_CHARS)?;
        chars("a job's description", &self.description, MAX_TEXT_CHARS)?;
        amount("a job's minimum budget", self.budget.min_minor)?;
        if let Some(max) = self.budget.max_minor {
            amount("a job's maximum budget", max)?;
        }
        currency("a job's budget currency", &self.budget.currency)?;
        if self.skills.len() > MAX_SKILLS {
            return Err(Refusal::TooLong { field: "a job's skill list", limit: MAX_SKILLS, unit: "skills" });
        }
        self.skills.iter().try_for_each(|s| chars("a job's skill", s, MAX_SKILL_CHARS))
    }
}

impl WireBounds for Bid {
    fn check_bounds(&self) -> Result<(), Refusal> {
        bytes("a bid's id", &self.id, MAX_ID_BYTES)?;
        bytes("a bid's job id", &self.job_id, MAX_ID_BYTES)?;
        money("a bid's amount", "a bid's currency", &self.amount)?;
        if self.period_days > MAX_PERIOD_DAYS {
            return Err(Refusal::OutOfRange {
                field: "a bid's delivery time",
                range: format!("0 to {MAX_PERIOD_DAYS} days"),
            });
        }
        if self.milestone_percentage > 100 {
            return Err(Refusal::OutOfRange { field: "a bid's milestone percentage", range: "0 to 100".to_owned() });
        }
        chars("a bid's proposal", &self.proposal, MAX_TEXT_CHARS)?;
        // Versions are stored as SQLite integers (i64).
        if i64::try_from(self.version).is_err() {
            return Err(Refusal::OutOfRange { field: "a bid's version", range: format!("0 to {}", i64::MAX) });
        }
        Ok(())
    }
}

impl WireBounds for Milestone {
    fn check_bounds(&self) -> Result<(), Refusal> {
        bytes("a milestone's id", &self.id, MAX_ID_BYTES)?;
        bytes("a milestone's bid id", &self.bid_id, MAX_ID_BYTES)?;
        money("a milestone's amount", "a milestone's currency", &self.amount)?;
        // It becomes the milestone's title in the workspace.
        chars("a milestone's description", &self.description, MAX_TITLE_CHARS)
    }
}

impl WireBounds for Employer {
    fn check_bounds(&self) -> Result<(), Refusal> {
        bytes("an employer's id", &self.id, MAX_ID_BYTES)?;
        chars("an employer's name", &self.display_name, MAX_TITLE_CHARS)?;
        chars("an employer's country", &self.country, MAX_SKILL_CHARS)?;
        money("an employer's total spent", "an employer's currency", &self.total_spent)?;
        if self.rating.is_some_and(|r| !(0.0..=5.0).contains(&r)) {
            return Err(Refusal::OutOfRange { field: "an employer's rating", range: "0 to 5".to_owned() });
        }
        Ok(())
    }
}

impl WireBounds for Consents {
    fn check_bounds(&self) -> Result<(), Refusal> {
        Ok(())
    }
}

impl WireBounds for ErasureReceipt {
    fn check_bounds(&self) -> Result<(), Refusal> {
        bytes("an erasure receipt's id", &self.id, MAX_ID_BYTES)
    }
}

impl<T: WireBounds> WireBounds for Page<T> {
    fn check_bounds(&self) -> Result<(), Refusal> {
        if let Some(cursor) = &self.next_cursor {
            bytes("a page's cursor", cursor.as_str(), MAX_CURSOR_BYTES)?;
        }
        self.items.iter().try_for_each(WireBounds::check_bounds)
    }
}

/// Only the length of `items`: `IgnoredAny` takes no memory per item, so a
/// page is counted before any of it is built.
#[derive(Deserialize)]
struct ItemCount {
    items: Vec<IgnoredAny>,
}

/// Decodes one page of a listing the client asked `asked_limit` items of:
/// refused when the body is over [`MAX_RESPONSE_BYTES`], holds more items
/// than asked, or breaks a field limit; an answer that is not the expected
/// JSON is [`MarketError::Permanent`] with `invalid_response`.
pub fn decode_page<T: DeserializeOwned + WireBounds>(body: &[u8], asked_limit: u32) -> Result<Page<T>, MarketError> {
    if body.len() > MAX_RESPONSE_BYTES {
        return Err(MarketError::Refused(Refusal::BodyTooLarge { limit: MAX_RESPONSE_BYTES }));
    }
    let count: ItemCount =
        serde_json::from_slice(body).map_err(|_| MarketError::invalid_response("unexpected JSON"))?;
    if count.items.len() > asked_limit as usize {
        return Err(MarketError::Refused(Refusal::TooManyItems { asked: asked_limit }));
    }
    decode_record(body)
}

/// Decodes one record (or any answer the client reads), held to the same
/// limits as [`decode_page`] except the item count.
pub fn decode_record<T: DeserializeOwned + WireBounds>(body: &[u8]) -> Result<T, MarketError> {
    if body.len() > MAX_RESPONSE_BYTES {
        return Err(MarketError::Refused(Refusal::BodyTooLarge { limit: MAX_RESPONSE_BYTES }));
    }
    let value: T = serde_json::from_slice(body).map_err(|_| MarketError::invalid_response("unexpected JSON"))?;
    value.check_bounds().map_err(MarketError::Refused)?;
    Ok(value)
}

/// Every decoding the client does, on one answer asked with `asked_limit`;
/// says how many accepted it. For the fuzz target
/// (`fuzz/fuzz_targets/market_response.rs`), kept here so that it builds
/// and runs with the crate's tests. Panics if an accepted answer breaks a
/// limit: decoding must never let one through.
pub fn decode_every_way(body: &[u8], asked_limit: u32) -> usize {
    fn page<T: DeserializeOwned + WireBounds>(body: &[u8], asked_limit: u32) -> bool {
        match decode_page::<T>(body, asked_limit) {
            Ok(page) => {
                assert!(page.items.len() <= asked_limit as usize, "a page over its limit was accepted");
                assert!(page.check_bounds().is_ok(), "a page out of bounds was accepted");
                true
            }
            Err(err) => {
                assert!(!err.is_transient(), "a bad answer is not worth retrying");
                false
            }
        }
    }
    fn record<T: DeserializeOwned + WireBounds>(body: &[u8]) -> bool {
        match decode_record::<T>(body) {
            Ok(value) => {
                assert!(value.check_bounds().is_ok(), "a record out of bounds was accepted");
                true
            }
            Err(_) => false,
        }
    }
    [
        page::<Bid>(body, asked_limit),
        page::<Milestone>(body, asked_limit),
        page::<Job>(body, asked_limit),
        record::<Bid>(body),
        record::<Job>(body),
        record::<Employer>(body),
        record::<Milestone>(body),
        record::<Consents>(body),
        record::<ErasureReceipt>(body),
    ]
    .into_iter()
    .filter(|accepted| *accepted)
    .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bid_json(amount: i64, proposal: &str) -> serde_json::Value {
        serde_json::json!({
            "id": "b1", "job_id": "j1", "amount": {"amount_minor": amount, "currency": "USD"},
            "period_days": 7, "milestone_percentage": 0, "proposal": proposal, "status": "submitted",
            "version": 1, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"
        })
    }

    fn page(items: Vec<serde_json::Value>) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({"items": items, "next_cursor": "c1", "has_more": false})).unwrap()
    }

    #[test]
    fn a_page_with_more_items_than_asked_is_refused() {
        let body = page(vec![bid_json(100, "p"); 3]);
        assert_eq!(decode_page::<Bid>(&body, 3).unwrap().items.len(), 3);
        assert_eq!(decode_page::<Bid>(&body, 2).unwrap_err(), MarketError::Refused(Refusal::TooManyItems { asked: 2 }));
    }

    #[test]
    fn amounts_and_texts_from_the_wire_are_bounded() {
        let refused = |body: Vec<u8>| decode_page::<Bid>(&body, 10).unwrap_err().to_string();
        assert!(decode_page::<Bid>(&page(vec![bid_json(MAX_AMOUNT_MINOR, "p")]), 10).is_ok());
        assert_eq!(
            refused(page(vec![bid_json(MAX_AMOUNT_MINOR + 1, "p")])),
            "a bid's amount was outside 0 to 1000000000000 minor units"
        );
        assert!(refused(page(vec![bid_json(-1, "p")])).contains("a bid's amount"));
        let long = "é".repeat(MAX_TEXT_CHARS + 1);
        assert_eq!(refused(page(vec![bid_json(1, &long)])), "a bid's proposal was longer than 100000 characters");
        // Exactly at the limit, in characters (not bytes), is fine.
        assert!(decode_page::<Bid>(&page(vec![bid_json(1, &"é".repeat(MAX_TEXT_CHARS))]), 10).is_ok());
    }

    #[test]
    fn the_fuzz_targets_decoding_accepts_good_answers_and_survives_bad_ones() {
        assert_eq!(decode_every_way(&page(vec![bid_json(1, "p")]), 1), 1, "a page of bids, as bids only");
        assert_eq!(decode_every_way(&serde_json::to_vec(&bid_json(1, "p")).unwrap(), 1), 1, "one bid");
        for bad in [&b""[..], b"{", b"{\"items\":[1,2,3]}", b"\xff\xfe", b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["]
        {
            assert_eq!(decode_every_way(bad, 2), 0);
        }
    }

    #[test]
    fn a_body_over_the_cap_is_refused_before_it_is_parsed() {
        let body = vec![b' '; MAX_RESPONSE_BYTES + 1];
        assert_eq!(decode_record::<Bid>(&body).unwrap_err().to_string(), "a response body exceeded 16 MiB");
    }
}
