//! Upwork GraphQL's JSON, private to the adapter, and how each shape maps
//! onto Bidwell's wire types. Every field the adapter does not need to
//! identify a record is optional; unknown fields are ignored. Every mapped
//! record is held to the crate's limits (`WireBounds`) by the caller.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;

use crate::error::MarketError;
use crate::freelancer::money::{exponent, to_minor};
use crate::wire::{Bid, BidStatus, Budget, BudgetType, Job, JobStatus, Money};

use super::walk::Key;

/// A GraphQL answer: `data` keyed by root field, and the `errors` array.
#[derive(Deserialize)]
pub(super) struct Answer {
    pub data: Option<serde_json::Map<String, serde_json::Value>>,
    pub errors: Option<Vec<GraphQlError>>,
}

#[derive(Deserialize)]
pub(super) struct GraphQlError {
    pub message: Option<String>,
    pub extensions: Option<Extensions>,
}

#[derive(Deserialize)]
pub(super) struct Extensions {
    pub code: Option<serde_json::Value>,
}

/// Upwork's `Money`: `rawValue` is decimal text ("1.23"), `currency` ISO 4217.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UpMoney {
    pub raw_value: String,
    pub currency: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PageInfo {
    /// `endCursor` is not needed: the walk resumes from the edges' own cursors.
    pub has_next_page: Option<bool>,
}

