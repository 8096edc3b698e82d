//! Marketplace accounts over their lifetime: disconnecting one (token, queued
//! changes and cursors go; the records it brought in stay as the user's own),
//! and a keychain that never answers (the token then stays in the encrypted
//! workspace and the user is told).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bidwell_core::privacy::ConsentMethod;
use bidwell_core::sync::ApiToken;
use bidwell_core::vault::{KeyStore, Protection, VaultError};
use bidwell_core::{BidFilter, BidPatch, BidStatus, Environment, ErrorCode, ManualClock, Workspace};
use bidwell_marketplace::wire;
use chrono::TimeZone;
use zeroize::Zeroizing;

use crate::support::{self, synced_market, SyncedMarket};
use crate::sync::{all_bids, all_jobs, draft, engine, sim, sync};

/// A keychain in memory that keeps text secrets (tokens), so a test can see
/// what is stored and what is deleted; the workspace's wrapping key is kept
/// apart (`keys`), so a keychain workspace can be made over it. Made
/// `silent`, every token call blocks forever: the real keychain cannot be
/// made to hang on demand (in the field: a locked Secret Service waiting on
/// an unlock prompt nobody sees), so this test double stands in for it.
#[derive(Default)]
pub struct TokenKeychain {
    pub entries: Mutex<HashMap<String, String>>,
    pub silent: AtomicBool,
    keys: bidwell_core::vault::MemoryKeyStore,
}

impl TokenKeychain {
    fn answer(&self) {
        while self.silent.load(Ordering::SeqCst) {
            std::thread::park();
        }
    }
}

impl KeyStore for TokenKeychain {
    fn backend(&self) -> &'static str {
        "test-tokens"
    }
    fn time_limit(&self) -> Duration {
        // Short only while silent, so a slow machine never times out a call that answers.
        if self.silent.load(Ordering::SeqCst) {
            Duration::from_millis(50)
        } else {
            bidwell_core::vault::KEYCHAIN_TIME_LIMIT
        }
    }
    fn probe(&self) -> Result<(), VaultError> {
        self.answer();
        Ok(())
    }
    fn store(&self, account: &str, key: &bidwell_core::secret::WrappingKey) -> Result<(), VaultError> {
        self.keys.store(account, key)
    }
    fn load(&self, account: &str) -> Result<bidwell_core::secret::WrappingKey, VaultError> {
        self.keys.load(account)
    }
    fn delete(&self, account: &str) -> Result<(), VaultError> {
        self.answer();
        self.entries.lock().unwrap().remove(account);
        self.keys.delete(account)
    }
    fn store_text(&self, account: &str, secret: &str) -> Result<(), VaultError> {
        self.answer();
        self.entries.lock().unwrap().insert(account.to_owned(), secret.to_owned());
        Ok(())
    }
    fn load_text(&self, account: &str) -> Result<Zeroizing<String>, VaultError> {
        self.answer();
        let entries = self.entries.lock().unwrap();
        entries.get(account).map(|s| Zeroizing::new(s.clone())).ok_or(VaultError::KeychainEntryMissing)
    }
}

/// A keychain workspace: only those keep tokens in the keychain.
async fn workspace_with(keychain: Arc<dyn KeyStore>) -> (tempfile::TempDir, Workspace) {
    workspace_protected_by(keychain, Protection::Keychain).await
}

async fn workspace_protected_by(keychain: Arc<dyn KeyStore>, protection: Protection) -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap()));
    let env = Environment { clock, ..support::env_with(keychain) };
    let (ws, _) = Workspace::create(dir.path(), "Accounts", protection, env).await.unwrap();
    (dir, ws)
}

