//! The encrypted workspace: nothing readable on disk, wrong credentials
//! refused before the database is touched, every unlock path and key change.

use bidwell_core::secret::{Passphrase, RecoveryKey};
use bidwell_core::vault::{Protection, Unlock};
use bidwell_core::{ErrorCode, IntegrityOutcome, NewClient, Workspace, WorkspaceState};
use sha2::{Digest, Sha256};

use crate::support::*;

/// A missing file hashes as empty: SQLite may or may not remove an empty WAL.
fn sha256(path: &std::path::Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap_or_default()))
}

#[tokio::test]
async fn nothing_written_is_readable_in_any_file() {
    let (dir, ws) = new_workspace().await;
    let marker = "zqx-marker-7d1f@example.org";
    ws.create_client(NewClient {
        name: "Marker Person".into(),
        email: Some(marker.into()),
        notes: format!("note with {marker}"),
        ..Default::default()
    })
    .await
    .unwrap();
    // Look while the workspace is open (WAL and shared memory present) and after it is locked.
    for phase in ["open", "locked"] {
        let files = files_under(dir.path());
        assert!(files.iter().any(|f| f.ends_with("bidwell.db")), "{phase}: {files:?}");
        for file in &files {
            let bytes = std::fs::read(file).unwrap();
            assert!(!contains(&bytes, marker.as_bytes()), "{phase}: marker readable in {}", file.display());
            assert!(!contains(&bytes, b"Marker Person"), "{phase}: name readable in {}", file.display());
        }
        let db = std::fs::read(dir.path().join("bidwell.db")).unwrap();
        assert!(!db.starts_with(b"SQLite format 3"), "{phase}: the database has a plaintext header");
        if phase == "open" {
            let report = ws.doctor().await.unwrap();
            assert!(report.encrypted);
            assert!(report.cipher_version.starts_with('4'), "{}", report.cipher_version);
            assert_eq!(ws.check_integrity().await.unwrap(), IntegrityOutcome::Healthy);
        }
    }
    ws.lock().await;
}

#[tokio::test]
async fn wrong_passphrase_is_refused_and_changes_nothing() {
    let (dir, ws) = new_workspace().await;
    ws.create_client(NewClient { name: "Ada".into(), ..Default::default() }).await.unwrap();
    ws.lock().await;
    let db = dir.path().join("bidwell.db");
    let key = dir.path().join("bidwell.key");
    let wal = dir.path().join("bidwell.db-wal");
    let before = (sha256(&db), sha256(&key), sha256(&wal));
    let started = std::time::Instant::now();
    let err = Workspace::open(dir.path(), Unlock::Passphrase(Passphrase::new("not the passphrase".into())), env())
        .await
        .unwrap_err();
    let _elapsed = started.elapsed(); // measured in benches, never asserted here
    assert_eq!(err.code(), ErrorCode::WrongPassphrase);
    assert!(err.to_string().contains("wrong passphrase"), "{err}");
    assert!(!err.to_string().contains("not the passphrase"), "the message repeats the secret: {err}");
    assert_eq!((sha256(&db), sha256(&key), sha256(&wal)), before, "a failed unlock changed a file");
}

#[tokio::test]
async fn passphrase_workspace_reopens_by_passphrase_and_recovery_key() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, recovery) =
        Workspace::create(dir.path(), "Mine", Protection::Passphrase(passphrase()), env()).await.unwrap();
    let ada = ws.create_client(NewClient { name: "Ada".into(), ..Default::default() }).await.unwrap();
    let printed = recovery.expose_for_display().to_string();
    ws.lock().await;
    assert_eq!(
        Workspace::state(dir.path()).unwrap(),
        WorkspaceState::Locked { name: "Mine".into(), protection: bidwell_core::vault::ProtectionKind::Passphrase }
    );

    let ws = Workspace::open(dir.path(), Unlock::Passphrase(passphrase()), env()).await.unwrap();
    assert_eq!(ws.client(ada.meta.id).await.unwrap().name, "Ada");
    ws.lock().await;

    let typed = printed.to_lowercase().replace('-', " ");
    let ws =
        Workspace::open(dir.path(), Unlock::RecoveryKey(RecoveryKey::parse(&typed).unwrap()), env()).await.unwrap();
    assert_eq!(ws.client(ada.meta.id).await.unwrap().name, "Ada");
    ws.lock().await;

    let wrong = RecoveryKey::generate();
    let err = Workspace::open(dir.path(), Unlock::RecoveryKey(wrong), env()).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::WrongRecoveryKey);
}

#[tokio::test]
async fn changing_the_passphrase_keeps_the_data() {
    let (dir, ws) = new_workspace().await;
    let ada = ws.create_client(NewClient { name: "Ada".into(), ..Default::default() }).await.unwrap();
    let new = || Passphrase::new("a brand new passphrase".into());
    ws.change_passphrase(&new()).await.unwrap();
    ws.lock().await;
    let err = Workspace::open(dir.path(), Unlock::Passphrase(passphrase()), env()).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::WrongPassphrase, "the old passphrase still opens the workspace");
    let ws = Workspace::open(dir.path(), Unlock::Passphrase(new()), env()).await.unwrap();
    assert_eq!(ws.client(ada.meta.id).await.unwrap().name, "Ada");
    let actions: Vec<String> = ws.audit_log().await.unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions, ["workspace.created", "key_change"]);
    assert_eq!(ws.verify_audit_log().await.unwrap(), None);
}

