//! Backups: scheduled snapshots, the recovery key alone opening and
//! restoring them, erasure reaching them, wipe destroying them, rotation,
//! and restore's safety snapshot and cancel.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bidwell_core::backup::{self, BackupReason};
use bidwell_core::portability::Step;
use bidwell_core::secret::RecoveryKey;
use bidwell_core::vault::{KdfParams, Protection, Unlock};
use bidwell_core::{ClientFilter, Environment, ErrorCode, ManualClock, NewClient, PageRequest, Workspace};
use chrono::{Duration, TimeZone, Utc};

use crate::support::{contains, files_under, passphrase, NoKeychain};

struct Fixture {
    dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
    ws: Workspace,
    recovery: RecoveryKey,
}

fn env_on(clock: &Arc<ManualClock>) -> Environment {
    Environment {
        clock: clock.clone(),
        keychain: Arc::new(NoKeychain),
        kdf: KdfParams::light(),
        holder: Default::default(),
    }
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap()));
    let (ws, recovery) =
        Workspace::create(dir.path(), "Backed up", Protection::Passphrase(passphrase()), env_on(&clock)).await.unwrap();
    Fixture { dir, clock, ws, recovery }
}

async fn client_names(ws: &Workspace) -> Vec<String> {
    let mut names: Vec<String> = ws
        .list_clients(&ClientFilter::default(), &PageRequest::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|c| c.name)
        .collect();
    names.sort();
    names
}

async fn add(ws: &Workspace, name: &str) -> bidwell_core::Id {
    ws.create_client(NewClient { name: name.into(), ..Default::default() }).await.unwrap().meta.id
}

fn no_progress() -> impl FnMut(Step) + Send {
    |_| {}
}

#[tokio::test]
async fn a_scheduled_backup_is_taken_once_a_day() {
    let f = fixture().await;
    add(&f.ws, "Ada").await;
    let first = f.ws.backup_if_due().await.unwrap().expect("no backup yet: one is due");
    assert_eq!(first.manifest.reason, BackupReason::Scheduled);
    assert!(first.path.starts_with(f.dir.path().join("backups")));
    assert!(f.ws.backup_if_due().await.unwrap().is_none(), "not due again within the day");
    f.clock.advance(Duration::hours(23));
    assert!(f.ws.backup_if_due().await.unwrap().is_none());
    f.clock.advance(Duration::hours(2));
    let second = f.ws.backup_if_due().await.unwrap().expect("a day later one is due");
    let listed = f.ws.list_backups().await.unwrap();
    assert_eq!(listed.iter().map(|b| &b.name).collect::<Vec<_>>(), vec![&first.name, &second.name]);
    assert_eq!(listed[1].manifest.counts[&bidwell_core::EntityKind::Client], 1);
    assert!(listed.iter().all(|b| b.complete && b.bytes > 0));
    // The doctor sees it.
    let report = f.ws.doctor().await.unwrap();
    assert_eq!(report.last_good_backup, Some(second.manifest.taken_at));
    assert!(!report.backup_overdue);
    f.clock.advance(Duration::days(8));
    assert!(f.ws.doctor().await.unwrap().backup_overdue);
}

#[tokio::test]
async fn snapshots_are_encrypted_and_the_manifest_holds_no_personal_data() {
    let f = fixture().await;
    add(&f.ws, "Zebediah Quartermaine").await;
    let info = f.ws.backup_now(BackupReason::Manual).await.unwrap();
    for file in files_under(&info.path) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(!contains(&bytes, b"Zebediah"), "{} holds the name in plaintext", file.display());
        assert!(!contains(&bytes, b"SQLite format 3"), "{} is a plaintext database", file.display());
    }
    let verified = f.ws.verify_backup(&info.name).await.unwrap();
    assert!(verified.healthy, "{:?}", verified.findings);
    // A changed manifest is caught.
    let manifest_path = info.path.join(backup::MANIFEST_FILE);
    let text = std::fs::read_to_string(&manifest_path).unwrap().replace("\"client\": 1", "\"client\": 5");
    std::fs::write(&manifest_path, text).unwrap();
    let verified = f.ws.verify_backup(&info.name).await.unwrap();
    assert!(!verified.healthy);
}

