//! The Upwork-style marketplace's data: job postings and the signed-in
//! freelancer's proposals, seeded the same for the same seed. Plain data
//! with no I/O; the routes lock it, call one method and shape the answer.
//! Amounts are kept as the decimal text Upwork's `Money.rawValue` carries,
//! never as floats.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use bidwell_marketplace::wire::BudgetType;

/// First posting id: Upwork's ids are long numbers sent as strings; all of
/// this server's have 19 digits, so ordering them as text orders them as numbers.
const FIRST_POSTING: u64 = 1_780_000_000_000_000_001;
const FIRST_PROPOSAL: u64 = 1_690_000_000_000_000_001;

/// A job posting as the server keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Posting {
    pub id: String,
    pub title: String,
    pub description: String,
    /// ISO 4217 code of every amount of the posting.
    pub currency: String,
    /// Fixed price: the budget (`amount`), major units as decimal text.
    pub amount: Option<String>,
    pub max_amount: Option<String>,
    /// Hourly: the rate range, major units as decimal text.
    pub hourly_min: Option<String>,
    pub hourly_max: Option<String>,
    pub skills: Vec<String>,
    /// The client's organization id (`client.companyOrgUid`).
    pub client_org: String,
    pub client_country: String,
    pub client_payment_verified: bool,
    pub created: DateTime<Utc>,
    pub published: DateTime<Utc>,
    /// Closed postings leave the search; `marketplaceJobPosting` still shows them.
    pub open: bool,
}

impl Posting {
    pub fn is_hourly(&self) -> bool {
        self.hourly_min.is_some()
    }
}

/// What a test posts with [`crate::upwork::UpworkSim::post_posting`].
#[derive(Debug, Clone)]
pub struct NewPosting {
    pub title: String,
    pub description: String,
    pub currency: String,
    /// Fixed price in major units as decimal text ("250.00"); `None` for hourly.
    pub amount: Option<String>,
    pub max_amount: Option<String>,
    pub hourly_min: Option<String>,
    pub hourly_max: Option<String>,
    pub skills: Vec<String>,
}

impl Default for NewPosting {
    fn default() -> NewPosting {
        NewPosting {
            title: "Build a landing page".to_owned(),
            description: "A one-page site with a contact form.".to_owned(),
            currency: "USD".to_owned(),
            amount: Some("500.00".to_owned()),
            max_amount: None,
            hourly_min: None,
            hourly_max: None,
            skills: vec!["HTML".to_owned(), "CSS".to_owned()],
        }
    }
}

/// A proposal's status, as `status { status }` spells it. The names are
/// invented (the public schema dump lists the type without its values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProposalStatus {
    /// Submitted, not yet acted on by the client.
    Pending,
    /// The client engaged (messaged, interviewing).
    Activated,
    /// The client sent an offer.
    Offered,
    Hired,
    Declined,
    Withdrawn,
    /// The posting closed without this proposal being hired.
    Archived,
}

impl ProposalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProposalStatus::Pending => "PENDING",
            ProposalStatus::Activated => "ACTIVATED",
            ProposalStatus::Offered => "OFFERED",
            ProposalStatus::Hired => "HIRED",
            ProposalStatus::Declined => "DECLINED",
            ProposalStatus::Withdrawn => "WITHDRAWN",
            ProposalStatus::Archived => "ARCHIVED",
        }
    }

    pub const ALL: [ProposalStatus; 7] = [
        ProposalStatus::Pending,
        ProposalStatus::Activated,
        ProposalStatus::Offered,
        ProposalStatus::Hired,
        ProposalStatus::Declined,
        ProposalStatus::Withdrawn,
        ProposalStatus::Archived,
    ];

    pub fn parse(text: &str) -> Option<ProposalStatus> {
        ProposalStatus::ALL.into_iter().find(|s| s.as_str().eq_ignore_ascii_case(text))
    }
}

