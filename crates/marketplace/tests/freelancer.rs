//! `FreelancerMarketplace` against the Freelancer-style reference server
//! over real HTTP on 127.0.0.1: paging while projects are posted and
//! closed, field and money mapping, safe bid retries without idempotency
//! keys, retraction, the bids and milestones feeds, errors and capabilities.
//! Every loop is bounded; nothing sleeps or measures time.

use std::collections::HashSet;
use std::time::Duration;

use bidwell_market_sim::freelancer::{FreelancerConfig, FreelancerSim, NewProject, ProjectStatus};
use bidwell_market_sim::FaultKind;
use bidwell_marketplace::{
    ApiErrorCode, ApiToken, BidStatus, BudgetType, Capabilities, Cursor, FreelancerMarketplace, HttpMarketplace,
    HttpOptions, IdempotencyKey, JobQuery, JobStatus, MarketError, Marketplace, Milestone, MilestoneStatus, Money,
    NewBid, Refusal, TransientReason,
};

const TOKEN: &str = "fl-personal-token";

async fn sim_with(config: FreelancerConfig) -> FreelancerSim {
    FreelancerSim::start(config).await.unwrap()
}

async fn sim(projects: usize) -> FreelancerSim {
    sim_with(FreelancerConfig { projects, ..FreelancerConfig::default() }).await
}

fn market_with_token(sim: &FreelancerSim, token: &str) -> FreelancerMarketplace {
    let options = HttpOptions { request_timeout: Duration::from_secs(10), ..HttpOptions::default() };
    FreelancerMarketplace::new(&format!("{}/api/", sim.base_url()), ApiToken::new(token.to_owned()), options).unwrap()
}

fn market(sim: &FreelancerSim) -> FreelancerMarketplace {
    market_with_token(sim, TOKEN)
}

fn key(k: &str) -> IdempotencyKey {
    IdempotencyKey::new(k).unwrap()
}

fn active_ids(sim: &FreelancerSim) -> HashSet<u64> {
    sim.projects().iter().filter(|p| p.status == ProjectStatus::Active).map(|p| p.id).collect()
}

/// Pages `list_jobs` until the pass ends, calling `between` after each page.
async fn pass(
    market: &FreelancerMarketplace,
    cursor: &mut Option<Cursor>,
    limit: u32,
    mut between: impl FnMut(usize, &[u64]),
) -> Vec<u64> {
    let mut ids = Vec::new();
    for page_number in 0..200 {
        let page = market.list_jobs(&JobQuery::default(), cursor.as_ref(), limit).await.unwrap();
        assert!(page.items.len() <= limit as usize);
        ids.extend(page.items.iter().map(|j| j.id.parse::<u64>().unwrap()));
        *cursor = page.next_cursor;
        assert!(cursor.is_some(), "the feed always hands back a position");
        if !page.has_more {
            return ids;
        }
        between(page_number, &ids);
    }
    panic!("the pass did not end within 200 pages");
}

fn new_project(n: usize) -> NewProject {
    NewProject { title: format!("Fresh project {n}"), ..NewProject::default() }
}

#[tokio::test]
async fn paging_neither_skips_nor_repeats_while_projects_are_posted_and_closed() {
    let sim = sim(90).await;
    let market = market(&sim);
    let at_start = active_ids(&sim);
    let mut posted = Vec::new();
    let mut cursor = None;
    let first = pass(&market, &mut cursor, 7, |page, seen| match page {
        // Deep in the list, more closed above our position than the overlap
        // covers: everything after it moves up by 14, and
        // the five that would have come next leave too.
        3 => {
            for id in seen.iter().take(14) {
                sim.close_project(*id);
            }
            let mut below: Vec<_> = sim
                .projects()
                .into_iter()
                .filter(|p| p.status == ProjectStatus::Active && !seen.contains(&p.id))
                .collect();
            below.sort_by_key(|p| std::cmp::Reverse((p.time_submitted, p.id)));
            // And the five just below the position, where the next page would start.
            for p in below.iter().take(5) {
                sim.close_project(p.id);
            }
        }
        // More posted at the top than the overlap covers: the list moves down by 15.
        4 => posted.extend((0..15).map(|n| sim.post_project(new_project(n)).id)),
        // Both at once, in small numbers.
        5 => {
            posted.push(sim.post_project(new_project(100)).id);
            sim.close_project(seen[seen.len() - 1]);
        }
        _ => {}
    })
    .await;

    let unique: HashSet<u64> = first.iter().copied().collect();
    assert_eq!(unique.len(), first.len(), "no project twice in a pass");
    let still_active = active_ids(&sim);
    for id in at_start.intersection(&still_active) {
        assert!(unique.contains(id), "project {id} was active all along and was skipped");
    }
    for id in &unique {
        assert!(at_start.contains(id), "only projects from before the pass began: {id}");
    }
    for id in &posted {
        assert!(!unique.contains(id), "posted during the pass: comes in the next one");
    }

    // The next pass is a change feed: only what was posted since, once.
    let later = sim.post_project(new_project(200)).id;
    let second = pass(&market, &mut cursor, 4, |_, _| {}).await;
    let mut expected: Vec<u64> = posted.clone();
    expected.push(later);
    let mut got = second.clone();
    got.sort_unstable();
    expected.sort_unstable();
    assert_eq!(got, expected);
    assert!(pass(&market, &mut cursor, 4, |_, _| {}).await.is_empty(), "nothing new, nothing delivered");
}