#[tokio::test]
async fn the_recovery_key_alone_restores_a_backup_after_the_key_file_is_lost_even_after_rotation() {
    let f = fixture().await;
    add(&f.ws, "Ada").await;
    add(&f.ws, "Grace").await;
    let info = f.ws.backup_now(BackupReason::Manual).await.unwrap();
    let taken = client_names(&f.ws).await;
    add(&f.ws, "Later").await;
    // Rotation gives a new recovery key; the old snapshot must open with it.
    let recovery = f.ws.rotate_key().await.unwrap();
    let _ = f.recovery;
    f.ws.lock().await;

    // The key file is lost.
    std::fs::remove_file(f.dir.path().join("bidwell.key")).unwrap();
    assert!(Workspace::open(f.dir.path(), Unlock::Passphrase(passphrase()), env_on(&f.clock)).await.is_err());

    let current = || RecoveryKey::parse(recovery.expose_for_display()).unwrap();
    let check = backup::verify_with_recovery_key(&info.path, current(), &env_on(&f.clock)).await.unwrap();
    assert!(check.healthy, "{:?}", check.findings);
    let (restored, report) = Workspace::restore_with_recovery_key(
        f.dir.path(),
        &info.path,
        current(),
        env_on(&f.clock),
        &mut no_progress(),
        &AtomicBool::new(false),
    )
    .await
    .unwrap();
    assert_eq!(client_names(&restored).await, taken);
    assert!(report.replaced_state_backup.is_none());
    assert!(!report.moved_aside.is_empty(), "the unreadable database is moved aside, not deleted");
    restored.lock().await;
    // It opens afterwards with the passphrase of the snapshot's time, and the recovery key.
    let again = Workspace::open(f.dir.path(), Unlock::Passphrase(passphrase()), env_on(&f.clock)).await.unwrap();
    assert_eq!(client_names(&again).await, taken);
    again.lock().await;
    let again = Workspace::open(f.dir.path(), Unlock::RecoveryKey(recovery), env_on(&f.clock)).await.unwrap();
    assert_eq!(client_names(&again).await, taken);
}

#[tokio::test]
async fn a_client_erased_after_the_backup_does_not_come_back_on_restore() {
    let f = fixture().await;
    add(&f.ws, "Keeper").await;
    let gone = add(&f.ws, "Zebediah Erased").await;
    let info = f.ws.backup_now(BackupReason::Manual).await.unwrap();
    f.ws.erase_client(gone).await.unwrap();

    // The snapshot itself no longer holds the client (the recovery-key path
    // needs no live database), and its manifest counts follow.
    let after = backup::read_info(&info.path).unwrap();
    assert_eq!(after.manifest.counts[&bidwell_core::EntityKind::Client], 1);
    assert!(f.ws.verify_backup(&info.name).await.unwrap().healthy);

    // Restored through the live workspace: not back.
    let report = f.ws.restore_backup(&info.name, &mut no_progress(), &AtomicBool::new(false)).await.unwrap();
    assert_eq!(client_names(&f.ws).await, vec!["Keeper".to_string()]);
    assert!(report.replaced_state_backup.is_some());
    f.ws.lock().await;

    // And with the recovery key alone, the live key file gone: not back either.
    std::fs::remove_file(f.dir.path().join("bidwell.key")).unwrap();
    let (restored, _) = Workspace::restore_with_recovery_key(
        f.dir.path(),
        &info.path,
        f.recovery,
        env_on(&f.clock),
        &mut no_progress(),
        &AtomicBool::new(false),
    )
    .await
    .unwrap();
    assert_eq!(client_names(&restored).await, vec!["Keeper".to_string()]);
    restored.lock().await;
    for file in files_under(f.dir.path()) {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        if name.contains(".replaced-") {
            continue; // the live database of before, encrypted under a key no longer kept
        }
        // SQLite's -shm/-journal can go away as the closed pool's threads finish.
        let Ok(bytes) = std::fs::read(&file) else { continue };
        assert!(!contains(&bytes, b"Zebediah"), "{} still holds the name", file.display());
    }
}

