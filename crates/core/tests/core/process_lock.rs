//! One writer of the keys per workspace: while another handle has the
//! workspace open (flock and LockFileEx locks belong to an open file handle,
//! so a second open in this process conflicts as another process would; the
//! CLI tests do it with real processes), key changes, migration and wipe are
//! refused with `workspace_in_use` naming the holder, reading goes on, and a
//! key file changed behind an open workspace is never overwritten.

use std::path::Path;

use bidwell_core::secret::Passphrase;
use bidwell_core::vault::{KeyFile, Unlock};
use bidwell_core::*;

use crate::support::*;

fn env_as(holder: Holder) -> Environment {
    Environment { holder, ..env() }
}

fn open_as(dir: &Path, holder: Holder) -> impl std::future::Future<Output = Result<Workspace>> + '_ {
    Workspace::open(dir, Unlock::Passphrase(passphrase()), env_as(holder))
}

fn in_use(err: Error) -> String {
    assert_eq!(err.code(), ErrorCode::WorkspaceInUse, "{err}");
    assert!(err.is_transient(), "in use is worth trying again later");
    err.to_string()
}

#[tokio::test]
async fn key_changes_are_refused_while_another_handle_has_the_workspace_open_and_reading_goes_on() {
    let (dir, ws) = new_workspace().await;
    ws.create_client(NewClient { name: "Ada".into(), ..Default::default() }).await.unwrap();
    ws.lock().await;
    let key_file = dir.path().join("bidwell.key");

    let script = open_as(dir.path(), Holder::command("client list")).await.unwrap();
    let app = open_as(dir.path(), Holder::App).await.expect("a second reader opens beside the first");
    let before = std::fs::read(&key_file).unwrap();

    let pid = std::process::id();
    let message =
        in_use(app.change_passphrase(&Passphrase::new("another passphrase entirely".into())).await.unwrap_err());
    assert!(message.contains(&format!("a `bidwell client list` command (process {pid})")), "{message}");
    assert!(message.contains("change the passphrase"), "{message}");
    let message = in_use(script.rotate_key().await.unwrap_err());
    assert!(message.contains(&format!("the Bidwell app (process {pid})")), "{message}");
    assert_eq!(std::fs::read(&key_file).unwrap(), before, "a refused key change writes nothing");
    assert!(!dir.path().join("bidwell.key.next").exists());

    // Both still work, and the refusal left neither holding more than it had.
    assert_eq!(script.list_clients(&ClientFilter::default(), &PageRequest::default()).await.unwrap().items.len(), 1);
    assert_eq!(app.list_clients(&ClientFilter::default(), &PageRequest::default()).await.unwrap().items.len(), 1);
    let third = open_as(dir.path(), Holder::Unnamed).await.expect("a refused change gives its shared lock back");
    third.lock().await;

    // Once the other has closed, the change goes through and holds.
    script.lock().await;
    let new = Passphrase::new("another passphrase entirely".into());
    app.change_passphrase(&new).await.unwrap();
    app.lock().await;
    let ws = Workspace::open(dir.path(), Unlock::Passphrase(new), env()).await.unwrap();
    assert_eq!(ws.list_clients(&ClientFilter::default(), &PageRequest::default()).await.unwrap().items.len(), 1);
}

#[tokio::test]
async fn opening_is_refused_while_another_holds_the_workspace_exclusively() {
    let (dir, ws) = new_workspace().await;
    let hold = ws.hold_exclusively("restore a backup").unwrap();
    let message = in_use(open_as(dir.path(), Holder::App).await.unwrap_err());
    assert!(message.contains(&format!("another Bidwell process (process {})", std::process::id())), "{message}");
    drop(hold);
    open_as(dir.path(), Holder::App).await.expect("the hold ended").lock().await;
    ws.lock().await;
}

