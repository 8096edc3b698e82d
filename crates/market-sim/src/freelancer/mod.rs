//! A reference server for Freelancer.com's REST 0.1 wire format, for the
//! Freelancer adapter's tests and for trying the adapter by hand. It owns
//! the Freelancer-shaped users, projects, bids and milestones
//! ([`state`]) and their routes ([`routes`]), and serves the loopback OAuth
//! server ([`crate::oauth`]) on the same port, whose access tokens (and the
//! configured personal tokens) the `Freelancer-OAuth-V1` header accepts.
//!
//! Like the real API it pages by `limit`/`offset` only, with no cursor and no
//! change feed, and a bid POST has no idempotency key. Tests change the
//! marketplace while a client pages ([`FreelancerSim::post_project`],
//! [`FreelancerSim::close_project`]) to show what a naive offset client
//! gets wrong. The crate's fault injection applies to every route; of the
//! hostile faults the huge bodies and the overfull page (projects and bids
//! listings) are played, the cursor ones are served as usual since there is
//! no cursor. Shapes and their sources: docs/reference-marketplaces.md.

mod routes;
pub mod state;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::Utc;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::oauth::{OAuthAuthority, OAuthConfig};
use crate::{lock, FaultCounts, FaultKind, FaultSchedule, ReceivedRequest, StateSeal};

pub use state::{Bid, Currency, Milestone, NewProject, Project, ProjectStatus, User, CURRENCIES};

/// How to start a Freelancer-style server.
#[derive(Debug, Clone)]
pub struct FreelancerConfig {
    /// Seeds the sample data and the fault schedule.
    pub seed: u64,
    /// Sample projects to start with.
    pub projects: usize,
    /// The user every token acts for (the OAuth server's `user_id` is set to it).
    pub self_user_id: u64,
    pub self_username: String,
    /// Clients, token lifetimes and personal tokens.
    pub oauth: OAuthConfig,
    /// Fraction of requests, 0.0 to 1.0, that fail on purpose.
    pub fault_rate: f64,
    /// Which faults to choose from (all five transient ones when empty).
    pub fault_kinds: Vec<FaultKind>,
    /// How long a hanging request waits before it is served anyway.
    pub hang: Duration,
    /// Keep every request for [`FreelancerSim::received`].
    pub record_requests: bool,
    /// How many bytes [`FaultKind::HugeBody`] streams.
    pub huge_body_bytes: u64,
    /// How many items [`FaultKind::OverfullPage`] streams in one page of
    /// projects or bids.
    pub overfull_page_items: u64,
    /// 0 for any free port.
    pub port: u16,
    /// Where the marketplace keeps its users, projects, bids and milestones
    /// between runs (not the OAuth server's tokens). When the file exists the
    /// server starts from it (`seed` and `projects` then only matter for the
    /// first run); after every change it is rewritten. `None`: memory only.
    pub state_file: Option<PathBuf>,
    /// Seals the state file (see [`StateSeal`]); `None`: plain JSON.
    pub state_seal: Option<Arc<dyn StateSeal>>,
}

impl Default for FreelancerConfig {
    fn default() -> FreelancerConfig {
        FreelancerConfig {
            seed: 1,
            projects: 120,
            self_user_id: 31_000_001,
            self_username: "bidwell_demo".to_owned(),
            oauth: OAuthConfig { personal_tokens: vec!["fl-personal-token".to_owned()], ..OAuthConfig::default() },
            fault_rate: 0.0,
            fault_kinds: Vec::new(),
            hang: Duration::from_secs(2),
            record_requests: true,
            huge_body_bytes: 1 << 30,
            overfull_page_items: 1_000_000,
            port: 0,
            state_file: None,
            state_seal: None,
        }
    }
}

/// What the routes share.
pub(crate) struct FlShared {
    state: Mutex<state::FlState>,
    pub(crate) faults: Mutex<FaultSchedule>,
    received: Mutex<Vec<ReceivedRequest>>,
    record: AtomicBool,
    pub(crate) oauth: Arc<OAuthAuthority>,
    pub(crate) hang: Duration,
    pub(crate) huge_body_bytes: u64,
    pub(crate) overfull_page_items: u64,
    pub(crate) streamed: AtomicU64,
    state_file: Option<PathBuf>,
    state_seal: Option<Arc<dyn StateSeal>>,
    /// Taken for a whole save, so saves land in the order of their snapshots.
    saving: Mutex<()>,
}

impl FlShared {
    pub(crate) fn state(&self) -> MutexGuard<'_, state::FlState> {
        lock(&self.state)
    }

    fn record(&self, request: ReceivedRequest) {
        if self.record.load(Ordering::Relaxed) {
            lock(&self.received).push(request);
        }
    }

    /// Writes the state file, if there is one (blocking, as the Bidwell kind
    /// does: a change is answered once it is on disk). Call it with the
    /// state unlocked.
    pub(crate) fn save(&self) -> std::io::Result<()> {
        let Some(path) = &self.state_file else { return Ok(()) };
        let _turn = lock(&self.saving);
        let bytes = self.state().to_saved();
        crate::write_state_file(path, self.state_seal.as_deref(), &bytes)
    }
}

