//! `bidwell-market-sim`: the reference marketplace. It serves Bidwell's
//! marketplace API (docs/marketplace-openapi.yaml) with seeded sample jobs
//! and employers, real idempotency, bid versions and change cursors, and it
//! can misbehave on purpose: a chosen fraction of requests answer 500, 429
//! with `Retry-After`, hang past the client's timeout, drop the connection,
//! or apply a write and then answer 500. It can also play a hostile or
//! broken marketplace ([`FaultKind::is_hostile`]): an endless or huge body,
//! a page with far more items than asked, a change feed whose cursor never
//! moves or that always has more. Those are never picked at random; name
//! them in [`SimConfig::fault_kinds`] or [`SimServer::fail_next`].
//!
//! State is in memory behind one mutex. The server exists for tests and the
//! "try with sample data" demo: it must start in milliseconds, a fresh start
//! must be a fresh marketplace, and the seed makes it the same every time. A
//! database would only add files to clean up. The mutex is never held across
//! an await, and each request's change happens under one lock, so a write is
//! all or nothing and replays of an idempotency key cannot race.
//!
//! The demo outlives the process: with [`SimConfig::state_file`] the whole
//! state is written to one JSON file after every change (a temporary file
//! beside it, synced, then renamed over it, so the file is always whole), and
//! a later start with the same file carries on where the last one stopped.
//!
//! The file can be sealed: with [`SimConfig::state_seal`] every save goes
//! through [`StateSeal::seal`] and every start through [`StateSeal::open`].
//! The demo's bids carry the user's proposal text, so Bidwell hands its demo
//! a seal whose key lives inside the user's encrypted workspace; the server
//! knows nothing of how it seals.
//!
//! In-process use (tests, the demo): [`SimServer::start`] binds 127.0.0.1 on
//! a free port. Out of process: the `bidwell-market-sim serve` binary.
//!
//! Beside it, [`freelancer::FreelancerSim`] plays Freelancer.com's REST 0.1
//! wire format with the loopback OAuth server of [`oauth`], drawing its faults
//! from the same schedule (docs/reference-marketplaces.md).

pub mod freelancer;
pub mod oauth;
mod routes;
mod seed;
mod state;
pub mod upwork;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::Utc;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use bidwell_marketplace::wire::*;

pub use state::SimError;

/// Seals and opens the state file's bytes (encryption, for the demo). The
/// server never sees a key: whoever starts it decides how.
pub trait StateSeal: Send + Sync + std::fmt::Debug {
    /// The bytes to write for the state's JSON `plain`.
    fn seal(&self, plain: &[u8]) -> std::io::Result<Vec<u8>>;
    /// The state's JSON from a file's bytes; an error when they are not sealed
    /// by this seal (or were changed).
    fn open(&self, sealed: &[u8]) -> std::io::Result<Vec<u8>>;
}

/// How to start a server.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The one bearer token accepted; anything else is 401.
    pub token: String,
    /// Seeds the sample data and the fault schedule.
    pub seed: u64,
    /// Sample jobs to start with (employers: one per four jobs).
    pub jobs: usize,
    /// Fraction of requests, 0.0 to 1.0, that fail on purpose.
    pub fault_rate: f64,
    /// Which faults to choose from (all five transient ones when empty).
    pub fault_kinds: Vec<FaultKind>,
    /// How long a hanging request waits before it is served anyway. Make it
    /// longer than the client's timeout.
    pub hang: Duration,
    /// Keep every request for [`SimServer::received`]. Turn off for long
    /// benchmark runs.
    pub record_requests: bool,
    /// 0 for any free port.
    pub port: u16,
    /// Where the marketplace keeps its state between runs. When the file
    /// exists the server starts from it (`seed` and `jobs` then only matter
    /// for the first run); after every change it is rewritten. `None`: memory only.
    pub state_file: Option<PathBuf>,
    /// Seals the state file (see [`StateSeal`]); `None`: plain JSON.
    pub state_seal: Option<Arc<dyn StateSeal>>,
    /// The demo's scripted employer: a bid still `submitted` this long after
    /// it was placed is shortlisted, so a status change comes back on a sync.
    pub shortlist_after: Option<Duration>,
    /// How many bytes [`FaultKind::HugeBody`] and
    /// [`FaultKind::HugeDeclaredBody`] stream (never held in memory).
    pub huge_body_bytes: u64,
    /// How many items [`FaultKind::OverfullPage`] streams in one page.
    pub overfull_page_items: u64,
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            token: "sim-token".to_owned(),
            seed: 1,
            jobs: 200,
            fault_rate: 0.0,
            fault_kinds: Vec::new(),
            hang: Duration::from_secs(2),
            record_requests: true,
            port: 0,
            state_file: None,
            state_seal: None,
            shortlist_after: None,
            huge_body_bytes: 1 << 30,
            overfull_page_items: 1_000_000,
        }
    }
}

