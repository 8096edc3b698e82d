//! The HTTP side of the reference marketplace: the routes of
//! docs/marketplace-openapi.yaml, a guard in front of them that records each
//! request, injects faults and checks the token, and the accept loop that
//! can drop a connection without answering.

use std::collections::HashMap;
use std::future::pending;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, ETAG, IF_MATCH, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use futures_util::StreamExt;
use rand::Rng;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tower::ServiceExt;

use bidwell_marketplace::wire::*;
use bidwell_marketplace::MAX_PAGE_LIMIT;

use crate::state::{failure_body, ApiFailure, DEFAULT_LIMIT};
use crate::{FaultKind, ReceivedRequest, Shared};

/// Bodies above this are refused; no real request comes close.
const MAX_BODY: usize = 1024 * 1024;

/// Put on each request so a handler can drop its connection.
#[derive(Clone)]
pub(crate) struct ConnectionKill(pub(crate) Arc<Notify>);

/// Put on each request: the address the connection came from (a server
/// that limits its rate per client counts by it).
#[derive(Clone, Copy)]
pub(crate) struct Peer(pub(crate) std::net::SocketAddr);

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/jobs", get(list_jobs))
        .route("/v1/jobs/{id}", get(get_job))
        .route("/v1/clients/{id}", get(get_employer))
        .route("/v1/bids", get(list_bids).post(create_bid))
        .route("/v1/bids/{id}", get(get_bid).patch(edit_bid))
        .route("/v1/bids/{id}/withdraw", post(withdraw_bid))
        .route("/v1/milestones", get(list_milestones))
        .route("/v1/privacy/erasure-requests", post(request_erasure))
        .route("/v1/privacy/consents", get(get_consents).put(put_consents))
        .route("/v1/analytics/events", post(send_analytics))
        .fallback(|| async { failure(ApiFailure::not_found("endpoint")) })
        .layer(axum::middleware::from_fn_with_state(shared.clone(), guard))
        .with_state(shared)
}

/// Serves `router` on `listener` until the task is aborted; aborting it
/// drops every open connection with it.
pub(crate) async fn serve(listener: TcpListener, router: Router) {
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let Ok((stream, peer)) = accepted else { continue };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        connections.spawn(async move {
            let kill = Arc::new(Notify::new());
            let for_requests = kill.clone();
            let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectionKill(for_requests.clone()));
                request.extensions_mut().insert(Peer(peer));
                router.clone().oneshot(request.map(Body::new))
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            // Returning drops the connection: the socket closes with no answer.
            tokio::select! {
                _ = connection => {}
                _ = kill.notified() => {}
            }
        });
    }
}

// ----- the guard -----

async fn guard(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return failure(ApiFailure::new(413, ApiErrorCode::ValidationFailed, "body: larger than 1 MiB"));
    };
    shared.record(ReceivedRequest::of(&parts, &body));
    let kill = parts.extensions.get::<ConnectionKill>().cloned();
    let request = Request::from_parts(parts, Body::from(body));

    let fault = shared.next_fault();
    match fault {
        Some(FaultKind::ConnectionReset) => {
            if let Some(ConnectionKill(kill)) = kill {
                kill.notify_one();
                return pending().await;
            }
            // Not served by our accept loop: the nearest thing is a 500.
            return failure(ApiFailure::new(500, ApiErrorCode::Internal, "injected fault"));
        }
        Some(FaultKind::ServerError) => {
            return failure(ApiFailure::new(500, ApiErrorCode::Internal, "injected fault: try again"));
        }
        Some(FaultKind::RateLimited) => {
            let mut response = failure(ApiFailure::new(429, ApiErrorCode::RateLimited, "too many requests"));
            let seconds = shared.fault_rng(|rng| rng.gen_range(1..=2u64));
            let value = if shared.fault_rng(|rng| rng.gen_bool(0.5)) {
                seconds.to_string()
            } else {
                httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(seconds))
            };
            response.headers_mut().insert(RETRY_AFTER, HeaderValue::from_str(&value).expect("ASCII"));
            return response;
        }
        Some(FaultKind::Hang) => tokio::time::sleep(shared.hang).await,
        Some(_) | None => {}
    }

    if !shared.authorized(request.headers()) {
        return failure(ApiFailure::new(401, ApiErrorCode::Unauthorized, "the token is missing, expired or revoked"));
    }
    if let Some(response) = fault.and_then(|kind| hostile(&shared, kind, &request)) {
        return response;
    }
    let changes = request.method() != axum::http::Method::GET && request.method() != axum::http::Method::HEAD;
    let response = next.run(request).await;
    // A change is answered once it is in the state file (when there is one).
    if changes && shared.save().is_err() {
        return failure(ApiFailure::new(503, ApiErrorCode::Unavailable, "the change could not be saved; try again"));
    }
    if fault == Some(FaultKind::ApplyThenFail) {
        return failure(ApiFailure::new(500, ApiErrorCode::Internal, "injected fault after the change was saved"));
    }
    response
}