/// The state the state file holds, or a freshly seeded one when there is
/// none (or no file is configured).
fn load_state(config: &FreelancerConfig) -> std::io::Result<state::FlState> {
    let fresh = || state::FlState::new(config.seed, config.projects, config.self_user_id, &config.self_username);
    let Some(path) = &config.state_file else { return Ok(fresh()) };
    let Some(state) = crate::read_state_file(path, config.state_seal.as_deref(), state::FlState::from_saved)? else {
        return Ok(fresh());
    };
    if state.self_user.id != config.self_user_id {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{}: kept for user {}, not {}", path.display(), state.self_user.id, config.self_user_id),
        ));
    }
    Ok(state)
}

/// A running Freelancer-style server with its OAuth server. Stops when dropped.
pub struct FreelancerSim {
    addr: SocketAddr,
    shared: Arc<FlShared>,
    task: JoinHandle<()>,
}

impl FreelancerSim {
    /// Binds 127.0.0.1 (port from the config, 0 for any) and serves on the
    /// current tokio runtime. With a state file, starts from it (or writes it
    /// first); a file that does not open or parse is an `InvalidData` error
    /// naming it, and is left as it is.
    pub async fn start(config: FreelancerConfig) -> std::io::Result<FreelancerSim> {
        let state = load_state(&config)?;
        let oauth = OAuthAuthority::new(OAuthConfig { user_id: config.self_user_id, ..config.oauth });
        let listener = TcpListener::bind(("127.0.0.1", config.port)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(FlShared {
            state: Mutex::new(state),
            faults: FaultSchedule::new(config.seed, config.fault_rate, config.fault_kinds),
            received: Mutex::new(Vec::new()),
            record: AtomicBool::new(config.record_requests),
            oauth,
            hang: config.hang,
            huge_body_bytes: config.huge_body_bytes,
            overfull_page_items: config.overfull_page_items,
            streamed: AtomicU64::new(0),
            state_file: config.state_file,
            state_seal: config.state_seal,
            saving: Mutex::new(()),
        });
        shared.save()?;
        let task = tokio::spawn(crate::routes::serve(listener, routes::router(shared.clone())));
        Ok(FreelancerSim { addr, shared, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`; the API is under `/api/`, OAuth under `/oauth/`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
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
        self.shared.save().unwrap_or_else(|e| panic!("the Freelancer state could not be saved: {e}"));
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

    /// The user the tokens act for.
    pub fn self_user(&self) -> User {
        self.shared.state().self_user.clone()
    }

    // ----- what was received, faults -----

    pub fn received(&self) -> Vec<ReceivedRequest> {
        lock(&self.shared.received).clone()
    }

    pub fn clear_received(&self) {
        lock(&self.shared.received).clear();
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

    /// Bytes of hostile bodies (huge bodies, overfull pages) handed to connections so far.
    pub fn hostile_bytes_streamed(&self) -> u64 {
        self.shared.streamed.load(Ordering::Relaxed)
    }

    // ----- the marketplace's state -----

    /// All projects, by id.
    pub fn projects(&self) -> Vec<Project> {
        self.shared.state().projects.values().cloned().collect()
    }

    pub fn project(&self, id: u64) -> Option<Project> {
        self.shared.state().projects.get(&id).cloned()
    }

    /// All bids (anyone's), by id.
    pub fn bids(&self) -> Vec<Bid> {
        self.shared.state().bids.values().cloned().collect()
    }

    pub fn milestones(&self) -> Vec<Milestone> {
        self.shared.state().milestones.values().cloned().collect()
    }

    // ----- what the marketplace does by itself -----

    /// An employer posts a project: it is the newest, so it goes to the top
    /// of every listing and pushes the others one place down. Panics on an
    /// unknown currency (this API is for tests).
    pub fn post_project(&self, new: NewProject) -> Project {
        let done = self.shared.state().post_project(new, Utc::now()).unwrap_or_else(|e| panic!("post_project: {e}"));
        self.saved(done)
    }

    /// The employer closes a project: it leaves `projects/active/` (pulling
    /// the later ones one place up) and takes no more bids.
    pub fn close_project(&self, id: u64) -> Option<Project> {
        self.set_project_status(id, ProjectStatus::Closed)
    }

    pub fn set_project_status(&self, id: u64, status: ProjectStatus) -> Option<Project> {
        let done = self.shared.state().set_project_status(id, status);
        self.saved(done)
    }

    /// The employer awards a bid; the bidder then accepts it with
    /// `PUT bids/{id}/?action=accept`. `None` for an unknown or retracted bid.
    pub fn award_bid(&self, bid_id: u64) -> Option<Bid> {
        let done = self.shared.state().award_bid(bid_id);
        self.saved(done)
    }

    /// The employer funds a milestone of `fraction` of the bid's amount
    /// (status `frozen`: held until released).
    pub fn create_milestone(&self, bid_id: u64, fraction: f64, description: &str) -> Option<Milestone> {
        let done = self.shared.state().add_milestone(bid_id, fraction, description).ok();
        self.saved(done)
    }

    /// `frozen`, `requested_release`, `cleared` or `cancelled`.
    pub fn set_milestone_status(&self, id: u64, status: &str) -> Option<Milestone> {
        let done = self.shared.state().set_milestone_status(id, status);
        self.saved(done)
    }
}

impl Drop for FreelancerSim {
    fn drop(&mut self) {
        self.task.abort();
    }
}