/// A way a request can fail on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// 500 without doing anything.
    ServerError,
    /// 429 with `Retry-After` of 1–2 s, as seconds or as an HTTP-date.
    RateLimited,
    /// Waits [`SimConfig::hang`], then serves the request normally (so a
    /// write may land after the client gave up).
    Hang,
    /// Closes the connection without an answer, doing nothing.
    ConnectionReset,
    /// Does the request, then answers 500 instead of the result.
    ApplyThenFail,
    /// Hostile: answers 200 with a body of [`SimConfig::huge_body_bytes`]
    /// (1 GiB by default), streamed without a `Content-Length`.
    HugeBody,
    /// Hostile: the same, announced in `Content-Length`.
    HugeDeclaredBody,
    /// Hostile: a listing (`GET /v1/bids`, `/v1/milestones`, `/v1/jobs`)
    /// answers one page of [`SimConfig::overfull_page_items`] valid items
    /// (a million by default), streamed, whatever `limit` asked for.
    /// Other requests are served as usual.
    OverfullPage,
    /// Hostile: a listing answers an empty page that has more, with the
    /// cursor it was asked with as its next cursor (`stuck` when it was
    /// asked with none), forever.
    StuckCursor,
    /// Hostile: a listing answers an empty page that has more, with a new
    /// cursor every time, forever.
    EndlessFeed,
}

impl FaultKind {
    pub const ALL: [FaultKind; 5] = [
        FaultKind::ServerError,
        FaultKind::RateLimited,
        FaultKind::Hang,
        FaultKind::ConnectionReset,
        FaultKind::ApplyThenFail,
    ];

    /// A broken or hostile marketplace rather than a passing fault; never
    /// chosen at random from [`FaultKind::ALL`].
    pub fn is_hostile(self) -> bool {
        matches!(
            self,
            FaultKind::HugeBody
                | FaultKind::HugeDeclaredBody
                | FaultKind::OverfullPage
                | FaultKind::StuckCursor
                | FaultKind::EndlessFeed
        )
    }
}

/// How many faults of each kind were injected so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultCounts {
    pub server_error: u64,
    pub rate_limited: u64,
    pub hang: u64,
    pub connection_reset: u64,
    pub apply_then_fail: u64,
    /// Hostile answers ([`FaultKind::is_hostile`]) of any kind.
    pub hostile: u64,
}

impl FaultCounts {
    pub fn total(&self) -> u64 {
        self.server_error + self.rate_limited + self.hang + self.connection_reset + self.apply_then_fail + self.hostile
    }

    fn count(&mut self, kind: FaultKind) {
        match kind {
            FaultKind::ServerError => self.server_error += 1,
            FaultKind::RateLimited => self.rate_limited += 1,
            FaultKind::Hang => self.hang += 1,
            FaultKind::ConnectionReset => self.connection_reset += 1,
            FaultKind::ApplyThenFail => self.apply_then_fail += 1,
            _ => self.hostile += 1,
        }
    }
}

