//! A recovery key nobody confirmed saving is reported until the user confirms
//! it: after creation, after a rotation, and after an interrupted rotation
//! that `open` finished (whose key nobody ever saw, and whose predecessor no
//! longer works). The report survives locking; the confirmation does too.

use std::sync::Arc;

use bidwell_core::vault::{KdfParams, Protection, Unlock};
use bidwell_core::*;
use chrono::TimeZone;

use crate::support::*;

async fn origin(ws: &Workspace) -> Option<RecoveryKeyOrigin> {
    ws.unconfirmed_recovery_key().await.unwrap().map(|u| u.origin)
}

/// Audit entries written by `open` finishing a stopped rotation.
async fn finished_on_open(ws: &Workspace) -> usize {
    ws.audit_log()
        .await
        .unwrap()
        .iter()
        .filter(|e| e.action == "key_change")
        .filter(|e| serde_json::from_str::<serde_json::Value>(&e.detail).unwrap()["finished_on_open"] == true)
        .count()
}

#[tokio::test]
async fn a_new_workspace_reports_its_recovery_key_unconfirmed_until_the_user_confirms() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, _recovery) =
        Workspace::create(dir.path(), "Mine", Protection::Passphrase(passphrase()), env()).await.unwrap();
    assert_eq!(origin(&ws).await, Some(RecoveryKeyOrigin::Created));
    assert!(!RecoveryKeyOrigin::Created.previous_key_revoked(), "a new workspace had no earlier key");

    // Closing the app on the "here is your key" screen confirms nothing.
    let ws = reopen(dir.path(), ws).await;
    assert_eq!(origin(&ws).await, Some(RecoveryKeyOrigin::Created), "lost on lock and reopen");
    assert_eq!(ws.doctor().await.unwrap().unconfirmed_recovery_key.map(|u| u.origin), Some(RecoveryKeyOrigin::Created));

    ws.confirm_recovery_key_saved().await.unwrap();
    assert_eq!(origin(&ws).await, None);
    let ws = reopen(dir.path(), ws).await;
    assert_eq!(origin(&ws).await, None, "the confirmation did not survive lock and reopen");
    assert_eq!(ws.doctor().await.unwrap().unconfirmed_recovery_key, None);
}

#[tokio::test]
async fn a_rotation_reports_its_new_recovery_key_unconfirmed_and_the_old_one_revoked() {
    let (dir, ws) = new_workspace().await;
    ws.confirm_recovery_key_saved().await.unwrap();

    let _new_recovery = ws.rotate_key().await.unwrap();
    assert_eq!(origin(&ws).await, Some(RecoveryKeyOrigin::Rotated));
    assert!(RecoveryKeyOrigin::Rotated.previous_key_revoked());

    // The app died before the key reached the screen: still reported.
    let ws = reopen(dir.path(), ws).await;
    assert_eq!(origin(&ws).await, Some(RecoveryKeyOrigin::Rotated), "lost on lock and reopen");

    ws.confirm_recovery_key_saved().await.unwrap();
    let ws = reopen(dir.path(), ws).await;
    assert_eq!(origin(&ws).await, None, "the confirmation did not survive lock and reopen");
    ws.lock().await;
}

#[tokio::test]
async fn a_rotation_stopped_after_the_rekey_is_finished_on_open_reported_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, old_recovery) =
        Workspace::create(dir.path(), "Mine", Protection::Passphrase(passphrase()), env()).await.unwrap();
    let ada = ws.create_client(NewClient { name: "Ada Lovelace".into(), ..Default::default() }).await.unwrap();
    let key_file = dir.path().join("bidwell.key");
    let staged = dir.path().join("bidwell.key.next");
    let old_key_file = std::fs::read(&key_file).unwrap();
    let _never_shown = ws.rotate_key().await.unwrap();
    // Confirmed here only so that nothing but `open` can report the key
    // again (a rotation begun by an older Bidwell left no report either).
    ws.confirm_recovery_key_saved().await.unwrap();
    ws.lock().await;
    // The state a crash between the rekey and the promotion leaves: the
    // database under the new key, the new key file still staged.
    std::fs::rename(&key_file, &staged).unwrap();
    std::fs::write(&key_file, &old_key_file).unwrap();

    let ws = Workspace::open(dir.path(), Unlock::Passphrase(passphrase()), env()).await.unwrap();
    assert!(!staged.exists(), "the staged key file was not promoted");
    assert_eq!(ws.client(ada.meta.id).await.unwrap().name, "Ada Lovelace");
    let report = ws.unconfirmed_recovery_key().await.unwrap().expect("the unseen recovery key is not reported");
    assert_eq!(report.origin, RecoveryKeyOrigin::InterruptedRotation);
    assert!(report.origin.previous_key_revoked());
    assert_eq!(finished_on_open(&ws).await, 1, "no audit entry says the rotation was finished on open");
    assert_eq!(ws.verify_audit_log().await.unwrap(), None);
    ws.lock().await;
    // Why the report matters: the key the user holds no longer opens it.
    let err = Workspace::open(dir.path(), Unlock::RecoveryKey(old_recovery), env()).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::WrongRecoveryKey);

    let ws = Workspace::open(dir.path(), Unlock::Passphrase(passphrase()), env()).await.unwrap();
    assert_eq!(origin(&ws).await, Some(RecoveryKeyOrigin::InterruptedRotation), "lost on lock and reopen");
    ws.confirm_recovery_key_saved().await.unwrap();
    let ws = reopen(dir.path(), ws).await;
    assert_eq!(origin(&ws).await, None, "the confirmation did not survive lock and reopen");
    assert_eq!(finished_on_open(&ws).await, 1, "a finished rotation was finished again");
    ws.lock().await;
}

#[tokio::test]
async fn the_session_state_carries_the_report_only_while_unlocked() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap()));
    let env =
        Environment { clock, keychain: Arc::new(NoKeychain), kdf: KdfParams::light(), holder: Default::default() };
    let session = Session::new(dir.path().to_path_buf(), env);
    session.create("Studio", Protection::Passphrase(passphrase())).await.unwrap();
    let state = session.state().await.unwrap();
    assert_eq!(state.unconfirmed_recovery_key.map(|u| u.origin), Some(RecoveryKeyOrigin::Created));

    session.lock().await;
    assert_eq!(session.state().await.unwrap().unconfirmed_recovery_key, None, "read while locked");
    session.unlock(Unlock::Passphrase(passphrase())).await.unwrap();
    assert!(session.state().await.unwrap().unconfirmed_recovery_key.is_some(), "lost on lock and unlock");

    session.workspace().await.unwrap().confirm_recovery_key_saved().await.unwrap();
    assert_eq!(session.state().await.unwrap().unconfirmed_recovery_key, None);
}
