//! Whether the workspace's current recovery key has been confirmed as saved.
//!
//! A recovery key is shown once and never stored, so a key nobody saw is a
//! key nobody has: after a rotation the old key stops working, and if the new
//! one was never shown (the app died, the user closed the window on the
//! "I saved it" screen) the user is left without a way back in. The fact
//! "not confirmed yet" is therefore kept from the moment a key is made until
//! the user confirms it, and the UI asks for a new key while it is set.
//!
//! Where it is kept: one row of the encrypted `settings` table
//! (`vault.recovery_key_unconfirmed`; no row means confirmed).
//! - Not the key file: its JSON refuses unknown fields, so a new field would
//!   make every older Bidwell refuse the workspace; and the file is plaintext.
//! - Not a migration: `settings` exists since migration 0002 and this is one
//!   key-value fact.
//! - It still covers every crash window of a rotation, because
//!   `Workspace::rotate_key` writes the mark *before* `PRAGMA rekey`: the
//!   re-keyed pages carry it, so whichever key ends up in force the mark is
//!   there. A rotation that fails puts the previous value back. (A crash
//!   between the mark and the re-key leaves the mark on a workspace whose old
//!   key still works: a needless request for a new key, never a missing one.)
//! - `Workspace::open`, finishing an interrupted rotation, sets it again as
//!   `interrupted_rotation` (with an audit entry) before it promotes the
//!   staged key file, so a rotation started by an older Bidwell is covered too.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{Executor, Sqlite};

use crate::error::Result;
use crate::store::settings;
use crate::Workspace;

const KEY: &str = "vault.recovery_key_unconfirmed";

/// How the recovery key that was never confirmed came to be. The UI words
/// its request by this (and never by message text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum RecoveryKeyOrigin {
    /// Made with the workspace; there is no older key.
    Created,
    /// Made by a key rotation; the previous recovery key no longer works.
    Rotated,
    /// Made by a rotation that stopped before returning and was finished on
    /// unlock: nobody ever saw it, and the previous recovery key no longer works.
    InterruptedRotation,
}

impl RecoveryKeyOrigin {
    /// Whether the recovery key before this one stopped working.
    pub fn previous_key_revoked(self) -> bool {
        !matches!(self, RecoveryKeyOrigin::Created)
    }
}

/// The current recovery key has not been confirmed as saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct UnconfirmedRecoveryKey {
    pub origin: RecoveryKeyOrigin,
    /// When the key was made (or the interrupted rotation finished).
    pub since: DateTime<Utc>,
}

/// The stored value as it is, for putting it back after a failed rotation.
pub(crate) async fn stored<'c>(db: impl Executor<'c, Database = Sqlite>) -> Result<Option<String>> {
    settings::get(db, KEY).await
}

/// Records that the current recovery key is not confirmed as saved.
pub(crate) async fn mark<'c>(
    db: impl Executor<'c, Database = Sqlite>,
    origin: RecoveryKeyOrigin,
    now: DateTime<Utc>,
) -> Result<()> {
    let value = serde_json::json!(UnconfirmedRecoveryKey { origin, since: now }).to_string();
    put(db, Some(value), now).await
}

/// Writes `value` (a stored value from [`stored`]) back, or removes the row.
pub(crate) async fn put<'c>(
    db: impl Executor<'c, Database = Sqlite>,
    value: Option<String>,
    now: DateTime<Utc>,
) -> Result<()> {
    match value {
        Some(value) => settings::put(db, KEY, &value, now).await,
        None => settings::remove(db, KEY).await,
    }
}

impl Workspace {
    /// `Some` while the current recovery key has not been confirmed as saved.
    pub async fn unconfirmed_recovery_key(&self) -> Result<Option<UnconfirmedRecoveryKey>> {
        // A value this version cannot read still means "not confirmed":
        // losing the warning is worse than wording it generally.
        Ok(stored(&self.pool().await).await?.map(|value| {
            serde_json::from_str(&value).unwrap_or(UnconfirmedRecoveryKey {
                origin: RecoveryKeyOrigin::Rotated,
                since: DateTime::<Utc>::UNIX_EPOCH,
            })
        }))
    }

    /// The user confirmed they saved the current recovery key ("I saved it").
    /// Confirming when nothing is pending changes nothing.
    pub async fn confirm_recovery_key_saved(&self) -> Result<()> {
        put(&self.pool().await, None, self.now()).await
    }
}