#[tokio::test]
async fn a_cursor_from_another_feed_query_or_damaged_means_resync() {
    let sim = sim(10).await;
    let market = market(&sim);
    let bids = market.bids_since(None, 2).await.unwrap();
    let err = market.list_jobs(&JobQuery::default(), bids.next_cursor.as_ref(), 5).await.unwrap_err();
    assert_eq!(err, MarketError::CursorExpired);
    let jobs = market.list_jobs(&JobQuery::default(), None, 2).await.unwrap();
    let other_query = JobQuery { query: Some("logo".to_owned()), ..JobQuery::default() };
    let err = market.list_jobs(&other_query, jobs.next_cursor.as_ref(), 5).await.unwrap_err();
    assert_eq!(err, MarketError::CursorExpired, "a position is only good for its own query");
    let err = market.bids_since(Some(&Cursor("opaque".to_owned())), 5).await.unwrap_err();
    assert_eq!(err, MarketError::CursorExpired);
}

#[tokio::test]
async fn fields_and_money_map_exactly_and_employers_come_with_listings() {
    let sim = sim(5).await;
    let market = market(&sim);
    let inr = sim.post_project(NewProject {
        title: "Data entry".to_owned(),
        currency: "INR".to_owned(),
        budget_min: 1999.99,
        budget_max: Some(250_000.5),
        hourly: true,
        jobs: vec!["Excel".to_owned(), "Data Entry".to_owned()],
        ..NewProject::default()
    });
    let gbp = sim.post_project(NewProject {
        currency: "GBP".to_owned(),
        budget_min: 0.29,
        budget_max: None,
        ..NewProject::default()
    });
    let page = market.list_jobs(&JobQuery::default(), None, 2).await.unwrap();
    let ids: Vec<&str> = page.items.iter().map(|j| j.id.as_str()).collect();
    assert_eq!(ids, [gbp.id.to_string(), inr.id.to_string()], "newest first");

    let job = market.get_job(&inr.id.to_string()).await.unwrap();
    assert_eq!(page.items[1], job, "listed and fetched agree");
    assert_eq!(job.title, "Data entry");
    assert_eq!(job.description, inr.description);
    assert_eq!(job.budget.kind, BudgetType::Hourly);
    assert_eq!(job.budget.currency, "INR");
    assert_eq!(job.budget.min_minor, 199_999);
    assert_eq!(job.budget.max_minor, Some(25_000_050));
    assert_eq!(job.skills, ["Excel", "Data Entry"]);
    assert_eq!(job.client_id, inr.owner_id.to_string());
    assert_eq!(job.posted_at.timestamp(), inr.time_submitted);
    assert_eq!(job.status, JobStatus::Open);

    let small = market.get_job(&gbp.id.to_string()).await.unwrap();
    assert_eq!((small.budget.min_minor, small.budget.max_minor), (29, None));
    assert_eq!(small.budget.kind, BudgetType::Fixed);
    sim.close_project(gbp.id);
    assert_eq!(market.get_job(&gbp.id.to_string()).await.unwrap().status, JobStatus::Closed);

    let employer = market.get_employer(&job.client_id).await.unwrap();
    assert_eq!(employer.id, job.client_id);
    assert!(!employer.display_name.is_empty());
    assert_eq!(market.get_employer("1").await.unwrap_err(), MarketError::NotFound);
    assert_eq!(market.get_job("1").await.unwrap_err(), MarketError::NotFound);

    // Filters Freelancer cannot apply are applied to each page.
    let hourly = JobQuery { budget_type: Some(BudgetType::Hourly), ..JobQuery::default() };
    let page = market.list_jobs(&hourly, None, 1).await.unwrap();
    assert_eq!(page.items.len(), 1, "the newest project is hourly now that the GBP one closed");
    let gbp_only = JobQuery { currency: Some("gbp".to_owned()), ..JobQuery::default() };
    assert!(market.list_jobs(&gbp_only, None, 1).await.unwrap().items.is_empty());
}

