//! The HTTP side of the Freelancer-style server: the REST 0.1 routes, the
//! success and error envelopes, and a guard in front of them that records
//! each request, injects the crate's faults and checks `Freelancer-OAuth-V1`.
//! The OAuth endpoints sit behind the same guard (faults apply to them too,
//! so a client can be tested against a flaky token endpoint) but need no token.

use std::future::pending;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::Router;
use chrono::Utc;
use futures_util::StreamExt;
use rand::Rng;
use serde_json::{json, Value};

use super::state::{codes, BidRequest, Details, FlFailure, FlState, IdQuery, ProjectQuery};
use super::FlShared;
use crate::routes::{repeated, ConnectionKill, CHUNK};
use crate::{FaultKind, ReceivedRequest};

/// Bodies above this are refused; no real request comes close.
const MAX_BODY: usize = 1024 * 1024;
/// The SDK's default page size.
const DEFAULT_LIMIT: usize = 10;
/// This server's cap on `limit` (the real one's is not published).
const MAX_LIMIT: usize = 100;
const AUTH_HEADER: &str = "freelancer-oauth-v1";

/// The user a request acts for, put there by the guard.
#[derive(Clone, Copy)]
struct Caller(u64);

pub(crate) fn router(shared: Arc<FlShared>) -> Router {
    let api = Router::new()
        .route("/api/users/0.1/self/", get(get_self))
        .route("/api/projects/0.1/projects/", get(list_by_ids))
        .route("/api/projects/0.1/projects/active/", get(list_active))
        .route("/api/projects/0.1/projects/all/", get(list_all))
        .route("/api/projects/0.1/projects/{id}/", get(get_project))
        .route("/api/projects/0.1/bids/", get(list_bids).post(place_bid))
        .route("/api/projects/0.1/bids/{id}/", put(bid_action))
        .route("/api/projects/0.1/milestones/", get(list_milestones))
        .route("/api/projects/0.1/milestones/{id}/", get(get_milestone))
        .with_state(shared.clone());
    api.merge(shared.oauth.router())
        .fallback(|| async { failure(FlFailure::new(404, codes::NOT_FOUND, "No such endpoint")) })
        .layer(axum::middleware::from_fn_with_state(shared, guard))
}

// ----- envelopes -----

/// A random id per answer, as the real API sends (32 hex digits).
fn request_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (status, [(CONTENT_TYPE, HeaderValue::from_static("application/json"))], body.to_string()).into_response()
}

fn success(result: Value) -> Response {
    json_response(StatusCode::OK, &json!({ "status": "success", "result": result, "request_id": request_id() }))
}

fn failure(f: FlFailure) -> Response {
    let status = StatusCode::from_u16(f.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body =
        json!({ "status": "error", "message": f.message, "error_code": f.error_code, "request_id": request_id() });
    json_response(status, &body)
}

fn answer(result: Result<Value, FlFailure>) -> Response {
    match result {
        Ok(value) => success(value),
        Err(f) => failure(f),
    }
}

// ----- the guard -----

async fn guard(State(shared): State<Arc<FlShared>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return failure(FlFailure::new(413, codes::TOO_LARGE, "The request body is larger than 1 MiB."));
    };
    shared.record(ReceivedRequest::of(&parts, &body));
    let kill = parts.extensions.get::<ConnectionKill>().cloned();
    let mut request = Request::from_parts(parts, Body::from(body));

    let fault = crate::next_fault(&shared.faults);
    match fault {
        Some(FaultKind::ConnectionReset) => {
            if let Some(ConnectionKill(kill)) = kill {
                kill.notify_one();
                return pending().await;
            }
            return failure(FlFailure::new(500, codes::INTERNAL_ERROR, "injected fault"));
        }
        Some(FaultKind::ServerError) => {
            return failure(FlFailure::new(500, codes::INTERNAL_ERROR, "injected fault: try again"));
        }
        Some(FaultKind::RateLimited) => {
            let mut response = failure(FlFailure::new(429, codes::RATE_LIMITED, "Too many requests."));
            let (seconds, as_date) = {
                let mut faults = crate::lock(&shared.faults);
                (faults.rng.gen_range(1..=2u64), faults.rng.gen_bool(0.5))
            };
            let value = if as_date {
                httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(seconds))
            } else {
                seconds.to_string()
            };
            response.headers_mut().insert(RETRY_AFTER, HeaderValue::from_str(&value).expect("ASCII"));
            return response;
        }
        Some(FaultKind::Hang) => tokio::time::sleep(shared.hang).await,
        Some(_) | None => {}
    }

    let is_api = request.uri().path().starts_with("/api/");
    if is_api {
        let token = request.headers().get(AUTH_HEADER).and_then(|v| v.to_str().ok()).map(str::trim).unwrap_or("");
        match shared.oauth.user_for(token) {
            Some(user) => {
                request.extensions_mut().insert(Caller(user));
            }
            None => {
                return failure(FlFailure::new(
                    401,
                    codes::NOT_AUTHENTICATED,
                    "You must be logged in to perform this request",
                ))
            }
        }
    }
    if let Some(kind @ (FaultKind::HugeBody | FaultKind::HugeDeclaredBody)) = fault {
        let total = shared.huge_body_bytes;
        let counter = shared.clone();
        let counted = Arc::new(move |n: u64| {
            counter.streamed.fetch_add(n, Ordering::Relaxed);
        });
        let body = repeated(
            counted,
            Bytes::from_static(b"{\"status\":\"success\",\"result\":"),
            Bytes::from(vec![b' '; CHUNK]),
            total,
        );
        let mut response = Response::new(body);
        response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if kind == FaultKind::HugeDeclaredBody {
            response.headers_mut().insert(axum::http::header::CONTENT_LENGTH, HeaderValue::from(total));
        }
        return response;
    }
    if fault == Some(FaultKind::OverfullPage) && request.method() == Method::GET {
        if let Some(response) = overfull(&shared, request.uri().path()) {
            return response;
        }
    }
    let response = next.run(request).await;
    if fault == Some(FaultKind::ApplyThenFail) {
        return failure(FlFailure::new(500, codes::INTERNAL_ERROR, "injected fault after the change was made"));
    }
    response
}

