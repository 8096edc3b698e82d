//! Bidwell's desktop shell: the window, the platform plugins a user expects
//! (one instance, remembered window, native dialogs, notifications, a log
//! without personal data), the one [`Session`] and [`SyncEngine`] its
//! commands work on, and the timers: the idle lock, task reminders, retention,
//! marketplace sync and the daily backup. Quitting locks the workspace. The
//! commands are in `commands.rs`, the demo marketplace's host in `demo.rs`,
//! the WebKitGTK settings in `webview.rs`; no logic lives here.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

#[cfg(test)]
mod command_list;
#[cfg(test)]
mod command_map;
mod commands;
mod demo;
mod reminders;
#[cfg(target_os = "linux")]
mod webview;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bidwell_core::sync::{HttpOptions, SyncEngine};
use bidwell_core::work::LongWork;
use bidwell_core::{Environment, Holder, Session};
use tauri::webview::PageLoadEvent;
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_log::{Target, TargetKind};

/// How often the idle lock is checked; the idle time itself is a preference.
const IDLE_CHECK: Duration = Duration::from_secs(30);
/// How often due task reminders are looked for.
const REMINDER_CHECK: Duration = Duration::from_secs(60);
/// How often the retention rules are offered a run (the core runs them daily).
const RETENTION_CHECK: Duration = Duration::from_secs(60 * 60);
/// How often queued marketplace changes are looked at (the core says which are due).
const SYNC_CHECK: Duration = Duration::from_secs(30);
/// How often every marketplace is synced while unlocked, due work or not.
const SYNC_EVERY: Duration = Duration::from_secs(5 * 60);
/// How often the backup timer looks whether the workspace was just unlocked.
const BACKUP_CHECK: Duration = Duration::from_secs(30);
/// How often, while unlocked, the core is offered the daily backup (it
/// decides by its clock whether a day has passed).
const BACKUP_EVERY: Duration = Duration::from_secs(60 * 60);
/// How long quitting waits for the workspace to lock before it exits anyway.
const LOCK_AT_EXIT: Duration = Duration::from_secs(10);

fn main() {
    // First, before any key is read: no core dumps or crash reports of an
    // unlocked app, and no OpenSSL teardown at exit (bidwell_core::process).
    if let Err(e) = bidwell_core::process::harden() {
        eprintln!("warning: core dumps could not be turned off: {e}");
    }
    #[cfg(target_os = "linux")]
    webview::choose_painting();
    let data_dir = bidwell_core::data_dir(std::env::var_os("BIDWELL_DATA_DIR"))
        .expect("this system has no data directory; set BIDWELL_DATA_DIR");
    tauri::Builder::default()
        // First, so that a second launch only raises the window it already has.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.set_focus();
            }
        }))
        .plugin(redacted_log())
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .on_page_load(|_, payload| {
            // scripts/measure-desktop.sh times launches by this line (as for its baseline window).
            if payload.event() == PageLoadEvent::Finished && std::env::var_os("BIDWELL_LAUNCH_PROBE").is_some() {
                println!("launch-probe: page loaded");
            }
        })
        // Named to a `bidwell` command refused while the app has the workspace open.
        .manage(
            Session::new(data_dir, Environment { holder: Holder::App, ..Environment::system() })
                .with_demo_market(Arc::new(demo::DemoMarket::default())),
        )
        .manage(LongWork::default())
        .manage(bidwell_core::portability::ChosenFiles::default())
        .manage(SyncEngine::http(HttpOptions::default()))
        .setup(|app| {
            #[cfg(target_os = "linux")]
            if let Some(window) = app.get_webview_window("main") {
                webview::scroll_panels_in_page_layer(&window);
            }
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(lock_when_idle(handle.clone()));
            tauri::async_runtime::spawn(remind_due_tasks(handle.clone()));
            tauri::async_runtime::spawn(apply_retention(handle.clone()));
            tauri::async_runtime::spawn(sync_in_background(handle.clone()));
            tauri::async_runtime::spawn(back_up_daily(handle.clone()));
            #[cfg(unix)]
            tauri::async_runtime::spawn(quit_on_signal(handle));
            Ok(())
        })
        // Every command in commands.rs, listed by build.rs.
        .invoke_handler(include!(concat!(env!("OUT_DIR"), "/invoke_handler.rs")))
        .build(tauri::generate_context!())
        .expect("the Bidwell window could not start")
        .run(|app, event| {
            if let tauri::RunEvent::Exit = event {
                lock_at_exit(app);
            }
        });
}

