//! Which processes have a workspace open, and the one that may change its
//! keys. Every process that has the workspace open (the app, each `bidwell`
//! command) holds an OS advisory lock on `bidwell.lock` SHARED, so scripts
//! run beside the open app; a passphrase change, key rotation, restore, wipe
//! or schema migration needs it EXCLUSIVELY and is refused, never made to
//! wait, while another process has the workspace open. The refusal names the
//! holders: each leaves a small record in `bidwell.lock.d/` saying what it is
//! ([`Holder`]) and its process id.
//!
//! The locks are the standard library's `File::try_lock` and
//! `try_lock_shared` (flock on Unix, LockFileEx on Windows). They belong to
//! an open file handle, so two opens in one process conflict as two processes
//! do, and the OS drops them when the process ends, however it ends: a crash
//! never leaves the workspace locked.
//!
//! Neither flock nor LockFileEx turns a shared lock into an exclusive one in
//! place (flock may drop the lock on the way, LockFileEx cannot at all), so
//! going exclusive is: unlock shared, try exclusive, and on failure take
//! shared again. A second lock, `bidwell.lock.d/gate`, closes the gaps: every
//! process takes it (try only) before it unlocks its shared lock to go
//! exclusive, and keeps it until it is back to shared, so nobody else can
//! take the workspace exclusively while this process holds nothing. Opening
//! (shared) needs no gate.
//!
//! A holder record is `bidwell.lock.d/<pid>-<random>.holder`, locked shared
//! by its holder for as long as it holds the workspace. A reader that can
//! lock a record exclusively knows its holder is gone (the OS dropped the
//! lock) and removes it; so a record left by a killed process is never named,
//! and no process id is ever probed (which a reused id would fool). A shared
//! lock still lets other processes read the record on Windows, where
//! byte-range locks are otherwise mandatory. Records are written under a
//! temporary name and renamed once locked, so a half-made one is never
//! mistaken for a stale one.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The lock file every holder locks, in the workspace's directory.
pub const LOCK_FILE: &str = "bidwell.lock";
/// Where holders say who they are; also holds the gate.
pub const HOLDERS_DIR: &str = "bidwell.lock.d";
const GATE_FILE: &str = "gate";
const RECORD_SUFFIX: &str = ".holder";
/// A record is a line of JSON; anything longer is not one of ours.
const MAX_RECORD_BYTES: u64 = 4096;
/// A command's words as shown to other processes.
const MAX_COMMAND_CHARS: usize = 80;
/// Tries at opening a lock file that a wipe removed between open and lock.
const OPEN_ATTEMPTS: usize = 5;

/// Who has the workspace open, as other processes are told when refused.
/// The front end says what it is (`Environment::holder`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", content = "command", rename_all = "snake_case")]
pub enum Holder {
    /// The desktop app.
    App,
    /// A `bidwell` command, by its subcommand's words ("key rotate").
    Command(String),
    /// Anything else over the core (tests, benchmarks, other programs).
    #[default]
    Unnamed,
}

impl Holder {
    /// A `bidwell` command, by its subcommand's words.
    pub fn command(words: impl Into<String>) -> Self {
        Holder::Command(words.into())
    }

