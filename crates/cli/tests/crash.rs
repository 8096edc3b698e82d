//! Crash anywhere (issue #13, part 10): the `bidwell` binary is SIGKILLed
//! at a random moment of each long or key-changing operation, and after
//! each kill the workspace must still be what a user relies on:
//!
//! - it unlocks with the same credentials (a killed passphrase change: the
//!   old or the new passphrase, and the run says which; a killed key
//!   rotation: the same passphrase, and the recovery key the user holds
//!   still opens it — or, when the one they hold stopped working, Bidwell
//!   says so and asks for a new one);
//! - `bidwell doctor` (which runs SQLite's and SQLCipher's full integrity
//!   checks) reports `ok`;
//! - every record committed before the operation is there;
//! - an import left none or all of its rows; a restore left the workspace
//!   as it was or as the snapshot was, never a mix; a backup left no new
//!   snapshot or a complete one that verifies;
//! - no file in the data directory or the export's directory holds a
//!   plaintext marker, and no partial export is left: either no file or a
//!   complete archive that imports;
//! - a killed wipe leaves a usable workspace, nothing, or a crypto-shredded
//!   one (no key that opens the database is left anywhere).
//!
//! Operations are a table ([`OPS`]): import, export, sync, erase,
//! passphrase change, key rotation, backup, restore and wipe; adding one is
//! one entry. Each kill point is
//! uniform in [0, T], T measured by one uncut calibration run of the
//! operation (only to spread the kills, never asserted on).
//!
//! Knobs: BIDWELL_CRASH_RUNS (default [`CI_RUNS`]), BIDWELL_CRASH_SEED
//! (replays a run: the seed is printed), BIDWELL_CRASH_OPS (a comma list of
//! operation names), BIDWELL_CRASH_RUN (only that run index). The tally of
//! outcomes per operation is printed at the end (`--nocapture`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const PASSPHRASE: &str = "crash test passphrase one";
const NEW_PASSPHRASE: &str = "crash test passphrase two";
const WORKSPACE: &str = "Crash";
/// Put in names and notes; no file on disk may show it in plaintext.
const MARKER: &str = "PLAINTEXT-MARKER-7f3c9a";
/// Rows in the CSV a killed import must bring in whole or not at all.
const IMPORT_ROWS: usize = 3000;
/// Contacts under the client a killed erasure removes whole or not at all.
const ERASE_CONTACTS: usize = 300;
/// Generated records the workspace starts with (`bidwell dev seed`).
const SEED_RECORDS: u64 = 3000;
/// Jobs the reference marketplace offers to a killed sync.
const SIM_JOBS: usize = 400;
/// The CI-sized run: a few kills of every operation.
const CI_RUNS: usize = 27;
const ENTITY_KINDS: [&str; 8] = ["client", "contact", "project", "job", "bid", "milestone", "activity", "task"];

/// One operation the harness kills. `outcome` checks what the operation
/// itself may have changed and names the state it found; the checks every
/// operation shares run around it.
struct Op {
    name: &'static str,
    args: fn(&Fixture, &RunDirs) -> Vec<String>,
    env: &'static [(&'static str, &'static str)],
    outcome: fn(&Fixture, &RunDirs, &Killed, &After) -> Result<String, String>,
}

const OPS: &[Op] = &[
    Op { name: "import", args: import_args, env: &[], outcome: import_outcome },
    Op { name: "export", args: export_args, env: &[], outcome: export_outcome },
    Op { name: "sync", args: |_, _| strings(&["--json", "sync", "--once"]), env: &[], outcome: sync_outcome },
    Op { name: "erase", args: erase_args, env: &[], outcome: erase_outcome },
    Op {
        name: "passphrase-change",
        args: |_, _| strings(&["--json", "passphrase", "change"]),
        env: &[("BIDWELL_NEW_PASSPHRASE", NEW_PASSPHRASE)],
        outcome: passphrase_outcome,
    },
    Op { name: "key-rotate", args: |_, _| strings(&["--json", "key", "rotate"]), env: &[], outcome: rotate_outcome },
    Op { name: "backup", args: |_, _| strings(&["--json", "backup", "now"]), env: &[], outcome: backup_outcome },
    Op { name: "restore", args: restore_args, env: &[], outcome: restore_outcome },
    // Handled apart in `check_wipe`: its workspace may rightly be gone.
    Op {
        name: "wipe",
        args: |_, _| strings(&["--json", "wipe", "--confirm", WORKSPACE]),
        env: &[],
        outcome: |_, _, _, _| Ok("intact".into()),
    },
];

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// The workspace every run starts from (copied), and what was committed in it.
struct Fixture {
    template: tempfile::TempDir,
    _inputs: tempfile::TempDir,
    /// An empty workspace where a surviving export is checked by a dry-run import.
    empty: tempfile::TempDir,
    recovery_key: String,
    counts: BTreeMap<String, i64>,
    marker_client: String,
    erase_client: String,
    import_csv: PathBuf,
    /// The snapshot the contacts import took first (without those contacts).
    snapshot: String,
    /// What the workspace holds once that snapshot is restored.
    restored_counts: BTreeMap<String, i64>,
}

