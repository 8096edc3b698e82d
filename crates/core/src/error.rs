//! The one error shape of the core. Every failure has a stable [`ErrorCode`]
//! the UI and scripts switch on, a user-facing message that never carries SQL
//! text or secrets, and a flag saying whether trying again can help.

use std::path::PathBuf;

use serde::Serialize;

use crate::domain::{BidStatus, EntityKind};
use crate::vault::VaultError;

/// Stable codes; renaming one is a breaking change for the UI and scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    NotFound,
    Validation,
    InvalidTransition,
    WorkspaceExists,
    WorkspaceMissing,
    WorkspaceInconsistent,
    Locked,
    KeyFileInvalid,
    WrongPassphrase,
    WrongRecoveryKey,
    WrongUnlockMethod,
    KeychainUnavailable,
    KeychainEntryMissing,
    KeychainMismatch,
    NeedsPrimaryUnlock,
    /// Erasure refused while a marketplace is still acting on the client's bids or money.
    ErasureBlocked,
    DatabaseCorrupt,
    DatabaseBusy,
    Database,
    Io,
    Internal,
    /// A file being imported is refused; `ApiError::location` says where.
    ImportInvalid,
    /// An archive import needs an empty workspace.
    WorkspaceNotEmpty,
    /// An export archive needs a password, or the one given is wrong.
    ArchivePassword,
    /// The user cancelled a long operation; nothing was written.
    Cancelled,
    /// A marketplace did not accept the request to erase the user's data, so a
    /// wipe that was to ask first did not happen (the user may wipe anyway).
    ErasureRequestFailed,
    /// A hand move of a bid's status that its marketplace decides (shortlisted,
    /// awarded, rejected); it arrives with sync.
    MarketplaceOwned,
    /// Another process has the workspace open, so this one may not change
    /// its keys, restore, wipe or migrate it; or another process is doing
    /// one of those, so this one may not open it now. The message names the
    /// holders ("the Bidwell app (process 1234)"). Nothing was changed.
    WorkspaceInUse,
    /// The key file on disk is no longer the one this process loaded or last
    /// wrote: another process changed it. Nothing was written; lock and
    /// unlock the workspace to read the new one.
    KeyFileChanged,
    /// A wipe of this workspace was started and did not finish: it cannot be
    /// opened or replaced, only finished (wipe it again with its name).
    WipeInterrupted,
    /// A backup snapshot is unreadable, incomplete, of another workspace, or
    /// this workspace holds no key for it; the message names its folder.
    BackupInvalid,
    /// Signing in to a marketplace did not finish: the browser did not come
    /// back, the marketplace refused, or its answer was not for this sign-in.
    /// Nothing was stored; the message says which.
    SignInFailed,
}

/// What crosses a boundary (IPC, `--json`): `{ "code": …, "message": …, "transient": … }`,
/// with `field` for a `validation` error.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ApiError {
    pub code: ErrorCode,
    /// What went wrong. For a `validation` error it is about `field` alone
    /// ("is not an e-mail address"), to be shown beside that field.
    pub message: String,
    pub transient: bool,
    /// The field a `validation` error is about, as the core's record names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<String>,
    /// Where in an imported file the problem is (only for `import_invalid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub location: Option<ImportLocation>,
}

/// A place in a file being imported: the file's name inside the import (a
/// CSV or vCard file's own name, or an entry of an export archive), the
/// 1-based line when known, and the field (the column header, property or
/// JSON key as written in the file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ImportLocation {
    pub file: String,
    pub line: Option<u64>,
    pub field: Option<String>,
}