    /// "the Bidwell app (process 1234)", "a `bidwell key rotate` command (process 5678)".
    pub fn describe(&self, pid: u32) -> String {
        match self {
            Holder::App => format!("the Bidwell app (process {pid})"),
            Holder::Command(words) => {
                // Read back from a file another process wrote: shown as plain words only.
                let words: String = words
                    .chars()
                    .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
                    .take(MAX_COMMAND_CHARS)
                    .collect();
                format!("a `bidwell {}` command (process {pid})", words.trim())
            }
            Holder::Unnamed => format!("another Bidwell process (process {pid})"),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct RecordJson {
    pid: u32,
    holder: Holder,
}

/// This process's record in `bidwell.lock.d/`, locked shared while held.
struct HolderRecord {
    path: PathBuf,
    _file: File,
}

impl HolderRecord {
    fn write(dir: &Path, holder: &Holder) -> io::Result<HolderRecord> {
        let holders = dir.join(HOLDERS_DIR);
        create_private_dir(&holders)?;
        let pid = std::process::id();
        let name = format!("{pid}-{}", hex::encode(rand::random::<[u8; 8]>()));
        let tmp = holders.join(format!(".{name}.tmp"));
        let path = holders.join(format!("{name}{RECORD_SUFFIX}"));
        let made = (|| {
            let mut file = private_options().write(true).create_new(true).open(&tmp)?;
            let json = serde_json::to_vec(&RecordJson { pid, holder: holder.clone() }).map_err(io::Error::other)?;
            // Written before it is locked: on Windows a shared lock stops writes.
            file.write_all(&json)?;
            file.try_lock_shared().map_err(lock_error)?;
            std::fs::rename(&tmp, &path)?;
            Ok(file)
        })();
        match made {
            Ok(file) => Ok(HolderRecord { path, _file: file }),
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(e)
            }
        }
    }
}

impl Drop for HolderRecord {
    fn drop(&mut self) {
        // A record left behind is stale and ignored anyway; this keeps the folder small.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The live holders' descriptions, other than `own`; stale records go.
fn live_holders(dir: &Path, own: Option<&Path>) -> Vec<String> {
    let holders = dir.join(HOLDERS_DIR);
    let Ok(entries) = std::fs::read_dir(&holders) else { return Vec::new() };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let is_record = entry.file_name().to_string_lossy().ends_with(RECORD_SUFFIX);
        if !is_record || Some(path.as_path()) == own {
            continue;
        }
        // Opened by name after a remove: on Windows a deleted file can linger until closed.
        let Ok(mut file) = File::open(&path) else { continue };
        let mut bytes = Vec::new();
        if (&mut file).take(MAX_RECORD_BYTES).read_to_end(&mut bytes).is_err() {
            continue;
        }
        match file.try_lock() {
            // Nobody holds it: its process has ended.
            Ok(()) => {
                let _ = std::fs::remove_file(&path);
            }
            Err(TryLockError::WouldBlock) => match serde_json::from_slice::<RecordJson>(&bytes) {
                Ok(record) => found.push((record.pid, record.holder.describe(record.pid))),
                Err(_) => found.push((u32::MAX, "another process".to_string())),
            },
            Err(TryLockError::Error(_)) => {}
        }
    }
    found.sort();
    found.dedup();
    found.into_iter().map(|(_, text)| text).collect()
}

/// Who holds the workspace in `dir` now (live holders only), as other
/// processes would be told; empty when nobody has it open.
pub fn holders(dir: &Path) -> Vec<String> {
    live_holders(dir, None)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Shared,
    Exclusive,
}

/// Opens (creating it if absent) and locks `path`, or `None` when another
/// handle holds a conflicting lock. A lock file a wipe removed between our
/// open and our lock is no lock at all, so the name is checked afterwards.
fn open_and_try_lock(path: &Path, kind: Kind) -> io::Result<Option<File>> {
    for _ in 0..OPEN_ATTEMPTS {
        let file = private_options().read(true).write(true).create(true).truncate(false).open(path)?;
        let locked = match kind {
            Kind::Shared => file.try_lock_shared(),
            Kind::Exclusive => file.try_lock(),
        };
        match locked {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Ok(None),
            Err(TryLockError::Error(e)) => return Err(e),
        }
        if still_named(&file, path)? {
            return Ok(Some(file));
        }
    }
    Err(io::Error::other("the lock file keeps being removed; try again"))
}

/// Whether `path` still names the file `file` has open.
fn still_named(file: &File, path: &Path) -> io::Result<bool> {
    let on_disk = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let open = file.metadata()?;
        Ok(open.dev() == on_disk.dev() && open.ino() == on_disk.ino())
    }
    // Windows does not let a name be reused while the removed file is still
    // open; that the name exists is what can be checked with std alone.
    #[cfg(not(unix))]
    {
        let _ = (file, on_disk);
        Ok(true)
    }
}

fn lock_error(err: TryLockError) -> io::Error {
    match err {
        TryLockError::WouldBlock => io::Error::new(io::ErrorKind::WouldBlock, "locked by another process"),
        TryLockError::Error(e) => e,
    }
}

fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        match std::fs::DirBuilder::new().mode(0o700).create(dir) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => Err(e),
            _ => Ok(()),
        }
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
}

struct State {
    /// The gate, held while this process is (or is going) exclusive.
    gate: Option<File>,
    exclusive: bool,
    /// The lock files were removed (a wipe): nothing to go back to.
    removed: bool,
}

/// One holder's lock on a workspace directory: shared from
/// [`ProcessLock::shared`] for as long as the workspace is open, exclusive
/// within an [`ExclusiveHold`]. Dropping it releases everything.
pub struct ProcessLock {
    dir: PathBuf,
    holder: Holder,
    file: File,
    record: HolderRecord,
    state: Mutex<State>,
}

impl std::fmt::Debug for ProcessLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessLock").field("dir", &self.dir).field("holder", &self.holder).finish_non_exhaustive()
    }
}

impl ProcessLock {
    /// Holds the workspace in `dir` shared: what every process does while it
    /// has the workspace open. Refused with `workspace_in_use` while another
    /// process holds it exclusively (changing keys, restoring, wiping or
    /// migrating), naming it.
    pub fn shared(dir: &Path, holder: &Holder) -> Result<ProcessLock> {
        let path = dir.join(LOCK_FILE);
        let record = HolderRecord::write(dir, holder).map_err(|e| Error::io(dir.join(HOLDERS_DIR), e))?;
        match open_and_try_lock(&path, Kind::Shared).map_err(|e| Error::io(&path, e))? {
            Some(file) => Ok(ProcessLock {
                dir: dir.to_path_buf(),
                holder: holder.clone(),
                file,
                record,
                state: Mutex::new(State { gate: None, exclusive: false, removed: false }),
            }),
            None => Err(Error::WorkspaceInUse {
                dir: dir.to_path_buf(),
                action: None,
                holders: live_holders(dir, Some(&record.path)),
            }),
        }
    }