impl Shared {
    fn authorized(&self, headers: &HeaderMap) -> bool {
        let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) else { return false };
        let Some((scheme, token)) = value.split_once(' ') else { return false };
        scheme.eq_ignore_ascii_case("bearer") && !self.token.is_empty() && token.trim() == self.token
    }
}

// ----- hostile answers -----

/// Bytes per streamed chunk of a hostile body.
pub(crate) const CHUNK: usize = 64 * 1024;

/// The answer of a hostile marketplace to `request`, or `None` when `kind`
/// does not apply to it (not hostile, or not a listing where only a
/// listing misbehaves). Huge bodies are streamed from one shared chunk, so
/// the server never holds more than that chunk whatever it sends.
fn hostile(shared: &Arc<Shared>, kind: FaultKind, request: &Request) -> Option<Response> {
    let path = request.uri().path();
    let listing =
        request.method() == axum::http::Method::GET && matches!(path, "/v1/bids" | "/v1/milestones" | "/v1/jobs");
    let asked_cursor = || {
        let Ok(Query(params)) = Query::<HashMap<String, String>>::try_from_uri(request.uri()) else { return None };
        params.get("since").or_else(|| params.get("cursor")).cloned()
    };
    match kind {
        FaultKind::HugeBody | FaultKind::HugeDeclaredBody => {
            let total = shared.huge_body_bytes;
            let counter = shared.clone();
            let counted = Arc::new(move |n: u64| {
                counter.streamed.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
            });
            let body = repeated(counted, Bytes::from_static(b"["), Bytes::from(vec![b' '; CHUNK]), total);
            let mut response = Response::new(body);
            response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            if kind == FaultKind::HugeDeclaredBody {
                response.headers_mut().insert(axum::http::header::CONTENT_LENGTH, HeaderValue::from(total));
            }
            Some(response)
        }
        FaultKind::OverfullPage if listing => {
            let item = Bytes::from(overfull_item(path));
            let mut chunk = Vec::with_capacity(CHUNK + item.len() + 1);
            while chunk.len() < CHUNK {
                chunk.extend_from_slice(&item);
                chunk.push(b',');
            }
            let per_chunk = (chunk.len() / (item.len() + 1)) as u64;
            let items = shared.overfull_page_items.max(1);
            // Whole chunks, then single items, then the last one without a comma.
            let whole = (items - 1) / per_chunk;
            let rest = (items - 1) % per_chunk;
            let mut single = item.to_vec();
            single.push(b',');
            let head = Bytes::from_static(b"{\"items\":[");
            let tail = {
                let mut tail = item.to_vec();
                tail.extend_from_slice(b"],\"next_cursor\":\"overfull\",\"has_more\":false}");
                Bytes::from(tail)
            };
            let chunk = Bytes::from(chunk[..per_chunk as usize * (item.len() + 1)].to_vec());
            let single = Bytes::from(single);
            let counter = shared.clone();
            let stream = futures_util::stream::iter([head])
                .chain(futures_util::stream::repeat(chunk).take(whole as usize))
                .chain(futures_util::stream::repeat(single).take(rest as usize))
                .chain(futures_util::stream::iter([tail]))
                .map(move |bytes| {
                    counter.streamed.fetch_add(bytes.len() as u64, std::sync::atomic::Ordering::Relaxed);
                    Ok::<Bytes, std::convert::Infallible>(bytes)
                });
            let mut response = Response::new(Body::from_stream(stream));
            response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            Some(response)
        }
        FaultKind::StuckCursor if listing => {
            let cursor = asked_cursor().unwrap_or_else(|| "stuck".to_owned());
            Some(json(StatusCode::OK, &serde_json::json!({ "items": [], "next_cursor": cursor, "has_more": true })))
        }
        FaultKind::EndlessFeed if listing => {
            let n = shared.endless.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let cursor = format!("endless-{n}");
            Some(json(StatusCode::OK, &serde_json::json!({ "items": [], "next_cursor": cursor, "has_more": true })))
        }
        _ => None,
    }
}

