//! Migrations apply to an empty database (every other test does that) and to
//! workspaces written by earlier migration sets, kept as fixtures.
//!
//! To make a fixture for the set before a new migration, run (with the new
//! migration not yet added, or with FIXTURE_MAX_VERSION set below it;
//! FIXTURE_OUT is relative to crates/core):
//! `FIXTURE_OUT=tests/fixtures/schema-v2 FIXTURE_MAX_VERSION=2 \
//!  cargo test -p bidwell-core --test core make_fixture -- --ignored`

use std::path::Path;

use bidwell_core::secret::Passphrase;
use bidwell_core::vault::{KeyFile, Protection, Unlock};
use bidwell_core::*;
use sqlx::{ConnectOptions, Connection};

use crate::support::*;

/// The passphrase of the committed fixtures; they hold no real data.
const FIXTURE_PASSPHRASE: &str = "fixture passphrase, not a secret";
const FIXTURE_CLIENT: &str = "0190a5f0-0000-7000-8000-000000000001";
const FIXTURE_BID: &str = "0190a5f0-0000-7000-8000-000000000003";
const FIXTURE_DONE_TASK: &str = "0190a5f0-0000-7000-8000-000000000004";

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// A copy of a committed fixture, opened (and so upgraded to the latest schema).
async fn open_fixture(fixture: &Path) -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(fixture, dir.path());
    let ws = Workspace::open(dir.path(), Unlock::Passphrase(Passphrase::new(FIXTURE_PASSPHRASE.into())), env())
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", fixture.display()));
    (dir, ws)
}

/// The first unlock after an update names its two long steps, the backup
/// taken before the update and then the update, so that the window can say
/// why it waits; the next unlock has nothing to update and names none.
#[tokio::test]
async fn the_first_unlock_after_an_update_says_it_backs_up_and_then_updates() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema-v9"), dir.path());
    let how = || Unlock::Passphrase(Passphrase::new(FIXTURE_PASSPHRASE.into()));
    let mut steps: Vec<(String, u64, u64)> = Vec::new();
    let mut note = |phase: &str, done, total| steps.push((phase.to_owned(), done, total));
    let ws = Workspace::open_reporting(dir.path(), how(), env(), &mut note).await.unwrap();
    assert_eq!(steps, [(OPEN_BACKING_UP.to_owned(), 0, 2), (OPEN_UPDATING.to_owned(), 1, 2)]);
    let backups = ws.list_backups().await.unwrap();
    assert_eq!(backups.len(), 1, "the backup the first step named was taken");
    assert_eq!(backups[0].manifest.schema_version, 9, "before the update");
    let verified = ws.verify_backup(&backups[0].name).await.unwrap();
    assert!(verified.healthy, "the copy opens, every page checks and its counts match: {:?}", verified.findings);
    ws.lock().await;

    let mut again: Vec<String> = Vec::new();
    let mut note = |phase: &str, _, _| again.push(phase.to_owned());
    let ws = Workspace::open_reporting(dir.path(), how(), env(), &mut note).await.unwrap();
    assert!(again.is_empty(), "nothing to update, nothing to wait for: {again:?}");
    ws.lock().await;
}

/// Every committed fixture (one per earlier migration set) opens, upgrades
/// to the latest schema, keeps its data and takes new writes.
#[tokio::test]
async fn every_earlier_schema_upgrades_and_keeps_its_data() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    // Only the workspaces: tests/fixtures also holds the import corpus (address-books/).
    let mut fixtures: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("schema-v")))
        .collect();
    fixtures.sort();
    assert!(fixtures.len() >= 2, "{fixtures:?}");
    for fixture in fixtures {
        let name = fixture.file_name().unwrap().to_string_lossy().to_string();
        let (_dir, ws) = open_fixture(&fixture).await;
        let report = ws.doctor().await.unwrap();
        assert_eq!(report.schema_version, latest_schema_version(), "{name}");
        assert_eq!(ws.check_integrity().await.unwrap(), IntegrityOutcome::Healthy, "{name}");
        let client = ws.client(FIXTURE_CLIENT.parse().unwrap()).await.unwrap();
        assert_eq!(client.name, "Fixture Client Ünïcode", "{name}");
        assert_eq!(client.email.as_deref(), Some("fixture@example.org"), "{name}");
        // Migration 0003 indexes rows written before it existed.
        let hits = ws.search("ünïc", 10).await.unwrap();
        assert_eq!(hits.iter().map(|h| h.id).collect::<Vec<_>>(), vec![client.meta.id], "{name}");
        assert_eq!(ws.search("fixtureproposal", 10).await.unwrap().len(), 1, "{name}: the bid is not indexed");
        // Migration 0008: bids from before it asked for no upfront milestone.
        let bids = ws.list_bids(&BidFilter::default(), &PageRequest::default()).await.unwrap();
        assert!(!bids.items.is_empty() && bids.items.iter().all(|b| b.milestone_percentage == 0), "{name}");
        // Migration 0014: tasks from before it happen once.
        let tasks = ws.list_tasks(&TaskFilter::default(), &PageRequest::default()).await.unwrap();
        assert!(tasks.items.iter().all(|t| t.repeat.is_none() && t.repeat_of.is_none()), "{name}");
        // Migrations 0020, 0023 and 0024 fill their kept totals from the rows already there.
        assert_eq!(ws.check_kept_totals(false).await.unwrap(), KeptTotalsReport::default(), "{name}");
        ws.create_client(NewClient { name: "After upgrade".into(), ..Default::default() }).await.unwrap();
        assert_eq!(ws.search("upgrade", 10).await.unwrap().len(), 1, "{name}");
        ws.lock().await;
    }
}

