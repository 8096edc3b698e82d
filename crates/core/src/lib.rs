//! bidwell-core: Bidwell's domain, its encrypted store, the vault that holds
//! the keys, and search. No Tauri, no UI: the desktop shell and the CLI are
//! thin layers over [`Workspace`].

pub mod audit;
pub mod backup;
pub mod bid_lifecycle;
pub mod bindings;
pub mod clock;
pub mod dashboard;
pub mod domain;
mod durable;
pub mod error;
pub mod id;
pub mod market_owned;
pub mod money;
pub mod portability;
pub mod preferences;
pub mod privacy;
pub mod process;
pub mod process_lock;
pub mod rates;
pub mod recovery_confirmation;
pub mod redact;
pub mod search;
pub mod secret;
pub mod seed;
pub mod session;
pub mod store;
pub mod sync;
pub mod vault;
pub mod work;
pub mod workspace;

/// The time types of the core's API, for callers (the shell) that name them.
pub use chrono;
pub use clock::{Clock, ManualClock, SystemClock};
pub use domain::*;
pub use error::{ApiError, Error, ErrorCode, ImportLocation, Result};
pub use id::Id;
pub use money::Money;
pub use preferences::{Preferences, Theme};
pub use process_lock::{ExclusiveHold, Holder, ProcessLock};
pub use recovery_confirmation::{RecoveryKeyOrigin, UnconfirmedRecoveryKey};
pub use search::{SearchHit, SearchIndexReport};
pub use session::{Session, SessionState, SignInStarted, QUIET_AFTER};
pub use store::*;
pub use workspace::{
    data_dir, DoctorReport, Environment, IntegrityOutcome, Workspace, WorkspacePaths, WorkspaceState, OPEN_BACKING_UP,
    OPEN_UPDATING,
};

pub use store::db::latest_schema_version;
#[cfg(feature = "unencrypted-baseline")]
pub use store::db::open_unencrypted_baseline;
