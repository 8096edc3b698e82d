//! `UpworkMarketplace` against the Upwork-style reference server over real
//! HTTP on 127.0.0.1: a thousand postings through injected faults while
//! postings come and go, the client-side rate limit (and that the server's
//! limit bites without it), proposals read back as bids, money and field
//! mapping, errors, tokens and capabilities. Every loop is bounded; nothing
//! measures time.

use std::collections::HashSet;
use std::time::Duration;

use bidwell_market_sim::upwork::{NewPosting, NewProposal, ProposalStatus, UpworkConfig, UpworkSim};
use bidwell_market_sim::FaultKind;
use bidwell_marketplace::oauth::{revoke, OAuthClient, OAuthServer, SignIn};
use bidwell_marketplace::{
    ApiErrorCode, ApiToken, Bid, BidStatus, BudgetType, Cursor, HttpOptions, IdempotencyKey, JobQuery, JobStatus,
    MarketError, Marketplace, Money, NewBid, Page, TransientReason, UpworkMarketplace,
};
use chrono::Utc;
use reqwest::{StatusCode, Url};

const TOKEN: &str = "up-personal-token";

async fn sim_with(config: UpworkConfig) -> UpworkSim {
    UpworkSim::start(config).await.unwrap()
}

async fn sim(postings: usize) -> UpworkSim {
    sim_with(UpworkConfig { postings, ..UpworkConfig::default() }).await
}

fn market_with_token(sim: &UpworkSim, token: &str) -> UpworkMarketplace {
    let options = HttpOptions { request_timeout: Duration::from_secs(10), ..HttpOptions::default() };
    UpworkMarketplace::new(&format!("{}/", sim.base_url()), ApiToken::new(token.to_owned()), options).unwrap()
}

fn market(sim: &UpworkSim) -> UpworkMarketplace {
    market_with_token(sim, TOKEN)
}

