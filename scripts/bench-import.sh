#!/usr/bin/env bash
# Import and search of 100 000 clients from a CSV: the release CLI against
# plain SQLite (Python's sqlite3) doing the same job with the same search
# index, rounds alternating, in one run (scripts/bench_import.py says how).
# docs/performance.md records the figures.
#   CLIENTS=N (default 100000), ROUNDS=N (default 3).
source "$(dirname "$0")/lib.sh"
ensure_toolchains
ensure_apt_packages "${BUILD_PACKAGES[@]}"
cd "$REPO_ROOT"
cargo build --release --locked -p bidwell-cli --bin bidwell
exec python3 scripts/bench_import.py --bidwell "${CARGO_TARGET_DIR:-$REPO_ROOT/target}/release/bidwell" \
    --clients "${CLIENTS:-100000}" --rounds "${ROUNDS:-3}"
