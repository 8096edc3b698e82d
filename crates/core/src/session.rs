//! The desktop app's one workspace over time: whether it exists, unlocking
//! and locking it, and locking it again after a while without use. The shell
//! holds one [`Session`]; every command goes through [`Session::workspace`].
//! With a demo marketplace host, the demo's server runs exactly while the
//! workspace that has it is unlocked (see `sync/demo.rs`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use tokio::sync::{Mutex, RwLock, RwLockReadGuard};

use crate::backup::{BackupInfo, BackupReason, BackupStatus};
use crate::error::{ApiError, Error, Result};
use crate::privacy::ConsentMethod;
use crate::recovery_confirmation::UnconfirmedRecoveryKey;
use crate::secret::RecoveryKey;
use crate::sync::{
    AccountRemoval, ApiToken, DemoMarketHost, MarketAccount, MarketKind, PendingSignIn, SignInTarget, SIGN_IN_WAIT,
};
use crate::vault::{Protection, Unlock};
use crate::workspace::{Environment, Workspace, WorkspaceState};
use crate::Id;

/// What the window needs to know to pick a screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct SessionState {
    pub workspace: WorkspaceState,
    pub unlocked: bool,
    pub data_dir: String,
    /// While unlocked: set when the current recovery key was never confirmed
    /// as saved, and the window asks the user to make a new one.
    pub unconfirmed_recovery_key: Option<UnconfirmedRecoveryKey>,
}

/// How long without use counts as a quiet spell, for giving memory back.
pub const QUIET_AFTER: Duration = Duration::minutes(1);

pub struct Session {
    dir: PathBuf,
    env: Environment,
    open: RwLock<Option<Workspace>>,
    last_used: Mutex<DateTime<Utc>>,
    /// When the caches were last given back (see `release_memory_if_quiet`).
    released_at: Mutex<Option<DateTime<Utc>>>,
    demo: Option<Arc<dyn DemoMarketHost>>,
    /// The open workspace's lock signal, reachable without `open`: work that
    /// holds `open` for reading (a sync) is told to stop before `lock` waits
    /// for it, even when another writer queued for `open` first.
    locking: std::sync::Mutex<Option<Arc<crate::work::LockSignal>>>,
    /// Why the last backup taken here failed (the daily one, or "Back up
    /// now"), until one succeeds: the window shows it with the overdue banner.
    backup_error: std::sync::Mutex<Option<ApiError>>,
    /// Sign-ins waiting for the browser, by the id the window holds.
    sign_ins: std::sync::Mutex<HashMap<Id, WaitingSignIn>>,
}

/// A sign-in the window started: the pending half until `finish` takes it,
/// and the bell that cancels it (before or while `finish` waits).
struct WaitingSignIn {
    pending: Option<PendingSignIn>,
    cancel: Arc<tokio::sync::Notify>,
}

/// What the window needs to go on with a sign-in.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct SignInStarted {
    pub sign_in_id: Id,
    /// The address to open in the system browser (shown too, to copy).
    pub browser_url: String,
}