/// Migration 0010 indexes the lists by update (bids, finished tasks) over
/// rows written before it: a v9 workspace lists its old rows after newer
/// ones, page by page.
#[tokio::test]
async fn a_schema_v9_workspace_lists_its_bids_and_done_tasks_by_update() {
    let (_dir, ws) = open_fixture(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema-v9")).await;
    let job = ws.list_jobs(&JobFilter::default(), &PageRequest::default()).await.unwrap().items[0].meta.id;
    let newer_bid = ws
        .create_bid(NewBid {
            job_id: Some(job),
            amount_minor: 200,
            currency: "USD".into(),
            delivery_days: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    let newer_task = ws.create_task(NewTask { title: "After upgrade".into(), ..Default::default() }).await.unwrap();
    ws.update_task(newer_task.meta.id, TaskPatch { done: Some(true), ..Default::default() }).await.unwrap();

    let by_update = |after: Option<String>| PageRequest { limit: 1, after, sort: Sort::Updated, ..Default::default() };
    let first = ws.list_bids(&BidFilter::default(), &by_update(None)).await.unwrap();
    let second = ws.list_bids(&BidFilter::default(), &by_update(first.next.clone())).await.unwrap();
    assert_eq!(
        [&first.items[..], &second.items[..]].concat().iter().map(|b| b.meta.id.to_string()).collect::<Vec<_>>(),
        [newer_bid.meta.id.to_string(), FIXTURE_BID.to_string()]
    );
    assert_eq!(second.next, None);

    let done = TaskFilter { done: Some(true), ..Default::default() };
    let first = ws.list_tasks(&done, &by_update(None)).await.unwrap();
    let second = ws.list_tasks(&done, &by_update(first.next.clone())).await.unwrap();
    assert_eq!(
        [&first.items[..], &second.items[..]].concat().iter().map(|t| t.meta.id.to_string()).collect::<Vec<_>>(),
        [newer_task.meta.id.to_string(), FIXTURE_DONE_TASK.to_string()]
    );
    assert_eq!(second.next, None);
    ws.lock().await;
}

#[tokio::test]
#[ignore = "writes a fixture; run by hand when adding a migration"]
async fn make_fixture() {
    let out = std::path::PathBuf::from(std::env::var("FIXTURE_OUT").expect("set FIXTURE_OUT"));
    let max: i64 = std::env::var("FIXTURE_MAX_VERSION").expect("set FIXTURE_MAX_VERSION").parse().unwrap();
    std::fs::create_dir_all(&out).unwrap();
    let (key_file, data_key, _recovery, _) = KeyFile::create(
        uuid::Uuid::new_v4(),
        "Fixture",
        "2026-11-01T09:00:00+00:00",
        &Protection::Passphrase(Passphrase::new(FIXTURE_PASSPHRASE.into())),
        bidwell_core::vault::KdfParams::light(),
        &NoKeychain,
    )
    .unwrap();
    let db = out.join("bidwell.db");
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&db)
        .create_if_missing(true)
        .pragma("key", data_key.sqlcipher_key_pragma().to_string())
        .disable_statement_logging()
        .connect()
        .await
        .unwrap();
    let mut migrator =
        sqlx::migrate::Migrator::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations")).await.unwrap();
    migrator.migrations = migrator.migrations.iter().filter(|m| m.version <= max).cloned().collect::<Vec<_>>().into();
    migrator.run(&mut conn).await.unwrap();
    let t = "2026-11-01T09:00:00+00:00";
    sqlx::query("INSERT INTO clients (id, kind, name, email, notes, created_at, updated_at) VALUES (?, 'person', ?, ?, '', ?, ?)")
        .bind(FIXTURE_CLIENT)
        .bind("Fixture Client Ünïcode")
        .bind("fixture@example.org")
        .bind(t)
        .bind(t)
        .execute(&mut conn)
        .await
        .unwrap();
    let job = "0190a5f0-0000-7000-8000-000000000002";
    sqlx::query(
        "INSERT INTO jobs (id, title, budget_kind, created_at, updated_at) VALUES (?, 'Fixture job', 'fixed', ?, ?)",
    )
    .bind(job)
    .bind(t)
    .bind(t)
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::query("INSERT INTO bids (id, job_id, status, amount_minor, currency, delivery_days, proposal, created_at, updated_at) VALUES (?, ?, 'draft', 100, 'USD', 3, 'fixtureproposal text', ?, ?)")
        .bind(FIXTURE_BID)
        .bind(job)
        .bind(t)
        .bind(t)
        .execute(&mut conn)
        .await
        .unwrap();
    // A finished task (v9 and later fixtures): the done list reads it through migration 0010's index.
    sqlx::query("INSERT INTO tasks (id, title, done_at, created_at, updated_at) VALUES (?, 'Fixture task', ?, ?, ?)")
        .bind(FIXTURE_DONE_TASK)
        .bind(t)
        .bind(t)
        .bind(t)
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("PRAGMA journal_mode = DELETE").execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    key_file.write_atomic(&out.join(KeyFile::FILE_NAME)).unwrap();
}
