//! The demo marketplace of "Try with sample data": connected with its own
//! token and search, its server started again (new port, same state) on
//! every unlock, stopped on lock, and its state file removed by a wipe.

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bidwell_core::sync::{DemoMarketHost, DemoMarketSpec, DemoStateCipher, MarketKind, DEMO_MARKET_NAME};
use bidwell_core::vault::{Protection, Unlock};
use bidwell_core::{BidStatus, Session};
use bidwell_market_sim::{SimConfig, SimServer, StateSeal};
use bidwell_marketplace::wire;

use crate::support;
use crate::sync::{all_bids, all_jobs, draft, engine, sync};

/// The core's cipher as the server's seal, as the desktop shell has it.
#[derive(Debug)]
struct Sealed(DemoStateCipher);

impl StateSeal for Sealed {
    fn seal(&self, plain: &[u8]) -> std::io::Result<Vec<u8>> {
        self.0.seal(plain)
    }
    fn open(&self, sealed: &[u8]) -> std::io::Result<Vec<u8>> {
        self.0.open(sealed)
    }
}

/// What the desktop shell does with `bidwell-market-sim`, for the tests; it
/// remembers each URL it handed out.
#[derive(Default)]
struct SimHost {
    running: Mutex<Option<SimServer>>,
    started: Mutex<Vec<String>>,
}

impl SimHost {
    fn with<T>(&self, f: impl FnOnce(&SimServer) -> T) -> T {
        f(self.running.lock().unwrap().as_ref().expect("the demo server is running"))
    }

    fn is_running(&self) -> bool {
        self.running.lock().unwrap().is_some()
    }

    fn starts(&self) -> Vec<String> {
        self.started.lock().unwrap().clone()
    }
}

#[async_trait]
impl DemoMarketHost for SimHost {
    async fn start(&self, spec: DemoMarketSpec) -> std::io::Result<String> {
        self.stop();
        let server = SimServer::start(SimConfig {
            token: spec.token.expose_secret().to_owned(),
            seed: spec.seed,
            jobs: spec.jobs,
            state_file: Some(spec.state_file),
            state_seal: Some(Arc::new(Sealed(spec.state_cipher))),
            shortlist_after: Some(spec.shortlist_after),
            ..SimConfig::default()
        })
        .await?;
        let url = server.base_url();
        self.started.lock().unwrap().push(url.clone());
        *self.running.lock().unwrap() = Some(server);
        Ok(url)
    }

    fn stop(&self) {
        self.running.lock().unwrap().take();
    }
}

fn state_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("bidwell.demo-market"))
        .collect();
    names.sort();
    names
}

