// Declares the app's own commands so that capabilities can grant them one by
// one (without a manifest every window could call every command).
fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(&["workspace_state"])),
    )
    .expect("tauri build script failed");
}
