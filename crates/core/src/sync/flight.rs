//! One sync pass at a time per workspace. "Sync now" pressed while the
//! background timer's pass runs (or two front ends in one process) must not
//! start a second pass beside it: two passes would send the same outbox row
//! twice. The first caller leads and runs the pass; a caller arriving while
//! it runs waits for it and gets that pass's report (`SyncReport::joined`).
//! If the leading pass fails or is dropped, a waiting caller takes the lead
//! and runs its own pass. Removing an account holds the same turn, so no pass
//! writes for an account that is being removed.
//!
//! Keyed by the workspace's database file, so two handles on one workspace
//! share the guard. Passes in other processes (the CLI beside the app) are
//! not covered: each is safe on its own (idempotency keys, one transaction
//! per step), they may only repeat a request.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use tokio::sync::watch;

use super::SyncReport;

type Running = HashMap<PathBuf, watch::Receiver<Option<SyncReport>>>;

fn running() -> &'static Mutex<Running> {
    static RUNNING: OnceLock<Mutex<Running>> = OnceLock::new();
    RUNNING.get_or_init(Mutex::default)
}

/// Whose turn it is.
pub(crate) enum Turn {
    /// Run the pass; [`Lead::finish`] hands its report to those waiting.
    Lead(Lead),
    /// A pass is running: wait for its report with [`follow`].
    Follow(watch::Receiver<Option<SyncReport>>),
}

/// The running pass of one workspace. Dropping it (done, failed, or the
/// future dropped) frees the workspace for the next pass.
pub(crate) struct Lead {
    key: PathBuf,
    report: watch::Sender<Option<SyncReport>>,
}

impl Lead {
    pub(crate) fn finish(self, report: &SyncReport) {
        // Nobody waiting is fine.
        let _ = self.report.send(Some(report.clone()));
    }
}

impl Drop for Lead {
    fn drop(&mut self) {
        running().lock().unwrap_or_else(|p| p.into_inner()).remove(&self.key);
    }
}

/// Takes the lead for `database`, or says which pass to wait for. Never
/// awaits, so the first of two callers started together always leads.
pub(crate) fn take_turn(database: PathBuf) -> Turn {
    let mut running = running().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(pass) = running.get(&database) {
        return Turn::Follow(pass.clone());
    }
    let (report, waiting) = watch::channel(None);
    running.insert(database.clone(), waiting);
    Turn::Lead(Lead { key: database, report })
}

/// The running pass's report, or `None` if it ended without one (it failed
/// or was dropped): then the caller takes its own turn.
pub(crate) async fn follow(mut pass: watch::Receiver<Option<SyncReport>>) -> Option<SyncReport> {
    match pass.wait_for(Option::is_some).await {
        Ok(report) => report.clone(),
        Err(_) => None,
    }
}
