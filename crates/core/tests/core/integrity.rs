//! The integrity check: the health report leaves it out (it reads the whole
//! database), and the check on its own finds a damaged page.

use std::io::{Read, Seek, SeekFrom, Write};

use bidwell_core::secret::Passphrase;
use bidwell_core::vault::Unlock;
use bidwell_core::{NewClient, Workspace};

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
    assert_eq!(ws.check_integrity().await.unwrap(), vec!["ok".to_string()]);
    // The check's own connection is gone; the workspace goes on working.
    ws.create_client(NewClient { name: "Grace".into(), ..Default::default() }).await.unwrap();
    assert_eq!(ws.check_integrity().await.unwrap(), vec!["ok".to_string()]);
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
    let findings = ws.check_integrity().await.unwrap();
    assert_ne!(findings, vec!["ok".to_string()]);
    assert!(
        findings.iter().flat_map(|f| f.lines()).any(|line| line.ends_with(&format!(" page {damaged}"))),
        "the damaged page {damaged} is not named: {findings:?}"
    );
    ws.lock().await;
}