#[tokio::test]
async fn the_ledger_replays_an_erasure_the_snapshot_missed() {
    let f = fixture().await;
    let gone = add(&f.ws, "Missed").await;
    let info = f.ws.backup_now(BackupReason::Manual).await.unwrap();
    // The snapshot is out of reach when the client is erased (say, on an
    // unplugged drive): the erasure cannot be written into it then.
    let aside = f.dir.path().join("unplugged");
    std::fs::rename(&info.path, &aside).unwrap();
    f.ws.erase_client(gone).await.unwrap();
    std::fs::rename(&aside, &info.path).unwrap();
    assert_eq!(backup::read_info(&info.path).unwrap().manifest.counts[&bidwell_core::EntityKind::Client], 1);
    let report = f.ws.restore_backup(&info.name, &mut no_progress(), &AtomicBool::new(false)).await.unwrap();
    assert_eq!(report.erasures_replayed, 1);
    assert!(client_names(&f.ws).await.is_empty());
}

#[tokio::test]
async fn wipe_leaves_no_backup_in_its_folders() {
    let f = fixture().await;
    add(&f.ws, "Ada").await;
    let chosen = tempfile::tempdir().unwrap();
    f.ws.backup_now(BackupReason::Manual).await.unwrap();
    f.ws.set_backup_folder(chosen.path()).await.unwrap();
    f.ws.backup_now(BackupReason::Manual).await.unwrap();
    assert_eq!(files_under(chosen.path()).len(), 3);
    // Another workspace's snapshot in the same folder is not touched.
    let other_dir = tempfile::tempdir().unwrap();
    let (other, _) =
        Workspace::create(other_dir.path(), "Other", Protection::Passphrase(passphrase()), env_on(&f.clock))
            .await
            .unwrap();
    other.set_backup_folder(chosen.path()).await.unwrap();
    other.backup_now(BackupReason::Manual).await.unwrap();

    let report = f.ws.wipe("Backed up").await.unwrap();
    assert!(report.removed_files.iter().any(|p| p.starts_with(chosen.path())));
    assert!(files_under(&f.dir.path().join("backups")).is_empty(), "default folder emptied");
    let left: Vec<_> = files_under(chosen.path());
    assert_eq!(left.len(), 3, "only the other workspace's snapshot is left: {left:?}");
    assert_eq!(other.list_backups().await.unwrap().len(), 1);
}

#[tokio::test]
async fn rotation_keeps_7_daily_4_weekly_12_monthly() {
    let f = fixture().await;
    // A backup every day for 100 days.
    for _ in 0..100 {
        f.ws.backup_if_due().await.unwrap().expect("due each day");
        f.clock.advance(Duration::days(1));
    }
    let kept: Vec<_> = f.ws.list_backups().await.unwrap().into_iter().map(|b| b.manifest.taken_at).collect();
    assert_eq!(backup::rotation::keep(&kept).len(), kept.len(), "what is left is exactly what the rule keeps");
    // 100 days from Nov 1: the 7 newest days, weeklies, and the newest of 4 months.
    assert!(kept.len() >= 7 && kept.len() <= 7 + 4 + 12, "{}", kept.len());
    let newest = *kept.last().unwrap();
    let days: Vec<_> = kept.iter().map(|t| t.date_naive()).collect();
    for d in 0..7 {
        assert!(days.contains(&(newest - Duration::days(d)).date_naive()), "daily {d}");
    }
    let oldest = kept[0];
    assert!(newest - oldest > Duration::days(60), "monthlies reach back: {oldest}");
}

#[tokio::test]
async fn restore_backs_up_the_current_state_first_and_a_cancelled_restore_changes_nothing() {
    let f = fixture().await;
    add(&f.ws, "Before").await;
    let info = f.ws.backup_now(BackupReason::Manual).await.unwrap();
    add(&f.ws, "After").await;
    let live_before = client_names(&f.ws).await;

    let cancel = AtomicBool::new(false);
    let mut stop_when_copying = |step: Step| {
        if step.stage == "copying" {
            cancel.store(true, Ordering::Relaxed);
        }
    };
    let err = f.ws.restore_backup(&info.name, &mut stop_when_copying, &cancel).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Cancelled);
    assert_eq!(client_names(&f.ws).await, live_before, "the live workspace is unchanged");
    let backups = f.ws.list_backups().await.unwrap();
    let safety = backups.iter().find(|b| b.manifest.reason == BackupReason::BeforeRestore).expect("a safety backup");
    assert_eq!(safety.manifest.counts[&bidwell_core::EntityKind::Client], 2);
    assert!(!files_under(f.dir.path()).iter().any(|p| p.to_string_lossy().contains(".bidwell-restore-")));

    // Not cancelled: the snapshot's state, and the state it replaced is kept.
    let report = f.ws.restore_backup(&info.name, &mut no_progress(), &AtomicBool::new(false)).await.unwrap();
    assert_eq!(client_names(&f.ws).await, vec!["Before".to_string()]);
    let replaced = report.replaced_state_backup.unwrap();
    // Restoring that brings "After" back.
    f.ws.restore_backup(&replaced.name, &mut no_progress(), &AtomicBool::new(false)).await.unwrap();
    assert_eq!(client_names(&f.ws).await, live_before);
    // And the workspace still opens from disk with its passphrase.
    let dir = f.dir.path().to_path_buf();
    f.ws.lock().await;
    let again = Workspace::open(&dir, Unlock::Passphrase(passphrase()), env_on(&f.clock)).await.unwrap();
    assert_eq!(client_names(&again).await, live_before);
}

