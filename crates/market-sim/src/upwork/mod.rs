//! A reference server for Upwork's GraphQL API, for the Upwork adapter's
//! tests and for trying it by hand. One `POST /graphql` answers the three
//! root fields the adapter asks for: `marketplaceJobPostingsSearch`
//! (cursor paged), `marketplaceJobPosting(id)` and `vendorProposals` (the
//! signed-in freelancer's proposals, cursor paged). There is no mutation
//! to submit a proposal, as on Upwork: tests play the user bidding on
//! upwork.com with [`UpworkSim::add_proposal`].
//!
//! Tokens come as `Authorization: Bearer`: the configured personal tokens,
//! or access tokens of the loopback OAuth server ([`crate::oauth`]) served
//! on the same port. Requests to `/graphql` are counted per client address
//! and second; beyond the limit (10 by default, as Upwork documents) the
//! answer is 429. The crate's fault injection applies to every route; the
//! hostile faults are served as usual. Postings can be posted, closed and
//! removed between two pages ([`UpworkSim::post_posting`],
//! [`UpworkSim::close_posting`], [`UpworkSim::remove_posting`]): the cursors
//! are positions, as Upwork's documentation of `Pagination.after` suggests,
//! so a list that moves under a client shifts its next page. Shapes and
//! their sources: docs/reference-marketplaces.md.

mod routes;
pub mod state;
mod website;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::oauth::{OAuthAuthority, OAuthConfig};
use crate::{lock, FaultCounts, FaultKind, FaultSchedule, ReceivedRequest, StateSeal};

pub use state::{NewPosting, NewProposal, Posting, Proposal, ProposalStatus};

/// How to start an Upwork-style server.
#[derive(Debug, Clone)]
pub struct UpworkConfig {
    /// Seeds the sample data and the fault schedule.
    pub seed: u64,
    /// Sample postings to start with.
    pub postings: usize,
    /// The freelancer every token acts for.
    pub self_user_id: u64,
    /// Clients, token lifetimes and personal tokens.
    pub oauth: OAuthConfig,
    /// `/graphql` requests one client address may make in one second; more are answered 429.
    pub requests_per_second: u32,
    /// Fraction of requests, 0.0 to 1.0, that fail on purpose.
    pub fault_rate: f64,
    /// Which faults to choose from (all five transient ones when empty).
    pub fault_kinds: Vec<FaultKind>,
    /// How long a hanging request waits before it is served anyway.
    pub hang: Duration,
    /// Keep every request for [`UpworkSim::received`].
    pub record_requests: bool,
    /// 0 for any free port.
    pub port: u16,
    /// Where the marketplace keeps its postings and proposals between runs
    /// (not the OAuth server's tokens). When the file exists the server
    /// starts from it (`seed` and `postings` then only matter for the first
    /// run); after every change it is rewritten. `None`: memory only.
    pub state_file: Option<PathBuf>,
    /// Seals the state file (see [`StateSeal`]); `None`: plain JSON.
    pub state_seal: Option<Arc<dyn StateSeal>>,
}

impl Default for UpworkConfig {
    fn default() -> UpworkConfig {
        UpworkConfig {
            seed: 1,
            postings: 120,
            self_user_id: 42_000_001,
            oauth: OAuthConfig { personal_tokens: vec!["up-personal-token".to_owned()], ..OAuthConfig::default() },
            requests_per_second: 10,
            fault_rate: 0.0,
            fault_kinds: Vec::new(),
            hang: Duration::from_secs(2),
            record_requests: true,
            port: 0,
            state_file: None,
            state_seal: None,
        }
    }
}

/// Requests per client address in the current one-second window, and what
/// the limit did so far.
#[derive(Default)]
struct RateCounter {
    windows: HashMap<IpAddr, (u64, u32)>,
    peak: u32,
    refused: u64,
    requests: u64,
}

/// What the routes share.
pub(crate) struct UpShared {
    state: Mutex<state::UpState>,
    pub(crate) faults: Mutex<FaultSchedule>,
    received: Mutex<Vec<ReceivedRequest>>,
    record: AtomicBool,
    rate: Mutex<RateCounter>,
    started: Instant,
    pub(crate) requests_per_second: u32,
    pub(crate) oauth: Arc<OAuthAuthority>,
    pub(crate) hang: Duration,
    state_file: Option<PathBuf>,
    state_seal: Option<Arc<dyn StateSeal>>,
    /// Taken for a whole save, so saves land in the order of their snapshots.
    saving: Mutex<()>,
}

