//! Lock always wins over long work on the workspace, not only sync: an
//! export or an import under way when the workspace starts locking stops at
//! its next step with `locked`, leaving no file and writing nothing.

use std::sync::atomic::AtomicBool;

use bidwell_core::portability::{ExportOptions, ImportOptions};
use bidwell_core::seed::{seed_workspace, SeedPlan};
use bidwell_core::*;

use crate::support::*;

#[tokio::test]
async fn an_export_stops_when_the_workspace_starts_locking_and_leaves_no_file() {
    let (_dir, ws) = new_workspace().await;
    seed_workspace(&ws, &SeedPlan { records: 100, seed: 1 }, &mut |_, _| {}).await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let path = out.path().join("export.zip");
    let locking = ws.locking().clone();
    let mut steps = 0;
    let err = ws
        .export(
            &path,
            &ExportOptions::default(),
            None,
            &mut |p| {
                steps += 1;
                if p.stage == "contacts.json" {
                    locking.raise();
                }
            },
            &AtomicBool::new(false),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Locked);
    assert!(steps > 2, "it was under way");
    let left: Vec<_> = std::fs::read_dir(out.path()).unwrap().collect();
    assert!(left.is_empty(), "no archive and no temporary file: {left:?}");
}

#[tokio::test]
async fn an_import_stops_when_the_workspace_starts_locking_and_writes_nothing() {
    let (_dir, ws) = new_workspace().await;
    let file = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    std::fs::write(file.path(), "name,email\nAda,ada@example.com\nBob,bob@example.com\n").unwrap();
    let locking = ws.locking().clone();
    let err = ws
        .import(
            file.path(),
            &ImportOptions::default(),
            None,
            &mut |p| {
                // The rows are being written; the lock comes before the commit.
                if p.stage == "writing" {
                    locking.raise();
                }
            },
            &AtomicBool::new(false),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Locked);
    let clients = ws.list_clients(&Default::default(), &PageRequest::default()).await.unwrap();
    assert!(clients.items.is_empty(), "nothing was imported");
}
