#!/usr/bin/env bash
# Starts a built Bidwell app the way a user's launch does, under Xvfb with a
# private D-Bus session and a throwaway data directory, and checks that it
# comes up: its page finishes loading (the app's launch probe) and its
# "Bidwell" window is mapped. Then it asks the app to quit (SIGTERM, as a
# logout does) and waits for it to end; it must end through its own exit
# (which locks), with status 0, not by the signal. Every wait is bounded. Used by `run-app.sh --smoke`.
#   smoke-app.sh PATH-TO-bidwell-app
set -euo pipefail
app="$1"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/smoke"
rm -rf "$out"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "==> smoke run: starting $app under Xvfb (log: $out/app.log)"
APP="$app" OUT="$out" WORK="$work" timeout --kill-after=10 180 \
    xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash -c '
    set -euo pipefail
    BIDWELL_DATA_DIR="$WORK/data" BIDWELL_LAUNCH_PROBE=1 XDG_DATA_HOME="$WORK/xdg" \
        "$APP" >"$OUT/app.log" 2>&1 &
    pid=$!
    # The window of this process whose title is "Bidwell", if mapped.
    bidwell_window() {
        local id
        for id in $(xwininfo -root -children 2>/dev/null | awk "/^ +0x/ {print \$1}"); do
            xprop -id "$id" _NET_WM_PID 2>/dev/null | grep -q "= $pid\$" || continue
            xprop -id "$id" _NET_WM_NAME 2>/dev/null | grep -q "\"Bidwell\"" || continue
            xwininfo -id "$id" | grep -q "Map State: IsViewable" && { echo "$id"; return 0; }
        done
        return 1
    }
    loaded=false
    window=""
    for _ in $(seq 240); do
        kill -0 "$pid" 2>/dev/null || { echo "the app exited before it came up; its log:" >&2; cat "$OUT/app.log" >&2; exit 1; }
        grep -q "launch-probe: page loaded" "$OUT/app.log" && loaded=true
        window="$(bidwell_window || true)"
        if $loaded && [ -n "$window" ]; then break; fi
        sleep 0.5
    done
    if ! $loaded || [ -z "$window" ]; then
        echo "the app did not come up in 120 s (page loaded: $loaded, window: ${window:-none}); its log:" >&2
        cat "$OUT/app.log" >&2
        kill -TERM "$pid" 2>/dev/null || true
        exit 1
    fi
    echo "    page loaded, window $window mapped"
    if command -v import >/dev/null && import -version 2>/dev/null | grep -q ImageMagick; then
        sleep 1
        import -window root "$OUT/window.png" && echo "    screenshot: $OUT/window.png"
    fi
    kill -TERM "$pid"
    for _ in $(seq 60); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "the app did not quit within 30 s of SIGTERM" >&2
        kill -KILL "$pid"
        exit 1
    fi
    status=0
    wait "$pid" || status=$?
    if [ "$status" -ne 0 ]; then
        echo "the app ended with status $status on SIGTERM, not through its exit (which locks); its log:" >&2
        cat "$OUT/app.log" >&2
        exit 1
    fi
'
echo "==> smoke run passed: the app came up and quit"
