//! [`UpworkMarketplace`]: the [`Marketplace`] trait over Upwork's GraphQL
//! API (`POST graphql`, `Authorization: Bearer`). Upwork has no API to
//! submit, edit or withdraw a proposal: bids are placed on upwork.com and
//! only read back here (`vendorProposals`), which the capabilities say.
//! It owns the mapping between Upwork's shapes ([`types`]) and Bidwell's
//! wire types, the durable listing position over GraphQL cursors
//! ([`walk`]), and the client side of Upwork's rate limit ([`limiter`]),
//! shared by every clone of one client. Retries, backoff and the clock stay
//! in the sync engine. Nothing here logs a body, a header or the token.
//! docs/adapters.md has the whole mapping.

mod limiter;
mod types;
mod walk;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use zeroize::Zeroizing;

use self::limiter::RateLimiter;
use self::types::Answer;
use self::walk::{Edge, Fetched, Order, Position, Walk};
use crate::bounds::{Refusal, WireBounds, MAX_RESPONSE_BYTES};
use crate::error::{MarketError, TransientReason};
use crate::freelancer::{jobs_feed, limit_of, matches};
use crate::http::{connection_parts, read_capped, transport_error, HttpOptions, MAX_MESSAGE_CHARS, SEC_GPC};
use crate::retry::RetryAfter;
use crate::token::{ApiToken, IdempotencyKey};
use crate::wire::*;
use crate::{Capabilities, Marketplace};

/// Where `graphql` lives on the live API.
pub const UPWORK_API: &str = "https://api.upwork.com/";
/// Upwork's website, where proposals are placed.
const UPWORK_WEBSITE: &str = "https://www.upwork.com/";

/// The most items asked in one request (Upwork's cap is not published;
/// the reference server's is 100).
const WIRE_PAGE: usize = 50;
/// Items re-read before the last delivered one on each page.
const OVERLAP: usize = 3;
/// Requests one listing call may make before it returns what it has.
const MAX_REQUESTS_PER_CALL: usize = 4;
/// Entries kept in the publish-time cache.
const MAX_CACHED: usize = 10_000;

/// What Upwork's GraphQL API offers a freelancer: a job search and their
/// own proposals, read-only. Postings the user has not acted on may be kept
/// 24 hours (Upwork's API terms).
pub(crate) const CAPABILITIES: Capabilities = Capabilities {
    list_jobs: true,
    employer_profiles: false,
    submit_bid: false,
    edit_bid: false,
    withdraw_bid: false,
    read_bids: true,
    bids_recorded_only: true,
    milestones: false,
    erasure_requests: false,
    consent: false,
    analytics: false,
    server_idempotency: false,
    feed_reports_closed_jobs: false,
    listing_retention_hours: Some(24),
};

const SEARCH_QUERY: &str = "query Search($filter: MarketplaceJobPostingsSearchFilter, \
$searchType: MarketplaceJobPostingSearchType, $sort: [MarketplaceJobPostingSearchSortAttribute]) {
  marketplaceJobPostingsSearch(marketPlaceJobFilter: $filter, searchType: $searchType, sortAttributes: $sort) {
    edges { cursor node {
      id ciphertext job { id } title description
      amount { rawValue currency } hourlyBudgetType
      hourlyBudgetMin { rawValue currency } hourlyBudgetMax { rawValue currency }
      skills { name prettyName } client { companyOrgUid }
      createdDateTime publishedDateTime
    } }
    pageInfo { endCursor hasNextPage }
  }
}";

const POSTING_QUERY: &str = "query Posting($id: String!) {
  marketplaceJobPosting(id: $id) {
    id workFlowState { status }
    content { title description }
    classification { skills { prettyName } }
    contractTerms { contractType
      fixedPriceContractTerms { amount { rawValue currency } maxAmount { rawValue currency } }
      hourlyContractTerms { hourlyBudgetMin hourlyBudgetMax } }
    clientCompanyPublic { id }
  }
}";

