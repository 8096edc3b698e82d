//! The integrity check: the health report leaves it out (it reads the whole
//! database), the check on its own finds a damaged page, locking stops a
//! running check rather than waiting for it, and the user can stop a running
//! check without locking and check again.

use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::Arc;

use bidwell_core::secret::Passphrase;
use bidwell_core::seed::{seed_workspace, SeedPlan};
use bidwell_core::vault::{Protection, Unlock};
use bidwell_core::{ErrorCode, IntegrityOutcome, NewClient, Session, Workspace};

use crate::support::*;

/// SQLCipher 4's default page size.
const PAGE_SIZE: u64 = 4096;

#[tokio::test]
async fn the_report_leaves_the_scan_out_and_the_check_passes_a_sound_database() {
    let (_dir, ws) = new_workspace().await;
    ws.create_client(NewClient { name: "Ada".into(), ..Default::default() }).await.unwrap();
    let report = ws.doctor().await.unwrap();
    assert_eq!(report.integrity, None, "doctor must not scan the database");
    assert!(report.encrypted);
    assert_eq!(ws.check_integrity().await.unwrap(), IntegrityOutcome::Healthy);
    // The check's own connection is gone; the workspace goes on working.
    ws.create_client(NewClient { name: "Grace".into(), ..Default::default() }).await.unwrap();
    assert_eq!(ws.check_integrity().await.unwrap(), IntegrityOutcome::Healthy);
    ws.lock().await;
}

#[tokio::test]
async fn the_check_names_a_damaged_page() {
    let (dir, ws) = new_workspace().await;
    for n in 0..200 {
        let notes = format!("client {n} with enough text to fill pages {}", "x".repeat(200));
        ws.create_client(NewClient { name: format!("Client {n}"), notes, ..Default::default() }).await.unwrap();
    }
    // Locking checkpoints the WAL, so every page is in the main file.
    ws.lock().await;
    let db = dir.path().join("bidwell.db");
    let pages = std::fs::metadata(&db).unwrap().len() / PAGE_SIZE;
    assert!(pages > 10, "{pages} pages");
    // Flip bytes inside the last page's ciphertext: its HMAC no longer matches.
    let damaged = pages;
    let mut file = std::fs::OpenOptions::new().read(true).write(true).open(&db).unwrap();
    let at = (damaged - 1) * PAGE_SIZE + 100;
    let mut bytes = [0u8; 8];
    file.seek(SeekFrom::Start(at)).unwrap();
    file.read_exact(&mut bytes).unwrap();
    bytes.iter_mut().for_each(|b| *b ^= 0xff);
    file.seek(SeekFrom::Start(at)).unwrap();
    file.write_all(&bytes).unwrap();
    file.sync_all().unwrap();
    drop(file);

    let ws = Workspace::open(dir.path(), Unlock::Passphrase(Passphrase::new(PASSPHRASE.into())), env()).await.unwrap();
    let IntegrityOutcome::Damaged { findings } = ws.check_integrity().await.unwrap() else {
        panic!("the damaged page went unnoticed");
    };
    assert!(
        findings.iter().flat_map(|f| f.lines()).any(|line| line.ends_with(&format!(" page {damaged}"))),
        "the damaged page {damaged} is not named: {findings:?}"
    );
    ws.lock().await;
}

/// An unlocked session over enough records that a check can be caught
/// running, and that check, seen running.
async fn a_running_check(
    dir: &std::path::Path,
) -> (Arc<Session>, tokio::task::JoinHandle<bidwell_core::Result<IntegrityOutcome>>) {
    let session = Arc::new(Session::new(dir.to_path_buf(), env()));
    session.create("Studio", Protection::Passphrase(passphrase())).await.unwrap();
    {
        let ws = session.workspace().await.unwrap();
        seed_workspace(&ws, &SeedPlan { records: 3_000, seed: 11 }, &mut |_, _| {}).await.unwrap();
    }
    let checking = {
        let session = session.clone();
        tokio::spawn(async move { session.workspace().await?.check_integrity().await })
    };
    // Bounded wait for the check to be reading (it takes far longer than a poll).
    let mut polls = 0;
    while !session.workspace().await.unwrap().is_checking_integrity() {
        assert!(!checking.is_finished(), "the check ended before it was seen running");
        polls += 1;
        assert!(polls < 10_000, "the check never started");
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    (session, checking)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locking_stops_a_running_check_instead_of_waiting_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let (session, checking) = a_running_check(dir.path()).await;

    session.lock().await;
    let stopped = checking.await.unwrap().expect_err("the check ran to the end while locking waited for it");
    assert_eq!(stopped.code(), ErrorCode::Locked);

    // A stopped check leaves nothing behind: unlocked again, the check passes.
    session.unlock(Unlock::Passphrase(passphrase())).await.unwrap();
    let ws = session.workspace().await.unwrap();
    assert!(!ws.is_checking_integrity());
    assert_eq!(ws.check_integrity().await.unwrap(), IntegrityOutcome::Healthy);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_a_running_check_ends_it_as_stopped_and_the_next_check_runs_to_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let (session, checking) = a_running_check(dir.path()).await;

    session.stop_integrity_check().await;
    assert_eq!(checking.await.unwrap().unwrap(), IntegrityOutcome::Stopped, "the check was not stopped");

    // Still unlocked, and a stop does not carry over to the next check.
    let ws = session.workspace().await.unwrap();
    assert!(!ws.is_checking_integrity());
    assert_eq!(ws.check_integrity().await.unwrap(), IntegrityOutcome::Healthy);
}

#[tokio::test]
async fn stopping_when_no_check_runs_changes_nothing() {
    let (_dir, ws) = new_workspace().await;
    ws.create_client(NewClient { name: "Ada".into(), ..Default::default() }).await.unwrap();
    ws.stop_integrity_check();
    assert_eq!(ws.check_integrity().await.unwrap(), IntegrityOutcome::Healthy);
    ws.lock().await;
}
