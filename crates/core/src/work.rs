//! Long work the UI watches and may cancel (seeding now; import, export and
//! sync later): a progress report shape, the registry of cancel flags
//! keyed by a ticket the UI holds, and the [`LockSignal`] that locking
//! raises for all of them at once. The shell only passes reports along.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::watch;

/// One step of long work: `done` of `total` units of `phase`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Progress {
    /// Names the work for a later [`LongWork::cancel`].
    pub ticket: u64,
    pub phase: String,
    pub done: u64,
    pub total: u64,
}

/// The cancel flags of the work under way.
#[derive(Default)]
pub struct LongWork {
    next: AtomicU64,
    running: Mutex<HashMap<u64, Arc<AtomicBool>>>,
}

/// A registered piece of work; dropping it forgets its flag.
pub struct WorkTicket<'a> {
    registry: &'a LongWork,
    pub id: u64,
    pub cancel: Arc<AtomicBool>,
}

impl LongWork {
    pub fn start(&self) -> WorkTicket<'_> {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let cancel = Arc::new(AtomicBool::new(false));
        self.running.lock().expect("work registry poisoned").insert(id, cancel.clone());
        WorkTicket { registry: self, id, cancel }
    }

    /// Asks the work to stop at its next safe point; says whether it was running.
    pub fn cancel(&self, ticket: u64) -> bool {
        match self.running.lock().expect("work registry poisoned").get(&ticket) {
            Some(flag) => {
                flag.store(true, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }
}

impl WorkTicket<'_> {
    pub fn progress(&self, phase: &str, done: u64, total: u64) -> Progress {
        Progress { ticket: self.id, phase: phase.to_string(), done, total }
    }
}

impl Drop for WorkTicket<'_> {
    fn drop(&mut self) {
        self.registry.running.lock().expect("work registry poisoned").remove(&self.id);
    }
}

/// "The workspace is locking": raised once by `Session::lock` (the button,
/// the idle timer, quitting) before it waits for running work to let go of
/// the workspace, and never lowered (the workspace handle is closed after).
/// Long work checks [`LockSignal::is_raised`] at each step and stops there,
/// keeping what it committed; a step that waits on something outside (a
/// marketplace request) races it against [`LockSignal::raised`] and is
/// abandoned. Unlike a ticket's cancel flag it reaches every piece of work
/// on the workspace, whoever started it, so locking never waits on one.
#[derive(Debug)]
pub struct LockSignal {
    raised: watch::Sender<bool>,
}

impl Default for LockSignal {
    fn default() -> Self {
        LockSignal { raised: watch::Sender::new(false) }
    }
}

impl LockSignal {
    pub fn raise(&self) {
        self.raised.send_replace(true);
    }

    pub fn is_raised(&self) -> bool {
        *self.raised.borrow()
    }

    /// Returns once the signal is raised (at once if it already is).
    pub async fn raised(&self) {
        let mut watching = self.raised.subscribe();
        // The sender lives in `self`, so the channel cannot close meanwhile.
        let _ = watching.wait_for(|raised| *raised).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_reaches_only_the_named_running_work() {
        let work = LongWork::default();
        let first = work.start();
        let second = work.start();
        assert!(work.cancel(second.id));
        assert!(second.cancel.load(Ordering::Relaxed));
        assert!(!first.cancel.load(Ordering::Relaxed));
        let finished = first.id;
        drop(first);
        assert!(!work.cancel(finished), "finished work cannot be cancelled");
    }

    #[tokio::test]
    async fn a_lock_signal_wakes_whoever_waits_on_it_and_stays_raised() {
        let signal = std::sync::Arc::new(LockSignal::default());
        assert!(!signal.is_raised());
        let waiting = tokio::spawn({
            let signal = signal.clone();
            async move { signal.raised().await }
        });
        signal.raise();
        tokio::time::timeout(std::time::Duration::from_secs(30), waiting).await.expect("woken").expect("joined");
        assert!(signal.is_raised());
        // Raised already: returns at once.
        tokio::time::timeout(std::time::Duration::from_secs(30), signal.raised()).await.expect("at once");
    }
}