#[tokio::test]
async fn too_short_a_passphrase_is_refused_at_creation() {
    let dir = tempfile::tempdir().unwrap();
    let err = Workspace::create(dir.path(), "x", Protection::Passphrase(Passphrase::new("short".into())), env())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Validation);
    assert_eq!(Workspace::state(dir.path()).unwrap(), WorkspaceState::Missing, "a refused create left files");
}

#[tokio::test]
async fn rotating_the_data_key_keeps_the_data_and_replaces_the_recovery_key() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, old_recovery) =
        Workspace::create(dir.path(), "Mine", Protection::Passphrase(passphrase()), env()).await.unwrap();
    let ada = ws.create_client(NewClient { name: "Ada Lovelace".into(), ..Default::default() }).await.unwrap();
    let db = dir.path().join("bidwell.db");
    let before = std::fs::read(&db).unwrap();
    let new_recovery = ws.rotate_key().await.unwrap();
    // Still usable without reopening.
    assert_eq!(ws.client(ada.meta.id).await.unwrap().name, "Ada Lovelace");
    assert_eq!(ws.search("lovel", 10).await.unwrap().len(), 1);
    ws.lock().await;
    let after = std::fs::read(&db).unwrap();
    assert_ne!(before[..4096], after[..4096], "the first page was not re-encrypted");
    assert!(!dir.path().join("bidwell.key.next").exists());

    let ws = Workspace::open(dir.path(), Unlock::Passphrase(passphrase()), env()).await.unwrap();
    assert_eq!(ws.client(ada.meta.id).await.unwrap().name, "Ada Lovelace");
    assert_eq!(ws.audit_log().await.unwrap().last().unwrap().action, "key_change");
    ws.lock().await;
    let err = Workspace::open(dir.path(), Unlock::RecoveryKey(old_recovery), env()).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::WrongRecoveryKey, "the old recovery key opens the rotated workspace");
    Workspace::open(dir.path(), Unlock::RecoveryKey(new_recovery), env()).await.unwrap().lock().await;
}

#[tokio::test]
async fn keychain_workspace_opens_without_a_prompt() {
    let Some(keychain) = os_keychain() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (ws, recovery) =
        Workspace::create(dir.path(), "Keyed", Protection::Keychain, env_with(keychain.clone())).await.unwrap();
    let ada = ws.create_client(NewClient { name: "Ada".into(), ..Default::default() }).await.unwrap();
    let recovery_key = recovery.expose_for_display().to_string();
    let new_recovery = ws.rotate_key().await.unwrap();
    ws.lock().await;

    let ws = Workspace::open(dir.path(), Unlock::Keychain, env_with(keychain.clone())).await.unwrap();
    assert_eq!(ws.client(ada.meta.id).await.unwrap().name, "Ada");
    assert_eq!(ws.doctor().await.unwrap().keychain_backend, "secret-service");
    ws.lock().await;

    let err =
        Workspace::open(dir.path(), Unlock::Passphrase(passphrase()), env_with(keychain.clone())).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::WrongUnlockMethod);
    let old = RecoveryKey::parse(&recovery_key).unwrap();
    assert!(Workspace::open(dir.path(), Unlock::RecoveryKey(old), env_with(keychain.clone())).await.is_err());
    let ws = Workspace::open(dir.path(), Unlock::RecoveryKey(new_recovery), env_with(keychain.clone())).await.unwrap();
    ws.lock().await;

    // Without the keychain entry the workspace is sealed; the recovery key is the way back.
    let account = bidwell_core::vault::keychain_account(
        bidwell_core::vault::KeyFile::load(&dir.path().join("bidwell.key")).unwrap().profile_id(),
    );
    keychain.delete(&account).unwrap();
    let err = Workspace::open(dir.path(), Unlock::Keychain, env_with(keychain)).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeychainEntryMissing);
}

#[tokio::test]
async fn without_a_keychain_creation_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let err = Workspace::create(dir.path(), "Keyed", Protection::Keychain, env()).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeychainUnavailable);
    assert!(err.to_string().contains("passphrase"), "the error should point to the passphrase: {err}");
    assert_eq!(Workspace::state(dir.path()).unwrap(), WorkspaceState::Missing);
}

#[tokio::test]
async fn a_workspace_is_never_created_over_another() {
    let (dir, ws) = new_workspace().await;
    ws.lock().await;
    let err = Workspace::create(dir.path(), "Again", Protection::Passphrase(passphrase()), env()).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::WorkspaceExists);
}