/// A proposal of the signed-in freelancer (placed on upwork.com, never over the API).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    pub id: String,
    pub job_posting_id: String,
    pub freelancer_id: u64,
    pub status: ProposalStatus,
    /// `terms.chargeRate`: major units as decimal text, and its currency.
    pub charge_rate: Option<(String, String)>,
    pub upfront_payment_percent: Option<u8>,
    pub cover_letter: String,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
}

/// What a test places with [`crate::upwork::UpworkSim::add_proposal`]: the
/// user bidding on upwork.com.
#[derive(Debug, Clone)]
pub struct NewProposal {
    pub job_posting_id: String,
    /// Major units as decimal text; the currency is the posting's.
    pub charge_rate: Option<String>,
    pub upfront_payment_percent: Option<u8>,
    pub cover_letter: String,
}

/// Filters and paging of a postings search.
#[derive(Debug, Clone, Default)]
pub(crate) struct SearchQuery {
    pub words: Option<String>,
    pub skills: Vec<String>,
    pub offset: usize,
    pub first: usize,
}

/// Filters and paging of `vendorProposals`.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProposalQuery {
    pub status: Option<ProposalStatus>,
    pub job_posting_ids: Vec<String>,
    pub newest_first: bool,
    pub offset: usize,
    pub first: usize,
}

/// RFC 3339 with milliseconds and `Z`.
pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Upwork's `Money`: decimal text, ISO code, and a display string.
pub(crate) fn money(raw: &str, currency: &str) -> Value {
    let sign = match currency {
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        _ => "",
    };
    json!({ "rawValue": raw, "currency": currency, "displayValue": format!("{sign}{raw}") })
}

/// Minor units as decimal major-unit text with two places (the seed's
/// currencies all have two).
fn decimal(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

const SAVED_FORMAT: &str = "bidwell-market-sim-upwork-state";
const SAVED_VERSION: u32 = 1;

/// The state file's JSON: everything but the OAuth server's tokens.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedUp {
    format: String,
    version: u32,
    self_user_id: u64,
    postings: Vec<Posting>,
    proposals: Vec<Proposal>,
    next_posting: u64,
    next_proposal: u64,
}

pub(crate) struct UpState {
    pub self_user_id: u64,
    pub postings: BTreeMap<String, Posting>,
    pub proposals: BTreeMap<String, Proposal>,
    next_posting: u64,
    next_proposal: u64,
}

impl UpState {
    /// `postings` seeded postings (about one in ten closed), and proposals of
    /// the user on every seventh one.
    pub fn new(seed: u64, postings: usize, self_user_id: u64) -> UpState {
        let mut rng = crate::seed::rng(seed ^ 0x0b0a_770c);
        let orgs: Vec<String> = (0..crate::seed::employer_count(postings))
            .map(|i| format!("{}", 1_500_000_000_000_000_000u64 + i as u64))
            .collect();
        let mut state = UpState {
            self_user_id,
            postings: BTreeMap::new(),
            proposals: BTreeMap::new(),
            next_posting: FIRST_POSTING,
            next_proposal: FIRST_PROPOSAL,
        };
        for number in 1..=postings as u64 {
            let job = crate::seed::job(&mut rng, number, &orgs);
            // Upwork budgets are in dollars; the seed's INR budgets are 80 times larger.
            let usd = |minor: i64| if job.budget.currency == "INR" { minor / 80 } else { minor };
            let min = decimal(usd(job.budget.min_minor).max(100));
            let max = job.budget.max_minor.map(|m| decimal(usd(m)));
            let hourly = job.budget.kind == BudgetType::Hourly;
            let id = state.next_posting.to_string();
            state.next_posting += 1;
            let published = job.posted_at + Duration::milliseconds(rng.gen_range(0..60_000));
            state.postings.insert(
                id.clone(),
                Posting {
                    id,
                    title: job.title,
                    description: job.description,
                    currency: "USD".to_owned(),
                    amount: (!hourly).then(|| min.clone()),
                    max_amount: if hourly { None } else { max.clone() },
                    hourly_min: hourly.then(|| min.clone()),
                    hourly_max: if hourly { max } else { None },
                    skills: job.skills,
                    client_org: job.client_id,
                    client_country: ["US", "GB", "DE", "AU", "CA"][rng.gen_range(0..5)].to_owned(),
                    client_payment_verified: rng.gen_bool(0.8),
                    created: published - Duration::minutes(rng.gen_range(5..90)),
                    published,
                    open: rng.gen_bool(0.9),
                },
            );
        }
        let ids: Vec<String> = state.postings.keys().cloned().collect();
        for (n, id) in ids.iter().enumerate() {
            if n % 7 != 3 {
                continue;
            }
            let posting = &state.postings[id];
            let rate = posting.hourly_min.clone().or_else(|| posting.amount.clone());
            let at = posting.published + Duration::hours(rng.gen_range(1..48));
            let status = ProposalStatus::ALL[rng.gen_range(0..ProposalStatus::ALL.len())];
            let new = NewProposal {
                job_posting_id: id.clone(),
                charge_rate: rate,
                upfront_payment_percent: (!posting.is_hourly()).then_some(20),
                cover_letter: "I have delivered similar work before and can start this week.".to_owned(),
            };
            let proposal = state.add_proposal(new, at).expect("a seeded posting");
            state.set_proposal_status(&proposal.id, status, at + Duration::hours(2));
        }
        state
    }

