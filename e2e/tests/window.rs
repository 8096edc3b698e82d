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
