//! Bidwell's desktop shell: the window, the one [`Session`] its commands
//! work on, and a timer that locks the workspace after the user's idle
//! time. The commands are in `commands.rs`; no logic lives here.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;

use std::time::Duration;

use bidwell_core::{Environment, Session};
use tauri::{Emitter, Manager};

/// How often the idle lock is checked; the idle time itself is a preference.
const IDLE_CHECK: Duration = Duration::from_secs(30);

fn main() {
    let data_dir = bidwell_core::data_dir(std::env::var_os("BIDWELL_DATA_DIR"))
        .expect("this system has no data directory; set BIDWELL_DATA_DIR");
    tauri::Builder::default()
        .manage(Session::new(data_dir, Environment::system()))
        .setup(|app| {
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                let mut tick = tokio::time::interval(IDLE_CHECK);
                loop {
                    tick.tick().await;
                    let session = handle.state::<Session>();
                    if let Ok(true) = session.enforce_idle_lock().await {
                        let _ = handle.emit("session-locked", ());
                    }
                }
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::session_state,
            commands::create_workspace,
            commands::unlock,
            commands::unlock_with_recovery_key,
            commands::lock,
            commands::change_passphrase,
            commands::rotate_key,
            commands::doctor,
            commands::preferences,
            commands::set_preferences,
            commands::delete_record,
            commands::restore_record,
            commands::search,
            commands::set_bid_status,
            commands::set_milestone_status,
            commands::create_client,
            commands::get_client,
            commands::list_clients,
            commands::update_client,
            commands::create_contact,
            commands::get_contact,
            commands::list_contacts,
            commands::update_contact,
            commands::create_project,
            commands::get_project,
            commands::list_projects,
            commands::update_project,
            commands::create_job,
            commands::get_job,
            commands::list_jobs,
            commands::update_job,
            commands::create_bid,
            commands::get_bid,
            commands::list_bids,
            commands::update_bid,
            commands::create_milestone,
            commands::get_milestone,
            commands::list_milestones,
            commands::update_milestone,
            commands::create_activity,
            commands::get_activity,
            commands::list_activities,
            commands::update_activity,
            commands::create_task,
            commands::get_task,
            commands::list_tasks,
            commands::update_task,
            commands::dashboard,
        ])
        .run(tauri::generate_context!())
        .expect("the Bidwell window could not start");
}