/// One request as the server received it, before any fault or auth check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Names are lowercase.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl ReceivedRequest {
    /// What a server's guard keeps of a request whose body it has read.
    pub(crate) fn of(parts: &axum::http::request::Parts, body: &[u8]) -> ReceivedRequest {
        ReceivedRequest {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: parts
                .headers
                .iter()
                .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
                .collect(),
            body: body.to_vec(),
        }
    }

    /// The first value of a header (`name` in lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub(crate) struct FaultSchedule {
    rng: ChaCha8Rng,
    rate: f64,
    kinds: Vec<FaultKind>,
    forced: VecDeque<FaultKind>,
    counts: FaultCounts,
}

impl FaultSchedule {
    /// The schedule both reference servers draw their faults from.
    pub(crate) fn new(seed: u64, rate: f64, kinds: Vec<FaultKind>) -> Mutex<FaultSchedule> {
        Mutex::new(FaultSchedule {
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x00fa_0175),
            rate: rate.clamp(0.0, 1.0),
            kinds,
            forced: VecDeque::new(),
            counts: FaultCounts::default(),
        })
    }
}

/// Whether the next request fails on purpose, and how: a forced fault
/// first, else a random one at the schedule's rate.
pub(crate) fn next_fault(faults: &Mutex<FaultSchedule>) -> Option<FaultKind> {
    let mut faults = lock(faults);
    let kind = match faults.forced.pop_front() {
        Some(kind) => kind,
        None => {
            let rate = faults.rate;
            if rate <= 0.0 || !faults.rng.gen_bool(rate.min(1.0)) {
                return None;
            }
            let kinds = if faults.kinds.is_empty() { FaultKind::ALL.to_vec() } else { faults.kinds.clone() };
            kinds[faults.rng.gen_range(0..kinds.len())]
        }
    };
    faults.counts.count(kind);
    Some(kind)
}

/// What the routes share.
pub(crate) struct Shared {
    state: Mutex<state::MarketState>,
    faults: Mutex<FaultSchedule>,
    received: Mutex<Vec<ReceivedRequest>>,
    record: AtomicBool,
    pub(crate) token: String,
    pub(crate) hang: Duration,
    pub(crate) huge_body_bytes: u64,
    pub(crate) overfull_page_items: u64,
    /// Numbers the cursors of [`FaultKind::EndlessFeed`].
    pub(crate) endless: std::sync::atomic::AtomicU64,
    /// Bytes of hostile bodies handed to the connection so far.
    pub(crate) streamed: std::sync::atomic::AtomicU64,
    state_file: Option<PathBuf>,
    state_seal: Option<Arc<dyn StateSeal>>,
    /// Taken for a whole save, so saves land in the order of their snapshots.
    saving: Mutex<()>,
}

/// A poisoned lock only means a test thread panicked; the data is still whole
/// because every change is made under one lock.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    pub(crate) fn state(&self) -> MutexGuard<'_, state::MarketState> {
        lock(&self.state)
    }

    pub(crate) fn record(&self, request: ReceivedRequest) {
        if self.record.load(Ordering::Relaxed) {
            lock(&self.received).push(request);
        }
    }

    /// Whether this request fails on purpose, and how.
    pub(crate) fn next_fault(&self) -> Option<FaultKind> {
        next_fault(&self.faults)
    }

    pub(crate) fn fault_rng<T>(&self, f: impl FnOnce(&mut ChaCha8Rng) -> T) -> T {
        f(&mut lock(&self.faults).rng)
    }

    /// Writes the state file, if there is one. Blocking, on purpose: the
    /// file is small, and a change is answered only once it is on disk, so
    /// an acknowledged write survives the process.
    pub(crate) fn save(&self) -> std::io::Result<()> {
        let Some(path) = &self.state_file else { return Ok(()) };
        let _turn = lock(&self.saving);
        let bytes = self.state().to_saved();
        write_state_file(path, self.state_seal.as_deref(), &bytes)
    }
}