impl UpShared {
    pub(crate) fn state(&self) -> MutexGuard<'_, state::UpState> {
        lock(&self.state)
    }

    fn record(&self, request: ReceivedRequest) {
        if self.record.load(Ordering::Relaxed) {
            lock(&self.received).push(request);
        }
    }

    /// Writes the state file, if there is one (blocking, as the Bidwell kind
    /// does). Call it with the state unlocked.
    pub(crate) fn save(&self) -> std::io::Result<()> {
        let Some(path) = &self.state_file else { return Ok(()) };
        let _turn = lock(&self.saving);
        let bytes = self.state().to_saved();
        crate::write_state_file(path, self.state_seal.as_deref(), &bytes)
    }

    /// Counts a `/graphql` request from `client` in its one-second window;
    /// false when it goes over the limit (it is then answered 429).
    pub(crate) fn admit(&self, client: IpAddr) -> bool {
        let window = self.started.elapsed().as_secs();
        let mut rate = lock(&self.rate);
        rate.requests += 1;
        let entry = rate.windows.entry(client).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        entry.1 += 1;
        let count = entry.1;
        rate.peak = rate.peak.max(count);
        if count > self.requests_per_second {
            rate.refused += 1;
            return false;
        }
        true
    }
}

/// The state the state file holds, or a freshly seeded one when there is
/// none (or no file is configured).
fn load_state(config: &UpworkConfig) -> std::io::Result<state::UpState> {
    let fresh = || state::UpState::new(config.seed, config.postings, config.self_user_id);
    let Some(path) = &config.state_file else { return Ok(fresh()) };
    let Some(state) = crate::read_state_file(path, config.state_seal.as_deref(), state::UpState::from_saved)? else {
        return Ok(fresh());
    };
    if state.self_user_id != config.self_user_id {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{}: kept for user {}, not {}", path.display(), state.self_user_id, config.self_user_id),
        ));
    }
    Ok(state)
}

/// A running Upwork-style server with its OAuth server. Stops when dropped.
pub struct UpworkSim {
    addr: SocketAddr,
    shared: Arc<UpShared>,
    task: JoinHandle<()>,
}

