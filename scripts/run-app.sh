#!/usr/bin/env bash
# Builds Bidwell (UI and Rust, release) and launches the desktop app.
# Installs what is missing first; safe to run again.
source "$(dirname "$0")/lib.sh"
ensure_toolchains
ensure_apt_packages "${BUILD_PACKAGES[@]}"
ensure_ui_packages
cd "$REPO_ROOT"
npm --prefix ui run build
# custom-protocol serves the built UI from the binary instead of the dev server.
cargo build --release --locked --bin bidwell-app --bin bidwell --features tauri/custom-protocol
echo "==> the CLI is at target/release/bidwell; starting the app"
exec target/release/bidwell-app "$@"
