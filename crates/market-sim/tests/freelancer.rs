//! The Freelancer-style reference server over real HTTP: envelopes, auth,
//! offset paging (and how it shifts under a client), bids, retraction and
//! milestones. Tokens here are the config's personal token; the OAuth flow
//! has its own tests (tests/oauth.rs).

use std::collections::HashSet;
use std::time::Duration;

use bidwell_market_sim::freelancer::{FreelancerConfig, FreelancerSim, NewProject, ProjectStatus};
use bidwell_market_sim::FaultKind;
use serde_json::{json, Value};

const TOKEN: &str = "fl-personal-token";

fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap()
}

async fn start(projects: usize) -> FreelancerSim {
    FreelancerSim::start(FreelancerConfig { projects, ..FreelancerConfig::default() }).await.unwrap()
}

async fn get(sim: &FreelancerSim, path_and_query: &str) -> (u16, Value) {
    let response = http()
        .get(format!("{}{path_and_query}", sim.base_url()))
        .header("Freelancer-OAuth-V1", TOKEN)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn post_bid(sim: &FreelancerSim, body: &Value) -> (u16, Value) {
    let response = http()
        .post(format!("{}/api/projects/0.1/bids/", sim.base_url()))
        .header("Freelancer-OAuth-V1", TOKEN)
        .json(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn bid_action(sim: &FreelancerSim, id: u64, action: &str) -> (u16, Value) {
    let response = http()
        .put(format!("{}/api/projects/0.1/bids/{id}/?action={action}", sim.base_url()))
        .header("Freelancer-OAuth-V1", TOKEN)
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn assert_error(body: &Value, code: &str) {
    assert_eq!(body["status"], "error", "{body}");
    assert_eq!(body["error_code"], code, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    assert_eq!(body["request_id"].as_str().map(str::len), Some(32), "{body}");
}

fn ids(page: &Value) -> Vec<u64> {
    page["result"]["projects"].as_array().unwrap().iter().map(|p| p["id"].as_u64().unwrap()).collect()
}

fn bid_body(sim: &FreelancerSim, project_id: u64, amount: f64) -> Value {
    json!({
        "project_id": project_id, "bidder_id": sim.self_user().id, "amount": amount,
        "period": 5, "milestone_percentage": 50, "description": "I can do this in five days."
    })
}

/// An active project nobody-in-particular (not us) has bid on.
fn fresh_active_project(sim: &FreelancerSim) -> u64 {
    let me = sim.self_user().id;
    let bid_on: HashSet<u64> = sim.bids().iter().filter(|b| b.bidder_id == me).map(|b| b.project_id).collect();
    sim.projects().into_iter().find(|p| p.status == ProjectStatus::Active && !bid_on.contains(&p.id)).unwrap().id
}

#[tokio::test]
async fn the_envelopes_and_the_401() {
    let sim = start(30).await;
    let (status, me) = get(&sim, "/api/users/0.1/self/").await;
    assert_eq!(status, 200);
    assert_eq!(me["status"], "success");
    assert_eq!(me["request_id"].as_str().map(str::len), Some(32));
    assert_eq!(me["result"]["id"], sim.self_user().id);
    assert_eq!(me["result"]["username"], "bidwell_demo");

    for token in [None, Some("wrong"), Some("")] {
        let mut request = http().get(format!("{}/api/users/0.1/self/", sim.base_url()));
        if let Some(token) = token {
            request = request.header("Freelancer-OAuth-V1", token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401);
        assert_error(&response.json().await.unwrap(), "RestExceptionCodes.NOT_AUTHENTICATED");
    }
    // Bearer is not this API's scheme.
    let response =
        http().get(format!("{}/api/users/0.1/self/", sim.base_url())).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(response.status(), 401);

    let (status, body) = get(&sim, "/api/projects/0.1/projects/99/").await;
    assert_eq!(status, 404);
    assert_error(&body, "ProjectExceptionCodes.PROJECT_NOT_FOUND");
    let (status, body) = get(&sim, "/api/projects/0.1/projects/active/?limit=abc").await;
    assert_eq!(status, 400);
    assert_error(&body, "RestExceptionCodes.INVALID_PARAMETERS");
    let (status, body) = get(&sim, "/api/projects/0.1/nothing-here/").await;
    assert_eq!(status, 404);
    assert_error(&body, "RestExceptionCodes.NOT_FOUND");
}

#[tokio::test]
async fn active_projects_page_by_offset_newest_first_with_details() {
    let sim = start(40).await;
    let active = sim.projects().iter().filter(|p| p.status == ProjectStatus::Active).count();
    assert!(active < 40, "some seeded projects are closed");
    let codes: HashSet<&str> = sim.projects().iter().map(|p| p.currency.code).collect();
    assert!(codes.len() >= 4, "several currencies: {codes:?}");

    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let (status, page) = get(
            &sim,
            &format!("/api/projects/0.1/projects/active/?limit=7&offset={offset}&full_description=true&job_details=true&user_details=true"),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(page["result"]["total_count"], active);
        let projects = page["result"]["projects"].as_array().unwrap();
        for p in projects {
            assert_eq!(p["status"], "active");
            assert!(p["description"].is_string() && p["preview_description"].is_string());
            assert!(p["jobs"]
                .as_array()
                .is_some_and(|j| !j.is_empty() && j[0]["id"].is_u64() && j[0]["name"].is_string()));
            assert!(p["currency"]["code"].is_string() && p["currency"]["sign"].is_string());
            assert!(p["budget"]["minimum"].is_number());
            assert!(p["time_submitted"].is_i64());
            assert!(matches!(p["type"].as_str(), Some("fixed" | "hourly")));
            let owner = p["owner_id"].as_u64().unwrap().to_string();
            assert_eq!(page["result"]["users"][&owner]["id"].as_u64().unwrap().to_string(), owner);
        }
        seen.extend(projects.iter().map(|p| (p["time_submitted"].as_i64().unwrap(), p["id"].as_u64().unwrap())));
        if projects.len() < 7 {
            break;
        }
        offset += 7;
    }
    assert_eq!(seen.len(), active);
    assert!(seen.windows(2).all(|w| w[0] >= w[1]), "newest first");

    // Without the flags the optional parts are left out.
    let (_, page) = get(&sim, "/api/projects/0.1/projects/active/?limit=3").await;
    let first = &page["result"]["projects"][0];
    assert!(first.get("description").is_none() && first.get("jobs").is_none());
    assert!(page["result"]["users"].is_null());
    assert_eq!(page["result"]["projects"].as_array().unwrap().len(), 3);

    // /all/ counts the closed ones too; one project by id.
    let (_, all) = get(&sim, "/api/projects/0.1/projects/all/?limit=1").await;
    assert_eq!(all["result"]["total_count"], 40);
    let id = sim.projects()[0].id;
    let (status, one) = get(&sim, &format!("/api/projects/0.1/projects/{id}/?full_description=true")).await;
    assert_eq!(status, 200);
    assert_eq!(one["result"]["id"], id);
    assert!(one["result"]["description"].is_string());
}

#[tokio::test]
async fn a_project_posted_or_closed_between_two_pages_shifts_the_next_page() {
    let sim = start(30).await;
    let page = |offset: usize| format!("/api/projects/0.1/projects/active/?limit=5&offset={offset}");
    let (_, first) = get(&sim, &page(0)).await;
    let first = ids(&first);

    // A new project pushes everything down one place: a naive offset client sees the
    // last item of page one again at the top of page two.
    let posted = sim.post_project(NewProject { currency: "GBP".into(), ..NewProject::default() });
    let (_, second) = get(&sim, &page(5)).await;
    let second = ids(&second);
    assert_eq!(second[0], first[4], "the second page starts with an item already seen");
    let (_, top) = get(&sim, &page(0)).await;
    assert_eq!(ids(&top)[0], posted.id, "the new project is the newest");
    assert_eq!(top["result"]["projects"][0]["currency"]["code"], "GBP");

    // Closing one pulls everything up one place: an item is skipped instead.
    let (_, before) = get(&sim, &page(5)).await;
    let before = ids(&before);
    sim.close_project(posted.id).unwrap();
    let (_, after) = get(&sim, &page(5)).await;
    let after = ids(&after);
    assert_eq!(after[0], before[1], "the item at offset 5 moved to page one and is missed");
}

#[tokio::test]
async fn bids_are_placed_refused_listed_and_retracted() {
    let sim = start(40).await;
    let project = fresh_active_project(&sim);
    let (status, placed) = post_bid(&sim, &bid_body(&sim, project, 420.0)).await;
    assert_eq!(status, 200, "{placed}");
    let bid = &placed["result"];
    assert_eq!(bid["project_id"], project);
    assert_eq!(bid["bidder_id"], sim.self_user().id);
    assert_eq!(bid["amount"], 420.0);
    assert_eq!(bid["retracted"], false);
    assert!(bid["award_status"].is_null());
    let bid_id = bid["id"].as_u64().unwrap();

    // The same bid again: the real API refuses a second bid by the same user.
    let (status, body) = post_bid(&sim, &bid_body(&sim, project, 420.0)).await;
    assert_eq!(status, 409);
    assert_error(&body, "ProjectExceptionCodes.DUPLICATE_BID");

    // Closed project; somebody else's bidder_id; a body without the required fields.
    let closed = sim.projects().into_iter().find(|p| p.status == ProjectStatus::Closed).unwrap().id;
    let (status, body) = post_bid(&sim, &bid_body(&sim, closed, 100.0)).await;
    assert_eq!(status, 409);
    assert_error(&body, "ProjectExceptionCodes.PROJECT_NOT_ACTIVE");
    let mut other = bid_body(&sim, fresh_active_project(&sim), 100.0);
    other["bidder_id"] = json!(1);
    let (status, body) = post_bid(&sim, &other).await;
    assert_eq!(status, 403);
    assert_error(&body, "RestExceptionCodes.FORBIDDEN");
    let (status, body) = post_bid(&sim, &json!({"project_id": project})).await;
    assert_eq!(status, 400);
    assert_error(&body, "RestExceptionCodes.INVALID_PARAMETERS");

    // Listed by project (with other bidders' bids) and by bidder.
    let (_, by_project) = get(&sim, &format!("/api/projects/0.1/bids/?projects[]={project}&limit=100")).await;
    let bids = by_project["result"]["bids"].as_array().unwrap();
    assert!(bids.iter().all(|b| b["project_id"] == project));
    assert!(bids.iter().any(|b| b["id"] == bid_id));
    let me = sim.self_user().id;
    let (_, mine) = get(&sim, &format!("/api/projects/0.1/bids/?bidders[]={me}&limit=100")).await;
    let mine = mine["result"]["bids"].as_array().unwrap().clone();
    assert!(mine.len() > 1 && mine.iter().all(|b| b["bidder_id"] == me));
    let (_, by_id) = get(&sim, &format!("/api/projects/0.1/bids/?bids[]={bid_id}&bids[]=1")).await;
    assert_eq!(by_id["result"]["bids"].as_array().unwrap().len(), 1);

    // Retract, then again (refused); unknown actions and other people's bids are refused.
    let (status, body) = bid_action(&sim, bid_id, "retract").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("success")), "{body}");
    let (_, listed) = get(&sim, &format!("/api/projects/0.1/bids/?bids[]={bid_id}")).await;
    assert_eq!(listed["result"]["bids"][0]["retracted"], true);
    let (status, body) = bid_action(&sim, bid_id, "retract").await;
    assert_eq!(status, 409);
    assert_error(&body, "ProjectExceptionCodes.BID_NOT_RETRACTABLE");
    let (status, body) = bid_action(&sim, bid_id, "award").await;
    assert_eq!(status, 403);
    assert_error(&body, "RestExceptionCodes.FORBIDDEN");
    let (status, _) = bid_action(&sim, bid_id, "dance").await;
    assert_eq!(status, 400);
    let someone_elses = sim.bids().into_iter().find(|b| b.bidder_id != me).unwrap().id;
    assert_eq!(bid_action(&sim, someone_elses, "retract").await.0, 403);

    // After retracting, bidding again is allowed (the choice documented in the docs).
    let (status, again) = post_bid(&sim, &bid_body(&sim, project, 400.0)).await;
    assert_eq!(status, 200, "{again}");
    assert_ne!(again["result"]["id"], bid_id);
}

#[tokio::test]
async fn milestones_of_our_awarded_bids_keyed_by_id() {
    let sim = start(40).await;
    let project = fresh_active_project(&sim);
    let (_, placed) = post_bid(&sim, &bid_body(&sim, project, 1000.0)).await;
    let bid_id = placed["result"]["id"].as_u64().unwrap();
    assert_eq!(bid_action(&sim, bid_id, "accept").await.0, 409, "not awarded yet");
    sim.award_bid(bid_id).unwrap();
    assert_eq!(bid_action(&sim, bid_id, "accept").await.0, 200);
    let milestone = sim.create_milestone(bid_id, 0.25, "Design").unwrap();

    let (status, listed) = get(&sim, &format!("/api/projects/0.1/milestones/?projects[]={project}")).await;
    assert_eq!(status, 200);
    let milestones = listed["result"]["milestones"].as_object().unwrap();
    assert_eq!(milestones.len(), 1);
    let m = &milestones[&milestone.id.to_string()];
    assert_eq!(m["transaction_id"], milestone.id);
    assert_eq!(m["project_id"], project);
    assert_eq!(m["bidder_id"], sim.self_user().id);
    assert_eq!(m["amount"], 250.0);
    assert_eq!(m["status"], "frozen");
    assert!(m["time_created"].is_i64());

    sim.set_milestone_status(milestone.id, "cleared").unwrap();
    let (_, one) = get(&sim, &format!("/api/projects/0.1/milestones/{}/", milestone.id)).await;
    assert_eq!(one["result"]["milestones"][&milestone.id.to_string()]["status"], "cleared");
    // The seeded history has milestones too, all ours.
    let (_, all) = get(&sim, "/api/projects/0.1/milestones/?limit=100").await;
    assert!(all["result"]["total_count"].as_u64().unwrap() > 1);
    assert_eq!(bid_action(&sim, bid_id, "retract").await.0, 409, "an accepted bid stays");
}

#[tokio::test]
async fn faults_use_the_envelope_and_the_same_seed_gives_the_same_marketplace() {
    let sim = start(10).await;
    sim.fail_next(FaultKind::ServerError);
    sim.fail_next(FaultKind::RateLimited);
    let (status, body) = get(&sim, "/api/users/0.1/self/").await;
    assert_eq!(status, 500);
    assert_error(&body, "RestExceptionCodes.INTERNAL_ERROR");
    let response = http()
        .get(format!("{}/api/users/0.1/self/", sim.base_url()))
        .header("Freelancer-OAuth-V1", TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(sim.fault_counts().total(), 2);
    assert_eq!(get(&sim, "/api/users/0.1/self/").await.0, 200);

    let other = start(10).await;
    assert_eq!(sim.projects(), other.projects());
    assert_eq!(sim.bids(), other.bids());
}

#[tokio::test]
async fn a_bid_applied_then_failed_is_found_by_reading_the_bids_and_hostile_answers_stream() {
    let sim = FreelancerSim::start(FreelancerConfig {
        projects: 30,
        huge_body_bytes: 300_000,
        overfull_page_items: 5_000,
        ..FreelancerConfig::default()
    })
    .await
    .unwrap();
    let project = fresh_active_project(&sim);
    // The bid lands but the answer is a 500: with no idempotency key a blind retry
    // is refused as a duplicate, and reading our bids on the project finds it.
    sim.fail_next(FaultKind::ApplyThenFail);
    let (status, body) = post_bid(&sim, &bid_body(&sim, project, 300.0)).await;
    assert_eq!(status, 500);
    assert_error(&body, "RestExceptionCodes.INTERNAL_ERROR");
    let (status, body) = post_bid(&sim, &bid_body(&sim, project, 300.0)).await;
    assert_eq!(status, 409);
    assert_error(&body, "ProjectExceptionCodes.DUPLICATE_BID");
    let me = sim.self_user().id;
    let (_, mine) = get(&sim, &format!("/api/projects/0.1/bids/?projects[]={project}&bidders[]={me}")).await;
    assert_eq!(mine["result"]["bids"].as_array().unwrap().len(), 1);

    // Dropped connection: no answer at all.
    sim.fail_next(FaultKind::ConnectionReset);
    let dropped =
        http().get(format!("{}/api/users/0.1/self/", sim.base_url())).header("Freelancer-OAuth-V1", TOKEN).send().await;
    assert!(dropped.is_err());

    // A huge body is streamed whole (small here), and is not JSON that ends.
    sim.fail_next(FaultKind::HugeDeclaredBody);
    let huge = http()
        .get(format!("{}/api/users/0.1/self/", sim.base_url()))
        .header("Freelancer-OAuth-V1", TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(huge.content_length(), Some(300_000));
    assert_eq!(huge.bytes().await.unwrap().len(), 300_000);

    // An overfull page: far more valid items than limit asked for.
    sim.fail_next(FaultKind::OverfullPage);
    let (status, page) = get(&sim, "/api/projects/0.1/projects/active/?limit=5").await;
    assert_eq!(status, 200);
    let projects = page["result"]["projects"].as_array().unwrap();
    assert_eq!(projects.len(), 5_000);
    assert!(projects.iter().all(|p| p["id"].is_u64() && p["title"].is_string()));
    sim.fail_next(FaultKind::OverfullPage);
    let (_, bids) = get(&sim, "/api/projects/0.1/bids/?limit=1").await;
    assert_eq!(bids["result"]["bids"].as_array().unwrap().len(), 5_000);
    assert!(sim.hostile_bytes_streamed() > 300_000);
    // Cursor faults have nothing to act on here: served as usual.
    sim.fail_next(FaultKind::StuckCursor);
    let (_, normal) = get(&sim, "/api/projects/0.1/projects/active/?limit=5").await;
    assert_eq!(normal["result"]["projects"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn the_binary_serves_the_freelancer_kind() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_bidwell-market-sim"))
        .args(["serve", "--kind", "freelancer", "--port", "0", "--token", "cli-token", "--jobs", "12"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first_line).expect("an address line");
    let base = first_line.trim().to_owned();
    let answered = http()
        .get(format!("{base}/api/projects/0.1/projects/all/?limit=100"))
        .header("Freelancer-OAuth-V1", "cli-token")
        .send()
        .await;
    let authorize = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{base}/oauth/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", "bidwell-desktop"),
            ("redirect_uri", "http://127.0.0.1:9/cb"),
            ("code_challenge", &bidwell_market_sim::oauth::s256_challenge(&"v".repeat(43))),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await;
    child.kill().unwrap();
    child.wait().unwrap();

    let page: Value = answered.unwrap().json().await.unwrap();
    assert_eq!(page["result"]["total_count"], 12);
    assert_eq!(authorize.unwrap().status(), 302);
}