/// Quitting locks: the lock signal stops running work (a restore, an
/// export, a sync) at its next step, then the database is closed. Bounded,
/// so a stuck step cannot keep the app from quitting.
fn lock_at_exit(app: &AppHandle) {
    // A launch from now on starts a new window rather than being handed to
    // this one, which is going.
    tauri_plugin_single_instance::destroy(app);
    let session = app.state::<Session>();
    log::info!("quitting: locking the workspace");
    // The timer is made inside the runtime: made out here (on the event
    // loop's thread) it panics, and the app ended without locking.
    let locked = tauri::async_runtime::block_on(async { tokio::time::timeout(LOCK_AT_EXIT, session.lock()).await });
    match locked {
        Ok(()) => log::info!("quitting: locked"),
        Err(_) => log::warn!("quitting before the workspace finished locking"),
    }
}

/// Logging out, shutting down, `kill` or Ctrl+C in the terminal that
/// started the app quits it as the close button does, through the app's
/// exit and so [`lock_at_exit`]: without this the signal's default action
/// ends the process on the spot with the workspace open. A second signal
/// ends the process without waiting for the lock.
#[cfg(unix)]
async fn quit_on_signal(handle: AppHandle) {
    use tokio::signal::unix::{signal, Signal, SignalKind};
    // Each one that registers stops killing the process at once, so each
    // one that registers must be listened to, whatever the others do.
    let listen = |kind: SignalKind| match signal(kind) {
        Ok(stream) => Some(stream),
        Err(e) => {
            log::warn!("signal {} will end the app without locking: {e}", kind.as_raw_value());
            None
        }
    };
    let (mut term, mut int, mut hup) =
        (listen(SignalKind::terminate()), listen(SignalKind::interrupt()), listen(SignalKind::hangup()));
    async fn received(stream: &mut Option<Signal>) {
        match stream {
            Some(stream) => {
                stream.recv().await;
            }
            None => std::future::pending().await,
        }
    }
    let mut next = async || -> i32 {
        tokio::select! {
            () = received(&mut term) => SignalKind::terminate().as_raw_value(),
            () = received(&mut int) => SignalKind::interrupt().as_raw_value(),
            () = received(&mut hup) => SignalKind::hangup().as_raw_value(),
        }
    };
    let first = next().await;
    log::info!("signal {first}: quitting");
    handle.exit(0);
    let second = next().await;
    log::warn!("signal {second} while quitting: ending before the workspace is locked");
    // `exit` skips Tauri's cleanup, which is what gives up the single-instance name.
    tauri_plugin_single_instance::destroy(&handle);
    std::process::exit(128 + second);
}

/// Info and above to the platform's log folder; sqlx's statement log stays
/// off (it would print `PRAGMA key`), and so do the D-Bus library's
/// handshake traces (each notification and keychain call wrote its bytes,
/// the user's id among them); every line goes through the core's redaction
/// before it is written.
fn redacted_log() -> tauri::plugin::TauriPlugin<tauri::Wry> {
    tauri_plugin_log::Builder::new()
        .clear_targets()
        .target(Target::new(TargetKind::LogDir { file_name: None }))
        .level(log::LevelFilter::Info)
        .level_for("sqlx", log::LevelFilter::Warn)
        .level_for("zbus", log::LevelFilter::Warn)
        .level_for("tracing", log::LevelFilter::Warn)
        .format(|out, message, record| {
            let line = message.to_string();
            out.finish(format_args!("{} {} {}", record.level(), record.target(), bidwell_core::redact::redact(&line)))
        })
        .build()
}