    /// The state file's bytes (JSON).
    pub fn to_saved(&self) -> Vec<u8> {
        let saved = SavedUp {
            format: SAVED_FORMAT.to_owned(),
            version: SAVED_VERSION,
            self_user_id: self.self_user_id,
            postings: self.postings.values().cloned().collect(),
            proposals: self.proposals.values().cloned().collect(),
            next_posting: self.next_posting,
            next_proposal: self.next_proposal,
        };
        serde_json::to_vec(&saved).expect("the state serializes")
    }

    /// The state a state file's bytes hold; why not, for the error.
    pub fn from_saved(bytes: &[u8]) -> Result<UpState, String> {
        let head: serde_json::Map<String, Value> =
            serde_json::from_slice(bytes).map_err(|e| format!("not JSON ({e})"))?;
        if head.get("format").and_then(Value::as_str) != Some(SAVED_FORMAT) {
            return Err(format!("not a {SAVED_FORMAT} file"));
        }
        if head.get("version").and_then(Value::as_u64) != Some(u64::from(SAVED_VERSION)) {
            return Err(format!("unsupported version (this server reads version {SAVED_VERSION})"));
        }
        let saved: SavedUp = serde_json::from_slice(bytes).map_err(|e| format!("malformed ({e})"))?;
        Ok(UpState {
            self_user_id: saved.self_user_id,
            postings: saved.postings.into_iter().map(|p| (p.id.clone(), p)).collect(),
            proposals: saved.proposals.into_iter().map(|p| (p.id.clone(), p)).collect(),
            next_posting: saved.next_posting,
            next_proposal: saved.next_proposal,
        })
    }

    // ----- postings -----

    /// Open postings matching the query, newest published first (then the
    /// higher id first), and how many there are.
    pub fn search(&self, query: &SearchQuery) -> (Vec<&Posting>, usize) {
        let words: Vec<String> =
            query.words.as_deref().unwrap_or("").split_whitespace().map(str::to_lowercase).collect();
        let mut matching: Vec<&Posting> = self
            .postings
            .values()
            .filter(|p| p.open)
            .filter(|p| {
                let text = format!("{} {}", p.title, p.description).to_lowercase();
                words.iter().all(|w| text.contains(w.as_str()))
            })
            .filter(|p| {
                query.skills.is_empty()
                    || query.skills.iter().any(|want| p.skills.iter().any(|s| s.eq_ignore_ascii_case(want)))
            })
            .collect();
        matching.sort_by(|a, b| b.published.cmp(&a.published).then(b.id.cmp(&a.id)));
        let total = matching.len();
        (matching.into_iter().skip(query.offset).take(query.first).collect(), total)
    }

    fn applied(&self, posting_id: &str) -> bool {
        self.proposals.values().any(|p| p.job_posting_id == posting_id && p.freelancer_id == self.self_user_id)
    }

