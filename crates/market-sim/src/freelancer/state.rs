//! The Freelancer-style marketplace's data: users, projects, bids and
//! milestones, seeded the same for the same seed, with the refusals the
//! real API is known (or assumed, see docs/reference-marketplaces.md) to
//! make. Plain data with no I/O; the routes lock it, call one method and
//! wrap the answer in the envelope.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{json, Value};

use bidwell_marketplace::wire::BudgetType;

/// A refusal, as the envelope will carry it.
#[derive(Debug, Clone)]
pub(crate) struct FlFailure {
    pub status: u16,
    pub error_code: &'static str,
    pub message: String,
}

impl FlFailure {
    pub fn new(status: u16, error_code: &'static str, message: impl Into<String>) -> FlFailure {
        FlFailure { status, error_code, message: message.into() }
    }

    pub fn invalid(message: impl Into<String>) -> FlFailure {
        FlFailure::new(400, codes::INVALID_PARAMETERS, message)
    }
}

/// The `error_code` values. Where a public client of the real API shows
/// one it is used; the rest are named in the same style and marked so in
/// docs/reference-marketplaces.md.
pub mod codes {
    /// Seen in public clients of the real API (401).
    pub const NOT_AUTHENTICATED: &str = "RestExceptionCodes.NOT_AUTHENTICATED";
    /// Seen in public clients ("You have already bid on that project.").
    pub const DUPLICATE_BID: &str = "ProjectExceptionCodes.DUPLICATE_BID";
    /// Seen in a public fake of the real API.
    pub const PROJECT_NOT_FOUND: &str = "ProjectExceptionCodes.PROJECT_NOT_FOUND";
    /// Seen in a public fake of the real API.
    pub const NOT_FOUND: &str = "RestExceptionCodes.NOT_FOUND";
    /// Invented: bad or missing parameters.
    pub const INVALID_PARAMETERS: &str = "RestExceptionCodes.INVALID_PARAMETERS";
    /// Invented: acting for another user.
    pub const FORBIDDEN: &str = "RestExceptionCodes.FORBIDDEN";
    /// Invented: bidding on a project that no longer takes bids.
    pub const PROJECT_NOT_ACTIVE: &str = "ProjectExceptionCodes.PROJECT_NOT_ACTIVE";
    /// Invented: retracting a bid twice, or one that was awarded.
    pub const BID_NOT_RETRACTABLE: &str = "ProjectExceptionCodes.BID_NOT_RETRACTABLE";
    /// Invented: an action the reference server does not play.
    pub const UNSUPPORTED_ACTION: &str = "RestExceptionCodes.UNSUPPORTED_ACTION";
    /// Invented: injected faults.
    pub const INTERNAL_ERROR: &str = "RestExceptionCodes.INTERNAL_ERROR";
    /// Invented: a change that could not be saved to the state file.
    pub const UNAVAILABLE: &str = "RestExceptionCodes.SERVICE_UNAVAILABLE";
    pub const RATE_LIMITED: &str = "RestExceptionCodes.RATE_LIMITED";
    pub const TOO_LARGE: &str = "RestExceptionCodes.PAYLOAD_TOO_LARGE";
}

/// A currency as the projects carry it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Currency {
    pub id: u64,
    pub code: &'static str,
    pub sign: &'static str,
    pub name: &'static str,
    pub country: &'static str,
    /// Value of one unit in USD (fixed; only for a plausible `exchange_rate`).
    pub exchange_rate: f64,
    /// How many of this currency a USD-sized budget is worth.
    scale: f64,
}

