//! Stopping a long read from another task. The integrity check reads the
//! whole database (a minute at a million records); locking, by hand or when
//! idle, should not wait for it, and the user may stop it without locking.
//! Locking marks the workspace's long reads stopped and interrupts the one
//! running; a long read started after that is refused. Stopping by hand
//! interrupts only the read running now; the next one runs as usual.

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

impl RawConnection {
    fn interrupt(&self) {
        // SAFETY: registered connections are open until `finish`, which
        // cannot run while the caller holds the state's guard.
        unsafe { sqlite3_interrupt(self.0.as_ptr()) };
    }
}

/// The long read running now.
struct Running {
    conn: RawConnection,
    /// The user asked to stop this read (not the workspace's later ones).
    stop_asked: bool,
}

#[derive(Default)]
struct State {
    /// The workspace is locking: this read and every later one end.
    locking: bool,
    running: Option<Running>,
}

impl State {
    fn halt(&self) -> Option<Halt> {
        if self.locking {
            Some(Halt::Locking)
        } else if self.running.as_ref().is_some_and(|running| running.stop_asked) {
            Some(Halt::Stopped)
        } else {
            None
        }
    }
}

/// Why a long read ended before its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Halt {
    /// The workspace is locking (see [`LongReads::stop_all`]).
    Locking,
    /// The user stopped this read (see [`LongReads::stop_running`]).
    Stopped,
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

    /// Registers `conn` as running a long read; refused once locking. Call
    /// [`LongReads::finish`] before closing it.
    pub(crate) async fn start(&self, conn: &mut SqliteConnection) -> Result<()> {
        let raw = conn.lock_handle().await?.as_raw_handle();
        let mut state = self.state();
        if state.locking {
            return Err(Error::Locked);
        }
        state.running = Some(Running { conn: RawConnection(raw), stop_asked: false });
        Ok(())
    }

    /// Why the running read should end now, if it should.
    /// SQLite's interrupt only reaches a statement that is running, so a
    /// long read asks this between statements.
    pub(crate) fn halted(&self) -> Option<Halt> {
        self.state().halt()
    }

    pub(crate) fn running(&self) -> bool {
        self.state().running.is_some()
    }

    /// Unregisters the running read; says why it was halted, if it was.
    pub(crate) fn finish(&self) -> Option<Halt> {
        let mut state = self.state();
        let halt = state.halt();
        state.running = None;
        halt
    }

    /// Stops the running long read and every later one.
    pub(crate) fn stop_all(&self) {
        let mut state = self.state();
        state.locking = true;
        if let Some(running) = &state.running {
            running.conn.interrupt();
        }
    }

    /// Stops the running long read, if one runs; later ones run as usual.
    pub(crate) fn stop_running(&self) {
        if let Some(running) = self.state().running.as_mut() {
            running.stop_asked = true;
            running.conn.interrupt();
        }
    }
}