    /// A search result (`MarketplaceJobPostingSearchResult`).
    pub fn search_node(&self, p: &Posting) -> Value {
        let applicants = self.proposals.values().filter(|x| x.job_posting_id == p.id).count();
        let amount = p.amount.as_deref().unwrap_or("0.0");
        json!({
            "id": p.id,
            "job": { "id": p.id },
            "title": p.title,
            "description": p.description,
            "ciphertext": ciphertext(p),
            "recordNumber": p.id,
            "amount": money(amount, &p.currency),
            "hourlyBudgetType": if p.is_hourly() { json!("DEFAULT") } else { Value::Null },
            "hourlyBudgetMin": p.hourly_min.as_deref().map_or(Value::Null, |m| money(m, &p.currency)),
            "hourlyBudgetMax": p.hourly_max.as_deref().map_or(Value::Null, |m| money(m, &p.currency)),
            "weeklyBudget": null,
            "engagement": if p.is_hourly() { json!("Less than 30 hrs/week") } else { Value::Null },
            "experienceLevel": "INTERMEDIATE",
            "freelancersToHire": 1,
            "totalFreelancersToHire": 1,
            "enterprise": false,
            "premium": false,
            "applied": self.applied(&p.id),
            "totalApplicants": applicants,
            "createdDateTime": timestamp(p.created),
            "publishedDateTime": timestamp(p.published),
            "renewedDateTime": null,
            "skills": p.skills.iter().map(|s| json!({ "name": s.to_lowercase().replace(' ', "-"), "prettyName": s })).collect::<Vec<_>>(),
            "client": {
                "companyOrgUid": p.client_org,
                "totalHires": 3,
                "totalPostedJobs": 5,
                "totalSpent": money("1250.00", "USD"),
                "verificationStatus": if p.client_payment_verified { "VERIFIED" } else { "NOT_VERIFIED" },
                "location": { "country": p.client_country },
                "totalReviews": 2,
                "totalFeedback": 4.8,
                "hasFinancialPrivacy": false,
            },
        })
    }

    /// One posting (`MarketplaceJobPosting`), open or closed.
    pub fn posting_node(&self, p: &Posting) -> Value {
        let contract_terms = if p.is_hourly() {
            json!({
                "contractType": "HOURLY",
                "personsToHire": 1,
                "hourlyContractTerms": {
                    "engagementType": "PART_TIME",
                    "hourlyBudgetType": "DEFAULT",
                    // Plain numbers here, not Money (as the schema has them).
                    "hourlyBudgetMin": p.hourly_min.as_deref().and_then(|m| m.parse::<f64>().ok()),
                    "hourlyBudgetMax": p.hourly_max.as_deref().and_then(|m| m.parse::<f64>().ok()),
                },
                "fixedPriceContractTerms": null,
            })
        } else {
            json!({
                "contractType": "FIXED_PRICE",
                "personsToHire": 1,
                "fixedPriceContractTerms": {
                    "amount": money(p.amount.as_deref().unwrap_or("0.0"), &p.currency),
                    "maxAmount": p.max_amount.as_deref().map_or(Value::Null, |m| money(m, &p.currency)),
                },
                "hourlyContractTerms": null,
            })
        };
        json!({
            "id": p.id,
            "workFlowState": { "status": if p.open { "PUBLISHED" } else { "CLOSED" }, "closeResult": if p.open { Value::Null } else { json!("1") } },
            "content": { "title": p.title, "description": p.description },
            "classification": { "skills": p.skills.iter().map(|s| json!({ "prettyName": s })).collect::<Vec<_>>(), "additionalSkills": [] },
            "contractTerms": contract_terms,
            "clientCompanyPublic": { "id": p.client_org, "country": { "twoLetterAbbreviation": p.client_country } },
            "canClientReceiveContractProposal": p.open,
            "organizationIds": [p.client_org],
        })
    }

    /// `MarketplaceJobPostingsContents`: the text and publish time of a posting.
    pub fn contents_node(p: &Posting) -> Value {
        json!({
            "id": p.id,
            "ciphertext": ciphertext(p),
            "title": p.title,
            "description": p.description,
            "publishedDateTime": timestamp(p.published),
            "annotations": { "tags": [], "customFields": [] },
        })
    }