const CONTENTS_QUERY: &str = "query Contents($ids: [String]!) {
  marketplaceJobPostingsContents(ids: $ids) { id ciphertext publishedDateTime }
}";

const PROPOSAL_FIELDS: &str = "id marketplaceJobPosting { id }
      terms { chargeRate { rawValue currency } upfrontPaymentPercent }
      coverLetter proposalCoverLetter
      auditDetails { createdDateTime modifiedDateTime }
      status { status }";

/// What one client holds; shared by its clones.
struct Inner {
    http: reqwest::Client,
    endpoint: Url,
    /// Where job pages are: Upwork's website for its API, the server itself
    /// for a reference server (which stands in for the website).
    website: String,
    token: ApiToken,
    gpc: AtomicBool,
    limiter: RateLimiter,
    /// Posting id → (publish time, client id) from listings: a posting read
    /// by id carries neither.
    /// Postings listed so far: publish time, client, page address.
    seen: Mutex<HashMap<String, Seen>>,
}

/// One Upwork account (one token). Clones share the connection pool, the
/// rate limit and the caches.
#[derive(Clone)]
pub struct UpworkMarketplace {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for UpworkMarketplace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpworkMarketplace").field("endpoint", &self.inner.endpoint.as_str()).finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// An `extensions.code` as text (some servers send numbers).
fn code_text(code: &Value) -> Option<String> {
    match code {
        Value::String(s) => Some(s.to_ascii_uppercase()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl UpworkMarketplace {
    /// `base_url` is where `graphql` lives: [`UPWORK_API`], or a reference
    /// server's `http://127.0.0.1:PORT/` (plain http only to this machine).
    /// `token` is an OAuth access token (or a reference server's personal
    /// token), sent as `Authorization: Bearer`.
    pub fn new(base_url: &str, token: ApiToken, options: HttpOptions) -> Result<UpworkMarketplace, MarketError> {
        let (base, http) = connection_parts(base_url, &token, &options)?;
        let endpoint = base.join("graphql").map_err(|_| MarketError::Permanent {
            code: ApiErrorCode::ValidationFailed,
            message: "url: cannot be joined with graphql".to_owned(),
        })?;
        let website = match base.host_str() {
            Some("api.upwork.com") => UPWORK_WEBSITE.to_owned(),
            _ => base.to_string(),
        };
        Ok(UpworkMarketplace {
            inner: Arc::new(Inner {
                http,
                endpoint,
                website,
                token,
                gpc: AtomicBool::new(options.global_privacy_control),
                limiter: RateLimiter::new(limiter::REQUESTS_PER_SECOND, limiter::WINDOW),
                seen: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The GraphQL endpoint requests go to.
    pub fn endpoint(&self) -> &Url {
        &self.inner.endpoint
    }

    /// One GraphQL request for `field`, after the rate limit lets it go;
    /// the field's value, or a classified failure.
    async fn query<T: DeserializeOwned>(&self, query: &str, variables: Value, field: &str) -> Result<T, MarketError> {
        let inner = &self.inner;
        let bearer = Zeroizing::new(format!("Bearer {}", inner.token.expose_secret()));
        let mut builder = inner
            .http
            .post(inner.endpoint.clone())
            .header(ACCEPT, "application/json")
            .json(&json!({ "query": query, "variables": variables }));
        // A token that is not a valid header value goes without it: the 401
        // that follows tells the user the right thing.
        if let Ok(mut auth) = HeaderValue::from_str(&bearer) {
            auth.set_sensitive(true);
            builder = builder.header(AUTHORIZATION, auth);
        }
        if inner.gpc.load(Ordering::Relaxed) {
            builder = builder.header(SEC_GPC, "1");
        }
        inner.limiter.acquire().await;
        let response = builder.send().await.map_err(transport_error)?;
        let status = response.status();
        let retry_after = response.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(RetryAfter::parse);
        let body = read_capped(response, MAX_RESPONSE_BYTES).await?;
        let answer: Option<Answer> = serde_json::from_slice(&body).ok();
        if !status.is_success() {
            return Err(self.classify(status, retry_after, answer.as_ref()));
        }
        let mut answer = answer.ok_or_else(|| MarketError::invalid_response("not a GraphQL answer"))?;
        // A value for the field wins over errors about parts of it (GraphQL's partial answers).
        let value = answer.data.as_mut().and_then(|d| d.remove(field)).filter(|v| !v.is_null());
        match value {
            Some(value) => {
                serde_json::from_value(value).map_err(|_| MarketError::invalid_response("an unexpected shape"))
            }
            None if answer.errors.as_ref().is_some_and(|e| !e.is_empty()) => {
                Err(self.classify(status, retry_after, Some(&answer)))
            }
            // A null field without an error: nothing there.
            None => Err(MarketError::NotFound),
        }
    }

    /// Sorts a failed answer by what the caller should do: the HTTP status
    /// first, then the first error's `extensions.code`. Messages are shown
    /// bounded and never with the token in them.
    fn classify(&self, status: StatusCode, retry_after: Option<RetryAfter>, answer: Option<&Answer>) -> MarketError {
        let first = answer.and_then(|a| a.errors.as_ref()).and_then(|e| e.first());
        let code = first.and_then(|e| e.extensions.as_ref()).and_then(|x| x.code.as_ref()).and_then(code_text);
        let message = || -> String {
            first
                .and_then(|e| e.message.clone())
                .unwrap_or_else(|| format!("HTTP {}", status.as_u16()))
                .replace(self.inner.token.expose_secret(), "[token]")
                .chars()
                .take(MAX_MESSAGE_CHARS)
                .collect()
        };
        let transient = |reason| MarketError::Transient { retry_after, reason };
        match status.as_u16() {
            401 => return MarketError::Unauthorized,
            408 => return transient(TransientReason::Timeout),
            429 => return transient(TransientReason::RateLimited),
            503 => return transient(TransientReason::Unavailable),
            s if s >= 500 => return transient(TransientReason::ServerError(s)),
            _ => {}
        }
        match code.as_deref() {
            Some("UNAUTHENTICATED" | "UNAUTHORIZED" | "401") => MarketError::Unauthorized,
            Some("NOT_FOUND" | "404") => MarketError::NotFound,
            Some("TOO_MANY_REQUESTS" | "RATE_LIMITED" | "429") => transient(TransientReason::RateLimited),
            Some("SERVICE_UNAVAILABLE" | "503") => transient(TransientReason::Unavailable),
            Some("INTERNAL_SERVER_ERROR" | "INTERNAL_ERROR" | "500") => transient(TransientReason::ServerError(500)),
            Some(
                "BAD_USER_INPUT"
                | "GRAPHQL_VALIDATION_FAILED"
                | "GRAPHQL_PARSE_FAILED"
                | "VALIDATION_ERROR"
                | "BAD_REQUEST"
                | "400",
            ) => MarketError::Permanent { code: ApiErrorCode::ValidationFailed, message: message() },
            Some("FORBIDDEN" | "403") => {
                MarketError::Permanent { code: ApiErrorCode::Unauthorized, message: message() }
            }
            _ if status == StatusCode::NOT_FOUND => MarketError::NotFound,
            _ if status == StatusCode::BAD_REQUEST => {
                MarketError::Permanent { code: ApiErrorCode::ValidationFailed, message: message() }
            }
            _ => MarketError::Permanent { code: ApiErrorCode::Unknown, message: message() },
        }
    }

    /// A posting's publish time and page from `marketplaceJobPostingsContents`;
    /// the Unix epoch when Upwork lists no contents for it (the wire type needs a time).
    async fn published(&self, id: &str) -> Result<(DateTime<Utc>, Option<String>), MarketError> {
        let contents: Vec<types::Contents> =
            match self.query(CONTENTS_QUERY, json!({ "ids": [id] }), "marketplaceJobPostingsContents").await {
                Ok(contents) => contents,
                Err(MarketError::NotFound) => Vec::new(),
                Err(e) => return Err(e),
            };
        let Some(found) = contents.into_iter().find(|c| c.id == id) else {
            return Ok((DateTime::<Utc>::UNIX_EPOCH, None));
        };
        let at = match &found.published_date_time {
            Some(text) => types::parse_time(text)?,
            None => DateTime::<Utc>::UNIX_EPOCH,
        };
        Ok((at, types::job_page(&self.inner.website, found.ciphertext.as_deref())))
    }

    fn unsupported(&self, what: &'static str) -> MarketError {
        MarketError::Unsupported { what }
    }

    fn remember(&self, job: &Job) {
        let mut seen = lock(&self.inner.seen);
        if seen.len() >= MAX_CACHED {
            seen.clear();
        }
        let known = Seen { posted_at: job.posted_at, client_id: job.client_id.clone(), url: job.url.clone() };
        seen.insert(job.id.clone(), known);
    }
}

/// What a listing said about a posting that `marketplaceJobPosting` does not.
#[derive(Clone)]
struct Seen {
    posted_at: DateTime<Utc>,
    client_id: String,
    url: Option<String>,
}

fn walk(order: Order, want: usize) -> Walk {
    Walk { order, overlap: OVERLAP, page: WIRE_PAGE.min(want + OVERLAP + 1), max_requests: MAX_REQUESTS_PER_CALL }
}

/// A page's edges with their cursors and keys, refused when it holds more than asked.
fn edges_of<N, T>(
    connection: types::Connection<N>,
    first: usize,
    mut map: impl FnMut(N) -> Result<(walk::Key, T), MarketError>,
) -> Result<Fetched<T>, MarketError> {
    let edges = connection.edges.unwrap_or_default();
    if edges.len() > first {
        return Err(MarketError::Refused(Refusal::TooManyItems { asked: first as u32 }));
    }
    let mut out = Vec::with_capacity(edges.len());
    for edge in edges {
        let cursor = edge.cursor.ok_or_else(|| MarketError::invalid_response("an edge without a cursor"))?;
        let node = edge.node.ok_or_else(|| MarketError::invalid_response("an edge without a node"))?;
        let (key, item) = map(node)?;
        out.push(Edge { cursor, key, item });
    }
    let has_next = connection.page_info.and_then(|p| p.has_next_page).unwrap_or(false);
    Ok(Fetched { edges: out, has_next })
}

fn pagination(after: Option<String>, first: usize) -> Value {
    match after {
        Some(after) => json!({ "after": after, "first": first }),
        None => json!({ "first": first }),
    }
}

#[async_trait]
impl Marketplace for UpworkMarketplace {
    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    /// Open postings, newest first, as a change feed: the first pass
    /// delivers every posting once, later passes only those published
    /// since (module `walk`). Words and skills are searched by Upwork;
    /// budget type, currency and minimum budget are applied here, so a page
    /// may hold fewer items than `limit`.
    async fn list_jobs(&self, query: &JobQuery, cursor: Option<&Cursor>, limit: u32) -> Result<Page<Job>, MarketError> {
        let want = limit_of(limit)?;
        let feed = jobs_feed(query);
        let position = Position::decode(cursor, &feed)?;
        let mut filter = serde_json::Map::new();
        if let Some(words) = query.query.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            filter.insert("searchExpression_eq".to_owned(), json!(words));
        }
        if !query.skills.is_empty() {
            filter.insert("skillExpression_eq".to_owned(), json!(query.skills.join(",")));
        }
        let walked = walk(Order::NewestFirst, want)
            .run(position, want, |after, first| {
                let mut filter = filter.clone();
                filter.insert("pagination_eq".to_owned(), pagination(after, first));
                async move {
                    let variables = json!({
                        "filter": filter,
                        "searchType": "USER_JOBS_SEARCH",
                        "sort": [{ "field": "RECENCY" }],
                    });
                    let connection: types::Connection<types::SearchNode> =
                        self.query(SEARCH_QUERY, variables, "marketplaceJobPostingsSearch").await?;
                    edges_of(connection, first, |node| {
                        let key = node.key()?;
                        let job = node.into_job(&self.inner.website)?;
                        job.check_bounds().map_err(MarketError::Refused)?;
                        self.remember(&job);
                        Ok((key, job))
                    })
                }
            })
            .await?;
        Ok(Page {
            items: walked.items.into_iter().filter(|job| matches(query, job)).collect(),
            next_cursor: Some(walked.position.encode(&feed)),
            has_more: walked.has_more,
        })
    }

    /// `marketplaceJobPosting(id)`. That object has no publish time: it
    /// comes from the listing the posting was seen in, else from
    /// `marketplaceJobPostingsContents` (one more request).
    async fn get_job(&self, id: &str) -> Result<Job, MarketError> {
        let posting: types::Posting = self.query(POSTING_QUERY, json!({ "id": id }), "marketplaceJobPosting").await?;
        let known = lock(&self.inner.seen).get(&posting.id).cloned();
        let (posted_at, client, url) = match known {
            Some(seen) => (seen.posted_at, Some(seen.client_id), seen.url),
            None => {
                let (at, url) = self.published(&posting.id).await?;
                (at, None, url)
            }
        };
        let job = posting.into_job(posted_at, client, url)?;
        job.check_bounds().map_err(MarketError::Refused)?;
        Ok(job)
    }

    async fn get_employer(&self, _id: &str) -> Result<Employer, MarketError> {
        Err(self.unsupported("client profiles through its API (a posting names its client's organization only)"))
    }

    async fn create_bid(&self, _key: &IdempotencyKey, _bid: &NewBid) -> Result<Bid, MarketError> {
        Err(self.unsupported(
            "submitting a proposal through its API (place it on upwork.com; it is linked when it appears)",
        ))
    }

    /// `vendorProposal(id)`, one of this account's proposals.
    async fn get_bid(&self, id: &str) -> Result<Bid, MarketError> {
        let query = format!("query Proposal($id: String!) {{\n  vendorProposal(id: $id) {{ {PROPOSAL_FIELDS} }}\n}}");
        let proposal: types::Proposal = self.query(&query, json!({ "id": id }), "vendorProposal").await?;
        let bid = proposal.into_bid()?;
        bid.check_bounds().map_err(MarketError::Refused)?;
        Ok(bid)
    }

    async fn edit_bid(&self, _id: &str, _base_version: u64, _edit: &BidEdit) -> Result<Bid, MarketError> {
        Err(self.unsupported("editing a proposal through its API (change it on upwork.com)"))
    }

    async fn withdraw_bid(&self, _id: &str, _key: &IdempotencyKey) -> Result<Bid, MarketError> {
        Err(self.unsupported("withdrawing a proposal through its API (withdraw it on upwork.com)"))
    }

    /// This account's proposals (`vendorProposals`), oldest first, every
    /// one on each pass with its current status.
    async fn bids_since(&self, since: Option<&Cursor>, limit: u32) -> Result<Page<Bid>, MarketError> {
        let want = limit_of(limit)?;
        let position = Position::decode(since, "b")?;
        let query = format!(
            "query Proposals($filter: VendorProposalFilter, $sort: VendorProposalSortAttribute, $pagination: Pagination) {{
  vendorProposals(filter: $filter, sortAttribute: $sort, pagination: $pagination) {{
    edges {{ cursor node {{ {PROPOSAL_FIELDS} }} }}
    pageInfo {{ endCursor hasNextPage }}
  }}
}}"
        );
        let query = query.as_str();
        let walked = walk(Order::OldestFirst, want)
            .run(position, want, |after, first| async move {
                let variables = json!({
                    "filter": {},
                    "sort": { "field": "CREATEDDATETIME", "sortOrder": "ASC" },
                    "pagination": pagination(after, first),
                });
                let connection: types::Connection<types::Proposal> =
                    self.query(query, variables, "vendorProposals").await?;
                edges_of(connection, first, |node| {
                    let key = node.key()?;
                    let bid = node.into_bid()?;
                    bid.check_bounds().map_err(MarketError::Refused)?;
                    Ok((key, bid))
                })
            })
            .await?;
        Ok(Page { items: walked.items, next_cursor: Some(walked.position.encode("b")), has_more: walked.has_more })
    }

    async fn milestones_since(&self, _since: Option<&Cursor>, _limit: u32) -> Result<Page<Milestone>, MarketError> {
        Err(self.unsupported("reading milestones through this adapter (Upwork's are on contracts, not yet mapped)"))
    }

    async fn request_erasure(
        &self,
        _key: &IdempotencyKey,
        _request: &ErasureRequest,
    ) -> Result<ErasureReceipt, MarketError> {
        Err(self.unsupported("erasure requests through its API (ask Upwork's support)"))
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
        self.inner.gpc.store(on, Ordering::Relaxed);
    }

    fn global_privacy_control(&self) -> bool {
        self.inner.gpc.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(token: &str) -> UpworkMarketplace {
        UpworkMarketplace::new(UPWORK_API, ApiToken::new(token.to_owned()), HttpOptions::default()).unwrap()
    }

    fn answer(body: Value) -> Answer {
        serde_json::from_value(body).unwrap()
    }

    #[test]
    fn the_endpoint_keeps_the_prefix_and_plain_http_is_only_for_this_machine() {
        assert_eq!(client("t").endpoint().as_str(), "https://api.upwork.com/graphql");
        let local =
            UpworkMarketplace::new("http://127.0.0.1:9/up", ApiToken::new("t".to_owned()), HttpOptions::default());
        assert_eq!(local.unwrap().endpoint().as_str(), "http://127.0.0.1:9/up/graphql");
        assert!(UpworkMarketplace::new(
            "http://api.upwork.com/",
            ApiToken::new("t".to_owned()),
            HttpOptions::default()
        )
        .is_err());
    }

    #[test]
    fn the_errors_array_is_classified_and_messages_are_bounded_without_the_token() {
        let market = client("sekrit");
        let with = |code: &str, message: &str| {
            answer(json!({ "errors": [{ "message": message, "extensions": { "code": code } }], "data": null }))
        };
        let ok = StatusCode::OK;
        assert_eq!(market.classify(ok, None, Some(&with("UNAUTHENTICATED", "no"))), MarketError::Unauthorized);
        assert_eq!(market.classify(StatusCode::UNAUTHORIZED, None, None), MarketError::Unauthorized);
        assert_eq!(market.classify(ok, None, Some(&with("NOT_FOUND", "gone"))), MarketError::NotFound);
        let long = format!("bad sekrit {}", "x".repeat(1000));
        let MarketError::Permanent { code, message } = market.classify(ok, None, Some(&with("BAD_USER_INPUT", &long)))
        else {
            panic!("permanent")
        };
        assert_eq!(code, ApiErrorCode::ValidationFailed);
        assert!(!message.contains("sekrit") && message.chars().count() <= MAX_MESSAGE_CHARS);
        let limited = market.classify(StatusCode::TOO_MANY_REQUESTS, Some(RetryAfter::Seconds(1)), None);
        assert!(matches!(
            limited,
            MarketError::Transient { reason: TransientReason::RateLimited, retry_after: Some(_) }
        ));
        assert!(market.classify(StatusCode::BAD_GATEWAY, None, None).is_transient());
        assert!(market.classify(ok, None, Some(&with("INTERNAL_SERVER_ERROR", "oops"))).is_transient());
        let odd = market.classify(ok, None, Some(&with("SOMETHING_ELSE", "hm")));
        assert!(matches!(odd, MarketError::Permanent { code: ApiErrorCode::Unknown, .. }), "{odd:?}");
    }
}
