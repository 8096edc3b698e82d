//! What sync sends about the user's privacy choices, against the real
//! reference marketplace: anonymous usage counts only after an opt-in, and
//! `Sec-GPC: 1` on every request otherwise.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use bidwell_core::privacy::{ConsentMethod, UsageEvent};
use bidwell_core::sync::{HttpConnector, SyncEngine};
use bidwell_core::{NewClient, Workspace};
use bidwell_market_sim::SimServer;
use bidwell_marketplace::{wire, ApiToken, Marketplace, Operation};

use crate::support::{CallHook, HookedConnector};
use crate::sync::{engine, harness, sim, sync};

const MARKER_NAME: &str = "Zebulon Quartermain-8c1e";
const MARKER_EMAIL: &str = "zq-8c1e@example.org";

fn analytics_requests(server: &SimServer) -> Vec<bidwell_market_sim::ReceivedRequest> {
    server.received().into_iter().filter(|r| r.path.ends_with("/analytics/events")).collect()
}

#[tokio::test]
async fn opted_in_the_queued_counts_leave_once_without_personal_data_and_the_queue_empties() {
    let server = sim(3, 0.0).await;
    let h = harness(&server.base_url()).await;
    h.ws.create_client(NewClient { name: MARKER_NAME.into(), email: Some(MARKER_EMAIL.into()), ..Default::default() })
        .await
        .unwrap();
    h.ws.set_analytics(true, ConsentMethod::Cli).await.unwrap();
    for event in [
        UsageEvent::BidSubmitted,
        UsageEvent::BidSubmitted,
        UsageEvent::ClientCreated,
        UsageEvent::Export,
        UsageEvent::BidSubmitted,
    ] {
        assert!(h.ws.count_usage(event).await.unwrap());
    }
    // A second day: counted apart here, one counter per event on the wire.
    h.clock.advance(chrono::Duration::days(1));
    h.ws.count_usage(UsageEvent::ClientCreated).await.unwrap();
    let mut expected: BTreeMap<String, u32> = BTreeMap::new();
    for row in h.ws.queued_usage().await.unwrap() {
        *expected.entry(row.event).or_default() += row.count as u32;
    }
    // What Settings -> Privacy shows before the sync: the rows per day, the
    // body the sync will send, and where.
    let preview = h.ws.usage_preview().await.unwrap();
    let shown_rows: Vec<(&str, &str, i64)> =
        preview.rows.iter().map(|r| (r.event.as_str(), r.day.as_str(), r.count)).collect();
    assert_eq!(
        shown_rows,
        vec![
            ("feature.bid_submitted", "2026-11-01", 3),
            ("feature.client_created", "2026-11-01", 1),
            ("feature.client_created", "2026-11-02", 1),
            ("feature.export", "2026-11-01", 1),
        ]
    );
    assert!(preview.rows.iter().all(|r| r.description == UsageEvent::from_name(&r.event).unwrap().description()));
    let destinations: Vec<(&str, &str)> =
        preview.destinations.iter().map(|d| (d.account_name.as_str(), d.endpoint.as_str())).collect();
    assert_eq!(destinations, vec![("Sim", "POST /v1/analytics/events")]);

    sync(&engine(11), &h.ws).await;

    let received_in_order: Vec<(String, u32)> = server.analytics().into_iter().map(|c| (c.name, c.count)).collect();
    let shown_totals: Vec<(String, u32)> = preview.totals.into_iter().map(|t| (t.event, t.count)).collect();
    assert_eq!(received_in_order, shown_totals, "what was sent is exactly what the Privacy screen showed");

    let sent = analytics_requests(&server);
    assert_eq!(sent.len(), 1, "one batch");
    let body = sent[0].body_text();
    assert!(!body.contains(MARKER_NAME) && !body.contains(MARKER_EMAIL), "no personal data: {body}");
    assert_eq!(sent[0].header("sec-gpc"), None, "opted in: no Global Privacy Control");
    let received: BTreeMap<String, u32> = server.analytics().into_iter().map(|c| (c.name, c.count)).collect();
    assert_eq!(received, expected, "the counts equal what was queued");
    assert!(h.ws.queued_usage().await.unwrap().is_empty(), "sent counts leave the queue");
    let log = h.ws.transparency_log(1000).await.unwrap();
    let entry = log.iter().find(|e| e.operation == "send_analytics").expect("the analytics request is logged");
    assert!(entry.data_categories.contains("analytics_counts"));
    assert_eq!(entry.record_count, expected.len() as i64);

    // Nothing new was counted: the next run sends nothing.
    sync(&engine(12), &h.ws).await;
    assert_eq!(analytics_requests(&server).len(), 1);
}

