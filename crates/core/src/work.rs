//! Long work the UI watches and may cancel (seeding now; import, export and
//! sync later): a progress report shape, and the registry of cancel flags
//! keyed by a ticket the UI holds. The shell only passes reports along.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;

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
}
