//! The Freelancer-style and Upwork-style servers keep their state in one
//! file, as the Bidwell kind does, so the demo can run as either: a restart
//! on the same file carries on, the file goes through the seal (the text of
//! a bid never appears in it), a file that does not open or parse is refused
//! by name and left alone, a failed save is answered 503, and a token given
//! in `oauth.personal_tokens` is the only personal token accepted.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bidwell_market_sim::freelancer::{FreelancerConfig, FreelancerSim, NewProject, ProjectStatus};
use bidwell_market_sim::oauth::OAuthConfig;
use bidwell_market_sim::upwork::{NewPosting, NewProposal, ProposalStatus, UpworkConfig, UpworkSim};
use bidwell_market_sim::StateSeal;
use serde_json::{json, Value};

const DEMO_TOKEN: &str = "demo-token-of-this-unlock";
const SECRET: &str = "Secret proposal text 7f3a: I will rebuild your checkout in Rust.";

/// A test seal: a marker, then the bytes XORed with a key. Another key
/// does not open it (the plain JSON must start with `{`). It can be told
/// to refuse to seal, to play a failing save.
#[derive(Debug)]
struct XorSeal {
    key: u8,
    refuse: AtomicBool,
}

const MARK: &[u8] = b"XOR-SEALED\n";

impl XorSeal {
    fn new(key: u8) -> Arc<XorSeal> {
        Arc::new(XorSeal { key, refuse: AtomicBool::new(false) })
    }
}

impl StateSeal for XorSeal {
    fn seal(&self, plain: &[u8]) -> std::io::Result<Vec<u8>> {
        if self.refuse.load(Ordering::SeqCst) {
            return Err(std::io::Error::other("the seal refuses"));
        }
        let mut out = MARK.to_vec();
        out.extend(plain.iter().map(|b| b ^ self.key));
        Ok(out)
    }