    pub fn post_posting(&mut self, new: NewPosting, now: DateTime<Utc>) -> Posting {
        // Newer than every posting so far, even if a test posts twice within a millisecond.
        let newest = self.postings.values().map(|p| p.published).max().unwrap_or(now);
        let published = now.max(newest + Duration::milliseconds(1));
        let id = self.next_posting.to_string();
        self.next_posting += 1;
        let org =
            self.postings.values().next().map_or_else(|| "1500000000000000000".to_owned(), |p| p.client_org.clone());
        let posting = Posting {
            id: id.clone(),
            title: new.title,
            description: new.description,
            currency: new.currency,
            amount: new.amount,
            max_amount: new.max_amount,
            hourly_min: new.hourly_min,
            hourly_max: new.hourly_max,
            skills: new.skills,
            client_org: org,
            client_country: "US".to_owned(),
            client_payment_verified: true,
            created: published,
            published,
            open: true,
        };
        self.postings.insert(id, posting.clone());
        posting
    }

    // ----- proposals -----

    pub fn add_proposal(&mut self, new: NewProposal, now: DateTime<Utc>) -> Result<Proposal, String> {
        let posting = self.postings.get(&new.job_posting_id).ok_or("no such posting")?;
        let id = self.next_proposal.to_string();
        self.next_proposal += 1;
        let proposal = Proposal {
            id: id.clone(),
            job_posting_id: posting.id.clone(),
            freelancer_id: self.self_user_id,
            status: ProposalStatus::Pending,
            charge_rate: new.charge_rate.map(|r| (r, posting.currency.clone())),
            upfront_payment_percent: new.upfront_payment_percent,
            cover_letter: new.cover_letter,
            created: now,
            modified: now,
        };
        self.proposals.insert(id, proposal.clone());
        Ok(proposal)
    }

    pub fn set_proposal_status(&mut self, id: &str, status: ProposalStatus, now: DateTime<Utc>) -> Option<Proposal> {
        let proposal = self.proposals.get_mut(id)?;
        proposal.status = status;
        // Always later than before, so a change is always newer.
        proposal.modified = now.max(proposal.modified + Duration::milliseconds(1));
        Some(proposal.clone())
    }

    /// The user's proposals in creation order (oldest first unless asked otherwise).
    pub fn list_proposals(&self, user: u64, query: &ProposalQuery) -> (Vec<&Proposal>, usize) {
        let mut matching: Vec<&Proposal> = self
            .proposals
            .values()
            .filter(|p| p.freelancer_id == user)
            .filter(|p| query.status.is_none_or(|s| s == p.status))
            .filter(|p| query.job_posting_ids.is_empty() || query.job_posting_ids.contains(&p.job_posting_id))
            .collect();
        matching.sort_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)));
        if query.newest_first {
            matching.reverse();
        }
        let total = matching.len();
        (matching.into_iter().skip(query.offset).take(query.first).collect(), total)
    }

    pub fn proposal_node(p: &Proposal) -> Value {
        json!({
            "id": p.id,
            "user": { "id": p.freelancer_id.to_string() },
            "marketplaceJobPosting": { "id": p.job_posting_id },
            "terms": {
                "chargeRate": p.charge_rate.as_ref().map_or(Value::Null, |(raw, currency)| money(raw, currency)),
                "upfrontPaymentPercent": p.upfront_payment_percent,
            },
            "coverLetter": p.cover_letter,
            "proposalCoverLetter": p.cover_letter,
            "auditDetails": { "createdDateTime": timestamp(p.created), "modifiedDateTime": timestamp(p.modified) },
            "status": { "status": p.status.as_str() },
            "annotations": [],
        })
    }
}

/// A posting's public id, as in its page's address on the website.
pub(crate) fn ciphertext(p: &Posting) -> String {
    format!("~01{:x}", p.id.parse::<u64>().unwrap_or(0))
}
