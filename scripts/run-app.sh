#!/usr/bin/env bash
# Builds Bidwell (UI and Rust, release) and launches the desktop app.
# Installs what is missing first; safe to run again.
#   --smoke   CI's check of this command: the same build, then the app is
#             started under Xvfb on a throwaway data directory, must load its
#             page and map its window, and is then asked to quit.
# Any other arguments are passed to the app.
source "$(dirname "$0")/lib.sh"
smoke=false
if [ "${1:-}" = "--smoke" ]; then
    smoke=true
    shift
fi
ensure_toolchains
if $smoke; then
    ensure_apt_packages "${BUILD_PACKAGES[@]}" "${E2E_PACKAGES[@]}"
else
    ensure_apt_packages "${BUILD_PACKAGES[@]}"
fi
ensure_ui_packages
cd "$REPO_ROOT"
build_release_app
release="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/release"
if $smoke; then
    exec "$REPO_ROOT/scripts/smoke-app.sh" "$release/bidwell-app"
fi
echo "==> the CLI is at $release/bidwell; starting the app"
exec "$release/bidwell-app" "$@"