/// The directories of one run.
struct RunDirs {
    _root: tempfile::TempDir,
    data: PathBuf,
    out: PathBuf,
}

/// How the killed process ended.
struct Killed {
    /// It had exited by itself before the kill.
    finished: bool,
    stdout: Vec<u8>,
}

/// What the shared checks found after the kill.
struct After {
    passphrase: &'static str,
    counts: BTreeMap<String, i64>,
    erase_client_present: bool,
    doctor: Value,
}

fn bidwell(data: &Path, passphrase: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bidwell"));
    cmd.arg("--data-dir")
        .arg(data)
        .env("BIDWELL_PASSPHRASE", passphrase)
        .env_remove("BIDWELL_NEW_PASSPHRASE")
        .env_remove("BIDWELL_LOG")
        .stdin(Stdio::null());
    cmd
}

/// Runs with --json; Ok(stdout JSON) or Err(the error object or text).
fn json(data: &Path, passphrase: &str, args: &[&str]) -> Result<Value, Value> {
    let out = bidwell(data, passphrase).arg("--json").args(args).output().unwrap();
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e})")))
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        Err(serde_json::from_str(stderr.trim()).unwrap_or(Value::String(stderr)))
    }
}

fn ok(data: &Path, args: &[&str]) -> Value {
    json(data, PASSPHRASE, args).unwrap_or_else(|e| panic!("{args:?} failed: {e}"))
}

fn counts(data: &Path, passphrase: &str) -> Result<BTreeMap<String, i64>, Value> {
    let status = json(data, passphrase, &["privacy", "status"])?;
    Ok(ENTITY_KINDS.iter().map(|k| (k.to_string(), status["counts"][k].as_i64().unwrap_or(-1))).collect())
}

