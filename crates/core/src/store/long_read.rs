//! Stopping a long read from another task. The integrity check reads the
//! whole database (a minute at a million records); locking, by hand or when
//! idle, should not wait for it. Locking marks the workspace's long reads
//! stopped and interrupts the one running; a long read started after that is
//! refused.

use std::ptr::NonNull;
use std::sync::Mutex;

use libsqlite3_sys::{sqlite3, sqlite3_interrupt};
use sqlx::SqliteConnection;

use crate::error::{Error, Result};

/// The open connection a long read runs on.
struct RawConnection(NonNull<sqlite3>);

// SAFETY: the handle is only passed to `sqlite3_interrupt`, which SQLite
// documents as safe to call from any thread while the connection is open;
// `LongReads` holds it only between `start` and `finish`, both called by the
// owner of the connection before it is closed.
unsafe impl Send for RawConnection {}

#[derive(Default)]
struct State {
    stopped: bool,
    running: Option<RawConnection>,
}

/// The long reads of one workspace.
#[derive(Default)]
pub(crate) struct LongReads {
    state: Mutex<State>,
}

impl LongReads {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers `conn` as running a long read; refused once stopped. Call
    /// [`LongReads::finish`] before closing it.
    pub(crate) async fn start(&self, conn: &mut SqliteConnection) -> Result<()> {
        let raw = conn.lock_handle().await?.as_raw_handle();
        let mut state = self.state();
        if state.stopped {
            return Err(Error::Locked);
        }
        state.running = Some(RawConnection(raw));
        Ok(())
    }

    /// Refuses to go on once stopped: SQLite's interrupt only reaches a
    /// statement that is running, so each step asks between statements.
    pub(crate) fn go_on(&self) -> Result<()> {
        if self.state().stopped {
            return Err(Error::Locked);
        }
        Ok(())
    }

    /// What a long read's failure means: the workspace is locking, when it was stopped.
    pub(crate) fn explain(&self, err: Error) -> Error {
        if self.state().stopped {
            Error::Locked
        } else {
            err
        }
    }

    pub(crate) fn running(&self) -> bool {
        self.state().running.is_some()
    }

    pub(crate) fn finish(&self) {
        self.state().running = None;
    }

    /// Stops the running long read and every later one.
    pub(crate) fn stop(&self) {
        let mut state = self.state();
        state.stopped = true;
        if let Some(RawConnection(raw)) = &state.running {
            // SAFETY: registered connections are open until `finish`, which
            // cannot run while this guard is held.
            unsafe { sqlite3_interrupt(raw.as_ptr()) };
        }
    }
}
