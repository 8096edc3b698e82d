//! Bidwell's desktop shell: the window, and commands that each convert
//! their arguments, call one core function and return its result. No logic
//! lives here; see crates/core.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use bidwell_core::{ApiError, Error, WorkspaceState};

/// The data directory, as the CLI resolves it.
fn data_dir() -> Result<std::path::PathBuf, ApiError> {
    bidwell_core::data_dir(std::env::var_os("BIDWELL_DATA_DIR")).map_err(|e: Error| e.to_api())
}

#[tauri::command]
fn workspace_state() -> Result<WorkspaceState, ApiError> {
    bidwell_core::Workspace::state(&data_dir()?).map_err(|e| e.to_api())
}

fn main() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![workspace_state])
        .run(tauri::generate_context!())
        .expect("the Bidwell window could not start");
}
