//! The Upwork-style reference server over real HTTP: the GraphQL answer
//! and `errors` shapes, Bearer tokens, cursor paging (and how it shifts
//! under a client), proposals, the per-client rate limit, faults and the
//! binary. Tokens here are the config's personal token.

use std::time::Duration;

use bidwell_market_sim::upwork::{NewPosting, NewProposal, UpworkConfig, UpworkSim};
use bidwell_market_sim::FaultKind;
use serde_json::{json, Value};

const TOKEN: &str = "up-personal-token";

const SEARCH: &str = "query S($filter: MarketplaceJobPostingsSearchFilter) {
  marketplaceJobPostingsSearch(marketPlaceJobFilter: $filter, searchType: USER_JOBS_SEARCH_IS_A_LITERAL_HERE) { totalCount }
}";

fn search_query() -> &'static str {
    "query S($filter: MarketplaceJobPostingsSearchFilter, $type: MarketplaceJobPostingSearchType) {
  marketplaceJobPostingsSearch(marketPlaceJobFilter: $filter, searchType: $type) {
    totalCount edges { cursor node { id title amount { rawValue currency } publishedDateTime } }
    pageInfo { endCursor hasNextPage }
  }
}"
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap()
}

async fn start(postings: usize) -> UpworkSim {
    UpworkSim::start(UpworkConfig { postings, ..UpworkConfig::default() }).await.unwrap()
}

async fn graphql_as(sim: &UpworkSim, token: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
    let mut request = http().post(sim.graphql_url()).json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn graphql(sim: &UpworkSim, query: &str, variables: Value) -> (u16, Value) {
    graphql_as(sim, Some(TOKEN), query, variables).await
}

fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("")
}

async fn page(sim: &UpworkSim, after: Option<&str>, first: u32) -> Value {
    let mut pagination = json!({ "first": first });
    if let Some(after) = after {
        pagination["after"] = json!(after);
    }
    let variables = json!({ "filter": { "pagination_eq": pagination }, "type": "USER_JOBS_SEARCH" });
    let (status, body) = graphql(sim, search_query(), variables).await;
    assert_eq!(status, 200, "{body}");
    body["data"]["marketplaceJobPostingsSearch"].clone()
}