    /// Holds the workspace in `dir` exclusively from the start, for work on
    /// a workspace this process has not opened (a wipe without unlocking, a
    /// restore over a damaged key file). `action` says what is refused
    /// ("wipe the workspace"). Dropping the lock releases it.
    pub fn exclusive(dir: &Path, holder: &Holder, action: &str) -> Result<ProcessLock> {
        let lock = ProcessLock::shared(dir, holder).map_err(|e| with_action(e, action))?;
        lock.go_exclusive(action)?;
        Ok(lock)
    }

    /// Holds the workspace exclusively until the returned hold drops, then
    /// shared again. Refused with `workspace_in_use` naming the other
    /// holders while any other process (or another handle in this one) has
    /// the workspace open; nothing waits.
    pub fn hold_exclusively(&self, action: &str) -> Result<ExclusiveHold<'_>> {
        self.go_exclusive(action)?;
        Ok(ExclusiveHold { lock: self })
    }

    fn in_use(&self, action: &str) -> Error {
        Error::WorkspaceInUse {
            dir: self.dir.clone(),
            action: Some(action.to_string()),
            holders: live_holders(&self.dir, Some(&self.record.path)),
        }
    }

    fn go_exclusive(&self, action: &str) -> Result<()> {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if state.exclusive || state.removed {
            // Another task of this process is changing the workspace.
            return Err(Error::WorkspaceInUse {
                dir: self.dir.clone(),
                action: Some(action.to_string()),
                holders: vec![self.holder.describe(std::process::id())],
            });
        }
        let holders = self.dir.join(HOLDERS_DIR);
        let gate_path = holders.join(GATE_FILE);
        create_private_dir(&holders).map_err(|e| Error::io(&holders, e))?;
        let Some(gate) = open_and_try_lock(&gate_path, Kind::Exclusive).map_err(|e| Error::io(&gate_path, e))? else {
            return Err(self.in_use(action));
        };
        let lock_path = self.dir.join(LOCK_FILE);
        self.file.unlock().map_err(|e| Error::io(&lock_path, e))?;
        match self.file.try_lock() {
            Ok(()) => {
                state.gate = Some(gate);
                state.exclusive = true;
                Ok(())
            }
            Err(err) => {
                // Holding the gate, nobody can hold the lock exclusively, so
                // taking it shared again cannot be refused.
                let back = self.file.try_lock_shared();
                let refused = match err {
                    TryLockError::WouldBlock => self.in_use(action),
                    TryLockError::Error(e) => Error::io(&lock_path, e),
                };
                drop(gate);
                back.map_err(|e| Error::io(&lock_path, lock_error(e)))?;
                Err(refused)
            }
        }
    }

    fn back_to_shared(&self) {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if !state.exclusive {
            return;
        }
        state.exclusive = false;
        if !state.removed {
            // The gate is still held, so no other process can slip in
            // between the unlock and the shared lock.
            let back = self.file.unlock().map_err(TryLockError::Error).and_then(|()| self.file.try_lock_shared());
            if let Err(e) = back {
                tracing::warn!(error = %lock_error(e), "could not go back to a shared lock on the workspace");
            }
        }
        state.gate = None;
    }

    /// The last step of a wipe, while held exclusively: removes the lock
    /// file and the holders' folder, so nothing of the workspace is left.
    fn remove_files(&self) {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if !state.exclusive {
            return;
        }
        state.removed = true;
        let holders = self.dir.join(HOLDERS_DIR);
        if let Ok(entries) = std::fs::read_dir(&holders) {
            for entry in entries.flatten() {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        // Closed first: Windows removes an open file only once it is closed.
        state.gate = None;
        let _ = std::fs::remove_dir(&holders);
        // Other processes check after locking that the name is still this
        // file, so one that opened it before the removal tries again.
        let _ = std::fs::remove_file(self.dir.join(LOCK_FILE));
    }
}

/// The workspace held exclusively; dropping it goes back to shared.
#[must_use = "the workspace is held exclusively only while this lives"]
pub struct ExclusiveHold<'a> {
    lock: &'a ProcessLock,
}

impl ExclusiveHold<'_> {
    /// For a wipe: removes the lock files (see `ProcessLock::remove_files`).
    pub(crate) fn remove_lock_files(&self) {
        self.lock.remove_files();
    }
}

impl Drop for ExclusiveHold<'_> {
    fn drop(&mut self) {
        self.lock.back_to_shared();
    }
}

impl ProcessLock {
    /// For a wipe without unlocking: see `remove_files`.
    pub(crate) fn remove_lock_files(&self) {
        self.remove_files();
    }

    /// Ends the exclusive hold taken by [`ProcessLock::exclusive`]: the lock
    /// is shared again (the gate is kept until then, so no other process
    /// can take it exclusively in between), for the workspace this process
    /// then opens with it (a restore with the recovery key).
    pub(crate) fn into_shared(self) -> ProcessLock {
        self.back_to_shared();
        self
    }
}

fn with_action(err: Error, action: &str) -> Error {
    match err {
        Error::WorkspaceInUse { dir, holders, .. } => {
            Error::WorkspaceInUse { dir, action: Some(action.to_string()), holders }
        }
        other => other,
    }
}