/// Hostile: a projects or bids listing answers one page of
/// `overfull_page_items` valid items, whatever `limit` asked for, streamed
/// from one shared chunk so the server never holds the page. `None` for
/// other routes (milestones are keyed by id, so repeating one would not add
/// items), which are then served as usual.
fn overfull(shared: &Arc<FlShared>, path: &str) -> Option<Response> {
    let (key, item) = {
        let state = shared.state();
        match path {
            "/api/projects/0.1/projects/active/" | "/api/projects/0.1/projects/all/" => {
                let project = state.projects.values().next()?;
                ("projects", state.project_json(project, Details::default()))
            }
            "/api/projects/0.1/bids/" => ("bids", FlState::bid_json(state.bids.values().next()?)),
            _ => return None,
        }
    };
    let items = shared.overfull_page_items.max(1);
    let head = format!(
        "{{\"status\":\"success\",\"request_id\":\"{}\",\"result\":{{\"total_count\":{items},\"users\":null,\"{key}\":[",
        request_id()
    );
    let item = item.to_string().into_bytes();
    let per_chunk = (CHUNK / (item.len() + 1)).max(1);
    let mut chunk = Vec::with_capacity(per_chunk * (item.len() + 1));
    for _ in 0..per_chunk {
        chunk.extend_from_slice(&item);
        chunk.push(b',');
    }
    // Whole chunks, then single items, then the last item without a comma.
    let whole = (items - 1) / per_chunk as u64;
    let rest = (items - 1) % per_chunk as u64;
    let mut single = item.clone();
    single.push(b',');
    let mut tail = item;
    tail.extend_from_slice(b"]}}");
    let counter = shared.clone();
    let stream = futures_util::stream::iter([Bytes::from(head)])
        .chain(futures_util::stream::repeat(Bytes::from(chunk)).take(whole as usize))
        .chain(futures_util::stream::repeat(Bytes::from(single)).take(rest as usize))
        .chain(futures_util::stream::iter([Bytes::from(tail)]))
        .map(move |bytes| {
            counter.streamed.fetch_add(bytes.len() as u64, Ordering::Relaxed);
            Ok::<Bytes, std::convert::Infallible>(bytes)
        });
    let mut response = Response::new(Body::from_stream(stream));
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Some(response)
}

// ----- query strings -----

/// Query pairs in order; `name[]` repeats for arrays (`projects[]=1&projects[]=2`).
fn query_pairs(raw: &Option<String>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes()).into_owned().collect()
}

fn first<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// A detail flag: `true`/`1` on, `false`/`0`/absent off, else an error.
fn flag(pairs: &[(String, String)], name: &str) -> Result<bool, FlFailure> {
    match first(pairs, name).map(str::to_ascii_lowercase).as_deref() {
        None | Some("false" | "0" | "") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(_) => Err(FlFailure::invalid(format!("{name}: must be true or false"))),
    }
}

