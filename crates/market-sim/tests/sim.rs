//! The reference server as a process and as a library: what tests and the
//! demo rely on beyond the client's own tests (crates/marketplace/tests).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use bidwell_market_sim::{FaultKind, SimConfig, SimServer};

const TOKEN: &str = "sim-test-token";

fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap()
}

#[tokio::test]
async fn the_binary_prints_its_address_first_and_answers_there() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bidwell-market-sim"))
        .args(["serve", "--port", "0", "--token", TOKEN, "--jobs", "12", "--seed", "9"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first_line).expect("an address line");
    let base = first_line.trim().to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{base:?}");

    let answered = http().get(format!("{base}/v1/jobs?limit=100")).bearer_auth(TOKEN).send().await;
    let refused = http().get(format!("{base}/v1/jobs")).bearer_auth("wrong").send().await;
    child.kill().unwrap();
    child.wait().unwrap();

    let answered = answered.unwrap();
    assert_eq!(answered.status(), 200);
    let page: serde_json::Value = answered.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 12);
    let refused = refused.unwrap();
    assert_eq!(refused.status(), 401);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "unauthorized");
    assert_eq!(body["retryable"], false);
}

#[tokio::test]
async fn the_same_seed_gives_the_same_marketplace() {
    let config = SimConfig { seed: 42, jobs: 50, ..SimConfig::default() };
    let a = SimServer::start(config.clone()).await.unwrap();
    let b = SimServer::start(config).await.unwrap();
    assert_eq!(a.jobs(), b.jobs());
    assert_eq!(a.add_jobs(5), b.add_jobs(5));
    let c = SimServer::start(SimConfig { seed: 43, jobs: 50, ..SimConfig::default() }).await.unwrap();
    assert_ne!(a.jobs()[..50], c.jobs()[..50]);
}