/// Calls `call` until it answers, retrying transient failures at once as
/// the engine would (it would wait; the client's rate limit paces us).
async fn retried<T, F, Fut>(mut call: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, MarketError>>,
{
    for _ in 0..200 {
        match call().await {
            Ok(value) => return value,
            Err(e) if e.is_transient() => continue,
            Err(e) => panic!("a permanent failure: {e:?}"),
        }
    }
    panic!("still failing after 200 tries");
}

/// Pages `list_jobs` until the pass ends, calling `between` after each page.
async fn pass(
    market: &UpworkMarketplace,
    cursor: &mut Option<Cursor>,
    limit: u32,
    mut between: impl FnMut(usize, &[String]),
) -> Vec<String> {
    let mut ids = Vec::new();
    let query = JobQuery::default();
    for page_number in 0..400 {
        let page: Page<_> = retried(|| market.list_jobs(&query, cursor.as_ref(), limit)).await;
        assert!(page.items.len() <= limit as usize);
        ids.extend(page.items.into_iter().map(|j| j.id));
        *cursor = page.next_cursor;
        assert!(cursor.is_some(), "the feed always hands back a position");
        if !page.has_more {
            return ids;
        }
        between(page_number, &ids);
    }
    panic!("the pass did not end within 400 pages");
}

fn fresh(n: usize) -> NewPosting {
    NewPosting { title: format!("Fresh posting {n}"), ..NewPosting::default() }
}

#[tokio::test]
async fn a_thousand_postings_through_faults_neither_missing_nor_duplicated_while_postings_come_and_go() {
    let sim = sim_with(UpworkConfig {
        postings: 1_130,
        fault_rate: 0.3,
        hang: Duration::from_millis(200),
        ..UpworkConfig::default()
    })
    .await;
    let market = market(&sim);
    let at_start: HashSet<String> = sim.open_posting_ids().into_iter().collect();
    assert!(at_start.len() >= 1_000, "{} open postings", at_start.len());
    let mut posted: Vec<String> = Vec::new();
    let mut cursor = None;
    let first = pass(&market, &mut cursor, 60, |page, seen| {
        let below = |sim: &UpworkSim| -> Vec<String> {
            let mut open: Vec<_> = sim.postings().into_iter().filter(|p| p.open && !seen.contains(&p.id)).collect();
            open.sort_by(|a, b| b.published.cmp(&a.published).then(b.id.cmp(&a.id)));
            open.into_iter().map(|p| p.id).collect()
        };
        match page {
            // More closed above our position than the overlap covers, and
            // the ones just below it taken down: the list moves up.
            2 => {
                for id in seen.iter().take(12) {
                    sim.close_posting(id);
                }
                for id in below(&sim).iter().take(4) {
                    sim.remove_posting(id);
                }
            }
            // More posted at the top than the overlap covers: the list moves down.
            4 => posted.extend((0..15).map(|n| sim.post_posting(fresh(n)).id)),
            // Both at once, and deeper down.
            6 => {
                posted.push(sim.post_posting(fresh(100)).id);
                sim.remove_posting(&seen[seen.len() - 1]);
                for id in below(&sim).iter().skip(30).take(5) {
                    sim.remove_posting(id);
                }
            }
            _ => {}
        }
    })
    .await;

    let unique: HashSet<String> = first.iter().cloned().collect();
    assert_eq!(unique.len(), first.len(), "no posting twice in a pass");
    let still_open: HashSet<String> = sim.open_posting_ids().into_iter().collect();
    let kept: Vec<&String> = at_start.intersection(&still_open).collect();
    assert!(kept.len() >= 980);
    for id in kept {
        assert!(unique.contains(id), "posting {id} was open all along and was skipped");
    }
    assert!(unique.iter().all(|id| at_start.contains(id)), "only postings from before the pass began");
    assert!(posted.iter().all(|id| !unique.contains(id)), "posted during the pass: they come in the next one");

    // The next pass is a change feed: what was posted since, once.
    let later = sim.post_posting(fresh(200)).id;
    posted.push(later);
    let mut second = pass(&market, &mut cursor, 7, |_, _| {}).await;
    second.sort();
    posted.sort();
    assert_eq!(second, posted);
    assert!(pass(&market, &mut cursor, 7, |_, _| {}).await.is_empty(), "nothing new, nothing delivered");

    let faults = sim.fault_counts();
    assert!(faults.total() >= 5, "the faults were played: {faults:?}");
    assert_eq!(sim.rate_limited_answers(), 0, "the client kept to the limit through the retries");
    assert!(sim.peak_requests_per_second() <= 10);
}

async fn burst_status(http: &reqwest::Client, url: &str) -> StatusCode {
    http.post(url)
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({ "query": "query { vendorProposals { totalCount } }" }))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn the_client_never_goes_above_ten_requests_a_second_and_a_raw_burst_does() {
    let sim = sim(40).await;
    let market = market(&sim);
    let ids: Vec<String> = sim.open_posting_ids();
    let mut calls = Vec::new();
    for n in 0..36 {
        // Clones share the limit: each task has its own.
        let market = market.clone();
        let id = ids[n % ids.len()].clone();
        calls.push(tokio::spawn(async move {
            if n % 2 == 0 {
                market.get_job(&id).await.map(|_| ())
            } else {
                market.bids_since(None, 5).await.map(|_| ())
            }
        }));
    }
    for call in calls {
        call.await.unwrap().unwrap();
    }
    // A posting this client never listed costs two requests (the posting, then its publish time).
    assert_eq!(sim.graphql_requests(), 18 * 2 + 18);
    assert_eq!(sim.rate_limited_answers(), 0, "no request over the limit");
    let peak = sim.peak_requests_per_second();
    assert!((1..=10).contains(&peak), "peak {peak}");

    // Without the limiter the same server refuses: the test can fail.
    sim.reset_rate_counts();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let url = sim.graphql_url();
    let mut burst = Vec::new();
    for _ in 0..40 {
        let (http, url) = (http.clone(), url.clone());
        burst.push(tokio::spawn(async move { burst_status(&http, &url).await }));
    }
    let mut refused = 0;
    for answer in burst {
        if answer.await.unwrap() == StatusCode::TOO_MANY_REQUESTS {
            refused += 1;
        }
    }
    assert!(refused > 0, "a raw burst of 40 gets 429s");
    assert_eq!(sim.rate_limited_answers(), refused);
    assert!(sim.peak_requests_per_second() > 10);
}

/// Walks `bids_since` to the end of the pass.
async fn bid_pass(market: &UpworkMarketplace, cursor: &mut Option<Cursor>, limit: u32) -> Vec<Bid> {
    let mut bids = Vec::new();
    for _ in 0..100 {
        let page = market.bids_since(cursor.as_ref(), limit).await.unwrap();
        bids.extend(page.items);
        *cursor = page.next_cursor;
        if !page.has_more {
            return bids;
        }
    }
    panic!("the pass did not end");
}

#[tokio::test]
async fn a_proposal_placed_on_upwork_shows_up_in_bids_since_and_cursors_resume() {
    let sim = sim(40).await;
    let market = market(&sim);
    let ours: HashSet<String> = sim.proposals().into_iter().map(|p| p.id).collect();
    assert!(ours.len() >= 4);

    // Part of a pass, then the user bids on upwork.com, then the pass resumes.
    let first = market.bids_since(None, 2).await.unwrap();
    assert_eq!(first.items.len(), 2);
    assert!(first.has_more);
    let eur = sim.post_posting(NewPosting { currency: "EUR".to_owned(), ..NewPosting::default() });
    let placed = sim.add_proposal(NewProposal {
        job_posting_id: eur.id.clone(),
        charge_rate: Some("123.45".to_owned()),
        upfront_payment_percent: Some(25),
        cover_letter: "I built this twice before.".to_owned(),
    });
    let mut cursor = first.next_cursor.clone();
    let mut rest = bid_pass(&market, &mut cursor, 2).await;
    rest.extend(first.items);
    let ids: HashSet<String> = rest.iter().map(|b| b.id.clone()).collect();
    assert_eq!(ids.len(), rest.len(), "once per pass");
    let mut expected = ours.clone();
    expected.insert(placed.id.clone());
    assert_eq!(ids, expected);
    let bid = rest.iter().find(|b| b.id == placed.id).unwrap();
    assert_eq!(bid.job_id, eur.id);
    assert_eq!(bid.status, BidStatus::Submitted);
    assert_eq!(bid.amount, Money { amount_minor: 12_345, currency: "EUR".to_owned() });
    assert_eq!(bid.milestone_percentage, 25);
    assert_eq!(bid.proposal, "I built this twice before.");
    assert_eq!(market.get_bid(&placed.id).await.unwrap(), *bid);

    // The client acts on it: the next pass has the new status, at a higher version.
    sim.set_proposal_status(&placed.id, ProposalStatus::Offered).unwrap();
    let again = bid_pass(&market, &mut cursor, 50).await;
    assert_eq!(again.len(), expected.len());
    let offered = again.iter().find(|b| b.id == placed.id).unwrap();
    assert_eq!(offered.status, BidStatus::Awarded);
    assert!(offered.version > bid.version);
    sim.set_proposal_status(&placed.id, ProposalStatus::Withdrawn).unwrap();
    assert_eq!(market.get_bid(&placed.id).await.unwrap().status, BidStatus::Withdrawn);
    assert_eq!(market.get_bid("1").await.unwrap_err(), MarketError::NotFound);

    // A cursor of another feed, or damaged, means a resync.
    let jobs = market.list_jobs(&JobQuery::default(), None, 2).await.unwrap();
    assert_eq!(market.bids_since(jobs.next_cursor.as_ref(), 5).await.unwrap_err(), MarketError::CursorExpired);
    let other = JobQuery { query: Some("logo".to_owned()), ..JobQuery::default() };
    assert_eq!(market.list_jobs(&other, jobs.next_cursor.as_ref(), 5).await.unwrap_err(), MarketError::CursorExpired);
    assert_eq!(market.bids_since(Some(&Cursor("opaque".to_owned())), 5).await.unwrap_err(), MarketError::CursorExpired);
}

#[tokio::test]
async fn fields_and_money_map_exactly() {
    let sim = sim(5).await;
    let market = market(&sim);
    let yen = sim.post_posting(NewPosting {
        title: "Translate a manual".to_owned(),
        currency: "JPY".to_owned(),
        amount: Some("150000".to_owned()),
        skills: vec!["Translation".to_owned(), "Japanese".to_owned()],
        ..NewPosting::default()
    });
    let dinar = sim.post_posting(NewPosting {
        currency: "KWD".to_owned(),
        amount: Some("1.234".to_owned()),
        ..NewPosting::default()
    });
    let hourly = sim.post_posting(NewPosting {
        amount: None,
        hourly_min: Some("15.50".to_owned()),
        hourly_max: Some("40.00".to_owned()),
        ..NewPosting::default()
    });
    let page = market.list_jobs(&JobQuery::default(), None, 3).await.unwrap();
    let ids: Vec<&str> = page.items.iter().map(|j| j.id.as_str()).collect();
    assert_eq!(ids, [hourly.id.as_str(), dinar.id.as_str(), yen.id.as_str()], "newest first");
    let [h, d, y] = [&page.items[0], &page.items[1], &page.items[2]];
    assert_eq!((y.budget.kind, y.budget.min_minor, y.budget.max_minor), (BudgetType::Fixed, 150_000, Some(150_000)));
    assert_eq!(y.budget.currency, "JPY");
    assert_eq!(y.skills, ["Translation", "Japanese"]);
    assert_eq!(y.title, "Translate a manual");
    assert_eq!(y.posted_at.timestamp_millis(), yen.published.timestamp_millis());
    assert_eq!((d.budget.min_minor, d.budget.currency.as_str()), (1_234, "KWD"));
    assert_eq!((h.budget.kind, h.budget.min_minor, h.budget.max_minor), (BudgetType::Hourly, 1_550, Some(4_000)));
    assert_eq!(h.status, JobStatus::Open);

    // One posting by id agrees with the listing (its rates are plain numbers there).
    assert_eq!(market.get_job(&hourly.id).await.unwrap(), *h);
    assert_eq!(market.get_job(&yen.id).await.unwrap(), *y);
    // A client that has not listed it asks for the publish time separately.
    let fresh_client = market_with_token(&sim, TOKEN);
    let before = sim.graphql_requests();
    assert_eq!(fresh_client.get_job(&yen.id).await.unwrap(), *y);
    assert_eq!(sim.graphql_requests(), before + 2);
    sim.close_posting(&yen.id);
    assert_eq!(market.get_job(&yen.id).await.unwrap().status, JobStatus::Closed);
    sim.remove_posting(&yen.id);
    assert_eq!(market.get_job(&yen.id).await.unwrap_err(), MarketError::NotFound);

    // Filters Upwork does not take are applied to each page.
    let gbp = JobQuery { currency: Some("gbp".to_owned()), ..JobQuery::default() };
    assert!(market.list_jobs(&gbp, None, 5).await.unwrap().items.is_empty());
    let words = JobQuery { query: Some("translate manual".to_owned()), ..JobQuery::default() };
    assert!(market.list_jobs(&words, None, 5).await.unwrap().items.is_empty(), "closed and removed");
}

#[tokio::test]
async fn errors_map_and_a_revoked_or_unknown_token_is_unauthorized() {
    let sim = sim(10).await;
    let wrong = market_with_token(&sim, "not-a-token");
    assert_eq!(wrong.list_jobs(&JobQuery::default(), None, 5).await.unwrap_err(), MarketError::Unauthorized);
    assert_eq!(wrong.bids_since(None, 5).await.unwrap_err(), MarketError::Unauthorized);

    let market = market(&sim);
    sim.fail_next(FaultKind::RateLimited);
    let limited = market.list_jobs(&JobQuery::default(), None, 5).await.unwrap_err();
    assert!(
        matches!(limited, MarketError::Transient { retry_after: Some(_), reason: TransientReason::RateLimited }),
        "{limited:?}"
    );
    sim.fail_next(FaultKind::ServerError);
    assert!(market.bids_since(None, 5).await.unwrap_err().is_transient());
    sim.fail_next(FaultKind::ConnectionReset);
    assert!(market.bids_since(None, 5).await.unwrap_err().is_transient());
    // The errors array with a validation code: a cursor Upwork did not issue.
    let foreign = Cursor("up1:b:-:-:-:YWJj".to_owned());
    let refused = market.bids_since(Some(&foreign), 5).await.unwrap_err();
    assert!(matches!(refused, MarketError::Permanent { code: ApiErrorCode::ValidationFailed, .. }), "{refused:?}");
    assert_eq!(market.get_job("404").await.unwrap_err(), MarketError::NotFound);

    // The token travels as a Bearer token, with Sec-GPC while it is on.
    let request = sim.received().into_iter().last().unwrap();
    assert_eq!(request.header("authorization"), Some(format!("Bearer {TOKEN}").as_str()));
    assert_eq!(request.header("sec-gpc"), Some("1"));

    // An OAuth access token works until it is revoked.
    let base = sim.base_url();
    let server = OAuthServer {
        authorize_url: Url::parse(&format!("{base}/oauth/authorize")).unwrap(),
        token_url: Url::parse(&format!("{base}/oauth/token")).unwrap(),
        revoke_url: Some(Url::parse(&format!("{base}/oauth/revoke")).unwrap()),
        scope: None,
    };
    let app = || OAuthClient { client_id: "bidwell-desktop".to_owned(), client_secret: None };
    let sign_in = SignIn::start(server.clone(), app()).await.unwrap();
    let url = sign_in.browser_url().clone();
    let finished = tokio::spawn(sign_in.finish(Duration::from_secs(20), Utc::now()));
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let answer = browser.get(url).send().await.unwrap();
    let back = answer.headers()["location"].to_str().unwrap().to_owned();
    browser.get(back).send().await.unwrap();
    let tokens = finished.await.unwrap().unwrap();
    let signed_in = market_with_token(&sim, tokens.access_token.expose_secret());
    assert!(signed_in.bids_since(None, 5).await.is_ok());
    assert!(revoke(&server, &app(), &tokens.access_token).await.unwrap());
    assert_eq!(signed_in.bids_since(None, 5).await.unwrap_err(), MarketError::Unauthorized);
}

#[tokio::test]
async fn capabilities_say_what_upwork_cannot_do_and_nothing_is_sent_for_it() {
    let sim = sim(5).await;
    let market = market(&sim);
    let caps = market.capabilities();
    assert!(caps.list_jobs && caps.read_bids && caps.bids_recorded_only);
    assert!(!caps.submit_bid && !caps.edit_bid && !caps.withdraw_bid && !caps.milestones);
    assert!(!caps.employer_profiles && !caps.erasure_requests && !caps.consent && !caps.analytics);
    assert!(!caps.server_idempotency && !caps.feed_reports_closed_jobs);
    assert_eq!(caps.listing_retention_hours, Some(24));

    let before = sim.graphql_requests();
    sim.clear_received();
    let unsupported = |e: MarketError| matches!(e, MarketError::Unsupported { .. }) && !e.is_transient();
    let key = IdempotencyKey::new("k").unwrap();
    let bid = NewBid {
        job_id: sim.open_posting_ids()[0].clone(),
        amount: Money { amount_minor: 10_000, currency: "USD".to_owned() },
        period_days: 5,
        milestone_percentage: 0,
        proposal: "Hello".to_owned(),
    };
    assert!(unsupported(market.create_bid(&key, &bid).await.unwrap_err()));
    assert!(unsupported(market.edit_bid("1", 1, &Default::default()).await.unwrap_err()));
    assert!(unsupported(market.withdraw_bid("1", &key).await.unwrap_err()));
    assert!(unsupported(market.milestones_since(None, 5).await.unwrap_err()));
    assert!(unsupported(market.get_employer("1").await.unwrap_err()));
    let erasure = bidwell_marketplace::ErasureRequest { scope: bidwell_marketplace::ErasureScope::Account };
    assert!(unsupported(market.request_erasure(&key, &erasure).await.unwrap_err()));
    assert!(unsupported(market.get_consents().await.unwrap_err()));
    assert!(unsupported(market.put_consents(&Default::default()).await.unwrap_err()));
    assert_eq!(market.send_analytics(&Default::default()).await.unwrap_err(), MarketError::AnalyticsDisabled);
    market.set_global_privacy_control(false);
    assert!(unsupported(market.send_analytics(&Default::default()).await.unwrap_err()));
    assert_eq!(sim.graphql_requests(), before, "nothing was sent for what Upwork cannot do");
    assert!(sim.received().is_empty());
}