#[tokio::test]
async fn opted_out_nothing_is_sent_and_every_request_carries_gpc() {
    let server = sim(3, 0.0).await;
    let h = harness(&server.base_url()).await;
    h.ws.set_analytics(true, ConsentMethod::Cli).await.unwrap();
    h.ws.count_usage(UsageEvent::BidSubmitted).await.unwrap();
    h.ws.count_usage(UsageEvent::ClientCreated).await.unwrap();
    let status = h.ws.set_analytics(false, ConsentMethod::Cli).await.unwrap();
    assert_eq!(status.queued, 0, "opting out empties the queue");

    sync(&engine(13), &h.ws).await;

    let received = server.received();
    assert!(!received.is_empty(), "the sync did reach the marketplace");
    assert!(analytics_requests(&server).is_empty(), "no analytics request");
    assert!(server.analytics().is_empty());
    assert!(received.iter().all(|r| r.header("sec-gpc") == Some("1")), "Sec-GPC: 1 on every request");
    let log = h.ws.transparency_log(1000).await.unwrap();
    assert!(!log.iter().any(|e| e.operation == "send_analytics"));
}

/// Counts one more use while the analytics request is out.
struct CountsWhileSending {
    ws: Arc<Workspace>,
}

#[async_trait]
impl CallHook for CountsWhileSending {
    async fn before(&self, call: Operation) {
        if call == Operation::SendAnalytics {
            self.ws.count_usage(UsageEvent::BidSubmitted).await.expect("counted while sending");
        }
    }
}

#[tokio::test]
async fn a_use_counted_while_the_counts_are_out_stays_queued() {
    let server = sim(2, 0.0).await;
    let h = harness(&server.base_url()).await;
    let _dir = h._dir;
    let ws = Arc::new(h.ws);
    ws.set_analytics(true, ConsentMethod::Cli).await.unwrap();
    for _ in 0..3 {
        ws.count_usage(UsageEvent::BidSubmitted).await.unwrap();
    }
    let hook = Arc::new(CountsWhileSending { ws: ws.clone() });
    let engine =
        SyncEngine::new(Arc::new(HookedConnector { http: HttpConnector::default(), hook }), Default::default());
    sync(&engine, &ws).await;

    let sent: Vec<(String, u32)> = server.analytics().into_iter().map(|c| (c.name, c.count)).collect();
    assert_eq!(sent, vec![("feature.bid_submitted".to_owned(), 3)]);
    let left = ws.queued_usage().await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(
        (left[0].event.as_str(), left[0].count),
        ("feature.bid_submitted", 1),
        "the fourth use waits for the next run"
    );
}