/// The workspace's files; not its lock (`bidwell.lock`, `bidwell.lock.d/`),
/// which is about the processes that had this folder open, not the copy.
fn copy_workspace(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if is_lock_file(from, &path) {
            continue;
        }
        if path.is_dir() {
            copy_workspace(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// SplitMix64: a seeded stream, the same everywhere, to replay a run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok().map(|v| v.parse().unwrap_or_else(|_| panic!("{name}={v} is not a number")))
}

impl Fixture {
    fn build(market_url: &str) -> Fixture {
        let template = tempfile::tempdir().unwrap();
        let inputs = tempfile::tempdir().unwrap();
        let data = template.path();
        let init = ok(data, &["init", "--name", WORKSPACE]);
        let recovery_key = init["recovery_key"].as_str().unwrap().to_string();
        ok(data, &["dev", "seed", "--records", &SEED_RECORDS.to_string(), "--seed", "13"]);
        let marker_client =
            ok(data, &["client", "add", "--name", &format!("Client {MARKER}"), "--note", &format!("notes {MARKER}")])
                ["id"]
                .as_str()
                .unwrap()
                .to_string();
        let erase_name = format!("Erase Target {MARKER}");
        let erase_client = ok(data, &["client", "add", "--name", &erase_name])["id"].as_str().unwrap().to_string();
        let contacts_csv = inputs.path().join("contacts.csv");
        let mut csv = String::from("Name,Company,Notes\n");
        for i in 0..ERASE_CONTACTS {
            csv.push_str(&format!("Contact {i} {MARKER},{erase_name},note {i} {MARKER}\n"));
        }
        std::fs::write(&contacts_csv, csv).unwrap();
        let imported = ok(data, &["import", contacts_csv.to_str().unwrap(), "--kind", "contacts"]);
        assert_eq!(imported["counts"]["contacts"], ERASE_CONTACTS, "{imported}");

        let import_csv = inputs.path().join("clients.csv");
        let mut csv = String::from("Name,Email,Notes\n");
        for i in 0..IMPORT_ROWS {
            csv.push_str(&format!("Imported {i} {MARKER},imported{i}@example.org,row {i} {MARKER}\n"));
        }
        std::fs::write(&import_csv, csv).unwrap();

        let mut add = bidwell(data, PASSPHRASE)
            .args(["--json", "market", "add", "--name", "Sim", "--url", market_url, "--token-stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        {
            use std::io::Write;
            add.stdin.take().unwrap().write_all(b"sim-token\n").unwrap();
        }
        let added = add.wait_with_output().unwrap();
        assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
        let account: Value = serde_json::from_slice(&added.stdout).unwrap();
        ok(data, &["market", "search", "add", "--account", account["id"].as_str().unwrap(), "--name", "all"]);

        let counts = counts(data, PASSPHRASE).unwrap();
        let empty = tempfile::tempdir().unwrap();
        ok(empty.path(), &["init", "--name", "Empty"]);
        let backups = ok(data, &["backup", "list"])["backups"].as_array().unwrap().clone();
        assert_eq!(backups.len(), 1, "the contacts import takes one backup first: {backups:?}");
        let snapshot = backups[0]["name"].as_str().unwrap().to_string();
        let mut fixture = Fixture {
            template,
            _inputs: inputs,
            empty,
            recovery_key,
            counts,
            marker_client,
            erase_client,
            import_csv,
            snapshot,
            restored_counts: BTreeMap::new(),
        };
        let scratch = fixture.run_dirs();
        ok(&scratch.data, &["backup", "restore", &fixture.snapshot, "--yes"]);
        fixture.restored_counts = crate::counts(&scratch.data, PASSPHRASE).unwrap();
        assert_eq!(
            fixture.restored_counts["contact"] + ERASE_CONTACTS as i64,
            fixture.counts["contact"],
            "the snapshot is the state before the contacts import"
        );
        fixture
    }

    fn run_dirs(&self) -> RunDirs {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        let out = root.path().join("out");
        copy_workspace(self.template.path(), &data);
        std::fs::create_dir(&out).unwrap();
        RunDirs { _root: root, data, out }
    }
}

fn import_args(f: &Fixture, _: &RunDirs) -> Vec<String> {
    strings(&["--json", "import", f.import_csv.to_str().unwrap()])
}

fn export_args(_: &Fixture, dirs: &RunDirs) -> Vec<String> {
    strings(&["--json", "export", "--out", dirs.out.join("export.zip").to_str().unwrap()])
}

fn restore_args(f: &Fixture, _: &RunDirs) -> Vec<String> {
    strings(&["--json", "backup", "restore", &f.snapshot, "--yes"])
}

fn erase_args(f: &Fixture, _: &RunDirs) -> Vec<String> {
    strings(&["--json", "client", "erase", &f.erase_client, "--yes"])
}

/// Counts equal to the fixture's, except `kind` which may be `base + delta`
/// (the operation ran) or `base` (it did not). Says which.
fn all_or_nothing(f: &Fixture, after: &After, changes: &[(&str, i64)]) -> Result<bool, String> {
    let unchanged = after.counts == f.counts;
    let mut done = f.counts.clone();
    for (kind, delta) in changes {
        *done.get_mut(*kind).unwrap() += delta;
    }
    match (unchanged, after.counts == done) {
        (true, _) => Ok(false),
        (false, true) => Ok(true),
        (false, false) => {
            Err(format!("counts are neither before {:?} nor after {done:?}: {:?}", f.counts, after.counts))
        }
    }
}

/// An operation that had exited by itself before the kill must show its whole effect.
fn finished_means_done(killed: &Killed, done: bool) -> Result<(), String> {
    match killed.finished && !done {
        true => Err("the operation had finished before the kill, yet its effect is missing".into()),
        false => Ok(()),
    }
}

fn import_outcome(f: &Fixture, _: &RunDirs, killed: &Killed, after: &After) -> Result<String, String> {
    let done = all_or_nothing(f, after, &[("client", IMPORT_ROWS as i64)])?;
    finished_means_done(killed, done)?;
    Ok(if done { "all rows" } else { "no rows" }.into())
}

fn export_outcome(f: &Fixture, dirs: &RunDirs, killed: &Killed, _: &After) -> Result<String, String> {
    let files = files_under(&dirs.out);
    let dest = dirs.out.join("export.zip");
    finished_means_done(killed, files.contains(&dest))?;
    match files.as_slice() {
        [] => Ok("no file".into()),
        [only] if *only == dest => {
            // A complete archive: its manifest and every file's hash check out.
            let dry = json(f.empty.path(), PASSPHRASE, &["import", dest.to_str().unwrap(), "--dry-run"])
                .map_err(|e| format!("the export left at the destination does not import: {e}"))?;
            for kind in ENTITY_KINDS {
                let key = match kind {
                    "activity" => "activities".to_string(),
                    other => format!("{other}s"),
                };
                if dry["counts"][&key].as_i64() != Some(f.counts[kind]) {
                    return Err(format!("the export holds {} {key}, not {}", dry["counts"][&key], f.counts[kind]));
                }
            }
            Ok("complete archive".into())
        }
        other => Err(format!("the export directory holds other files than the archive: {other:?}")),
    }
}

fn sync_outcome(f: &Fixture, dirs: &RunDirs, _: &Killed, after: &After) -> Result<String, String> {
    let (before, now) = (f.counts["job"], after.counts["job"]);
    if !(before..=before + SIM_JOBS as i64).contains(&now) {
        return Err(format!("{now} jobs after a killed sync, expected {before}..={}", before + SIM_JOBS as i64));
    }
    let mut others = after.counts.clone();
    others.insert("job".into(), before);
    if others != f.counts {
        return Err(format!("a sync changed other records: {:?} → {:?}", f.counts, after.counts));
    }
    // Going on from where it stopped brings in each job once.
    json(&dirs.data, after.passphrase, &["sync", "--once"]).map_err(|e| format!("the next sync failed: {e}"))?;
    let resumed = counts(&dirs.data, after.passphrase).map_err(|e| e.to_string())?;
    if resumed["job"] != before + SIM_JOBS as i64 {
        return Err(format!("{} jobs after the next sync, expected {}", resumed["job"], before + SIM_JOBS as i64));
    }
    Ok(match now - before {
        0 => "nothing pulled".into(),
        n if n == SIM_JOBS as i64 => "all pulled".into(),
        _ => "part pulled".into(),
    })
}

fn erase_outcome(f: &Fixture, _: &RunDirs, killed: &Killed, after: &After) -> Result<String, String> {
    let done = all_or_nothing(f, after, &[("client", -1), ("contact", -(ERASE_CONTACTS as i64))])?;
    finished_means_done(killed, done)?;
    match (done, after.erase_client_present) {
        (false, true) => Ok("not erased".into()),
        (true, false) => Ok("erased".into()),
        (done, present) => Err(format!("erased by the counts: {done}, but the client is there: {present}")),
    }
}

/// A killed backup: the records unchanged, and either no new snapshot or a
/// complete one that verifies (a half-written one stays hidden).
fn backup_outcome(f: &Fixture, dirs: &RunDirs, killed: &Killed, after: &After) -> Result<String, String> {
    if after.counts != f.counts {
        return Err(format!("a backup changed records: {:?} → {:?}", f.counts, after.counts));
    }
    let listed = json(&dirs.data, after.passphrase, &["backup", "list"]).map_err(|e| format!("backup list: {e}"))?;
    let backups = listed["backups"].as_array().cloned().unwrap_or_default();
    if let Some(bad) = backups.iter().find(|b| b["complete"] != true) {
        return Err(format!("an incomplete snapshot is listed: {}", bad["name"]));
    }
    let new: Vec<&Value> = backups.iter().filter(|b| b["name"] != f.snapshot.as_str()).collect();
    finished_means_done(killed, !new.is_empty())?;
    match new.as_slice() {
        [] => Ok("no new backup".into()),
        [taken] => {
            let name = taken["name"].as_str().unwrap_or_default();
            let verified = json(&dirs.data, after.passphrase, &["backup", "verify", name])
                .map_err(|e| format!("the new snapshot does not verify: {e}"))?;
            match verified["healthy"] == true {
                true => Ok("backed up, verified".into()),
                false => Err(format!("the new snapshot is damaged: {verified}")),
            }
        }
        more => Err(format!("{} new snapshots after one backup", more.len())),
    }
}

/// A killed restore: the workspace as it was, or whole as the snapshot was.
fn restore_outcome(f: &Fixture, _: &RunDirs, killed: &Killed, after: &After) -> Result<String, String> {
    let restored = match (after.counts == f.counts, after.counts == f.restored_counts) {
        (true, _) => false,
        (false, true) => true,
        (false, false) => {
            return Err(format!(
                "counts are neither before {:?} nor the snapshot's {:?}: {:?}",
                f.counts, f.restored_counts, after.counts
            ))
        }
    };
    finished_means_done(killed, restored)?;
    Ok(if restored { "restored" } else { "not restored" }.into())
}

fn passphrase_outcome(f: &Fixture, _: &RunDirs, killed: &Killed, after: &After) -> Result<String, String> {
    finished_means_done(killed, after.passphrase == NEW_PASSPHRASE)?;
    if after.counts != f.counts {
        return Err(format!("a passphrase change changed records: {:?} → {:?}", f.counts, after.counts));
    }
    Ok(if after.passphrase == PASSPHRASE { "old passphrase" } else { "new passphrase" }.into())
}

/// The user holds the recovery key printed at init, and the one a rotation
/// printed if it got that far. One of them must open the workspace; if the
/// one they hold stopped working and no new one reached them, Bidwell must
/// say so (doctor's `unconfirmed_recovery_key`, which the app and
/// `bidwell doctor` turn into "make a new one").
fn rotate_outcome(f: &Fixture, dirs: &RunDirs, killed: &Killed, after: &After) -> Result<String, String> {
    if after.counts != f.counts {
        return Err(format!("a key rotation changed records: {:?} → {:?}", f.counts, after.counts));
    }
    let printed: Option<String> = String::from_utf8_lossy(&killed.stdout)
        .lines()
        .find_map(|l| serde_json::from_str::<Value>(l).ok())
        .and_then(|v| v["recovery_key"].as_str().map(str::to_owned));
    let warned = after.doctor["unconfirmed_recovery_key"]["origin"].as_str().map(str::to_owned);
    if opens_with_recovery_key(&dirs.data, &f.recovery_key) {
        return Ok(match warned {
            None => "old recovery key",
            // A kill between the mark and the re-key: a needless request for a new key.
            Some(_) => "old recovery key, new one asked for",
        }
        .into());
    }
    if let Some(new) = printed {
        if opens_with_recovery_key(&dirs.data, &new) {
            return Ok(if warned.is_some() { "printed new key, asked to confirm" } else { "printed new key" }.into());
        }
        return Err("neither the init recovery key nor the one the rotation printed opens the workspace".into());
    }
    match warned.as_deref() {
        Some("rotated" | "interrupted_rotation") => {
            Ok(format!("new key never shown, doctor asks ({})", warned.unwrap()))
        }
        other => Err(format!(
            "the init recovery key no longer opens the workspace, no new one was printed, and doctor does not say so \
             (unconfirmed_recovery_key: {other:?})"
        )),
    }
}

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(future)
}

fn opens_with_recovery_key(data: &Path, key: &str) -> bool {
    use bidwell_core::secret::RecoveryKey;
    use bidwell_core::vault::Unlock;
    let how = Unlock::RecoveryKey(RecoveryKey::parse(key).unwrap());
    block_on(async {
        match bidwell_core::Workspace::open(data, how, bidwell_core::Environment::system()).await {
            Ok(ws) => {
                ws.lock().await;
                true
            }
            Err(_) => false,
        }
    })
}

/// Every file of the data and export directories: no plaintext marker, and
/// nothing in the data directory but the workspace's own files.
fn check_files(dirs: &RunDirs, notes: &mut Vec<String>) -> Result<(), String> {
    for file in files_under(&dirs.data).iter().chain(files_under(&dirs.out).iter()) {
        let bytes = std::fs::read(file).unwrap_or_default();
        if contains(&bytes, MARKER.as_bytes()) && !file.starts_with(&dirs.out) {
            return Err(format!("plaintext marker in {}", file.display()));
        }
        if file.starts_with(&dirs.out) && file_name(file) != "export.zip" {
            return Err(format!("a partial export is left: {}", file.display()));
        }
    }
    for file in files_under(&dirs.data) {
        let name = file_name(&file);
        if is_lock_file(&dirs.data, &file) {
            if name.ends_with(".holder") || name.ends_with(".tmp") {
                // A killed process's record: stale (unlocked), never named, cleared by the next refusal.
                notes.push("stale lock holder record".into());
            }
            continue;
        }
        if let Some(snapshot) = in_backups(&dirs.data, &file) {
            // Encrypted snapshots (the fixture's import took one; a rotation
            // or an import takes one first); a killed snapshot is a hidden
            // `.partial` folder that the next backup or a wipe removes.
            match name.as_str() {
                _ if snapshot.starts_with('.') && snapshot.ends_with(".partial") => {
                    notes.push("partial backup folder".into())
                }
                "bidwell.db" | "bidwell.key" | "manifest.json" if snapshot.starts_with("bidwell-backup-") => {}
                // A killed erasure's rewrite of the snapshot (encrypted under
                // its key, like the snapshot it was to replace, which still
                // holds the client): the next rewrite starts by removing it.
                n if snapshot.starts_with("bidwell-backup-") && n.starts_with(".bidwell.db.erasing") => {
                    notes.push("stale backup erasure copy".into())
                }
                _ => return Err(format!("unexpected file in the backups: {snapshot}/{name}")),
            }
            continue;
        }
        if file.parent() != Some(dirs.data.as_path()) {
            return Err(format!("unexpected file in a folder of the data directory: {}", file.display()));
        }
        match name.as_str() {
            "bidwell.db" | "bidwell.db-wal" | "bidwell.db-shm" | "bidwell.key" => {}
            _ => return Err(format!("unexpected file in the data directory: {name}")),
        }
    }
    Ok(())
}

/// The snapshot folder's name, for a file in `<data>/backups/<snapshot>/`.
fn in_backups(data: &Path, file: &Path) -> Option<String> {
    let rest = file.strip_prefix(data.join("backups")).ok()?;
    let mut parts = rest.components();
    let snapshot = parts.next()?.as_os_str().to_string_lossy().into_owned();
    (parts.count() == 1).then_some(snapshot)
}

/// The workspace's process lock (`bidwell.lock`, and `bidwell.lock.d/` with
/// its gate and holder records): empty or names and process ids only,
/// present whenever the workspace has been opened; a wipe removes them last.
fn is_lock_file(data: &Path, file: &Path) -> bool {
    file == data.join("bidwell.lock") || file.starts_with(data.join("bidwell.lock.d"))
}

/// What the workspace holds, read in-process through one unlock (the CLI
/// would pay the passphrase's key derivation once per command).
struct Contents {
    counts: BTreeMap<String, i64>,
    marker_notes: Option<String>,
    erase_client_present: bool,
    audit_first_broken: Option<i64>,
}

fn contents(f: &Fixture, data: &Path, passphrase: &str) -> Result<Contents, String> {
    use bidwell_core::secret::Passphrase;
    use bidwell_core::vault::Unlock;
    let id = |s: &str| s.parse::<bidwell_core::Id>().unwrap();
    block_on(async {
        let how = Unlock::Passphrase(Passphrase::new(passphrase.to_string()));
        let ws = bidwell_core::Workspace::open(data, how, bidwell_core::Environment::system())
            .await
            .map_err(|e| format!("does not open in-process: {e}"))?;
        let read = async {
            let overview = ws.privacy_overview().await?;
            let counts = overview
                .counts
                .iter()
                .map(|(kind, n)| (serde_json::to_value(kind).unwrap().as_str().unwrap().to_string(), *n))
                .filter(|(kind, _)| ENTITY_KINDS.contains(&kind.as_str()))
                .collect();
            let marker_notes = match ws.client(id(&f.marker_client)).await {
                Ok(client) => Some(client.notes),
                Err(e) if e.code() == bidwell_core::ErrorCode::NotFound => None,
                Err(e) => return Err(e),
            };
            let erase_client_present = match ws.client(id(&f.erase_client)).await {
                Ok(_) => true,
                Err(e) if e.code() == bidwell_core::ErrorCode::NotFound => false,
                Err(e) => return Err(e),
            };
            let audit_first_broken = ws.verify_audit_log().await?;
            Ok(Contents { counts, marker_notes, erase_client_present, audit_first_broken })
        }
        .await;
        ws.lock().await;
        read.map_err(|e| format!("reading the workspace failed: {e}"))
    })
}

/// Unlock, integrity, committed records, files: the checks every operation shares.
fn check_workspace(op: &Op, f: &Fixture, dirs: &RunDirs, killed: &Killed) -> Result<Vec<String>, String> {
    let mut notes = Vec::new();
    let mut passphrase = PASSPHRASE;
    // `bidwell doctor` unlocks as a user would and runs the full integrity check.
    let mut doctor = json(&dirs.data, PASSPHRASE, &["doctor"]);
    if op.name == "passphrase-change" && matches!(&doctor, Err(e) if e["code"] == "wrong_passphrase") {
        passphrase = NEW_PASSPHRASE;
        doctor = json(&dirs.data, NEW_PASSPHRASE, &["doctor"]);
    }
    let doctor = doctor.map_err(|e| format!("does not unlock: {e}"))?;
    if doctor["integrity"] != serde_json::json!(["ok"]) {
        return Err(format!("integrity check: {}", doctor["integrity"]));
    }
    if op.name != "passphrase-change" && op.name != "key-rotate" && !doctor["unconfirmed_recovery_key"].is_null() {
        return Err(format!("asks for a new recovery key after {}: {}", op.name, doctor["unconfirmed_recovery_key"]));
    }
    let contents = contents(f, &dirs.data, passphrase)?;
    if contents.marker_notes.as_deref() != Some(&format!("notes {MARKER}")) {
        return Err(format!("a client committed before the kill is gone or changed: {:?}", contents.marker_notes));
    }
    if let Some(seq) = contents.audit_first_broken {
        return Err(format!("the audit chain is broken at entry {seq}"));
    }
    let after =
        After { passphrase, counts: contents.counts, erase_client_present: contents.erase_client_present, doctor };
    notes.insert(0, (op.outcome)(f, dirs, killed, &after)?);
    if passphrase == NEW_PASSPHRASE {
        notes.push("opened with the new passphrase".into());
    }
    check_files(dirs, &mut notes)?;
    Ok(notes)
}

/// A killed wipe: the workspace still fully works, or nothing of it is
/// left, or its key is destroyed so that nothing left can be read.
fn check_wipe(op: &Op, f: &Fixture, dirs: &RunDirs, killed: &Killed) -> Result<Vec<String>, String> {
    // The lock files go last, after the marker: a kill just before leaves only them.
    let left: Vec<PathBuf> = files_under(&dirs.data).into_iter().filter(|f| !is_lock_file(&dirs.data, f)).collect();
    if left.is_empty() {
        return Ok(vec!["gone".into()]);
    }
    if json(&dirs.data, PASSPHRASE, &["doctor"]).is_ok() {
        return check_workspace(op, f, dirs, killed);
    }
    // Killed after its marker: the live key may be shredded while the
    // backups are not destroyed yet, so it must be finished, and finishing
    // it (wiping again with the name) must leave nothing.
    if dirs.data.join("bidwell.wiping").exists() {
        let finished = json(&dirs.data, PASSPHRASE, &["wipe", "--confirm", WORKSPACE])
            .map_err(|e| format!("an interrupted wipe could not be finished: {e}"))?;
        let still: Vec<String> =
            files_under(&dirs.data).iter().filter(|f| !is_lock_file(&dirs.data, f)).map(|p| file_name(p)).collect();
        if !still.is_empty() || files_under(&dirs.data).iter().any(|f| is_lock_file(&dirs.data, f)) {
            return Err(format!("finishing the interrupted wipe left {still:?} ({finished})"));
        }
        let names: Vec<String> = left.iter().map(|p| file_name(p)).collect();
        return Ok(vec![format!("interrupted, finished by wiping again; it had left: {}", names.join(" "))]);
    }
    // Crypto-shredded only if no file left opens the database: try each
    // one that could be a key file in place of the key file.
    let db: Vec<&PathBuf> = left.iter().filter(|p| file_name(p).starts_with("bidwell.db")).collect();
    for candidate in left.iter().filter(|p| file_name(p).contains("key")) {
        let scratch = tempfile::tempdir().unwrap();
        for file in &db {
            std::fs::copy(file, scratch.path().join(file_name(file))).unwrap();
        }
        std::fs::copy(candidate, scratch.path().join("bidwell.key")).unwrap();
        if json(scratch.path(), PASSPHRASE, &["doctor"]).is_ok()
            || opens_with_recovery_key(scratch.path(), &f.recovery_key)
        {
            return Err(format!("{} still opens the database after the wipe failed", file_name(candidate)));
        }
    }
    for file in &left {
        if contains(&std::fs::read(file).unwrap_or_default(), MARKER.as_bytes()) {
            return Err(format!("plaintext marker in {}", file.display()));
        }
    }
    let names: Vec<String> = left.iter().map(|p| file_name(p)).collect();
    Ok(vec![format!("crypto-shredded, left: {}", names.join(" "))])
}

/// Runs `op` uncut on a fresh copy: how long it took, and what the checks
/// say of the finished operation (so each check is seen to accept the
/// "all done" state, whatever the kills hit).
fn calibrate(op: &Op, f: &Fixture) -> (Duration, Result<Vec<String>, String>) {
    let dirs = f.run_dirs();
    let started = Instant::now();
    let out = bidwell(&dirs.data, PASSPHRASE).args((op.args)(f, &dirs)).envs(op.env.iter().copied()).output().unwrap();
    let took = started.elapsed();
    assert!(out.status.success(), "{} failed uncut: {}", op.name, String::from_utf8_lossy(&out.stderr));
    (took, check(op, f, &dirs, &Killed { finished: true, stdout: out.stdout }))
}

fn check(op: &Op, f: &Fixture, dirs: &RunDirs, killed: &Killed) -> Result<Vec<String>, String> {
    match op.name {
        "wipe" => check_wipe(op, f, dirs, killed),
        _ => check_workspace(op, f, dirs, killed),
    }
}

#[derive(Default)]
struct Tally {
    kills: usize,
    finished_before_kill: usize,
    outcomes: BTreeMap<String, usize>,
}

/// The failed runs, one per line. Returned rather than asserted, so that a
/// CI log (which keeps its last lines) ends with them and not with a panic's
/// backtrace.
struct FailedRuns(Vec<String>);

impl std::fmt::Debug for FailedRuns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} run(s) failed:", self.0.len())?;
        self.0.iter().try_for_each(|line| writeln!(f, "  {line}"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bidwell_killed_anywhere_leaves_a_workspace_that_opens_whole() -> Result<(), FailedRuns> {
    use bidwell_market_sim::{SimConfig, SimServer};
    let server =
        SimServer::start(SimConfig { jobs: SIM_JOBS, record_requests: false, ..SimConfig::default() }).await.unwrap();
    let url = server.base_url();
    let failures = tokio::task::spawn_blocking(move || harness(&url)).await.unwrap();
    drop(server);
    if failures.is_empty() {
        Ok(())
    } else {
        Err(FailedRuns(failures))
    }
}

fn harness(market_url: &str) -> Vec<String> {
    let runs = env_usize("BIDWELL_CRASH_RUNS").unwrap_or(CI_RUNS);
    let seed = match std::env::var("BIDWELL_CRASH_SEED") {
        Ok(s) => u64::from_str_radix(s.trim_start_matches("0x"), 16).expect("BIDWELL_CRASH_SEED is hex"),
        Err(_) => std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64,
    };
    let only_run = env_usize("BIDWELL_CRASH_RUN");
    let only_ops: Option<Vec<String>> =
        std::env::var("BIDWELL_CRASH_OPS").ok().map(|s| s.split(',').map(str::to_owned).collect());
    let ops: Vec<&Op> =
        OPS.iter().filter(|op| only_ops.as_ref().is_none_or(|names| names.iter().any(|n| n == op.name))).collect();
    assert!(!ops.is_empty(), "BIDWELL_CRASH_OPS names no operation");
    eprintln!("crash harness: {runs} runs, BIDWELL_CRASH_SEED={seed:x}");

    let started = Instant::now();
    let fixture = Fixture::build(market_url);
    let mut failures = Vec::new();
    let mut spans = Vec::new();
    for op in &ops {
        let (took, checked) = calibrate(op, &fixture);
        eprintln!("  calibration: {} took {} ms uncut: {checked:?}", op.name, took.as_millis());
        if let Err(why) = checked {
            failures.push(format!("{} run uncut: {why}", op.name));
        }
        spans.push(took);
    }

    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    for i in 0..runs {
        // Each run's delay depends only on the seed and its index, so one run replays alone.
        let mut rng = Rng(seed ^ (i as u64).wrapping_mul(0xA076_1D64_78BD_642F));
        let (op, span) = (ops[i % ops.len()], spans[i % ops.len()]);
        let delay = Duration::from_micros(rng.next() % (span.as_micros() as u64 + 1));
        if only_run.is_some_and(|r| r != i) {
            continue;
        }
        let dirs = fixture.run_dirs();
        let mut child = bidwell(&dirs.data, PASSPHRASE)
            .args((op.args)(&fixture, &dirs))
            .envs(op.env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let finished = child.try_wait().unwrap().is_some();
        let _ = child.kill(); // SIGKILL
        let out = child.wait_with_output().unwrap();
        let killed = Killed { finished, stdout: out.stdout };
        let checked = check(op, &fixture, &dirs, &killed);
        let tally = tallies.entry(op.name).or_default();
        tally.kills += 1;
        tally.finished_before_kill += usize::from(finished);
        let label = format!("run {i}: op={} delay={}ms seed={seed:x}", op.name, delay.as_millis());
        match checked {
            Ok(notes) => {
                eprintln!("{label}: {}", notes.join("; "));
                for note in notes {
                    *tally.outcomes.entry(note).or_default() += 1;
                }
            }
            Err(why) => {
                eprintln!("{label}: FAILED: {why}");
                *tally.outcomes.entry("FAILED".into()).or_default() += 1;
                failures.push(format!("{label} (replay: BIDWELL_CRASH_SEED={seed:x} BIDWELL_CRASH_RUN={i}): {why}"));
            }
        }
    }
    eprintln!("crash harness: {runs} runs in {} s, seed {seed:x}", started.elapsed().as_secs());
    for (name, t) in &tallies {
        eprintln!("  {name}: {} kills, {} after it had finished; {:?}", t.kills, t.finished_before_kill, t.outcomes);
    }
    failures
}
