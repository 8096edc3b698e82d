#!/usr/bin/env bash
# Runs every check and test Bidwell has: formatting, lints, the UI type
# check, and all Rust tests, the keychain ones against a real Secret Service
# (gnome-keyring on a private D-Bus session, with a throwaway keyring), the
# real-window tests, and the Linux packages (built, installed, removed).
# Installs what is missing first; safe to run again.
source "$(dirname "$0")/lib.sh"
ensure_toolchains
ensure_apt_packages "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
ensure_ui_packages
cd "$REPO_ROOT"

echo "==> formatting"
cargo fmt --all --check
echo "==> UI type check and build"
npm --prefix ui run build
echo "==> lints"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings

echo "==> tests (with a real keychain)"
keyring_home="$(mktemp -d)"
trap 'rm -rf "$keyring_home"' EXIT
XDG_DATA_HOME="$keyring_home" BIDWELL_REQUIRE_KEYCHAIN=1 dbus-run-session -- bash -c '
    set -euo pipefail
    echo -n "bidwell-test-keyring" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    cargo test --workspace --locked
'

echo "==> end-to-end tests (the real window, under Xvfb)"
"$REPO_ROOT/scripts/e2e.sh"

echo "==> packages: build the .deb and .rpm, install the .deb and remove it again"
"$REPO_ROOT/scripts/package.sh" --debug --install-check
