//! The app's background sync through the session: it runs only while
//! unlocked, only when its interval came round or a queued change is due, and
//! never counts as use (so it cannot keep a workspace from locking itself).

use std::sync::Arc;

use bidwell_core::vault::{KdfParams, Protection};
use bidwell_core::*;
use chrono::{Duration, TimeZone};

use crate::support::*;
use crate::sync::{draft, engine, open_jobs, sim};

#[tokio::test]
async fn background_sync_runs_when_due_while_unlocked_and_never_counts_as_use() {
    let server = sim(10, 0.0).await;
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap()));
    let env = Environment {
        clock: clock.clone(),
        keychain: Arc::new(NoKeychain),
        kdf: KdfParams::light(),
        holder: Default::default(),
    };
    let session = Session::new(dir.path().to_path_buf(), env);
    let engine = engine(7);
    assert!(session.sync_if_due(&engine, true).await.unwrap().is_none(), "synced with no workspace open");

    session.create("Timer", Protection::Passphrase(passphrase())).await.unwrap();
    {
        let ws = session.workspace().await.unwrap();
        let token = bidwell_core::sync::ApiToken::new("sim-token".into());
        let account =
            ws.add_market_account("Sim", &server.base_url(), token, privacy::ConsentMethod::Ui).await.unwrap();
        ws.add_saved_search(account.id, "everything", None, vec![]).await.unwrap();
    }
    assert!(session.sync_if_due(&engine, false).await.unwrap().is_none(), "ran with nothing queued");
    let report = session.sync_if_due(&engine, true).await.unwrap().expect("the regular run");
    assert!(report.pulled > 0, "the jobs did not come in: {report:?}");

    // A submitted bid is due at once; once sent, nothing is.
    let jobs = {
        let ws = session.workspace().await.unwrap();
        let jobs = open_jobs(&ws, &server).await;
        let bid = draft(&ws, &jobs[0], "sent by the timer").await;
        ws.submit_bid(bid.meta.id).await.unwrap();
        jobs
    };
    let report = session.sync_if_due(&engine, false).await.unwrap().expect("a queued bid is due");
    assert_eq!(report.pushed, 1);
    assert_eq!(server.bids().len(), 1);
    assert!(session.sync_if_due(&engine, false).await.unwrap().is_none(), "ran again with nothing due");

    // Offline: the change waits for its backoff, then is due again.
    {
        let ws = session.workspace().await.unwrap();
        let bid = draft(&ws, &jobs[1], "queued while offline").await;
        ws.submit_bid(bid.meta.id).await.unwrap();
    }
    drop(server);
    let report = session.sync_if_due(&engine, false).await.unwrap().expect("the new bid is due");
    let next = report.next_attempt_at.expect("the failed attempt waits");
    assert_eq!(report.deferred, 1);
    assert!(session.sync_if_due(&engine, false).await.unwrap().is_none(), "tried again before the wait was over");
    clock.advance(next - clock.now());
    assert!(session.sync_if_due(&engine, false).await.unwrap().is_some(), "not tried once the wait was over");

    // Regular runs do not keep the workspace open.
    drop(session.workspace().await.unwrap());
    clock.advance(Duration::minutes(9));
    session.sync_if_due(&engine, true).await.unwrap();
    clock.advance(Duration::minutes(2));
    assert!(session.lock_if_idle(Duration::minutes(10)).await, "background sync counted as use");
    assert!(session.sync_if_due(&engine, true).await.unwrap().is_none(), "synced while locked");
}
