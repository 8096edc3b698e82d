//! Where an export is written until it is whole, and how it is put in place.
//!
//! A crash (power loss, SIGKILL, the OOM killer) runs no clean-up code, so a
//! named temporary file beside the destination would stay behind half
//! written — and an export without a password is plaintext. On Linux the
//! file is therefore made unnamed (`O_TMPFILE`): until it is complete and
//! synced it has no name, and the kernel frees it however the process ends.
//! It is then linked in: straight to the destination when there is none (no
//! window at all), else under a hidden temporary name renamed over it (a
//! window of two system calls, with a complete file). Elsewhere, or on a file
//! system without `O_TMPFILE`, a hidden named temporary file beside the
//! destination is used: removed on every error and cancel, but left by a
//! crash (docs/crash-testing.md).

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::durable::sync_dir;
use crate::error::{Error, Result};

/// An export's file while it is being written.
pub(super) struct Staged {
    file: Staging,
    dest: PathBuf,
    dir: PathBuf,
}

enum Staging {
    #[cfg(target_os = "linux")]
    Unnamed(File),
    Named(tempfile::NamedTempFile),
}

impl Staged {
    /// A file that becomes `dest` with [`Staged::persist`]; refuses a
    /// destination that is not a file name.
    pub(super) fn beside(dest: &Path) -> Result<Staged> {
        let dir = match dest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if dest.file_name().is_none() || dest.is_dir() {
            return Err(Error::validation("out", format!("{} is not a file name", dest.display())));
        }
        #[cfg(target_os = "linux")]
        if let Some(file) = unnamed_in(&dir)? {
            return Ok(Staged { file: Staging::Unnamed(file), dest: dest.to_path_buf(), dir });
        }
        let named = temp_named(dest, &dir)?;
        Ok(Staged { file: Staging::Named(named), dest: dest.to_path_buf(), dir })
    }

    pub(super) fn file(&self) -> &File {
        match &self.file {
            #[cfg(target_os = "linux")]
            Staging::Unnamed(file) => file,
            Staging::Named(tmp) => tmp.as_file(),
        }
    }

    /// The path an error about the staged file names.
    pub(super) fn path(&self) -> &Path {
        match &self.file {
            #[cfg(target_os = "linux")]
            Staging::Unnamed(_) => &self.dest,
            Staging::Named(tmp) => tmp.path(),
        }
    }

    /// Syncs the file, puts it at the destination (replacing what was
    /// there), syncs the directory, and returns the file's size.
    pub(super) fn persist(self) -> Result<u64> {
        let Staged { file, dest, dir } = self;
        let bytes = match file {
            #[cfg(target_os = "linux")]
            Staging::Unnamed(file) => {
                file.sync_all().map_err(|e| Error::io(&dest, e))?;
                link_into_place(&file, &dest, &dir)?;
                file.metadata().map_err(|e| Error::io(&dest, e))?.len()
            }
            Staging::Named(tmp) => {
                tmp.as_file().sync_all().map_err(|e| Error::io(tmp.path(), e))?;
                let file = tmp.persist(&dest).map_err(|e| Error::io(&dest, e.error))?;
                file.metadata().map_err(|e| Error::io(&dest, e))?.len()
            }
        };
        sync_dir(&dir)?;
        Ok(bytes)
    }
}

/// A hidden temporary file beside `dest` (`.<name>.<random>.partial`),
/// removed when dropped, so the rename into place is atomic.
fn temp_named(dest: &Path, dir: &Path) -> Result<tempfile::NamedTempFile> {
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".partial")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))
}

/// An unnamed file in `dir` (owner-only), or `None` where the file system
/// cannot make one.
#[cfg(target_os = "linux")]
fn unnamed_in(dir: &Path) -> Result<Option<File>> {
    use std::os::unix::fs::OpenOptionsExt;
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .mode(0o600)
        // Without O_EXCL, so that it can be linked in once complete.
        .custom_flags(libc::O_TMPFILE)
        .open(dir);
    match opened {
        Ok(file) => Ok(Some(file)),
        // The three ways a kernel or file system says "no O_TMPFILE here".
        Err(e) if matches!(e.raw_os_error(), Some(libc::EOPNOTSUPP | libc::EISDIR | libc::ENOENT)) && dir.is_dir() => {
            Ok(None)
        }
        Err(e) => Err(Error::io(dir, e)),
    }
}

/// Gives the unnamed `file` the name `dest`: linked straight there if
/// nothing is, else linked under a temporary name and renamed over it.
#[cfg(target_os = "linux")]
fn link_into_place(file: &File, dest: &Path, dir: &Path) -> Result<()> {
    use std::os::fd::AsRawFd;
    // linkat with AT_EMPTY_PATH needs a privilege; through /proc it does not.
    let source = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
    match link(&source, dest) {
        Ok(()) => return Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(Error::io(dest, e)),
    }
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    for _ in 0..8 {
        let suffix: u64 = rand::random();
        let temp = dir.join(format!(".{name}.{suffix:016x}.partial"));
        match link(&source, &temp) {
            Ok(()) => {
                return std::fs::rename(&temp, dest).map_err(|e| {
                    let _ = std::fs::remove_file(&temp);
                    Error::io(dest, e)
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(dest, e)),
        }
    }
    Err(Error::io(dest, std::io::Error::other("could not find a free temporary name beside it")))
}

#[cfg(target_os = "linux")]
fn link(source: &Path, target: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let source = CString::new(source.as_os_str().as_bytes()).map_err(std::io::Error::other)?;
    let target = CString::new(target.as_os_str().as_bytes()).map_err(std::io::Error::other)?;
    // SAFETY: both are valid NUL-terminated paths that outlive the call.
    let done = unsafe {
        libc::linkat(libc::AT_FDCWD, source.as_ptr(), libc::AT_FDCWD, target.as_ptr(), libc::AT_SYMLINK_FOLLOW)
    };
    if done == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn nothing_has_a_name_until_persist_then_only_the_destination() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("export.zip");
        let staged = Staged::beside(&dest).unwrap();
        staged.file().write_all(b"whole archive").unwrap();
        #[cfg(target_os = "linux")]
        assert!(names(dir.path()).is_empty(), "a file being written has a name: {:?}", names(dir.path()));
        assert_eq!(staged.persist().unwrap(), 13);
        assert_eq!(names(dir.path()), ["export.zip"]);
        assert_eq!(std::fs::read(&dest).unwrap(), b"whole archive");
    }

    #[test]
    fn persist_replaces_an_existing_destination_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("export.zip");
        std::fs::write(&dest, b"old").unwrap();
        let staged = Staged::beside(&dest).unwrap();
        staged.file().write_all(b"new").unwrap();
        staged.persist().unwrap();
        assert_eq!(names(dir.path()), ["export.zip"]);
        assert_eq!(std::fs::read(&dest).unwrap(), b"new");
    }

    #[test]
    fn a_dropped_export_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let staged = Staged::beside(&dir.path().join("export.zip")).unwrap();
        staged.file().write_all(b"half").unwrap();
        drop(staged);
        assert!(names(dir.path()).is_empty());
    }

    #[test]
    fn a_directory_is_not_a_destination() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Staged::beside(dir.path()).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("export.zip");
        let staged = Staged::beside(&dest).unwrap();
        staged.persist().unwrap();
        assert_eq!(std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777, 0o600);
    }
}
