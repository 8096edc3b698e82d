//! A workspace with 100 000 clients: the list opens and scrolls while the UI
//! fetches pages as it goes, never the whole table, and keeps only the
//! visible rows in the page.

use std::time::{Duration, Instant};

use bidwell_e2e::{cli, enabled, App};
use fantoccini::Locator;

const PASSPHRASE: &str = "e2e correct horse battery";

async fn counter(app: &App, name: &str) -> u64 {
    let list = app.client().find(Locator::Css("[role=listbox]")).await.expect("the clients list");
    let value = list.attr(name).await.unwrap().unwrap_or_default();
    value.parse().unwrap_or_else(|_| panic!("{name} is {value:?}"))
}

async fn rows_in_page(app: &App) -> usize {
    app.count(Locator::Css("[role=listbox] [role=option]")).await
}

#[tokio::test]
async fn a_hundred_thousand_clients_scroll_a_page_at_a_time() {
    if !enabled("a_hundred_thousand_clients_scroll_a_page_at_a_time") {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let env = [("BIDWELL_PASSPHRASE", PASSPHRASE)];
    cli(data.path(), &env, &["init", "--name", "Big"]);
    // A fifth of generated records are clients.
    let summary = cli(data.path(), &env, &["--json", "dev", "seed", "--records", "500000", "--seed", "11"]);
    assert!(summary.contains("\"clients\":100000"), "{summary}");

    let app = App::launch(data.path()).await;
    app.find_text("Locked.").await;
    let input = app.client().wait().at_most(Duration::from_secs(20)).for_element(Locator::Css("#field-passphrase"));
    input.await.unwrap().send_keys(PASSPHRASE).await.unwrap();
    app.client().find(Locator::XPath("//button[normalize-space(.)='Unlock']")).await.unwrap().click().await.unwrap();
    app.client()
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("[role=listbox] [role=option]"))
        .await
        .unwrap();
    app.screenshot("10-hundred-thousand-clients").await;

    let (loaded, requests) = (counter(&app, "data-loaded-count").await, counter(&app, "data-page-requests").await);
    assert!(loaded <= 200 && requests <= 2, "opening loaded {loaded} rows in {requests} requests");
    assert!(rows_in_page(&app).await < 80, "more rows in the page than fit the window");

    // Scroll to the end of what is loaded, three times: each brings one more page.
    for round in 1..=3 {
        let before = counter(&app, "data-loaded-count").await;
        app.client()
            .execute("const l = document.querySelector('[role=listbox]'); l.scrollTop = l.scrollHeight;", vec![])
            .await
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while counter(&app, "data-loaded-count").await <= before {
            assert!(Instant::now() < deadline, "round {round}: scrolling to the end fetched nothing");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let (loaded, requests) = (counter(&app, "data-loaded-count").await, counter(&app, "data-page-requests").await);
    assert!(loaded < 1000, "scrolling loaded {loaded} of 100 000 rows: it should fetch pages, not everything");
    assert!(requests >= 4, "{requests} page requests after three scrolls");
    assert!(rows_in_page(&app).await < 80, "scrolled rows stayed in the page");
    app.screenshot("11-hundred-thousand-clients-scrolled").await;
    app.close().await;
}
