//! Wiping leaves nothing of the workspace: no file, and no keychain entry
//! it made (its key's, and its marketplace tokens'). A wipe that stopped
//! half-way is reported as such and can be finished; a workspace whose key
//! file went missing for another reason is not offered as wipe-able.

use std::path::Path;
use std::sync::Arc;

use bidwell_core::privacy::ConsentMethod;
use bidwell_core::sync::ApiToken;
use bidwell_core::vault::{keychain_account, KeyFile, KeyStore, MemoryKeyStore, Protection, VaultError};
use bidwell_core::{ErrorCode, NewClient, Session, Workspace, WorkspaceState};

use crate::support::{self, env_with, files_under};

const MARKER: &str = "bidwell.wiping";

/// A keychain workspace with one marketplace account whose token is in the
/// keychain; returns the two entry names (the key's, the token's).
async fn keychain_workspace_with_a_token(keychain: Arc<dyn KeyStore>) -> (tempfile::TempDir, Workspace, [String; 2]) {
    let dir = tempfile::tempdir().unwrap();
    let (ws, _) =
        Workspace::create(dir.path(), "Keyed", Protection::Keychain, env_with(keychain.clone())).await.unwrap();
    let key_entry = keychain_account(KeyFile::load(&dir.path().join("bidwell.key")).unwrap().profile_id());
    let account = ws
        .add_market_account("Sim", "http://127.0.0.1:9", ApiToken::new("a-token".into()), ConsentMethod::Cli)
        .await
        .unwrap();
    assert_eq!(account.token_store, "keychain");
    let token_entry = format!("market-token-{}", account.id);
    assert!(keychain.load(&key_entry).is_ok());
    assert_eq!(keychain.load_text(&token_entry).unwrap().as_str(), "a-token");
    (dir, ws, [key_entry, token_entry])
}

fn assert_no_entry(keychain: &dyn KeyStore, entries: &[String; 2]) {
    assert!(matches!(keychain.load(&entries[0]), Err(VaultError::KeychainEntryMissing)), "the key's entry is gone");
    assert!(matches!(keychain.load_text(&entries[1]), Err(VaultError::KeychainEntryMissing)), "the token's is gone");
}

fn assert_nothing_left(dir: &Path) {
    let left = files_under(dir);
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[tokio::test]
async fn wiping_an_open_keychain_workspace_deletes_its_token_entries_too() {
    let keychain = Arc::new(MemoryKeyStore::default());
    let (dir, ws, entries) = keychain_workspace_with_a_token(keychain.clone()).await;
    let report = ws.wipe("Keyed").await.unwrap();
    assert!(report.keychain_entry_removed, "{report:?}");
    assert_eq!(report.token_entries_removed, 1, "{report:?}");
    assert!(report.keychain_leftovers.is_empty() && report.keychain_unlisted.is_none(), "{report:?}");
    assert_no_entry(keychain.as_ref(), &entries);
    assert!(keychain.is_empty(), "no entry of any kind is left: {:?}", keychain.names());
    assert_nothing_left(dir.path());
}

/// `bidwell wipe` and the app's wipe while locked: the workspace is not open,
/// yet its token entries are found (a keychain workspace opens without a
/// credential) and deleted.
#[tokio::test]
async fn wiping_a_closed_keychain_workspace_deletes_its_token_entries_too() {
    let keychain = Arc::new(MemoryKeyStore::default());
    let (dir, ws, entries) = keychain_workspace_with_a_token(keychain.clone()).await;
    ws.lock().await;
    let report = Workspace::wipe_closed(dir.path(), "Keyed", env_with(keychain.clone())).await.unwrap();
    assert_eq!((report.keychain_entry_removed, report.token_entries_removed), (true, 1), "{report:?}");
    assert_no_entry(keychain.as_ref(), &entries);
    assert!(keychain.is_empty(), "{:?}", keychain.names());
    assert_nothing_left(dir.path());
}

/// A keychain that keeps the workspace's key but refuses to delete tokens:
/// the wipe still destroys the workspace, and names the entry it could not
/// delete instead of passing over it.
struct StuckTokens(MemoryKeyStore);

impl KeyStore for StuckTokens {
    fn backend(&self) -> &'static str {
        "stuck-tokens"
    }
    fn probe(&self) -> Result<(), VaultError> {
        Ok(())
    }
    fn store(&self, account: &str, key: &bidwell_core::secret::WrappingKey) -> Result<(), VaultError> {
        self.0.store(account, key)
    }
    fn load(&self, account: &str) -> Result<bidwell_core::secret::WrappingKey, VaultError> {
        self.0.load(account)
    }
    fn delete(&self, account: &str) -> Result<(), VaultError> {
        if account.starts_with("market-token-") {
            return Err(VaultError::Keychain { reason: "the item is locked".into() });
        }
        self.0.delete(account)
    }
    fn store_text(&self, account: &str, secret: &str) -> Result<(), VaultError> {
        self.0.store_text(account, secret)
    }
    fn load_text(&self, account: &str) -> Result<zeroize::Zeroizing<String>, VaultError> {
        self.0.load_text(account)
    }
}