/// The five currencies of the seeded projects. The ids are this server's.
pub const CURRENCIES: [Currency; 5] = [
    Currency { id: 1, code: "USD", sign: "$", name: "US Dollar", country: "US", exchange_rate: 1.0, scale: 1.0 },
    Currency {
        id: 3,
        code: "AUD",
        sign: "$",
        name: "Australian Dollar",
        country: "AU",
        exchange_rate: 0.66,
        scale: 1.5,
    },
    Currency { id: 4, code: "GBP", sign: "£", name: "British Pound", country: "UK", exchange_rate: 1.27, scale: 0.8 },
    Currency { id: 8, code: "EUR", sign: "€", name: "Euro", country: "EU", exchange_rate: 1.08, scale: 0.9 },
    Currency {
        id: 11, code: "INR", sign: "₹", name: "Indian Rupee", country: "IN", exchange_rate: 0.012, scale: 80.0
    },
];

impl Currency {
    pub fn by_code(code: &str) -> Option<Currency> {
        CURRENCIES.iter().copied().find(|c| c.code.eq_ignore_ascii_case(code))
    }

    fn to_json(self) -> Value {
        json!({
            "id": self.id, "code": self.code, "sign": self.sign, "name": self.name,
            "country": self.country, "exchange_rate": self.exchange_rate,
        })
    }
}

/// A project's state, as the `status` field spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProjectStatus {
    Active,
    Closed,
    Frozen,
}

/// A project as the server keeps it (and its state file, the currency by code).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub id: u64,
    pub owner_id: u64,
    pub title: String,
    pub description: String,
    #[serde(with = "currency_code")]
    pub currency: Currency,
    /// Major units of `currency`, as the API sends them.
    pub budget_min: f64,
    pub budget_max: Option<f64>,
    pub hourly: bool,
    pub status: ProjectStatus,
    pub time_submitted: i64,
    /// (id, name) of the skills ("jobs") the project asks for.
    pub jobs: Vec<(u64, String)>,
}

/// What a test posts with [`crate::freelancer::FreelancerSim::post_project`].
#[derive(Debug, Clone)]
pub struct NewProject {
    pub title: String,
    pub description: String,
    /// One of [`CURRENCIES`] by code.
    pub currency: String,
    pub budget_min: f64,
    pub budget_max: Option<f64>,
    pub hourly: bool,
    pub jobs: Vec<String>,
}

impl Default for NewProject {
    fn default() -> NewProject {
        NewProject {
            title: "Build a landing page".to_owned(),
            description: "A one-page site with a contact form.".to_owned(),
            currency: "USD".to_owned(),
            budget_min: 250.0,
            budget_max: Some(750.0),
            hourly: false,
            jobs: vec!["html".to_owned(), "css".to_owned()],
        }
    }
}

/// A bid as the server keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bid {
    pub id: u64,
    pub project_id: u64,
    pub project_owner_id: u64,
    pub bidder_id: u64,
    pub amount: f64,
    pub period: u32,
    pub milestone_percentage: u32,
    pub description: String,
    pub retracted: bool,
    /// `None`, `pending` (the employer awarded it, the bidder has not
    /// accepted yet), `awarded` (accepted), `rejected`, `revoked`.
    pub award_status: Option<String>,
    pub time_submitted: i64,
}

/// A milestone payment as the server keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Milestone {
    pub id: u64,
    pub project_id: u64,
    pub bid_id: u64,
    pub bidder_id: u64,
    pub project_owner_id: u64,
    pub amount: f64,
    #[serde(with = "currency_code")]
    pub currency: Currency,
    pub description: String,
    /// `frozen` (funded, held), `requested_release`, `cleared` (paid out), `cancelled`.
    pub status: String,
    /// The SDK's `MilestoneReason`: 0 full payment, 1 partial, 2 task description, 3 other.
    pub reason: u8,
    pub time_created: i64,
}

/// A user (employer or freelancer).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(into = "SavedUser")]
pub struct User {
    pub id: u64,
    pub username: String,
    pub display_name: String,
    pub country: String,
    /// `employer` or `freelancer`.
    pub role: &'static str,
    pub registration_date: i64,
    pub payment_verified: bool,
}

impl User {
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "username": self.username,
            "display_name": self.display_name,
            "public_name": self.display_name,
            "role": self.role,
            "chosen_role": self.role,
            "registration_date": self.registration_date,
            "limited_account": false,
            "location": { "country": { "name": self.country } },
            "status": { "payment_verified": self.payment_verified, "email_verified": true },
        })
    }
}

