//! The HTTP client against the real reference server on 127.0.0.1 (port 0):
//! what the sync engine relies on when it calls the trait.

use std::collections::HashSet;
use std::time::Duration;

use bidwell_market_sim::{FaultKind, SimConfig, SimServer};
use bidwell_marketplace::*;

const TOKEN: &str = "test-token-7f3a";

async fn server(jobs: usize) -> SimServer {
    let config = SimConfig { token: TOKEN.to_owned(), jobs, hang: Duration::from_millis(800), ..SimConfig::default() };
    SimServer::start(config).await.expect("the server starts")
}

fn client(server: &SimServer, token: &str) -> HttpMarketplace {
    let options = HttpOptions { request_timeout: Duration::from_millis(300), ..HttpOptions::default() };
    HttpMarketplace::new(&server.base_url(), ApiToken::new(token.to_owned()), options).expect("a valid base URL")
}

fn key(k: &str) -> IdempotencyKey {
    IdempotencyKey::new(k).unwrap()
}

/// A bid on the first open job, in that job's currency.
fn new_bid(server: &SimServer, proposal: &str) -> NewBid {
    let job = server.jobs().into_iter().find(|j| j.status == JobStatus::Open).expect("an open job");
    NewBid {
        job_id: job.id,
        amount: Money { amount_minor: 125_000, currency: job.budget.currency },
        period_days: 14,
        milestone_percentage: 20,
        proposal: proposal.to_owned(),
    }
}

#[tokio::test]
async fn the_right_token_is_accepted_and_a_wrong_one_is_unauthorized() {
    let server = server(5).await;
    assert!(client(&server, TOKEN).get_consents().await.is_ok());
    let refused = client(&server, "expired-token").list_jobs(&JobQuery::default(), None, 10).await;
    assert_eq!(refused.unwrap_err(), MarketError::Unauthorized);
}

/// Pages through the jobs feed until it says there is no more.
async fn all_pages(market: &HttpMarketplace, query: &JobQuery, limit: u32) -> (Vec<Job>, Cursor) {
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = market.list_jobs(query, cursor.as_ref(), limit).await.expect("a page");
        assert!(page.items.len() <= limit as usize);
        seen.extend(page.items);
        cursor = page.next_cursor;
        if !page.has_more {
            return (seen, cursor.expect("the feed always gives a cursor to resume from"));
        }
    }
}

#[tokio::test]
async fn paging_with_filters_visits_every_matching_job_exactly_once() {
    let server = server(300).await;
    let market = client(&server, TOKEN);
    let query = JobQuery {
        skills: vec!["Python".into(), "rust".into()],
        budget_type: Some(BudgetType::Fixed),
        ..JobQuery::default()
    };
    let expected: HashSet<String> = server
        .jobs()
        .into_iter()
        .filter(|j| j.budget.kind == BudgetType::Fixed && j.skills.iter().any(|s| s == "python" || s == "rust"))
        .map(|j| j.id)
        .collect();
    assert!(expected.len() > 10, "the seed gives enough matches to page through");

    let (seen, cursor) = all_pages(&market, &query, 7).await;
    let ids: Vec<String> = seen.iter().map(|j| j.id.clone()).collect();
    assert_eq!(ids.len(), expected.len(), "no job twice");
    assert_eq!(ids.into_iter().collect::<HashSet<_>>(), expected);

    // Unfiltered, every job once.
    let (everything, _) = all_pages(&market, &JobQuery::default(), 50).await;
    assert_eq!(everything.iter().map(|j| &j.id).collect::<HashSet<_>>().len(), 300);
    assert_eq!(everything.len(), 300);

    // Nothing changed: resuming gives nothing. New postings: only those that match.
    let page = market.list_jobs(&query, Some(&cursor), 50).await.unwrap();
    assert!(page.items.is_empty() && !page.has_more);
    let added = server.add_jobs(40);
    let page = market.list_jobs(&query, page.next_cursor.as_ref(), 200).await.unwrap();
    let new_matches = added
        .iter()
        .filter(|j| j.budget.kind == BudgetType::Fixed && j.skills.iter().any(|s| s == "python" || s == "rust"))
        .count();
    assert_eq!(page.items.len(), new_matches);
    assert!(page.items.iter().all(|j| added.contains(j)));
}

