//! Files the user chose in a native dialog, kept on the trusted side.
//!
//! The window never names a filesystem path: a compromised page could
//! otherwise export the workspace to any place it likes, or read any file
//! the user can. The shell runs the dialog, remembers its answer here, and
//! gives the page an opaque handle and the file's name to show. Export and
//! import take the handle back; a handle for a save is good once, for the
//! kind of file it was chosen for.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::FileKind;
use crate::error::{Error, Result};

/// How many choices are remembered at once; older ones expire first.
const REMEMBERED: usize = 16;

/// A dialog's answer as the window sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ChosenFile {
    /// Opaque and unguessable (128 random bits); names nothing by itself.
    pub handle: String,
    /// The file's name without its folder, to show the user.
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// Where to write an export of this kind: used once.
    Save(FileKind),
    /// A file to import: kept for a check and then the import itself.
    Open,
}

struct Entry {
    handle: String,
    path: PathBuf,
    purpose: Purpose,
}

/// The shell's memory of dialog answers.
#[derive(Default)]
pub struct ChosenFiles {
    entries: Mutex<VecDeque<Entry>>,
}

impl ChosenFiles {
    /// Remembers where the user chose to save a file of `kind`.
    pub fn chose_save(&self, path: PathBuf, kind: FileKind) -> ChosenFile {
        self.remember(path, Purpose::Save(kind))
    }

    /// Remembers the file the user chose to import.
    pub fn chose_open(&self, path: PathBuf) -> ChosenFile {
        self.remember(path, Purpose::Open)
    }

    /// The place to write an export of `kind` to; the handle is spent.
    pub fn take_save_target(&self, handle: &str, kind: FileKind) -> Result<PathBuf> {
        let mut entries = self.lock();
        let at =
            entries.iter().position(|e| e.handle == handle && e.purpose == Purpose::Save(kind)).ok_or_else(expired)?;
        Ok(entries.remove(at).map(|e| e.path).expect("the position was just found"))
    }

    /// The file to import; the handle stays good for the import after a check.
    pub fn file_to_open(&self, handle: &str) -> Result<PathBuf> {
        let entries = self.lock();
        entries
            .iter()
            .find(|e| e.handle == handle && e.purpose == Purpose::Open)
            .map(|e| e.path.clone())
            .ok_or_else(expired)
    }

    /// Forgets every choice (on lock: the next user of the window starts clean).
    pub fn forget_all(&self) {
        self.lock().clear();
    }

    fn remember(&self, path: PathBuf, purpose: Purpose) -> ChosenFile {
        let mut bytes = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut bytes);
        let handle: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let name = display_name(&path);
        let mut entries = self.lock();
        if entries.len() == REMEMBERED {
            entries.pop_front();
        }
        entries.push_back(Entry { handle: handle.clone(), path, purpose });
        ChosenFile { handle, name }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Entry>> {
        // A panic while holding it cannot leave the list half-changed.
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn display_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

fn expired() -> Error {
    Error::validation("file", "that file choice is no longer valid; choose the file again")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_save_handle_gives_its_path_once_and_only_for_its_kind() {
        let files = ChosenFiles::default();
        let chosen = files.chose_save(PathBuf::from("/home/u/out/export.zip"), FileKind::Archive);
        assert_eq!(chosen.name, "export.zip");
        assert!(!chosen.handle.contains("export"), "the handle names nothing");
        assert!(files.take_save_target(&chosen.handle, FileKind::Vcard).is_err(), "chosen for an archive");
        assert!(files.file_to_open(&chosen.handle).is_err(), "chosen for writing, not reading");
        assert_eq!(
            files.take_save_target(&chosen.handle, FileKind::Archive).unwrap(),
            Path::new("/home/u/out/export.zip")
        );
        let again = files.take_save_target(&chosen.handle, FileKind::Archive).unwrap_err();
        assert_eq!(again.code(), crate::ErrorCode::Validation);
    }

    #[test]
    fn an_open_handle_serves_the_check_and_the_import_until_forgotten() {
        let files = ChosenFiles::default();
        let chosen = files.chose_open(PathBuf::from("/tmp/clients.csv"));
        assert_eq!(files.file_to_open(&chosen.handle).unwrap(), Path::new("/tmp/clients.csv"));
        assert_eq!(files.file_to_open(&chosen.handle).unwrap(), Path::new("/tmp/clients.csv"));
        assert!(files.take_save_target(&chosen.handle, FileKind::Importable).is_err(), "not a place to write");
        files.forget_all();
        assert!(files.file_to_open(&chosen.handle).is_err());
    }

    #[test]
    fn a_path_or_a_made_up_handle_is_refused() {
        let files = ChosenFiles::default();
        files.chose_open(PathBuf::from("/tmp/a.csv"));
        for forged in ["/tmp/a.csv", "a.csv", "", "00000000000000000000000000000000"] {
            assert!(files.file_to_open(forged).is_err(), "{forged:?} was accepted");
        }
    }

    #[test]
    fn only_the_latest_choices_are_remembered() {
        let files = ChosenFiles::default();
        let first = files.chose_open(PathBuf::from("/tmp/0.csv"));
        let rest: Vec<_> = (1..=REMEMBERED).map(|i| files.chose_open(PathBuf::from(format!("/tmp/{i}.csv")))).collect();
        assert!(files.file_to_open(&first.handle).is_err(), "the oldest expired");
        assert!(rest.iter().all(|c| files.file_to_open(&c.handle).is_ok()));
    }
}
