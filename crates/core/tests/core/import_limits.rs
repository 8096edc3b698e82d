//! Hostile files given to import (issue #13, part 5): ZIP bombs whose
//! entries inflate to gigabytes (with honest and with lying sizes), a
//! manifest that is itself a bomb, two entries of one name, `/dev/zero`
//! as an archive and as a CSV file, a FIFO, a folder and an oversized file.
//! Each is refused with `import_invalid` naming the file, the workspace is
//! unchanged, and the whole run stays in bounded memory: it runs in a child
//! process of its own, whose peak resident size (VmHWM) is checked at the
//! end, so no other test's memory counts.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use bidwell_core::portability::archive::{self, Manifest, ManifestFile};
use bidwell_core::portability::{ImportKind, ImportOptions, RecordCounts};
use bidwell_core::*;

use crate::support::*;

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// The child's peak resident size may not pass this. A workspace and the
/// test's own archives need well under 100 MiB; reading any bomb below
/// into memory (each entry inflates to 3 GiB, the manifest bomb to 2 GiB)
/// goes far past it, as the reader before the import budget did (1 GiB
/// per entry before it stopped).
const PEAK_RSS_BOUND: u64 = 384 * MIB;

/// The child is given this long before it is stopped and the test fails:
/// a bound on the wait (a hanging FIFO open, an endless read), not a
/// measurement.
const CHILD_DEADLINE: std::time::Duration = std::time::Duration::from_secs(900);

const CHILD_ENV: &str = "BIDWELL_IMPORT_LIMITS_CHILD";

/// A raw-deflate stream of `len` zero bytes (`len` a multiple of 1 MiB),
/// made without compressing `len` bytes: 1 MiB of zeros is compressed once
/// with a full flush (byte-aligned, no back-references across it) and the
/// block repeated, then a final empty stored block ends the stream.
/// About 1 KiB per MiB, as deflate allows.
fn deflated_zeros(len: u64) -> Vec<u8> {
    assert_eq!(len % MIB, 0);
    let mut compress = flate2::Compress::new(flate2::Compression::best(), false);
    let mut block = Vec::with_capacity(64 * 1024);
    compress.compress_vec(&vec![0u8; MIB as usize], &mut block, flate2::FlushCompress::Full).unwrap();
    assert_eq!(compress.total_in(), MIB, "the whole MiB went in");
    let mut out = Vec::with_capacity(block.len() * (len / MIB) as usize + 5);
    for _ in 0..len / MIB {
        out.extend_from_slice(&block);
    }
    // BFINAL=1, BTYPE=00 (stored), LEN=0, NLEN=!0.
    out.extend_from_slice(&[0x01, 0x00, 0x00, 0xff, 0xff]);
    out
}

