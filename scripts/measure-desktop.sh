#!/usr/bin/env bash
# Measures the desktop app against a minimal Tauri window built in the same
# run (bench/launch-baseline): launch-to-loaded-page time and idle memory (PSS
# of the app and its WebKit processes), Bidwell with a 100 000-record
# workspace. Release builds, under Xvfb with a private D-Bus session.
# Prints the figures and their ratios, and the bare window once more drawn
# the way Bidwell chose to draw on this machine (like for like);
# docs/performance.md records them.
#   RUNS=N (default 5) launches per app.
#   SCREENS="1 2" the shortcuts pressed before the after-use readings (default:
#   every screen, Alt+1 3 4 5 6 7 2); one screen and back to Clients shows
#   what that screen leaves behind.
source "$(dirname "$0")/lib.sh"
ensure_toolchains
ensure_apt_packages "${BUILD_PACKAGES[@]}" "${E2E_PACKAGES[@]}" xdotool
ensure_ui_packages
cd "$REPO_ROOT"

echo "==> release builds: Bidwell (UI embedded), the baseline window, the CLI"
npm --prefix ui run build
cargo build --release --locked --bin bidwell-app --features tauri/custom-protocol
cargo build --release --locked -p bidwell-launch-baseline --features tauri/custom-protocol
cargo build --release --locked -p bidwell-cli --bin bidwell
release="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/release"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export BIDWELL_PASSPHRASE="measure-desktop passphrase"
echo "==> seeding a 100 000-record workspace"
"$release/bidwell" --data-dir "$work/data" init --name Measure >/dev/null
"$release/bidwell" --data-dir "$work/data" dev seed --records 100000 --seed 7 >/dev/null

echo "==> measuring (launches alternate between the two apps)"
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
    python3 "$REPO_ROOT/scripts/measure_desktop.py" \
    --app "$release/bidwell-app" --baseline "$release/bidwell-launch-baseline" \
    --data-dir "$work/data" --passphrase "$BIDWELL_PASSPHRASE" --runs "${RUNS:-5}" \
    ${SCREENS:+--screens "$SCREENS"}
