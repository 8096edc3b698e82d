#!/usr/bin/env bash
# Checks that the reference server (bidwell-market-sim, its default Bidwell
# kind) and the API spec (docs/marketplace-openapi.yaml) agree, with
# Schemathesis: property-based requests drawn from the spec, every answer
# checked against it. Installs the pinned Schemathesis into a virtualenv under
# target/ first; safe to run again. Fails on any failure or error.
#
# Usage: scripts/schemathesis.sh [extra `schemathesis run` options]
source "$(dirname "$0")/lib.sh"
if ! command -v cargo >/dev/null; then
    echo "Rust is missing: install it with rustup (https://rustup.rs), then run this again." >&2
    exit 1
fi
ensure_apt_packages "${BUILD_PACKAGES[@]}" "${SCHEMATHESIS_PACKAGES[@]}"

# Pinned: the checks and their flags differ between versions (3.x and 4.x),
# and so are its dependencies (Hypothesis decides which cases are drawn):
# scripts/schemathesis-requirements.txt is `pip freeze` of a good install.
SCHEMATHESIS_VERSION=4.32.5
requirements="$REPO_ROOT/scripts/schemathesis-requirements.txt"
# Fixed, so a failure can be reproduced; bounded, so a run takes well under two minutes on two cores.
SEED=20261204
MAX_EXAMPLES=200

venv="$REPO_ROOT/target/schemathesis-venv"
st="$venv/bin/schemathesis"
stamp="$venv/.requirements"
if [ "$("$st" --version 2>/dev/null)" != "schemathesis, version $SCHEMATHESIS_VERSION" ] \
    || ! cmp -s "$requirements" "$stamp"; then
    echo "==> installing schemathesis $SCHEMATHESIS_VERSION into $venv"
    python3 -m venv --clear "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$stamp"
fi

cd "$REPO_ROOT"
echo "==> building bidwell-market-sim"
cargo build --locked --quiet -p bidwell-market-sim --bin bidwell-market-sim
sim="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug/bidwell-market-sim"

work="$(mktemp -d)"
sim_pid=""
stop() {
    if [ -n "$sim_pid" ]; then
        kill "$sim_pid" 2>/dev/null || true
        wait "$sim_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap stop EXIT

# A throwaway token; port 0 lets the server pick a free one and print its URL first.
token="schemathesis-$RANDOM$RANDOM"
BIDWELL_SIM_TOKEN="$token" "$sim" serve --port 0 --seed 1 --jobs 50 >"$work/sim.out" 2>"$work/sim.err" &
sim_pid=$!
base_url=""
for _ in $(seq 100); do
    base_url="$(head -n 1 "$work/sim.out" 2>/dev/null || true)"
    [ -n "$base_url" ] && break
    if ! kill -0 "$sim_pid" 2>/dev/null; then
        echo "bidwell-market-sim did not start:" >&2
        cat "$work/sim.err" >&2
        exit 1
    fi
    sleep 0.1
done
if [ -z "$base_url" ]; then
    echo "bidwell-market-sim printed no URL within 10 seconds" >&2
    exit 1
fi
echo "==> schemathesis $SCHEMATHESIS_VERSION against $base_url (seed $SEED, at most $MAX_EXAMPLES examples per operation)"

# Every check this version has (`--checks all`): server errors, status codes,
# content types, response schemas and headers, negative data rejected and
# positive data accepted, missing required headers, unsupported methods, Allow
# headers, use after free, resource availability, ignored auth and object-level
# authorization. scripts/schemathesis.toml lists the answers the spec documents
# beyond Schemathesis's defaults.
#
# One worker: Python 3.11's ast module (Debian 12's Python) is not safe to use
# from two threads at once (SystemError "AST constructor recursion depth
# mismatch"), and Hypothesis parses sources with it while generating.
"$st" --config-file scripts/schemathesis.toml run docs/marketplace-openapi.yaml \
    --url "$base_url" \
    --header "Authorization: Bearer $token" \
    --checks all \
    --seed "$SEED" \
    --max-examples "$MAX_EXAMPLES" \
    --workers 1 \
    --generation-database none \
    --no-color \
    --report junit --report-dir "$REPO_ROOT/target/schemathesis-report" \
    "$@"