fn ids(connection: &Value) -> Vec<String> {
    connection["edges"].as_array().unwrap().iter().map(|e| e["node"]["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn tokens_and_the_errors_array() {
    let sim = start(10).await;
    let (status, body) = graphql_as(&sim, None, search_query(), json!({})).await;
    assert_eq!((status, error_code(&body)), (401, "UNAUTHENTICATED"), "{body}");
    assert!(body["errors"][0]["message"].as_str().is_some_and(|m| !m.is_empty()));
    let (status, _) = graphql_as(&sim, Some("nope"), search_query(), json!({})).await;
    assert_eq!(status, 401);

    // A field this server does not know, literals where variables are
    // expected, a bad cursor, an unknown posting.
    let (status, body) = graphql(&sim, "query { somethingElse { id } }", json!({})).await;
    assert_eq!((status, error_code(&body)), (400, "GRAPHQL_VALIDATION_FAILED"), "{body}");
    let (status, body) = graphql(&sim, SEARCH, json!({})).await;
    assert_eq!((status, error_code(&body)), (400, "GRAPHQL_VALIDATION_FAILED"), "{body}");
    let variables = json!({ "filter": { "pagination_eq": { "after": "abc", "first": 5 } } });
    let (status, body) = graphql(&sim, search_query(), variables).await;
    assert_eq!((status, error_code(&body)), (200, "BAD_USER_INPUT"), "{body}");
    assert_eq!(body["data"], Value::Null);
    let (status, body) =
        graphql(&sim, "query P($id: String!) { marketplaceJobPosting(id: $id) { id } }", json!({ "id": "1" })).await;
    assert_eq!((status, error_code(&body)), (200, "NOT_FOUND"), "{body}");
    assert_eq!(body["data"]["marketplaceJobPosting"], Value::Null);
    assert_eq!(body["errors"][0]["path"], json!(["marketplaceJobPosting"]));
}

#[tokio::test]
async fn postings_page_by_cursor_newest_first_and_a_new_posting_shifts_the_next_page() {
    let sim = start(30).await;
    let open = sim.open_posting_ids().len();
    let first = page(&sim, None, 5).await;
    assert_eq!(first["totalCount"], open);
    assert_eq!(first["pageInfo"], json!({ "endCursor": "5", "hasNextPage": true }));
    let edges = first["edges"].as_array().unwrap();
    assert_eq!(edges[4]["cursor"], "5");
    let times: Vec<&str> = edges.iter().map(|e| e["node"]["publishedDateTime"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first: {times:?}");
    assert!(edges[0]["node"]["amount"]["rawValue"].is_string(), "Money.rawValue is decimal text");

    // Cursors are positions: a posting published between two pages pushes
    // the last one seen onto the next page.
    let next_without_change = ids(&page(&sim, Some("5"), 5).await);
    let fresh = sim.post_posting(NewPosting::default());
    let first_ids = ids(&first);
    let next = ids(&page(&sim, Some("5"), 5).await);
    assert_eq!(next[0], first_ids[4], "repeated");
    assert_eq!(&next[1..], &next_without_change[..4]);
    assert_eq!(ids(&page(&sim, None, 1).await), std::slice::from_ref(&fresh.id));

    // Contents by ids: known ones only, with their publish time.
    let contents = "query C($ids: [String]!) { marketplaceJobPostingsContents(ids: $ids) { id publishedDateTime } }";
    let (status, body) = graphql(&sim, contents, json!({ "ids": [fresh.id, "nope"] })).await;
    assert_eq!(status, 200, "{body}");
    let listed = body["data"]["marketplaceJobPostingsContents"].as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], fresh.id);
    assert!(listed[0]["publishedDateTime"].as_str().is_some_and(|t| t.ends_with('Z')));

    // Closed and removed postings leave the search.
    sim.close_posting(&fresh.id);
    sim.remove_posting(&first_ids[0]);
    let top = ids(&page(&sim, None, 5).await);
    assert_eq!(top[0], first_ids[1]);
    let last = page(&sim, Some(&(open - 1).to_string()), 5).await;
    assert_eq!(last["pageInfo"]["hasNextPage"], false);
}

#[tokio::test]
async fn proposals_are_the_users_own_and_appear_when_placed_on_the_website() {
    let sim = start(30).await;
    let query = "query V($filter: VendorProposalFilter, $pagination: Pagination) {
  vendorProposals(filter: $filter, pagination: $pagination) { totalCount edges { cursor node { id } } pageInfo { endCursor hasNextPage } }
}";
    let (status, body) = graphql(&sim, query, json!({ "pagination": { "first": 100 } })).await;
    assert_eq!(status, 200, "{body}");
    let before = body["data"]["vendorProposals"]["totalCount"].as_u64().unwrap();
    assert_eq!(before as usize, sim.proposals().len());
    let posting = sim.open_posting_ids()[0].clone();
    let placed = sim.add_proposal(NewProposal {
        job_posting_id: posting.clone(),
        charge_rate: Some("75.00".to_owned()),
        upfront_payment_percent: None,
        cover_letter: "Hello".to_owned(),
    });
    let variables = json!({ "filter": { "jobPostingIds_any": [posting] }, "pagination": { "first": 10 } });
    let (_, body) = graphql(&sim, query, variables).await;
    assert_eq!(body["data"]["vendorProposals"]["edges"][0]["node"]["id"], placed.id);
    let one = "query P($id: String!) { vendorProposal(id: $id) { id status { status } terms { chargeRate { rawValue currency } } marketplaceJobPosting { id } } }";
    let (_, body) = graphql(&sim, one, json!({ "id": placed.id })).await;
    let node = &body["data"]["vendorProposal"];
    assert_eq!(node["status"]["status"], "PENDING");
    assert_eq!(node["terms"]["chargeRate"]["rawValue"], "75.00");
    assert_eq!(node["marketplaceJobPosting"]["id"], posting);
}

#[tokio::test]
async fn more_than_ten_requests_a_second_from_one_client_are_refused_and_faults_use_the_errors_array() {
    let sim = start(5).await;
    let mut tasks = Vec::new();
    for _ in 0..30 {
        let url = sim.graphql_url();
        tasks.push(tokio::spawn(async move {
            http()
                .post(url)
                .bearer_auth(TOKEN)
                .json(&json!({ "query": "query { vendorProposals { totalCount } }" }))
                .send()
                .await
                .unwrap()
        }));
    }
    let mut refused = 0;
    for task in tasks {
        let response = task.await.unwrap();
        if response.status() == 429 {
            refused += 1;
            assert_eq!(response.headers()["retry-after"], "1");
            let body: Value = response.json().await.unwrap();
            assert_eq!(error_code(&body), "TOO_MANY_REQUESTS");
        }
    }
    assert!(refused > 0, "a burst of 30 from one client meets the limit");
    assert_eq!(sim.rate_limited_answers(), refused);
    assert!(sim.peak_requests_per_second() > 10);
    assert_eq!(sim.graphql_requests(), 30);

    sim.reset_rate_counts();
    sim.fail_next(FaultKind::ServerError);
    let (status, body) = graphql(&sim, search_query(), json!({})).await;
    assert_eq!((status, error_code(&body)), (500, "INTERNAL_SERVER_ERROR"));
    assert_eq!(sim.fault_counts().server_error, 1);
}

#[tokio::test]
async fn the_binary_serves_the_upwork_kind() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_bidwell-market-sim"))
        .args(["serve", "--kind", "upwork", "--port", "0", "--token", "cli-token", "--jobs", "12"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first_line).expect("an address line");
    let base = first_line.trim().to_owned();
    let answered = http()
        .post(format!("{base}/graphql"))
        .bearer_auth("cli-token")
        .json(&json!({ "query": search_query(), "variables": { "filter": { "pagination_eq": { "first": 100 } } } }))
        .send()
        .await;
    child.kill().unwrap();
    child.wait().unwrap();
    let body: Value = answered.unwrap().json().await.unwrap();
    let total = body["data"]["marketplaceJobPostingsSearch"]["totalCount"].as_u64().unwrap();
    assert!((1..=12).contains(&total), "{body}");
}