#[tokio::test]
async fn disconnecting_keeps_pulled_records_as_mine_and_drops_what_was_never_sent() {
    let SyncedMarket { server, h, engine, jobs, .. } = synced_market(8, 11).await;
    // A bid that reached the marketplace and was shortlisted there, with an
    // edit still queued; a second bid queued only; a draft.
    let sent = draft(&h.ws, &jobs[0], "sent and shortlisted").await;
    h.ws.submit_bid(sent.meta.id).await.unwrap();
    sync(&engine, &h.ws).await;
    let external = h.ws.bid(sent.meta.id).await.unwrap().origin.external_id.unwrap();
    server.set_bid_status(&external, wire::BidStatus::Shortlisted).unwrap();
    sync(&engine, &h.ws).await;
    h.ws.update_bid(sent.meta.id, BidPatch { proposal: Some("edited offline".into()), ..Default::default() })
        .await
        .unwrap();
    let queued = draft(&h.ws, &jobs[1], "queued, never sent").await;
    h.ws.submit_bid(queued.meta.id).await.unwrap();
    let kept_draft = draft(&h.ws, &jobs[2], "a draft").await;
    let logged = h.ws.transparency_log(10_000).await.unwrap().len();
    let requests = server.received().len();

    let preview = h.ws.market_account_removal_preview(h.account).await.unwrap();
    assert_eq!(preview.unsent_changes, 2, "the queued edit and the queued create: {preview:?}");
    assert_eq!(preview.back_to_draft, 1);
    assert_eq!((preview.kept_jobs, preview.kept_bids, preview.kept_milestones), (8, 1, 0));
    assert_eq!(h.ws.market_accounts().await.unwrap().len(), 1, "a preview changes nothing");

    let removal = h.ws.remove_market_account(h.account).await.unwrap();
    assert_eq!(removal.unsent_changes, preview.unsent_changes);
    assert_eq!(removal.keychain_note, None);
    assert!(h.ws.market_accounts().await.unwrap().is_empty());
    assert!(h.ws.outbox().await.unwrap().is_empty(), "nothing is left to send");
    assert!(h.ws.saved_searches().await.unwrap().is_empty());
    let status = h.ws.sync_status().await.unwrap();
    assert_eq!((status.queued, status.failed.len(), status.accounts.len()), (0, 0, 0));

    // The records stay, unlinked, and say where they came from.
    assert_eq!(all_jobs(&h.ws).await.len(), 8);
    for job in all_jobs(&h.ws).await {
        assert_eq!(job.origin.external_id, None);
        assert_eq!(job.origin.source.as_deref(), Some("Sim (disconnected)"));
    }
    let was_sent = h.ws.bid(sent.meta.id).await.unwrap();
    assert_eq!(was_sent.status, BidStatus::Shortlisted, "the marketplace's last word stays");
    assert_eq!(was_sent.proposal, "edited offline", "my edit stays here");
    assert_eq!((was_sent.origin.external_id, was_sent.server_version), (None, None));
    assert_eq!(h.ws.bid(queued.meta.id).await.unwrap().status, BidStatus::Draft, "never sent: back to draft");
    assert_eq!(h.ws.bid(kept_draft.meta.id).await.unwrap().status, BidStatus::Draft);
    assert_eq!(all_bids(&h.ws).await.len(), 3);
    h.ws.update_bid(sent.meta.id, BidPatch { proposal: Some("again".into()), ..Default::default() }).await.unwrap();
    assert!(h.ws.outbox().await.unwrap().is_empty(), "an edit of an unlinked bid queues nothing");
    let awarded = h.ws.set_bid_status(sent.meta.id, BidStatus::Awarded).await.unwrap();
    assert_eq!(awarded.status, BidStatus::Awarded, "an unlinked bid's status is the user's to move");

    // Nothing can be queued for the gone marketplace, and a sync sends nothing.
    let err = h.ws.submit_bid(queued.meta.id).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Validation, "{err}");
    sync(&engine, &h.ws).await;
    assert_eq!(server.received().len(), requests, "no request after the disconnect");

    // What was sent stays on record; the disconnect is audited, without names.
    assert_eq!(h.ws.transparency_log(10_000).await.unwrap().len(), logged);
    let audit = h.ws.audit_log().await.unwrap();
    let last = audit.last().unwrap();
    assert_eq!(last.action, "market_disconnect");
    assert!(!last.detail.contains("Sim"), "{}", last.detail);
    assert!(h.ws.verify_audit_log().await.unwrap().is_none());

    let err = h.ws.remove_market_account(h.account).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Validation, "a second removal finds no account: {err}");
}

