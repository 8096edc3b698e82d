//! [`FreelancerMarketplace`]: the [`Marketplace`] trait over Freelancer.com's
//! REST 0.1 API (`projects/0.1/…`, `users/0.1/…`, header
//! `Freelancer-OAuth-V1`). It owns the mapping between Freelancer's shapes
//! ([`types`]) and Bidwell's wire types, exact money conversion
//! ([`money`]), the durable listing position that makes offset paging safe
//! ([`walk`]), and making a retried bid safe without idempotency keys.
//! Retries, backoff and the clock stay in the sync engine, as for
//! [`HttpMarketplace`](crate::HttpMarketplace). Nothing here logs a body,
//! a header or the token. docs/adapters.md has the whole mapping.

pub(crate) mod money;
mod types;
mod walk;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;
use reqwest::header::{HeaderValue, ACCEPT, RETRY_AFTER};
use reqwest::{Method, RequestBuilder, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::Serialize;

use self::types::{Envelope, ErrorEnvelope};
use self::walk::{Key, Order, Position, Walk};
use crate::bounds::{Refusal, WireBounds, MAX_RESPONSE_BYTES};
use crate::error::{MarketError, TransientReason};
use crate::http::{connection_parts, read_capped, transport_error, HttpOptions, MAX_MESSAGE_CHARS, SEC_GPC};
use crate::retry::RetryAfter;
use crate::token::{ApiToken, IdempotencyKey};
use crate::wire::*;
use crate::{Capabilities, Marketplace};

/// The live API's base.
pub const FREELANCER_API: &str = "https://www.freelancer.com/api/";
/// Freelancer's sandbox.
pub const FREELANCER_SANDBOX_API: &str = "https://www.freelancer-sandbox.com/api/";

const AUTH_HEADER: &str = "freelancer-oauth-v1";
/// The most items asked of Freelancer in one request (its cap is not
/// published; the reference server's is 100).
const WIRE_PAGE: u64 = 100;
/// Items re-read before the remembered offset on each page.
const OVERLAP: u64 = 10;
/// Requests one listing call may make before it returns what it has.
const MAX_REQUESTS_PER_CALL: usize = 4;
/// Entries kept in the project-currency and employer caches.
const MAX_CACHED: usize = 10_000;

/// Freelancer's error codes the adapter acts on.
const DUPLICATE_BID: &str = "ProjectExceptionCodes.DUPLICATE_BID";
const BID_NOT_RETRACTABLE: &str = "ProjectExceptionCodes.BID_NOT_RETRACTABLE";

/// What Freelancer's REST 0.1 offers: no bid edits, no privacy or analytics
/// endpoints, no idempotency keys, and a jobs feed of active projects only.
pub(crate) const CAPABILITIES: Capabilities = Capabilities {
    list_jobs: true,
    employer_profiles: true,
    submit_bid: true,
    edit_bid: false,
    withdraw_bid: true,
    read_bids: true,
    bids_recorded_only: false,
    milestones: true,
    erasure_requests: false,
    consent: false,
    analytics: false,
    server_idempotency: false,
    feed_reports_closed_jobs: false,
    listing_retention_hours: None,
};

/// A failed call with Freelancer's `error_code`, which some callers act on.
struct Failure {
    error: MarketError,
    code: Option<String>,
}

impl From<MarketError> for Failure {
    fn from(error: MarketError) -> Failure {
        Failure { error, code: None }
    }
}

impl From<Failure> for MarketError {
    fn from(failure: Failure) -> MarketError {
        failure.error
    }
}

/// One Freelancer account (one token) at one base URL.
pub struct FreelancerMarketplace {
    http: reqwest::Client,
    /// Always ends in `/`: where `projects/0.1/…` lives.
    base: Url,
    token: ApiToken,
    gpc: AtomicBool,
    /// The token's user id (`users/0.1/self/`), read once.
    me: Mutex<Option<u64>>,
    /// Project id → currency code: bids carry no currency, and a project's never changes.
    currencies: Mutex<HashMap<u64, String>>,
    /// Employers seen in listings (`result.users`), by id.
    employers: Mutex<HashMap<String, Employer>>,
}

impl std::fmt::Debug for FreelancerMarketplace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FreelancerMarketplace").field("base", &self.base.as_str()).finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

fn remember<K: std::hash::Hash + Eq, V>(cache: &Mutex<HashMap<K, V>>, key: K, value: V) {
    let mut cache = lock(cache);
    if cache.len() >= MAX_CACHED {
        cache.clear();
    }
    cache.insert(key, value);
}

impl FreelancerMarketplace {
    /// `base_url` is where `projects/0.1/…` lives: [`FREELANCER_API`], the
    /// sandbox, or a reference server's `http://127.0.0.1:PORT/api/`. Plain
    /// `http` only to this machine. `token` is an OAuth access token or a
    /// personal token, sent as `Freelancer-OAuth-V1`.
    pub fn new(base_url: &str, token: ApiToken, options: HttpOptions) -> Result<FreelancerMarketplace, MarketError> {
        let (base, http) = connection_parts(base_url, &token, &options)?;
        Ok(FreelancerMarketplace {
            http,
            base,
            token,
            gpc: AtomicBool::new(options.global_privacy_control),
            me: Mutex::new(None),
            currencies: Mutex::new(HashMap::new()),
            employers: Mutex::new(HashMap::new()),
        })
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// `base` + segments, each percent-encoded, with Freelancer's trailing slash.
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        url.path_segments_mut().expect("an http(s) URL has a path").pop_if_empty().extend(segments).push("");
        url
    }

    fn request(&self, method: Method, url: Url) -> RequestBuilder {
        let mut builder = self.http.request(method, url).header(ACCEPT, "application/json");
        // A token that is not a valid header value goes without it: the 401
        // that follows tells the user the right thing.
        if let Ok(mut auth) = HeaderValue::from_str(self.token.expose_secret()) {
            auth.set_sensitive(true);
            builder = builder.header(AUTH_HEADER, auth);
        }
        if self.gpc.load(Ordering::Relaxed) {
            builder = builder.header(SEC_GPC, "1");
        }
        builder
    }

    /// Sends the request; the `result` of a success envelope, or a classified failure.
    async fn call<T: DeserializeOwned>(&self, builder: RequestBuilder) -> Result<T, Failure> {
        let body = self.exchange(builder).await?;
        let envelope: Envelope<T> =
            serde_json::from_slice(&body).map_err(|_| MarketError::invalid_response("not Freelancer's envelope"))?;
        match (envelope.status.as_str(), envelope.result) {
            ("success", Some(result)) => Ok(result),
            _ => Err(MarketError::invalid_response("a success without a result").into()),
        }
    }

    /// The body of a 2xx answer, read within the crate's size limit.
    async fn exchange(&self, builder: RequestBuilder) -> Result<Vec<u8>, Failure> {
        let response = builder.send().await.map_err(transport_error)?;
        let status = response.status();
        let retry_after = response.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(RetryAfter::parse);
        let body = read_capped(response, MAX_RESPONSE_BYTES).await?;
        if status.is_success() {
            Ok(body)
        } else {
            Err(self.classify(status, retry_after, &body))
        }
    }

    /// Sorts a non-2xx answer by what the caller should do about it. The
    /// envelope's message is shown, bounded, and never with the token in it.
    fn classify(&self, status: StatusCode, retry_after: Option<RetryAfter>, body: &[u8]) -> Failure {
        let parsed: Option<ErrorEnvelope> = serde_json::from_slice(body).ok();
        let code = parsed.as_ref().and_then(|e| e.error_code.clone()).filter(|c| c.len() <= 100);
        let error = match status.as_u16() {
            401 => MarketError::Unauthorized,
            404 => MarketError::NotFound,
            408 => MarketError::Transient { retry_after, reason: TransientReason::Timeout },
            429 => MarketError::Transient { retry_after, reason: TransientReason::RateLimited },
            503 => MarketError::Transient { retry_after, reason: TransientReason::Unavailable },
            s if s >= 500 => MarketError::Transient { retry_after, reason: TransientReason::ServerError(s) },
            s => {
                let message: String = parsed
                    .and_then(|e| e.message)
                    .unwrap_or_else(|| format!("HTTP {s}"))
                    .replace(self.token.expose_secret(), "[token]")
                    .chars()
                    .take(MAX_MESSAGE_CHARS)
                    .collect();
                let api_code = match code.as_deref().and_then(|c| c.rsplit('.').next()) {
                    Some("INVALID_PARAMETERS") => ApiErrorCode::ValidationFailed,
                    Some("DUPLICATE_BID" | "PROJECT_NOT_ACTIVE" | "BID_NOT_RETRACTABLE" | "UNSUPPORTED_ACTION") => {
                        ApiErrorCode::InvalidState
                    }
                    _ => ApiErrorCode::Unknown,
                };
                MarketError::Permanent { code: api_code, message }
            }
        };
        Failure { error, code }
    }

    /// The token's user id, read once per client.
    async fn me(&self) -> Result<u64, MarketError> {
        if let Some(id) = *lock(&self.me) {
            return Ok(id);
        }
        let user: types::SelfUser = self.call(self.request(Method::GET, self.url(&["users", "0.1", "self"]))).await?;
        *lock(&self.me) = Some(user.id);
        Ok(user.id)
    }

    async fn project(&self, id: u64) -> Result<types::Project, MarketError> {
        let mut url = self.url(&["projects", "0.1", "projects", &id.to_string()]);
        url.query_pairs_mut()
            .append_pair("full_description", "true")
            .append_pair("job_details", "true")
            .append_pair("user_details", "true");
        let project: types::Project = self.call(self.request(Method::GET, url)).await?;
        remember(&self.currencies, project.id, project.currency.code.to_ascii_uppercase());
        Ok(project)
    }

    /// Learns the currencies of the projects a page of bids is on, in one
    /// request (`projects/?projects[]=…`) rather than one per project.
    async fn learn_currencies(&self, projects: impl Iterator<Item = u64>) -> Result<(), MarketError> {
        let mut unknown: Vec<u64> = {
            let known = lock(&self.currencies);
            projects.filter(|id| !known.contains_key(id)).collect()
        };
        unknown.sort_unstable();
        unknown.dedup();
        for chunk in unknown.chunks(WIRE_PAGE as usize) {
            let mut url = self.url(&["projects", "0.1", "projects"]);
            {
                let mut pairs = url.query_pairs_mut();
                for id in chunk {
                    pairs.append_pair("projects[]", &id.to_string());
                }
                pairs.append_pair("limit", &chunk.len().to_string());
            }
            let page: types::Projects = self.call(self.request(Method::GET, url)).await?;
            for project in page.projects {
                remember(&self.currencies, project.id, project.currency.code.to_ascii_uppercase());
            }
        }
        Ok(())
    }

    async fn project_currency(&self, id: u64) -> Result<String, MarketError> {
        if let Some(code) = lock(&self.currencies).get(&id) {
            return Ok(code.clone());
        }
        Ok(self.project(id).await?.currency.code.to_ascii_uppercase())
    }

    async fn to_bid(&self, bid: types::FlBid) -> Result<Bid, MarketError> {
        let currency = self.project_currency(bid.project_id).await?;
        let bid = bid.into_bid(&currency)?;
        bid.check_bounds().map_err(MarketError::Refused)?;
        Ok(bid)
    }

    /// One page of `bids/` with the given filters.
    async fn bids_page(
        &self,
        filters: &[(&str, String)],
        offset: u64,
        limit: u64,
    ) -> Result<Vec<types::FlBid>, MarketError> {
        let mut url = self.url(&["projects", "0.1", "bids"]);
        {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in filters {
                pairs.append_pair(name, value);
            }
            pairs.append_pair("limit", &limit.to_string()).append_pair("offset", &offset.to_string());
        }
        let page: types::Bids = self.call(self.request(Method::GET, url)).await?;
        if page.bids.len() as u64 > limit {
            return Err(MarketError::Refused(Refusal::TooManyItems { asked: limit as u32 }));
        }
        Ok(page.bids)
    }

    /// Our unretracted bid on a project, if there is one (there is at most one).
    async fn my_open_bid(&self, project: u64, me: u64) -> Result<Option<types::FlBid>, MarketError> {
        let filters = [("projects[]", project.to_string()), ("bidders[]", me.to_string())];
        Ok(self.bids_page(&filters, 0, WIRE_PAGE).await?.into_iter().find(|b| !b.retracted))
    }

    /// The bid already on the marketplace for `bid`, when it is the one we
    /// sent (an earlier try that went through); a different bid of ours on
    /// that project is refused, never passed off as this one.
    async fn already_placed(&self, bid: &NewBid, project: u64, me: u64) -> Result<Option<Bid>, MarketError> {
        let Some(existing) = self.my_open_bid(project, me).await? else { return Ok(None) };
        let existing = self.to_bid(existing).await?;
        // The currency was checked against the project's (in any case).
        let same = existing.amount.amount_minor == bid.amount.amount_minor
            && existing.period_days == bid.period_days
            && existing.milestone_percentage == bid.milestone_percentage
            && existing.proposal == bid.proposal;
        if same {
            Ok(Some(existing))
        } else {
            Err(MarketError::Permanent {
                code: ApiErrorCode::InvalidState,
                message: format!(
                    "this account already has a different bid ({}) on that project; Freelancer allows one",
                    existing.id
                ),
            })
        }
    }

    fn unsupported(&self, what: &'static str) -> MarketError {
        MarketError::Unsupported { what }
    }
}

fn id_of(what: &'static str, id: &str) -> Result<u64, MarketError> {
    // Freelancer's ids are numbers; anything else cannot name one of its records.
    id.parse().map_err(|_| MarketError::Permanent {
        code: ApiErrorCode::ValidationFailed,
        message: format!("{what}: not a Freelancer id"),
    })
}

pub(crate) fn limit_of(limit: u32) -> Result<usize, MarketError> {
    if !(1..=crate::MAX_PAGE_LIMIT).contains(&limit) {
        return Err(MarketError::Permanent {
            code: ApiErrorCode::ValidationFailed,
            message: format!("limit: must be 1 to {}", crate::MAX_PAGE_LIMIT),
        });
    }
    Ok(limit as usize)
}

fn walk(order: Order, want: usize) -> Walk {
    Walk { order, overlap: OVERLAP, page: WIRE_PAGE.min(want as u64 + OVERLAP), max_requests: MAX_REQUESTS_PER_CALL }
}

/// The jobs feed's name in its cursor: `j` and a fingerprint (FNV-1a) of
/// the whole query. A pass's floor means "delivered for this query"; a
/// cursor handed back with another query is `CursorExpired`, so the engine
/// resyncs instead of missing what the new filters let through.
pub(crate) fn jobs_feed(query: &JobQuery) -> String {
    let text = serde_json::to_string(query).unwrap_or_default();
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("j{hash:016x}")
}

/// Whether a job passes the filters Freelancer's listing cannot apply itself.
pub(crate) fn matches(query: &JobQuery, job: &Job) -> bool {
    let skills = query.skills.is_empty()
        || query.skills.iter().any(|want| job.skills.iter().any(|s| s.eq_ignore_ascii_case(want)));
    let kind = query.budget_type.is_none_or(|k| k == job.budget.kind);
    let currency = query.currency.as_deref().is_none_or(|c| c.eq_ignore_ascii_case(&job.budget.currency));
    let budget = query.min_budget_minor.is_none_or(|min| job.budget.max_minor.unwrap_or(job.budget.min_minor) >= min);
    skills && kind && currency && budget
}

#[async_trait]
impl Marketplace for FreelancerMarketplace {
    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    /// Active projects, newest first, as a change feed: the first pass
    /// delivers every active project once, later passes only the ones
    /// posted since (module `walk`). Filters other than `query` are
    /// applied here, so a page may hold fewer items than `limit`.
    async fn list_jobs(&self, query: &JobQuery, cursor: Option<&Cursor>, limit: u32) -> Result<Page<Job>, MarketError> {
        let want = limit_of(limit)?;
        let feed = jobs_feed(query);
        let position = Position::decode(cursor, &feed)?;
        let words = query.query.as_deref().map(str::trim).filter(|q| !q.is_empty());
        let walked = walk(Order::NewestFirst, want)
            .run(position, want, |offset, limit| async move {
                let mut url = self.url(&["projects", "0.1", "projects", "active"]);
                {
                    let mut pairs = url.query_pairs_mut();
                    if let Some(words) = words {
                        pairs.append_pair("query", words);
                    }
                    pairs
                        .append_pair("limit", &limit.to_string())
                        .append_pair("offset", &offset.to_string())
                        .append_pair("full_description", "true")
                        .append_pair("job_details", "true")
                        .append_pair("user_details", "true");
                }
                let page: types::Projects = self.call(self.request(Method::GET, url)).await?;
                if page.projects.len() as u64 > limit {
                    return Err(MarketError::Refused(Refusal::TooManyItems { asked: limit as u32 }));
                }
                for user in page.users.into_iter().flat_map(|u| u.into_values()) {
                    if let Ok(employer) = user.into_employer() {
                        if employer.check_bounds().is_ok() {
                            remember(&self.employers, employer.id.clone(), employer);
                        }
                    }
                }
                let mut items: Vec<(Key, Job)> = Vec::with_capacity(page.projects.len());
                for project in page.projects {
                    remember(&self.currencies, project.id, project.currency.code.to_ascii_uppercase());
                    let key = project.key();
                    let job = project.into_job()?;
                    job.check_bounds().map_err(MarketError::Refused)?;
                    items.push((key, job));
                }
                Ok(items)
            })
            .await?;
        Ok(Page {
            items: walked.items.into_iter().filter(|job| matches(query, job)).collect(),
            next_cursor: Some(walked.position.encode(&feed)),
            has_more: walked.has_more,
        })
    }

    async fn get_job(&self, id: &str) -> Result<Job, MarketError> {
        let mut project = self.project(id_of("job id", id)?).await?;
        if let Some(owner) = project.owner.take() {
            if let Ok(employer) = owner.into_employer() {
                if employer.check_bounds().is_ok() {
                    remember(&self.employers, employer.id.clone(), employer);
                }
            }
        }
        let job = project.into_job()?;
        job.check_bounds().map_err(MarketError::Refused)?;
        Ok(job)
    }

    /// From the users that came with listed or fetched projects; otherwise
    /// `users/0.1/users/{id}/`.
    async fn get_employer(&self, id: &str) -> Result<Employer, MarketError> {
        if let Some(employer) = lock(&self.employers).get(id) {
            return Ok(employer.clone());
        }
        let url = self.url(&["users", "0.1", "users", &id_of("employer id", id)?.to_string()]);
        let user: types::User = self.call(self.request(Method::GET, url)).await?;
        let employer = user.into_employer()?;
        employer.check_bounds().map_err(MarketError::Refused)?;
        Ok(employer)
    }

    /// Freelancer has no idempotency key, so every create first looks for
    /// the bid an earlier try may have placed, and a `DUPLICATE_BID` answer
    /// is resolved the same way. The key is not sent anywhere.
    async fn create_bid(&self, _key: &IdempotencyKey, bid: &NewBid) -> Result<Bid, MarketError> {
        let project = id_of("job id", &bid.job_id)?;
        let me = self.me().await?;
        let currency = self.project_currency(project).await?;
        if !bid.amount.currency.eq_ignore_ascii_case(&currency) {
            return Err(MarketError::Permanent {
                code: ApiErrorCode::ValidationFailed,
                message: format!("amount: the project is priced in {currency}, the bid is in {}", bid.amount.currency),
            });
        }
        let amount = money::to_major(bid.amount.amount_minor, &currency).map_err(|_| MarketError::Permanent {
            code: ApiErrorCode::ValidationFailed,
            message: "amount: out of range".to_owned(),
        })?;
        if let Some(existing) = self.already_placed(bid, project, me).await? {
            return Ok(existing);
        }
        #[derive(Serialize)]
        struct Body<'a> {
            project_id: u64,
            bidder_id: u64,
            amount: f64,
            period: u32,
            milestone_percentage: u8,
            description: &'a str,
        }
        let body = Body {
            project_id: project,
            bidder_id: me,
            amount,
            period: bid.period_days,
            milestone_percentage: bid.milestone_percentage,
            description: &bid.proposal,
        };
        let request = self.request(Method::POST, self.url(&["projects", "0.1", "bids"])).json(&body);
        match self.call::<types::FlBid>(request).await {
            Ok(placed) => self.to_bid(placed).await,
            Err(Failure { code: Some(code), error }) if code == DUPLICATE_BID => {
                self.already_placed(bid, project, me).await?.ok_or(error)
            }
            Err(failure) => Err(failure.error),
        }
    }

    async fn get_bid(&self, id: &str) -> Result<Bid, MarketError> {
        let filters = [("bids[]", id_of("bid id", id)?.to_string())];
        let found = self.bids_page(&filters, 0, 1).await?.into_iter().next().ok_or(MarketError::NotFound)?;
        self.to_bid(found).await
    }

    async fn edit_bid(&self, _id: &str, _base_version: u64, _edit: &BidEdit) -> Result<Bid, MarketError> {
        Err(self.unsupported("editing a bid (withdraw it and bid again)"))
    }

    /// `PUT bids/{id}/?action=retract`. Retracting a retracted bid is
    /// refused by Freelancer; when the bid reads back as retracted that is
    /// the success the trait promises.
    async fn withdraw_bid(&self, id: &str, _key: &IdempotencyKey) -> Result<Bid, MarketError> {
        let bid_id = id_of("bid id", id)?;
        let mut url = self.url(&["projects", "0.1", "bids", &bid_id.to_string()]);
        url.query_pairs_mut().append_pair("action", "retract");
        match self.exchange(self.request(Method::PUT, url)).await {
            Ok(_) => self.get_bid(id).await,
            Err(Failure { code: Some(code), error }) if code == BID_NOT_RETRACTABLE => {
                let bid = self.get_bid(id).await?;
                if bid.status == BidStatus::Withdrawn {
                    Ok(bid)
                } else {
                    Err(error)
                }
            }
            Err(failure) => Err(failure.error),
        }
    }

    /// This account's bids, oldest first, every one on each pass with its
    /// current status (Freelancer has no change time to ask by).
    async fn bids_since(&self, since: Option<&Cursor>, limit: u32) -> Result<Page<Bid>, MarketError> {
        let want = limit_of(limit)?;
        let position = Position::decode(since, "b")?;
        let me = self.me().await?;
        let walked = walk(Order::OldestFirst, want)
            .run(position, want, |offset, limit| async move {
                let filters = [("bidders[]", me.to_string())];
                let bids = self.bids_page(&filters, offset, limit).await?;
                self.learn_currencies(bids.iter().map(|b| b.project_id)).await?;
                let mut items = Vec::with_capacity(bids.len());
                for bid in bids {
                    let key = (0, bid.id);
                    items.push((key, self.to_bid(bid).await?));
                }
                Ok(items)
            })
            .await?;
        Ok(Page { items: walked.items, next_cursor: Some(walked.position.encode("b")), has_more: walked.has_more })
    }

    /// Milestones of this account's bids, oldest first, walked like bids.
    async fn milestones_since(&self, since: Option<&Cursor>, limit: u32) -> Result<Page<Milestone>, MarketError> {
        let want = limit_of(limit)?;
        let position = Position::decode(since, "m")?;
        let me = self.me().await?;
        let walked = walk(Order::OldestFirst, want)
            .run(position, want, |offset, limit| async move {
                let mut url = self.url(&["projects", "0.1", "milestones"]);
                url.query_pairs_mut()
                    .append_pair("bidders[]", &me.to_string())
                    .append_pair("limit", &limit.to_string())
                    .append_pair("offset", &offset.to_string());
                let page: types::Milestones = self.call(self.request(Method::GET, url)).await?;
                if page.milestones.len() as u64 > limit {
                    return Err(MarketError::Refused(Refusal::TooManyItems { asked: limit as u32 }));
                }
                let mut items = Vec::with_capacity(page.milestones.len());
                for milestone in page.milestones.into_values() {
                    let id = milestone.milestone_id().ok_or_else(|| MarketError::invalid_response("a milestone id"))?;
                    let milestone = milestone.into_milestone()?;
                    milestone.check_bounds().map_err(MarketError::Refused)?;
                    items.push(((0, id), milestone));
                }
                // Keyed by id in a JSON object: put them back in listing order.
                items.sort_by_key(|(key, _)| *key);
                Ok(items)
            })
            .await?;
        Ok(Page { items: walked.items, next_cursor: Some(walked.position.encode("m")), has_more: walked.has_more })
    }

    async fn request_erasure(
        &self,
        _key: &IdempotencyKey,
        _request: &ErasureRequest,
    ) -> Result<ErasureReceipt, MarketError> {
        Err(self.unsupported("erasure requests through its API (ask Freelancer's support)"))
    }

    async fn get_consents(&self) -> Result<Consents, MarketError> {
        Err(self.unsupported("reading consent choices through its API"))
    }

    async fn put_consents(&self, _choices: &ConsentChoices) -> Result<Consents, MarketError> {
        Err(self.unsupported("changing consent choices through its API"))
    }

    async fn send_analytics(&self, _batch: &AnalyticsBatch) -> Result<(), MarketError> {
        if self.global_privacy_control() {
            return Err(MarketError::AnalyticsDisabled);
        }
        Err(self.unsupported("analytics"))
    }

    fn set_global_privacy_control(&self, on: bool) {
        self.gpc.store(on, Ordering::Relaxed);
    }

    fn global_privacy_control(&self) -> bool {
        self.gpc.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: &str) -> Result<FreelancerMarketplace, MarketError> {
        FreelancerMarketplace::new(base, ApiToken::new("t".to_owned()), HttpOptions::default())
    }

    #[test]
    fn urls_keep_the_prefix_and_freelancers_trailing_slash() {
        let market = client(FREELANCER_API).unwrap();
        assert_eq!(
            market.url(&["projects", "0.1", "bids", "../x"]).as_str(),
            "https://www.freelancer.com/api/projects/0.1/bids/..%2Fx/"
        );
        assert!(client("http://127.0.0.1:9/api").is_ok());
        assert!(client("http://freelancer.example.com/api").is_err());
        assert!(
            FreelancerMarketplace::new(FREELANCER_API, ApiToken::new(String::new()), HttpOptions::default()).is_err()
        );
    }

    #[test]
    fn errors_keep_the_envelope_message_bounded_and_without_the_token() {
        let market =
            FreelancerMarketplace::new(FREELANCER_API, ApiToken::new("sekrit".to_owned()), HttpOptions::default())
                .unwrap();
        let body = serde_json::to_vec(&serde_json::json!({
            "status": "error", "message": format!("bad token sekrit {}", "x".repeat(1000)),
            "error_code": "RestExceptionCodes.INVALID_PARAMETERS", "request_id": "r"
        }))
        .unwrap();
        let failure = market.classify(StatusCode::BAD_REQUEST, None, &body);
        let MarketError::Permanent { code, message } = failure.error else { panic!("permanent") };
        assert_eq!(code, ApiErrorCode::ValidationFailed);
        assert!(!message.contains("sekrit") && message.chars().count() <= MAX_MESSAGE_CHARS);
        assert_eq!(market.classify(StatusCode::UNAUTHORIZED, None, &body).error, MarketError::Unauthorized);
        assert!(market.classify(StatusCode::BAD_GATEWAY, None, b"<html>").error.is_transient());
    }
}
