//! The HTTP side of the Upwork-style server: `POST /graphql`, the GraphQL
//! answer and `errors` shapes, and a guard in front that records each
//! request, counts it against the per-client rate limit, injects the
//! crate's faults and checks `Authorization: Bearer`. The OAuth endpoints
//! sit behind the same guard (faults apply, the rate limit does not).
//!
//! This is no GraphQL engine. A request names one root field; the server
//! finds it as the first field of the operation's selection set, reads its
//! arguments from `variables` (the `name: $variable` pairs of the root
//! field; literals are refused) and answers the whole shape it knows for
//! that field, whatever the selection set asks.

use std::future::pending;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use rand::Rng;
use serde_json::{json, Map, Value};

use super::state::{ProposalQuery, ProposalStatus, SearchQuery, UpState};
use super::UpShared;
use crate::routes::{ConnectionKill, Peer};
use crate::{FaultKind, ReceivedRequest};

/// Bodies above this are refused; no real request comes close.
const MAX_BODY: usize = 1024 * 1024;
/// Page size when `first` is not given (invented).
const DEFAULT_FIRST: usize = 10;
/// This server's cap on `first` (the real one is not published).
const MAX_FIRST: usize = 100;

/// Error codes in `extensions.code`. Upwork's own are not public; these
/// follow the common GraphQL server convention and are marked invented in
/// docs/reference-marketplaces.md.
pub mod codes {
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const TOO_MANY_REQUESTS: &str = "TOO_MANY_REQUESTS";
    pub const INTERNAL: &str = "INTERNAL_SERVER_ERROR";
}

/// The user a request acts for, put there by the guard.
#[derive(Clone, Copy)]
struct Caller(u64);

pub(crate) fn router(shared: Arc<UpShared>) -> Router {
    let api = Router::new().route("/graphql", post(graphql)).with_state(shared.clone());
    api.merge(shared.oauth.router())
        .merge(super::website::router(shared.clone()))
        .fallback(|| async { errors(StatusCode::NOT_FOUND, codes::NOT_FOUND, "No such endpoint", None) })
        .layer(axum::middleware::from_fn_with_state(shared, guard))
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (status, [(CONTENT_TYPE, HeaderValue::from_static("application/json"))], body.to_string()).into_response()
}

/// A GraphQL answer with one error and no data.
fn errors(status: StatusCode, code: &str, message: &str, path: Option<&str>) -> Response {
    let mut error = json!({ "message": message, "extensions": { "code": code } });
    if let Some(path) = path {
        error["path"] = json!([path]);
    }
    json_response(status, &json!({ "errors": [error], "data": null }))
}

// ----- the guard -----

async fn guard(State(shared): State<Arc<UpShared>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return errors(StatusCode::PAYLOAD_TOO_LARGE, codes::BAD_USER_INPUT, "The request body is too large.", None);
    };
    shared.record(ReceivedRequest::of(&parts, &body));
    let is_api = parts.uri.path() == "/graphql";
    if is_api {
        let client = parts.extensions.get::<Peer>().map(|Peer(addr)| addr.ip());
        if let Some(client) = client {
            if !shared.admit(client) {
                let mut response =
                    errors(StatusCode::TOO_MANY_REQUESTS, codes::TOO_MANY_REQUESTS, "Too many requests.", None);
                response.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static("1"));
                return response;
            }
        }
    }
    let kill = parts.extensions.get::<ConnectionKill>().cloned();
    let mut request = Request::from_parts(parts, Body::from(body));

    let fault = crate::next_fault(&shared.faults);
    match fault {
        Some(FaultKind::ConnectionReset) => {
            if let Some(ConnectionKill(kill)) = kill {
                kill.notify_one();
                return pending().await;
            }
            return errors(StatusCode::INTERNAL_SERVER_ERROR, codes::INTERNAL, "injected fault", None);
        }
        Some(FaultKind::ServerError) => {
            return errors(StatusCode::INTERNAL_SERVER_ERROR, codes::INTERNAL, "injected fault: try again", None);
        }
        Some(FaultKind::RateLimited) => {
            let mut response =
                errors(StatusCode::TOO_MANY_REQUESTS, codes::TOO_MANY_REQUESTS, "Too many requests.", None);
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

    if is_api {
        let token = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .unwrap_or("");
        match shared.oauth.user_for(token) {
            Some(user) => {
                request.extensions_mut().insert(Caller(user));
            }
            None => {
                return errors(
                    StatusCode::UNAUTHORIZED,
                    codes::UNAUTHENTICATED,
                    "The access token is missing, invalid, expired or revoked.",
                    None,
                )
            }
        }
    }
    let response = next.run(request).await;
    if fault == Some(FaultKind::ApplyThenFail) {
        return errors(StatusCode::INTERNAL_SERVER_ERROR, codes::INTERNAL, "injected fault after the answer", None);
    }
    response
}

// ----- the one endpoint -----

/// A refusal to answer a field: HTTP 200 with `errors` and `data` null, as
/// GraphQL servers answer a query that ran.
struct FieldError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl FieldError {
    fn input(message: impl Into<String>) -> FieldError {
        FieldError { status: StatusCode::OK, code: codes::BAD_USER_INPUT, message: message.into() }
    }

    fn invalid(message: impl Into<String>) -> FieldError {
        FieldError { status: StatusCode::BAD_REQUEST, code: codes::VALIDATION_FAILED, message: message.into() }
    }
}

async fn graphql(
    State(shared): State<Arc<UpShared>>,
    axum::Extension(Caller(user)): axum::Extension<Caller>,
    body: Bytes,
) -> Response {
    let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(&body) else {
        return errors(
            StatusCode::BAD_REQUEST,
            codes::VALIDATION_FAILED,
            "The body must be a JSON object with a query.",
            None,
        );
    };
    let Some(query) = request.get("query").and_then(Value::as_str) else {
        return errors(StatusCode::BAD_REQUEST, codes::VALIDATION_FAILED, "query: required", None);
    };
    let variables = match request.get("variables") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(v)) => v.clone(),
        Some(_) => {
            return errors(StatusCode::BAD_REQUEST, codes::VALIDATION_FAILED, "variables: must be an object", None)
        }
    };
    let (field, arguments) = match root_field(query, &variables) {
        Ok(found) => found,
        Err(e) => return errors(e.status, e.code, &e.message, None),
    };
    let state = shared.state();
    let answer = match field.as_str() {
        "marketplaceJobPostingsSearch" => search(&state, &arguments),
        "marketplaceJobPosting" => posting(&state, &arguments),
        "marketplaceJobPostingsContents" => contents(&state, &arguments),
        "vendorProposals" => proposals(&state, user, &arguments),
        "vendorProposal" => proposal(&state, user, &arguments),
        other => Err(FieldError::invalid(format!("Cannot query field \"{other}\" on type \"Query\"."))),
    };
    match answer {
        Ok(data) => json_response(StatusCode::OK, &json!({ "data": { field.clone(): data } })),
        Err(e) => {
            let mut body = json!({
                "errors": [{ "message": e.message, "path": [field.clone()], "extensions": { "code": e.code } }],
                "data": null,
            });
            if e.code == codes::NOT_FOUND {
                body["data"] = json!({ field: null });
            }
            json_response(e.status, &body)
        }
    }
}

