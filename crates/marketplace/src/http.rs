//! [`HttpMarketplace`]: the [`Marketplace`] trait over HTTPS with reqwest
//! (rustls). One attempt per call, bounded by a request timeout; every
//! failure is sorted into a [`MarketError`]. Nothing here logs a body, a
//! header or the token.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, IF_MATCH, RETRY_AFTER};
use reqwest::{Method, RequestBuilder, StatusCode, Url};
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use crate::bounds::{decode_page, decode_record, Refusal, WireBounds, MAX_RESPONSE_BYTES};
use crate::error::{MarketError, TransientReason};
use crate::retry::RetryAfter;
use crate::token::{ApiToken, IdempotencyKey};
use crate::wire::*;
use crate::Marketplace;

/// The header that carries the idempotency key of a write.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Global Privacy Control (<https://privacycg.github.io/gpc-spec/>).
pub const SEC_GPC: &str = "sec-gpc";

/// Server messages are shown to the user; a server cannot make them huge.
pub(crate) const MAX_MESSAGE_CHARS: usize = 300;

#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// The whole request, from connecting to the last byte of the answer.
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
    /// The starting value of [`Marketplace::global_privacy_control`].
    pub global_privacy_control: bool,
}

impl Default for HttpOptions {
    fn default() -> HttpOptions {
        HttpOptions {
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            global_privacy_control: true,
        }
    }
}

/// A client for one marketplace account at one base URL.
pub struct HttpMarketplace {
    http: reqwest::Client,
    /// Always ends in `/`, so joining `v1/...` keeps any path prefix.
    base: Url,
    token: ApiToken,
    gpc: AtomicBool,
}

impl std::fmt::Debug for HttpMarketplace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpMarketplace").field("base", &self.base.as_str()).finish_non_exhaustive()
    }
}

impl HttpMarketplace {
    /// `base_url` is where `v1/...` lives, e.g. `https://api.example.com/` or
    /// `http://127.0.0.1:8080`. Plain `http` is refused except to this
    /// machine, so the token never crosses a network in the clear.
    pub fn new(base_url: &str, token: ApiToken, options: HttpOptions) -> Result<HttpMarketplace, MarketError> {
        let (base, http) = connection_parts(base_url, &token, &options)?;
        Ok(HttpMarketplace { http, base, token, gpc: AtomicBool::new(options.global_privacy_control) })
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// `base` + `v1/<segments>`, each segment percent-encoded, so an id can
    /// never change the path.
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        {
            let mut path = url.path_segments_mut().expect("an http(s) URL has a path");
            path.pop_if_empty().push("v1");
            path.extend(segments);
        }
        url
    }

    fn request(&self, method: Method, url: Url) -> RequestBuilder {
        let bearer = Zeroizing::new(format!("Bearer {}", self.token.expose_secret()));
        let mut builder = self.http.request(method, url).header(ACCEPT, "application/json");
        // A token that is not a valid header value is sent without it; the
        // server then answers 401, which is the right thing to tell the user.
        if let Ok(mut auth) = HeaderValue::from_str(&bearer) {
            auth.set_sensitive(true);
            builder = builder.header(AUTHORIZATION, auth);
        }
        if self.gpc.load(Ordering::Relaxed) {
            builder = builder.header(SEC_GPC, "1");
        }
        builder
    }

    async fn call<T: DeserializeOwned + WireBounds>(&self, builder: RequestBuilder) -> Result<T, MarketError> {
        decode_record(&self.exchange(builder).await?)
    }

    /// A listing page, refused when it holds more than the `limit` asked for.
    async fn call_page<T: DeserializeOwned + WireBounds>(
        &self,
        builder: RequestBuilder,
        limit: u32,
    ) -> Result<Page<T>, MarketError> {
        decode_page(&self.exchange(builder).await?, limit)
    }

    /// Sends the request and returns the body of a 2xx answer.
    async fn exchange(&self, builder: RequestBuilder) -> Result<Vec<u8>, MarketError> {
        let response = builder.send().await.map_err(transport_error)?;
        let status = response.status();
        let retry_after = response.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(RetryAfter::parse);
        let body = read_capped(response, MAX_RESPONSE_BYTES).await?;
        if status.is_success() {
            Ok(body)
        } else {
            Err(classify(status, retry_after, &body))
        }
    }
}