/// Which optional parts of a project to send (the API's detail flags).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Details {
    pub full_description: bool,
    pub job_details: bool,
    pub user_details: bool,
}

/// Filters and paging of a projects listing.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProjectQuery {
    pub query: Option<String>,
    pub active_only: bool,
    pub limit: usize,
    pub offset: usize,
}

/// Filters and paging of a bids or milestones listing.
#[derive(Debug, Clone, Default)]
pub(crate) struct IdQuery {
    pub projects: Vec<u64>,
    pub ids: Vec<u64>,
    pub bidders: Vec<u64>,
    pub limit: usize,
    pub offset: usize,
}

/// The body of `POST /api/projects/0.1/bids/`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BidRequest {
    pub project_id: u64,
    pub bidder_id: u64,
    pub amount: f64,
    pub period: u32,
    pub milestone_percentage: u32,
    pub description: String,
}

/// A currency in the state file: its code, one of [`CURRENCIES`].
mod currency_code {
    use super::*;

    pub fn serialize<S: Serializer>(currency: &Currency, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(currency.code)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Currency, D::Error> {
        let code = String::deserialize(d)?;
        Currency::by_code(&code).ok_or_else(|| serde::de::Error::custom(format!("unknown currency {code}")))
    }
}

/// A user in the state file (the role as text).
#[derive(Serialize, Deserialize)]
struct SavedUser {
    id: u64,
    username: String,
    display_name: String,
    country: String,
    role: String,
    registration_date: i64,
    payment_verified: bool,
}

impl From<User> for SavedUser {
    fn from(u: User) -> SavedUser {
        SavedUser {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            country: u.country,
            role: u.role.to_owned(),
            registration_date: u.registration_date,
            payment_verified: u.payment_verified,
        }
    }
}

// By hand: a derive would borrow `role` from the input for `'static`.
impl<'de> Deserialize<'de> for User {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<User, D::Error> {
        User::try_from(SavedUser::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl TryFrom<SavedUser> for User {
    type Error = String;

    fn try_from(u: SavedUser) -> Result<User, String> {
        let role = match u.role.as_str() {
            "employer" => "employer",
            "freelancer" => "freelancer",
            other => return Err(format!("unknown role {other}")),
        };
        Ok(User {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            country: u.country,
            role,
            registration_date: u.registration_date,
            payment_verified: u.payment_verified,
        })
    }
}

const SAVED_FORMAT: &str = "bidwell-market-sim-freelancer-state";
const SAVED_VERSION: u32 = 1;

/// The state file's JSON: everything but the OAuth server's tokens.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedFl {
    format: String,
    version: u32,
    self_user_id: u64,
    users: Vec<User>,
    projects: Vec<Project>,
    bids: Vec<Bid>,
    milestones: Vec<Milestone>,
    next_project: u64,
    next_bid: u64,
    next_milestone: u64,
}

/// First ids of each kind: sizes like the real ones, and distinct from one
/// another so a mixed-up id is a 404, not a wrong record.
const FIRST_EMPLOYER: u64 = 21_000_001;
const FIRST_FREELANCER: u64 = 27_000_001;
const FIRST_PROJECT: u64 = 40_000_001;
const FIRST_BID: u64 = 300_000_001;
const FIRST_MILESTONE: u64 = 9_000_001;

/// 2026-01-05 09:00 UTC: seeded times count from here, never from the clock.
fn epoch() -> i64 {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).single().expect("a valid date").timestamp()
}

/// A stable id for a skill name (FNV-1a), so the same skill has the same id everywhere.
fn job_id(name: &str) -> u64 {
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    1 + hash % 3000
}

fn round_to(value: f64, step: f64) -> f64 {
    (value / step).round() * step
}

pub(crate) struct FlState {
    pub self_user: User,
    pub users: BTreeMap<u64, User>,
    pub projects: BTreeMap<u64, Project>,
    pub bids: BTreeMap<u64, Bid>,
    pub milestones: BTreeMap<u64, Milestone>,
    next_project: u64,
    next_bid: u64,
    next_milestone: u64,
}

impl FlState {
    /// `projects` seeded projects (about one in eight closed, a few frozen),
    /// one employer per four, a handful of other freelancers who bid, and
    /// some bids and milestones of the user `self_id` on older projects.
    pub fn new(seed: u64, projects: usize, self_id: u64, self_username: &str) -> FlState {
        let mut rng = crate::seed::rng(seed ^ 0x0f1e_e1a0);
        let employers = crate::seed::employers(&mut rng, crate::seed::employer_count(projects));
        let mut users = BTreeMap::new();
        let mut owner_ids = Vec::new();
        for (i, e) in employers.iter().enumerate() {
            let id = FIRST_EMPLOYER + i as u64;
            owner_ids.push(id);
            let username: String = e.display_name.chars().filter(char::is_ascii_alphanumeric).collect();
            users.insert(
                id,
                User {
                    id,
                    username: format!("{}{}", username.to_lowercase(), i + 1),
                    display_name: e.display_name.clone(),
                    country: e.country.clone(),
                    role: "employer",
                    registration_date: e.member_since.timestamp(),
                    payment_verified: e.payment_verified,
                },
            );
        }
        let others: Vec<u64> = (0..6u64).map(|i| FIRST_FREELANCER + i).collect();
        for (i, &id) in others.iter().enumerate() {
            users.insert(
                id,
                User {
                    id,
                    username: format!("freelancer_{}", i + 1),
                    display_name: format!("Freelancer {}", i + 1),
                    country: ["IN", "PH", "PK", "UA", "BR", "NG"][i].to_owned(),
                    role: "freelancer",
                    registration_date: epoch() - 86_400 * (400 + 37 * i as i64),
                    payment_verified: true,
                },
            );
        }
        let self_user = User {
            id: self_id,
            username: self_username.to_owned(),
            display_name: "Bidwell Demo".to_owned(),
            country: "GB".to_owned(),
            role: "freelancer",
            registration_date: epoch() - 86_400 * 900,
            payment_verified: true,
        };
        users.insert(self_id, self_user.clone());

        let mut state = FlState {
            self_user,
            users,
            projects: BTreeMap::new(),
            bids: BTreeMap::new(),
            milestones: BTreeMap::new(),
            next_project: FIRST_PROJECT,
            next_bid: FIRST_BID,
            next_milestone: FIRST_MILESTONE,
        };
        for number in 1..=projects as u64 {
            let job = crate::seed::job(&mut rng, number, &owner_ids.iter().map(u64::to_string).collect::<Vec<_>>());
            let currency = CURRENCIES[rng.gen_range(0..CURRENCIES.len())];
            // The seed's budgets are USD-sized minor units (INR ones 80 times larger).
            let usd = |minor: i64| {
                let unscaled = if job.budget.currency == "INR" { minor as f64 / 80.0 } else { minor as f64 };
                unscaled / 100.0 * currency.scale
            };
            let step = if currency.code == "INR" { 100.0 } else { 5.0 };
            let budget_min = round_to(usd(job.budget.min_minor), step).max(step);
            let budget_max = job.budget.max_minor.map(|m| round_to(usd(m), step).max(budget_min));
            let status = match rng.gen_range(0..100) {
                0..=11 => ProjectStatus::Closed,
                12..=14 => ProjectStatus::Frozen,
                _ => ProjectStatus::Active,
            };
            let id = state.next_project;
            state.next_project += 1;
            state.projects.insert(
                id,
                Project {
                    id,
                    owner_id: job.client_id.parse().expect("owner ids are numbers"),
                    title: job.title,
                    description: job.description,
                    currency,
                    budget_min,
                    budget_max,
                    hourly: job.budget.kind == BudgetType::Hourly,
                    status,
                    time_submitted: job.posted_at.timestamp(),
                    jobs: job.skills.iter().map(|s| (job_id(s), s.clone())).collect(),
                },
            );
        }
        // Other freelancers' bids, so a project's bid list is not only ours.
        let ids: Vec<u64> = state.projects.keys().copied().collect();
        for &project_id in &ids {
            for &bidder in &others {
                if rng.gen_bool(0.25) {
                    state.seed_bid(&mut rng, project_id, bidder);
                }
            }
        }
        // Our own history: bids on every ninth project, some awarded with milestones.
        for (n, &project_id) in ids.iter().enumerate() {
            if n % 9 != 4 {
                continue;
            }
            let bid_id = state.seed_bid(&mut rng, project_id, self_id);
            if rng.gen_bool(0.4) {
                state.bids.get_mut(&bid_id).expect("just made").award_status = Some("awarded".to_owned());
                for part in 0..rng.gen_range(1..=2u32) {
                    let status = ["frozen", "cleared", "requested_release"][rng.gen_range(0..3)];
                    let milestone = state.add_milestone(bid_id, 0.5, &format!("Part {} of the work", part + 1));
                    if let Ok(m) = milestone {
                        state.milestones.get_mut(&m.id).expect("just made").status = status.to_owned();
                    }
                }
            }
        }
        state
    }