/// The operation's first root field and its arguments, taken from
/// `variables` by the `name: $variable` pairs written after it.
fn root_field(query: &str, variables: &Map<String, Value>) -> Result<(String, Map<String, Value>), FieldError> {
    let open = query.find('{').ok_or_else(|| FieldError::invalid("Syntax Error: expected a selection set."))?;
    let rest = query[open + 1..].trim_start();
    let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    if name.is_empty() {
        return Err(FieldError::invalid("Syntax Error: expected a field name."));
    }
    let after = rest[name.len()..].trim_start();
    let mut arguments = Map::new();
    if let Some(args) = after.strip_prefix('(') {
        let close = args.find(')').ok_or_else(|| FieldError::invalid("Syntax Error: expected \")\"."))?;
        for pair in args[..close].split([',', '\n']).map(str::trim).filter(|p| !p.is_empty()) {
            let (arg, value) =
                pair.split_once(':').ok_or_else(|| FieldError::invalid("Syntax Error: expected \":\"."))?;
            let Some(variable) = value.trim().strip_prefix('$') else {
                return Err(FieldError::invalid(format!(
                    "{}: this reference server reads arguments from variables only",
                    arg.trim()
                )));
            };
            let value = variables.get(variable.trim()).cloned().unwrap_or(Value::Null);
            arguments.insert(arg.trim().to_owned(), value);
        }
    }
    Ok((name, arguments))
}

/// `Pagination { after, first }`: `after` is a position ("0" is the very
/// first element); the end cursor of a page is where the next one starts.
fn paging(pagination: Option<&Value>) -> Result<(usize, usize), FieldError> {
    let pagination = pagination.filter(|p| !p.is_null());
    let first = match pagination.and_then(|p| p.get("first")).filter(|v| !v.is_null()) {
        None => DEFAULT_FIRST,
        Some(v) => v.as_u64().map(|n| n as usize).ok_or_else(|| FieldError::input("first: must be a whole number"))?,
    };
    if !(1..=MAX_FIRST).contains(&first) {
        return Err(FieldError::input(format!("first: must be 1 to {MAX_FIRST}")));
    }
    let offset = match pagination.and_then(|p| p.get("after")).filter(|v| !v.is_null()) {
        None => 0,
        Some(v) => v
            .as_str()
            .and_then(|s| s.parse::<usize>().ok())
            .ok_or_else(|| FieldError::input("after: not a cursor this server issued"))?,
    };
    Ok((offset, first))
}

/// A connection: `edges { cursor node }`, `pageInfo`, `totalCount`.
fn connection(nodes: Vec<Value>, offset: usize, total: usize) -> Value {
    let end = offset + nodes.len();
    let edges: Vec<Value> = nodes
        .into_iter()
        .enumerate()
        .map(|(i, node)| json!({ "cursor": (offset + i + 1).to_string(), "node": node }))
        .collect();
    json!({
        "totalCount": total,
        "edges": edges,
        "pageInfo": { "endCursor": end.to_string(), "hasNextPage": end < total },
    })
}