#[tokio::test]
async fn an_erasure_request_reaches_the_marketplace_and_the_audit_entry_holds_no_personal_data() {
    let server = sim(2, 0.0).await;
    let h = harness(&server.base_url()).await;
    h.ws.create_client(NewClient { name: MARKER_NAME.into(), email: Some(MARKER_EMAIL.into()), ..Default::default() })
        .await
        .unwrap();

    let outcomes = engine(21).request_erasure(&h.ws, None).await.unwrap();

    assert_eq!(outcomes.len(), 1);
    assert!(outcomes[0].accepted, "{outcomes:?}");
    assert_eq!(outcomes[0].account_id, h.account);
    let receipts = server.erasure_requests();
    assert_eq!(receipts.len(), 1, "the marketplace received one request");
    assert_eq!(receipts[0].scope, wire::ErasureScope::Account);
    assert_eq!(outcomes[0].receipt_id.as_deref(), Some(receipts[0].id.as_str()));
    let request = server.received().into_iter().find(|r| r.path.ends_with("/privacy/erasure-requests")).unwrap();
    assert!(request.header("idempotency-key").is_some());
    assert!(!request.body_text().contains(MARKER_NAME) && !request.body_text().contains(MARKER_EMAIL));

    let audit = h.ws.audit_log().await.unwrap();
    let entry = audit.iter().find(|e| e.action == "marketplace_erasure_request").expect("audited");
    assert!(entry.detail.contains(&h.account.to_string()) && entry.detail.contains("\"accepted\":true"));
    for e in &audit {
        assert!(!e.detail.contains(MARKER_NAME) && !e.detail.contains(MARKER_EMAIL) && !e.detail.contains("Sim"));
        assert!(!e.detail.contains("sim-token"), "no token in the audit log");
    }
    let log = h.ws.transparency_log(100).await.unwrap();
    let sent = log.iter().find(|e| e.operation == "request_erasure").expect("in the transparency log");
    assert!(sent.data_categories.contains("erasure_request"));
}

#[tokio::test]
async fn a_wipe_that_asks_first_is_refused_while_a_marketplace_is_down_then_wipe_anyway_works() {
    let server = sim(2, 0.0).await;
    let h = harness(&server.base_url()).await;
    let dir = h._dir.path().to_path_buf();
    let client = h.ws.create_client(NewClient { name: "Kept Ltd".into(), ..Default::default() }).await.unwrap();
    drop(server);

    let err = h.ws.request_erasure_before_wipe("Sync", &engine(22)).await.unwrap_err();
    assert_eq!(err.code(), bidwell_core::ErrorCode::ErasureRequestFailed);
    assert!(err.to_string().contains("Sim"), "the error names the marketplace: {err}");
    // Nothing was wiped: the workspace still opens its data.
    assert_eq!(h.ws.client(client.meta.id).await.unwrap().name, "Kept Ltd");
    assert!(dir.join("bidwell.db").exists());
    let audit = h.ws.audit_log().await.unwrap();
    let entry = audit.iter().find(|e| e.action == "marketplace_erasure_request").unwrap();
    assert!(entry.detail.contains("\"accepted\":false"));

    // A wrong name asks nobody.
    let err = h.ws.request_erasure_before_wipe("Not it", &engine(22)).await.unwrap_err();
    assert_eq!(err.code(), bidwell_core::ErrorCode::Validation);

    // "Wipe anyway" is a wipe without asking.
    let report = h.ws.wipe("Sync").await.unwrap();
    assert!(report.key_shredded);
    assert!(!dir.join("bidwell.db").exists() && !dir.join("bidwell.key").exists());
}

#[tokio::test]
async fn a_wipe_that_asks_first_asks_every_marketplace_then_wipes() {
    let server = sim(2, 0.0).await;
    let h = harness(&server.base_url()).await;
    let dir = h._dir.path().to_path_buf();
    h.ws.wipe_asking_marketplaces("Sync", &engine(23)).await.unwrap();
    assert_eq!(server.erasure_requests().len(), 1);
    assert!(!dir.join("bidwell.db").exists());
}