#[tokio::test]
async fn a_token_entry_that_cannot_be_deleted_is_reported() {
    let keychain = Arc::new(StuckTokens(MemoryKeyStore::default()));
    let (dir, ws, entries) = keychain_workspace_with_a_token(keychain.clone()).await;
    let report = ws.wipe("Keyed").await.unwrap();
    assert_eq!(report.keychain_leftovers.len(), 1, "{report:?}");
    assert!(report.keychain_leftovers[0].starts_with(&entries[1]), "names the entry: {report:?}");
    assert!(report.keychain_leftovers[0].contains("the item is locked"), "says why: {report:?}");
    assert_nothing_left(dir.path());
}

/// The real keychain (gnome-keyring in CI).
#[tokio::test]
async fn with_the_os_keychain_no_entry_of_a_wiped_workspace_is_left() {
    let Some(keychain) = support::os_keychain() else { return };
    let (dir, ws, entries) = keychain_workspace_with_a_token(keychain.clone()).await;
    let report = ws.wipe("Keyed").await.unwrap();
    assert_eq!((report.keychain_entry_removed, report.token_entries_removed), (true, 1), "{report:?}");
    assert!(report.keychain_leftovers.is_empty(), "{report:?}");
    assert_no_entry(keychain.as_ref(), &entries);
    assert_nothing_left(dir.path());

    // And wiped from outside (the CLI's way), locked.
    let (dir, ws, entries) = keychain_workspace_with_a_token(keychain.clone()).await;
    ws.lock().await;
    let report = Workspace::wipe_closed(dir.path(), "Keyed", env_with(keychain.clone())).await.unwrap();
    assert_eq!(report.token_entries_removed, 1, "{report:?}");
    assert_no_entry(keychain.as_ref(), &entries);
    assert_nothing_left(dir.path());
}

/// The first half of a wipe, by hand: the marker written, the key shredded
/// (its file gone), then the process died before the database was deleted.
fn interrupt_a_wipe(dir: &Path, marker: &str) {
    std::fs::write(dir.join(MARKER), marker).unwrap();
    std::fs::remove_file(dir.join("bidwell.key")).unwrap();
}

#[tokio::test]
async fn an_interrupted_wipe_is_reported_as_such_and_can_be_finished() {
    let (dir, ws) = support::new_workspace().await;
    ws.create_client(NewClient { name: "Ada".into(), ..Default::default() }).await.unwrap();
    ws.lock().await;
    interrupt_a_wipe(dir.path(), r#"{"name":"Test"}"#);
    assert!(dir.path().join("bidwell.db").exists());

    assert_eq!(Workspace::state(dir.path()).unwrap(), WorkspaceState::WipeInterrupted { name: "Test".into() });
    let session = Session::new(dir.path().to_owned(), support::env());
    assert_eq!(session.state().await.unwrap().workspace, WorkspaceState::WipeInterrupted { name: "Test".into() });
    let err =
        Workspace::open(dir.path(), bidwell_core::vault::Unlock::Passphrase(support::passphrase()), support::env())
            .await
            .unwrap_err();
    assert_eq!(err.code(), ErrorCode::WipeInterrupted, "{err}");
    let err = Workspace::create(dir.path(), "New", Protection::Passphrase(support::passphrase()), support::env())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::WipeInterrupted, "nothing new over a half-wiped workspace: {err}");
    let err = session.wipe("test").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Validation, "the name is still asked for exactly: {err}");

    let report = session.wipe("Test").await.unwrap();
    assert!(report.removed_files.iter().any(|f| f.ends_with("bidwell.db")), "{report:?}");
    assert_nothing_left(dir.path());
    assert_eq!(session.state().await.unwrap().workspace, WorkspaceState::Missing);
}

/// Finishing also deletes the keychain entries the first half had listed.
#[tokio::test]
async fn finishing_a_wipe_deletes_the_keychain_entries_it_had_listed() {
    let keychain = Arc::new(MemoryKeyStore::default());
    let (dir, ws, entries) = keychain_workspace_with_a_token(keychain.clone()).await;
    ws.lock().await;
    // The key's entry went with the shredding; the token's is still there.
    keychain.delete(&entries[0]).unwrap();
    interrupt_a_wipe(dir.path(), &serde_json::json!({ "name": "Keyed", "keychain_entries": entries }).to_string());
    let report = Workspace::wipe_closed(dir.path(), "Keyed", env_with(keychain.clone())).await.unwrap();
    assert_eq!(report.token_entries_removed, 1, "{report:?}");
    assert!(keychain.is_empty(), "{:?}", keychain.names());
    assert_nothing_left(dir.path());
}

/// Disk damage, a half-restored copy: the key file is missing and no wipe
/// was started. That stays an inconsistency, and nothing offers to wipe it.
#[tokio::test]
async fn a_missing_key_file_without_the_marker_is_not_a_wipe_to_finish() {
    let (dir, ws) = support::new_workspace().await;
    ws.lock().await;
    std::fs::remove_file(dir.path().join("bidwell.key")).unwrap();
    let err = Workspace::state(dir.path()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::WorkspaceInconsistent, "{err}");
    assert!(err.to_string().contains("key file"), "{err}");
    let session = Session::new(dir.path().to_owned(), support::env());
    assert_eq!(session.state().await.unwrap_err().code(), ErrorCode::WorkspaceInconsistent);
    let err = session.wipe("Test").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::WorkspaceInconsistent, "{err}");
    assert!(dir.path().join("bidwell.db").exists(), "nothing was deleted");
    assert!(!dir.path().join(MARKER).exists());
}