/// Distinctive, so that finding it in a file's bytes means it leaked there.
const PROPOSAL: &str = "Zanzibar-quokka proposal 7741: my own words";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_restarts_on_a_new_server_with_its_bids_and_a_sync_adds_no_duplicate() {
    let (dir, ws) = support::new_workspace().await;
    let host = SimHost::default();
    let account = ws.connect_demo_market(&host, MarketKind::Bidwell).await.unwrap();
    assert_eq!(account.name, DEMO_MARKET_NAME);
    assert_eq!(account.base_url, host.starts()[0]);
    assert_eq!(ws.demo_market_account().await.unwrap(), Some(account.id));
    assert_eq!(state_files(dir.path()), ["bidwell.demo-market.json"], "the state is kept beside the database");
    let again = ws.connect_demo_market(&host, MarketKind::Bidwell).await.unwrap();
    assert_eq!(again.id, account.id, "connecting twice keeps one demo account");
    assert_eq!(ws.market_accounts().await.unwrap().len(), 1);

    // The first sync fills the jobs feed with the demo's jobs.
    let engine = engine(1);
    let report = sync(&engine, &ws).await;
    assert!(!report.interrupted && !report.sharing_off, "{report:?}");
    let demo_jobs: Vec<_> = all_jobs(&ws)
        .await
        .into_iter()
        .filter(|j| j.origin.source.as_deref() == Some(account.id.to_string().as_str()))
        .collect();
    assert_eq!(demo_jobs.len(), host.with(|s| s.jobs().len()), "every demo job arrived");

    // A bid submitted on the demo reaches it.
    let open: Vec<String> =
        host.with(|s| s.jobs().into_iter().filter(|j| j.status == wire::JobStatus::Open).map(|j| j.id).collect());
    let job = demo_jobs.iter().find(|j| j.origin.external_id.as_ref().is_some_and(|e| open.contains(e))).unwrap();
    let bid = draft(&ws, job, PROPOSAL).await;
    ws.submit_bid(bid.meta.id).await.unwrap();
    sync(&engine, &ws).await;
    let submitted = ws.bid(bid.meta.id).await.unwrap();
    assert_eq!(submitted.status, BidStatus::Submitted);
    let external = submitted.origin.external_id.clone().expect("the marketplace's id");
    assert_eq!(host.with(|s| s.bid(&external).map(|b| b.proposal)), Some(PROPOSAL.to_owned()));
    // The user's text is not on disk in the clear, nor anything else of the state.
    let state_file = std::fs::read(dir.path().join("bidwell.demo-market.json")).unwrap();
    assert!(!support::contains(&state_file, PROPOSAL.as_bytes()), "the proposal is in the state file");
    assert!(!support::contains(&state_file, external.as_bytes()), "the state file is not plain JSON");

    // Quit and relaunch: a new server, started from the state file.
    let ws = support::reopen(dir.path(), ws).await;
    host.stop();
    let resumed = ws.resume_demo_market(&host).await.unwrap().expect("the demo is still connected");
    assert_eq!(host.starts().len(), 3, "one start per connect or unlock");
    assert_eq!(resumed.base_url, host.starts()[2], "the account points at the server now running");
    assert_eq!(host.with(|s| s.bids().len()), 1, "the marketplace still knows the bid");
    assert_eq!(host.with(|s| s.bid(&external).map(|b| b.status)), Some(wire::BidStatus::Submitted));
    assert_eq!(host.with(|s| s.bid(&external).map(|b| b.proposal)), Some(PROPOSAL.to_owned()), "its text too");

    let report = sync(&engine, &ws).await;
    assert_eq!(report.pushed, 0, "nothing is sent again: {report:?}");
    assert!(!report.interrupted, "{report:?}");
    assert_eq!(host.with(|s| s.bids().len()), 1, "no duplicate on the marketplace");
    let bids: Vec<_> = all_bids(&ws).await.into_iter().filter(|b| b.job_id == job.meta.id).collect();
    assert_eq!(bids.len(), 1, "no duplicate here either");
    assert_eq!(bids[0].status, BidStatus::Submitted);

    // A later change on the marketplace comes back.
    host.with(|s| s.set_bid_status(&external, wire::BidStatus::Shortlisted)).unwrap();
    sync(&engine, &ws).await;
    assert_eq!(ws.bid(bid.meta.id).await.unwrap().status, BidStatus::Shortlisted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_runs_the_demo_while_unlocked_and_a_wipe_removes_its_state() {
    let dir = tempfile::tempdir().unwrap();
    let host = Arc::new(SimHost::default());
    let session = Session::new(dir.path().to_owned(), support::env()).with_demo_market(host.clone());
    session.create("Demo", Protection::Passphrase(support::passphrase())).await.unwrap();

    session.unlock(Unlock::Passphrase(support::passphrase())).await.unwrap();
    assert!(!host.is_running(), "a workspace without the demo starts no server");
    let account = session.connect_demo_market(MarketKind::Bidwell).await.unwrap();
    assert!(host.is_running());

    session.lock().await;
    assert!(!host.is_running(), "locking stops the demo");
    session.unlock(Unlock::Passphrase(support::passphrase())).await.unwrap();
    assert!(host.is_running(), "unlocking starts it again");
    let now = session.workspace().await.unwrap().market_account(account.id).await.unwrap();
    assert_eq!(now.base_url, *host.starts().last().unwrap());
    assert_eq!(state_files(dir.path()), ["bidwell.demo-market.json"]);

    let report = session.wipe("Demo").await.unwrap();
    assert!(!host.is_running(), "wiping stops the demo first");
    assert!(report.removed_files.iter().any(|f| f.ends_with("bidwell.demo-market.json")), "{report:?}");
    assert_eq!(state_files(dir.path()), Vec::<String>::new(), "the demo's state went with the workspace");
}

/// A demo connected by an older Bidwell left its state file in plain JSON:
/// the next unlock seals it in place, and the demo carries on from it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_state_file_left_by_an_older_bidwell_is_sealed_and_the_demo_carries_on() {
    let (dir, ws) = support::new_workspace().await;
    let host = SimHost::default();
    let account = ws.connect_demo_market(&host, MarketKind::Bidwell).await.unwrap();
    host.stop();
    // What an older Bidwell's demo wrote: the server's state, unsealed.
    let file = dir.path().join("bidwell.demo-market.json");
    std::fs::remove_file(&file).unwrap();
    let old =
        SimServer::start(SimConfig { state_file: Some(file.clone()), jobs: 7, ..SimConfig::default() }).await.unwrap();
    let job_titles: Vec<String> = old.jobs().into_iter().map(|j| j.title).collect();
    drop(old);
    let plain = std::fs::read(&file).unwrap();
    assert!(support::contains(&plain, job_titles[0].as_bytes()), "the old file is plain");

    let ws = support::reopen(dir.path(), ws).await;
    let resumed = ws.resume_demo_market(&host).await.unwrap().expect("the demo is still connected");
    assert_eq!(resumed.id, account.id);
    assert_eq!(host.with(|s| s.jobs().into_iter().map(|j| j.title).collect::<Vec<_>>()), job_titles, "same state");
    let sealed = std::fs::read(&file).unwrap();
    assert!(!support::contains(&sealed, job_titles[0].as_bytes()), "sealed now");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wiping_after_asking_the_marketplaces_stops_the_demo_first() {
    let dir = tempfile::tempdir().unwrap();
    let host = Arc::new(SimHost::default());
    let session = Session::new(dir.path().to_owned(), support::env()).with_demo_market(host.clone());
    session.create("Demo", Protection::Passphrase(support::passphrase())).await.unwrap();
    session.connect_demo_market(MarketKind::Bidwell).await.unwrap();
    assert!(host.is_running());
    session.wipe_asking_marketplaces("Demo", &engine(7)).await.unwrap();
    assert!(!host.is_running(), "the demo stopped before the files went");
    assert_eq!(state_files(dir.path()), Vec::<String>::new());
    assert!(support::files_under(dir.path()).is_empty(), "{:?}", support::files_under(dir.path()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnecting_the_demo_stops_its_server_forgets_its_state_and_it_stays_gone() {
    let dir = tempfile::tempdir().unwrap();
    let host = Arc::new(SimHost::default());
    let session = Session::new(dir.path().to_owned(), support::env()).with_demo_market(host.clone());
    session.create("Demo", Protection::Passphrase(support::passphrase())).await.unwrap();
    session.unlock(Unlock::Passphrase(support::passphrase())).await.unwrap();
    let account = session.connect_demo_market(MarketKind::Bidwell).await.unwrap();
    assert_eq!(state_files(dir.path()), ["bidwell.demo-market.json"]);

    session.remove_market_account(account.id).await.unwrap();
    assert!(!host.is_running(), "the demo server stops with its account");
    assert_eq!(state_files(dir.path()), Vec::<String>::new(), "its state file goes too");
    assert_eq!(session.workspace().await.unwrap().demo_market_account().await.unwrap(), None);

    session.lock().await;
    session.unlock(Unlock::Passphrase(support::passphrase())).await.unwrap();
    assert!(!host.is_running(), "a disconnected demo does not come back on unlock");
    assert_eq!(host.starts().len(), 1, "started once, when connected");
}

#[tokio::test]
async fn a_demo_that_cannot_start_leaves_the_unlock_alone_and_says_why_on_the_account() {
    /// A host whose server never starts (say, a damaged state file).
    struct Broken;
    #[async_trait]
    impl DemoMarketHost for Broken {
        async fn start(&self, _: DemoMarketSpec) -> std::io::Result<String> {
            Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "not a market state"))
        }
        fn stop(&self) {}
    }
    let (dir, ws) = support::new_workspace().await;
    let host = SimHost::default();
    let account = ws.connect_demo_market(&host, MarketKind::Bidwell).await.unwrap();
    host.stop();
    ws.lock().await;

    let session = Session::new(dir.path().to_owned(), support::env()).with_demo_market(Arc::new(Broken));
    session.unlock(Unlock::Passphrase(support::passphrase())).await.expect("the workspace opens anyway");
    let shown = session.workspace().await.unwrap().market_account(account.id).await.unwrap();
    let problem = shown.last_error.expect("the account says what went wrong");
    assert!(problem.contains("the demo marketplace could not start"), "{problem}");
    assert!(problem.contains("bidwell.demo-market.json"), "the file is named: {problem}");
}

/// What the desktop shell does for a demo of another kind: a Freelancer-
/// or Upwork-style reference server with the demo's token only, its state
/// in the sealed file.
#[derive(Default)]
struct KindHost {
    freelancer: Mutex<Option<bidwell_market_sim::freelancer::FreelancerSim>>,
    upwork: Mutex<Option<bidwell_market_sim::upwork::UpworkSim>>,
    started: Mutex<Vec<String>>,
}

#[async_trait]
impl DemoMarketHost for KindHost {
    async fn start(&self, spec: DemoMarketSpec) -> std::io::Result<String> {
        use bidwell_market_sim::freelancer::{FreelancerConfig, FreelancerSim};
        use bidwell_market_sim::oauth::OAuthConfig;
        use bidwell_market_sim::upwork::{UpworkConfig, UpworkSim};
        self.stop();
        let oauth = OAuthConfig {
            personal_tokens: vec![spec.token.expose_secret().to_owned()],
            clients: Vec::new(),
            ..OAuthConfig::default()
        };
        let seal: Arc<dyn StateSeal> = Arc::new(Sealed(spec.state_cipher));
        let url = match spec.kind {
            MarketKind::Freelancer => {
                let server = FreelancerSim::start(FreelancerConfig {
                    seed: spec.seed,
                    projects: spec.jobs,
                    oauth,
                    state_file: Some(spec.state_file),
                    state_seal: Some(seal),
                    ..FreelancerConfig::default()
                })
                .await?;
                let url = format!("{}/api/", server.base_url());
                *self.freelancer.lock().unwrap() = Some(server);
                url
            }
            MarketKind::Upwork => {
                let server = UpworkSim::start(UpworkConfig {
                    seed: spec.seed,
                    postings: spec.jobs,
                    oauth,
                    state_file: Some(spec.state_file),
                    state_seal: Some(seal),
                    ..UpworkConfig::default()
                })
                .await?;
                let url = format!("{}/", server.base_url());
                *self.upwork.lock().unwrap() = Some(server);
                url
            }
            MarketKind::Bidwell => unreachable!("SimHost covers Bidwell's own"),
        };
        self.started.lock().unwrap().push(url.clone());
        Ok(url)
    }

    fn stop(&self) {
        self.freelancer.lock().unwrap().take();
        self.upwork.lock().unwrap().take();
    }
}

/// "Try with sample data" as a Freelancer-style marketplace: jobs arrive, a
/// bid is placed once, and after a relaunch (a new server on the sealed
/// state) nothing is sent again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_freelancer_style_and_resumes_from_its_sealed_state() {
    use bidwell_market_sim::freelancer::ProjectStatus;
    let (dir, ws) = support::new_workspace().await;
    let host = KindHost::default();
    let account = ws.connect_demo_market(&host, MarketKind::Freelancer).await.unwrap();
    assert_eq!(account.kind, MarketKind::Freelancer);
    let engine = engine(2);
    let report = sync(&engine, &ws).await;
    assert!(!report.interrupted, "{report:?}");
    let (me, open): (u64, Vec<String>) = {
        let sim = host.freelancer.lock().unwrap();
        let sim = sim.as_ref().unwrap();
        let me = sim.self_user().id;
        let bid_on: Vec<u64> = sim.bids().iter().filter(|b| b.bidder_id == me).map(|b| b.project_id).collect();
        let open = sim
            .projects()
            .iter()
            .filter(|p| p.status == ProjectStatus::Active && !bid_on.contains(&p.id))
            .map(|p| p.id.to_string())
            .collect();
        (me, open)
    };
    let jobs = all_jobs(&ws).await;
    assert!(open.iter().all(|id| jobs.iter().any(|j| j.origin.external_id.as_ref() == Some(id))), "jobs arrived");
    let job = jobs.iter().find(|j| j.origin.external_id.as_ref().is_some_and(|e| open.contains(e))).unwrap();
    let bid = draft(&ws, job, PROPOSAL).await;
    ws.submit_bid(bid.meta.id).await.unwrap();
    sync(&engine, &ws).await;
    assert_eq!(ws.bid(bid.meta.id).await.unwrap().status, BidStatus::Submitted);
    let mine = |host: &KindHost| {
        let sim = host.freelancer.lock().unwrap();
        sim.as_ref().unwrap().bids().into_iter().filter(|b| b.bidder_id == me && b.description == PROPOSAL).count()
    };
    assert_eq!(mine(&host), 1);
    let state_file = std::fs::read(dir.path().join("bidwell.demo-market.json")).unwrap();
    assert!(!support::contains(&state_file, PROPOSAL.as_bytes()), "the state file is sealed");

    let ws = support::reopen(dir.path(), ws).await;
    host.stop();
    let resumed = ws.resume_demo_market(&host).await.unwrap().expect("still connected");
    assert_eq!(resumed.base_url, *host.started.lock().unwrap().last().unwrap());
    assert_eq!(mine(&host), 1, "the new server knows the bid");
    let report = sync(&engine, &ws).await;
    assert_eq!(report.pushed, 0, "{report:?}");
    assert_eq!(mine(&host), 1, "nothing placed twice");
}

/// As an Upwork-style marketplace: postings arrive, a bid is recorded as
/// placed and linked once the demo shows its proposal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_upwork_style_and_links_a_recorded_bid() {
    use bidwell_market_sim::upwork::NewProposal;
    let (_dir, ws) = support::new_workspace().await;
    let host = KindHost::default();
    let account = ws.connect_demo_market(&host, MarketKind::Upwork).await.unwrap();
    assert!(account.capabilities.bids_recorded_only);
    let engine = engine(3);
    let report = sync(&engine, &ws).await;
    assert!(!report.interrupted, "{report:?}");
    let proposed: Vec<String> =
        host.upwork.lock().unwrap().as_ref().unwrap().proposals().into_iter().map(|p| p.job_posting_id).collect();
    let jobs = all_jobs(&ws).await;
    let job = jobs.iter().find(|j| j.origin.external_id.as_ref().is_some_and(|e| !proposed.contains(e))).unwrap();
    let bid = draft(&ws, job, PROPOSAL).await;
    ws.mark_bid_placed(bid.meta.id).await.unwrap();
    let proposal = host.upwork.lock().unwrap().as_ref().unwrap().add_proposal(NewProposal {
        job_posting_id: job.origin.external_id.clone().unwrap(),
        charge_rate: None,
        upfront_payment_percent: None,
        cover_letter: PROPOSAL.to_owned(),
    });
    sync(&engine, &ws).await;
    let linked = ws.bid(bid.meta.id).await.unwrap();
    assert_eq!(linked.origin.external_id.as_deref(), Some(proposal.id.as_str()));
    assert_eq!(linked.amount_minor, bid.amount_minor, "no rate on Upwork's side: our amount stays");
}
