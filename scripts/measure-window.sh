#!/usr/bin/env bash
# The window at a million (docs/performance.md): drives the real window
# (release build, UI embedded) over WebDriver on a 1 000 000-record workspace
# and, in the same run and first, on a 1 000-record one as the baseline, and
# prints p50 / p95 of the palette's key-to-results time, Alt+1…7 to each
# screen drawn, opening a client with many records, and frame times while the
# client list scrolls (e2e/tests/window_bench.rs). Both workspaces also get
# one client owning the children of a 2 000-record mix (`dev seed --one-client`).
#   SIZES="1000 1000000" (default) workspaces measured, the first as baseline.
#   ROUNDS=N (default 5) rounds of every measurement per workspace; 0 measures
#     the first visits only (with COLD, a quick reading of the screens' first drawing).
#   COLD=N (default 3) launches per workspace whose first visit of each screen is measured.
# Seeded workspaces are kept under target/bench-data/window-v<generator>-seed7-<size>/
# and reused; delete them to seed afresh. Figures also go to target/window-bench.json.
source "$(dirname "$0")/lib.sh"
ensure_toolchains
ensure_apt_packages "${BUILD_PACKAGES[@]}" "${E2E_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
ensure_ui_packages
cd "$REPO_ROOT"

ensure_tauri_driver

echo "==> release builds: the app (UI embedded) and the CLI"
build_release_app
cargo test --locked -p bidwell-e2e --test window_bench --no-run

target_dir="${CARGO_TARGET_DIR:-$REPO_ROOT/target}"
release="$target_dir/release"
export BIDWELL_PASSPHRASE="measure-window passphrase"
generator="$(sed -n 's/^pub const GENERATOR_VERSION: u32 = \([0-9]*\);/\1/p' crates/core/src/seed.rs)"
workspaces=()
for size in ${SIZES:-1000 1000000}; do
    dir="$target_dir/bench-data/window-v$generator-seed7-$size"
    if [ ! -f "$dir/.seeded" ]; then
        echo "==> seeding $size records and the key account into $dir"
        rm -rf "$dir"
        "$release/bidwell" --data-dir "$dir" init --name "Window $size" >/dev/null
        "$release/bidwell" --data-dir "$dir" dev seed --records "$size" --seed 7 >/dev/null
        "$release/bidwell" --data-dir "$dir" dev seed --records 2000 --seed 8 --one-client "AAA Key Account" >/dev/null
        touch "$dir/.seeded"
    fi
    # A backup younger than a day, so that the app's daily one does not run during the measurement.
    "$release/bidwell" --data-dir "$dir" backup if-due >/dev/null
    workspaces+=("$size=$dir")
done

export BIDWELL_E2E_BENCH=1
BIDWELL_E2E_BENCH_DATA="$(IFS=,; echo "${workspaces[*]}")"
export BIDWELL_E2E_BENCH_DATA
export BIDWELL_E2E_BENCH_ROUNDS="${ROUNDS:-5}"
export BIDWELL_E2E_BENCH_COLD="${COLD:-3}"
export BIDWELL_E2E_BENCH_OUT="$target_dir/window-bench.json"
prepare_window_driving

echo "==> measuring on $BIDWELL_E2E_BENCH_DATA (commit $(git rev-parse --short HEAD)$(git diff --quiet || echo ', uncommitted changes'))"
uptime
timeout --kill-after=30 3600 \
    xvfb-run -a -s "-screen 0 1280x800x24" \
    dbus-run-session -- \
    cargo test --locked -p bidwell-e2e --test window_bench -- --nocapture --test-threads=1
echo "==> figures as JSON: $BIDWELL_E2E_BENCH_OUT"
