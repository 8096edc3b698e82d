//! The end-to-end harness: launches the real Bidwell window and drives it over
//! WebDriver. It owns everything a test needs outside the app: one
//! tauri-driver per test (so each test's app gets its own environment, and
//! with it its own `BIDWELL_DATA_DIR`), the WebDriver session, the CLI used to
//! prepare a data directory, and where screenshots and driver logs go.
//!
//! The tests run only when `BIDWELL_E2E=1` (set by `scripts/e2e.sh`, which
//! builds the app, installs tauri-driver and starts Xvfb). Without it each test
//! says why it is skipped and passes; with it anything missing is a failure.
//!
//! Every wait is bounded. Stopping never uses SIGKILL: the driver runs in its
//! own process group (tauri-driver, WebKitWebDriver and the app), which gets
//! SIGTERM after the session is deleted.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

#[cfg(target_os = "linux")]
pub mod notifications;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

/// The variable that turns the tests on.
pub const ENABLE_VAR: &str = "BIDWELL_E2E";

/// How long tauri-driver may take to answer `/status`.
const DRIVER_READY: Duration = Duration::from_secs(20);
/// How long launching the app (creating the session) may take.
const SESSION_START: Duration = Duration::from_secs(60);
/// How long a page state (an element, a text) may take to appear.
const UI_WAIT: Duration = Duration::from_secs(20);
/// How long one WebDriver command may take.
const COMMAND: Duration = Duration::from_secs(30);
/// How long the driver's process group may take to exit after SIGTERM.
const STOP: Duration = Duration::from_secs(15);

/// Whether the end-to-end tests should run. When they should not, prints why
/// (the test then returns and counts as passed).
pub fn enabled(test: &str) -> bool {
    match std::env::var(ENABLE_VAR) {
        Ok(v) if v == "1" => true,
        _ => {
            eprintln!("skipping {test}: {ENABLE_VAR}=1 is not set (run scripts/e2e.sh to run the real-window tests)");
            false
        }
    }
}

/// The repository root (this crate lives in `e2e/`).
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("e2e/ has a parent").to_path_buf()
}

/// Cargo's target directory, as `scripts/e2e.sh` builds into it.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => repo_root().join(dir),
        None => repo_root().join("target"),
    }
}

/// Where the app and CLI binaries are: `BIDWELL_E2E_BIN_DIR`, else `target/release` (scripts/e2e.sh builds there).
pub fn bin_dir() -> PathBuf {
    match std::env::var_os("BIDWELL_E2E_BIN_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => target_dir().join("release"),
    }
}

/// Where screenshots go: `BIDWELL_E2E_SCREENSHOTS`, else `target/e2e-screenshots`.
pub fn screenshot_dir() -> PathBuf {
    match std::env::var_os("BIDWELL_E2E_SCREENSHOTS") {
        Some(dir) => PathBuf::from(dir),
        None => target_dir().join("e2e-screenshots"),
    }
}

/// Where each test's tauri-driver log goes (stdout and stderr of the driver,
/// WebKitWebDriver and the app).
pub fn log_dir() -> PathBuf {
    screenshot_dir().join("logs")
}

/// An absolute path to a built binary, or a loud failure naming what to run.
fn binary(name: &str) -> PathBuf {
    let path = bin_dir().join(name);
    let path = std::path::absolute(&path).unwrap_or(path);
    assert!(
        path.is_file(),
        "{ENABLE_VAR}=1 but {} does not exist: build it first (scripts/e2e.sh does)",
        path.display()
    );
    path
}

/// The built desktop app (`bidwell-app`, with the UI embedded).
pub fn app_binary() -> PathBuf {
    binary("bidwell-app")
}

