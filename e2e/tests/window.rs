//! The first window, end to end: what it shows for an empty data directory
//! and for one holding a workspace made by the CLI. Each test gets its own
//! data directory and its own app process (see the harness in src/lib.rs).

use bidwell_e2e::{cli, enabled, App};

#[tokio::test]
async fn empty_data_dir_opens_the_first_run_screen() {
    if !enabled("empty_data_dir_opens_the_first_run_screen") {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let app = App::launch(data.path()).await;

    app.find_text("Welcome to Bidwell").await;
    assert_eq!(app.title().await, "Bidwell");
    assert_eq!(app.window_title().await, "Bidwell");
    app.screenshot("empty-data-dir").await;
    app.close().await;
}

#[tokio::test]
async fn a_workspace_made_by_the_cli_opens_locked_by_name() {
    if !enabled("a_workspace_made_by_the_cli_opens_locked_by_name") {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    cli(data.path(), &[("BIDWELL_PASSPHRASE", "e2e correct horse battery")], &["init", "--name", "E2E Shop"]);
    let app = App::launch(data.path()).await;

    app.find_text("E2E Shop").await;
    app.find_text("Locked.").await;
    app.screenshot("workspace-e2e-shop").await;
    app.close().await;
}

/// Quitting locks the workspace (#13 part 3): with the workspace unlocked,
/// the window's close button and a logout's SIGTERM each end the app only
/// after the database is closed (its WAL folded in and removed) and the
/// app's claim on the workspace (its holder record) is gone. Killed on the
/// spot, the app would leave both behind.
mod quitting {
    use std::path::{Path, PathBuf};
    use std::time::{Duration, Instant};

    use bidwell_e2e::{cli, App};
    use fantoccini::Locator;
    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;

    const PASSPHRASE: &str = "e2e correct horse battery";
    /// How long quitting may take: the app's own bound on locking is 10 s.
    const QUIT: Duration = Duration::from_secs(20);

    /// The app, unlocked on a workspace with one client, and its holder record.
    async fn unlocked(data: &Path) -> (App, PathBuf) {
        let env = [("BIDWELL_PASSPHRASE", PASSPHRASE)];
        cli(data, &env, &["init", "--name", "E2E Quit"]);
        cli(data, &env, &["client", "add", "--name", "Quitting Client"]);
        let app = App::launch(data).await;
        app.find_text("Locked.").await;
        let field = app.client().wait().at_most(QUIT).for_element(Locator::Css("#field-passphrase")).await.unwrap();
        field.send_keys(PASSPHRASE).await.unwrap();
        let unlock = "//button[normalize-space(.)='Unlock'][not(@disabled)]";
        app.client().find(Locator::XPath(unlock)).await.unwrap().click().await.unwrap();
        app.find_text("Quitting Client").await;
        let pid = app.app_pid();
        let record =
            holder_records(data, pid).pop().unwrap_or_else(|| panic!("the unlocked app ({pid}) holds no record"));
        assert!(data.join("bidwell.db-wal").exists(), "an open database has its WAL");
        (app, record)
    }

    fn holder_records(data: &Path, pid: u32) -> Vec<PathBuf> {
        let dir = data.join("bidwell.lock.d");
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        entries
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                name.starts_with(&format!("{pid}-")) && name.ends_with(".holder")
            })
            .collect()
    }

    /// Waits (bounded) for the app to end, then checks it locked first.
    async fn ended_locked(app: App, data: &Path, record: &Path, pid: u32) {
        let deadline = Instant::now() + QUIT;
        while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let still_running = Path::new(&format!("/proc/{pid}")).exists();
        let log = app.app_log().unwrap_or_default();
        app.close().await;
        assert!(!still_running, "the app was still running {QUIT:?} after it was asked to quit");
        assert!(!record.exists(), "the app ended still holding the workspace ({}); its log:\n{log}", record.display());
        assert!(!data.join("bidwell.db-wal").exists(), "the app ended with the database open; its log:\n{log}");
    }

    #[tokio::test]
    async fn the_close_button_locks_before_the_app_ends() {
        if !bidwell_e2e::enabled("the_close_button_locks_before_the_app_ends") {
            return;
        }
        let data = tempfile::tempdir().unwrap();
        let (app, record) = unlocked(data.path()).await;
        let pid = app.app_pid();
        app.press_close_button();
        ended_locked(app, data.path(), &record, pid).await;
    }

    #[tokio::test]
    async fn logging_out_locks_before_the_app_ends() {
        if !bidwell_e2e::enabled("logging_out_locks_before_the_app_ends") {
            return;
        }
        let data = tempfile::tempdir().unwrap();
        let (app, record) = unlocked(data.path()).await;
        let pid = app.app_pid();
        // What a session's end (logout, shutdown) sends every process.
        kill(Pid::from_raw(pid as i32), Signal::SIGTERM).unwrap();
        ended_locked(app, data.path(), &record, pid).await;
    }
}