/// What a hostile body tells as it streams: how many bytes went out.
pub(crate) type StreamCounter = Arc<dyn Fn(u64) + Send + Sync>;

/// `first`, then `chunk` repeated, cut so that the whole is `total` bytes.
pub(crate) fn repeated(counted: StreamCounter, first: Bytes, chunk: Bytes, total: u64) -> Body {
    let stream = futures_util::stream::unfold((Some(first), total), move |(first, left)| {
        let chunk = chunk.clone();
        let counted = counted.clone();
        async move {
            if left == 0 {
                return None;
            }
            let next = first.unwrap_or(chunk);
            let next = next.slice(..next.len().min(usize::try_from(left).unwrap_or(usize::MAX)));
            let left = left - next.len() as u64;
            counted(next.len() as u64);
            Some((Ok::<Bytes, std::convert::Infallible>(next), (None, left)))
        }
    });
    Body::from_stream(stream)
}

/// One valid record of the listing at `path`, as JSON.
fn overfull_item(path: &str) -> Vec<u8> {
    let at = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default();
    let money = Money { amount_minor: 100, currency: "USD".to_owned() };
    let bytes = match path {
        "/v1/bids" => serde_json::to_vec(&Bid {
            id: "overfull".to_owned(),
            job_id: "overfull".to_owned(),
            amount: money,
            period_days: 1,
            milestone_percentage: 0,
            proposal: String::new(),
            status: BidStatus::Submitted,
            version: 1,
            created_at: at,
            updated_at: at,
        }),
        "/v1/milestones" => serde_json::to_vec(&Milestone {
            id: "overfull".to_owned(),
            bid_id: "overfull".to_owned(),
            amount: money,
            description: String::new(),
            status: MilestoneStatus::Pending,
            version: 1,
            created_at: at,
            updated_at: at,
        }),
        _ => serde_json::to_vec(&Job {
            id: "overfull".to_owned(),
            title: "Overfull".to_owned(),
            description: String::new(),
            budget: Budget { kind: BudgetType::Fixed, min_minor: 100, max_minor: None, currency: "USD".to_owned() },
            skills: Vec::new(),
            client_id: "overfull".to_owned(),
            posted_at: at,
            status: JobStatus::Open,
            updated_at: at,
            url: None,
        }),
    };
    bytes.expect("wire types serialize")
}

// ----- responses -----

fn failure(failure: ApiFailure) -> Response {
    let status = StatusCode::from_u16(failure.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json(status, &failure_body(&failure))
}

fn json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    let bytes = serde_json::to_vec(body).expect("wire types serialize");
    (status, [(CONTENT_TYPE, HeaderValue::from_static("application/json"))], bytes).into_response()
}

fn ok<T: Serialize>(result: Result<T, ApiFailure>) -> Response {
    match result {
        Ok(body) => json(StatusCode::OK, &body),
        Err(f) => failure(f),
    }
}

/// A bid with its version as the entity-tag, for `If-Match`.
fn bid_response(status: StatusCode, bid: &Bid) -> Response {
    let mut response = json(status, bid);
    let tag = HeaderValue::from_str(&format!("\"{}\"", bid.version)).expect("digits");
    response.headers_mut().insert(ETAG, tag);
    response
}

fn replay(status: u16, body: Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = json(status, &body);
    if let Some(version) = body.get("version").and_then(Value::as_u64) {
        let tag = HeaderValue::from_str(&format!("\"{version}\"")).expect("digits");
        response.headers_mut().insert(ETAG, tag);
    }
    response
}

fn to_reply<T: Serialize>(status: StatusCode, result: Result<T, ApiFailure>) -> (u16, Value) {
    match result {
        Ok(body) => (status.as_u16(), serde_json::to_value(body).expect("wire types serialize")),
        Err(f) => (f.status, failure_body(&f)),
    }
}

// ----- request parts -----

