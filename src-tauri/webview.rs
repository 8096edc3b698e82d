//! The WebKitGTK settings Bidwell changes on Linux, which Tauri does not
//! expose. Both are about where OpenGL is software (llvmpipe: virtual
//! machines, remote desktops, no GPU driver), where WebKit's textures and
//! shader programs are ordinary process memory (docs/performance.md).
//!
//! - Scrollable panels scroll on the main thread, everywhere. With WebKit's
//!   default (asynchronous overflow scrolling) every scrollable panel — the
//!   100 000-row client list, a detail panel, the palette — gets a composited
//!   layer of its own with its own tiles; the client list's alone cost 22 MiB
//!   under llvmpipe. Without it the panels paint into the page's own layer;
//!   the list repaints about twenty rows per scroll step.
//! - On a machine with no GPU device, WebKit paints with Skia on the CPU
//!   and without its compositor. There "GPU" painting and compositing are
//!   llvmpipe emulating a GPU on the same CPU, with tile textures and shader
//!   variants held as process memory (28 MiB of the web process for the
//!   painting; the compositor's textures another 36 MiB, and up to 20 MiB
//!   more while the Dashboard's charts are drawn). Skia's CPU path draws
//!   the same pixels, straight into the window's buffer. With a GPU, WebKit's
//!   defaults (GPU painting, composited layers) stay: they are the faster path
//!   on large and high-density screens.
//!
//! The panels' setting goes through WebKitGTK's feature API (since 2.42; the
//! `webkit2gtk` crate does not bind it yet, hence the few declarations
//! below). The painting choices cannot: WebKit reads them once, when the
//! page's drawing area is made, before Tauri hands the web view over; they
//! are WebKit's environment switches, set before any thread or web process
//! starts. Any failure leaves WebKit's default in place: a missing setting
//! costs memory, never function.

use std::ffi::{c_char, c_void, CStr, OsStr};
use std::path::Path;

use webkit2gtk::glib::translate::ToGlibPtr;
use webkit2gtk::WebViewExt;

const ASYNC_OVERFLOW_SCROLLING: &CStr = c"AsyncOverflowScrolling";
/// WebKitGTK's (2.46+) switch to Skia's CPU painting; its web processes
/// inherit it from the app.
const CPU_PAINTING_VARIABLE: &str = "WEBKIT_SKIA_ENABLE_CPU_RENDERING";
/// WebKitGTK's switch that draws the page without its compositor (no
/// composited layers, no OpenGL in the web process).
const NO_COMPOSITOR_VARIABLE: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// Where WebKit paints the page's layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Painting {
    /// WebKit's default: Skia on OpenGL, layers composited on OpenGL.
    Gpu,
    /// Skia on the CPU, without the compositor.
    Cpu,
}

impl Painting {
    /// WebKit's environment switches that select this way of painting.
    fn switches(self) -> &'static [&'static str] {
        match self {
            Painting::Gpu => &[],
            Painting::Cpu => &[CPU_PAINTING_VARIABLE, NO_COMPOSITOR_VARIABLE],
        }
    }
}

/// Device nodes through which a Linux machine reaches a GPU: the kernel's
/// DRM nodes (Mesa, AMD, Intel, nouveau), NVIDIA's own driver, and WSL's
/// GPU bridge. Without any of them Mesa can only emulate OpenGL.
fn is_gpu_device(name: &str) -> bool {
    name.starts_with("renderD") || name.starts_with("card") || name.starts_with("nvidia") || name == "dxg"
}

/// The choice, from the names found in `/dev` and `/dev/dri` and the
/// `LIBGL_ALWAYS_SOFTWARE` variable (Mesa's own switch to software GL).
fn painting_for<'a>(
    device_names: impl IntoIterator<Item = &'a str>,
    libgl_always_software: Option<&OsStr>,
) -> Painting {
    let software_asked = libgl_always_software.is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
    if software_asked || !device_names.into_iter().any(is_gpu_device) {
        Painting::Cpu
    } else {
        Painting::Gpu
    }
}

fn painting_here() -> Painting {
    let names: Vec<String> = [Path::new("/dev"), Path::new("/dev/dri")]
        .iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .collect();
    painting_for(names.iter().map(String::as_str), std::env::var_os("LIBGL_ALWAYS_SOFTWARE").as_deref())
}

