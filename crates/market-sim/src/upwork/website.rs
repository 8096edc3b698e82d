//! A stand-in for Upwork's website, where proposals are placed (its API
//! takes none): `GET /jobs/{ciphertext}` shows the posting with a proposal
//! form, and posting that form places a proposal as the server's user, as
//! signing in on upwork.com and pressing Submit would. It lets the demo
//! marketplace's "Place it on Upwork" path be tried end to end. There is no
//! login: like the rest of the reference server, it is for this machine.
//! Invented, not a copy of Upwork's pages.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::Utc;

use super::state::{ciphertext, NewProposal, Posting};
use super::UpShared;

pub(super) fn router(shared: Arc<UpShared>) -> Router {
    Router::new().route("/jobs/{ciphertext}", get(job_page).post(place_proposal)).with_state(shared)
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><meta charset=utf-8><title>{} · Upwork (reference)</title>\
         <body style=\"font:16px sans-serif;margin:2em;max-width:40em\">\
         <p style=\"color:#666\">Upwork-style reference marketplace (a stand-in for its website)</p>{body}</body>",
        escape(title)
    );
    (status, [(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))], html).into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn find(shared: &UpShared, id: &str) -> Option<Posting> {
    shared.state().postings.values().find(|p| ciphertext(p) == id).cloned()
}

fn not_found() -> Response {
    page(StatusCode::NOT_FOUND, "Not found", "<h1>This job is not here</h1>")
}

async fn job_page(State(shared): State<Arc<UpShared>>, Path(id): Path<String>) -> Response {
    let Some(posting) = find(&shared, &id) else { return not_found() };
    let form = if posting.open {
        format!(
            "<form method=post action=\"/jobs/{}\"><p><label>Your rate or bid ({})<br>\
             <input name=charge_rate inputmode=decimal placeholder=\"e.g. 800.00\"></label></p>\
             <p><label>Cover letter<br><textarea name=cover_letter rows=6 cols=60 required></textarea></label></p>\
             <p><button type=submit>Submit a proposal</button></p></form>",
            escape(&id),
            escape(&posting.currency)
        )
    } else {
        "<p><strong>This job is closed: it takes no more proposals.</strong></p>".to_owned()
    };
    let body = format!("<h1>{}</h1><p>{}</p>{form}", escape(&posting.title), escape(&posting.description));
    page(StatusCode::OK, &posting.title, &body)
}

async fn place_proposal(State(shared): State<Arc<UpShared>>, Path(id): Path<String>, body: Bytes) -> Response {
    let Some(posting) = find(&shared, &id) else { return not_found() };
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.trim().to_owned());
    let cover_letter = field("cover_letter").unwrap_or_default();
    let charge_rate = field("charge_rate").filter(|r| !r.is_empty());
    let refuse = |why: &str| {
        page(StatusCode::BAD_REQUEST, "Not submitted", &format!("<h1>Not submitted</h1><p>{}</p>", escape(why)))
    };
    if cover_letter.is_empty() || cover_letter.chars().count() > 5_000 {
        return refuse("Write a cover letter (at most 5 000 characters).");
    }
    if charge_rate.as_deref().is_some_and(|r| !r.bytes().all(|b| b.is_ascii_digit() || b == b'.') || r.len() > 12) {
        return refuse("The rate must be a number such as 800.00.");
    }
    let new =
        NewProposal { job_posting_id: posting.id.clone(), charge_rate, upfront_payment_percent: None, cover_letter };
    let placed = shared.state().add_proposal(new, Utc::now());
    match placed {
        Ok(_) if shared.save().is_ok() => page(
            StatusCode::OK,
            "Proposal submitted",
            "<h1>Your proposal is in</h1><p>Go back to Bidwell and press <strong>Mark as placed</strong>: \
             the next sync links it.</p>",
        ),
        Ok(_) => {
            page(StatusCode::SERVICE_UNAVAILABLE, "Not saved", "<h1>The proposal could not be saved; try again</h1>")
        }
        Err(why) => refuse(&why),
    }
}