/// Asking the marketplaces to erase, and then being refused the wipe
/// because another process has the workspace open, would leave the user's
/// data erased there and kept here: the refusal must come first.
#[tokio::test]
async fn a_wipe_another_process_would_refuse_asks_no_marketplace() {
    use bidwell_core::process_lock::{Holder, ProcessLock};
    let server = sim(2, 0.0).await;
    let h = harness(&server.base_url()).await;
    let dir = h._dir.path().to_path_buf();
    let other = ProcessLock::shared(&dir, &Holder::command("client list")).unwrap();
    let err = h.ws.wipe_asking_marketplaces("Sync", &engine(24)).await.unwrap_err();
    assert_eq!(err.code(), bidwell_core::ErrorCode::WorkspaceInUse, "{err}");
    assert!(server.erasure_requests().is_empty(), "a marketplace was asked before the refusal");
    assert!(dir.join("bidwell.db").exists() && dir.join("bidwell.key").exists());
    drop(other);
}

fn consent_puts(server: &SimServer) -> usize {
    server.received().iter().filter(|r| r.method == "PUT" && r.path.ends_with("/privacy/consents")).count()
}

async fn set_marketing(ws: &Workspace, granted: bool) {
    ws.record_consent(bidwell_core::privacy::ConsentChange {
        client_id: None,
        purpose: bidwell_core::privacy::ConsentPurpose::MarketplaceMarketing,
        granted,
        basis: None,
        source: None,
        evidence: None,
        method: ConsentMethod::Cli,
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn the_marketing_choice_reaches_each_marketplace_once_per_change() {
    let server = sim(2, 0.0).await;
    // Another choice the user made on the marketplace itself: Bidwell keeps it.
    let direct = bidwell_marketplace::HttpMarketplace::new(
        &server.base_url(),
        ApiToken::new("sim-token".into()),
        bidwell_marketplace::HttpOptions::default(),
    )
    .unwrap();
    let choices = wire::ConsentChoices { analytics: false, marketing: true, profile_discovery: true };
    direct.put_consents(&choices).await.unwrap();
    server.clear_received();
    let h = harness(&server.base_url()).await;
    let engine = engine(31);

    // Never given here, so "no" goes out on the first sync.
    sync(&engine, &h.ws).await;
    assert_eq!(consent_puts(&server), 1);
    let held = server.consents();
    assert!(!held.choices.marketing, "the user's 'no' reached the marketplace");
    assert!(held.choices.profile_discovery, "the marketplace's other choices are kept");

    // Unchanged: nothing more is sent, nothing is even asked.
    server.clear_received();
    sync(&engine, &h.ws).await;
    assert!(!server.received().iter().any(|r| r.path.ends_with("/privacy/consents")));

    set_marketing(&h.ws, true).await;
    sync(&engine, &h.ws).await;
    assert_eq!(consent_puts(&server), 1);
    assert!(server.consents().choices.marketing);
    let put = server.received().into_iter().find(|r| r.method == "PUT").unwrap();
    assert!(!put.body_text().contains("sim-token"));
    let log = h.ws.transparency_log(1000).await.unwrap();
    let sent = log.iter().find(|e| e.operation == "put_consents").expect("the change is logged");
    assert!(sent.data_categories.contains("consent_choices"));

    sync(&engine, &h.ws).await;
    assert_eq!(consent_puts(&server), 1, "acknowledged: not sent again");

    set_marketing(&h.ws, false).await;
    sync(&engine, &h.ws).await;
    assert_eq!(consent_puts(&server), 2);
    assert!(!server.consents().choices.marketing, "the withdrawal reached the marketplace");
}

#[tokio::test]
async fn a_marketing_choice_the_marketplace_did_not_take_is_sent_on_the_next_sync() {
    let server = sim(2, 0.0).await;
    let port = server.addr().port();
    let h = harness(&server.base_url()).await;
    let engine = engine(32);
    sync(&engine, &h.ws).await;
    drop(server);
    set_marketing(&h.ws, true).await;
    sync(&engine, &h.ws).await;

    let server =
        bidwell_market_sim::SimServer::start(bidwell_market_sim::SimConfig { jobs: 2, port, ..Default::default() })
            .await
            .expect("the port is free again");
    sync(&engine, &h.ws).await;
    assert!(server.consents().choices.marketing, "sent once the marketplace was back");
}
