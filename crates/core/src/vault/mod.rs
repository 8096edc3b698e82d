//! The vault: how a workspace's SQLCipher key is kept at rest.
//!
//! A random [`DataKey`](crate::secret::DataKey) is the database key. It is
//! stored only wrapped (AES-256-GCM) in a small JSON key file beside the
//! database ([`KeyFile`]), once per slot: one primary slot (a wrapping key in
//! the OS keychain, or one derived from a passphrase with Argon2id) and one
//! recovery slot (derived from the printable recovery key). This module owns
//! the shared types and errors; `keyfile` owns the file format and the
//! wrapping, `keychain` the OS keychain access.

mod keychain;
pub(crate) mod keyfile;

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::secret::{Passphrase, RecoveryKey, WrappingKey};

pub use keychain::mock::MemoryKeyStore;
pub(crate) use keychain::off_runtime;
pub use keychain::{keychain_account, KeyStore, OsKeychain, KEYCHAIN_SERVICE, KEYCHAIN_TIME_LIMIT};
pub use keyfile::KeyFile;

/// Shortest passphrase accepted when one is set (counted in characters).
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// How a new workspace's primary slot is protected.
#[derive(Debug)]
pub enum Protection {
    /// A random wrapping key kept in the OS keychain.
    Keychain,
    /// A wrapping key derived from this passphrase.
    Passphrase(Passphrase),
}

impl Protection {
    pub fn kind(&self) -> ProtectionKind {
        match self {
            Protection::Keychain => ProtectionKind::Keychain,
            Protection::Passphrase(_) => ProtectionKind::Passphrase,
        }
    }
}

/// The credential offered to open a workspace.
#[derive(Debug)]
pub enum Unlock {
    Keychain,
    Passphrase(Passphrase),
    RecoveryKey(RecoveryKey),
}

/// Which kind of primary slot a workspace has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ProtectionKind {
    Keychain,
    Passphrase,
}

impl fmt::Display for ProtectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProtectionKind::Keychain => "the system keychain",
            ProtectionKind::Passphrase => "a passphrase",
        })
    }
}

/// Argon2id cost parameters, stored beside each derived slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for KdfParams {
    /// 64 MiB, 3 passes, 1 lane: about 0.2 s in a release build.
    fn default() -> Self {
        KdfParams { memory_kib: 65536, iterations: 3, parallelism: 1 }
    }
}

impl KdfParams {
    /// 8 MiB, 1 pass: FOR TESTS ONLY. Far too cheap to protect a real
    /// passphrase against guessing.
    pub const fn light() -> Self {
        KdfParams { memory_kib: 8192, iterations: 1, parallelism: 1 }
    }
}

/// The primary slot's wrapping key, held after an unlock with the primary
/// credential so that key rotation can re-wrap the primary slot without
/// asking again. Zeroized on drop (through [`WrappingKey`]); its `Debug`
/// only says whether a key is held.
pub struct UnlockedSlots {
    primary: Option<WrappingKey>,
}

impl UnlockedSlots {
    /// True when unlocked with the keychain or the passphrase, false when
    /// unlocked with the recovery key.
    pub fn has_primary(&self) -> bool {
        self.primary.is_some()
    }

    pub(crate) fn with_primary(key: WrappingKey) -> UnlockedSlots {
        UnlockedSlots { primary: Some(key) }
    }

    pub(crate) fn recovery_only() -> UnlockedSlots {
        UnlockedSlots { primary: None }
    }

    pub(crate) fn primary(&self) -> Option<&WrappingKey> {
        self.primary.as_ref()
    }
}

impl fmt::Debug for UnlockedSlots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnlockedSlots").field("has_primary", &self.has_primary()).finish()
    }
}

/// Everything that can go wrong opening or changing a workspace's key.
/// Messages are meant for the user; none ever contains key material, a
/// passphrase or a recovery key.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(
        "no usable system keychain ({backend}): {reason}. Unlock the keychain and try again, \
         or protect the workspace with a passphrase instead"
    )]
    NoKeychain { backend: &'static str, reason: String },

    #[error(
        "this workspace's key is missing from the system keychain; \
         open the workspace with its recovery key"
    )]
    KeychainEntryMissing,

    #[error("system keychain error: {reason}")]
    Keychain { reason: String },

    /// The keychain neither answered nor failed within its time limit (a
    /// locked Secret Service waiting on a prompt nobody sees, say).
    #[error("the system keychain ({backend}) did not answer within {} s", limit.as_secs_f64())]
    KeychainNoAnswer { backend: &'static str, limit: std::time::Duration },

    #[error("wrong passphrase: the key file could not be unlocked; nothing was changed")]
    WrongPassphrase,

    #[error(
        "wrong recovery key: the key file could not be unlocked; check it for typos \
         (nothing was changed)"
    )]
    WrongRecoveryKey,

    #[error(
        "the key in the system keychain does not open this workspace's key file \
         (it belongs to another workspace, or the key file was altered); \
         open the workspace with its recovery key"
    )]
    KeychainKeyMismatch,

    #[error("this workspace is protected by {expected}; unlock it with that, or with the recovery key")]
    WrongUnlockMethod { expected: ProtectionKind },

    #[error(
        "that is not a valid recovery key: expected 32 letters and digits, \
         shown in groups of four like ABCD-EFGH-…"
    )]
    RecoveryKeyMalformed,

    #[error("the passphrase is too short: use at least {min} characters")]
    PassphraseTooShort { min: usize },

    #[error(
        "key file not found at {}: the workspace cannot be opened without it; \
         restore it from a backup",
        path.display()
    )]
    KeyFileMissing { path: PathBuf },

    #[error("key file {} is damaged or is not a Bidwell key file: {reason}", path.display())]
    KeyFileMalformed { path: PathBuf, reason: String },

    #[error(
        "key file {} has an unsupported format ({found}); it may come from a newer \
         version of Bidwell: update Bidwell to open it",
        path.display()
    )]
    KeyFileUnsupported { path: PathBuf, found: String },

    /// Checked before every key-file write (see `KeyFile::check_unchanged`).
    #[error(
        "the key file {} was changed by another process since this one opened the workspace; nothing was \
         written: lock the workspace and unlock it again",
        path.display()
    )]
    KeyFileChanged { path: PathBuf },

    #[error("invalid key derivation settings: {reason}")]
    InvalidKdfParams { reason: String },

    #[error(
        "this needs the workspace unlocked with its passphrase or the system keychain, \
         not the recovery key; unlock it that way and try again"
    )]
    NeedsPrimaryUnlock,

    #[error("could not access {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("internal encryption error while protecting the workspace key; nothing was written")]
    Crypto,
}