/// Runs `job` at once and then every `period`, one run at a time, for as
/// long as the app runs: each timer below is one of these. A run owns the
/// timer's state (the app handle, and whatever the job keeps between runs)
/// and hands it back for the next run.
async fn run_every<State, Run>(period: Duration, mut state: State, mut job: impl FnMut(State) -> Run)
where
    Run: Future<Output = State>,
{
    let mut tick = tokio::time::interval(period);
    loop {
        tick.tick().await;
        state = job(state).await;
    }
}

async fn lock_when_idle(handle: AppHandle) {
    run_every(IDLE_CHECK, handle, |handle| async move {
        let session = handle.state::<Session>();
        if let Ok(true) = session.enforce_idle_lock().await {
            handle.state::<bidwell_core::portability::ChosenFiles>().forget_all();
            let _ = handle.emit("session-locked", ());
        } else if let Err(e) = session.release_memory_if_quiet().await {
            log::warn!("could not release cache memory: {:?}", e.code());
        }
        handle
    })
    .await
}

/// Lets the core apply the user's retention rules once a day while unlocked
/// (checked hourly). What ran is in the audit log.
async fn apply_retention(handle: AppHandle) {
    run_every(RETENTION_CHECK, handle, |handle| async move {
        if let Err(e) = handle.state::<Session>().run_retention_if_due().await {
            log::warn!("retention rules could not run: {}", e.to_api().message);
        }
        handle
    })
    .await
}

/// Turns the core's due reminders into OS notifications, while unlocked
/// (`reminders.rs`). Reading them does not count as use for the idle lock.
async fn remind_due_tasks(handle: AppHandle) {
    run_every(REMINDER_CHECK, handle, |handle| async move {
        let due = handle.state::<Session>().due_reminders().await.unwrap_or_default();
        if !due.is_empty() {
            reminders::remind(&handle, &due);
        }
        handle
    })
    .await
}

/// Syncs every few minutes while unlocked, and sooner when the core says a
/// queued change is due; tells the window after each run so it refreshes.
/// Between runs it keeps when the last full sync ran.
async fn sync_in_background(handle: AppHandle) {
    let start = (handle, tokio::time::Instant::now());
    run_every(SYNC_CHECK, start, |(handle, mut last_full)| async move {
        let periodic = last_full.elapsed() >= SYNC_EVERY;
        match handle.state::<Session>().sync_if_due(&handle.state::<SyncEngine>(), periodic).await {
            Ok(None) => return (handle, last_full),
            Ok(Some(_)) => {}
            Err(e) => log::warn!("marketplace sync failed: {}", e.to_api().message),
        }
        if periodic {
            last_full = tokio::time::Instant::now();
        }
        let _ = handle.emit("sync-changed", ());
        (handle, last_full)
    })
    .await
}

/// The daily backup while unlocked: offered soon after each unlock (within
/// [`BACKUP_CHECK`]) and then every [`BACKUP_EVERY`]; the core takes one
/// when a day has passed. Tells the window when that changed what it shows
/// (a backup taken, a failure, or the end of one), so its overdue banner and
/// Settings → Backups follow; a check that found nothing due stays silent,
/// or the window would re-read the status in the middle of whatever the
/// user is doing. Between runs it keeps when it last offered one while
/// unlocked (`None` while locked) and whether that try failed.
async fn back_up_daily(handle: AppHandle) {
    let start: (AppHandle, Option<tokio::time::Instant>, bool) = (handle, None, false);
    run_every(BACKUP_CHECK, start, |(handle, last, failed_before)| async move {
        let session = handle.state::<Session>();
        if !session.is_unlocked().await {
            return (handle, None, failed_before);
        }
        if last.is_some_and(|at| at.elapsed() < BACKUP_EVERY) {
            return (handle, last, failed_before);
        }
        let (taken, failed) = match session.backup_if_due().await {
            Ok(None) => (false, false),
            Ok(Some(_)) => {
                log::info!("daily backup taken");
                (true, false)
            }
            Err(e) => {
                log::warn!("daily backup failed: {:?}", e.code());
                (false, true)
            }
        };
        if taken || failed || failed_before {
            let _ = handle.emit("backup-changed", ());
        }
        (handle, Some(tokio::time::Instant::now()), failed)
    })
    .await
}