impl std::fmt::Display for ImportLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, " line {line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ", field {field:?}")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error("{kind} {id} was not found")]
    NotFound { kind: EntityKind, id: String },
    #[error("{field}: {message}")]
    Validation { field: String, message: String },
    #[error("a bid cannot move from {from} to {to}: {}", from.refusal(*to).unwrap_or("it is already there"))]
    InvalidTransition { from: BidStatus, to: BidStatus },
    #[error("a workspace already exists in {}", path.display())]
    WorkspaceExists { path: PathBuf },
    #[error("no workspace in {}: run `bidwell init` to create one", path.display())]
    WorkspaceMissing { path: PathBuf },
    #[error("{}", .0)]
    Inconsistent(String),
    #[error("the workspace is locked; unlock it first")]
    Locked,
    #[error("this client cannot be erased yet: {}; erase it once they are settled", reasons.join("; "))]
    ErasureBlocked { reasons: Vec<String> },
    #[error(
        "the database {} could not be read with this key file: the database is damaged, or the key file is \
         older than it (restored from a backup made before a key rotation?)",
        path.display()
    )]
    DatabaseCorrupt { path: PathBuf },
    #[error("the database is busy; try again")]
    DatabaseBusy,
    #[error("database error{}", code.as_deref().map(|c| format!(" (sqlite code {c})")).unwrap_or_default())]
    Database { code: Option<String> },
    #[error("updating the database to this version of Bidwell failed{}; nothing was changed", .0.map(|v| format!(" at step {v}")).unwrap_or_default())]
    Migration(Option<i64>),
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{location}: {message}")]
    ImportInvalid { location: ImportLocation, message: String },
    #[error("{0}")]
    WorkspaceNotEmpty(String),
    #[error("{0}")]
    ArchivePassword(String),
    #[error("cancelled; nothing was written")]
    Cancelled,
    #[error(
        "not every marketplace accepted the request to erase your data: {}. {}",
        failed.join("; "),
        if *before_wipe { "Nothing was wiped; try again later, or wipe without asking the marketplaces" }
        else { "Try again later" }
    )]
    ErasureRequestFailed { failed: Vec<String>, before_wipe: bool },
    #[error("a bid on a marketplace cannot be moved to {to} by hand: {reason}")]
    MarketplaceOwned { to: BidStatus, reason: &'static str },
    /// `action` is what was refused ("rotate the key"); `None` when opening was.
    #[error("{}", in_use_message(dir, action.as_deref(), holders))]
    WorkspaceInUse { dir: PathBuf, action: Option<String>, holders: Vec<String> },
    #[error(
        "wiping the workspace \"{name}\" in {} was started and did not finish: finish it by wiping it again \
         (type its name); it can no longer be opened",
        dir.display()
    )]
    WipeInterrupted { name: String, dir: PathBuf },
    #[error("backup {0}")]
    BackupInvalid(String),
    #[error("signing in to {marketplace} did not finish: {reason}")]
    SignInFailed { marketplace: String, reason: String, transient: bool },
}