#[tokio::test]
async fn a_holder_that_is_gone_is_not_named() {
    let (dir, ws) = new_workspace().await;
    let other = open_as(dir.path(), Holder::App).await.unwrap();
    // What a killed process leaves: a record nobody holds locked.
    let stale = dir.path().join("bidwell.lock.d").join("4000000-0123456789abcdef.holder");
    std::fs::write(&stale, br#"{"pid":4000000,"holder":{"kind":"command","command":"key rotate"}}"#).unwrap();

    let message = in_use(ws.rotate_key().await.unwrap_err());
    assert!(message.contains("the Bidwell app"), "{message}");
    assert!(!message.contains("4000000"), "a dead holder was named: {message}");
    assert!(!stale.exists(), "the stale record is cleared away");
    assert_eq!(process_lock::holders(dir.path()).len(), 2, "{:?}", process_lock::holders(dir.path()));

    other.lock().await;
    ws.rotate_key().await.expect("nobody else has it open");
    ws.lock().await;
}

#[tokio::test]
async fn a_key_file_changed_behind_an_open_workspace_is_not_overwritten() {
    let (dir, ws) = new_workspace().await;
    ws.create_client(NewClient { name: "Ada".into(), ..Default::default() }).await.unwrap();
    let path = dir.path().join("bidwell.key");

    // What a process that ignored the lock would do: change the passphrase on disk.
    let newer = Passphrase::new("changed by someone else".into());
    let mut on_disk = KeyFile::load(&path).unwrap();
    let (data_key, _) = on_disk.unlock(&Unlock::Passphrase(passphrase()), &NoKeychain).unwrap();
    on_disk.change_passphrase(&data_key, &newer, vault::KdfParams::light()).unwrap();
    on_disk.write_atomic(&path).unwrap();
    let written = std::fs::read(&path).unwrap();

    let err = ws.change_passphrase(&Passphrase::new("mine, written over it".into())).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeyFileChanged, "{err}");
    assert!(err.to_string().contains("bidwell.key"), "{err}");
    let err = ws.rotate_key().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeyFileChanged, "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), written, "the other process's key file is intact");
    assert!(!dir.path().join("bidwell.key.next").exists(), "a refused rotation stages nothing");

    // The workspace is still readable here, and opens with the new credentials.
    assert_eq!(ws.list_clients(&ClientFilter::default(), &PageRequest::default()).await.unwrap().items.len(), 1);
    ws.lock().await;
    let ws = Workspace::open(dir.path(), Unlock::Passphrase(newer), env()).await.unwrap();
    assert_eq!(ws.list_clients(&ClientFilter::default(), &PageRequest::default()).await.unwrap().items.len(), 1);
}

#[tokio::test]
async fn a_migration_is_refused_while_another_has_the_workspace_open() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema-v9");
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&fixture).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    let fixture_passphrase = || Unlock::Passphrase(Passphrase::new("fixture passphrase, not a secret".into()));
    // Another process that has it open, as the app does: shared.
    let other = ProcessLock::shared(dir.path(), &Holder::App).unwrap();

    let err = Workspace::open(dir.path(), fixture_passphrase(), env()).await.unwrap_err();
    let message = in_use(err);
    assert!(message.contains("update the workspace"), "{message}");
    assert!(message.contains(&format!("the Bidwell app (process {})", std::process::id())), "{message}");

    drop(other);
    let ws = Workspace::open(dir.path(), fixture_passphrase(), env()).await.unwrap();
    assert_eq!(ws.doctor().await.unwrap().schema_version, latest_schema_version());
    ws.lock().await;
    // Up to date, it opens beside another reader.
    let other = ProcessLock::shared(dir.path(), &Holder::App).unwrap();
    Workspace::open(dir.path(), fixture_passphrase(), env()).await.unwrap().lock().await;
    drop(other);
}

#[tokio::test]
async fn a_wipe_is_refused_while_another_has_the_workspace_open_and_works_for_the_last_holder() {
    let (dir, ws) = new_workspace().await;
    let other = open_as(dir.path(), Holder::command("sync")).await.unwrap();
    let message = in_use(Workspace::wipe_locked(dir.path(), "Test", &NoKeychain, &Holder::App).unwrap_err());
    assert!(message.contains("`bidwell sync` command"), "{message}");
    let message = in_use(ws.wipe("Test").await.unwrap_err());
    assert!(message.contains("wipe the workspace"), "{message}");
    assert!(dir.path().join("bidwell.key").exists() && dir.path().join("bidwell.db").exists());

    other.lock().await;
    // The workspace was consumed by the refused wipe: open it again and wipe.
    let ws = open_as(dir.path(), Holder::App).await.unwrap();
    ws.wipe("Test").await.unwrap();
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[tokio::test]
async fn finishing_an_interrupted_wipe_is_refused_while_another_holds_the_folder_and_removes_the_lock_files_last() {
    let (dir, ws) = new_workspace().await;
    let other = open_as(dir.path(), Holder::command("backup now")).await.unwrap();
    ws.lock().await;
    // The first half of a wipe that another process started and did not finish.
    std::fs::write(dir.path().join("bidwell.wiping"), r#"{"name":"Test"}"#).unwrap();
    std::fs::remove_file(dir.path().join("bidwell.key")).unwrap();

    let session = Session::new(dir.path().to_owned(), env_as(Holder::App));
    let message = in_use(session.wipe("Test").await.unwrap_err());
    assert!(message.contains("wipe the workspace") && message.contains("`bidwell backup now` command"), "{message}");
    assert!(dir.path().join("bidwell.wiping").exists() && dir.path().join("bidwell.db").exists());
    let err = Workspace::wipe_locked(dir.path(), "test", &NoKeychain, &Holder::App).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Validation, "a wrong name is told as such, before the lock: {err}");

    other.lock().await;
    session.wipe("Test").await.unwrap();
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "the marker and the lock files go too: {left:?}");
}
