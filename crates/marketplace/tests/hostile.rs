//! The client against a hostile or broken reference marketplace: bodies
//! that never end or announce a gigabyte, pages with more items than asked.
//! Each is refused with a clear [`MarketError::Refused`], having read at
//! most [`MAX_RESPONSE_BYTES`] of it.

use std::time::Duration;

use bidwell_market_sim::{FaultKind, SimConfig, SimServer};
use bidwell_marketplace::{
    ApiToken, HttpMarketplace, HttpOptions, MarketError, Marketplace, Refusal, MAX_RESPONSE_BYTES,
};

async fn hostile(kind: FaultKind, config: SimConfig) -> (SimServer, HttpMarketplace) {
    let server = SimServer::start(SimConfig { fault_rate: 1.0, fault_kinds: vec![kind], ..config }).await.unwrap();
    let options = HttpOptions { request_timeout: Duration::from_secs(120), ..HttpOptions::default() };
    let client = HttpMarketplace::new(&server.base_url(), ApiToken::new("sim-token".into()), options).unwrap();
    (server, client)
}

/// What the sockets between the two may hold beyond what the client read.
const SOCKET_SLACK: u64 = 48 * 1024 * 1024;

#[tokio::test]
async fn an_endless_body_is_refused_after_the_cap_not_read_to_its_end() {
    let (server, client) = hostile(FaultKind::HugeBody, SimConfig::default()).await;
    let err = client.bids_since(None, 50).await.unwrap_err();
    assert_eq!(err, MarketError::Refused(Refusal::BodyTooLarge { limit: MAX_RESPONSE_BYTES }));
    assert_eq!(err.to_string(), "a response body exceeded 16 MiB");
    assert!(!err.is_transient(), "a refusal is not retried in a loop");
    // Other requests meet the same body, records as well as pages.
    assert!(matches!(client.get_job("j").await, Err(MarketError::Refused(Refusal::BodyTooLarge { .. }))));
    let streamed = server.hostile_bytes_streamed();
    assert!(
        streamed < 2 * (MAX_RESPONSE_BYTES as u64 + SOCKET_SLACK),
        "the client stopped reading at the cap; the server handed out {streamed} bytes of 2 GiB"
    );
}

#[tokio::test]
async fn a_body_announced_over_the_cap_is_refused_before_reading_it() {
    let (server, client) = hostile(FaultKind::HugeDeclaredBody, SimConfig::default()).await;
    let err = client.milestones_since(None, 50).await.unwrap_err();
    assert_eq!(err, MarketError::Refused(Refusal::BodyTooLarge { limit: MAX_RESPONSE_BYTES }));
    let streamed = server.hostile_bytes_streamed();
    assert!(streamed < SOCKET_SLACK, "nothing past the headers needed reading; {streamed} bytes went out");
}

#[tokio::test]
async fn a_page_with_more_items_than_asked_is_refused() {
    let config = SimConfig { overfull_page_items: 51, ..SimConfig::default() };
    let (_server, client) = hostile(FaultKind::OverfullPage, config).await;
    let err = client.bids_since(None, 50).await.unwrap_err();
    assert_eq!(err, MarketError::Refused(Refusal::TooManyItems { asked: 50 }));
    assert_eq!(err.to_string(), "a page held more items than the 50 asked for");
    let err = client.list_jobs(&Default::default(), None, 50).await.unwrap_err();
    assert_eq!(err, MarketError::Refused(Refusal::TooManyItems { asked: 50 }));
    // Exactly as many as asked is a page like any other.
    assert_eq!(client.milestones_since(None, 51).await.unwrap().items.len(), 51);
}

#[tokio::test]
async fn a_page_of_a_million_items_is_refused_at_the_cap() {
    let (server, client) = hostile(FaultKind::OverfullPage, SimConfig::default()).await;
    let err = client.bids_since(None, 200).await.unwrap_err();
    assert!(matches!(err, MarketError::Refused(_)), "{err:?}");
    let streamed = server.hostile_bytes_streamed();
    assert!(streamed < MAX_RESPONSE_BYTES as u64 + SOCKET_SLACK, "{streamed} bytes of the page went out");
}