fn in_use_message(dir: &std::path::Path, action: Option<&str>, holders: &[String]) -> String {
    let who = match holders {
        [] => "another process".to_string(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    };
    match action {
        Some(action) => format!(
            "cannot {action} while the workspace in {} is open in {who}: close it there (lock the app, or let \
             the command finish) and try again; nothing was changed",
            dir.display()
        ),
        None => format!(
            "the workspace in {} cannot be opened now: {who} is changing it (its keys, a restore, a wipe or an \
             update); try again when that has finished",
            dir.display()
        ),
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Validation { field: field.into(), message: message.into() }
    }

    /// The same error, a refused field named as a part of `part`
    /// ("limit" of the bids → "bids.limit"): a request of several parts
    /// says which part was refused.
    pub fn in_field(self, part: &str) -> Self {
        match self {
            Error::Validation { field, message } => Error::Validation { field: format!("{part}.{field}"), message },
            other => other,
        }
    }

    pub fn not_found(kind: EntityKind, id: impl ToString) -> Self {
        Error::NotFound { kind, id: id.to_string() }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Vault(v) => v.code(),
            Error::NotFound { .. } => ErrorCode::NotFound,
            Error::Validation { .. } => ErrorCode::Validation,
            Error::InvalidTransition { .. } => ErrorCode::InvalidTransition,
            Error::WorkspaceExists { .. } => ErrorCode::WorkspaceExists,
            Error::WorkspaceMissing { .. } => ErrorCode::WorkspaceMissing,
            Error::Inconsistent(_) => ErrorCode::WorkspaceInconsistent,
            Error::Locked => ErrorCode::Locked,
            Error::ErasureBlocked { .. } => ErrorCode::ErasureBlocked,
            Error::DatabaseCorrupt { .. } => ErrorCode::DatabaseCorrupt,
            Error::DatabaseBusy => ErrorCode::DatabaseBusy,
            Error::Database { .. } | Error::Migration(_) => ErrorCode::Database,
            Error::Io { .. } => ErrorCode::Io,
            Error::ImportInvalid { .. } => ErrorCode::ImportInvalid,
            Error::WorkspaceNotEmpty(_) => ErrorCode::WorkspaceNotEmpty,
            Error::ArchivePassword(_) => ErrorCode::ArchivePassword,
            Error::Cancelled => ErrorCode::Cancelled,
            Error::ErasureRequestFailed { .. } => ErrorCode::ErasureRequestFailed,
            Error::MarketplaceOwned { .. } => ErrorCode::MarketplaceOwned,
            Error::WorkspaceInUse { .. } => ErrorCode::WorkspaceInUse,
            Error::WipeInterrupted { .. } => ErrorCode::WipeInterrupted,
            Error::BackupInvalid(_) => ErrorCode::BackupInvalid,
            Error::SignInFailed { .. } => ErrorCode::SignInFailed,
        }
    }

    /// Whether the same call may succeed later without the user changing anything.
    pub fn is_transient(&self) -> bool {
        // In use: the same call works once the other process has finished.
        matches!(self, Error::DatabaseBusy | Error::WorkspaceInUse { .. } | Error::SignInFailed { transient: true, .. })
    }

    pub fn to_api(&self) -> ApiError {
        let location = match self {
            Error::ImportInvalid { location, .. } => Some(location.clone()),
            _ => None,
        };
        let (message, field) = match self {
            Error::Validation { field, message } => (message.clone(), Some(field.clone())),
            _ => (self.to_string(), None),
        };
        ApiError { code: self.code(), message, transient: self.is_transient(), field, location }
    }

    /// A refused import: `file` line `line`, field `field`: `message`.
    pub fn import_invalid(
        file: impl Into<String>,
        line: Option<u64>,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Error::ImportInvalid {
            location: ImportLocation { file: file.into(), line, field: field.map(str::to_string) },
            message: message.into(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }
}

impl VaultError {
    pub fn code(&self) -> ErrorCode {
        match self {
            VaultError::NoKeychain { .. } => ErrorCode::KeychainUnavailable,
            VaultError::KeychainEntryMissing => ErrorCode::KeychainEntryMissing,
            VaultError::Keychain { .. } | VaultError::KeychainNoAnswer { .. } => ErrorCode::KeychainUnavailable,
            VaultError::WrongPassphrase => ErrorCode::WrongPassphrase,
            VaultError::WrongRecoveryKey | VaultError::RecoveryKeyMalformed => ErrorCode::WrongRecoveryKey,
            VaultError::KeychainKeyMismatch => ErrorCode::KeychainMismatch,
            VaultError::WrongUnlockMethod { .. } => ErrorCode::WrongUnlockMethod,
            VaultError::PassphraseTooShort { .. } | VaultError::InvalidKdfParams { .. } => ErrorCode::Validation,
            VaultError::KeyFileMissing { .. }
            | VaultError::KeyFileMalformed { .. }
            | VaultError::KeyFileUnsupported { .. } => ErrorCode::KeyFileInvalid,
            VaultError::NeedsPrimaryUnlock => ErrorCode::NeedsPrimaryUnlock,
            VaultError::KeyFileChanged { .. } => ErrorCode::KeyFileChanged,
            VaultError::Io { .. } => ErrorCode::Io,
            VaultError::Crypto => ErrorCode::Internal,
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        // Keep the SQLite code, drop the text: it can quote schema or values.
        match &err {
            sqlx::Error::Database(db) => {
                let code = db.code().map(|c| c.into_owned());
                match code.as_deref() {
                    // SQLITE_BUSY, SQLITE_LOCKED and their extended codes.
                    Some(c)
                        if c == "5" || c == "6" || c.parse::<i32>().is_ok_and(|n| n & 0xff == 5 || n & 0xff == 6) =>
                    {
                        Error::DatabaseBusy
                    }
                    _ => {
                        tracing::warn!(sqlite_code = ?code, "database error");
                        Error::Database { code }
                    }
                }
            }
            sqlx::Error::PoolTimedOut => Error::DatabaseBusy,
            other => {
                tracing::warn!(kind = %error_kind(other), "database error");
                Error::Database { code: None }
            }
        }
    }
}

fn error_kind(err: &sqlx::Error) -> &'static str {
    match err {
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => "decode",
        sqlx::Error::RowNotFound => "row_not_found",
        sqlx::Error::Io(_) => "io",
        sqlx::Error::PoolClosed => "pool_closed",
        _ => "other",
    }
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        use sqlx::migrate::MigrateError as M;
        // SQLite's text can quote the schema; keep only which step failed.
        let step = match &err {
            M::ExecuteMigration(_, v) | M::VersionMismatch(v) | M::VersionMissing(v) => Some(*v),
            _ => None,
        };
        tracing::warn!(step = ?step, "migration failed");
        Error::Migration(step)
    }
}