    fn seed_bid(&mut self, rng: &mut ChaCha8Rng, project_id: u64, bidder_id: u64) -> u64 {
        let project = &self.projects[&project_id];
        let top = project.budget_max.unwrap_or(project.budget_min * 2.0);
        let amount = round_to(rng.gen_range(project.budget_min..=top.max(project.budget_min + 1.0)), 1.0);
        let id = self.next_bid;
        self.next_bid += 1;
        let bid = Bid {
            id,
            project_id,
            project_owner_id: project.owner_id,
            bidder_id,
            amount,
            period: rng.gen_range(2..=30),
            milestone_percentage: [0, 20, 50, 100][rng.gen_range(0..4)],
            description: "I have delivered similar work before and can start this week.".to_owned(),
            retracted: false,
            award_status: None,
            time_submitted: project.time_submitted + rng.gen_range(600..86_400),
        };
        self.bids.insert(id, bid);
        id
    }

    /// The state file's bytes (JSON).
    pub fn to_saved(&self) -> Vec<u8> {
        let saved = SavedFl {
            format: SAVED_FORMAT.to_owned(),
            version: SAVED_VERSION,
            self_user_id: self.self_user.id,
            users: self.users.values().cloned().collect(),
            projects: self.projects.values().cloned().collect(),
            bids: self.bids.values().cloned().collect(),
            milestones: self.milestones.values().cloned().collect(),
            next_project: self.next_project,
            next_bid: self.next_bid,
            next_milestone: self.next_milestone,
        };
        serde_json::to_vec(&saved).expect("the state serializes")
    }