impl UpworkSim {
    /// Binds 127.0.0.1 (port from the config, 0 for any) and serves on the
    /// current tokio runtime. With a state file, starts from it (or writes it
    /// first); a file that does not open or parse is an `InvalidData` error
    /// naming it, and is left as it is.
    pub async fn start(config: UpworkConfig) -> std::io::Result<UpworkSim> {
        let state = load_state(&config)?;
        let oauth = OAuthAuthority::new(OAuthConfig { user_id: config.self_user_id, ..config.oauth });
        let listener = TcpListener::bind(("127.0.0.1", config.port)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(UpShared {
            state: Mutex::new(state),
            faults: FaultSchedule::new(config.seed, config.fault_rate, config.fault_kinds),
            received: Mutex::new(Vec::new()),
            record: AtomicBool::new(config.record_requests),
            rate: Mutex::new(RateCounter::default()),
            started: Instant::now(),
            requests_per_second: config.requests_per_second,
            oauth,
            hang: config.hang,
            state_file: config.state_file,
            state_seal: config.state_seal,
            saving: Mutex::new(()),
        });
        shared.save()?;
        let task = tokio::spawn(crate::routes::serve(listener, routes::router(shared.clone())));
        Ok(UpworkSim { addr, shared, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`; GraphQL at `/graphql`, OAuth under `/oauth/`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:<port>/graphql`.
    pub fn graphql_url(&self) -> String {
        format!("http://{}/graphql", self.addr)
    }

    /// Stops serving and drops every open connection.
    pub fn stop(self) {}

    /// The state file this server keeps, if any.
    pub fn state_file(&self) -> Option<&Path> {
        self.shared.state_file.as_deref()
    }

    /// After a marketplace-side action (with the state unlocked again): the
    /// state file follows. A failed save panics, as this API is for tests.
    fn saved<T>(&self, value: T) -> T {
        self.shared.save().unwrap_or_else(|e| panic!("the Upwork state could not be saved: {e}"));
        value
    }

    /// The authorization server: token lifetimes, clock, who a token is.
    pub fn oauth(&self) -> &Arc<OAuthAuthority> {
        &self.shared.oauth
    }

    /// Every access token issued so far expires now (refresh tokens still work).
    pub fn expire_access_tokens(&self) {
        self.shared.oauth.expire_access_tokens();
    }

    /// The freelancer the tokens act for.
    pub fn self_user_id(&self) -> u64 {
        self.shared.state().self_user_id
    }

    // ----- what was received, the rate limit, faults -----

    pub fn received(&self) -> Vec<ReceivedRequest> {
        lock(&self.shared.received).clone()
    }

    pub fn clear_received(&self) {
        lock(&self.shared.received).clear();
    }

    /// `/graphql` requests that arrived so far (answered or not).
    pub fn graphql_requests(&self) -> u64 {
        lock(&self.shared.rate).requests
    }

    /// How many `/graphql` requests were answered 429 by the rate limit
    /// (injected [`FaultKind::RateLimited`] faults are in [`Self::fault_counts`]).
    pub fn rate_limited_answers(&self) -> u64 {
        lock(&self.shared.rate).refused
    }

    /// The most `/graphql` requests one client made in one second so far.
    pub fn peak_requests_per_second(&self) -> u32 {
        lock(&self.shared.rate).peak
    }

    /// Forgets the counts above (the windows in progress too).
    pub fn reset_rate_counts(&self) {
        *lock(&self.shared.rate) = RateCounter::default();
    }

    pub fn set_fault_rate(&self, rate: f64) {
        lock(&self.shared.faults).rate = rate.clamp(0.0, 1.0);
    }

    /// The next request fails this way, whatever the rate (queued in order).
    pub fn fail_next(&self, kind: FaultKind) {
        lock(&self.shared.faults).forced.push_back(kind);
    }

    pub fn fault_counts(&self) -> FaultCounts {
        lock(&self.shared.faults).counts
    }

    // ----- the marketplace's state -----

    /// All postings (open and closed), by id.
    pub fn postings(&self) -> Vec<Posting> {
        self.shared.state().postings.values().cloned().collect()
    }

    /// The ids of the postings the search lists now.
    pub fn open_posting_ids(&self) -> Vec<String> {
        self.shared.state().postings.values().filter(|p| p.open).map(|p| p.id.clone()).collect()
    }

    pub fn posting(&self, id: &str) -> Option<Posting> {
        self.shared.state().postings.get(id).cloned()
    }

    /// All proposals, by id.
    pub fn proposals(&self) -> Vec<Proposal> {
        self.shared.state().proposals.values().cloned().collect()
    }

    // ----- what the marketplace does by itself -----

    /// A client posts a job: it is the newest, so it goes to the top of the
    /// search and pushes the others one place down.
    pub fn post_posting(&self, new: NewPosting) -> Posting {
        let done = self.shared.state().post_posting(new, Utc::now());
        self.saved(done)
    }

    /// The client closes the posting: it leaves the search (pulling the
    /// later ones up); `marketplaceJobPosting` shows it closed.
    pub fn close_posting(&self, id: &str) -> Option<Posting> {
        let done = self.shared.state().postings.get_mut(id).map(|posting| {
            posting.open = false;
            posting.clone()
        });
        self.saved(done)
    }

    /// The posting is taken down: gone from the search and from `marketplaceJobPosting`.
    pub fn remove_posting(&self, id: &str) -> Option<Posting> {
        let done = self.shared.state().postings.remove(id);
        self.saved(done)
    }

    /// The user places a proposal on upwork.com (status `PENDING`). Panics on
    /// an unknown posting (this API is for tests).
    pub fn add_proposal(&self, new: NewProposal) -> Proposal {
        let done = self.shared.state().add_proposal(new, Utc::now()).unwrap_or_else(|e| panic!("add_proposal: {e}"));
        self.saved(done)
    }

    /// The client acts on a proposal (or the user withdraws it on the website).
    pub fn set_proposal_status(&self, id: &str, status: ProposalStatus) -> Option<Proposal> {
        let done = self.shared.state().set_proposal_status(id, status, Utc::now());
        self.saved(done)
    }
}

impl Drop for UpworkSim {
    fn drop(&mut self) {
        self.task.abort();
    }
}