/// Parses a JSON body without echoing its content in the error. Numbers
/// are read as JSON Schema reads them: `84.0` is the integer 84 (the spec
/// says `type: integer`, and a JSON Schema integer is any number with a zero
/// fractional part), so an integral number written with a fraction or an
/// exponent is accepted wherever an integer is.
fn parse_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiFailure> {
    serde_json::from_slice(body).or_else(|e| {
        let integral = (e.classify() == serde_json::error::Category::Data)
            .then(|| serde_json::from_slice::<Value>(body).ok())
            .flatten()
            .and_then(|mut value| integral_floats_as_integers(&mut value).then_some(value))
            .and_then(|value| serde_json::from_value(value).ok());
        integral.ok_or_else(|| {
            ApiFailure::validation(format!(
                "body: not the expected JSON ({} at line {}, column {})",
                match e.classify() {
                    serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "malformed",
                    _ => "wrong or missing field",
                },
                e.line(),
                e.column()
            ))
        })
    })
}

/// Rewrites every float in `value` that is a whole number within the range
/// of i64 or u64 as that integer; whether anything changed.
fn integral_floats_as_integers(value: &mut Value) -> bool {
    match value {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            let Some(f) = n.as_f64() else { return false };
            // 2^63 and 2^64 are exact in f64; the casts below are then lossless.
            let integer = if f.fract() != 0.0 {
                None
            } else if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f) {
                Some(Value::from(f as i64))
            } else if (0.0..18_446_744_073_709_551_616.0).contains(&f) {
                Some(Value::from(f as u64))
            } else {
                None
            };
            integer.map(|i| *value = i).is_some()
        }
        Value::Array(items) => items.iter_mut().fold(false, |changed, v| integral_floats_as_integers(v) | changed),
        Value::Object(fields) => fields.values_mut().fold(false, |changed, v| integral_floats_as_integers(v) | changed),
        _ => false,
    }
}

fn limit(params: &HashMap<String, String>) -> Result<usize, ApiFailure> {
    match params.get("limit") {
        None => Ok(DEFAULT_LIMIT),
        Some(raw) => match raw.parse::<u32>() {
            Ok(n) if (1..=MAX_PAGE_LIMIT).contains(&n) => Ok(n as usize),
            _ => Err(ApiFailure::validation(format!("limit: must be 1 to {MAX_PAGE_LIMIT}"))),
        },
    }
}

type Params = Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>;

fn params(query: Params) -> Result<HashMap<String, String>, ApiFailure> {
    query.map(|Query(p)| p).map_err(|_| ApiFailure::validation("query: malformed query string"))
}

/// `Idempotency-Key`: 1 to 255 visible ASCII characters (no spaces), as the
/// spec's pattern says and as Bidwell's client makes them.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiFailure> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(value) => {
            let bytes = value.as_bytes();
            let valid = (1..=255).contains(&bytes.len()) && bytes.iter().all(u8::is_ascii_graphic);
            let key = valid.then(|| String::from_utf8_lossy(bytes).into_owned());
            key.map(Some).ok_or_else(|| {
                ApiFailure::validation("Idempotency-Key: must be 1 to 255 visible ASCII characters, without spaces")
            })
        }
    }
}

/// `If-Match: "3"` (also `3` and `W/"3"`): exactly the spec's pattern. A
/// version too large for any bid is a version the bid is not at (412).
fn if_match(headers: &HeaderMap) -> Result<u64, ApiFailure> {
    let value = headers.get(IF_MATCH).ok_or_else(|| {
        ApiFailure::new(428, ApiErrorCode::PreconditionRequired, "If-Match: required; send the bid's version")
    })?;
    let raw = value.to_str().unwrap_or("").trim();
    let raw = raw.strip_prefix("W/").unwrap_or(raw);
    let digits = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')).unwrap_or(raw);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiFailure::validation("If-Match: must be the bid's version, e.g. \"3\""));
    }
    Ok(digits.parse().unwrap_or(u64::MAX))
}

// ----- handlers -----

async fn list_jobs(State(shared): State<Arc<Shared>>, query: Params) -> Response {
    let result = (|| {
        let params = params(query)?;
        let budget_type = match params.get("budget_type").map(String::as_str) {
            None => None,
            Some("fixed") => Some(BudgetType::Fixed),
            Some("hourly") => Some(BudgetType::Hourly),
            Some(_) => return Err(ApiFailure::validation("budget_type: must be fixed or hourly")),
        };
        let min_budget_minor = match params.get("min_budget") {
            None => None,
            Some(raw) => Some(
                raw.parse::<i64>()
                    .map_err(|_| ApiFailure::validation("min_budget: must be an integer of minor units"))?,
            ),
        };
        let query = params.get("query").cloned();
        if query.as_deref().is_some_and(|q| q.chars().count() > 200) {
            return Err(ApiFailure::validation("query: at most 200 characters"));
        }
        let currency = params.get("currency").cloned();
        if currency.as_deref().is_some_and(|c| c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase())) {
            return Err(ApiFailure::validation("currency: must be an ISO 4217 code like USD"));
        }
        let filter = JobQuery {
            query,
            skills: params
                .get("skills")
                .map(|s| s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
                .unwrap_or_default(),
            budget_type,
            min_budget_minor,
            currency,
        };
        let limit = limit(&params)?;
        shared.state().list_jobs(&filter, params.get("cursor").map(String::as_str), limit)
    })();
    ok(result)
}