    /// The state a state file's bytes hold; why not, for the error.
    pub fn from_saved(bytes: &[u8]) -> Result<FlState, String> {
        let head: serde_json::Map<String, Value> =
            serde_json::from_slice(bytes).map_err(|e| format!("not JSON ({e})"))?;
        if head.get("format").and_then(Value::as_str) != Some(SAVED_FORMAT) {
            return Err(format!("not a {SAVED_FORMAT} file"));
        }
        if head.get("version").and_then(Value::as_u64) != Some(u64::from(SAVED_VERSION)) {
            return Err(format!("unsupported version (this server reads version {SAVED_VERSION})"));
        }
        let saved: SavedFl = serde_json::from_slice(bytes).map_err(|e| format!("malformed ({e})"))?;
        let users: BTreeMap<u64, User> = saved.users.into_iter().map(|u| (u.id, u)).collect();
        let self_user = users.get(&saved.self_user_id).cloned().ok_or("malformed (self_user_id is not a user)")?;
        Ok(FlState {
            self_user,
            users,
            projects: saved.projects.into_iter().map(|p| (p.id, p)).collect(),
            bids: saved.bids.into_iter().map(|b| (b.id, b)).collect(),
            milestones: saved.milestones.into_iter().map(|m| (m.id, m)).collect(),
            next_project: saved.next_project,
            next_bid: saved.next_bid,
            next_milestone: saved.next_milestone,
        })
    }