fn number<T: std::str::FromStr>(pairs: &[(String, String)], name: &str) -> Result<Option<T>, FlFailure> {
    first(pairs, name)
        .map(|raw| raw.parse::<T>().map_err(|_| FlFailure::invalid(format!("{name}: must be a whole number"))))
        .transpose()
}

fn paging(pairs: &[(String, String)]) -> Result<(usize, usize), FlFailure> {
    let limit = number::<usize>(pairs, "limit")?.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(FlFailure::invalid(format!("limit: must be 1 to {MAX_LIMIT}")));
    }
    Ok((limit, number::<usize>(pairs, "offset")?.unwrap_or(0)))
}

/// Every value of `name[]` as ids.
/// The filters and paging of a bids or milestones listing; `own` names the
/// listing's own id filter (`bids[]`, `milestones[]`).
fn id_query(pairs: &[(String, String)], own: &str) -> Result<IdQuery, FlFailure> {
    let (limit, offset) = paging(pairs)?;
    Ok(IdQuery {
        projects: ids(pairs, "projects")?,
        ids: ids(pairs, own)?,
        bidders: ids(pairs, "bidders")?,
        limit,
        offset,
    })
}

fn ids(pairs: &[(String, String)], name: &str) -> Result<Vec<u64>, FlFailure> {
    let key = format!("{name}[]");
    pairs
        .iter()
        .filter(|(n, _)| *n == key)
        .map(|(_, v)| v.parse::<u64>().map_err(|_| FlFailure::invalid(format!("{key}: must be ids"))))
        .collect()
}

fn details(pairs: &[(String, String)]) -> Result<Details, FlFailure> {
    Ok(Details {
        full_description: flag(pairs, "full_description")?,
        job_details: flag(pairs, "job_details")?,
        user_details: flag(pairs, "user_details")?,
    })
}

fn path_id(raw: &str, what: &'static str) -> Result<u64, FlFailure> {
    raw.parse().map_err(|_| FlFailure::new(404, codes::NOT_FOUND, format!("{what} not found")))
}

// ----- handlers -----

async fn get_self(
    State(shared): State<Arc<FlShared>>,
    axum::Extension(Caller(user)): axum::Extension<Caller>,
) -> Response {
    let state = shared.state();
    answer(
        state
            .users
            .get(&user)
            .map(|u| u.to_json())
            .ok_or_else(|| FlFailure::new(404, codes::NOT_FOUND, "User not found")),
    )
}

async fn list_active(State(shared): State<Arc<FlShared>>, RawQuery(raw): RawQuery) -> Response {
    answer(list_projects(&shared.state(), &raw, true))
}

async fn list_all(State(shared): State<Arc<FlShared>>, RawQuery(raw): RawQuery) -> Response {
    answer(list_projects(&shared.state(), &raw, false))
}

fn list_projects(state: &FlState, raw: &Option<String>, active_only: bool) -> Result<Value, FlFailure> {
    let pairs = query_pairs(raw);
    let (limit, offset) = paging(&pairs)?;
    let details = details(&pairs)?;
    let query = ProjectQuery { query: first(&pairs, "query").map(str::to_owned), active_only, limit, offset };
    let (page, total) = state.list_projects(&query);
    let users = if details.user_details { state.users_json(page.iter().map(|p| p.owner_id)) } else { Value::Null };
    let projects: Vec<Value> = page.iter().map(|p| state.project_json(p, details)).collect();
    Ok(json!({ "projects": projects, "users": users, "total_count": total, "selected_bids": null }))
}

/// `projects/0.1/projects/?projects[]=…`: the named projects, any status
/// (the SDK's `get_projects`). Unknown ids are left out, as Freelancer does.
async fn list_by_ids(State(shared): State<Arc<FlShared>>, RawQuery(raw): RawQuery) -> Response {
    let state = shared.state();
    answer((|| {
        let pairs = query_pairs(&raw);
        let details = details(&pairs)?;
        let (limit, offset) = paging(&pairs)?;
        let wanted = ids(&pairs, "projects")?;
        if wanted.is_empty() {
            return Err(FlFailure::invalid("projects[]: at least one id is required"));
        }
        let page: Vec<&super::state::Project> =
            wanted.iter().filter_map(|id| state.projects.get(id)).skip(offset).take(limit).collect();
        let users = if details.user_details { state.users_json(page.iter().map(|p| p.owner_id)) } else { Value::Null };
        let projects: Vec<Value> = page.iter().map(|p| state.project_json(p, details)).collect();
        Ok(json!({ "projects": projects, "users": users, "total_count": page.len(), "selected_bids": null }))
    })())
}

