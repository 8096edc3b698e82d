# Shared by the set-up commands: install what is missing, idempotently.
# Sourced, not run.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs the Debian/Ubuntu packages that are not installed yet. On macOS
# and Windows the system parts come with the platform (WebKit, WebView2, the
# keychain) or with its build tools, which the README lists.
ensure_apt_packages() {
    [ "$(uname -s)" = Linux ] || return 0
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "==> installing ${missing[*]}"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    fi
}

# Rust and Node come from their own installers; say how if they are missing.
ensure_toolchains() {
    if ! command -v cargo >/dev/null; then
        echo "Rust is missing: install it with rustup (https://rustup.rs), then run this again." >&2
        exit 1
    fi
    if ! command -v node >/dev/null || ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
        echo "Node.js 20.19 or newer is needed (found: $(node --version 2>/dev/null || echo none))." >&2
        echo "Install it from your distribution's nodejs backports or nodejs.org, then run this again." >&2
        exit 1
    fi
}

# What building the app and the core needs: a C toolchain for SQLCipher and
# its vendored OpenSSL, D-Bus headers for the keychain, WebKitGTK for the window.
BUILD_PACKAGES=(build-essential pkg-config perl libdbus-1-dev libwebkit2gtk-4.1-dev)
# What the tests need besides: a real Secret Service keychain on a private bus,
# 7-Zip and age to open password-protected exports as users will.
TEST_PACKAGES=(dbus gnome-keyring p7zip-full age)
# What scripts/schemathesis.sh needs besides: Python with venv, which Debian
# packages apart (without it `python3 -m venv` fails: no ensurepip).
SCHEMATHESIS_PACKAGES=(python3 python3-venv)
# What the real-window tests need besides (scripts/e2e.sh): a virtual display,
# WebKit's WebDriver, a font, xprop/xwininfo to read the window's title, a D-Bus session.
E2E_PACKAGES=(xvfb xauth webkit2gtk-driver fonts-dejavu-core x11-utils dbus)

# The release build a user's launch makes (README's first command): the UI,
# then the app with the UI embedded (custom-protocol serves it from the binary
# instead of a dev server) and the CLI. The CLI is its own package
# (bidwell-cli), so it is built by package, not by binary name. CI's smoke
# run, the real-window tests and the packages all use this one build.
build_release_app() {
    (cd "$REPO_ROOT" &&
        npm --prefix ui run build &&
        cargo build --release --locked --bin bidwell-app --features tauri/custom-protocol &&
        cargo build --release --locked -p bidwell-cli --bin bidwell)
}

# The WebDriver server the real-window tests and the window benchmark drive
# the app through; puts cargo's bin directory on PATH for the caller.
ensure_tauri_driver() {
    local version=2.1.0
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
    if ! command -v tauri-driver >/dev/null; then
        echo "==> installing tauri-driver $version"
        cargo install tauri-driver --version "$version" --locked
    fi
}

# What the real-window tests and the window benchmark share once the release
# build is there: where the binaries, tauri-driver and the screenshots and
# driver logs are, and a trap that stops the process group (tauri-driver,
# WebKitWebDriver, the app) of any test that died before stopping its driver.
prepare_window_driving() {
    local target_dir="${CARGO_TARGET_DIR:-$REPO_ROOT/target}"
    export BIDWELL_E2E_BIN_DIR="$target_dir/release"
    export BIDWELL_E2E_SCREENSHOTS="$target_dir/e2e-screenshots"
    BIDWELL_E2E_TAURI_DRIVER="$(command -v tauri-driver)"
    export BIDWELL_E2E_TAURI_DRIVER
    mkdir -p "$BIDWELL_E2E_SCREENSHOTS"
    trap stop_leftover_drivers EXIT
}

stop_leftover_drivers() {
    local f
    for f in "$BIDWELL_E2E_SCREENSHOTS"/logs/*.pgid; do
        [ -f "$f" ] && kill -TERM -- "-$(cat "$f")" 2>/dev/null || true
    done
}

ensure_ui_packages() {
    # npm ci is exact but slow; skip it when node_modules came from this lock file.
    local stamp="$REPO_ROOT/ui/node_modules/.bidwell-lock.sha256"
    local want
    # sha256sum is GNU coreutils; macOS has shasum instead.
    if command -v sha256sum >/dev/null; then
        want="$(sha256sum "$REPO_ROOT/ui/package-lock.json" | cut -d' ' -f1)"
    else
        want="$(shasum -a 256 "$REPO_ROOT/ui/package-lock.json" | cut -d' ' -f1)"
    fi
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        echo "==> installing the UI's npm packages"
        (cd "$REPO_ROOT/ui" && npm ci --no-fund --no-audit)
        echo "$want" > "$stamp"
    fi
}