    fn open(&self, sealed: &[u8]) -> std::io::Result<Vec<u8>> {
        let body = sealed.strip_prefix(MARK).ok_or_else(|| std::io::Error::other("not sealed"))?;
        let plain: Vec<u8> = body.iter().map(|b| b ^ self.key).collect();
        if plain.first() != Some(&b'{') {
            return Err(std::io::Error::other("sealed with another key"));
        }
        Ok(plain)
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap()
}

fn demo_oauth() -> OAuthConfig {
    OAuthConfig { personal_tokens: vec![DEMO_TOKEN.to_owned()], ..OAuthConfig::default() }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn assert_names_file(error: &std::io::Error, file: &Path) {
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidData, "{error}");
    assert!(error.to_string().contains(&file.display().to_string()), "{error}");
}

// ----- Freelancer -----

fn fl_config(file: &Path, seal: Option<Arc<XorSeal>>) -> FreelancerConfig {
    FreelancerConfig {
        projects: 20,
        oauth: demo_oauth(),
        state_file: Some(file.to_owned()),
        state_seal: seal.map(|s| s as Arc<dyn StateSeal>),
        ..FreelancerConfig::default()
    }
}

async fn fl_request(
    sim: &FreelancerSim,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = http().request(method, format!("{}{path}", sim.base_url())).header("Freelancer-OAuth-V1", token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn fl_bid(sim: &FreelancerSim, project_id: u64, description: &str) -> (u16, Value) {
    let body = json!({
        "project_id": project_id, "bidder_id": sim.self_user().id, "amount": 420.0,
        "period": 5, "milestone_percentage": 50, "description": description,
    });
    fl_request(sim, reqwest::Method::POST, "/api/projects/0.1/bids/", DEMO_TOKEN, Some(body)).await
}

#[tokio::test]
async fn freelancer_restarts_from_its_sealed_state_file_with_bids_projects_and_milestones() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("freelancer-demo.state");
    let seal = XorSeal::new(0x5a);

    let sim = FreelancerSim::start(fl_config(&file, Some(seal.clone()))).await.unwrap();
    assert_eq!(sim.state_file(), Some(file.as_path()));
    assert!(file.exists(), "the seeded state is saved at once");

    // A project posted by the marketplace, a bid on it over HTTP, a second
    // bid retracted, the first awarded and accepted, and a milestone.
    let project = sim.post_project(NewProject { title: "Persisted project".to_owned(), ..NewProject::default() });
    let (status, placed) = fl_bid(&sim, project.id, SECRET).await;
    assert_eq!(status, 200, "{placed}");
    let bid_id = placed["result"]["id"].as_u64().unwrap();
    let other = sim.projects().into_iter().find(|p| p.status == ProjectStatus::Active && p.id != project.id).unwrap();
    let (status, retracted) = fl_bid(&sim, other.id, "Short-lived bid.").await;
    assert_eq!(status, 200, "{retracted}");
    let retracted_id = retracted["result"]["id"].as_u64().unwrap();
    let path = format!("/api/projects/0.1/bids/{retracted_id}/?action=retract");
    assert_eq!(fl_request(&sim, reqwest::Method::PUT, &path, DEMO_TOKEN, None).await.0, 200);
    sim.award_bid(bid_id).unwrap();
    let path = format!("/api/projects/0.1/bids/{bid_id}/?action=accept");
    assert_eq!(fl_request(&sim, reqwest::Method::PUT, &path, DEMO_TOKEN, None).await.0, 200);
    let milestone = sim.create_milestone(bid_id, 0.5, "First half").unwrap();
    sim.close_project(other.id).unwrap();

    let (projects, bids, milestones, me) = (sim.projects(), sim.bids(), sim.milestones(), sim.self_user());
    sim.stop();

    let bytes = std::fs::read(&file).unwrap();
    assert!(bytes.starts_with(MARK), "the file went through the seal");
    assert!(!contains(&bytes, SECRET), "a bid's text is not in the sealed file");
    assert!(!contains(&bytes, "Persisted project"));

    let again = FreelancerSim::start(fl_config(&file, Some(seal.clone()))).await.unwrap();
    assert_eq!(again.projects(), projects);
    assert_eq!(again.bids(), bids);
    assert_eq!(again.milestones(), milestones);
    assert_eq!(again.self_user(), me);
    let bid = again.bids().into_iter().find(|b| b.id == bid_id).unwrap();
    assert_eq!((bid.description.as_str(), bid.award_status.as_deref()), (SECRET, Some("awarded")));
    assert!(again.bids().iter().find(|b| b.id == retracted_id).unwrap().retracted);
    assert_eq!(again.project(other.id).unwrap().status, ProjectStatus::Closed);
    assert_eq!(again.milestones().iter().find(|m| m.id == milestone.id).unwrap().description, "First half");

    // Over HTTP on the new port with the demo's token, and new ids go on from the old ones.
    let path = format!("/api/projects/0.1/bids/?bids[]={bid_id}");
    let (status, listed) = fl_request(&again, reqwest::Method::GET, &path, DEMO_TOKEN, None).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["result"]["bids"][0]["description"], SECRET);
    let newer = again.post_project(NewProject::default());
    assert!(projects.iter().all(|p| p.id < newer.id), "project ids are not reused");
    let (status, placed) = fl_bid(&again, newer.id, "After the restart.").await;
    assert_eq!(status, 200, "{placed}");
    assert!(bids.iter().all(|b| b.id < placed["result"]["id"].as_u64().unwrap()), "bid ids are not reused");
}

#[tokio::test]
async fn freelancer_refuses_a_state_file_of_another_seal_or_damaged_by_name_and_leaves_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fl.state");
    let sim = FreelancerSim::start(fl_config(&file, Some(XorSeal::new(0x5a)))).await.unwrap();
    sim.post_project(NewProject::default());
    sim.stop();
    let before = std::fs::read(&file).unwrap();

    let Err(error) = FreelancerSim::start(fl_config(&file, Some(XorSeal::new(0x33)))).await else {
        panic!("another seal opened the file")
    };
    assert_names_file(&error, &file);
    let Err(error) = FreelancerSim::start(fl_config(&file, None)).await else { panic!("a sealed file read as plain") };
    assert_names_file(&error, &file);
    assert_eq!(std::fs::read(&file).unwrap(), before, "a refused file is left as it was");

    // Opens with the seal, but is not the state any more.
    let damaged = dir.path().join("damaged.state");
    let seal = XorSeal::new(0x5a);
    let mut plain = seal.open(&before).unwrap();
    plain.truncate(plain.len() / 2);
    std::fs::write(&damaged, seal.seal(&plain).unwrap()).unwrap();
    let Err(error) = FreelancerSim::start(fl_config(&damaged, Some(seal.clone()))).await else {
        panic!("a damaged file was read")
    };
    assert_names_file(&error, &damaged);
    // Another kind's file is not a Freelancer state.
    let upwork = dir.path().join("upwork.state");
    UpworkSim::start(up_config(&upwork, Some(seal.clone()))).await.unwrap().stop();
    let Err(error) = FreelancerSim::start(fl_config(&upwork, Some(seal))).await else {
        panic!("an Upwork state was read as a Freelancer one")
    };
    assert_names_file(&error, &upwork);
}

