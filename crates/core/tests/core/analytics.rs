//! Usage analytics with something behind them: a closed catalogue of events,
//! counted per day by the injected clock, only while opted in, only in the
//! desktop app (features where the work is done), and what Settings →
//! Privacy shows is the queue itself. That the sync sends exactly what the
//! screen shows is in `sync_privacy.rs`.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use bidwell_core::backup::BackupReason;
use bidwell_core::clock::ManualClock;
use bidwell_core::portability::ExportOptions;
use bidwell_core::privacy::{ConsentMethod, UsageEvent};
use bidwell_core::process_lock::Holder;
use bidwell_core::vault::Protection;
use bidwell_core::{Environment, ErrorCode, NewClient, Workspace};
use chrono::TimeZone;

use crate::support;

struct Opened {
    dir: tempfile::TempDir,
    ws: Workspace,
    clock: Arc<ManualClock>,
}

async fn workspace_held_by(holder: Holder) -> Opened {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 11, 1, 23, 30, 0).unwrap()));
    let env = Environment { clock: clock.clone(), holder, ..support::env() };
    let (ws, _) =
        Workspace::create(dir.path(), "Counts", Protection::Passphrase(support::passphrase()), env).await.unwrap();
    Opened { dir, ws, clock }
}

async fn rows(ws: &Workspace) -> Vec<(String, String, i64)> {
    ws.queued_usage().await.unwrap().into_iter().map(|r| (r.event, r.day, r.count)).collect()
}

fn row(event: &str, day: &str, count: i64) -> (String, String, i64) {
    (event.to_owned(), day.to_owned(), count)
}

#[tokio::test]
async fn uses_are_counted_per_event_and_per_day_of_the_injected_clock() {
    let o = workspace_held_by(Holder::App).await;
    o.ws.set_analytics(true, ConsentMethod::Ui).await.unwrap();
    for event in [UsageEvent::ScreenClients, UsageEvent::ScreenClients, UsageEvent::ScreenBids] {
        assert!(o.ws.count_usage(event).await.unwrap());
    }
    // 23:30 UTC plus an hour is the next day.
    o.clock.advance(chrono::Duration::hours(1));
    o.ws.count_usage(UsageEvent::ScreenClients).await.unwrap();

    assert_eq!(
        rows(&o.ws).await,
        vec![
            row("screen.bids", "2026-11-01", 1),
            row("screen.clients", "2026-11-01", 2),
            row("screen.clients", "2026-11-02", 1),
        ]
    );
    let _ = o.dir;
}

#[test]
fn a_name_outside_the_catalogue_is_refused_in_the_core_and_at_the_window_s_door() {
    for name in ["Ada Lovelace", "client.add", "screen.client.0192f0c4", "", "SCREEN.CLIENTS"] {
        assert_eq!(UsageEvent::from_name(name).unwrap_err().code(), ErrorCode::Validation, "{name:?}");
        // The `count_usage` command takes a `UsageEvent`: serde refuses the name.
        assert!(serde_json::from_value::<UsageEvent>(serde_json::json!(name)).is_err(), "{name:?}");
    }
    assert_eq!(UsageEvent::from_name("screen.clients").unwrap(), UsageEvent::ScreenClients);
    assert_eq!(serde_json::from_value::<UsageEvent>(serde_json::json!("feature.sync")).unwrap(), UsageEvent::Sync);
}

#[tokio::test]
async fn in_the_app_features_are_counted_where_the_work_is_done_and_only_while_opted_in() {
    let o = workspace_held_by(Holder::App).await;
    let export = o.dir.path().join("everything.zip");
    let do_work = |n: usize| {
        let ws = &o.ws;
        let export = export.clone();
        async move {
            ws.create_client(NewClient { name: format!("Client {n}"), ..Default::default() }).await.unwrap();
            let _ = std::fs::remove_file(&export);
            ws.export(&export, &ExportOptions::default(), None, &mut |_| {}, &AtomicBool::new(false)).await.unwrap();
            ws.backup_now(BackupReason::Manual).await.unwrap();
            ws.backup_now(BackupReason::Scheduled).await.unwrap();
        }
    };

    do_work(1).await;
    assert!(rows(&o.ws).await.is_empty(), "off: nothing is counted");
    let preview = o.ws.usage_preview().await.unwrap();
    assert!(!preview.enabled && preview.rows.is_empty() && preview.totals.is_empty());

    o.ws.set_analytics(true, ConsentMethod::Ui).await.unwrap();
    do_work(2).await;
    do_work(3).await;
    assert_eq!(
        rows(&o.ws).await,
        vec![
            row("feature.backup", "2026-11-01", 2),
            row("feature.client_created", "2026-11-01", 2),
            row("feature.export", "2026-11-01", 2),
        ],
        "a scheduled backup is not the user's doing and is not counted"
    );
    let preview = o.ws.usage_preview().await.unwrap();
    assert!(preview.enabled);
    let shown: Vec<(&str, &str, i64)> =
        preview.rows.iter().map(|r| (r.event.as_str(), r.description.as_str(), r.count)).collect();
    assert_eq!(shown[1], ("feature.client_created", UsageEvent::ClientCreated.description(), 2));
    assert!(preview.rows.iter().all(|r| !r.event.contains("Client")), "no names in events");

    let status = o.ws.set_analytics(false, ConsentMethod::Ui).await.unwrap();
    assert_eq!(status.queued, 0, "opting out empties the queue");
    do_work(4).await;
    assert!(rows(&o.ws).await.is_empty(), "off again: nothing is counted");
    assert!(o.ws.usage_preview().await.unwrap().rows.is_empty());
}

