//! What one import may cost: the largest file read from disk, the most an
//! export archive may inflate to (in total and per entry), and reading a
//! file to import so that a pipe, a device or a folder is refused before
//! it can block or fill memory. The limits are documented in
//! docs/export-format.md ("Limits"); every read of an imported file goes
//! through a reader capped at one of them, never through a size a file's
//! header or the file system claims.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

const MIB: u64 = 1 << 20;

/// The largest file `import` reads (an export archive as stored, a CSV or a
/// vCard file). The whole file is held in memory while it is checked, so
/// this bounds that memory. An export of a large freelance workspace
/// (100 000 clients with their projects and activity) is tens of MiB
/// compressed, and a contacts CSV from another tool a few MiB: 256 MiB is
/// several times either.
pub const MAX_IMPORT_FILE_BYTES: u64 = 256 * MIB;

/// The most all entries of one export archive may inflate to together. The
/// JSON files are held in memory while they are parsed, so this bounds what
/// a crafted archive (a "zip bomb") can make the import spend. Real exports
/// inflate to about twice their JSON (the CSV copies), well under 1 GiB for
/// the workspace above.
pub const MAX_ARCHIVE_INFLATED_BYTES: u64 = 1024 * MIB;

/// The most one entry of an export archive may inflate to: half the total,
/// so no single file can be the whole budget of an archive that must hold
/// a JSON and a CSV copy of it.
pub const MAX_ENTRY_INFLATED_BYTES: u64 = MAX_ARCHIVE_INFLATED_BYTES / 2;

/// `manifest.json` lists a few dozen files with a checksum each (a few KiB).
/// It is read before anything is known about the archive, so it gets a small
/// cap of its own.
pub const MAX_MANIFEST_BYTES: u64 = MIB;

/// An export holds 26 files (manifest, README, a JSON and a CSV file per
/// entity); more entries than this are not one of ours.
pub const MAX_ARCHIVE_ENTRIES: usize = 64;

/// Reads `bytes` to the end, refusing (with `Ok(None)`) a stream longer than
/// `cap`. The stream's own idea of its length is never trusted: at most
/// `cap + 1` bytes are read.
pub(crate) fn read_capped(reader: impl Read, cap: u64, out: &mut Vec<u8>) -> std::io::Result<Option<()>> {
    let start = out.len();
    reader.take(cap.saturating_add(1)).read_to_end(out)?;
    Ok(((out.len() - start) as u64 <= cap).then_some(()))
}

/// Reads the file to import, whole, in bounded memory. Only a regular file
/// is read: a folder, a FIFO, `/dev/zero` or another device is refused
/// (`import_invalid` naming the file) without reading from it. On Unix the
/// file is opened non-blocking, so a FIFO swapped in after the first check
/// cannot hang the open, and the check is repeated on the opened file.
/// A file larger than [`MAX_IMPORT_FILE_BYTES`] is refused, also one that
/// grows while it is read.
pub(crate) fn read_import_file(path: &Path) -> Result<Vec<u8>> {
    read_file_capped(path, MAX_IMPORT_FILE_BYTES)
}

fn read_file_capped(path: &Path, cap: u64) -> Result<Vec<u8>> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string());
    let check = |meta: &std::fs::Metadata| -> Result<()> {
        if !meta.is_file() {
            let what = if meta.is_dir() { "a folder" } else { "not a regular file (a pipe, a device or a socket)" };
            return Err(Error::import_invalid(
                name.clone(),
                None,
                None,
                format!("is {what}; only a file can be imported"),
            ));
        }
        if meta.len() > cap {
            return Err(too_large(&name, cap));
        }
        Ok(())
    };
    // Before opening: opening a FIFO for reading blocks until a writer comes.
    check(&std::fs::metadata(path).map_err(|e| Error::io(path, e))?)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    check(&meta)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    match read_capped(file, cap, &mut bytes) {
        Ok(Some(())) => Ok(bytes),
        Ok(None) => Err(too_large(&name, cap)),
        Err(e) => Err(Error::io(path, e)),
    }
}

fn too_large(name: &str, cap: u64) -> Error {
    Error::import_invalid(
        name,
        None,
        None,
        format!("is larger than the {} MiB Bidwell imports from one file", cap / MIB),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_capped_read_stops_one_byte_past_the_cap() {
        let mut out = Vec::new();
        assert_eq!(read_capped(std::io::repeat(0).take(10), 10, &mut out).unwrap(), Some(()));
        assert_eq!(out.len(), 10);
        let mut out = Vec::new();
        // An endless stream: refused after cap + 1 bytes.
        assert_eq!(read_capped(std::io::repeat(7), 10, &mut out).unwrap(), None);
        assert_eq!(out.len(), 11);
    }

    #[test]
    fn a_file_over_the_cap_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.csv");
        std::fs::write(&path, vec![b'a'; 100]).unwrap();
        assert_eq!(read_file_capped(&path, 100).unwrap().len(), 100);
        let err = read_file_capped(&path, 99).unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::ImportInvalid, "{err}");
        assert_eq!(err.to_api().location.unwrap().file, "big.csv");
    }

    #[test]
    fn a_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_import_file(dir.path()).unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::ImportInvalid, "{err}");
        assert!(err.to_string().contains("folder"), "{err}");
    }
}