fn new_bid(job: u64, amount_minor: i64, currency: &str) -> NewBid {
    NewBid {
        job_id: job.to_string(),
        amount: Money { amount_minor, currency: currency.to_owned() },
        period_days: 6,
        milestone_percentage: 50,
        proposal: "I have built this twice before.".to_owned(),
    }
}

fn bid_posts(sim: &FreelancerSim) -> usize {
    sim.received().iter().filter(|r| r.method == "POST" && r.path == "/api/projects/0.1/bids/").count()
}

#[tokio::test]
async fn a_bid_is_placed_in_the_projects_currency_and_a_retry_finds_it() {
    let sim = sim(5).await;
    let market = market(&sim);
    let gbp = sim.post_project(NewProject { currency: "GBP".to_owned(), ..NewProject::default() });
    let inr = sim.post_project(NewProject { currency: "INR".to_owned(), ..NewProject::default() });

    let placed = market.create_bid(&key("k-inr"), &new_bid(inr.id, 199_999, "INR")).await.unwrap();
    assert_eq!(placed.amount, Money { amount_minor: 199_999, currency: "INR".to_owned() });
    assert_eq!((placed.status, placed.version), (BidStatus::Submitted, 1));
    let on_server = sim.bids().into_iter().find(|b| b.id.to_string() == placed.id).unwrap();
    assert_eq!(on_server.amount, 1999.99, "major units, exactly");
    assert_eq!(on_server.bidder_id, sim.self_user().id);

    let wrong = market.create_bid(&key("k-x"), &new_bid(gbp.id, 100, "USD")).await.unwrap_err();
    assert!(matches!(wrong, MarketError::Permanent { code: ApiErrorCode::ValidationFailed, .. }), "{wrong:?}");

    // The POST is applied, then the answer is lost. The request before it
    // (the read-back) is served as usual: StuckCursor means nothing here.
    sim.fail_next(FaultKind::StuckCursor);
    sim.fail_next(FaultKind::ApplyThenFail);
    let first = market.create_bid(&key("k-gbp"), &new_bid(gbp.id, 12_345, "GBP")).await.unwrap_err();
    assert!(first.is_transient(), "{first:?}");
    assert_eq!(bid_posts(&sim), 2);
    let retried = market.create_bid(&key("k-gbp"), &new_bid(gbp.id, 12_345, "GBP")).await.unwrap();
    assert_eq!(bid_posts(&sim), 2, "the retry found the bid instead of posting again");
    let ours: Vec<_> = sim.bids().into_iter().filter(|b| b.project_id == gbp.id).collect();
    assert_eq!(ours.len(), 1);
    assert_eq!(retried.id, ours[0].id.to_string());
    assert_eq!(ours[0].amount, 123.45);
    assert_eq!(retried.amount.amount_minor, 12_345);
    let lower = market.create_bid(&key("k-gbp"), &new_bid(gbp.id, 12_345, "gbp")).await.unwrap();
    assert_eq!((lower.id, bid_posts(&sim)), (retried.id.clone(), 2), "the currency's case does not matter");

    // A different bid on the same project is not passed off as this one.
    let other = market.create_bid(&key("k-other"), &new_bid(gbp.id, 9_900, "GBP")).await.unwrap_err();
    assert!(
        matches!(&other, MarketError::Permanent { code: ApiErrorCode::InvalidState, message } if message.contains(&retried.id)),
        "{other:?}"
    );
}

