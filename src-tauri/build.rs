// The app's commands are written once, in src-tauri/commands.rs. From that
// file this script makes what Tauri needs beside the functions: the handler
// registration main.rs includes, an `allow-…` permission per command (without
// a manifest every window could call every command), and the app's `default`
// permission set that grants them all, which the main window's capability in
// tauri.conf.json names.

// Only the names are used here; the test that writes Commands.ts uses the rest.
#[allow(dead_code)]
#[path = "command_list.rs"]
mod command_list;

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/commands.rs");
    println!("cargo:rerun-if-changed=src-tauri/command_list.rs");
    println!("cargo:rerun-if-changed=tauri.conf.json");
    let source = std::fs::read_to_string("src-tauri/commands.rs").expect("src-tauri/commands.rs is readable");
    let names: Vec<String> =
        command_list::parse(&source).unwrap_or_else(|e| panic!("{e}")).into_iter().map(|c| c.name).collect();
    assert!(!names.is_empty(), "no #[tauri::command] found in src-tauri/commands.rs");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));

    let handlers: Vec<String> = names.iter().map(|n| format!("commands::{n}")).collect();
    write_if_changed(
        &out_dir.join("invoke_handler.rs"),
        &format!("tauri::generate_handler![\n    {},\n]\n", handlers.join(",\n    ")),
    );

    let permissions_dir = out_dir.join("app-permissions");
    std::fs::create_dir_all(&permissions_dir).expect("OUT_DIR is writable");
    let allowed: Vec<String> = names.iter().map(|n| format!("\"allow-{}\"", n.replace('_', "-"))).collect();
    write_if_changed(
        &permissions_dir.join("default.toml"),
        &format!(
            "[default]\ndescription = \"Every command in src-tauri/commands.rs.\"\npermissions = [\n  {},\n]\n",
            allowed.join(",\n  ")
        ),
    );

    // The manifest wants 'static names and a 'static pattern; a build script may leak a few strings.
    let names: Vec<&'static str> = names.into_iter().map(|c| &*Box::leak(c.into_boxed_str())).collect();
    let names: &'static [&'static str] = Box::leak(names.into_boxed_slice());
    let pattern = permissions_dir.join("*.toml").to_string_lossy().into_owned();
    let pattern: &'static str = Box::leak(pattern.into_boxed_str());
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(names).permissions_path_pattern(pattern)),
    )
    .expect("tauri build script failed");
}

/// Keeps the file's time when nothing changed, so nothing rebuilds for it.
fn write_if_changed(path: &std::path::Path, text: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}