/// Reads a body chunk by chunk and stops as soon as it passes `cap` bytes
/// (or says it will, in `Content-Length`): an endless or huge body costs at
/// most `cap` bytes of memory, never what the server chose to send.
/// Dropping the response then closes the connection.
pub(crate) async fn read_capped(mut response: reqwest::Response, cap: usize) -> Result<Vec<u8>, MarketError> {
    let too_large = || MarketError::Refused(Refusal::BodyTooLarge { limit: cap });
    let declared = response.content_length();
    if declared.is_some_and(|len| len > cap as u64) {
        return Err(too_large());
    }
    // Trust a declared length only up to the cap for the first allocation.
    let mut body = Vec::with_capacity(declared.map_or(0, |len| len as usize).min(cap));
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        if body.len() + chunk.len() > cap {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// What every adapter checks and builds before its first request: the base
/// URL (`https`, or plain `http` only to this machine, so a token never
/// crosses a network in the clear; no user info, query or fragment; ending
/// in `/` so joining keeps any path prefix), a non-empty token, and a client
/// with the timeouts that follows no redirect (one could carry the token
/// elsewhere) and keeps no cookies (reqwest's `cookies` feature is off, so
/// an analytics opt-out has no jar to clear).
pub(crate) fn connection_parts(
    base_url: &str,
    token: &ApiToken,
    options: &HttpOptions,
) -> Result<(Url, reqwest::Client), MarketError> {
    let invalid = |message: &str| MarketError::Permanent {
        code: ApiErrorCode::ValidationFailed,
        message: format!("url: {message}"),
    };
    let mut base = Url::parse(base_url.trim()).map_err(|_| invalid("not a URL"))?;
    match base.scheme() {
        "https" => {}
        "http" if is_loopback(&base) => {}
        "http" => return Err(invalid("must start with https:// (plain http only to this machine)")),
        _ => return Err(invalid("must start with https://")),
    }
    if !base.username().is_empty() || base.password().is_some() {
        return Err(invalid("must not contain a user name or password; the token is given separately"));
    }
    if base.query().is_some() || base.fragment().is_some() {
        return Err(invalid("must not have a query or fragment"));
    }
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    if token.is_empty() {
        return Err(MarketError::Permanent {
            code: ApiErrorCode::ValidationFailed,
            message: "token: is empty".to_owned(),
        });
    }
    let http = reqwest::Client::builder()
        .timeout(options.request_timeout)
        .connect_timeout(options.connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("bidwell/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|_| MarketError::Permanent {
            code: ApiErrorCode::Internal,
            message: "the HTTP client could not be set up (TLS)".to_owned(),
        })?;
    Ok((base, http))
}

pub(crate) fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else { return false };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A failure before a whole answer arrived.
pub(crate) fn transport_error(error: reqwest::Error) -> MarketError {
    let reason = if error.is_timeout() {
        TransientReason::Timeout
    } else if error.is_connect() {
        TransientReason::Connect
    } else if error.is_builder() || error.is_redirect() {
        return MarketError::Permanent {
            code: ApiErrorCode::InvalidResponse,
            message: if error.is_redirect() {
                "the marketplace answered with a redirect, which the API never does; check the URL".to_owned()
            } else {
                "the request could not be built".to_owned()
            },
        };
    } else {
        TransientReason::ConnectionLost
    };
    MarketError::Transient { retry_after: None, reason }
}

/// Sorts a non-2xx answer by what the caller should do about it.
fn classify(status: StatusCode, retry_after: Option<RetryAfter>, body: &[u8]) -> MarketError {
    let parsed: Option<ApiErrorBody> = serde_json::from_slice(body).ok();
    let code = parsed.as_ref().map(|b| b.code);
    match status.as_u16() {
        401 => MarketError::Unauthorized,
        404 => MarketError::NotFound,
        410 if matches!(code, None | Some(ApiErrorCode::CursorExpired)) => MarketError::CursorExpired,
        409 | 412 if parsed.as_ref().is_some_and(|b| b.current.is_some()) => {
            let current = parsed.and_then(|b| b.current).expect("checked just above");
            MarketError::VersionConflict { current: Box::new(current) }
        }
        408 => MarketError::Transient { retry_after, reason: TransientReason::Timeout },
        429 => MarketError::Transient { retry_after, reason: TransientReason::RateLimited },
        503 => MarketError::Transient { retry_after, reason: TransientReason::Unavailable },
        s if s >= 500 => MarketError::Transient { retry_after, reason: TransientReason::ServerError(s) },
        s => match parsed {
            Some(body) if body.retryable => {
                MarketError::Transient { retry_after, reason: TransientReason::Retryable(body.code) }
            }
            Some(body) => MarketError::Permanent {
                code: body.code,
                message: body.message.chars().take(MAX_MESSAGE_CHARS).collect(),
            },
            None => MarketError::Permanent { code: ApiErrorCode::Unknown, message: format!("HTTP {s}") },
        },
    }
}

fn page_query(url: &mut Url, key: &str, cursor: Option<&Cursor>, limit: u32) {
    let mut pairs = url.query_pairs_mut();
    if let Some(cursor) = cursor {
        pairs.append_pair(key, cursor.as_str());
    }
    pairs.append_pair("limit", &limit.to_string());
}

#[async_trait]
impl Marketplace for HttpMarketplace {
    /// Bidwell's API is the full contract.
    fn capabilities(&self) -> crate::Capabilities {
        crate::Capabilities::FULL
    }

    async fn list_jobs(&self, query: &JobQuery, cursor: Option<&Cursor>, limit: u32) -> Result<Page<Job>, MarketError> {
        let mut url = self.url(&["jobs"]);
        {
            let mut pairs = url.query_pairs_mut();
            if let Some(words) = query.query.as_deref().filter(|q| !q.trim().is_empty()) {
                pairs.append_pair("query", words);
            }
            if !query.skills.is_empty() {
                pairs.append_pair("skills", &query.skills.join(","));
            }
            if let Some(kind) = query.budget_type {
                pairs.append_pair("budget_type", kind.as_str());
            }
            if let Some(min) = query.min_budget_minor {
                pairs.append_pair("min_budget", &min.to_string());
            }
            if let Some(currency) = &query.currency {
                pairs.append_pair("currency", currency);
            }
        }
        page_query(&mut url, "cursor", cursor, limit);
        self.call_page(self.request(Method::GET, url), limit).await
    }

    async fn get_job(&self, id: &str) -> Result<Job, MarketError> {
        self.call(self.request(Method::GET, self.url(&["jobs", id]))).await
    }

    async fn get_employer(&self, id: &str) -> Result<Employer, MarketError> {
        self.call(self.request(Method::GET, self.url(&["clients", id]))).await
    }

    async fn create_bid(&self, key: &IdempotencyKey, bid: &NewBid) -> Result<Bid, MarketError> {
        let request = self.request(Method::POST, self.url(&["bids"])).header(IDEMPOTENCY_KEY, key.as_str()).json(bid);
        self.call(request).await
    }

    async fn get_bid(&self, id: &str) -> Result<Bid, MarketError> {
        self.call(self.request(Method::GET, self.url(&["bids", id]))).await
    }

    async fn edit_bid(&self, id: &str, base_version: u64, edit: &BidEdit) -> Result<Bid, MarketError> {
        // An entity-tag is a quoted string (RFC 9110 §8.8.3).
        let request = self
            .request(Method::PATCH, self.url(&["bids", id]))
            .header(IF_MATCH, format!("\"{base_version}\""))
            .json(edit);
        self.call(request).await
    }

    async fn withdraw_bid(&self, id: &str, key: &IdempotencyKey) -> Result<Bid, MarketError> {
        let request =
            self.request(Method::POST, self.url(&["bids", id, "withdraw"])).header(IDEMPOTENCY_KEY, key.as_str());
        self.call(request).await
    }

    async fn bids_since(&self, since: Option<&Cursor>, limit: u32) -> Result<Page<Bid>, MarketError> {
        let mut url = self.url(&["bids"]);
        page_query(&mut url, "since", since, limit);
        self.call_page(self.request(Method::GET, url), limit).await
    }

    async fn milestones_since(&self, since: Option<&Cursor>, limit: u32) -> Result<Page<Milestone>, MarketError> {
        let mut url = self.url(&["milestones"]);
        page_query(&mut url, "since", since, limit);
        self.call_page(self.request(Method::GET, url), limit).await
    }

    async fn request_erasure(
        &self,
        key: &IdempotencyKey,
        request: &ErasureRequest,
    ) -> Result<ErasureReceipt, MarketError> {
        let builder = self
            .request(Method::POST, self.url(&["privacy", "erasure-requests"]))
            .header(IDEMPOTENCY_KEY, key.as_str())
            .json(request);
        self.call(builder).await
    }

    async fn get_consents(&self) -> Result<Consents, MarketError> {
        self.call(self.request(Method::GET, self.url(&["privacy", "consents"]))).await
    }

    async fn put_consents(&self, choices: &ConsentChoices) -> Result<Consents, MarketError> {
        self.call(self.request(Method::PUT, self.url(&["privacy", "consents"])).json(choices)).await
    }

    async fn send_analytics(&self, batch: &AnalyticsBatch) -> Result<(), MarketError> {
        if self.global_privacy_control() {
            return Err(MarketError::AnalyticsDisabled);
        }
        if let Some(bad) = batch.events.iter().find(|e| !e.has_valid_name()) {
            return Err(MarketError::Permanent {
                code: ApiErrorCode::ValidationFailed,
                message: format!("events: name {:?} is not lowercase [a-z0-9_.], 1 to 64 characters", bad.name),
            });
        }
        self.exchange(self.request(Method::POST, self.url(&["analytics", "events"])).json(batch)).await.map(|_| ())
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

    fn client(base: &str) -> Result<HttpMarketplace, MarketError> {
        HttpMarketplace::new(base, ApiToken::new("t".to_owned()), HttpOptions::default())
    }

    #[test]
    fn plain_http_only_to_this_machine() {
        assert!(client("https://market.example.com").is_ok());
        assert!(client("http://127.0.0.1:8080").is_ok());
        assert!(client("http://localhost:8080/").is_ok());
        assert!(client("http://[::1]:8080/").is_ok());
        assert!(client("http://market.example.com").is_err());
        assert!(client("ftp://market.example.com").is_err());
        assert!(client("https://user:pw@market.example.com").is_err());
        assert!(client("not a url").is_err());
    }

    #[test]
    fn ids_cannot_change_the_path() {
        let market = client("https://market.example.com/api").unwrap();
        assert_eq!(
            market.url(&["bids", "../admin?x"]).as_str(),
            "https://market.example.com/api/v1/bids/..%2Fadmin%3Fx"
        );
        assert_eq!(market.url(&["jobs"]).as_str(), "https://market.example.com/api/v1/jobs");
    }

    #[test]
    fn answers_are_sorted_by_what_to_do_next() {
        let body = |code: &str, retryable: bool| {
            serde_json::to_vec(&serde_json::json!({"code": code, "message": "m", "retryable": retryable})).unwrap()
        };
        let status = |s: u16| StatusCode::from_u16(s).unwrap();
        assert_eq!(classify(status(401), None, &body("unauthorized", false)), MarketError::Unauthorized);
        assert_eq!(classify(status(404), None, b""), MarketError::NotFound);
        assert_eq!(classify(status(410), None, &body("cursor_expired", false)), MarketError::CursorExpired);
        assert!(classify(status(500), None, b"<html>").is_transient());
        assert!(classify(status(502), None, b"").is_transient());
        assert_eq!(
            classify(status(429), Some(RetryAfter::Seconds(3)), &body("rate_limited", true)),
            MarketError::Transient { retry_after: Some(RetryAfter::Seconds(3)), reason: TransientReason::RateLimited }
        );
        assert!(matches!(
            classify(status(422), None, &body("idempotency_key_reused", false)),
            MarketError::Permanent { code: ApiErrorCode::IdempotencyKeyReused, .. }
        ));
        assert!(matches!(
            classify(status(400), None, &body("some_future_code", false)),
            MarketError::Permanent { code: ApiErrorCode::Unknown, .. }
        ));
        assert!(classify(status(409), None, &body("busy", true)).is_transient());
    }
}