#[tokio::test]
async fn a_query_matches_words_anywhere_and_min_budget_filters() {
    let server = server(120).await;
    let market = client(&server, TOKEN);
    let query =
        JobQuery { query: Some("SHOPIFY storefront".into()), min_budget_minor: Some(100_000), ..JobQuery::default() };
    let (seen, _) = all_pages(&market, &query, 200).await;
    assert!(!seen.is_empty());
    for job in &seen {
        assert!(format!("{} {}", job.title, job.description).to_lowercase().contains("shopify storefront"));
        assert!(job.budget.max_minor.unwrap_or(job.budget.min_minor) >= 100_000);
    }
}

#[tokio::test]
async fn an_unknown_or_expired_cursor_is_cursor_expired() {
    let server = server(30).await;
    let market = client(&server, TOKEN);
    let made_up = Cursor("not-a-cursor".into());
    assert_eq!(market.bids_since(Some(&made_up), 10).await.unwrap_err(), MarketError::CursorExpired);
    assert_eq!(
        market.list_jobs(&JobQuery::default(), Some(&made_up), 10).await.unwrap_err(),
        MarketError::CursorExpired
    );

    let page = market.list_jobs(&JobQuery::default(), None, 10).await.unwrap();
    let cursor = page.next_cursor.unwrap();
    assert!(market.list_jobs(&JobQuery::default(), Some(&cursor), 10).await.is_ok());
    server.expire_cursors();
    assert_eq!(
        market.list_jobs(&JobQuery::default(), Some(&cursor), 10).await.unwrap_err(),
        MarketError::CursorExpired
    );
    // Starting again from the beginning works.
    assert_eq!(market.list_jobs(&JobQuery::default(), None, 10).await.unwrap().items.len(), 10);
}

#[tokio::test]
async fn a_cursor_used_with_other_filters_is_refused() {
    let server = server(30).await;
    let market = client(&server, TOKEN);
    let page = market.list_jobs(&JobQuery::default(), None, 5).await.unwrap();
    let other = JobQuery { budget_type: Some(BudgetType::Hourly), ..JobQuery::default() };
    let refused = market.list_jobs(&other, page.next_cursor.as_ref(), 5).await.unwrap_err();
    assert!(matches!(refused, MarketError::Permanent { code: ApiErrorCode::ValidationFailed, .. }), "{refused:?}");
}

#[tokio::test]
async fn replaying_a_create_returns_the_same_bid_and_the_server_holds_one() {
    let server = server(10).await;
    let market = client(&server, TOKEN);
    let bid = new_bid(&server, "I have built three of these.");
    let first = market.create_bid(&key("k-1"), &bid).await.unwrap();
    let again = market.create_bid(&key("k-1"), &bid).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(server.bids(), vec![first.clone()]);
    assert_eq!((first.status, first.version), (BidStatus::Submitted, 1));

    // The same key with another body is a client bug, not a replay.
    let changed = NewBid { proposal: "Something else".into(), ..bid };
    let refused = market.create_bid(&key("k-1"), &changed).await.unwrap_err();
    assert!(matches!(refused, MarketError::Permanent { code: ApiErrorCode::IdempotencyKeyReused, .. }), "{refused:?}");
    assert_eq!(server.bids().len(), 1);
}

#[tokio::test]
async fn a_create_applied_then_failed_and_retried_with_its_key_makes_one_bid() {
    let server = server(10).await;
    let market = client(&server, TOKEN);
    let bid = new_bid(&server, "Proposal text");
    server.fail_next(FaultKind::ApplyThenFail);
    let failed = market.create_bid(&key("k-2"), &bid).await.unwrap_err();
    assert!(failed.is_transient(), "{failed:?}");
    assert_eq!(server.bids().len(), 1, "the write landed although the answer failed");
    let retried = market.create_bid(&key("k-2"), &bid).await.unwrap();
    assert_eq!(server.bids(), vec![retried]);
}

