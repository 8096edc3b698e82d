//! The TypeScript types the UI imports, generated from the Rust types that
//! cross the IPC boundary. `ui/src/bindings` holds the generated files; a test
//! fails when they are stale (`BIDWELL_UPDATE_BINDINGS=1 cargo test -p
//! bidwell-core bindings` rewrites them).

use ts_rs::{Config, TS};

use crate::error::{ApiError, ErrorCode};
use crate::vault::ProtectionKind;
use crate::workspace::WorkspaceState;

/// i64 money amounts and counts travel as JSON numbers; amounts stay far below 2^53.
pub fn config() -> Config {
    Config::new().with_large_int("number")
}

fn file<T: TS + 'static>(cfg: &Config) -> (String, String) {
    let text = T::export_to_string(cfg).unwrap_or_else(|e| panic!("{} has no TypeScript binding: {e}", T::ident(cfg)));
    (format!("{}.ts", T::ident(cfg)), text)
}

/// Every generated file: (file name, contents).
pub fn files() -> Vec<(String, String)> {
    let cfg = config();
    vec![file::<ApiError>(&cfg), file::<ErrorCode>(&cfg), file::<ProtectionKind>(&cfg), file::<WorkspaceState>(&cfg)]
}
