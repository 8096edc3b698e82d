//! Task reminders as the desktop shows them. The notification says how many
//! tasks are due, never their text (Windows and macOS keep notification
//! history outside the encrypted workspace). On Linux it carries "Snooze 1
//! hour" and "Done" (actions of the freedesktop notification spec, through
//! notify-rust, which Tauri's notification plugin uses underneath but does
//! not expose on desktop); elsewhere the plugin's notification asks to open
//! Bidwell. Either way the window gets the due tasks too ("tasks-due") with
//! the same choices, and hears "tasks-acted" when the notification acted.

use bidwell_core::store::TaskPatch;
use bidwell_core::{Id, Session, Task};
use tauri::{AppHandle, Emitter, Manager};

/// The notification's action that moves the reminders an hour on.
pub const SNOOZE: &str = "snooze-1h";
/// The notification's action that marks the tasks done.
pub const DONE: &str = "done";

/// Shows one notification for the tasks now due and sends them to the window.
pub fn remind(handle: &AppHandle, due: &[Task]) {
    // The notification's own buttons exist only where `notify` below adds them.
    let with_buttons = cfg!(target_os = "linux");
    let (title, body) = match (due.len(), with_buttons) {
        (1, true) => ("A task is due".to_owned(), "Snooze it an hour, mark it done, or open Bidwell."),
        (1, false) => ("A task is due".to_owned(), "Open Bidwell to snooze it or mark it done."),
        (n, true) => (format!("{n} tasks are due"), "Snooze them an hour, mark them done, or open Bidwell."),
        (n, false) => (format!("{n} tasks are due"), "Open Bidwell to snooze them or mark them done."),
    };
    if let Err(e) = notify(handle, &title, body, due.iter().map(|t| t.meta.id).collect()) {
        log::warn!("could not show a task reminder: {e}");
    }
    let _ = handle.emit("tasks-due", due);
}

#[cfg(target_os = "linux")]
fn notify(handle: &AppHandle, title: &str, body: &str, tasks: Vec<Id>) -> Result<(), String> {
    let shown = notify_rust::Notification::new()
        .appname("Bidwell")
        .summary(title)
        .body(body)
        .action(SNOOZE, "Snooze 1 hour")
        .action(DONE, "Done")
        .show()
        .map_err(|e| e.to_string())?;
    let handle = handle.clone();
    // Waits for the user's choice or the notification's close; one thread per
    // notification, which ends with it.
    std::thread::spawn(move || {
        shown.wait_for_action(|action| {
            let action = action.to_owned();
            tauri::async_runtime::block_on(act(&handle, &action, &tasks));
        });
    });
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn notify(handle: &AppHandle, title: &str, body: &str, _tasks: Vec<Id>) -> Result<(), String> {
    use tauri_plugin_notification::NotificationExt;
    handle.notification().builder().title(title).body(body).show().map_err(|e| e.to_string())
}

/// Does what the notification's button said, while the workspace is open.
async fn act(handle: &AppHandle, action: &str, tasks: &[Id]) {
    let session = handle.state::<Session>();
    let Ok(workspace) = session.workspace().await else { return };
    for &id in tasks {
        let done = match action {
            SNOOZE => {
                workspace.snooze_task(id, workspace.now() + bidwell_core::chrono::Duration::hours(1)).await.map(drop)
            }
            DONE => workspace.update_task(id, TaskPatch { done: Some(true), ..Default::default() }).await.map(drop),
            _ => return,
        };
        if let Err(e) = done {
            log::warn!("a reminder's {action} failed: {:?}", e.code());
        }
    }
    let _ = handle.emit("tasks-acted", (action, tasks));
}