async fn get_job(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    ok(shared.state().job(&id).ok_or_else(|| ApiFailure::not_found("job")))
}

async fn get_employer(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    ok(shared.state().employer(&id).ok_or_else(|| ApiFailure::not_found("client")))
}

async fn list_bids(State(shared): State<Arc<Shared>>, query: Params) -> Response {
    ok(params(query).and_then(|p| {
        let limit = limit(&p)?;
        shared.state().bids_since(p.get("since").map(String::as_str), limit)
    }))
}

async fn list_milestones(State(shared): State<Arc<Shared>>, query: Params) -> Response {
    ok(params(query).and_then(|p| {
        let limit = limit(&p)?;
        shared.state().milestones_since(p.get("since").map(String::as_str), limit)
    }))
}

async fn create_bid(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let key = match idempotency_key(&headers) {
        Ok(Some(key)) => key,
        Ok(None) => return failure(ApiFailure::validation("Idempotency-Key: required when creating a bid")),
        Err(f) => return failure(f),
    };
    let (status, reply) = shared.state().idempotent(&key, &[b"POST /v1/bids", &body], |state| {
        let result = parse_body::<NewBid>(&body).and_then(|new| state.create_bid(new, Utc::now()));
        to_reply(StatusCode::CREATED, result)
    });
    replay(status, reply)
}

async fn get_bid(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    match shared.state().bid(&id) {
        Some(bid) => bid_response(StatusCode::OK, &bid),
        None => failure(ApiFailure::not_found("bid")),
    }
}

async fn edit_bid(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = if_match(&headers)
        .and_then(|version| Ok((version, parse_body::<BidEdit>(&body)?)))
        .and_then(|(version, edit)| shared.state().edit_bid(&id, version, edit, Utc::now()));
    match result {
        Ok(bid) => bid_response(StatusCode::OK, &bid),
        Err(f) => failure(f),
    }
}

async fn withdraw_bid(State(shared): State<Arc<Shared>>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let key = match idempotency_key(&headers) {
        Ok(key) => key,
        Err(f) => return failure(f),
    };
    let mut state = shared.state();
    let (status, reply) = match key {
        Some(key) => state.idempotent(&key, &[b"POST /v1/bids/{id}/withdraw", id.as_bytes()], |state| {
            to_reply(StatusCode::OK, state.withdraw_bid(&id, Utc::now()))
        }),
        None => to_reply(StatusCode::OK, state.withdraw_bid(&id, Utc::now())),
    };
    replay(status, reply)
}

async fn request_erasure(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let key = match idempotency_key(&headers) {
        Ok(key) => key,
        Err(f) => return failure(f),
    };
    let run = |state: &mut crate::state::MarketState| {
        let result = parse_body::<ErasureRequest>(&body).map(|r| state.request_erasure(r, Utc::now()));
        to_reply(StatusCode::ACCEPTED, result)
    };
    let mut state = shared.state();
    let (status, reply) = match key {
        Some(key) => state.idempotent(&key, &[b"POST /v1/privacy/erasure-requests", &body], run),
        None => run(&mut state),
    };
    replay(status, reply)
}

async fn get_consents(State(shared): State<Arc<Shared>>) -> Response {
    json(StatusCode::OK, &shared.state().consents())
}

async fn put_consents(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    ok(parse_body::<ConsentChoices>(&body).map(|choices| shared.state().put_consents(choices, Utc::now())))
}

async fn send_analytics(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let result = parse_body::<AnalyticsBatch>(&body).and_then(|batch| shared.state().record_analytics(batch));
    match result {
        Ok(accepted) => json(StatusCode::ACCEPTED, &serde_json::json!({ "accepted": accepted })),
        Err(f) => failure(f),
    }
}