async fn get_project(State(shared): State<Arc<FlShared>>, Path(id): Path<String>, RawQuery(raw): RawQuery) -> Response {
    let state = shared.state();
    answer((|| {
        let pairs = query_pairs(&raw);
        let details = details(&pairs)?;
        let id =
            path_id(&id, "Project").map_err(|_| FlFailure::new(404, codes::PROJECT_NOT_FOUND, "Project not found"))?;
        let project = state
            .projects
            .get(&id)
            .ok_or_else(|| FlFailure::new(404, codes::PROJECT_NOT_FOUND, "Project not found"))?;
        let mut out = state.project_json(project, details);
        if details.user_details {
            out["owner"] = state.users.get(&project.owner_id).map(|u| u.to_json()).unwrap_or(Value::Null);
        }
        Ok(out)
    })())
}

async fn place_bid(
    State(shared): State<Arc<FlShared>>,
    axum::Extension(Caller(user)): axum::Extension<Caller>,
    body: Bytes,
) -> Response {
    let request = match serde_json::from_slice::<BidRequest>(&body) {
        Ok(request) => request,
        // The message names what is wrong, never the body's content.
        Err(e) => {
            return failure(FlFailure::invalid(format!(
            "body: expected JSON with project_id, bidder_id, amount, period, milestone_percentage, description ({})",
            match e.classify() {
                serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "malformed",
                _ => "a field is missing or has the wrong type",
            }
        )))
        }
    };
    let placed = shared.state().place_bid(user, request, Utc::now());
    if placed.is_ok() {
        if let Some(failed) = unsaved(&shared) {
            return failed;
        }
    }
    answer(placed.map(|bid| FlState::bid_json(&bid)))
}

/// After a change (with the state unlocked): the state file follows, and the
/// change is answered only once it is there. A failed save is answered 503,
/// as the Bidwell kind does (this answer, `None` when saved); the change
/// stays made in memory and goes to the file with the next save.
fn unsaved(shared: &FlShared) -> Option<Response> {
    shared
        .save()
        .err()
        .map(|_| failure(FlFailure::new(503, codes::UNAVAILABLE, "The change could not be saved; try again.")))
}

async fn list_bids(State(shared): State<Arc<FlShared>>, RawQuery(raw): RawQuery) -> Response {
    let state = shared.state();
    answer((|| {
        let query = id_query(&query_pairs(&raw), "bids")?;
        let (page, total) = state.list_bids(&query);
        let bids: Vec<Value> = page.into_iter().map(FlState::bid_json).collect();
        Ok(json!({ "bids": bids, "users": null, "projects": null, "total_count": total }))
    })())
}

async fn bid_action(
    State(shared): State<Arc<FlShared>>,
    axum::Extension(Caller(user)): axum::Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let pairs = query_pairs(&raw);
    let result = (|| {
        let id = path_id(&id, "Bid")?;
        let action = first(&pairs, "action").ok_or_else(|| FlFailure::invalid("action: required"))?;
        shared.state().bid_action(user, id, action)
    })();
    if result.is_ok() {
        if let Some(failed) = unsaved(&shared) {
            return failed;
        }
    }
    match result {
        // The SDK's fakes answer a bid action with the status alone.
        Ok(_) => json_response(StatusCode::OK, &json!({ "status": "success", "request_id": request_id() })),
        Err(f) => failure(f),
    }
}

async fn list_milestones(
    State(shared): State<Arc<FlShared>>,
    axum::Extension(Caller(user)): axum::Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Response {
    let state = shared.state();
    answer((|| {
        let query = id_query(&query_pairs(&raw), "milestones")?;
        let (page, total) = state.list_milestones(user, &query);
        Ok(json!({ "milestones": keyed(page.into_iter()), "users": null, "total_count": total }))
    })())
}

/// Milestones keyed by id, the shape the SDK's tests show.
fn keyed<'a>(milestones: impl Iterator<Item = &'a super::state::Milestone>) -> Value {
    Value::Object(milestones.map(|m| (m.id.to_string(), FlState::milestone_json(m))).collect())
}

async fn get_milestone(
    State(shared): State<Arc<FlShared>>,
    axum::Extension(Caller(user)): axum::Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    let state = shared.state();
    answer((|| {
        let id = path_id(&id, "Milestone")?;
        let query = IdQuery { ids: vec![id], limit: 1, ..IdQuery::default() };
        let (found, _) = state.list_milestones(user, &query);
        if found.is_empty() {
            return Err(FlFailure::new(404, codes::NOT_FOUND, "Milestone not found"));
        }
        Ok(json!({ "milestones": keyed(found.into_iter()), "users": null }))
    })())
}
