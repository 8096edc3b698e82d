#!/usr/bin/env bash
# Builds Bidwell's Linux packages (.deb and .rpm) with the Tauri CLI (pinned in
# ui/package.json) and prints where they are. AppImage is configured but not
# built here: its tooling downloads from the internet at build time.
#   --debug          a debug build (fast when the e2e build is warm; CI uses it)
#   --install-check  install the .deb with apt, check what it put where, remove it
# Safe to run again.
source "$(dirname "$0")/lib.sh"
ensure_toolchains
ensure_apt_packages "${BUILD_PACKAGES[@]}"
ensure_ui_packages
cd "$REPO_ROOT"

profile=release
build_flags=()
install_check=false
for arg in "$@"; do
    case "$arg" in
        --debug) profile=debug; build_flags+=(--debug) ;;
        --install-check) install_check=true ;;
        *) echo "unknown option: $arg" >&2; exit 2 ;;
    esac
done

echo "==> building the .deb and .rpm ($profile)"
ui/node_modules/.bin/tauri build "${build_flags[@]}" --bundles deb,rpm --ci

bundle_dir="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/$profile/bundle"
deb="$(ls "$bundle_dir"/deb/Bidwell_*.deb)"
rpm="$(ls "$bundle_dir"/rpm/Bidwell-*.rpm)"
echo "packages:"
echo "  $deb"
echo "  $rpm"

if $install_check; then
    echo "==> installing the .deb, checking it, removing it"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb"
    installed="$(dpkg -L bidwell)"
    for want in /usr/bin/bidwell-app /usr/share/applications/Bidwell.desktop; do
        grep -qx "$want" <<<"$installed" || { echo "the package did not install $want" >&2; exit 1; }
    done
    grep -q '^Exec=bidwell-app' /usr/share/applications/Bidwell.desktop || {
        echo "the desktop entry does not start bidwell-app" >&2
        exit 1
    }
    as_root env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq bidwell
    # The .rpm is built by the same bundler; an rpm-based system is needed to install it.
    [ "$(stat -c %s "$rpm")" -gt 1000000 ] || { echo "the .rpm is suspiciously small" >&2; exit 1; }
fi
