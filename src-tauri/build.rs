// Declares the app's own commands so that capabilities can grant them one by
// one (without a manifest every window could call every command). The list
// is read from the capability in tauri.conf.json, so it is written once.
fn main() {
    println!("cargo:rerun-if-changed=tauri.conf.json");
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("tauri.conf.json").expect("tauri.conf.json is readable"))
            .expect("tauri.conf.json is JSON");
    let commands: Vec<String> = config["app"]["security"]["capabilities"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|cap| cap["permissions"].as_array().cloned().unwrap_or_default())
        .filter_map(|p| p.as_str().and_then(|p| p.strip_prefix("allow-")).map(|c| c.replace('-', "_")))
        .collect();
    // The manifest wants 'static names; a build script may leak a few strings.
    let commands: Vec<&'static str> = commands.into_iter().map(|c| &*Box::leak(c.into_boxed_str())).collect();
    let commands: &'static [&'static str] = Box::leak(commands.into_boxed_slice());
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(commands)),
    )
    .expect("tauri build script failed");
}