#[tokio::test]
async fn freelancer_a_bid_that_cannot_be_saved_is_answered_503_and_a_plain_file_restarts_too() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fl.state");
    let seal = XorSeal::new(0x11);
    let sim = FreelancerSim::start(fl_config(&file, Some(seal.clone()))).await.unwrap();
    let project = sim.post_project(NewProject::default());
    seal.refuse.store(true, Ordering::SeqCst);
    let (status, body) = fl_bid(&sim, project.id, "Not saved.").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "error", "{body}");
    seal.refuse.store(false, Ordering::SeqCst);
    sim.stop();

    // Without a seal the file is the plain JSON, and a restart reads it.
    let plain = dir.path().join("plain.state");
    let sim = FreelancerSim::start(fl_config(&plain, None)).await.unwrap();
    let project = sim.post_project(NewProject::default());
    // The last changes before each stop come over HTTP: the routes save, not only the control methods.
    let (status, placed) = fl_bid(&sim, project.id, SECRET).await;
    assert_eq!(status, 200, "{placed}");
    let bid_id = placed["result"]["id"].as_u64().unwrap();
    sim.stop();
    assert!(contains(&std::fs::read(&plain).unwrap(), SECRET));
    let again = FreelancerSim::start(fl_config(&plain, None)).await.unwrap();
    assert!(again.bids().iter().any(|b| b.id == bid_id && b.description == SECRET && !b.retracted));
    let path = format!("/api/projects/0.1/bids/{bid_id}/?action=retract");
    assert_eq!(fl_request(&again, reqwest::Method::PUT, &path, DEMO_TOKEN, None).await.0, 200);
    again.stop();
    let third = FreelancerSim::start(fl_config(&plain, None)).await.unwrap();
    assert!(third.bids().iter().any(|b| b.id == bid_id && b.retracted));
}