#[tokio::test]
async fn an_edit_without_if_match_is_refused_and_changes_nothing() {
    let server = SimServer::start(SimConfig { token: TOKEN.into(), jobs: 5, ..SimConfig::default() }).await.unwrap();
    let job = server.jobs().into_iter().find(|j| j.status == bidwell_marketplace::JobStatus::Open).unwrap();
    let created = http()
        .post(format!("{}/v1/bids", server.base_url()))
        .bearer_auth(TOKEN)
        .header("idempotency-key", "c-1")
        .json(&serde_json::json!({
            "job_id": job.id,
            "amount": {"amount_minor": 9900, "currency": job.budget.currency},
            "period_days": 3, "milestone_percentage": 0, "proposal": "hello"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["etag"], "\"1\"");
    let bid: serde_json::Value = created.json().await.unwrap();
    let id = bid["id"].as_str().unwrap();

    let patch = http()
        .patch(format!("{}/v1/bids/{id}", server.base_url()))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({"proposal": "changed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), 428);
    let body: serde_json::Value = patch.json().await.unwrap();
    assert_eq!(body["code"], "precondition_required");
    assert_eq!(server.bid(id).unwrap().proposal, "hello");

    let missing_key =
        http().post(format!("{}/v1/bids", server.base_url())).bearer_auth(TOKEN).json(&bid).send().await.unwrap();
    assert_eq!(missing_key.status(), 400);
    assert_eq!(server.bids().len(), 1);
}

/// What docs/marketplace-openapi.yaml says a request may be, the server
/// takes; what it says it may not, the server refuses with 400. These are
/// the disagreements Schemathesis (scripts/schemathesis.sh) once found.
#[tokio::test]
async fn requests_are_judged_by_the_spec_s_schemas() {
    let server = SimServer::start(SimConfig { token: TOKEN.into(), jobs: 5, ..SimConfig::default() }).await.unwrap();
    let base = server.base_url();
    let job = server.jobs()[0].clone();
    let post = |key: &str, body: serde_json::Value| {
        http().post(format!("{base}/v1/bids")).bearer_auth(TOKEN).header("idempotency-key", key).json(&body).send()
    };

    // JSON Schema's integers include 84.0 and 1e2; unknown fields are ignored.
    let created = post(
        "k-1",
        serde_json::json!({
            "job_id": job.id,
            "amount": {"amount_minor": 9900.0, "currency": job.budget.currency},
            "period_days": 1e1, "milestone_percentage": 0, "proposal": "hello", "extra": {"x": [1.5]}
        }),
    )
    .await
    .unwrap();
    assert_eq!(created.status(), 201);
    let bid: serde_json::Value = created.json().await.unwrap();
    assert_eq!((bid["amount"]["amount_minor"].as_i64(), bid["period_days"].as_u64()), (Some(9900), Some(10)));
    let fraction = serde_json::json!({
        "job_id": job.id,
        "amount": {"amount_minor": 9900.5, "currency": job.budget.currency},
        "period_days": 1, "milestone_percentage": 0, "proposal": "hello"
    });
    assert_eq!(post("k-2", fraction).await.unwrap().status(), 400);

    // Idempotency keys are visible ASCII without spaces, as the client makes them.
    assert_eq!(post("has space", serde_json::json!({})).await.unwrap().status(), 400);

    // If-Match is a version: `"1"`, `W/"1"` or `1`; `*` and unbalanced quotes are not.
    let id = bid["id"].as_str().unwrap();
    let patch = |if_match: &str| {
        http()
            .patch(format!("{base}/v1/bids/{id}"))
            .bearer_auth(TOKEN)
            .header("if-match", if_match)
            .json(&serde_json::json!({"period_days": 2}))
            .send()
    };
    for refused in ["*", "\"1", "1\"", "\"\"1\"\"", "v1"] {
        assert_eq!(patch(refused).await.unwrap().status(), 400, "{refused}");
    }
    assert_eq!(patch("99999999999999999999999").await.unwrap().status(), 412);
    assert_eq!(patch("W/\"1\"").await.unwrap().status(), 200);
    assert_eq!(server.bid(id).unwrap().version, 2);

    // The job search's filters are checked as the spec declares them.
    for query in ["currency=usd", "currency=", "budget_type=", &format!("query={}", "a".repeat(201))] {
        let answer = http().get(format!("{base}/v1/jobs?{query}")).bearer_auth(TOKEN).send().await.unwrap();
        assert_eq!(answer.status(), 400, "{query}");
    }
    let answer = http().get(format!("{base}/v1/jobs?query={}", "a".repeat(200))).bearer_auth(TOKEN).send().await;
    assert_eq!(answer.unwrap().status(), 200);
}

#[tokio::test]
async fn the_fault_rate_decides_how_many_requests_fail() {
    let server = SimServer::start(SimConfig {
        token: TOKEN.into(),
        jobs: 1,
        fault_rate: 1.0,
        fault_kinds: vec![FaultKind::ServerError],
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let url = format!("{}/v1/privacy/consents", server.base_url());
    for _ in 0..5 {
        assert_eq!(http().get(&url).bearer_auth(TOKEN).send().await.unwrap().status(), 500);
    }
    server.set_fault_rate(0.0);
    assert_eq!(http().get(&url).bearer_auth(TOKEN).send().await.unwrap().status(), 200);
    assert_eq!(server.fault_counts().server_error, 5);
    assert_eq!(server.fault_counts().total(), 5);
    assert_eq!(server.received().len(), 6, "failed requests are recorded too");
}

// ----- the state file (the demo marketplace outlives the app) -----

fn with_state(file: &std::path::Path) -> SimConfig {
    SimConfig { token: TOKEN.into(), seed: 5, jobs: 8, state_file: Some(file.to_owned()), ..SimConfig::default() }
}

async fn place_bid(base: &str, job: &bidwell_marketplace::Job, key: &str) -> reqwest::Response {
    http()
        .post(format!("{base}/v1/bids"))
        .bearer_auth(TOKEN)
        .header("idempotency-key", key)
        .json(&serde_json::json!({
            "job_id": job.id,
            "amount": {"amount_minor": 50_000, "currency": job.budget.currency},
            "period_days": 5, "milestone_percentage": 0, "proposal": "kept across restarts"
        }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_restart_from_the_state_file_keeps_bids_cursors_and_idempotency_keys() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("market.json");
    let first = SimServer::start(with_state(&file)).await.unwrap();
    assert!(file.exists(), "the state file is written at the first start");
    let jobs = first.jobs();
    let job = jobs.iter().find(|j| j.status == bidwell_marketplace::JobStatus::Open).unwrap();
    let created = place_bid(&first.base_url(), job, "k-1").await;
    assert_eq!(created.status(), 201);
    let created: serde_json::Value = created.json().await.unwrap();
    let page: serde_json::Value = http()
        .get(format!("{}/v1/bids", first.base_url()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    first.stop();

    // Another seed would make other jobs: the file wins over the seed.
    let second = SimServer::start(SimConfig { seed: 99, port: 0, ..with_state(&file) }).await.unwrap();
    assert_eq!(second.jobs(), jobs, "the same jobs, in the same change order");
    assert_eq!(second.bids().len(), 1);
    assert_eq!(second.bids()[0].id, created["id"].as_str().unwrap());

    // The cursor saved before the restart still means "after that bid".
    let since: serde_json::Value = http()
        .get(format!("{}/v1/bids?since={cursor}", second.base_url()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(since["items"].as_array().unwrap().len(), 0, "nothing new since the cursor: {since}");

    // A retried create with the same key is the same bid, not a second one.
    let replayed = place_bid(&second.base_url(), job, "k-1").await;
    assert_eq!(replayed.status(), 201);
    let replayed: serde_json::Value = replayed.json().await.unwrap();
    assert_eq!(replayed["id"], created["id"]);
    assert_eq!(second.bids().len(), 1);

    // New bids continue the numbering instead of reusing an id.
    let other = place_bid(&second.base_url(), job, "k-2").await.json::<serde_json::Value>().await.unwrap();
    assert_ne!(other["id"], created["id"]);
    // A marketplace-side action is saved too.
    let id = created["id"].as_str().unwrap();
    second.set_bid_status(id, bidwell_marketplace::BidStatus::Awarded).unwrap();
    second.stop();
    let third = SimServer::start(with_state(&file)).await.unwrap();
    assert_eq!(third.bid(id).unwrap().status, bidwell_marketplace::BidStatus::Awarded);
    assert_eq!(third.bids().len(), 2);
    let left: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into()).collect();
    assert_eq!(left, vec!["market.json".to_owned()], "no temporary file is left behind");
}

#[tokio::test]
async fn a_damaged_state_file_is_refused_by_name_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("market.json");
    std::fs::write(&file, b"{\"format\":\"something else\"}").unwrap();
    let err = SimServer::start(with_state(&file)).await.err().expect("a foreign file is refused");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert!(err.to_string().contains("market.json"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), b"{\"format\":\"something else\"}");
}

#[tokio::test]
async fn the_scripted_employer_shortlists_a_submitted_bid_and_the_file_follows() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("market.json");
    let config = SimConfig { shortlist_after: Some(Duration::ZERO), ..with_state(&file) };
    let server = SimServer::start(config).await.unwrap();
    let job = server.jobs().into_iter().find(|j| j.status == bidwell_marketplace::JobStatus::Open).unwrap();
    assert_eq!(place_bid(&server.base_url(), &job, "k-1").await.status(), 201);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while server.bids()[0].status != bidwell_marketplace::BidStatus::Shortlisted {
        assert!(std::time::Instant::now() < deadline, "the bid was never shortlisted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.stop();
    let again = SimServer::start(with_state(&file)).await.unwrap();
    assert_eq!(again.bids()[0].status, bidwell_marketplace::BidStatus::Shortlisted);
}