fn search(state: &UpState, arguments: &Map<String, Value>) -> Result<Value, FieldError> {
    let filter = arguments.get("marketPlaceJobFilter").filter(|f| !f.is_null());
    if let Some(kind) = arguments.get("searchType").and_then(Value::as_str) {
        if !matches!(kind, "USER_JOBS_SEARCH" | "JOBS_FEED") {
            return Err(FieldError::input(format!("searchType: unknown value {kind}")));
        }
    }
    if let Some(sort) = arguments.get("sortAttributes").and_then(Value::as_array) {
        if sort.iter().any(|s| s.get("field").and_then(Value::as_str) != Some("RECENCY")) {
            return Err(FieldError::input("sortAttributes: this reference server sorts by RECENCY only"));
        }
    }
    let text = |name: &str| filter.and_then(|f| f.get(name)).and_then(Value::as_str).map(str::to_owned);
    let (offset, first) = paging(filter.and_then(|f| f.get("pagination_eq")))?;
    let query = SearchQuery {
        words: text("searchExpression_eq"),
        skills: text("skillExpression_eq")
            .map(|s| s.split(',').map(|x| x.trim().to_owned()).filter(|x| !x.is_empty()).collect())
            .unwrap_or_default(),
        offset,
        first,
    };
    let (page, total) = state.search(&query);
    Ok(connection(page.iter().map(|p| state.search_node(p)).collect(), offset, total))
}

fn posting(state: &UpState, arguments: &Map<String, Value>) -> Result<Value, FieldError> {
    let id = arguments.get("id").and_then(Value::as_str).ok_or_else(|| FieldError::input("id: required"))?;
    let posting = state.postings.get(id).ok_or_else(|| FieldError {
        status: StatusCode::OK,
        code: codes::NOT_FOUND,
        message: "Job posting not found".to_owned(),
    })?;
    Ok(state.posting_node(posting))
}

/// `marketplaceJobPostingsContents(ids)`: the postings (open or closed) among
/// `ids`, in the order asked; unknown ids are left out.
fn contents(state: &UpState, arguments: &Map<String, Value>) -> Result<Value, FieldError> {
    let ids = arguments
        .get("ids")
        .and_then(Value::as_array)
        .and_then(|ids| ids.iter().map(Value::as_str).collect::<Option<Vec<_>>>())
        .ok_or_else(|| FieldError::input("ids: must be a list of ids"))?;
    if ids.len() > MAX_FIRST {
        return Err(FieldError::input(format!("ids: at most {MAX_FIRST}")));
    }
    Ok(Value::Array(ids.into_iter().filter_map(|id| state.postings.get(id)).map(UpState::contents_node).collect()))
}

fn proposals(state: &UpState, user: u64, arguments: &Map<String, Value>) -> Result<Value, FieldError> {
    let filter = arguments.get("filter").filter(|f| !f.is_null());
    let status = match filter.and_then(|f| f.get("status_eq")).filter(|v| !v.is_null()) {
        None => None,
        Some(v) => Some(
            v.as_str()
                .and_then(ProposalStatus::parse)
                .ok_or_else(|| FieldError::input("status_eq: not a proposal status"))?,
        ),
    };
    let job_posting_ids = match filter.and_then(|f| f.get("jobPostingIds_any")).filter(|v| !v.is_null()) {
        None => Vec::new(),
        Some(v) => v
            .as_array()
            .and_then(|ids| ids.iter().map(|id| id.as_str().map(str::to_owned)).collect::<Option<Vec<_>>>())
            .ok_or_else(|| FieldError::input("jobPostingIds_any: must be a list of ids"))?,
    };
    let sort = arguments.get("sortAttribute").filter(|s| !s.is_null());
    if let Some(field) = sort.and_then(|s| s.get("field")).and_then(Value::as_str) {
        if field != "CREATEDDATETIME" {
            return Err(FieldError::input("sortAttribute.field: this reference server sorts by CREATEDDATETIME only"));
        }
    }
    let newest_first = sort.and_then(|s| s.get("sortOrder")).and_then(Value::as_str) == Some("DESC");
    let (offset, first) = paging(arguments.get("pagination"))?;
    let query = ProposalQuery { status, job_posting_ids, newest_first, offset, first };
    let (page, total) = state.list_proposals(user, &query);
    Ok(connection(page.into_iter().map(UpState::proposal_node).collect(), offset, total))
}

fn proposal(state: &UpState, user: u64, arguments: &Map<String, Value>) -> Result<Value, FieldError> {
    let id = arguments.get("id").and_then(Value::as_str).ok_or_else(|| FieldError::input("id: required"))?;
    let proposal = state.proposals.get(id).filter(|p| p.freelancer_id == user).ok_or_else(|| FieldError {
        status: StatusCode::OK,
        code: codes::NOT_FOUND,
        message: "Proposal not found".to_owned(),
    })?;
    Ok(UpState::proposal_node(proposal))
}