impl Session {
    pub fn new(dir: PathBuf, env: Environment) -> Self {
        let now = env.clock.now();
        Session {
            dir,
            env,
            open: RwLock::new(None),
            last_used: Mutex::new(now),
            released_at: Mutex::new(None),
            demo: None,
            locking: std::sync::Mutex::new(None),
            backup_error: std::sync::Mutex::new(None),
            sign_ins: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// Lets this session run the demo marketplace on `host`.
    pub fn with_demo_market(self, host: Arc<dyn DemoMarketHost>) -> Self {
        Session { demo: Some(host), ..self }
    }

    /// Reading it does not count as use.
    pub async fn state(&self) -> Result<SessionState> {
        let open = self.open.read().await;
        let unconfirmed_recovery_key = match open.as_ref() {
            Some(workspace) => workspace.unconfirmed_recovery_key().await?,
            None => None,
        };
        Ok(SessionState {
            workspace: Workspace::state(&self.dir)?,
            unlocked: open.is_some(),
            data_dir: self.dir.display().to_string(),
            unconfirmed_recovery_key,
        })
    }

    /// Creates the workspace and leaves it unlocked. The recovery key is for
    /// the user's eyes once.
    pub async fn create(&self, name: &str, protection: Protection) -> Result<RecoveryKey> {
        let mut open = self.open.write().await;
        let (workspace, recovery) = Workspace::create(&self.dir, name, protection, self.env.clone()).await?;
        self.watch_locking(&workspace);
        *open = Some(workspace);
        self.touch().await;
        Ok(recovery)
    }

    /// Opens the workspace; when it has the demo marketplace, its server
    /// starts again. A demo that fails to start does not fail the unlock: the
    /// account shows the problem, and its changes wait in the outbox.
    pub async fn unlock(&self, how: Unlock) -> Result<()> {
        self.unlock_reporting(how, &mut |_, _, _| {}).await
    }

    /// [`Session::unlock`], naming the long steps of the first unlock after
    /// an update (see [`Workspace::open_reporting`]).
    pub async fn unlock_reporting(&self, how: Unlock, step: &mut (dyn FnMut(&str, u64, u64) + Send)) -> Result<()> {
        let mut open = self.open.write().await;
        if open.is_none() {
            let workspace = Workspace::open_reporting(&self.dir, how, self.env.clone(), step).await?;
            if let Some(host) = &self.demo {
                if let Err(e) = workspace.resume_demo_market(host.as_ref()).await {
                    tracing::warn!("the demo marketplace did not start: {}", e.to_api().message);
                }
            }
            self.watch_locking(&workspace);
            *open = Some(workspace);
        }
        self.touch().await;
        Ok(())
    }

    /// Connects the demo marketplace ("Try with sample data"), speaking
    /// `kind`'s wire format, and starts its server.
    pub async fn connect_demo_market(&self, kind: MarketKind) -> Result<MarketAccount> {
        let host = self.demo.as_ref().ok_or_else(|| Error::validation("demo", "is not available here"))?;
        self.workspace().await?.connect_demo_market(host.as_ref(), kind).await
    }

    /// Disconnects a marketplace account (see [`Workspace::remove_market_account`]);
    /// for the demo marketplace its server stops and its state file goes too.
    pub async fn remove_market_account(&self, id: Id) -> Result<AccountRemoval> {
        let workspace = self.workspace().await?;
        let was_demo = workspace.demo_market_account().await? == Some(id);
        let removal = workspace.remove_market_account(id).await?;
        if let (true, Some(host)) = (was_demo, &self.demo) {
            host.stop();
            // With the account gone this starts nothing and forgets the state.
            workspace.resume_demo_market(host.as_ref()).await?;
        }
        Ok(removal)
    }

    /// Starts signing in to a marketplace; the window opens the address and
    /// then waits with [`Session::finish_market_sign_in`].
    pub async fn begin_market_sign_in(
        &self,
        target: SignInTarget,
        client_secret: Option<ApiToken>,
    ) -> Result<SignInStarted> {
        let pending = self.workspace().await?.begin_market_sign_in(target, client_secret).await?;
        let started = SignInStarted {
            sign_in_id: Id::new_at(self.env.clock.now()),
            browser_url: pending.browser_url().to_owned(),
        };
        let waiting = WaitingSignIn { pending: Some(pending), cancel: Arc::new(tokio::sync::Notify::new()) };
        self.sign_ins.lock().unwrap_or_else(|p| p.into_inner()).insert(started.sign_in_id, waiting);
        Ok(started)
    }

    /// Waits for the browser (up to [`SIGN_IN_WAIT`]) without holding the
    /// workspace, then stores the tokens. Cancelled (by the user, or by
    /// locking), it ends with [`Error::Cancelled`] and stores nothing.
    pub async fn finish_market_sign_in(&self, sign_in_id: Id) -> Result<MarketAccount> {
        let (pending, cancel) = {
            let mut sign_ins = self.sign_ins.lock().unwrap_or_else(|p| p.into_inner());
            let waiting = sign_ins.get_mut(&sign_in_id).ok_or(Error::Cancelled)?;
            (waiting.pending.take().ok_or(Error::Cancelled)?, waiting.cancel.clone())
        };
        let now = self.env.clock.now();
        let result = tokio::select! {
            signed_in = pending.wait(SIGN_IN_WAIT, now) => signed_in,
            () = cancel.notified() => Err(Error::Cancelled),
        };
        self.sign_ins.lock().unwrap_or_else(|p| p.into_inner()).remove(&sign_in_id);
        self.workspace().await?.store_sign_in(result?, ConsentMethod::Ui).await
    }

    /// Stops a sign-in: the loopback port closes and nothing is stored.
    pub fn cancel_market_sign_in(&self, sign_in_id: Id) {
        if let Some(waiting) = self.sign_ins.lock().unwrap_or_else(|p| p.into_inner()).remove(&sign_in_id) {
            // A stored permit: a `finish` that has not started waiting yet still sees it.
            waiting.cancel.notify_one();
        }
    }

    fn cancel_every_sign_in(&self) {
        for (_, waiting) in self.sign_ins.lock().unwrap_or_else(|p| p.into_inner()).drain() {
            waiting.cancel.notify_one();
        }
    }

    /// Raises the workspace's lock signal, so that long work (a sync) stops
    /// at its next step and a marketplace request in flight is abandoned;
    /// stops a running integrity check; waits for running commands to
    /// finish; then closes the database (and stops the demo marketplace,
    /// which has saved everything already).
    pub async fn lock(&self) {
        self.cancel_every_sign_in();
        if let Some(signal) = self.locking.lock().unwrap_or_else(|p| p.into_inner()).take() {
            signal.raise();
        }
        if let Some(workspace) = self.open.read().await.as_ref() {
            workspace.stop_long_reads();
        }
        if let Some(workspace) = self.open.write().await.take() {
            self.stop_demo();
            workspace.lock().await;
        }
    }

    /// Stops a running integrity check without locking (see
    /// [`Workspace::stop_integrity_check`]); nothing happens when none runs,
    /// locked or not.
    pub async fn stop_integrity_check(&self) {
        if let Some(workspace) = self.open.read().await.as_ref() {
            workspace.stop_integrity_check();
        }
    }

    fn stop_demo(&self) {
        if let Some(host) = &self.demo {
            host.stop();
        }
    }

    /// Wipes the workspace (see [`Workspace::wipe`]); works locked too, since
    /// a forgotten passphrase is no reason to keep the data.
    pub async fn wipe(&self, confirm: &str) -> Result<crate::privacy::WipeReport> {
        let mut open = self.open.write().await;
        let Some(workspace) = open.as_ref() else {
            // Locked, the demo is not running. Also finishes an interrupted wipe.
            return Workspace::wipe_closed(&self.dir, confirm, self.env.clone()).await;
        };
        // Checked before the workspace is taken, so a typo leaves it open,
        // and so does another process that has it open too.
        if !workspace.is_named(confirm).await {
            return Err(crate::privacy::wipe::name_mismatch());
        }
        drop(workspace.hold_exclusively(crate::privacy::wipe::WIPE)?);
        match open.take() {
            Some(workspace) => {
                // Stopped first, so it cannot write its state file after the wipe.
                self.stop_demo();
                workspace.wipe(confirm).await
            }
            None => Err(Error::Locked),
        }
    }

    /// Wipes after asking every connected marketplace to erase the user's
    /// data. Needs the workspace unlocked (the tokens are inside). If any
    /// marketplace does not accept, the workspace stays open and unchanged and
    /// the error names them; [`Session::wipe`] is "wipe anyway".
    pub async fn wipe_asking_marketplaces(
        &self,
        confirm: &str,
        engine: &crate::sync::SyncEngine,
    ) -> Result<crate::privacy::WipeReport> {
        let mut open = self.open.write().await;
        let Some(workspace) = open.as_ref() else { return Err(Error::Locked) };
        // Held before any marketplace is asked, so a wipe another process
        // would refuse asks nobody; kept until the wipe is done.
        let only_us = workspace.hold_to_wipe(confirm).await?;
        workspace.request_erasure_before_wipe(confirm, engine).await?;
        // Stopped first, so it cannot write its state file after the wipe.
        self.stop_demo();
        let wiped = workspace.wipe_held(confirm, only_us).await;
        *open = None;
        wiped
    }

    /// The open workspace, or `locked`. Counts as use for the idle timer.
    pub async fn workspace(&self) -> Result<RwLockReadGuard<'_, Workspace>> {
        let guard = RwLockReadGuard::try_map(self.open.read().await, Option::as_ref).map_err(|_| Error::Locked)?;
        self.touch().await;
        Ok(guard)
    }

    /// A use the window reports (a screen opened), counted while analytics
    /// are on. It never fails the window: locked, nothing is counted; a
    /// failure is logged by its code alone (`Workspace::note_use`).
    pub async fn count_usage(&self, event: crate::privacy::UsageEvent) {
        if let Ok(workspace) = self.workspace().await {
            workspace.note_use(event).await;
        }
    }

    /// Locks when nothing used the workspace for `max_idle`; says whether it did.
    pub async fn lock_if_idle(&self, max_idle: Duration) -> bool {
        let idle = self.env.clock.now() - *self.last_used.lock().await;
        if idle < max_idle || self.open.read().await.is_none() {
            return false;
        }
        self.lock().await;
        true
    }

    /// The shell's timer calls this: locks by the user's idle preference.
    /// Reading the preference does not count as use.
    pub async fn enforce_idle_lock(&self) -> Result<bool> {
        let minutes = match self.open.read().await.as_ref() {
            Some(workspace) => workspace.preferences().await?.idle_lock_minutes,
            None => return Ok(false),
        };
        if minutes == 0 {
            return Ok(false);
        }
        Ok(self.lock_if_idle(Duration::minutes(minutes.into())).await)
    }

    /// The idle timer calls this too: after [`QUIET_AFTER`] without use, gives
    /// back the memory the database connections cache (a busy screen can
    /// leave 30-60 MB there), once per quiet spell; says whether it did.
    /// Not counted as use.
    pub async fn release_memory_if_quiet(&self) -> Result<bool> {
        let last_used = *self.last_used.lock().await;
        if self.env.clock.now() - last_used < QUIET_AFTER {
            return Ok(false);
        }
        let mut released_at = self.released_at.lock().await;
        if released_at.is_some_and(|at| at >= last_used) {
            return Ok(false);
        }
        match self.open.read().await.as_ref() {
            Some(workspace) => workspace.release_cache_memory().await?,
            None => return Ok(false),
        }
        *released_at = Some(self.env.clock.now());
        Ok(true)
    }

    /// Task reminders that came due, for the shell's notifications; none while
    /// locked. Like the idle check, this does not count as use.
    pub async fn due_reminders(&self) -> Result<Vec<crate::domain::Task>> {
        match self.open.read().await.as_ref() {
            Some(workspace) => workspace.take_due_reminders().await,
            None => Ok(Vec::new()),
        }
    }

    /// Retention rules, when due; none while locked. Not counted as use.
    pub async fn run_retention_if_due(&self) -> Result<Option<crate::privacy::RetentionSummary>> {
        match self.open.read().await.as_ref() {
            Some(workspace) => workspace.run_retention_if_due().await,
            None => Ok(None),
        }
    }

    /// The shell's sync timer: one pass over the marketplaces while unlocked,
    /// when `periodic` (its regular interval came round) or when a queued
    /// change is due now. `None` when locked or nothing is due. Like the idle
    /// check, this does not count as use, so sync never keeps a workspace open.
    pub async fn sync_if_due(
        &self,
        engine: &crate::sync::SyncEngine,
        periodic: bool,
    ) -> Result<Option<crate::sync::SyncReport>> {
        let open = self.open.read().await;
        let Some(workspace) = open.as_ref() else { return Ok(None) };
        if !periodic && !workspace.sync_due().await? {
            return Ok(None);
        }
        let never = std::sync::atomic::AtomicBool::new(false);
        engine.sync_once(workspace, &mut |_, _, _| {}, &never).await.map(Some)
    }

    /// Whether a workspace is open; not counted as use.
    pub async fn is_unlocked(&self) -> bool {
        self.open.read().await.is_some()
    }

    /// The shell's backup timer: the daily backup when one is due (the core
    /// decides by its clock), none while locked. Not counted as use, so it
    /// never keeps a workspace open. A failure is kept for
    /// [`Session::backup_status`] until a backup succeeds.
    pub async fn backup_if_due(&self) -> Result<Option<BackupInfo>> {
        let open = self.open.read().await;
        let Some(workspace) = open.as_ref() else { return Ok(None) };
        let taken = workspace.backup_if_due().await;
        self.note_backup(&taken);
        taken
    }

    /// "Back up now" in the window.
    pub async fn backup_now(&self) -> Result<BackupInfo> {
        let taken = self.workspace().await?.backup_now(BackupReason::Manual).await;
        self.note_backup(&taken);
        taken
    }

    /// Settings → Backups and the overdue banner; reading it is not use.
    pub async fn backup_status(&self) -> Result<BackupStatus> {
        let open = self.open.read().await;
        let workspace = open.as_ref().ok_or(Error::Locked)?;
        let mut status = workspace.backup_status().await?;
        status.last_error = self.backup_error.lock().unwrap_or_else(|p| p.into_inner()).clone();
        Ok(status)
    }

    fn note_backup<T>(&self, taken: &Result<T>) {
        let mut last = self.backup_error.lock().unwrap_or_else(|p| p.into_inner());
        match taken {
            Ok(_) => *last = None,
            // Locking stopped it: not a failure of the backup.
            Err(Error::Locked) => {}
            Err(err) => *last = Some(err.to_api()),
        }
    }

    fn watch_locking(&self, workspace: &Workspace) {
        *self.locking.lock().unwrap_or_else(|p| p.into_inner()) = Some(workspace.locking().clone());
    }

    async fn touch(&self) {
        *self.last_used.lock().await = self.env.clock.now();
    }
}
