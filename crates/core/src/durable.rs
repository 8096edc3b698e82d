//! Durability of renames and removals: the directory sync that every
//! write-then-rename in the core ends with, in one place, because it is the
//! part that differs by platform.

use std::path::Path;

use crate::error::{Error, Result};

/// Makes a rename or removal in `dir` durable: on Unix a rename is only in
/// the directory until the directory itself is fsynced.
///
/// Windows has no equivalent and needs none: a directory opens there only
/// with FILE_FLAG_BACKUP_SEMANTICS, FlushFileBuffers on it is not supported,
/// and a rename (MoveFileEx/ReplaceFile, or SetFileInformationByHandle, which
/// std uses) is a metadata change NTFS commits atomically through its own
/// journal. Callers fsync the file's own bytes before the rename everywhere.
pub(crate) fn sync_dir_io(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// [`sync_dir_io`] with the core's error naming the directory.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    sync_dir_io(dir).map_err(|e| Error::io(dir, e))
}