#[tokio::test]
async fn disconnecting_deletes_the_keychain_token_after_the_commit() {
    let server = sim(2, 0.0).await;
    let keychain = Arc::new(TokenKeychain::default());
    let (_dir, ws) = workspace_with(keychain.clone()).await;
    let account = ws
        .add_market_account("Sim", &server.base_url(), ApiToken::new("sim-token".into()), ConsentMethod::Cli)
        .await
        .unwrap();
    assert_eq!(account.token_store, "keychain");
    assert_eq!(keychain.entries.lock().unwrap().len(), 1);
    ws.remove_market_account(account.id).await.unwrap();
    assert!(keychain.entries.lock().unwrap().is_empty(), "the token is gone from the keychain");
}

#[tokio::test]
async fn a_keychain_that_never_answers_leaves_the_token_in_the_workspace_and_says_so() {
    let server = sim(4, 0.0).await;
    let keychain = Arc::new(TokenKeychain::default());
    let (_dir, ws) = workspace_with(keychain.clone()).await;
    keychain.silent.store(true, Ordering::SeqCst);
    let token = ApiToken::new("sim-token".into());
    let account = ws.add_market_account("Sim", &server.base_url(), token, ConsentMethod::Ui).await.unwrap();
    assert_eq!(account.token_store, "database");
    assert_eq!(
        account.token_note.as_deref(),
        Some("token kept in the encrypted workspace: the keychain did not answer")
    );
    // The token kept there works, and nothing on the way asks the keychain.
    let too_long = Some("word ".repeat(41));
    let err = ws.add_saved_search(account.id, "long", too_long, vec![]).await.unwrap_err();
    assert_eq!(err.to_string(), "query: is longer than 200 characters", "the marketplace would refuse it");
    ws.add_saved_search(account.id, "all", None, vec![]).await.unwrap();
    let report = sync(&engine(31), &ws).await;
    assert_eq!(report.pulled, 4, "{report:?}");
    let removal = ws.remove_market_account(account.id).await.unwrap();
    assert_eq!(removal.keychain_note, None, "the token was never in the keychain: {removal:?}");
}

#[tokio::test]
async fn a_keychain_that_stops_answering_holds_back_only_that_account() {
    let server = sim(3, 0.0).await;
    let keychain = Arc::new(TokenKeychain::default());
    let (_dir, ws) = workspace_with(keychain.clone()).await;
    let in_keychain = ws
        .add_market_account("Keychain", &server.base_url(), ApiToken::new("sim-token".into()), ConsentMethod::Ui)
        .await
        .unwrap();
    assert_eq!((in_keychain.token_store.as_str(), in_keychain.token_note), ("keychain", None));
    keychain.silent.store(true, Ordering::SeqCst);
    let in_database = ws
        .add_market_account("Database", &server.base_url(), ApiToken::new("sim-token".into()), ConsentMethod::Ui)
        .await
        .unwrap();
    ws.add_saved_search(in_database.id, "all", None, vec![]).await.unwrap();

    let report = sync(&engine(32), &ws).await;
    assert!(report.interrupted, "{report:?}");
    assert_eq!(report.pulled, 3, "the other account synced: {report:?}");
    let stuck = ws.market_account(in_keychain.id).await.unwrap();
    assert!(stuck.last_error.as_deref().unwrap_or_default().contains("did not answer"), "{stuck:?}");

    // Answering again, the account syncs again.
    keychain.silent.store(false, Ordering::SeqCst);
    let report = sync(&engine(33), &ws).await;
    assert!(!report.interrupted, "{report:?}");
}