/// Writes a state file: `plain` sealed when there is a seal, then
/// [`write_then_rename`]. The one way every kind saves its state.
pub(crate) fn write_state_file(path: &Path, seal: Option<&dyn StateSeal>, plain: &[u8]) -> std::io::Result<()> {
    match seal {
        Some(seal) => write_then_rename(path, &seal.seal(plain)?),
        None => write_then_rename(path, plain),
    }
}

/// Reads a state file back: its plain bytes (opened through the seal when
/// there is one) and a parser for them, or `None` when there is no file
/// yet. Every error names the file; a file that does not open or parse is
/// `InvalidData`, never replaced.
pub(crate) fn read_state_file<T>(
    path: &Path,
    seal: Option<&dyn StateSeal>,
    parse: impl FnOnce(&[u8]) -> Result<T, String>,
) -> std::io::Result<Option<T>> {
    let invalid =
        |why: String| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{}: {why}", path.display()));
    match std::fs::read(path) {
        Ok(bytes) => {
            let bytes = match seal {
                Some(seal) => seal.open(&bytes).map_err(|e| invalid(format!("cannot be opened ({e})")))?,
                None => bytes,
            };
            parse(&bytes).map(Some).map_err(invalid)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
    }
}

/// Writes `bytes` to a temporary file beside `path` (named after it), syncs
/// it, renames it over `path` and syncs the directory.
pub(crate) fn write_then_rename(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut file = tempfile::Builder::new().prefix(&format!("{name}.")).suffix(".tmp").tempfile_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

/// The state a state file holds, or a fresh seeded one when there is none yet.
fn load_state(config: &SimConfig) -> std::io::Result<state::MarketState> {
    let fresh = || state::MarketState::new(config.seed, config.jobs, rand::random::<u32>());
    let Some(path) = &config.state_file else { return Ok(fresh()) };
    Ok(read_state_file(path, config.state_seal.as_deref(), state::MarketState::from_saved)?.unwrap_or_else(fresh))
}

/// Every second, shortlists the bids placed `after` ago or earlier.
async fn shortlist_in_time(shared: Arc<Shared>, after: Duration) {
    let after = chrono::Duration::from_std(after).unwrap_or(chrono::Duration::MAX);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let now = Utc::now();
        let placed_by = now.checked_sub_signed(after).unwrap_or(chrono::DateTime::<Utc>::MIN_UTC);
        if shared.state().shortlist_placed_by(placed_by, now) > 0 {
            // A failed save is retried with the next change; the state in memory is right.
            let _ = shared.save();
        }
    }
}

/// A running reference marketplace. Stops when dropped.
pub struct SimServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
    employer: Option<JoinHandle<()>>,
}

