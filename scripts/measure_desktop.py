#!/usr/bin/env python3
"""Launch time and idle memory of the Bidwell window against a minimal Tauri
window built in the same run (scripts/measure-desktop.sh builds both and runs
this under Xvfb with a private D-Bus session).

Launch time: from exec to the app printing "launch-probe: page loaded" (the
webview finished loading the page: HTML, CSS and the UI's script have run and
the first screen is mounted). Idle memory: PSS of the app plus every process
it started (WebKitWebProcess, WebKitNetworkProcess), summed from
/proc/PID/smaps_rollup, after the window has settled. For Bidwell the
workspace is unlocked first (xdotool types the passphrase), so its memory
includes the first page of the 100 000-client list.
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

PROBE = "launch-probe: page loaded"


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except OSError:
            continue
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def pss_kib(root: int) -> tuple[int, list[str]]:
    # Each process is named with its own share, so a change shows where it landed.
    total, names = 0, []
    for pid in descendants(root):
        try:
            own = 0
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        own += int(line.split()[1])
            with open(f"/proc/{pid}/comm") as f:
                names.append(f"{f.read().strip()} {own / 1024:.0f} MiB")
            total += own
        except OSError:
            continue
    return total, names


def launch(binary: str, env: dict[str, str], timeout: float) -> tuple[subprocess.Popen, float]:
    start = time.monotonic()
    proc = subprocess.Popen(
        [binary], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True
    )
    assert proc.stdout is not None
    deadline = start + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if PROBE in line:
            return proc, time.monotonic() - start
    stop(proc)
    sys.exit(f"{binary} did not report a loaded page within {timeout} s")


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def profile_env(data_dir: str | None) -> tuple[dict[str, str], tempfile.TemporaryDirectory]:
    profile = tempfile.TemporaryDirectory(prefix="bidwell-measure-")
    env = dict(os.environ, BIDWELL_LAUNCH_PROBE="1")
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        env[name] = os.path.join(profile.name, name.lower())
    if data_dir:
        env["BIDWELL_DATA_DIR"] = data_dir
    return env, profile


def unlock(passphrase: str) -> None:
    window = subprocess.run(
        ["xdotool", "search", "--sync", "--name", "^Bidwell$"], capture_output=True, text=True, timeout=30
    ).stdout.split()
    if not window:
        sys.exit("no Bidwell window to type the passphrase into")
    subprocess.run(["xdotool", "windowfocus", "--sync", window[0]], check=True, timeout=30)
    subprocess.run(["xdotool", "type", "--delay", "5", passphrase], check=True, timeout=30)
    subprocess.run(["xdotool", "key", "Return"], check=True, timeout=30)


EVERY_SCREEN = "1 3 4 5 6 7 2"


def webkit_switches(root: int) -> dict[str, str]:
    """The WEBKIT_* variables the app's web process started with: how the app
    chose to paint on this machine (src-tauri/webview.rs sets them in-process,
    so the app's own /proc environ does not show them; its children's does)."""
    for pid in descendants(root):
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() != "WebKitWebProces":
                    continue
            with open(f"/proc/{pid}/environ", "rb") as f:
                entries = [e.decode(errors="replace") for e in f.read().split(b"\0") if b"=" in e]
            return dict(e.split("=", 1) for e in entries if e.startswith("WEBKIT_"))
        except OSError:
            continue
    return {}


def visit_screens(keys: str, seconds_each: float) -> None:
    """Goes through the screens by their shortcuts (Alt+N), by default every one, ending on Clients."""
    for key in keys.split():
        subprocess.run(["xdotool", "key", f"alt+{key}"], check=True, timeout=30)
        time.sleep(seconds_each)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--app", required=True)
    parser.add_argument("--baseline", required=True)
    parser.add_argument("--data-dir", required=True, help="a workspace to open (seeded by the caller)")
    parser.add_argument("--passphrase", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--settle", type=float, default=5.0, help="seconds to wait before reading memory")
    parser.add_argument(
        "--screens",
        default=EVERY_SCREEN,
        help="the Alt+N shortcuts pressed after unlocking, in order (e.g. '1 2': the Dashboard, then Clients)",
    )
    args = parser.parse_args()

    launches: dict[str, list[float]] = {"baseline": [], "bidwell": []}
    for _ in range(args.runs):
        # Alternate, so that a slow spell on a shared machine hits both.
        for name, binary, data in (("baseline", args.baseline, None), ("bidwell", args.app, args.data_dir)):
            env, profile = profile_env(data)
            proc, seconds = launch(binary, env, timeout=60)
            launches[name].append(seconds)
            stop(proc)
            profile.cleanup()

    env, profile = profile_env(None)
    proc, _ = launch(args.baseline, env, timeout=60)
    time.sleep(args.settle)
    baseline_pss, baseline_procs = pss_kib(proc.pid)
    stop(proc)
    profile.cleanup()

    env, profile = profile_env(args.data_dir)
    proc, _ = launch(args.app, env, timeout=60)
    time.sleep(args.settle)
    locked_pss, locked_procs = pss_kib(proc.pid)
    switches = webkit_switches(proc.pid)
    unlock(args.passphrase)
    time.sleep(args.settle)
    unlocked_pss, app_procs = pss_kib(proc.pid)
    # What a user who has looked around leaves behind: every screen's data
    # read once (dashboard aggregates, jobs, the bids board, tasks, settings).
    visit_screens(args.screens, seconds_each=2.0)
    time.sleep(args.settle)
    used_pss, used_procs = pss_kib(proc.pid)
    # After a quiet minute the app gives back its database caches (Session::
    # release_memory_if_quiet, checked every 30 s by the idle timer).
    time.sleep(60 + 30 + args.settle)
    quiet_pss, quiet_procs = pss_kib(proc.pid)
    stop(proc)
    profile.cleanup()

    # Like for like: the bare window again, drawn the way Bidwell chose to draw
    # on this machine (on one without a GPU: CPU painting, no compositor), so
    # that what Bidwell's own page costs is told from what WebKit's mode costs.
    env, profile = profile_env(None)
    env.update(switches)
    proc, _ = launch(args.baseline, env, timeout=60)
    time.sleep(args.settle)
    alike_pss, alike_procs = pss_kib(proc.pid)
    stop(proc)
    profile.cleanup()

    base_t = statistics.median(launches["baseline"])
    app_t = statistics.median(launches["bidwell"])
    mib = lambda kib: kib / 1024  # noqa: E731
    print(f"runs per app: {args.runs} (median; all: baseline {launches['baseline']}, bidwell {launches['bidwell']})")
    print(f"launch to loaded page: baseline {base_t:.3f} s, bidwell {app_t:.3f} s, ratio {app_t / base_t:.2f}")
    print(f"idle PSS: baseline {mib(baseline_pss):.0f} MiB ({', '.join(baseline_procs)})")
    print(
        f"idle PSS: bidwell locked {mib(locked_pss):.0f} MiB ({', '.join(locked_procs)}), "
        f"ratio {locked_pss / baseline_pss:.2f}"
    )
    print(
        f"idle PSS: bidwell unlocked, 100k-record workspace {mib(unlocked_pss):.0f} MiB "
        f"({', '.join(app_procs)}), ratio {unlocked_pss / baseline_pss:.2f}"
    )
    print(
        f"idle PSS: bidwell after Alt+{args.screens.replace(' ', ', Alt+')} {mib(used_pss):.0f} MiB "
        f"({', '.join(used_procs)}), ratio {used_pss / baseline_pss:.2f}"
    )
    print(
        f"idle PSS: bidwell after that and a quiet minute {mib(quiet_pss):.0f} MiB "
        f"({', '.join(quiet_procs)}), ratio {quiet_pss / baseline_pss:.2f}"
    )
    drawn = ", ".join(f"{k}={v}" for k, v in sorted(switches.items())) or "WebKit's defaults"
    print(
        f"like for like: baseline drawn as bidwell draws here ({drawn}) {mib(alike_pss):.0f} MiB "
        f"({', '.join(alike_procs)}); bidwell unlocked {unlocked_pss / alike_pss:.2f}, "
        f"after the screens and a quiet minute {quiet_pss / alike_pss:.2f}"
    )


if __name__ == "__main__":
    main()