/// Runs the built `bidwell` CLI on `data_dir` with extra environment, and
/// returns its stdout; fails the test when it exits non-zero.
pub fn cli(data_dir: &Path, env: &[(&str, &str)], args: &[&str]) -> String {
    let mut cmd = Command::new(binary("bidwell"));
    cmd.arg("--data-dir").arg(data_dir).args(args).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("the bidwell CLI could not start");
    assert!(
        out.status.success(),
        "bidwell {args:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A label for this test's files: the test thread's name (libtest names it
/// after the test), made safe for a file name.
fn test_label() -> String {
    let name = std::thread::current().name().unwrap_or("test").to_string();
    let name = name.rsplit("::").next().unwrap_or("test");
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

/// Two ports that were free a moment ago on 127.0.0.1.
fn free_ports() -> (u16, u16) {
    let a = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("no free port on 127.0.0.1");
    let b = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("no free port on 127.0.0.1");
    (a.local_addr().unwrap().port(), b.local_addr().unwrap().port())
}

/// One plain HTTP/1.1 request to 127.0.0.1, with timeouts; returns the status
/// code and body. Synchronous, so that it also works from `Drop`.
fn http(port: u16, method: &str, path: &str, timeout: Duration) -> std::io::Result<(u16, String)> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Ok((status, body))
}

/// The last lines of a log file, for failure messages.
fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// A running tauri-driver (and, below it, WebKitWebDriver and the app), in a
/// process group of its own.
struct Driver {
    child: Child,
    port: u16,
    native_port: u16,
    log: PathBuf,
    stopped: bool,
}

impl Driver {
    /// Starts tauri-driver with `env` added to its environment, which
    /// WebKitWebDriver and the app inherit. Retries on other ports if the
    /// chosen ones were taken in the meantime.
    fn start(env: &[(&str, &Path)], log: PathBuf) -> Driver {
        let program = std::env::var_os("BIDWELL_E2E_TAURI_DRIVER").unwrap_or_else(|| "tauri-driver".into());
        let mut last_error = String::new();
        for _attempt in 0..3 {
            let (port, native_port) = free_ports();
            let out = std::fs::File::create(&log).expect("cannot create the driver log");
            let err = out.try_clone().expect("cannot share the driver log");
            let mut cmd = Command::new(&program);
            cmd.arg("--port")
                .arg(port.to_string())
                .arg("--native-port")
                .arg(native_port.to_string())
                .stdin(Stdio::null())
                // A file, not a pipe: nothing left behind can hold the test's output open.
                .stdout(out)
                .stderr(err)
                .process_group(0);
            for (k, v) in env {
                cmd.env(k, v);
            }
            let child = cmd.spawn().unwrap_or_else(|e| {
                panic!(
                    "{ENABLE_VAR}=1 but tauri-driver ({}) could not start: {e}. Install it with \
                     `cargo install tauri-driver --locked` (scripts/e2e.sh does)",
                    Path::new(&program).display()
                )
            });
            // For scripts/e2e.sh to SIGTERM, should this test process die before `stop`.
            let _ = std::fs::write(log.with_extension("pgid"), child.id().to_string());
            let mut driver = Driver { child, port, native_port, log: log.clone(), stopped: false };
            match driver.wait_ready() {
                Ok(()) => return driver,
                Err(e) => last_error = e,
            }
            driver.stop();
        }
        panic!("tauri-driver did not come up: {last_error}\n--- {} ---\n{}", log.display(), log_tail(&log));
    }

    /// Polls WebKitWebDriver's `/status` on its own port until it says ready,
    /// then waits for tauri-driver to accept connections; fails if the driver
    /// exits or the deadline passes. Nothing is sent through tauri-driver
    /// before the session: a connection its proxy kept from a probe can be
    /// closed by WebKitWebDriver and then reset the `POST /session`.
    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + DRIVER_READY;
        let mut native_ready = false;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("tauri-driver exited ({status})"));
            }
            if !native_ready {
                if let Ok((200, body)) = http(self.native_port, "GET", "/status", Duration::from_secs(2)) {
                    native_ready = body.contains("\"ready\":true") || body.contains("\"ready\": true");
                }
            }
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
            if native_ready && TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "not ready within {DRIVER_READY:?} (WebKitWebDriver on 127.0.0.1:{}: {}; tauri-driver on 127.0.0.1:{})",
                    self.native_port,
                    if native_ready { "ready" } else { "not ready" },
                    self.port
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Whether any process of the driver's group is still running.
    fn group_alive(&self) -> bool {
        !group_members(self.child.id()).is_empty()
    }

    /// SIGTERM to the whole group (tauri-driver, WebKitWebDriver, the app),
    /// then a bounded wait for it to be gone. Never SIGKILL.
    fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let _ = killpg(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM);
        let deadline = Instant::now() + STOP;
        let mut reaped = false;
        while Instant::now() < deadline {
            if !reaped {
                reaped = matches!(self.child.try_wait(), Ok(Some(_)));
            }
            // Gone from the session bus too: the next test's app would
            // otherwise find the single-instance name still held by this
            // one (the bus lets go of a dead process's names a moment after
            // it died), hand its launch to it, and get no answer.
            if reaped && !self.group_alive() && !single_instance_name_held() {
                let _ = std::fs::remove_file(self.log.with_extension("pgid"));
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!(
            "warning: {STOP:?} after SIGTERM, tauri-driver's process group {} still had {:?} and the app's bus \
             name was {} (log: {})",
            self.child.id(),
            group_members(self.child.id()),
            if single_instance_name_held() { "still held" } else { "free" },
            self.log.display()
        );
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The Bidwell window of one test, under WebDriver.
pub struct App {
    client: Option<Client>,
    session: Option<String>,
    driver: Driver,
    label: String,
    _profile: tempfile::TempDir,
}

impl App {
    /// Starts tauri-driver with `BIDWELL_DATA_DIR=data_dir` (and throwaway XDG
    /// directories, so the webview's own storage is per test too), then opens
    /// a session, which launches the app. Fails the test if anything is
    /// missing or slow.
    pub async fn launch(data_dir: &Path) -> App {
        App::launch_with(data_dir, false).await
    }

    /// As [`App::launch`], but with no D-Bus session for the app, so there is
    /// no OS keychain: under xvfb the secret service would wait for a password
    /// prompt nobody answers. The core then keeps secrets in the database.
    pub async fn launch_without_keychain(data_dir: &Path) -> App {
        App::launch_with(data_dir, true).await
    }

    async fn launch_with(data_dir: &Path, without_keychain: bool) -> App {
        assert!(
            std::env::var_os("DISPLAY").is_some(),
            "{ENABLE_VAR}=1 but DISPLAY is not set: run under xvfb-run (scripts/e2e.sh does)"
        );
        let application = app_binary();
        let label = test_label();
        std::fs::create_dir_all(log_dir()).expect("cannot create the e2e log directory");
        let profile = tempfile::tempdir().expect("cannot create a profile directory");
        let (data_home, config_home, cache_home) =
            (profile.path().join("data"), profile.path().join("config"), profile.path().join("cache"));
        let env = [
            ("BIDWELL_DATA_DIR", data_dir),
            ("XDG_DATA_HOME", data_home.as_path()),
            ("XDG_CONFIG_HOME", config_home.as_path()),
            ("XDG_CACHE_HOME", cache_home.as_path()),
        ];
        let no_bus = [("DBUS_SESSION_BUS_ADDRESS", Path::new("unix:path=/nonexistent/bidwell-e2e-bus"))];
        let env: Vec<(&str, &Path)> =
            env.iter().chain(if without_keychain { &no_bus[..] } else { &[] }).copied().collect();
        let driver = Driver::start(&env, log_dir().join(format!("{label}.log")));

        let mut caps = serde_json::Map::new();
        caps.insert("tauri:options".into(), serde_json::json!({ "application": application }));
        let url = format!("http://127.0.0.1:{}", driver.port);
        let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(caps);
        let connect = builder.connect(&url);
        let mut app = App { client: None, session: None, driver, label, _profile: profile };
        let client = match tokio::time::timeout(SESSION_START, connect).await {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => app.fail(&format!("no WebDriver session for {}: {e}", application.display())),
            Err(_) => app.fail(&format!("the app did not start within {SESSION_START:?}")),
        };
        app.session = client.session_id().await.ok().flatten();
        app.client = Some(client);
        app.wait_loaded().await;
        app
    }

    /// Everything the app's log plugin wrote for this launch (its files under
    /// the throwaway XDG data directory), or `None` when it wrote no file.
    pub fn app_log(&self) -> Option<String> {
        let dir = self._profile.path().join("data").join("app.bidwell.desktop").join("logs");
        let mut text = String::new();
        for entry in std::fs::read_dir(dir).ok()?.flatten() {
            text.push_str(&String::from_utf8_lossy(&std::fs::read(entry.path()).ok()?));
        }
        Some(text)
    }

    /// Waits until the app's page (not the initial blank one) has loaded:
    /// the session can start before the webview has navigated.
    async fn wait_loaded(&self) {
        let deadline = Instant::now() + UI_WAIT;
        loop {
            let state = self.client().execute("return [location.href, document.readyState];", vec![]);
            let state = tokio::time::timeout(COMMAND, state).await;
            if let Ok(Ok(serde_json::Value::Array(v))) = &state {
                let href = v.first().and_then(|h| h.as_str()).unwrap_or("");
                if href != "about:blank" && v.get(1).and_then(|r| r.as_str()) == Some("complete") {
                    return;
                }
            }
            if Instant::now() >= deadline {
                self.fail(&format!("the page did not load within {UI_WAIT:?} (last state: {state:?})"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Fails the test, with the end of the driver's log.
    fn fail(&self, what: &str) -> ! {
        panic!("{what}\n--- {} ---\n{}", self.driver.log.display(), log_tail(&self.driver.log))
    }

    /// The WebDriver client, for anything the helpers here do not cover.
    pub fn client(&self) -> &Client {
        self.client.as_ref().expect("the session is open")
    }

    /// How many elements `locator` finds now. A list redrawn while its
    /// elements are being collected makes WebDriver answer "stale element";
    /// that is asked again (a few times), not taken for a failure.
    pub async fn count(&self, locator: Locator<'_>) -> usize {
        let mut stale = 0;
        loop {
            match self.client().find_all(locator).await {
                Ok(found) => return found.len(),
                Err(e) if e.is_stale_element_reference() && stale < 20 => stale += 1,
                Err(e) => panic!("counting {locator:?}: {e}"),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Runs one WebDriver command with the command timeout.
    async fn bounded<T, E: std::fmt::Display>(
        &self,
        what: &str,
        fut: impl std::future::Future<Output = Result<T, E>>,
    ) -> T {
        match tokio::time::timeout(COMMAND, fut).await {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => self.fail(&format!("{what}: {e}")),
            Err(_) => self.fail(&format!("{what}: no answer within {COMMAND:?}")),
        }
    }

    /// The document's title.
    pub async fn title(&self) -> String {
        self.bounded("reading the title", self.client().title()).await
    }

    /// The title of the app's native (X11) window, as a window manager shows
    /// it: the window whose `_NET_WM_PID` is the app's process.
    pub async fn window_title(&self) -> String {
        let deadline = Instant::now() + UI_WAIT;
        loop {
            if let Some(title) = self.native_title() {
                return title;
            }
            if Instant::now() >= deadline {
                self.fail("no X11 window belongs to the app's process");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn native_title(&self) -> Option<String> {
        let id = self.native_window()?;
        let name = run("xprop", &["-id", &id, "_NET_WM_NAME"])?;
        let (_, quoted) = name.split_once(" = ")?;
        Some(quoted.trim().trim_matches('"').to_string())
    }

    /// The app's top-level X11 window ("0x..."): the one whose `_NET_WM_PID`
    /// is the app's process.
    fn native_window(&self) -> Option<String> {
        let pids = app_pids(self.driver.child.id());
        let tree = run("xwininfo", &["-root", "-children"])?;
        tree.lines().filter_map(|line| line.split_whitespace().next().filter(|w| w.starts_with("0x"))).find_map(|id| {
            let pid = run("xprop", &["-id", id, "_NET_WM_PID"])?;
            let pid: u32 = pid.rsplit(" = ").next()?.trim().parse().ok()?;
            pids.contains(&pid).then(|| id.to_string())
        })
    }

    /// The app's process id, once it runs.
    pub fn app_pid(&self) -> u32 {
        match app_pids(self.driver.child.id())[..] {
            [pid] => pid,
            ref pids => self.fail(&format!("not one app process in the driver's group: {pids:?}")),
        }
    }

    /// Presses the window's close button: sends the app's window the
    /// `WM_DELETE_WINDOW` message a window manager sends when the user
    /// clicks it (there is no window manager under Xvfb).
    #[cfg(target_os = "linux")]
    pub fn press_close_button(&self) {
        let Some(id) = self.native_window() else { self.fail("no X11 window belongs to the app's process") };
        let window = u64::from_str_radix(id.trim_start_matches("0x"), 16).expect("xwininfo's window id");
        if let Err(e) = x11::ask_to_close(window) {
            self.fail(&format!("could not ask window {id} to close: {e}"));
        }
    }

    /// Replaces the text of the field `css` with `text`. WebDriver's clear
    /// empties a field without an input event, so a render of the form
    /// before the typing (a sync's reload elsewhere on the page) puts the old
    /// value back and the text lands after it ("USDUSD"). So the field is read
    /// back and, if a render came between, cleared and typed again; a field
    /// that never holds the text fails the test here, not at a later step.
    /// (Selecting with Control+A instead types nothing in WebKitGTK: the
    /// modifier stays down for the rest of the keys. A password field reads
    /// back empty there, so it is not read back.)
    pub async fn fill(&self, css: &str, text: &str) {
        let found = self.client().wait().at_most(UI_WAIT).for_element(Locator::Css(css)).await;
        let input = match found {
            Ok(input) => input,
            Err(e) => self.fail_showing_page(&format!("no field {css}: {e}")).await,
        };
        let password = self.bounded("reading a field's type", input.attr("type")).await.as_deref() == Some("password");
        let mut held = String::new();
        for _ in 0..3 {
            self.bounded(&format!("clearing {css}"), input.clear()).await;
            self.bounded(&format!("typing into {css}"), input.send_keys(text)).await;
            if password {
                return;
            }
            let this = vec![serde_json::to_value(&input).expect("an element is JSON")];
            let value =
                self.bounded("reading a field", self.client().execute("return arguments[0].value;", this)).await;
            held = value.as_str().unwrap_or_default().to_string();
            if held == text {
                return;
            }
            // Said, so that a form that re-renders under the user shows in the log.
            eprintln!("{css} held {held:?} after typing {text:?}: typing it again");
        }
        self.save_failure().await;
        self.fail(&format!("the field {css} holds {held:?} after typing {text:?} three times"))
    }

    /// Waits until an element whose text contains `text` is in the page, and
    /// returns the innermost such element.
    pub async fn find_text(&self, text: &str) -> fantoccini::elements::Element {
        let t = xpath_literal(text);
        let xpath = format!(
            "//body//*[contains(normalize-space(string(.)), {t})][not(.//*[contains(normalize-space(string(.)), {t})])]"
        );
        let found = self.client().wait().at_most(UI_WAIT).for_element(Locator::XPath(&xpath));
        match tokio::time::timeout(UI_WAIT + Duration::from_secs(5), found).await {
            Ok(Ok(element)) => element,
            Ok(Err(e)) => self.fail_showing_page(&format!("no element with the text {text:?}: {e}")).await,
            Err(_) => self.fail(&format!("no element with the text {text:?} within {UI_WAIT:?}")),
        }
    }

    /// Fails the test with `what`, the page's text, and the window's
    /// screenshot, page source and app log saved (see `save_failure`).
    async fn fail_showing_page(&self, what: &str) -> ! {
        let body = self.body_text().await;
        self.save_failure().await;
        let hint = if body.contains("Could not connect to localhost") {
            "\n(the app was built without its UI: build it with --features tauri/custom-protocol)"
        } else {
            ""
        };
        self.fail(&format!("{what}\npage text: {body:?}{hint}"))
    }

    /// Saves what the window shows (PNG) and its DOM (HTML) next to the
    /// driver log, as `<test>-failure.*`; best effort, bounded.
    async fn save_failure(&self) {
        let base = log_dir().join(format!("{}-failure", self.label));
        if let Ok(Ok(png)) = tokio::time::timeout(COMMAND, self.window_png()).await {
            let _ = std::fs::write(base.with_extension("png"), png);
        }
        if let Ok(Ok(html)) = tokio::time::timeout(COMMAND, self.client().source()).await {
            let _ = std::fs::write(base.with_extension("html"), html);
        }
        // The app's own log (redacted as always): what the core said when it failed.
        if let Some(log) = self.app_log() {
            let _ = std::fs::write(base.with_extension("app.log"), log);
        }
        eprintln!("failure screenshot, page source and app log: {}.{{png,html,app.log}}", base.display());
    }

    /// The page's visible text, for failure messages.
    async fn body_text(&self) -> String {
        let body = async { self.client().find(Locator::Css("body")).await?.text().await };
        match tokio::time::timeout(COMMAND, body).await {
            Ok(Ok(text)) => text,
            _ => "(unreadable)".to_string(),
        }
    }

    /// What the window shows, as a PNG.
    ///
    /// WebKitGTK's WebDriver takes the picture after the page's next paint.
    /// Drawn without its compositor (the app's choice on a machine without a
    /// GPU, which these tests run on) an idle page does not paint again, and
    /// the screenshot waits for ever. So the page is kept painting while the
    /// picture is taken: its root's outline, fully transparent, changes width
    /// every 50 ms. That marks the edge for repainting and draws no pixel.
    async fn window_png(&self) -> Result<Vec<u8>, fantoccini::error::CmdError> {
        let keep_painting = "let wide = false; window.__e2eKeepPainting = setInterval(() => {\
            wide = !wide;\
            document.documentElement.style.outline = (wide ? '2px' : '1px') + ' solid transparent';\
        }, 50);";
        let stop_painting =
            "clearInterval(window.__e2eKeepPainting); document.documentElement.style.removeProperty('outline');";
        self.client().execute(keep_painting, vec![]).await?;
        let png = self.client().screenshot().await;
        self.client().execute(stop_painting, vec![]).await?;
        png
    }

    /// Saves a PNG of the window as `<screenshot_dir>/<name>.png`, after the
    /// webview has painted the current state (two animation frames).
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let painted = self.client().execute_async(
            "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            vec![],
        );
        self.bounded("waiting for a paint", painted).await;
        let png = self.bounded("taking a screenshot", self.window_png()).await;
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("cannot create the screenshot directory");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("cannot write the screenshot");
        eprintln!("screenshot: {}", path.display());
        path
    }

    /// Ends the session (which closes the window) and stops the driver.
    pub async fn close(mut self) {
        if let Some(client) = self.client.take() {
            if tokio::time::timeout(COMMAND, client.close()).await.is_ok() {
                self.session = None;
            }
        }
        self.driver.stop();
    }
}

impl Drop for App {
    /// When a test fails before `close`: delete the session over plain HTTP
    /// (the async client may have no runtime left), then stop the driver.
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            let _ = http(self.driver.port, "DELETE", &format!("/session/{session}"), Duration::from_secs(10));
        }
        self.driver.stop();
        if std::thread::panicking() {
            eprintln!("driver log of {}: {}", self.label, self.driver.log.display());
        }
    }
}

/// Runs a small X11 tool and returns its stdout if it succeeded.
fn run(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The processes of the process group `pgid` that have not exited (zombies
/// left for PID 1 to reap do not count), as (pid, command name).
fn group_members(pgid: u32) -> Vec<(u32, String)> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // "pid (comm) state ppid pgrp ...": comm may hold spaces, so split at the last ')'.
            let (head, rest) = stat.rsplit_once(')')?;
            let comm = head.split_once('(')?.1.to_string();
            let mut fields = rest.split_whitespace();
            let state = fields.next()?;
            let pgrp: u32 = fields.nth(1)?.parse().ok()?;
            (pgrp == pgid && state != "Z" && state != "X").then_some((pid, comm))
        })
        .collect()
}

/// Whether some process holds the app's single-instance name on the session
/// bus (`<identifier>.SingleInstance`, tauri-plugin-single-instance). No bus
/// or no `dbus-send` counts as no.
fn single_instance_name_held() -> bool {
    let args = [
        "--session",
        "--print-reply",
        "--dest=org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus.NameHasOwner",
        "string:app.bidwell.desktop.SingleInstance",
    ];
    run("dbus-send", &args).is_some_and(|reply| reply.contains("boolean true"))
}

/// The app's processes (named `bidwell-app`) in the process group `pgid`.
fn app_pids(pgid: u32) -> Vec<u32> {
    group_members(pgid).into_iter().filter(|(_, comm)| comm == "bidwell-app").map(|(pid, _)| pid).collect()
}

/// `text` as an XPath 1.0 string literal (which has no escapes).
fn xpath_literal(text: &str) -> String {
    if !text.contains('"') {
        format!("\"{text}\"")
    } else if !text.contains('\'') {
        format!("'{text}'")
    } else {
        let parts: Vec<String> = text.split('"').map(|p| format!("\"{p}\"")).collect();
        format!("concat({})", parts.join(", '\"', "))
    }
}

#[cfg(test)]
mod tests {
    use super::xpath_literal;

    #[test]
    fn xpath_literals_quote_any_text() {
        assert_eq!(xpath_literal("plain"), "\"plain\"");
        assert_eq!(xpath_literal("say \"hi\""), "'say \"hi\"'");
        assert_eq!(xpath_literal("it's \"x\""), "concat(\"it's \", '\"', \"x\", '\"', \"\")");
    }
}

/// The one X11 request the tests make themselves.
#[cfg(target_os = "linux")]
mod x11 {
    use std::ffi::c_long;
    use x11_dl::xlib;

    /// Sends `window` the ICCCM `WM_DELETE_WINDOW` client message on the
    /// display `DISPLAY` names, as a window manager does for its close button.
    pub fn ask_to_close(window: xlib::Window) -> Result<(), String> {
        let x = xlib::Xlib::open().map_err(|e| format!("libX11: {e}"))?;
        // SAFETY: plain Xlib calls on a display opened here and closed
        // before returning; the atom names are NUL-terminated literals and
        // the event is a fully initialised client message.
        unsafe {
            let display = (x.XOpenDisplay)(std::ptr::null());
            if display.is_null() {
                return Err("cannot open the X display".into());
            }
            let protocols = (x.XInternAtom)(display, c"WM_PROTOCOLS".as_ptr(), xlib::False);
            let delete = (x.XInternAtom)(display, c"WM_DELETE_WINDOW".as_ptr(), xlib::False);
            let mut message = xlib::XClientMessageEvent {
                type_: xlib::ClientMessage,
                serial: 0,
                send_event: xlib::True,
                display,
                window,
                message_type: protocols,
                format: 32,
                data: xlib::ClientMessageData::new(),
            };
            message.data.as_longs_mut()[0] = delete as c_long;
            message.data.as_longs_mut()[1] = xlib::CurrentTime as c_long;
            let mut event = xlib::XEvent { client_message: message };
            let sent = (x.XSendEvent)(display, window, xlib::False, xlib::NoEventMask, &mut event);
            (x.XSync)(display, xlib::False);
            (x.XCloseDisplay)(display);
            if sent == 0 {
                return Err("XSendEvent failed".into());
            }
        }
        Ok(())
    }
}