#[tokio::test]
async fn a_database_without_its_key_file_is_not_replaced() {
    let (dir, ws) = new_workspace().await;
    ws.lock().await;
    std::fs::remove_file(dir.path().join("bidwell.key")).unwrap();
    let err = Workspace::state(dir.path()).unwrap_err();
    assert!(err.to_string().contains("key file"), "{err}");
    assert!(Workspace::create(dir.path(), "Again", Protection::Passphrase(passphrase()), env()).await.is_err());
}

#[tokio::test]
async fn the_audit_log_refuses_edits_and_deletions_even_through_raw_sql() {
    use sqlx::{ConnectOptions, Connection};
    let (dir, ws) = new_workspace().await;
    ws.change_passphrase(&Passphrase::new("another passphrase!".into())).await.unwrap();
    ws.lock().await;
    let key_file = bidwell_core::vault::KeyFile::load(&dir.path().join("bidwell.key")).unwrap();
    let (data_key, _) =
        key_file.unlock(&Unlock::Passphrase(Passphrase::new("another passphrase!".into())), &NoKeychain).unwrap();
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.path().join("bidwell.db"))
        .pragma("key", data_key.sqlcipher_key_pragma().to_string())
        .disable_statement_logging()
        .connect()
        .await
        .unwrap();
    for tamper in
        ["UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)"]
    {
        assert!(sqlx::query(tamper).execute(&mut conn).await.is_err(), "{tamper} was allowed");
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log").fetch_one(&mut conn).await.unwrap();
    assert_eq!(count, 2);
    conn.close().await.unwrap();
}

#[tokio::test]
async fn re_authentication_checks_the_passphrase_without_changing_anything() {
    let (dir, ws) = new_workspace().await;
    let key = dir.path().join("bidwell.key");
    let before = sha256(&key);
    ws.verify_unlock(&Unlock::Passphrase(passphrase())).await.unwrap();
    let err = ws.verify_unlock(&Unlock::Passphrase(Passphrase::new("not the passphrase".into()))).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::WrongPassphrase);
    assert_eq!(sha256(&key), before);
}

/// A keychain whose every call blocks for good: a Secret Service waiting on
/// an unlock prompt nobody sees. The real keychain cannot be made to hang on
/// demand, so this stands in for it; its calls keep their threads until the
/// test process ends, as a real hung call would.
struct NeverAnswers;

impl NeverAnswers {
    fn wait() -> ! {
        loop {
            std::thread::park();
        }
    }
}

impl bidwell_core::vault::KeyStore for NeverAnswers {
    fn backend(&self) -> &'static str {
        "never-answers"
    }
    fn time_limit(&self) -> std::time::Duration {
        std::time::Duration::from_millis(100)
    }
    fn probe(&self) -> Result<(), bidwell_core::vault::VaultError> {
        Self::wait()
    }
    fn store(&self, _: &str, _: &bidwell_core::secret::WrappingKey) -> Result<(), bidwell_core::vault::VaultError> {
        Self::wait()
    }
    fn load(&self, _: &str) -> Result<bidwell_core::secret::WrappingKey, bidwell_core::vault::VaultError> {
        Self::wait()
    }
    fn delete(&self, _: &str) -> Result<(), bidwell_core::vault::VaultError> {
        Self::wait()
    }
}

#[tokio::test]
async fn a_keychain_that_never_answers_fails_the_unlock_instead_of_hanging_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let silent = || env_with(std::sync::Arc::new(NeverAnswers));
    let err = Workspace::create(dir.path(), "Hung", Protection::Keychain, silent()).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeychainUnavailable, "{err}");
    assert_eq!(Workspace::state(dir.path()).unwrap(), WorkspaceState::Missing, "nothing half-made");

    let Some(keychain) = os_keychain() else { return };
    let (ws, recovery) =
        Workspace::create(dir.path(), "Keyed", Protection::Keychain, env_with(keychain.clone())).await.unwrap();
    let ada = ws.create_client(NewClient { name: "Ada".into(), ..Default::default() }).await.unwrap();
    let err = ws.verify_unlock(&Unlock::Keychain).await;
    assert!(err.is_ok(), "the answering keychain re-authenticates: {err:?}");
    ws.lock().await;

    let err = Workspace::open(dir.path(), Unlock::Keychain, silent()).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeychainUnavailable, "{err}");
    // The recovery key does not need the keychain; nor, once it answers, does anything else change.
    let ws = Workspace::open(dir.path(), Unlock::RecoveryKey(recovery), silent()).await.unwrap();
    assert_eq!(ws.client(ada.meta.id).await.unwrap().name, "Ada");
    let err = ws.verify_unlock(&Unlock::Keychain).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeychainUnavailable, "{err}");
    ws.lock().await;
    let ws = Workspace::open(dir.path(), Unlock::Keychain, env_with(keychain.clone())).await.unwrap();
    assert_eq!(ws.client(ada.meta.id).await.unwrap().name, "Ada");
    ws.lock().await;
    Workspace::wipe_locked(dir.path(), "Keyed", keychain.as_ref(), &Default::default()).unwrap();
}