#[tokio::test]
async fn an_edit_from_a_stale_version_returns_the_current_bid() {
    let server = server(10).await;
    let market = client(&server, TOKEN);
    let bid = market.create_bid(&key("k-3"), &new_bid(&server, "Mine")).await.unwrap();
    let theirs = BidEdit { proposal: Some("Changed on the website".into()), ..BidEdit::default() };
    server.edit_bid_server_side(&bid.id, theirs).unwrap();

    let mine = BidEdit { period_days: Some(10), ..BidEdit::default() };
    match market.edit_bid(&bid.id, 1, &mine).await.unwrap_err() {
        MarketError::VersionConflict { current } => {
            assert_eq!(current.version, 2);
            assert_eq!(current.proposal, "Changed on the website");
            assert_eq!(current.period_days, 14, "the stale edit was not applied");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let edited = market.edit_bid(&bid.id, 2, &mine).await.unwrap();
    assert_eq!((edited.version, edited.period_days), (3, 10));
    assert_eq!(market.get_bid(&bid.id).await.unwrap(), edited);
}

#[tokio::test]
async fn withdrawing_twice_withdraws_once() {
    let server = server(10).await;
    let market = client(&server, TOKEN);
    let bid = market.create_bid(&key("k-4"), &new_bid(&server, "Mine")).await.unwrap();
    let first = market.withdraw_bid(&bid.id, &key("w-1")).await.unwrap();
    let second = market.withdraw_bid(&bid.id, &key("w-2")).await.unwrap();
    assert_eq!(first.status, BidStatus::Withdrawn);
    assert_eq!(first, second);
    assert_eq!(first.version, 2);
    let edit = BidEdit { period_days: Some(3), ..BidEdit::default() };
    let refused = market.edit_bid(&bid.id, 2, &edit).await.unwrap_err();
    assert!(matches!(refused, MarketError::Permanent { code: ApiErrorCode::InvalidState, .. }), "{refused:?}");
}

#[tokio::test]
async fn every_injected_fault_is_transient() {
    let server = server(10).await;
    let market = client(&server, TOKEN);
    let cases = [
        (FaultKind::ServerError, TransientReason::ServerError(500)),
        (FaultKind::RateLimited, TransientReason::RateLimited),
        (FaultKind::Hang, TransientReason::Timeout),
        (FaultKind::ConnectionReset, TransientReason::ConnectionLost),
        (FaultKind::ApplyThenFail, TransientReason::ServerError(500)),
    ];
    for (kind, expected) in cases {
        server.fail_next(kind);
        match market.bids_since(None, 10).await.unwrap_err() {
            MarketError::Transient { reason, .. } => assert_eq!(reason, expected, "{kind:?}"),
            other => panic!("{kind:?} gave {other:?}"),
        }
        // The next call goes through again.
        assert!(market.bids_since(None, 10).await.is_ok(), "after {kind:?}");
    }
    let counts = server.fault_counts();
    assert_eq!(
        (counts.server_error, counts.rate_limited, counts.hang, counts.connection_reset, counts.apply_then_fail),
        (1, 1, 1, 1, 1)
    );
}

#[tokio::test]
async fn rate_limits_carry_retry_after_in_both_forms() {
    let server = server(5).await;
    let market = client(&server, TOKEN);
    let (mut seconds, mut dates) = (0, 0);
    for _ in 0..24 {
        server.fail_next(FaultKind::RateLimited);
        match market.get_consents().await.unwrap_err() {
            MarketError::Transient { retry_after: Some(RetryAfter::Seconds(s)), .. } => {
                assert!((1..=2).contains(&s));
                seconds += 1;
            }
            MarketError::Transient { retry_after: Some(at @ RetryAfter::Date(date)), .. } => {
                // Resolved against an injected clock, not the wall clock.
                assert_eq!(at.delay_from(date - chrono::Duration::seconds(2)), Duration::from_secs(2));
                dates += 1;
            }
            other => panic!("expected a rate limit with Retry-After, got {other:?}"),
        }
    }
    assert!(seconds > 0 && dates > 0, "seconds {seconds}, dates {dates}");
}

#[tokio::test]
async fn global_privacy_control_is_on_every_request_while_set() {
    let server = server(10).await;
    let market = client(&server, TOKEN);
    assert!(market.global_privacy_control(), "analytics are off until the user opts in");
    market.list_jobs(&JobQuery::default(), None, 5).await.unwrap();
    market.get_consents().await.unwrap();
    market.create_bid(&key("k-5"), &new_bid(&server, "Mine")).await.unwrap();
    let batch = AnalyticsBatch { events: vec![AnalyticsCount { name: "bid.submitted".into(), count: 3 }] };
    assert_eq!(market.send_analytics(&batch).await.unwrap_err(), MarketError::AnalyticsDisabled);

    let received = server.received();
    assert_eq!(received.len(), 3, "the analytics call never left");
    assert!(received.iter().all(|r| r.header("sec-gpc") == Some("1")));
    assert!(server.analytics().is_empty());

    market.set_global_privacy_control(false);
    server.clear_received();
    market.send_analytics(&batch).await.unwrap();
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].header("sec-gpc"), None);
    assert_eq!(server.analytics(), batch.events);
}