#[tokio::test]
async fn key_rotation_and_import_take_a_backup_first() {
    let f = fixture().await;
    f.ws.rotate_key().await.unwrap();
    let reasons: Vec<_> = f.ws.list_backups().await.unwrap().iter().map(|b| b.manifest.reason).collect();
    assert_eq!(reasons, vec![BackupReason::BeforeKeyRotation]);
    let csv = f.dir.path().join("clients.csv");
    std::fs::write(&csv, "name\nImported\n").unwrap();
    f.ws.import(&csv, &Default::default(), None, &mut no_progress(), &AtomicBool::new(false)).await.unwrap();
    let reasons: Vec<_> = f.ws.list_backups().await.unwrap().iter().map(|b| b.manifest.reason).collect();
    assert_eq!(reasons, vec![BackupReason::BeforeKeyRotation, BackupReason::BeforeImport]);
}

#[tokio::test]
async fn opening_an_older_schema_takes_a_backup_before_migrating() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema-v9");
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&fixture).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap()));
    let fixture_passphrase = bidwell_core::secret::Passphrase::new("fixture passphrase, not a secret".into());
    let ws = Workspace::open(dir.path(), Unlock::Passphrase(fixture_passphrase), env_on(&clock)).await.unwrap();
    let backups = ws.list_backups().await.unwrap();
    assert_eq!(backups.len(), 1);
    assert_eq!(backups[0].manifest.reason, BackupReason::BeforeMigration);
    assert_eq!(backups[0].manifest.schema_version, 9);
    // The workspace knows its key: it verifies and restores like any other.
    assert!(ws.verify_backup(&backups[0].name).await.unwrap().healthy);
}

#[tokio::test]
async fn a_restore_is_refused_while_another_handle_has_the_workspace_open() {
    use bidwell_core::Holder;
    let f = fixture().await;
    add(&f.ws, "Before").await;
    let info = f.ws.backup_now(BackupReason::Manual).await.unwrap();
    add(&f.ws, "After").await;
    let live = client_names(&f.ws).await;
    let snapshots = f.ws.list_backups().await.unwrap().len();
    let key_file = f.dir.path().join("bidwell.key");
    let key_bytes = std::fs::read(&key_file).unwrap();
    let recovery = || RecoveryKey::parse(f.recovery.expose_for_display()).unwrap();
    let app_env = || Environment { holder: Holder::App, ..env_on(&f.clock) };
    // Another process has it open (a second handle: the lock belongs to the open file).
    let other = Workspace::open(f.dir.path(), Unlock::Passphrase(passphrase()), app_env()).await.unwrap();
    let unchanged = |what: &str| {
        let left = files_under(f.dir.path());
        assert!(
            !left.iter().any(
                |p| p.to_string_lossy().contains(".bidwell-restore-") || p.to_string_lossy().contains(".replaced-")
            ),
            "{what}: {left:?}"
        );
        assert_eq!(std::fs::read(&key_file).unwrap(), key_bytes, "{what}: the key file is the same");
    };

    let err = f.ws.restore_backup(&info.name, &mut no_progress(), &AtomicBool::new(false)).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::WorkspaceInUse, "{err}");
    assert!(err.is_transient());
    let message = err.to_string();
    assert!(message.contains("restore a backup") && message.contains("the Bidwell app"), "{message}");
    assert_eq!(f.ws.list_backups().await.unwrap().len(), snapshots, "refused before the safety snapshot");
    assert_eq!(client_names(&f.ws).await, live);
    assert_eq!(client_names(&other).await, live);
    unchanged("a refused restore");

    // The recovery key alone, over the folder the other handle has open: refused too.
    let err = Workspace::restore_with_recovery_key(
        f.dir.path(),
        &info.path,
        recovery(),
        env_on(&f.clock),
        &mut no_progress(),
        &AtomicBool::new(false),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::WorkspaceInUse, "{err}");
    assert!(err.to_string().contains("restore a backup"), "{err}");
    assert_eq!(client_names(&other).await, live, "nothing was moved aside under it");
    unchanged("a refused restore with the recovery key");

    // The refusals gave back what they held: once the other has closed, both go through.
    other.lock().await;
    f.ws.restore_backup(&info.name, &mut no_progress(), &AtomicBool::new(false)).await.unwrap();
    assert_eq!(client_names(&f.ws).await, vec!["Before".to_string()]);
    f.ws.lock().await;
    let (restored, _) = Workspace::restore_with_recovery_key(
        f.dir.path(),
        &info.path,
        recovery(),
        env_on(&f.clock),
        &mut no_progress(),
        &AtomicBool::new(false),
    )
    .await
    .unwrap();
    // The restored workspace holds the folder shared, as any open one: a
    // reader opens beside it, and a key change there waits for it to close.
    let reader = Workspace::open(f.dir.path(), Unlock::Passphrase(passphrase()), app_env()).await.unwrap();
    assert_eq!(client_names(&reader).await, vec!["Before".to_string()]);
    assert_eq!(reader.rotate_key().await.unwrap_err().code(), ErrorCode::WorkspaceInUse);
    restored.lock().await;
    reader.rotate_key().await.unwrap();
    reader.lock().await;
}