fn deflated(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// One entry of a hand-written ZIP: already deflated `data`, and the CRC and
/// uncompressed size its headers claim (which a bomb's may lie about).
struct RawEntry {
    name: String,
    data: Vec<u8>,
    crc: u32,
    claimed_size: u32,
}

impl RawEntry {
    /// An honest entry holding `bytes`.
    fn of(name: &str, bytes: &[u8]) -> RawEntry {
        RawEntry {
            name: name.into(),
            data: deflated(bytes),
            crc: crc32fast::hash(bytes),
            claimed_size: bytes.len() as u32,
        }
    }

    /// `len` zeros, whose headers claim `claimed_size` bytes (and a CRC
    /// nobody reaches).
    fn zeros(name: &str, len: u64, claimed_size: u32) -> RawEntry {
        RawEntry { name: name.into(), data: deflated_zeros(len), crc: 0, claimed_size }
    }
}

/// A ZIP file as PKWARE's APPNOTE lays it out: local headers and data, the
/// central directory, the end record. Written by hand because the zip
/// crate will not write lying sizes or two entries of one name.
fn write_raw_zip(path: &Path, entries: &[RawEntry]) {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        let offset = out.len() as u32;
        let name = e.name.as_bytes();
        let header = |sig: u32, central: bool| {
            let mut h = Vec::new();
            h.extend_from_slice(&sig.to_le_bytes());
            if central {
                h.extend_from_slice(&20u16.to_le_bytes()); // made by
            }
            h.extend_from_slice(&20u16.to_le_bytes()); // needed
            h.extend_from_slice(&0u16.to_le_bytes()); // flags
            h.extend_from_slice(&8u16.to_le_bytes()); // deflate
            h.extend_from_slice(&0u16.to_le_bytes()); // time
            h.extend_from_slice(&0x21u16.to_le_bytes()); // 1980-01-01
            h.extend_from_slice(&e.crc.to_le_bytes());
            h.extend_from_slice(&(e.data.len() as u32).to_le_bytes());
            h.extend_from_slice(&e.claimed_size.to_le_bytes());
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // extra
            if central {
                h.extend_from_slice(&[0; 6]); // comment length, disk, internal attributes
                h.extend_from_slice(&0u32.to_le_bytes()); // external attributes
                h.extend_from_slice(&offset.to_le_bytes());
            }
            h.extend_from_slice(name);
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend_from_slice(&e.data);
        central.extend(header(0x0201_4b50, true));
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // disk numbers
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    std::fs::write(path, out).unwrap();
}

/// A manifest (as Bidwell writes one) listing `files` with the sizes given
/// and the checksums of `content`.
fn manifest(files: &[(&str, u64, &[u8])]) -> Vec<u8> {
    let manifest = Manifest {
        format: archive::FORMAT.into(),
        format_version: archive::FORMAT_VERSION,
        app_version: "0.1.0".into(),
        schema_version: 1,
        exported_at: chrono::Utc::now(),
        scope: "all".into(),
        client_id: None,
        encrypted: false,
        counts: RecordCounts::default(),
        files: files
            .iter()
            .map(|(name, bytes, content)| ManifestFile {
                name: name.to_string(),
                bytes: *bytes,
                sha256: archive::sha256_hex(content),
            })
            .collect(),
    };
    serde_json::to_vec(&manifest).unwrap()
}

/// What a refused import must leave as it was: every client (deleted
/// included), the live and deleted records of every kind, the audit log.
type State =
    (Vec<Client>, std::collections::BTreeMap<EntityKind, i64>, std::collections::BTreeMap<EntityKind, i64>, i64);

async fn state(ws: &Workspace) -> State {
    let page = PageRequest { limit: 1000, include_deleted: true, ..Default::default() };
    let clients = ws.list_clients(&ClientFilter::default(), &page).await.unwrap().items;
    let overview = ws.privacy_overview().await.unwrap();
    (clients, overview.counts, overview.deleted, overview.audit_entries)
}

async fn refuse(ws: &Workspace, path: &Path, kind: Option<ImportKind>) -> Error {
    let options = ImportOptions { kind, ..Default::default() };
    ws.import(path, &options, None, &mut |_| {}, &AtomicBool::new(false))
        .await
        .expect_err("a hostile file was imported")
}

fn assert_invalid(err: &Error, file: &str, says: &str) {
    assert_eq!(err.code(), ErrorCode::ImportInvalid, "{err}");
    let location = err.to_api().location.expect("location");
    assert_eq!(location.file, file, "{err}");
    assert!(err.to_string().contains(says), "{err:?} should say {says:?}");
}

#[cfg(target_os = "linux")]
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM in /proc/self/status");
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[tokio::test]
async fn hostile_files_are_refused_in_bounded_memory_and_change_nothing() {
    if std::env::var_os(CHILD_ENV).is_none() {
        run_in_child("import_limits::hostile_files_are_refused_in_bounded_memory_and_change_nothing");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // An archive imports only into an empty workspace: the user's case.
    let (_ws_dir, ws) = new_workspace().await;
    let before = state(&ws).await;

    // 1. A bomb that says what it is: two 3 GiB entries, honest headers and
    //    manifest. Refused from the manifest, before anything is inflated.
    let path = dir.path().join("honest-bomb.zip");
    let empty = b"[\n]\n";
    write_raw_zip(
        &path,
        &[
            RawEntry::zeros("clients.json", 3 * GIB, (3 * GIB) as u32),
            RawEntry::zeros("contacts.json", 3 * GIB, (3 * GIB) as u32),
            RawEntry::of(
                archive::MANIFEST,
                &manifest(&[("clients.json", 3 * GIB, empty), ("contacts.json", 3 * GIB, empty)]),
            ),
        ],
    );
    assert!(std::fs::metadata(&path).unwrap().len() < 16 * MIB, "the bomb is small on disk");
    let err = refuse(&ws, &path, None).await;
    assert_invalid(&err, "clients.json", "more than the 512 MiB Bidwell reads from one file");
    assert_eq!(state(&ws).await, before);

    // The same entries declared at 400 MiB each: under the per-entry cap,
    // over the archive's budget together.
    let path = dir.path().join("budget-bomb.zip");
    write_raw_zip(
        &path,
        &[
            RawEntry::zeros("clients.json", 3 * GIB, (3 * GIB) as u32),
            RawEntry::zeros("contacts.json", 3 * GIB, (3 * GIB) as u32),
            RawEntry::zeros("projects.json", 3 * GIB, (3 * GIB) as u32),
            RawEntry::of(
                archive::MANIFEST,
                &manifest(&[
                    ("clients.json", 400 * MIB, empty),
                    ("contacts.json", 400 * MIB, empty),
                    ("projects.json", 400 * MIB, empty),
                ]),
            ),
        ],
    );
    let err = refuse(&ws, &path, None).await;
    assert_invalid(&err, "budget-bomb.zip", "would inflate to 1200 MiB by its manifest, more than the 1024 MiB");
    assert_eq!(state(&ws).await, before);

    // 2. A bomb that lies: ZIP headers and manifest both say 4 bytes, the
    //    entry inflates to 3 GiB. Refused just past the 4 bytes.
    let path = dir.path().join("lying-bomb.zip");
    write_raw_zip(
        &path,
        &[
            RawEntry::zeros("clients.json", 3 * GIB, 4),
            RawEntry::of(archive::MANIFEST, &manifest(&[("clients.json", 4, empty)])),
        ],
    );
    let err = refuse(&ws, &path, None).await;
    assert_invalid(&err, "clients.json", "inflates to more than the 4 bytes manifest.json gives it");
    assert_eq!(state(&ws).await, before);

    // 3. The manifest itself is the bomb (2 GiB, headers claiming 100 bytes).
    let path = dir.path().join("manifest-bomb.zip");
    write_raw_zip(&path, &[RawEntry::zeros(archive::MANIFEST, 2 * GIB, 100)]);
    let err = refuse(&ws, &path, None).await;
    assert_invalid(&err, archive::MANIFEST, "is larger than the 1.0 MiB a manifest may be");
    assert_eq!(state(&ws).await, before);

    // 4. Two entries of one name: the second would be read in place of the first.
    let path = dir.path().join("twice.zip");
    write_raw_zip(
        &path,
        &[
            RawEntry::of("clients.json", empty),
            RawEntry::of("clients.json", b"[\n{\"evil\":1}\n]\n"),
            RawEntry::of(archive::MANIFEST, &manifest(&[("clients.json", empty.len() as u64, empty)])),
        ],
    );
    let err = refuse(&ws, &path, None).await;
    assert_invalid(&err, "clients.json", "appears twice in twice.zip");
    assert_eq!(state(&ws).await, before);

    // 5. Not regular files: a folder, /dev/zero as an archive and as a CSV,
    //    a FIFO no one writes to (which must not block the import).
    let folder = dir.path().join("folder.zip");
    std::fs::create_dir(&folder).unwrap();
    let err = refuse(&ws, &folder, None).await;
    assert_invalid(&err, "folder.zip", "is a folder");
    #[cfg(unix)]
    {
        for kind in [ImportKind::Bidwell, ImportKind::Clients, ImportKind::Vcard] {
            let err = refuse(&ws, Path::new("/dev/zero"), Some(kind)).await;
            assert_invalid(&err, "zero", "is not a regular file");
        }
        let fifo = dir.path().join("pipe.zip");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
        assert!(made.success());
        let err = refuse(&ws, &fifo, None).await;
        assert_invalid(&err, "pipe.zip", "is not a regular file");
        let err = refuse(&ws, &fifo, Some(ImportKind::Clients)).await;
        assert_invalid(&err, "pipe.zip", "is not a regular file");
    }
    assert_eq!(state(&ws).await, before);

    // 6. A CSV file larger than any import (sparse: nothing is written to disk).
    let big = dir.path().join("big.csv");
    std::fs::File::create(&big).unwrap().set_len(256 * MIB + 1).unwrap();
    let err = refuse(&ws, &big, None).await;
    assert_invalid(&err, "big.csv", "is larger than the 256 MiB Bidwell imports from one file");

    // Nothing was written by any of them, not even an audit entry.
    assert_eq!(state(&ws).await, before);
    assert!(before.1.values().all(|n| *n == 0), "the workspace was empty and still is: {:?}", before.1);

    #[cfg(target_os = "linux")]
    {
        let peak = peak_rss();
        eprintln!("peak resident size of the hostile-import run: {} MiB", peak / MIB);
        assert!(peak < PEAK_RSS_BOUND, "peak RSS {} MiB is over {} MiB", peak / MIB, PEAK_RSS_BOUND / MIB);
    }
}

/// Runs the test `name` alone in a new process of this test binary (with
/// `CHILD_ENV` set), waits for it at most `CHILD_DEADLINE`, and fails if it
/// failed or did not finish.
fn run_in_child(name: &str) {
    let logs = tempfile::tempdir().unwrap();
    let (out, err) = (logs.path().join("stdout"), logs.path().join("stderr"));
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + CHILD_DEADLINE;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let stdout = std::fs::read_to_string(&out).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err).unwrap_or_default();
    eprintln!("{stderr}");
    let status = status.unwrap_or_else(|| panic!("the child did not finish in {CHILD_DEADLINE:?}:\n{stdout}"));
    assert!(status.success(), "the child failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "the child ran no test:\n{stdout}");
}
