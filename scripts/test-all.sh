#!/usr/bin/env bash
# Runs every check and test Bidwell has: formatting, lints, the UI type
# check and unit tests (vitest), and all Rust tests, the keychain ones
# against a real keychain, the marketplace spec against the reference server
# (Schemathesis), the real-window tests, and the packages. Installs what is
# missing first; safe to run again.
#
# On Debian/Ubuntu (the README's command): the keychain is a real Secret
# Service (gnome-keyring on a private D-Bus session, with a throwaway
# keyring), the real-window tests run under Xvfb, and the .deb/.rpm are
# built, installed and removed. On macOS and Windows (the hosted CI workflow,
# .github/workflows/desktop.yml, run from Git Bash there) the same checks and
# tests run against the platform's own keychain; the real-window tests are
# Linux-only (WebKitWebDriver; tauri-driver has no macOS driver), so is the
# Schemathesis run (it checks the spec and the server, which are the same
# on every platform), and the package is the .dmg or the .msi.
source "$(dirname "$0")/lib.sh"
ensure_toolchains
platform="$(uname -s)"
case "$platform" in
    Linux) ensure_apt_packages "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${SCHEMATHESIS_PACKAGES[@]}" ;;
esac
ensure_ui_packages
cd "$REPO_ROOT"

# Each step's heading also says how much disk is left: a clean build is big,
# and a run that fills the disk should say where it did.
step() {
    echo "==> $1"
    if [ -d target ]; then
        echo "    (target/ $(du -sh target 2>/dev/null | cut -f1), $(df -h . | awk 'NR==2 {print $4}') free)"
    fi
}

step "formatting"
cargo fmt --all --check
step "UI type check and build"
npm --prefix ui run build
step "UI unit tests (forms, stores, the palette)"
npm --prefix ui test
step "lints"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings

case "$platform" in
Linux)
    step "tests (with a real keychain)"
    keyring_home="$(mktemp -d)"
    trap 'rm -rf "$keyring_home"' EXIT
    XDG_DATA_HOME="$keyring_home" BIDWELL_REQUIRE_KEYCHAIN=1 dbus-run-session -- bash -c '
        set -euo pipefail
        echo -n "bidwell-test-keyring" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
        cargo test --workspace --locked
    '

    step "the marketplace spec against the reference server (Schemathesis)"
    "$REPO_ROOT/scripts/schemathesis.sh"

    step "end-to-end tests (the real window, under Xvfb)"
    "$REPO_ROOT/scripts/e2e.sh"

    step "packages: build the .deb and .rpm, install the .deb and remove it again"
    # Release, so that the bundler reuses the build the real-window tests ran.
    "$REPO_ROOT/scripts/package.sh" --install-check
    ;;
Darwin | MINGW* | MSYS* | CYGWIN*)
    step "tests (with the platform's keychain)"
    BIDWELL_REQUIRE_KEYCHAIN=1 cargo test --workspace --locked
    if [ "$platform" = Darwin ]; then bundle=dmg; else bundle=msi; fi
    step "package: the .$bundle"
    ui/node_modules/.bin/tauri build --bundles "$bundle" --ci
    ;;
*)
    echo "test-all.sh: no test plan for $platform" >&2
    exit 1
    ;;
esac