/// A restore killed while staging leaves its encrypted copy in a hidden
/// folder of the workspace directory: the next open removes it, and so does
/// a wipe, which must leave nothing.
#[tokio::test]
async fn a_killed_restores_staging_folder_goes_at_the_next_open_and_at_wipe() {
    let f = fixture().await;
    add(&f.ws, "Ada").await;
    let staging = |name: &str| {
        let dir = f.dir.path().join(name);
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("bidwell.db"), b"an encrypted copy").unwrap();
        dir
    };
    let killed = staging(".bidwell-restore-0123456789abcdef0123456789abcdef");
    f.ws.lock().await;
    let ws = Workspace::open(f.dir.path(), Unlock::Passphrase(passphrase()), env_on(&f.clock)).await.unwrap();
    assert!(!killed.exists(), "the next open leaves a killed restore's staging folder");
    assert_eq!(client_names(&ws).await, ["Ada"]);

    let again = staging(".bidwell-restore-fedcba9876543210fedcba9876543210");
    let report = ws.wipe("Backed up").await.unwrap();
    assert!(report.removed_files.contains(&again), "{:?}", report.removed_files);
    let left: Vec<_> =
        files_under(f.dir.path()).into_iter().filter(|p| !p.to_string_lossy().contains("bidwell.lock")).collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// Lock wins over a restore (#13 part 3): the workspace starting to lock
/// (`Session::lock` raises its lock signal first) stops a restore at its next
/// step, whichever step that is, as `cancel` does: the live workspace is
/// unchanged, the safety snapshot it took is kept, no staging folder is left.
#[tokio::test]
async fn a_restore_stops_at_its_next_step_when_the_workspace_starts_locking() {
    for stage in ["backing up the current state", "copying", "replaying erasures"] {
        let f = fixture().await;
        add(&f.ws, "Before").await;
        let info = f.ws.backup_now(BackupReason::Manual).await.unwrap();
        add(&f.ws, "After").await;
        let live_before = client_names(&f.ws).await;

        let locking = f.ws.locking().clone();
        let mut lock_at = |step: Step| {
            if step.stage == stage {
                locking.raise();
            }
        };
        let never = AtomicBool::new(false);
        let err = f.ws.restore_backup(&info.name, &mut lock_at, &never).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Locked, "locking at {stage:?} stops the restore");
        assert_eq!(client_names(&f.ws).await, live_before, "locking at {stage:?}: the live workspace is unchanged");
        let backups = f.ws.list_backups().await.unwrap();
        let safety_taken = backups.iter().any(|b| b.manifest.reason == BackupReason::BeforeRestore);
        // Locking while the safety backup is taken stops that backup too.
        let first_step = stage == "backing up the current state";
        assert_eq!(
            safety_taken, !first_step,
            "locking at {stage:?}: the safety backup is kept once taken, and not taken once locking"
        );
        assert!(
            !files_under(f.dir.path()).iter().any(|p| p.to_string_lossy().contains(".partial")),
            "locking at {stage:?}: no half-made snapshot is left"
        );
        assert!(
            !files_under(f.dir.path()).iter().any(|p| p.to_string_lossy().contains(".bidwell-restore-")),
            "locking at {stage:?}: the staging folder is removed"
        );
    }
}