#[derive(Deserialize)]
pub(super) struct EdgeOf<N> {
    pub cursor: Option<String>,
    pub node: Option<N>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Connection<N> {
    pub edges: Option<Vec<EdgeOf<N>>>,
    pub page_info: Option<PageInfo>,
}

#[derive(Deserialize)]
pub(super) struct IdOnly {
    pub id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SkillName {
    pub name: Option<String>,
    pub pretty_name: Option<String>,
}

impl SkillName {
    fn label(self) -> Option<String> {
        self.pretty_name.or(self.name).filter(|s| !s.trim().is_empty())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SearchClient {
    pub company_org_uid: Option<String>,
}

/// `MarketplaceJobPostingSearchResult`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SearchNode {
    pub id: String,
    /// The posting's public id, as in its page's address (`~01…`).
    pub ciphertext: Option<String>,
    pub job: Option<IdOnly>,
    pub title: String,
    pub description: Option<String>,
    pub amount: Option<UpMoney>,
    pub hourly_budget_type: Option<String>,
    pub hourly_budget_min: Option<UpMoney>,
    pub hourly_budget_max: Option<UpMoney>,
    pub skills: Option<Vec<SkillName>>,
    pub client: Option<SearchClient>,
    pub created_date_time: Option<String>,
    pub published_date_time: Option<String>,
}

/// `MarketplaceJobPosting` (one posting by id).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Posting {
    pub id: String,
    pub work_flow_state: Option<WorkFlowState>,
    pub content: Option<Content>,
    pub classification: Option<Classification>,
    pub contract_terms: Option<ContractTerms>,
    pub client_company_public: Option<IdOnly>,
}

/// `MarketplaceJobPostingsContents`, for its publish time.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Contents {
    pub id: String,
    pub ciphertext: Option<String>,
    pub published_date_time: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct WorkFlowState {
    pub status: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct Content {
    pub title: Option<String>,
    pub description: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct Classification {
    pub skills: Option<Vec<SkillName>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ContractTerms {
    pub contract_type: Option<String>,
    pub fixed_price_contract_terms: Option<FixedTerms>,
    pub hourly_contract_terms: Option<HourlyTerms>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FixedTerms {
    pub amount: Option<UpMoney>,
    pub max_amount: Option<UpMoney>,
}

/// Plain numbers here (no currency), unlike the search result's `Money`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct HourlyTerms {
    pub hourly_budget_min: Option<f64>,
    pub hourly_budget_max: Option<f64>,
}

/// `VendorProposal`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Proposal {
    pub id: String,
    pub marketplace_job_posting: Option<IdOnly>,
    pub terms: Option<Terms>,
    pub cover_letter: Option<String>,
    pub proposal_cover_letter: Option<String>,
    pub audit_details: Option<AuditDetails>,
    pub status: Option<StatusOf>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Terms {
    pub charge_rate: Option<UpMoney>,
    pub upfront_payment_percent: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AuditDetails {
    pub created_date_time: Option<String>,
    pub modified_date_time: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct StatusOf {
    pub status: Option<String>,
}

/// The currency of hourly rates in a posting's contract terms, which carry
/// plain numbers: Upwork prices hourly work in US dollars.
const HOURLY_TERMS_CURRENCY: &str = "USD";

fn invalid(what: &str) -> MarketError {
    MarketError::invalid_response(what)
}

/// Decimal text in major units ("1.23", "1500", "0.0") as minor units of
/// `currency`, exactly: the digits are shifted by the currency's ISO 4217
/// exponent, never computed in floating point. Places beyond the
/// currency's are accepted only when they are zeros.
pub(super) fn decimal_to_minor(raw: &str, currency: &str) -> Result<i64, MarketError> {
    let raw = raw.trim();
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 15 || !digits(whole) || !digits(fraction) {
        return Err(invalid("an amount that is not a decimal number"));
    }
    let places = exponent(currency) as usize;
    let (kept, extra) = fraction.split_at(fraction.len().min(places));
    if extra.bytes().any(|b| b != b'0') {
        return Err(invalid("an amount with more decimal places than its currency has"));
    }
    let minor: i64 = format!("{whole}{kept:0<places$}").parse().map_err(|_| invalid("an amount out of range"))?;
    if minor > crate::bounds::MAX_AMOUNT_MINOR {
        return Err(invalid("an amount out of range"));
    }
    Ok(minor)
}

impl UpMoney {
    fn to_money(&self) -> Result<Money, MarketError> {
        let currency = self.currency.trim().to_ascii_uppercase();
        Ok(Money { amount_minor: decimal_to_minor(&self.raw_value, &currency)?, currency })
    }
}

/// Upwork's times: RFC 3339 ("2026-01-05T09:00:00.000Z"), or an offset
/// without a colon ("…+0000", as its filter documentation writes them), or
/// milliseconds since 1970 as text.
pub(super) fn parse_time(text: &str) -> Result<DateTime<Utc>, MarketError> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z"] {
        if let Ok(at) = DateTime::parse_from_str(text, format) {
            return Ok(at.with_timezone(&Utc));
        }
    }
    if let Ok(at) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
        return Ok(at.and_utc());
    }
    if let Ok(ms) = text.parse::<i64>() {
        if let Some(at) = DateTime::from_timestamp_millis(ms) {
            return Ok(at);
        }
    }
    Err(invalid("a date and time"))
}

fn labels(skills: Option<Vec<SkillName>>) -> Vec<String> {
    skills.unwrap_or_default().into_iter().filter_map(SkillName::label).collect()
}

impl SearchNode {
    /// The posting's id: the linked posting's (what proposals name), else the result's.
    pub fn posting_id(&self) -> &str {
        self.job.as_ref().map_or(self.id.as_str(), |j| j.id.as_str())
    }

    /// (publish time in ms, posting id): the search's newest-first order.
    pub fn key(&self) -> Result<Key, MarketError> {
        let at = self.published_date_time.as_deref().or(self.created_date_time.as_deref());
        let at = parse_time(at.ok_or_else(|| invalid("a posting without a publish time"))?)?;
        Ok((at.timestamp_millis(), self.posting_id().to_owned()))
    }

    /// `website`: where job pages are ([`job_page`]).
    pub fn into_job(self, website: &str) -> Result<Job, MarketError> {
        let (at, id) = self.key()?;
        let posted_at = DateTime::from_timestamp_millis(at).ok_or_else(|| invalid("a date and time"))?;
        let hourly = self.hourly_budget_min.is_some() || self.hourly_budget_type.is_some();
        let budget = if hourly {
            let min = self.hourly_budget_min.as_ref().map(UpMoney::to_money).transpose()?;
            let max = self.hourly_budget_max.as_ref().map(UpMoney::to_money).transpose()?;
            budget(BudgetType::Hourly, min, max)?
        } else {
            let amount = self.amount.as_ref().map(UpMoney::to_money).transpose()?;
            budget(BudgetType::Fixed, amount.clone(), amount)?
        };
        Ok(Job {
            id,
            title: self.title,
            description: self.description.unwrap_or_default(),
            budget,
            skills: labels(self.skills),
            client_id: self.client.and_then(|c| c.company_org_uid).unwrap_or_default(),
            posted_at,
            status: JobStatus::Open,
            updated_at: posted_at,
            url: job_page(website, self.ciphertext.as_deref()),
        })
    }
}

/// A budget from its bounds, which must agree on the currency. None at all
/// is a budget of 0 US dollars (Upwork sends `amount` 0 for hourly jobs
/// without a rate, and the wire type has no "unknown").
fn budget(kind: BudgetType, min: Option<Money>, max: Option<Money>) -> Result<Budget, MarketError> {
    let currency = min.as_ref().or(max.as_ref()).map_or_else(|| "USD".to_owned(), |m| m.currency.clone());
    if max.as_ref().is_some_and(|m| m.currency != currency) {
        return Err(invalid("a budget in two currencies"));
    }
    Ok(Budget { kind, min_minor: min.map_or(0, |m| m.amount_minor), max_minor: max.map(|m| m.amount_minor), currency })
}

impl Posting {
    /// `posted_at` comes from elsewhere: this object carries no publish time.
    pub fn into_job(
        self,
        posted_at: DateTime<Utc>,
        client_id: Option<String>,
        url: Option<String>,
    ) -> Result<Job, MarketError> {
        let content = self.content.ok_or_else(|| invalid("a posting without content"))?;
        let terms = self.contract_terms;
        let hourly = terms.as_ref().is_some_and(|t| {
            t.contract_type.as_deref().is_some_and(|c| c.eq_ignore_ascii_case("HOURLY"))
                || t.hourly_contract_terms.is_some()
        });
        let budget = if hourly {
            let rates = terms.and_then(|t| t.hourly_contract_terms);
            let rate = |value: Option<f64>| -> Result<Option<Money>, MarketError> {
                value
                    .map(|v| {
                        to_minor(v, HOURLY_TERMS_CURRENCY)
                            .map(|amount_minor| Money { amount_minor, currency: HOURLY_TERMS_CURRENCY.to_owned() })
                            .map_err(|_| invalid("an hourly rate"))
                    })
                    .transpose()
            };
            budget(
                BudgetType::Hourly,
                rate(rates.as_ref().and_then(|r| r.hourly_budget_min))?,
                rate(rates.as_ref().and_then(|r| r.hourly_budget_max))?,
            )?
        } else {
            let fixed = terms.and_then(|t| t.fixed_price_contract_terms);
            let amount = fixed.as_ref().and_then(|f| f.amount.as_ref()).map(UpMoney::to_money).transpose()?;
            let max = fixed.as_ref().and_then(|f| f.max_amount.as_ref()).map(UpMoney::to_money).transpose()?;
            let max = max.or_else(|| amount.clone());
            budget(BudgetType::Fixed, amount, max)?
        };
        let open = self
            .work_flow_state
            .and_then(|w| w.status)
            .is_some_and(|s| matches!(s.to_ascii_uppercase().as_str(), "PUBLISHED" | "ACTIVE" | "OPEN"));
        Ok(Job {
            id: self.id,
            title: content.title.unwrap_or_default(),
            description: content.description.unwrap_or_default(),
            budget,
            skills: labels(self.classification.and_then(|c| c.skills)),
            client_id: self.client_company_public.map(|c| c.id).or(client_id).unwrap_or_default(),
            posted_at,
            status: if open { JobStatus::Open } else { JobStatus::Closed },
            updated_at: posted_at,
            url,
        })
    }
}

/// Upwork's proposal status names (not public: these are the reference
/// server's, with the obvious other spellings) onto Bidwell's bid statuses.
/// An unknown one is an invalid answer, not a guess.
fn bid_status(status: &str) -> Result<BidStatus, MarketError> {
    Ok(match status.to_ascii_uppercase().as_str() {
        "PENDING" | "SUBMITTED" => BidStatus::Submitted,
        "ACTIVATED" | "ACTIVE" | "INTERVIEWING" => BidStatus::Shortlisted,
        "OFFERED" | "ACCEPTED" | "HIRED" => BidStatus::Awarded,
        "DECLINED" | "REJECTED" | "ARCHIVED" => BidStatus::Rejected,
        "WITHDRAWN" => BidStatus::Withdrawn,
        _ => return Err(invalid("a proposal status this adapter does not know")),
    })
}

impl Proposal {
    fn created(&self) -> Result<DateTime<Utc>, MarketError> {
        let text = self.audit_details.as_ref().and_then(|a| a.created_date_time.as_deref());
        parse_time(text.ok_or_else(|| invalid("a proposal without a creation time"))?)
    }

    /// (creation time in ms, id): `vendorProposals`' oldest-first order.
    pub fn key(&self) -> Result<Key, MarketError> {
        Ok((self.created()?.timestamp_millis(), self.id.clone()))
    }

    pub fn into_bid(self) -> Result<Bid, MarketError> {
        let created_at = self.created()?;
        let updated_at = match self.audit_details.as_ref().and_then(|a| a.modified_date_time.as_deref()) {
            Some(text) => parse_time(text)?.max(created_at),
            None => created_at,
        };
        let job_id =
            self.marketplace_job_posting.map(|j| j.id).ok_or_else(|| invalid("a proposal without its job posting"))?;
        let status = bid_status(self.status.and_then(|s| s.status).as_deref().unwrap_or(""))?;
        let terms = self.terms;
        let amount = match terms.as_ref().and_then(|t| t.charge_rate.as_ref()) {
            Some(rate) => rate.to_money()?,
            None => Money { amount_minor: 0, currency: "USD".to_owned() },
        };
        let upfront = terms.and_then(|t| t.upfront_payment_percent).unwrap_or(0.0);
        if !(0.0..=100.0).contains(&upfront) || upfront.fract() != 0.0 {
            return Err(invalid("an upfront payment percentage"));
        }
        Ok(Bid {
            id: self.id,
            job_id,
            amount,
            // Upwork's proposals carry a duration label, not days.
            period_days: 0,
            milestone_percentage: upfront as u8,
            proposal: self.proposal_cover_letter.or(self.cover_letter).unwrap_or_default(),
            status,
            // The last change in milliseconds: later changes are higher versions.
            version: u64::try_from(updated_at.timestamp_millis()).unwrap_or(0).max(1),
            created_at,
            updated_at,
        })
    }
}

/// A posting's page under `website` (ending in `/`), from its public id (`~01…`).
pub(super) fn job_page(website: &str, ciphertext: Option<&str>) -> Option<String> {
    let id = ciphertext?.trim();
    let ok = id.starts_with('~') && id.len() <= 64 && id[1..].chars().all(|c| c.is_ascii_alphanumeric());
    ok.then(|| format!("{website}jobs/{id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_values_become_minor_units_exactly() {
        assert_eq!(decimal_to_minor("123.45", "USD").unwrap(), 12_345);
        assert_eq!(decimal_to_minor("0.29", "usd").unwrap(), 29);
        assert_eq!(decimal_to_minor("250", "USD").unwrap(), 25_000);
        assert_eq!(decimal_to_minor("0.0", "USD").unwrap(), 0);
        assert_eq!(decimal_to_minor("1500", "JPY").unwrap(), 1_500);
        assert_eq!(decimal_to_minor("1500.00", "JPY").unwrap(), 1_500);
        assert_eq!(decimal_to_minor("1.234", "KWD").unwrap(), 1_234);
        assert_eq!(decimal_to_minor("10.50000", "EUR").unwrap(), 1_050);
        for bad in ["10.005", "-1", "1e3", "", ".5", "1,5", "12345678901234567"] {
            assert!(decimal_to_minor(bad, "USD").is_err(), "{bad}");
        }
        assert!(decimal_to_minor("10.5", "JPY").is_err());
    }

    #[test]
    fn times_in_the_forms_upwork_writes_them() {
        let at = parse_time("2026-01-05T09:00:00.123Z").unwrap();
        assert_eq!(at.timestamp_millis(), 1_767_603_600_123);
        assert_eq!(parse_time("2026-01-05T09:00:00.123+0000").unwrap(), at);
        assert_eq!(parse_time("1767603600123").unwrap(), at);
        assert!(parse_time("yesterday").is_err());
    }

    #[test]
    fn statuses_map_and_unknown_ones_are_refused() {
        assert_eq!(bid_status("PENDING").unwrap(), BidStatus::Submitted);
        assert_eq!(bid_status("Activated").unwrap(), BidStatus::Shortlisted);
        assert_eq!(bid_status("HIRED").unwrap(), BidStatus::Awarded);
        assert_eq!(bid_status("ARCHIVED").unwrap(), BidStatus::Rejected);
        assert_eq!(bid_status("WITHDRAWN").unwrap(), BidStatus::Withdrawn);
        assert!(bid_status("SOMETHING_NEW").is_err());
    }
}
