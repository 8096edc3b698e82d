#!/usr/bin/env bash
# Real-window end-to-end tests (e2e/): builds the app with its UI embedded and
# the CLI (release, as a user's launch does), installs what the tests need (Xvfb, WebKitWebDriver, tauri-driver),
# then runs them on a virtual X display. Each test starts its own tauri-driver
# on a free 127.0.0.1 port, with its own BIDWELL_DATA_DIR (e2e/src/lib.rs).
# Screenshots and driver logs land in target/e2e-screenshots/. Safe to run again.
source "$(dirname "$0")/lib.sh"
ensure_toolchains
ensure_apt_packages "${BUILD_PACKAGES[@]}" "${E2E_PACKAGES[@]}"
ensure_ui_packages
cd "$REPO_ROOT"

ensure_tauri_driver

# The tests drive the same release build a user launches (README's first
# command); in CI that build is already there from the smoke run.
echo "==> building the app (UI embedded) and the CLI for the end-to-end tests"
build_release_app
cargo test --locked -p bidwell-e2e --no-run

export BIDWELL_E2E=1
# Last run's screenshots and logs go first.
rm -rf "${CARGO_TARGET_DIR:-$REPO_ROOT/target}/e2e-screenshots"
prepare_window_driving

echo "==> end-to-end tests (screenshots and logs: $BIDWELL_E2E_SCREENSHOTS)"
# One test at a time: each runs a whole WebKit app, and the machine has 2 cores.
# The outer timeout is a last resort; every wait inside the tests is bounded too.
# A private D-Bus session too, so that the app does not autolaunch one per test.
timeout --kill-after=30 600 \
    xvfb-run -a -s "-screen 0 1280x800x24" \
    dbus-run-session -- \
    cargo test --locked --no-fail-fast -p bidwell-e2e -- --test-threads=1