/// The desktop app's side (#13 part 1), through the session as the shell
/// calls it: the daily backup only while unlocked, Settings → Backups'
/// status (overdue, last good, newest first, the folder), the folder the
/// shell sets from the native dialog's answer (relative paths refused), and
/// a failed backup shown until one succeeds.
#[tokio::test]
async fn the_apps_backups_run_while_unlocked_and_a_failure_shows_until_one_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap()));
    let session = bidwell_core::Session::new(dir.path().to_path_buf(), env_on(&clock));
    assert!(session.backup_if_due().await.unwrap().is_none(), "backed up with no workspace open");
    assert_eq!(session.backup_status().await.unwrap_err().code(), ErrorCode::Locked);

    session.create("Timer", Protection::Passphrase(passphrase())).await.unwrap();
    let before = session.backup_status().await.unwrap();
    assert!(before.overdue && before.last_good.is_none() && before.backups.is_empty());
    assert_eq!(before.overdue_days, 7);
    assert_eq!(before.folder, dir.path().join("backups"));
    let daily = session.backup_if_due().await.unwrap().expect("none yet: one is due");
    assert!(session.backup_if_due().await.unwrap().is_none(), "not due again within the day");
    clock.advance(Duration::hours(1));
    let manual = session.backup_now().await.unwrap();
    let status = session.backup_status().await.unwrap();
    assert!(!status.overdue);
    assert_eq!(status.last_good, Some(manual.manifest.taken_at));
    let names: Vec<_> = status.backups.iter().map(|b| b.name.clone()).collect();
    assert_eq!(names, vec![manual.name.clone(), daily.name.clone()], "newest first");

    // The folder: what the shell does with the dialog's answer.
    let chosen = tempfile::tempdir().unwrap();
    let folder = chosen.path().join("Bidwell backups");
    {
        let ws = session.workspace().await.unwrap();
        let refused = ws.set_backup_folder(std::path::Path::new("relative/backups")).await.unwrap_err();
        assert_eq!(refused.code(), ErrorCode::Validation);
        assert_eq!(ws.set_backup_folder(&folder).await.unwrap(), folder);
    }
    assert_eq!(session.backup_status().await.unwrap().folder, folder);

    // The folder becomes unusable (a file where it was): the failure shows.
    std::fs::remove_dir_all(&folder).unwrap();
    std::fs::write(&folder, b"not a folder").unwrap();
    session.backup_now().await.unwrap_err();
    // Settings still opens, and says what is wrong.
    let failed = session.backup_status().await.unwrap();
    assert!(failed.last_error.is_some(), "the failure is not shown");
    assert!(failed.folder_error.is_some(), "the unreadable folder is not shown");
    assert!(failed.overdue && failed.backups.is_empty(), "no snapshot in the new folder");
    // Usable again: the next backup clears it.
    std::fs::remove_file(&folder).unwrap();
    let again = session.backup_if_due().await.unwrap().expect("the new folder has none: due");
    assert!(again.path.starts_with(&folder));
    let status = session.backup_status().await.unwrap();
    assert!(status.last_error.is_none() && !status.overdue);
}

/// Lock wins over a backup (#13 part 3): a backup under way when the
/// workspace starts locking stops after its copy, names no snapshot and
/// leaves no half-made one.
#[tokio::test]
async fn a_backup_stops_when_the_workspace_starts_locking() {
    let f = fixture().await;
    add(&f.ws, "Ada").await;
    f.ws.locking().raise();
    let err = f.ws.backup_now(BackupReason::Manual).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Locked, "{err}");
    assert!(f.ws.list_backups().await.unwrap().is_empty(), "a snapshot was named");
    let backups = files_under(&f.dir.path().join("backups"));
    assert!(backups.is_empty(), "a half-made snapshot is left: {backups:?}");
}
