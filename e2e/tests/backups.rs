//! Backups through the real window (#13 part 1): a workspace with no backup
//! whose folder cannot be used shows the overdue banner; once it can,
//! "Back up now" takes one and the banner goes;
//! Settings → Backups lists it with its counts and verifies it; a record
//! changed afterwards comes back as it was when the backup is restored
//! (confirmation, progress, result), and the screens show the restored data;
//! the privacy overview says what the backups hold and where.
//!
//! The folder choice opens the platform's native dialog, which WebDriver
//! cannot drive; the folder setting itself is covered by the core's tests.

use std::time::Duration;

use bidwell_e2e::{cli, enabled, App};
use fantoccini::elements::Element;
use fantoccini::Locator;

const PASSPHRASE: &str = "e2e correct horse battery";
const WAIT: Duration = Duration::from_secs(20);
const BANNER: &str = "[data-testid=backup-overdue]";

async fn element(app: &App, css: &str) -> Element {
    let found = app.client().wait().at_most(WAIT).for_element(Locator::Css(css)).await;
    found.unwrap_or_else(|e| panic!("no element {css}: {e}"))
}

/// Clicks the first enabled button whose text starts with `label`.
async fn press(app: &App, label: &str) {
    let xpath = format!("//button[starts-with(normalize-space(.), '{label}')][not(@disabled)]");
    match app.client().wait().at_most(WAIT).for_element(Locator::XPath(&xpath)).await {
        Ok(button) => button.click().await.unwrap_or_else(|e| panic!("clicking {label:?}: {e}")),
        Err(e) => {
            let shot = app.screenshot(&format!("failure-no-button-{}", label.replace(' ', "-"))).await;
            panic!("no enabled button {label:?}: {e} (screen: {})", shot.display());
        }
    }
}

async fn count(app: &App, css: &str) -> usize {
    app.count(Locator::Css(css)).await
}

/// Waits (bounded) until no element matches `css`.
async fn gone(app: &App, css: &str) {
    let deadline = std::time::Instant::now() + WAIT;
    while count(app, css).await > 0 {
        if std::time::Instant::now() > deadline {
            let shot = app.screenshot("failure-still-shown").await;
            panic!("{css} is still shown (screen: {})", shot.display());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn text_of(app: &App, css: &str) -> String {
    element(app, css).await.text().await.unwrap()
}

#[tokio::test]
async fn back_up_then_restore_brings_a_changed_record_back() {
    if !enabled("back_up_then_restore_brings_a_changed_record_back") {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let env = [("BIDWELL_PASSPHRASE", PASSPHRASE)];
    cli(data.path(), &env, &["init", "--name", "E2E Backups"]);
    // The backup folder is unusable at first (a file where the folder was),
    // so the app's first backup fails and the banner says so.
    let folder = data.path().join("backups");
    cli(data.path(), &env, &["backup", "folder", folder.to_str().unwrap()]);
    std::fs::remove_dir_all(&folder).unwrap();
    std::fs::write(&folder, b"not a folder").unwrap();
    let added = cli(data.path(), &env, &["--json", "client", "add", "--name", "Otter Original"]);
    let added: serde_json::Value = serde_json::from_str(&added).expect("the CLI's JSON");
    let id = added["meta"]["id"].as_str().or(added["id"].as_str()).expect("the client's id").to_string();

    let app = App::launch(data.path()).await;
    app.find_text("Locked.").await;
    app.fill("#field-passphrase", PASSPHRASE).await;
    press(&app, "Unlock").await;

    // No backup yet, and none can be taken: the main window says so, whatever screen is on show.
    element(&app, BANNER).await;
    app.find_text("There is no backup of this workspace yet").await;
    app.screenshot("19-backup-overdue-banner").await;
    // The folder is usable again: "Back up now" in the banner takes one and the banner goes.
    std::fs::remove_file(&folder).unwrap();
    std::fs::create_dir(&folder).unwrap();
    press(&app, "Back up now").await;
    gone(&app, BANNER).await;

    press(&app, "Settings").await;
    press(&app, "Backups").await;
    let counts = text_of(&app, "[data-testid=backup-counts]").await;
    assert!(counts.starts_with("1 client,"), "the row's counts: {counts:?}");
    assert!(text_of(&app, "[data-testid=backup-summary]").await.starts_with("Last good backup:"));
    press(&app, "Verify").await;
    app.find_text("Checked: healthy").await;
    app.screenshot("20-backups-list").await;

    // The record changes after the backup (through the CLI, on the same database).
    cli(data.path(), &env, &["client", "edit", &id, "--name", "Otter Renamed"]);
    press(&app, "Clients").await;
    app.find_text("Otter Renamed").await;

    press(&app, "Settings").await;
    press(&app, "Backups").await;
    press(&app, "Restore…").await;
    element(&app, "[data-testid=restore-confirm]").await;
    app.find_text("The current state is backed up first").await;
    app.find_text("Clients erased since then are erased again").await;
    app.screenshot("21-restore-confirm").await;
    press(&app, "Restore this backup").await;
    app.find_text("Restored the backup of").await;
    // The core's progress reached the window through the channel (its last
    // report may land just after the result, so the last step seen is 3 or 4).
    let steps = text_of(&app, "[data-testid=restore-steps]").await;
    assert!(["3 of 4 steps done.", "4 of 4 steps done."].contains(&steps.as_str()), "progress: {steps:?}");
    // The state it replaced is kept as a backup of its own, listed at once.
    app.find_text("Before a restore").await;
    app.screenshot("22-restore-result").await;

    press(&app, "Clients").await;
    app.find_text("Otter Original").await;
    assert_eq!(
        app.client()
            .find_all(Locator::XPath("//*[contains(normalize-space(.), 'Otter Renamed')]"))
            .await
            .unwrap()
            .len(),
        0,
        "the renamed client is still on screen after the restore"
    );
    app.screenshot("23-restored-client").await;

    // The privacy overview says what the backups hold and where.
    press(&app, "Settings").await;
    press(&app, "Privacy").await;
    let said = text_of(&app, "[data-testid=privacy-backups]").await;
    assert!(said.contains("encrypted copies of the whole workspace"), "privacy overview: {said:?}");
    assert!(said.contains(&data.path().join("backups").display().to_string()), "no folder in: {said:?}");
    app.screenshot("24-privacy-backups").await;
    let clients = cli(data.path(), &env, &["--json", "client", "list"]);
    assert!(clients.contains("Otter Original") && !clients.contains("Otter Renamed"), "after restore: {clients}");
    app.close().await;
}