/// The real keychain (gnome-keyring in CI), on a keychain workspace: the
/// token goes there through a thread of its own, sync reads it back,
/// disconnecting deletes it.
#[tokio::test]
async fn with_the_os_keychain_the_token_is_stored_read_and_deleted_there() {
    let Some(keychain) = support::os_keychain() else { return };
    let server = sim(2, 0.0).await;
    let (_dir, ws) = workspace_with(keychain.clone()).await;
    let account = ws
        .add_market_account("Sim", &server.base_url(), ApiToken::new("sim-token".into()), ConsentMethod::Cli)
        .await
        .unwrap();
    assert_eq!((account.token_store.as_str(), account.token_note.as_deref()), ("keychain", None));
    let entry = format!("market-token-{}", account.id);
    assert_eq!(keychain.load_text(&entry).unwrap().as_str(), "sim-token");
    ws.add_saved_search(account.id, "all", None, vec![]).await.unwrap();
    assert_eq!(sync(&engine(34), &ws).await.pulled, 2, "the token read from the keychain works");
    let removal = ws.remove_market_account(account.id).await.unwrap();
    assert_eq!(removal.keychain_note, None);
    assert!(matches!(keychain.load_text(&entry), Err(VaultError::KeychainEntryMissing)), "the entry is gone");
}

/// The real keychain, on a passphrase workspace: the token never enters it
/// (anyone in the session could read it there without the passphrase); it is
/// kept inside the encrypted database, and sync authenticates with it.
#[tokio::test]
async fn on_a_passphrase_workspace_the_token_stays_out_of_the_os_keychain() {
    let Some(keychain) = support::os_keychain() else { return };
    let server = sim(3, 0.0).await;
    let (_dir, ws) = workspace_protected_by(keychain.clone(), Protection::Passphrase(support::passphrase())).await;
    let account = ws
        .add_market_account("Sim", &server.base_url(), ApiToken::new("sim-token".into()), ConsentMethod::Cli)
        .await
        .unwrap();
    assert_eq!((account.token_store.as_str(), account.token_note.as_deref()), ("database", None));
    let entry = format!("market-token-{}", account.id);
    assert!(matches!(keychain.load_text(&entry), Err(VaultError::KeychainEntryMissing)), "no entry in the keychain");
    ws.add_saved_search(account.id, "all", None, vec![]).await.unwrap();
    assert_eq!(sync(&engine(35), &ws).await.pulled, 3, "the token kept in the workspace authenticates");
    // A new token (after "token expired") goes the same way.
    ws.set_market_token(account.id, ApiToken::new("sim-token".into())).await.unwrap();
    assert_eq!(ws.market_account(account.id).await.unwrap().token_store, "database");
    assert!(matches!(keychain.load_text(&entry), Err(VaultError::KeychainEntryMissing)));
}

/// The same with the test keychain, which answers everything: nothing is
/// stored in it at all, on any path.
#[tokio::test]
async fn a_passphrase_workspace_asks_the_keychain_nothing_about_tokens() {
    let server = sim(2, 0.0).await;
    let keychain = Arc::new(TokenKeychain::default());
    let (_dir, ws) = workspace_protected_by(keychain.clone(), Protection::Passphrase(support::passphrase())).await;
    let account = ws
        .add_market_account("Sim", &server.base_url(), ApiToken::new("sim-token".into()), ConsentMethod::Ui)
        .await
        .unwrap();
    assert_eq!(account.token_store, "database");
    assert!(keychain.entries.lock().unwrap().is_empty(), "no token in the keychain");
    ws.add_saved_search(account.id, "all", None, vec![]).await.unwrap();
    assert_eq!(sync(&engine(36), &ws).await.pulled, 2);
}

/// The bids board reads the accounts with its columns: a card's buttons
/// follow what its marketplace can do.
#[tokio::test]
async fn the_bids_board_brings_the_connected_accounts() {
    let server = sim(1, 0.0).await;
    let (_dir, ws) = workspace_with(Arc::new(TokenKeychain::default())).await;
    assert!(ws.bid_board(&BidFilter::default(), &[]).await.unwrap().accounts.is_empty());
    let token = ApiToken::new("sim-token".into());
    let account = ws.add_market_account("Sim", &server.base_url(), token, ConsentMethod::Cli).await.unwrap();
    let board = ws.bid_board(&BidFilter::default(), &[]).await.unwrap();
    assert_eq!(board.accounts, ws.market_accounts().await.unwrap());
    assert_eq!(board.accounts.iter().map(|a| a.id).collect::<Vec<_>>(), [account.id]);
}
