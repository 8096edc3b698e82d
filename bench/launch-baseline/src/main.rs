//! A minimal Tauri window: one page, no commands. It prints the same
//! launch-probe line as Bidwell when its page has loaded.

use tauri::webview::PageLoadEvent;

fn main() {
    tauri::Builder::default()
        .on_page_load(|_, payload| {
            if payload.event() == PageLoadEvent::Finished && std::env::var_os("BIDWELL_LAUNCH_PROBE").is_some() {
                println!("launch-probe: page loaded");
            }
        })
        .run(tauri::generate_context!())
        .expect("the baseline window could not start");
}