#[repr(C)]
struct FeatureList {
    _private: [u8; 0],
}

#[repr(C)]
struct Feature {
    _private: [u8; 0],
}

#[link(name = "webkit2gtk-4.1")]
extern "C" {
    fn webkit_settings_get_all_features() -> *mut FeatureList;
    fn webkit_feature_list_get_length(list: *mut FeatureList) -> usize;
    fn webkit_feature_list_get(list: *mut FeatureList, index: usize) -> *mut Feature;
    fn webkit_feature_list_unref(list: *mut FeatureList);
    fn webkit_feature_get_identifier(feature: *mut Feature) -> *const c_char;
    fn webkit_settings_set_feature_enabled(settings: *mut c_void, feature: *mut Feature, enabled: i32);
}

/// Chooses CPU painting without the compositor on a machine without a GPU
/// device. Call first thing in `main`: it sets environment variables, which
/// is only sound while the process has one thread. Each value the user set
/// is left alone (`WEBKIT_DISABLE_COMPOSITING_MODE=0` brings the compositor
/// back).
pub fn choose_painting() {
    for &switch in painting_here().switches() {
        if std::env::var_os(switch).is_none() {
            std::env::set_var(switch, "1");
        }
    }
}

/// Turns off asynchronous overflow scrolling in the window's web view.
pub fn scroll_panels_in_page_layer(window: &tauri::WebviewWindow) {
    let applied = window.with_webview(|webview| {
        let Some(settings) = webview.inner().settings() else { return };
        let settings: *mut webkit2gtk::ffi::WebKitSettings = settings.to_glib_none().0;
        // SAFETY: `settings` is a live WebKitSettings (held by the web view for
        // this call); the feature list is owned here and released once; the
        // features it hands out stay valid while the list is held.
        let found = unsafe {
            let features = webkit_settings_get_all_features();
            let found = (0..webkit_feature_list_get_length(features))
                .map(|index| webkit_feature_list_get(features, index))
                .find(|&feature| CStr::from_ptr(webkit_feature_get_identifier(feature)) == ASYNC_OVERFLOW_SCROLLING);
            if let Some(feature) = found {
                webkit_settings_set_feature_enabled(settings.cast(), feature, 0);
            }
            webkit_feature_list_unref(features);
            found.is_some()
        };
        if !found {
            log::warn!(
                "this WebKitGTK has no asynchronous overflow scrolling setting; scroll panels keep their layers"
            );
        }
    });
    if let Err(e) = applied {
        log::warn!("the web view's settings could not be changed: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_machine_without_gpu_devices_paints_on_the_cpu() {
        // What a container or a VM without a GPU shows: no dri nodes.
        let dev = ["null", "zero", "tty", "fuse", "shm", "pts"];
        assert_eq!(painting_for(dev, None), Painting::Cpu);
    }

    #[test]
    fn any_gpu_device_keeps_webkits_gpu_painting() {
        for gpu in ["renderD128", "card0", "nvidia0", "nvidiactl", "dxg"] {
            assert_eq!(painting_for(["null", "tty", gpu], None), Painting::Gpu, "{gpu}");
        }
    }

    #[test]
    fn cpu_painting_also_turns_the_compositor_off_and_gpu_painting_changes_nothing() {
        assert_eq!(Painting::Cpu.switches(), ["WEBKIT_SKIA_ENABLE_CPU_RENDERING", "WEBKIT_DISABLE_COMPOSITING_MODE"]);
        assert!(Painting::Gpu.switches().is_empty());
    }

    #[test]
    fn mesas_software_switch_means_cpu_painting_even_with_a_gpu() {
        let dev = ["null", "renderD128", "card0"];
        assert_eq!(painting_for(dev, Some(OsStr::new("1"))), Painting::Cpu);
        assert_eq!(painting_for(dev, Some(OsStr::new("true"))), Painting::Cpu);
        assert_eq!(painting_for(dev, Some(OsStr::new("0"))), Painting::Gpu);
        assert_eq!(painting_for(dev, Some(OsStr::new(""))), Painting::Gpu);
    }
}
