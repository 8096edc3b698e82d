//! The desktop session: create, lock, unlock, and the idle lock, with time
//! moved by hand.

use std::sync::Arc;

use bidwell_core::secret::Passphrase;
use bidwell_core::vault::{KdfParams, Protection, Unlock};
use bidwell_core::*;
use chrono::{Duration, TimeZone};

use crate::support::*;

#[tokio::test]
async fn a_session_creates_locks_unlocks_and_locks_itself_when_idle() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap()));
    let env = Environment {
        clock: clock.clone(),
        keychain: Arc::new(NoKeychain),
        kdf: KdfParams::light(),
        holder: Default::default(),
    };
    let session = Session::new(dir.path().to_path_buf(), env);

    let state = session.state().await.unwrap();
    assert_eq!((state.workspace, state.unlocked), (WorkspaceState::Missing, false));
    assert_eq!(session.workspace().await.unwrap_err().code(), ErrorCode::Locked);

    session.create("Studio", Protection::Passphrase(passphrase())).await.unwrap();
    assert!(session.state().await.unwrap().unlocked);
    let id = session
        .workspace()
        .await
        .unwrap()
        .create_client(NewClient { name: "Ada".into(), ..Default::default() })
        .await
        .unwrap()
        .meta
        .id;

    session.lock().await;
    assert!(!session.state().await.unwrap().unlocked);
    assert_eq!(session.workspace().await.unwrap_err().code(), ErrorCode::Locked);
    let err = session.unlock(Unlock::Passphrase(Passphrase::new("wrong passphrase!".into()))).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::WrongPassphrase);
    assert!(!session.state().await.unwrap().unlocked, "a wrong passphrase unlocked the session");

    session.unlock(Unlock::Passphrase(passphrase())).await.unwrap();
    assert_eq!(session.workspace().await.unwrap().client(id).await.unwrap().name, "Ada");

    clock.advance(Duration::minutes(9));
    assert!(!session.lock_if_idle(Duration::minutes(10)).await, "locked before the idle time passed");
    drop(session.workspace().await.unwrap()); // use resets the timer
    clock.advance(Duration::minutes(9));
    assert!(!session.lock_if_idle(Duration::minutes(10)).await);
    clock.advance(Duration::minutes(2));
    assert!(session.lock_if_idle(Duration::minutes(10)).await);
    assert_eq!(session.workspace().await.unwrap_err().code(), ErrorCode::Locked);
}

#[tokio::test]
async fn preferences_persist_and_drive_the_idle_lock() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap()));
    let env = Environment {
        clock: clock.clone(),
        keychain: Arc::new(NoKeychain),
        kdf: KdfParams::light(),
        holder: Default::default(),
    };
    let session = Session::new(dir.path().to_path_buf(), env);
    session.create("Studio", Protection::Passphrase(passphrase())).await.unwrap();
    assert_eq!(session.workspace().await.unwrap().preferences().await.unwrap(), Preferences::default());
    let mine = Preferences { theme: Theme::Dark, idle_lock_minutes: 5 };
    session.workspace().await.unwrap().set_preferences(&mine).await.unwrap();
    let too_long = Preferences { idle_lock_minutes: 100_000, ..mine.clone() };
    assert_eq!(
        session.workspace().await.unwrap().set_preferences(&too_long).await.unwrap_err().code(),
        ErrorCode::Validation
    );

    clock.advance(Duration::minutes(4));
    assert!(!session.enforce_idle_lock().await.unwrap(), "locked after four of five minutes");
    clock.advance(Duration::minutes(2));
    // Six minutes since the last use: the first check must not have counted as use.
    assert!(session.enforce_idle_lock().await.unwrap(), "five idle minutes did not lock");
    assert!(!session.state().await.unwrap().unlocked);
    session.unlock(Unlock::Passphrase(passphrase())).await.unwrap();
    assert_eq!(session.workspace().await.unwrap().preferences().await.unwrap(), mine, "preferences were not kept");
}

#[tokio::test]
async fn cache_memory_is_given_back_once_per_quiet_spell_and_reads_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap()));
    let env = Environment {
        clock: clock.clone(),
        keychain: Arc::new(NoKeychain),
        kdf: KdfParams::light(),
        holder: Default::default(),
    };
    let session = Session::new(dir.path().to_path_buf(), env);
    assert!(!session.release_memory_if_quiet().await.unwrap(), "released with no workspace open");
    session.create("Studio", Protection::Passphrase(passphrase())).await.unwrap();
    let id = {
        let ws = session.workspace().await.unwrap();
        ws.create_client(NewClient { name: "Ada".into(), ..Default::default() }).await.unwrap().meta.id
    };

    clock.advance(QUIET_AFTER - Duration::seconds(1));
    assert!(!session.release_memory_if_quiet().await.unwrap(), "released while in use");
    clock.advance(Duration::seconds(1));
    assert!(session.release_memory_if_quiet().await.unwrap(), "not released after a quiet minute");
    clock.advance(QUIET_AFTER * 5);
    assert!(!session.release_memory_if_quiet().await.unwrap(), "released twice in one quiet spell");

    // Use starts a new spell; the data reads as before.
    assert_eq!(session.workspace().await.unwrap().client(id).await.unwrap().name, "Ada");
    assert!(!session.release_memory_if_quiet().await.unwrap());
    clock.advance(QUIET_AFTER);
    assert!(session.release_memory_if_quiet().await.unwrap(), "not released in the next quiet spell");
    assert_eq!(session.workspace().await.unwrap().client(id).await.unwrap().name, "Ada");

    session.lock().await;
    clock.advance(QUIET_AFTER * 2);
    assert!(!session.release_memory_if_quiet().await.unwrap(), "released while locked");
}
