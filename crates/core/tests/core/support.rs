//! Shared set-up: a workspace in a temp dir with a fast KDF and a manual
//! clock, a marketplace client a test can watch call by call, and the usual
//! start of a sync test (a reference marketplace synced once).

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use bidwell_core::secret::Passphrase;
use bidwell_core::sync::{HttpConnector, MarketConnector, SyncEngine, SyncReport};
use bidwell_core::vault::{KdfParams, KeyFile, KeyStore, OsKeychain, Protection, Unlock};
use bidwell_core::{Environment, Job, ManualClock, Workspace};
use bidwell_market_sim::SimServer;
use bidwell_marketplace::{wire, ApiToken, IdempotencyKey, MarketError, MarketKind, Marketplace, Operation};
use chrono::TimeZone;
use sqlx::ConnectOptions;

use crate::sync::{engine, harness, open_jobs, sim, sync, Harness};

pub const PASSPHRASE: &str = "correct horse battery staple";

/// A keychain that is refused everything: the "no keychain on this machine" case.
pub struct NoKeychain;

impl KeyStore for NoKeychain {
    fn backend(&self) -> &'static str {
        "none"
    }
    fn probe(&self) -> Result<(), bidwell_core::vault::VaultError> {
        Err(bidwell_core::vault::VaultError::NoKeychain { backend: "none", reason: "no keychain in this test".into() })
    }
    fn store(&self, _: &str, _: &bidwell_core::secret::WrappingKey) -> Result<(), bidwell_core::vault::VaultError> {
        self.probe()
    }
    fn load(&self, _: &str) -> Result<bidwell_core::secret::WrappingKey, bidwell_core::vault::VaultError> {
        Err(bidwell_core::vault::VaultError::NoKeychain { backend: "none", reason: "no keychain in this test".into() })
    }
    fn delete(&self, _: &str) -> Result<(), bidwell_core::vault::VaultError> {
        self.probe()
    }
}

pub fn env_with(keychain: Arc<dyn KeyStore>) -> Environment {
    let start = chrono::Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
    Environment {
        clock: Arc::new(ManualClock::new(start)),
        keychain,
        kdf: KdfParams::light(),
        holder: Default::default(),
    }
}

pub fn env() -> Environment {
    env_with(Arc::new(NoKeychain))
}

pub fn passphrase() -> Passphrase {
    Passphrase::new(PASSPHRASE.to_string())
}

/// A new workspace on `clock`, which the test moves.
pub async fn workspace_at(clock: Arc<ManualClock>) -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    let env = Environment { clock, ..env() };
    let (ws, _) = Workspace::create(dir.path(), "Test", Protection::Passphrase(passphrase()), env).await.unwrap();
    (dir, ws)
}

pub async fn new_workspace() -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    let (ws, _recovery) =
        Workspace::create(dir.path(), "Test", Protection::Passphrase(passphrase()), env()).await.unwrap();
    (dir, ws)
}

pub async fn reopen(dir: &Path, ws: Workspace) -> Workspace {
    ws.lock().await;
    Workspace::open(dir, Unlock::Passphrase(passphrase()), env()).await.unwrap()
}

/// The real OS keychain, or `None` (with a note) where none runs. CI sets
/// BIDWELL_REQUIRE_KEYCHAIN=1 so that a missing keychain fails there.
pub fn os_keychain() -> Option<Arc<dyn KeyStore>> {
    match OsKeychain.probe() {
        Ok(()) => Some(Arc::new(OsKeychain)),
        Err(e) if std::env::var("BIDWELL_REQUIRE_KEYCHAIN").as_deref() == Ok("1") => {
            panic!("BIDWELL_REQUIRE_KEYCHAIN=1 but no keychain is usable: {e}")
        }
        Err(e) => {
            eprintln!("skipping the keychain part: {e}");
            None
        }
    }
}

/// Every regular file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// What a test does around each marketplace call: `before` runs just before
/// the request leaves, `after` when its answer is back (with the error, if
/// the call failed). Both do nothing unless a test says otherwise.
#[async_trait]
pub trait CallHook: Send + Sync {
    async fn before(&self, _call: Operation) {}
    fn after(&self, _call: Operation, _error: Option<&MarketError>) {}
}

/// A marketplace that forwards every call to `inner` unchanged and runs
/// `hook` around it.
pub struct HookedMarketplace {
    inner: Arc<dyn Marketplace>,
    hook: Arc<dyn CallHook>,
}

impl HookedMarketplace {
    async fn call<T>(
        &self,
        op: Operation,
        request: impl Future<Output = Result<T, MarketError>>,
    ) -> Result<T, MarketError> {
        // `request` is not polled yet: nothing has left before `before` returns.
        self.hook.before(op).await;
        let result = request.await;
        self.hook.after(op, result.as_ref().err());
        result
    }
}