#[tokio::test]
async fn the_command_line_and_other_programs_never_count_features() {
    for holder in [Holder::command("client add"), Holder::Unnamed] {
        let o = workspace_held_by(holder.clone()).await;
        o.ws.set_analytics(true, ConsentMethod::Cli).await.unwrap();
        o.ws.create_client(NewClient { name: "Scripted".into(), ..Default::default() }).await.unwrap();
        o.ws.backup_now(BackupReason::Manual).await.unwrap();
        assert!(rows(&o.ws).await.is_empty(), "{holder:?} counted a feature");
        // Counting by hand still works there: the gate is who does the work.
        assert!(o.ws.count_usage(UsageEvent::Import).await.unwrap());
    }
}

#[tokio::test]
async fn the_app_session_counts_the_screens_the_window_reports_and_never_fails_it() {
    let dir = tempfile::tempdir().unwrap();
    let env = Environment { holder: Holder::App, ..support::env() };
    let session = bidwell_core::Session::new(dir.path().to_path_buf(), env);
    // Locked: nothing to count into, and the window is not told of it.
    session.count_usage(UsageEvent::ScreenDashboard).await;

    session.create("Studio", Protection::Passphrase(support::passphrase())).await.unwrap();
    session.count_usage(UsageEvent::ScreenDashboard).await;
    assert!(rows(&session.workspace().await.unwrap()).await.is_empty(), "off: a screen is not counted");

    session.workspace().await.unwrap().set_analytics(true, ConsentMethod::Ui).await.unwrap();
    session.count_usage(UsageEvent::ScreenDashboard).await;
    session.count_usage(UsageEvent::ScreenSettingsPrivacy).await;
    session.count_usage(UsageEvent::ScreenDashboard).await;
    assert_eq!(
        rows(&session.workspace().await.unwrap()).await,
        vec![row("screen.dashboard", "2026-11-01", 2), row("screen.settings.privacy", "2026-11-01", 1)]
    );

    session.lock().await;
    session.count_usage(UsageEvent::ScreenClients).await;
    session.unlock(bidwell_core::vault::Unlock::Passphrase(support::passphrase())).await.unwrap();
    let after = rows(&session.workspace().await.unwrap()).await;
    assert!(after.iter().all(|(e, _, _)| e != "screen.clients"), "counted while locked: {after:?}");
}

#[tokio::test]
async fn in_the_app_a_sync_asked_for_and_an_import_are_counted_but_a_background_pass_and_a_dry_run_are_not() {
    let server = crate::sync::sim(2, 0.0).await;
    let o = workspace_held_by(Holder::App).await;
    let token = bidwell_marketplace::ApiToken::new("sim-token".into());
    o.ws.add_market_account("Sim", &server.base_url(), token, ConsentMethod::Cli).await.unwrap();
    o.ws.set_analytics(true, ConsentMethod::Ui).await.unwrap();
    let engine = crate::sync::engine(31);
    let never = AtomicBool::new(false);

    engine.sync_once(&o.ws, &mut |_, _, _| {}, &never).await.unwrap();
    assert!(rows(&o.ws).await.is_empty(), "a background pass is not the user's doing");
    assert!(server.analytics().is_empty());
    // "Sync now": counted before the pass, so this very pass sends it.
    engine.sync_on_request(&o.ws, &mut |_, _, _| {}, &never).await.unwrap();
    let sent: Vec<(String, u32)> = server.analytics().into_iter().map(|c| (c.name, c.count)).collect();
    assert_eq!(sent, vec![("feature.sync".to_owned(), 1)]);

    let csv = o.dir.path().join("clients.csv");
    std::fs::write(&csv, "name,email\nAda Quill,ada@example.org\n").unwrap();
    let import = |dry_run| {
        let options = bidwell_core::portability::ImportOptions { dry_run, ..Default::default() };
        let (ws, csv) = (&o.ws, csv.clone());
        async move { ws.import(&csv, &options, None, &mut |_| {}, &AtomicBool::new(false)).await.unwrap() }
    };
    import(true).await;
    assert!(rows(&o.ws).await.is_empty(), "a dry run only looks");
    import(false).await;
    assert_eq!(rows(&o.ws).await, vec![row("feature.import", "2026-11-01", 1)]);
}