    // ----- projects -----

    /// Newest first (then the higher id first), as the real listing sorts by default.
    pub fn list_projects(&self, query: &ProjectQuery) -> (Vec<&Project>, usize) {
        let needle = query.query.as_deref().map(str::trim).filter(|q| !q.is_empty()).map(str::to_lowercase);
        let mut matching: Vec<&Project> = self
            .projects
            .values()
            .filter(|p| !query.active_only || p.status == ProjectStatus::Active)
            .filter(|p| {
                needle.as_ref().is_none_or(|n| {
                    n.split_whitespace().all(|word| {
                        p.title.to_lowercase().contains(word) || p.description.to_lowercase().contains(word)
                    })
                })
            })
            .collect();
        matching.sort_by(|a, b| b.time_submitted.cmp(&a.time_submitted).then(b.id.cmp(&a.id)));
        let total = matching.len();
        let page = matching.into_iter().skip(query.offset).take(query.limit).collect();
        (page, total)
    }

    pub fn project_json(&self, p: &Project, details: Details) -> Value {
        let preview: String = p.description.chars().take(140).collect();
        let bids: Vec<&Bid> = self.bids.values().filter(|b| b.project_id == p.id && !b.retracted).collect();
        let bid_avg =
            if bids.is_empty() { 0.0 } else { bids.iter().map(|b| b.amount).sum::<f64>() / bids.len() as f64 };
        let mut out = json!({
            "id": p.id,
            "owner_id": p.owner_id,
            "title": p.title,
            "status": p.status,
            "seo_url": format!("{}/{}", p.jobs.first().map(|j| j.1.as_str()).unwrap_or("project"), p.id),
            "currency": p.currency.to_json(),
            "preview_description": preview,
            "type": if p.hourly { "hourly" } else { "fixed" },
            "bidperiod": 7,
            "budget": { "minimum": p.budget_min, "maximum": p.budget_max },
            "submitdate": p.time_submitted,
            "time_submitted": p.time_submitted,
            "time_updated": p.time_submitted,
            "bid_stats": { "bid_count": bids.len(), "bid_avg": (bid_avg * 100.0).round() / 100.0 },
            "frontend_project_status": if p.status == ProjectStatus::Active { "open" } else { "closed" },
        });
        if details.full_description {
            out["description"] = json!(p.description);
        }
        if details.job_details {
            out["jobs"] = p.jobs.iter().map(|(id, name)| json!({ "id": id, "name": name })).collect();
        }
        out
    }

    /// `users` keyed by id for the owners of `projects` (JSON object keys are strings).
    pub fn users_json(&self, ids: impl IntoIterator<Item = u64>) -> Value {
        let mut out = serde_json::Map::new();
        for id in ids {
            if let Some(user) = self.users.get(&id) {
                out.insert(id.to_string(), user.to_json());
            }
        }
        Value::Object(out)
    }

    pub fn post_project(&mut self, new: NewProject, now: DateTime<Utc>) -> Result<Project, String> {
        let currency = Currency::by_code(&new.currency)
            .ok_or_else(|| format!("currency {}: not one of the five", new.currency))?;
        let owner_id = *self.users.keys().next().ok_or("no employer")?;
        // Newer than every project so far, even if a test posts twice within a second.
        let newest = self.projects.values().map(|p| p.time_submitted).max().unwrap_or(0);
        let id = self.next_project;
        self.next_project += 1;
        let project = Project {
            id,
            owner_id,
            title: new.title,
            description: new.description,
            currency,
            budget_min: new.budget_min,
            budget_max: new.budget_max,
            hourly: new.hourly,
            status: ProjectStatus::Active,
            time_submitted: now.timestamp().max(newest + 1),
            jobs: new.jobs.iter().map(|s| (job_id(s), s.clone())).collect(),
        };
        self.projects.insert(id, project.clone());
        Ok(project)
    }