#[async_trait]
impl Marketplace for HookedMarketplace {
    async fn list_jobs(
        &self,
        q: &wire::JobQuery,
        c: Option<&wire::Cursor>,
        l: u32,
    ) -> Result<wire::Page<wire::Job>, MarketError> {
        self.call(Operation::ListJobs, self.inner.list_jobs(q, c, l)).await
    }
    async fn get_job(&self, id: &str) -> Result<wire::Job, MarketError> {
        self.call(Operation::GetJob, self.inner.get_job(id)).await
    }
    async fn get_employer(&self, id: &str) -> Result<wire::Employer, MarketError> {
        self.call(Operation::GetEmployer, self.inner.get_employer(id)).await
    }
    async fn create_bid(&self, k: &IdempotencyKey, b: &wire::NewBid) -> Result<wire::Bid, MarketError> {
        self.call(Operation::CreateBid, self.inner.create_bid(k, b)).await
    }
    async fn get_bid(&self, id: &str) -> Result<wire::Bid, MarketError> {
        self.call(Operation::GetBid, self.inner.get_bid(id)).await
    }
    async fn edit_bid(&self, id: &str, v: u64, e: &wire::BidEdit) -> Result<wire::Bid, MarketError> {
        self.call(Operation::EditBid, self.inner.edit_bid(id, v, e)).await
    }
    async fn withdraw_bid(&self, id: &str, k: &IdempotencyKey) -> Result<wire::Bid, MarketError> {
        self.call(Operation::WithdrawBid, self.inner.withdraw_bid(id, k)).await
    }
    async fn bids_since(&self, s: Option<&wire::Cursor>, l: u32) -> Result<wire::Page<wire::Bid>, MarketError> {
        self.call(Operation::ListBids, self.inner.bids_since(s, l)).await
    }
    async fn milestones_since(
        &self,
        s: Option<&wire::Cursor>,
        l: u32,
    ) -> Result<wire::Page<wire::Milestone>, MarketError> {
        self.call(Operation::ListMilestones, self.inner.milestones_since(s, l)).await
    }
    async fn request_erasure(
        &self,
        k: &IdempotencyKey,
        r: &wire::ErasureRequest,
    ) -> Result<wire::ErasureReceipt, MarketError> {
        self.call(Operation::RequestErasure, self.inner.request_erasure(k, r)).await
    }
    async fn get_consents(&self) -> Result<wire::Consents, MarketError> {
        self.call(Operation::GetConsents, self.inner.get_consents()).await
    }
    async fn put_consents(&self, c: &wire::ConsentChoices) -> Result<wire::Consents, MarketError> {
        self.call(Operation::PutConsents, self.inner.put_consents(c)).await
    }
    async fn send_analytics(&self, b: &wire::AnalyticsBatch) -> Result<(), MarketError> {
        self.call(Operation::SendAnalytics, self.inner.send_analytics(b)).await
    }
    fn set_global_privacy_control(&self, on: bool) {
        self.inner.set_global_privacy_control(on)
    }
    fn global_privacy_control(&self) -> bool {
        self.inner.global_privacy_control()
    }

    fn capabilities(&self) -> bidwell_marketplace::Capabilities {
        self.inner.capabilities()
    }
}

/// Connects the real HTTP client, wrapped so that `hook` sees every call.
pub struct HookedConnector {
    pub http: HttpConnector,
    pub hook: Arc<dyn CallHook>,
}

impl MarketConnector for HookedConnector {
    fn connect(&self, kind: MarketKind, url: &str, token: ApiToken) -> Result<Arc<dyn Marketplace>, MarketError> {
        let inner = self.http.connect(kind, url, token)?;
        Ok(Arc::new(HookedMarketplace { inner, hook: self.hook.clone() }))
    }
}

/// A reference marketplace with `jobs` jobs, a workspace with an account on
/// it, and an engine (jitter seed `seed`) that has synced once.
pub struct SyncedMarket {
    pub server: SimServer,
    pub h: Harness,
    pub engine: SyncEngine,
    /// What the first sync did.
    pub first_sync: SyncReport,
    /// The local copies of the jobs still open there, by external id.
    pub jobs: Vec<Job>,
}

/// The usual start of a sync test: a fault-free server, the harness, one sync.
pub async fn synced_market(jobs: usize, seed: u64) -> SyncedMarket {
    let server = sim(jobs, 0.0).await;
    let h = harness(&server.base_url()).await;
    let engine = engine(seed);
    let first_sync = sync(&engine, &h.ws).await;
    let jobs = open_jobs(&h.ws, &server).await;
    SyncedMarket { server, h, engine, first_sync, jobs }
}

/// The workspace's data key as SQLCipher's hex, for reading the file behind
/// the workspace's back.
pub fn data_key_hex(dir: &Path) -> String {
    let key_file = KeyFile::load(&dir.join("bidwell.key")).unwrap();
    let (key, _) = key_file.unlock(&Unlock::Passphrase(passphrase()), &NoKeychain).unwrap();
    let pragma = key.sqlcipher_key_pragma().to_string();
    pragma.split('\'').nth(1).unwrap().to_string()
}

/// A connection of its own to the workspace's database, for a test that
/// looks at (or damages) what the workspace code never shows.
pub async fn raw_connection(dir: &Path) -> sqlx::SqliteConnection {
    sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.join("bidwell.db"))
        .pragma("key", format!("\"x'{}'\"", data_key_hex(dir)))
        .disable_statement_logging()
        .connect()
        .await
        .unwrap()
}