impl SimServer {
    /// Binds 127.0.0.1 (port from the config, 0 for any) and starts serving
    /// on the current tokio runtime. With a state file, starts from it (or
    /// writes it first); an unreadable file is an `InvalidData` error naming it.
    pub async fn start(config: SimConfig) -> std::io::Result<SimServer> {
        let state = load_state(&config)?;
        let listener = TcpListener::bind(("127.0.0.1", config.port)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            faults: FaultSchedule::new(config.seed, config.fault_rate, config.fault_kinds),
            received: Mutex::new(Vec::new()),
            record: AtomicBool::new(config.record_requests),
            token: config.token,
            hang: config.hang,
            huge_body_bytes: config.huge_body_bytes,
            overfull_page_items: config.overfull_page_items,
            endless: std::sync::atomic::AtomicU64::new(0),
            streamed: std::sync::atomic::AtomicU64::new(0),
            state_file: config.state_file,
            state_seal: config.state_seal,
            saving: Mutex::new(()),
        });
        shared.save()?;
        let employer = config.shortlist_after.map(|after| tokio::spawn(shortlist_in_time(shared.clone(), after)));
        let task = tokio::spawn(routes::serve(listener, routes::router(shared.clone())));
        Ok(SimServer { addr, shared, task, employer })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`, the base URL for a client.
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
        self.shared.save().unwrap_or_else(|e| panic!("the market state could not be saved: {e}"));
        value
    }

    // ----- what was received -----

    /// Every request so far, in arrival order.
    pub fn received(&self) -> Vec<ReceivedRequest> {
        lock(&self.shared.received).clone()
    }

    pub fn clear_received(&self) {
        lock(&self.shared.received).clear();
    }

    // ----- faults -----

    pub fn set_fault_rate(&self, rate: f64) {
        lock(&self.shared.faults).rate = rate.clamp(0.0, 1.0);
    }

    /// Which kinds random faults choose from (all when empty).
    pub fn set_fault_kinds(&self, kinds: &[FaultKind]) {
        lock(&self.shared.faults).kinds = kinds.to_vec();
    }

    /// The next request fails this way, whatever the rate (queued in order).
    pub fn fail_next(&self, kind: FaultKind) {
        lock(&self.shared.faults).forced.push_back(kind);
    }

    pub fn fault_counts(&self) -> FaultCounts {
        lock(&self.shared.faults).counts
    }

    /// Bytes of hostile bodies ([`FaultKind::HugeBody`], ...) handed to
    /// connections so far: a client that stops reading stops it growing
    /// (past what the sockets buffer).
    pub fn hostile_bytes_streamed(&self) -> u64 {
        self.shared.streamed.load(Ordering::Relaxed)
    }

    /// Forgets every cursor issued so far: their next use answers 410.
    pub fn expire_cursors(&self) {
        self.shared.state().expire_cursors();
        self.saved(());
    }

    // ----- the marketplace's state -----

    /// All bids, by id.
    pub fn bids(&self) -> Vec<Bid> {
        self.shared.state().bids()
    }

    pub fn bid(&self, id: &str) -> Option<Bid> {
        self.shared.state().bid(id)
    }

    /// All jobs, in change order.
    pub fn jobs(&self) -> Vec<Job> {
        self.shared.state().jobs()
    }

    pub fn milestones(&self) -> Vec<Milestone> {
        self.shared.state().milestones()
    }

    pub fn consents(&self) -> Consents {
        self.shared.state().consents()
    }

    pub fn erasure_requests(&self) -> Vec<ErasureReceipt> {
        self.shared.state().erasures()
    }

    /// Analytics counters received (accepted ones only).
    pub fn analytics(&self) -> Vec<AnalyticsCount> {
        self.shared.state().analytics()
    }

    // ----- what the marketplace does by itself -----

    /// New jobs, as if employers posted them; they appear in the jobs feed.
    pub fn add_jobs(&self, n: usize) -> Vec<Job> {
        let done = self.shared.state().add_jobs(n);
        self.saved(done)
    }

    pub fn close_job(&self, id: &str) -> Result<Job, SimError> {
        let done = self.shared.state().close_job(id, Utc::now());
        self.saved(done)
    }

    /// Shortlist, award, reject...: bumps the version.
    pub fn set_bid_status(&self, id: &str, status: BidStatus) -> Result<Bid, SimError> {
        let done = self.shared.state().set_bid_status(id, status, Utc::now());
        self.saved(done)
    }

    /// An edit on the marketplace's side: bumps the version, so an edit based
    /// on the old version conflicts.
    pub fn edit_bid_server_side(&self, id: &str, edit: BidEdit) -> Result<Bid, SimError> {
        let done = self.shared.state().edit_bid_server_side(id, edit, Utc::now());
        self.saved(done)
    }

    /// The employer funds a milestone of an awarded bid.
    pub fn fund_milestone(&self, bid_id: &str) -> Result<Milestone, SimError> {
        let done = self.shared.state().fund_milestone(bid_id, Utc::now());
        self.saved(done)
    }

    pub fn release_milestone(&self, milestone_id: &str) -> Result<Milestone, SimError> {
        self.set_milestone_status(milestone_id, MilestoneStatus::Released)
    }

    pub fn set_milestone_status(&self, milestone_id: &str, status: MilestoneStatus) -> Result<Milestone, SimError> {
        let done = self.shared.state().set_milestone_status(milestone_id, status, Utc::now());
        self.saved(done)
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(employer) = &self.employer {
            employer.abort();
        }
    }
}