    pub fn set_project_status(&mut self, id: u64, status: ProjectStatus) -> Option<Project> {
        let project = self.projects.get_mut(&id)?;
        project.status = status;
        Some(project.clone())
    }

    // ----- bids -----

    pub fn place_bid(&mut self, user_id: u64, request: BidRequest, now: DateTime<Utc>) -> Result<Bid, FlFailure> {
        if request.bidder_id != user_id {
            return Err(FlFailure::new(403, codes::FORBIDDEN, "bidder_id: you can only bid as yourself"));
        }
        let project = self
            .projects
            .get(&request.project_id)
            .ok_or_else(|| FlFailure::new(404, codes::PROJECT_NOT_FOUND, "Project not found"))?;
        if project.status != ProjectStatus::Active {
            return Err(FlFailure::new(409, codes::PROJECT_NOT_ACTIVE, "This project is not accepting bids."));
        }
        if !(request.amount.is_finite() && request.amount > 0.0) {
            return Err(FlFailure::invalid("amount: must be a positive number in the project's currency"));
        }
        if request.period == 0 || request.period > 365 {
            return Err(FlFailure::invalid("period: must be 1 to 365 days"));
        }
        if request.milestone_percentage > 100 {
            return Err(FlFailure::invalid("milestone_percentage: must be 0 to 100"));
        }
        if request.description.trim().is_empty() {
            return Err(FlFailure::invalid("description: required"));
        }
        // A retracted bid does not count: the bidder may bid again (an assumption, see the docs).
        if self.bids.values().any(|b| b.project_id == project.id && b.bidder_id == user_id && !b.retracted) {
            return Err(FlFailure::new(409, codes::DUPLICATE_BID, "You have already bid on that project."));
        }
        let id = self.next_bid;
        self.next_bid += 1;
        let bid = Bid {
            id,
            project_id: project.id,
            project_owner_id: project.owner_id,
            bidder_id: user_id,
            amount: request.amount,
            period: request.period,
            milestone_percentage: request.milestone_percentage,
            description: request.description,
            retracted: false,
            award_status: None,
            time_submitted: now.timestamp(),
        };
        self.bids.insert(id, bid.clone());
        Ok(bid)
    }

    /// Bids in id order (oldest first).
    pub fn list_bids(&self, query: &IdQuery) -> (Vec<&Bid>, usize) {
        let matching: Vec<&Bid> = self
            .bids
            .values()
            .filter(|b| query.projects.is_empty() || query.projects.contains(&b.project_id))
            .filter(|b| query.ids.is_empty() || query.ids.contains(&b.id))
            .filter(|b| query.bidders.is_empty() || query.bidders.contains(&b.bidder_id))
            .collect();
        let total = matching.len();
        (matching.into_iter().skip(query.offset).take(query.limit).collect(), total)
    }

    pub fn bid_json(bid: &Bid) -> Value {
        json!({
            "id": bid.id,
            "bidder_id": bid.bidder_id,
            "project_id": bid.project_id,
            "project_owner_id": bid.project_owner_id,
            "amount": bid.amount,
            "period": bid.period,
            "milestone_percentage": bid.milestone_percentage,
            "description": bid.description,
            "retracted": bid.retracted,
            "award_status": bid.award_status,
            "submitdate": bid.time_submitted,
            "time_submitted": bid.time_submitted,
            "highlighted": false,
            "sponsored": 0,
        })
    }