#[tokio::test]
async fn the_token_travels_only_in_the_authorization_header() {
    let server = server(10).await;
    let market = client(&server, TOKEN);
    market.create_bid(&key("k-6"), &new_bid(&server, "Mine")).await.unwrap();
    market.list_jobs(&JobQuery { query: Some("app".into()), ..JobQuery::default() }, None, 5).await.unwrap();
    for request in server.received() {
        assert_eq!(request.header("authorization"), Some(format!("Bearer {TOKEN}").as_str()));
        assert!(!request.body_text().contains(TOKEN));
        assert!(!request.query.unwrap_or_default().contains(TOKEN));
    }
}

#[tokio::test]
async fn status_changes_and_milestones_come_back_through_the_change_feeds() {
    let server = server(10).await;
    let market = client(&server, TOKEN);
    let bid = market.create_bid(&key("k-7"), &new_bid(&server, "Mine")).await.unwrap();
    let page = market.bids_since(None, 50).await.unwrap();
    assert_eq!(page.items, vec![bid.clone()]);
    let bids_cursor = page.next_cursor.unwrap();
    let page = market.milestones_since(None, 50).await.unwrap();
    assert!(page.items.is_empty());
    let milestones_cursor = page.next_cursor.unwrap();

    // A pull after no change returns nothing.
    assert!(market.bids_since(Some(&bids_cursor), 50).await.unwrap().items.is_empty());

    server.set_bid_status(&bid.id, BidStatus::Shortlisted).unwrap();
    server.set_bid_status(&bid.id, BidStatus::Awarded).unwrap();
    let funded = server.fund_milestone(&bid.id).unwrap();
    assert_eq!(funded.amount.amount_minor, 25_000, "20 % of the bid");
    let page = market.bids_since(Some(&bids_cursor), 50).await.unwrap();
    assert_eq!(page.items.len(), 1, "one record per bid, at its latest version");
    assert_eq!((page.items[0].status, page.items[0].version), (BidStatus::Awarded, 3));

    server.release_milestone(&funded.id).unwrap();
    let page = market.milestones_since(Some(&milestones_cursor), 50).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!((page.items[0].status, page.items[0].version), (MilestoneStatus::Released, 2));
    assert!(market.milestones_since(page.next_cursor.as_ref(), 50).await.unwrap().items.is_empty());
}

#[tokio::test]
async fn consents_and_erasure_requests_reach_the_marketplace() {
    let server = server(5).await;
    let market = client(&server, TOKEN);
    assert_eq!(market.get_consents().await.unwrap().updated_at, None);
    let choices = ConsentChoices { analytics: false, marketing: true, profile_discovery: false };
    let stored = market.put_consents(&choices).await.unwrap();
    assert_eq!(stored.choices, choices);
    assert_eq!(market.get_consents().await.unwrap(), stored);

    let request = ErasureRequest { scope: ErasureScope::Account };
    let receipt = market.request_erasure(&key("e-1"), &request).await.unwrap();
    let replayed = market.request_erasure(&key("e-1"), &request).await.unwrap();
    assert_eq!(receipt, replayed);
    assert_eq!(server.erasure_requests(), vec![receipt]);
}

#[tokio::test]
async fn missing_records_are_not_found() {
    let server = server(5).await;
    let market = client(&server, TOKEN);
    assert_eq!(market.get_job("job_999999").await.unwrap_err(), MarketError::NotFound);
    assert_eq!(market.get_employer("emp_99999").await.unwrap_err(), MarketError::NotFound);
    assert_eq!(market.get_bid("bid_999999").await.unwrap_err(), MarketError::NotFound);
    let job = server.jobs().remove(0);
    assert_eq!(market.get_job(&job.id).await.unwrap(), job);
    assert_eq!(market.get_employer(&job.client_id).await.unwrap().id, job.client_id);
}

#[tokio::test]
async fn a_stopped_server_is_a_transient_failure() {
    let server = server(5).await;
    let market = client(&server, TOKEN);
    server.stop();
    let failed = market.get_consents().await.unwrap_err();
    assert!(failed.is_transient(), "{failed:?}");
}