#[tokio::test]
async fn racing_creates_of_the_same_bid_make_one_bid() {
    let sim = sim(5).await;
    let market = market(&sim);
    let project = sim.post_project(NewProject::default());
    market.get_job(&project.id.to_string()).await.unwrap();
    let bid = new_bid(project.id, 50_000, "USD");
    // Whether the second one finds the bid by reading back or meets
    // DUPLICATE_BID depends on how the two interleave; both end the same.
    let k = key("a");
    let (a, b) = tokio::join!(market.create_bid(&k, &bid), market.create_bid(&k, &bid));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.id, b.id);
    assert_eq!(sim.bids().iter().filter(|b| b.project_id == project.id).count(), 1);
}

#[tokio::test]
async fn retracting_twice_succeeds_and_an_accepted_bid_says_why_not() {
    let sim = sim(5).await;
    let market = market(&sim);
    let project = sim.post_project(NewProject::default());
    let bid = market.create_bid(&key("r"), &new_bid(project.id, 40_000, "USD")).await.unwrap();
    let withdrawn = market.withdraw_bid(&bid.id, &key("w")).await.unwrap();
    assert_eq!((withdrawn.status, withdrawn.version), (BidStatus::Withdrawn, 3));
    let again = market.withdraw_bid(&bid.id, &key("w")).await.unwrap();
    assert_eq!(again, withdrawn);

    // Bid again (allowed after a retract), get awarded, accept: no retract now.
    let second = market.create_bid(&key("r2"), &new_bid(project.id, 41_000, "USD")).await.unwrap();
    assert_ne!(second.id, bid.id);
    sim.award_bid(second.id.parse().unwrap()).unwrap();
    assert_eq!(market.get_bid(&second.id).await.unwrap().status, BidStatus::Awarded);
    let accepted = reqwest::Client::new()
        .put(format!("{}/api/projects/0.1/bids/{}/?action=accept", sim.base_url(), second.id))
        .header("Freelancer-OAuth-V1", TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
    let refused = market.withdraw_bid(&second.id, &key("w2")).await.unwrap_err();
    assert!(
        matches!(&refused, MarketError::Permanent { code: ApiErrorCode::InvalidState, message } if message.contains("accepted")),
        "{refused:?}"
    );
    assert_eq!(market.get_bid("1").await.unwrap_err(), MarketError::NotFound);
}

#[tokio::test]
async fn the_bids_and_milestones_feeds_deliver_ours_once_per_pass() {
    let sim = sim(60).await;
    let market = market(&sim);
    let me = sim.self_user().id;
    let project = sim.post_project(NewProject { currency: "EUR".to_owned(), ..NewProject::default() });
    let placed = market.create_bid(&key("f"), &new_bid(project.id, 12_345, "EUR")).await.unwrap();
    let placed_id: u64 = placed.id.parse().unwrap();
    sim.award_bid(placed_id).unwrap();
    let milestone = sim.create_milestone(placed_id, 0.5, "First half").unwrap();

    let ours: HashSet<String> = sim.bids().iter().filter(|b| b.bidder_id == me).map(|b| b.id.to_string()).collect();
    assert!(ours.len() >= 3);
    let mut cursor = None;
    let mut seen = Vec::new();
    for _ in 0..50 {
        let page = market.bids_since(cursor.as_ref(), 2).await.unwrap();
        seen.extend(page.items);
        cursor = page.next_cursor;
        if !page.has_more {
            break;
        }
    }
    let ids: HashSet<String> = seen.iter().map(|b| b.id.clone()).collect();
    assert_eq!(ids.len(), seen.len(), "once per pass");
    assert_eq!(ids, ours);
    let awarded = seen.iter().find(|b| b.id == placed.id).unwrap();
    assert_eq!((awarded.status, awarded.amount.amount_minor), (BidStatus::Awarded, 12_345));

    // The next pass delivers them again, with what changed.
    market.withdraw_bid(&seen[0].id, &key("w")).await.ok();
    let again = market.bids_since(cursor.as_ref(), 200).await.unwrap();
    assert_eq!(again.items.len(), ours.len());

    let visible: HashSet<String> =
        sim.milestones().iter().filter(|m| m.bidder_id == me).map(|m| m.id.to_string()).collect();
    let mut cursor = None;
    let mut milestones: Vec<Milestone> = Vec::new();
    for _ in 0..50 {
        let page = market.milestones_since(cursor.as_ref(), 1).await.unwrap();
        milestones.extend(page.items);
        cursor = page.next_cursor;
        if !page.has_more {
            break;
        }
    }
    let ids: HashSet<String> = milestones.iter().map(|m| m.id.clone()).collect();
    assert_eq!(ids.len(), milestones.len());
    assert_eq!(ids, visible);
    let ours = milestones.iter().find(|m| m.id == milestone.id.to_string()).unwrap();
    assert_eq!(ours.bid_id, placed.id);
    assert_eq!(ours.status, MilestoneStatus::Funded);
    assert_eq!(
        ours.amount,
        Money { amount_minor: (milestone.amount * 100.0).round() as i64, currency: "EUR".to_owned() }
    );
    sim.set_milestone_status(milestone.id, "cleared").unwrap();
    let next = market.milestones_since(cursor.as_ref(), 200).await.unwrap();
    let cleared = next.items.iter().find(|m| m.id == ours.id).unwrap();
    assert_eq!(cleared.status, MilestoneStatus::Released);
    assert!(cleared.version > ours.version);
}

#[tokio::test]
async fn errors_are_classified_and_answers_bounded() {
    let sim =
        sim_with(FreelancerConfig { projects: 20, overfull_page_items: 150, ..FreelancerConfig::default() }).await;
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
    sim.fail_next(FaultKind::OverfullPage);
    let overfull = market.list_jobs(&JobQuery::default(), None, 5).await.unwrap_err();
    assert!(matches!(overfull, MarketError::Refused(Refusal::TooManyItems { .. })), "{overfull:?}");
    sim.fail_next(FaultKind::HugeDeclaredBody);
    let huge = market.get_job(&sim.projects()[0].id.to_string()).await.unwrap_err();
    assert!(matches!(huge, MarketError::Refused(Refusal::BodyTooLarge { .. })), "{huge:?}");

    // The token travels in Freelancer's header only, with Sec-GPC while it is on.
    let request = sim.received().into_iter().last().unwrap();
    let header = |name: &str| request.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    assert_eq!(header("freelancer-oauth-v1").as_deref(), Some(TOKEN));
    assert_eq!(header("sec-gpc").as_deref(), Some("1"));
    assert_eq!(header("authorization"), None);
}

#[tokio::test]
async fn capabilities_say_what_freelancer_cannot_do_and_nothing_is_sent_for_it() {
    let sim = sim(5).await;
    let market = market(&sim);
    let caps = market.capabilities();
    assert!(caps.list_jobs && caps.submit_bid && caps.withdraw_bid && caps.read_bids && caps.milestones);
    assert!(!caps.edit_bid && !caps.erasure_requests && !caps.consent && !caps.analytics);
    assert!(!caps.server_idempotency && !caps.bids_recorded_only && !caps.feed_reports_closed_jobs);
    assert_eq!(caps.listing_retention_hours, None, "Freelancer sets no limit on keeping postings");
    let bidwell =
        HttpMarketplace::new("http://127.0.0.1:9", ApiToken::new("t".to_owned()), HttpOptions::default()).unwrap();
    assert_eq!(bidwell.capabilities(), Capabilities::FULL);

    sim.clear_received();
    let unsupported = |e: MarketError| matches!(e, MarketError::Unsupported { .. }) && !e.is_transient();
    assert!(unsupported(market.edit_bid("300000001", 1, &Default::default()).await.unwrap_err()));
    assert!(unsupported(
        market
            .request_erasure(
                &key("e"),
                &bidwell_marketplace::ErasureRequest { scope: bidwell_marketplace::ErasureScope::Account }
            )
            .await
            .unwrap_err()
    ));
    assert!(unsupported(market.get_consents().await.unwrap_err()));
    assert!(unsupported(market.put_consents(&Default::default()).await.unwrap_err()));
    assert!(market.global_privacy_control());
    let batch = Default::default();
    assert_eq!(market.send_analytics(&batch).await.unwrap_err(), MarketError::AnalyticsDisabled);
    market.set_global_privacy_control(false);
    assert!(unsupported(market.send_analytics(&batch).await.unwrap_err()));
    assert!(sim.received().is_empty(), "nothing was sent for what Freelancer cannot do");
}