#[tokio::test]
async fn freelancer_accepts_only_the_personal_token_it_was_given() {
    let dir = tempfile::tempdir().unwrap();
    let sim = FreelancerSim::start(fl_config(&dir.path().join("fl.state"), None)).await.unwrap();
    let path = "/api/users/0.1/self/";
    assert_eq!(fl_request(&sim, reqwest::Method::GET, path, DEMO_TOKEN, None).await.0, 200);
    for other in ["fl-personal-token", "up-personal-token", "sim-token", ""] {
        assert_eq!(fl_request(&sim, reqwest::Method::GET, path, other, None).await.0, 401, "{other:?}");
    }
    // The OAuth server approves without asking: a demo that wants its token to
    // be the only way in also registers no client, and authorize then refuses.
    let locked = FreelancerSim::start(FreelancerConfig {
        oauth: OAuthConfig { clients: Vec::new(), ..demo_oauth() },
        ..fl_config(&dir.path().join("locked.state"), None)
    })
    .await
    .unwrap();
    let authorize = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/oauth/authorize", locked.base_url()))
        .query(&[
            ("response_type", "code"),
            ("client_id", "bidwell-desktop"),
            ("redirect_uri", "http://127.0.0.1:9/cb"),
            ("code_challenge", &bidwell_market_sim::oauth::s256_challenge(&"v".repeat(43))),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(authorize.status(), 400);
    assert_eq!(fl_request(&locked, reqwest::Method::GET, path, DEMO_TOKEN, None).await.0, 200);
}

// ----- Upwork -----

fn up_config(file: &Path, seal: Option<Arc<XorSeal>>) -> UpworkConfig {
    UpworkConfig {
        postings: 20,
        oauth: demo_oauth(),
        state_file: Some(file.to_owned()),
        state_seal: seal.map(|s| s as Arc<dyn StateSeal>),
        ..UpworkConfig::default()
    }
}

async fn up_graphql(sim: &UpworkSim, token: &str, query: &str, variables: Value) -> (u16, Value) {
    let response = http()
        .post(sim.graphql_url())
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

const POSTING: &str = "query P($id: ID!) { marketplaceJobPosting(id: $id) { id content { title } } }";

#[tokio::test]
async fn upwork_restarts_from_its_sealed_state_file_with_postings_and_proposals() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("upwork-demo.state");
    let seal = XorSeal::new(0x6b);

    let sim = UpworkSim::start(up_config(&file, Some(seal.clone()))).await.unwrap();
    assert_eq!(sim.state_file(), Some(file.as_path()));
    assert!(file.exists(), "the seeded state is saved at once");

    let posting = sim.post_posting(NewPosting { title: "Persisted posting".to_owned(), ..NewPosting::default() });
    let proposal = sim.add_proposal(NewProposal {
        job_posting_id: posting.id.clone(),
        charge_rate: Some("480.00".to_owned()),
        upfront_payment_percent: Some(20),
        cover_letter: SECRET.to_owned(),
    });
    sim.set_proposal_status(&proposal.id, ProposalStatus::Activated).unwrap();
    let open = sim.open_posting_ids();
    sim.close_posting(&open[1]).unwrap();
    sim.remove_posting(&open[2]).unwrap();

    let (postings, proposals) = (sim.postings(), sim.proposals());
    sim.stop();

    let bytes = std::fs::read(&file).unwrap();
    assert!(bytes.starts_with(MARK), "the file went through the seal");
    assert!(!contains(&bytes, SECRET), "a proposal's text is not in the sealed file");
    assert!(!contains(&bytes, "Persisted posting"));

    let again = UpworkSim::start(up_config(&file, Some(seal.clone()))).await.unwrap();
    assert_eq!(again.postings(), postings);
    assert_eq!(again.proposals(), proposals);
    let kept = again.proposals().into_iter().find(|p| p.id == proposal.id).unwrap();
    assert_eq!((kept.cover_letter.as_str(), kept.status), (SECRET, ProposalStatus::Activated));
    assert!(!again.posting(&open[1]).unwrap().open);
    assert!(again.posting(&open[2]).is_none());

    let (status, body) = up_graphql(&again, DEMO_TOKEN, POSTING, json!({ "id": posting.id })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["marketplaceJobPosting"]["id"], posting.id.as_str(), "{body}");
    let newer = again.post_posting(NewPosting::default());
    assert!(postings.iter().all(|p| p.id < newer.id), "posting ids are not reused");
    let newer_proposal = again.add_proposal(NewProposal {
        job_posting_id: newer.id,
        charge_rate: None,
        upfront_payment_percent: None,
        cover_letter: "After the restart.".to_owned(),
    });
    assert!(proposals.iter().all(|p| p.id < newer_proposal.id), "proposal ids are not reused");
}

#[tokio::test]
async fn upwork_refuses_a_state_file_of_another_seal_or_damaged_by_name_and_leaves_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("up.state");
    let sim = UpworkSim::start(up_config(&file, Some(XorSeal::new(0x6b)))).await.unwrap();
    sim.post_posting(NewPosting::default());
    sim.stop();
    let before = std::fs::read(&file).unwrap();

    let Err(error) = UpworkSim::start(up_config(&file, Some(XorSeal::new(0x22)))).await else {
        panic!("another seal opened the file")
    };
    assert_names_file(&error, &file);
    let Err(error) = UpworkSim::start(up_config(&file, None)).await else { panic!("a sealed file read as plain") };
    assert_names_file(&error, &file);
    assert_eq!(std::fs::read(&file).unwrap(), before, "a refused file is left as it was");

    let damaged = dir.path().join("damaged.state");
    std::fs::write(&damaged, b"{\"format\":\"bidwell-market-sim-upwork-state\",\"version\":1,\"postings\":7}").unwrap();
    let Err(error) = UpworkSim::start(up_config(&damaged, None)).await else { panic!("a damaged file was read") };
    assert_names_file(&error, &damaged);

    // Another user's file is not this server's.
    let Err(error) =
        UpworkSim::start(UpworkConfig { self_user_id: 7, ..up_config(&file, Some(XorSeal::new(0x6b))) }).await
    else {
        panic!("another user's state was read")
    };
    assert_names_file(&error, &file);
}

#[tokio::test]
async fn upwork_accepts_only_the_personal_token_it_was_given() {
    let dir = tempfile::tempdir().unwrap();
    let sim = UpworkSim::start(up_config(&dir.path().join("up.state"), None)).await.unwrap();
    let id = sim.open_posting_ids().remove(0);
    assert_eq!(up_graphql(&sim, DEMO_TOKEN, POSTING, json!({ "id": id })).await.0, 200);
    for other in ["up-personal-token", "fl-personal-token", "sim-token"] {
        assert_eq!(up_graphql(&sim, other, POSTING, json!({ "id": id })).await.0, 401, "{other:?}");
    }
}

#[tokio::test]
async fn the_binary_keeps_the_state_file_of_the_freelancer_and_upwork_kinds() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    for (kind, format) in
        [("freelancer", "bidwell-market-sim-freelancer-state"), ("upwork", "bidwell-market-sim-upwork-state")]
    {
        let file = dir.path().join(format!("{kind}.state"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_bidwell-market-sim"))
            .args(["serve", "--kind", kind, "--port", "0", "--token", "cli-token", "--jobs", "6", "--state-file"])
            .arg(&file)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary starts");
        let mut first_line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first_line).expect("an address line");
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(first_line.starts_with("http://127.0.0.1:"), "{kind}: {first_line:?}");
        let saved: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        assert_eq!(saved["format"], format, "{kind}");
    }
    // The library reads what the binary wrote.
    let sim = UpworkSim::start(up_config(&dir.path().join("upwork.state"), None)).await.unwrap();
    assert_eq!(sim.postings().len(), 6);
    let sim = FreelancerSim::start(fl_config(&dir.path().join("freelancer.state"), None)).await.unwrap();
    assert_eq!(sim.projects().len(), 6);
}
