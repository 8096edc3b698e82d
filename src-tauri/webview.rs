//! The one WebKitGTK setting Bidwell changes on Linux, which Tauri does not
//! expose: scrollable panels scroll on the main thread.
//!
//! With WebKit's default (asynchronous overflow scrolling) every scrollable
//! panel — the 100 000-row client list, a detail panel, the palette — gets a
//! composited layer of its own with its own tiles. Where OpenGL is software
//! (llvmpipe: virtual machines, remote desktops, no GPU driver) those tiles
//! are ordinary process memory: the client list's layer alone cost 22 MiB of
//! the web process (docs/performance.md). Without it the panels paint into
//! the page's own layer; the list repaints about twenty rows per scroll step.
//!
//! WebKitGTK has had this API since 2.42; the `webkit2gtk` crate does not
//! bind it yet, hence the few declarations below. Any failure leaves WebKit's
//! default in place: a missing setting costs memory, never function.

use std::ffi::{c_char, c_void, CStr};

use webkit2gtk::glib::translate::ToGlibPtr;
use webkit2gtk::WebViewExt;

const ASYNC_OVERFLOW_SCROLLING: &CStr = c"AsyncOverflowScrolling";

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