    /// `PUT bids/{id}/?action=...` by `user_id`.
    pub fn bid_action(&mut self, user_id: u64, id: u64, action: &str) -> Result<Bid, FlFailure> {
        let bid = self.bids.get_mut(&id).ok_or_else(|| FlFailure::new(404, codes::NOT_FOUND, "Bid not found"))?;
        match action {
            "retract" | "accept" if bid.bidder_id != user_id => {
                Err(FlFailure::new(403, codes::FORBIDDEN, "only the bidder can do that"))
            }
            "retract" => {
                if bid.retracted {
                    return Err(FlFailure::new(409, codes::BID_NOT_RETRACTABLE, "This bid is already retracted."));
                }
                if matches!(bid.award_status.as_deref(), Some("awarded")) {
                    return Err(FlFailure::new(
                        409,
                        codes::BID_NOT_RETRACTABLE,
                        "An accepted bid cannot be retracted.",
                    ));
                }
                bid.retracted = true;
                Ok(bid.clone())
            }
            "accept" => {
                if bid.award_status.as_deref() != Some("pending") || bid.retracted {
                    return Err(FlFailure::new(
                        409,
                        codes::UNSUPPORTED_ACTION,
                        "This bid has not been awarded to you.",
                    ));
                }
                bid.award_status = Some("awarded".to_owned());
                Ok(bid.clone())
            }
            "award" | "revoke" => Err(FlFailure::new(403, codes::FORBIDDEN, "only the project owner can do that")),
            "highlight" => {
                Err(FlFailure::new(400, codes::UNSUPPORTED_ACTION, "action: highlight is not played by this server"))
            }
            _ => Err(FlFailure::invalid("action: must be retract, accept, award, revoke or highlight")),
        }
    }

    /// The employer awards a bid (it then waits for the bidder to accept).
    pub fn award_bid(&mut self, id: u64) -> Option<Bid> {
        let bid = self.bids.get_mut(&id).filter(|b| !b.retracted)?;
        bid.award_status = Some("pending".to_owned());
        Some(bid.clone())
    }

    // ----- milestones -----

    /// The employer funds a milestone of `fraction` of the bid's amount.
    pub fn add_milestone(&mut self, bid_id: u64, fraction: f64, description: &str) -> Result<Milestone, String> {
        let bid = self.bids.get(&bid_id).ok_or("no such bid")?;
        let project = self.projects.get(&bid.project_id).ok_or("no such project")?;
        let id = self.next_milestone;
        self.next_milestone += 1;
        let milestone = Milestone {
            id,
            project_id: bid.project_id,
            bid_id,
            bidder_id: bid.bidder_id,
            project_owner_id: bid.project_owner_id,
            amount: (bid.amount * fraction * 100.0).round() / 100.0,
            currency: project.currency,
            description: description.to_owned(),
            status: "frozen".to_owned(),
            reason: 1,
            time_created: bid.time_submitted + 3 * 86_400 + id as i64 % 3600,
        };
        self.milestones.insert(id, milestone.clone());
        Ok(milestone)
    }

    /// Milestones the user is the bidder or employer of, in id order.
    pub fn list_milestones(&self, user_id: u64, query: &IdQuery) -> (Vec<&Milestone>, usize) {
        let matching: Vec<&Milestone> = self
            .milestones
            .values()
            .filter(|m| m.bidder_id == user_id || m.project_owner_id == user_id)
            .filter(|m| query.projects.is_empty() || query.projects.contains(&m.project_id))
            .filter(|m| query.ids.is_empty() || query.ids.contains(&m.id))
            .filter(|m| query.bidders.is_empty() || query.bidders.contains(&m.bidder_id))
            .collect();
        let total = matching.len();
        (matching.into_iter().skip(query.offset).take(query.limit).collect(), total)
    }

    pub fn milestone_json(m: &Milestone) -> Value {
        json!({
            "transaction_id": m.id,
            "id": m.id,
            "project_id": m.project_id,
            "bid_id": m.bid_id,
            "bidder_id": m.bidder_id,
            "project_owner_id": m.project_owner_id,
            "amount": m.amount,
            "currency": m.currency.to_json(),
            "description": m.description,
            "status": m.status,
            "reason": m.reason,
            "time_created": m.time_created,
        })
    }

    pub fn set_milestone_status(&mut self, id: u64, status: &str) -> Option<Milestone> {
        let milestone = self.milestones.get_mut(&id)?;
        milestone.status = status.to_owned();
        Some(milestone.clone())
    }
}
