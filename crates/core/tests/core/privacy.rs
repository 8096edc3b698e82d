//! Privacy controls as a user relies on them: an erased client is gone from
//! every file (checked in the decrypted pages too, not only in ciphertext),
//! erasure waits for pending money, consents are append-only and a withdrawal
//! counts at once, analytics stay off unless chosen, restriction hides a
//! client from search, retention runs by the clock, the audit log holds no
//! personal data and shows tampering, and wipe leaves nothing behind.

use std::path::Path;
use std::sync::Arc;

use aes::cipher::{BlockDecrypt, KeyInit};
use bidwell_core::privacy::*;
use bidwell_core::secret::Passphrase;
use bidwell_core::vault::{KeyFile, Protection, Unlock};
use bidwell_core::*;
use chrono::TimeZone;
use sqlx::Connection;

use crate::support::*;

const MARKER: &str = "zqxerase";
/// Phone numbers hold digits only, so they carry their own marker.
const PHONE_MARKER: &str = "7319024866";

/// Every page of the database decrypted as SQLCipher 4 lays it out (page
/// 4096 bytes, AES-256-CBC with the raw key, 16-byte IV then 64-byte HMAC at
/// the end of each page; page 1 starts with the 16-byte salt). Checks that
/// page 1 decrypts to a SQLite header, so a wrong layout fails loudly.
fn decrypted_pages(db: &Path, key_hex: &str) -> Vec<u8> {
    const PAGE: usize = 4096;
    const RESERVE: usize = 80;
    let key: [u8; 32] = hex::decode(key_hex).unwrap().try_into().unwrap();
    let cipher = aes::Aes256::new(&key.into());
    let bytes = std::fs::read(db).unwrap();
    assert_eq!(bytes.len() % PAGE, 0, "not whole pages");
    let mut out = Vec::with_capacity(bytes.len());
    for (n, page) in bytes.chunks(PAGE).enumerate() {
        let start = if n == 0 { 16 } else { 0 };
        let end = PAGE - RESERVE;
        let mut prev: [u8; 16] = page[end..end + 16].try_into().unwrap();
        let mut plain = vec![0u8; start];
        for block in page[start..end].chunks(16) {
            let mut b = aes::Block::clone_from_slice(block);
            cipher.decrypt_block(&mut b);
            for (p, x) in b.iter_mut().zip(prev.iter()) {
                *p ^= x;
            }
            plain.extend_from_slice(&b);
            prev = block.try_into().unwrap();
        }
        if n == 0 {
            assert_eq!(&plain[16..18], &[0x10, 0x00], "page 1 did not decrypt to a 4096-byte SQLite header");
            assert_eq!(plain[20] as usize, RESERVE, "unexpected reserved bytes per page");
        }
        out.extend_from_slice(&plain);
    }
    out
}

fn note(subject: Subject, body: String) -> NewActivity {
    NewActivity { subject, kind: None, body, occurred_at: None }
}

/// A client with the marker in every field it and its children have.
async fn marked_client(ws: &Workspace) -> (Client, Milestone) {
    let m = MARKER;
    let client = ws
        .create_client(NewClient {
            kind: Some(ClientKind::Company),
            name: format!("{m} Client"),
            email: Some(format!("{m}@example.org")),
            phone: Some(format!("+1 {PHONE_MARKER}")),
            company: Some(format!("{m} Company")),
            website: Some(format!("https://{m}.example")),
            country: Some(format!("{m}land")),
            notes: format!("notes {m}"),
            tags: vec![format!("{m}tag")],
            fields: Default::default(),
        })
        .await
        .unwrap();
    let on = |kind, id| Subject { kind, id };
    let contact = ws
        .create_contact(NewContact {
            client_id: Some(client.meta.id),
            name: format!("{m} Contact"),
            email: Some(format!("{m}.contact@example.org")),
            phone: Some(format!("{PHONE_MARKER}1")),
            role: Some(format!("{m} role")),
            notes: format!("contact notes {m}"),
            fields: Default::default(),
            tags: Default::default(),
        })
        .await
        .unwrap();
    let project = ws
        .create_project(NewProject {
            client_id: Some(client.meta.id),
            name: format!("{m} Project"),
            description: format!("project {m}"),
            ..Default::default()
        })
        .await
        .unwrap();
    let job = ws
        .create_job(NewJob {
            client_id: Some(client.meta.id),
            title: format!("{m} Job"),
            description: format!("job {m}"),
            url: Some(format!("https://jobs.example/{m}")),
            skills: vec![format!("{m}skill")],
            employer_name: Some(format!("{m} Employer")),
            ..Default::default()
        })
        .await
        .unwrap();
    ws.update_job(job.meta.id, JobPatch { my_notes: Some(format!("my {m}")), ..Default::default() }).await.unwrap();
    let bid = ws
        .create_bid(NewBid {
            job_id: Some(job.meta.id),
            project_id: Some(project.meta.id),
            amount_minor: 50_000,
            currency: "USD".into(),
            delivery_days: 10,
            proposal: format!("proposal {m}"),
            ..Default::default()
        })
        .await
        .unwrap();
    ws.set_bid_status(bid.meta.id, BidStatus::Submitted).await.unwrap();
    ws.set_bid_status(bid.meta.id, BidStatus::Awarded).await.unwrap();
    let pending = ws
        .create_milestone(NewMilestone {
            project_id: Some(project.meta.id),
            title: format!("{m} pending milestone"),
            amount_minor: 10_000,
            currency: "USD".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let paid = ws
        .create_milestone(NewMilestone {
            bid_id: Some(bid.meta.id),
            title: format!("{m} paid milestone"),
            amount_minor: 40_000,
            currency: "USD".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    ws.set_milestone_status(paid.meta.id, MilestoneStatus::Funded).await.unwrap();
    let paid = ws.set_milestone_status(paid.meta.id, MilestoneStatus::Released).await.unwrap();
    for subject in [
        on(EntityKind::Client, client.meta.id),
        on(EntityKind::Contact, contact.meta.id),
        on(EntityKind::Project, project.meta.id),
        on(EntityKind::Job, job.meta.id),
        on(EntityKind::Bid, bid.meta.id),
        on(EntityKind::Milestone, pending.meta.id),
        on(EntityKind::Milestone, paid.meta.id),
    ] {
        ws.create_activity(note(subject, format!("note about {m} on {}", subject.kind))).await.unwrap();
    }
    ws.create_task(NewTask {
        title: format!("{m} task"),
        notes: format!("task notes {m}"),
        subject: Some(on(EntityKind::Client, client.meta.id)),
        ..Default::default()
    })
    .await
    .unwrap();
    ws.record_consent(ConsentChange {
        client_id: Some(client.meta.id),
        purpose: ConsentPurpose::Processing,
        granted: true,
        basis: Some(ProcessingBasis::Contract),
        source: Some(format!("{m} contract")),
        evidence: Some(format!("signed copy in {m} folder")),
        method: ConsentMethod::Ui,
    })
    .await
    .unwrap();
    (client, paid)
}

fn assert_marker(bytes: &[u8], present: bool, what: &str) {
    for marker in [MARKER, PHONE_MARKER] {
        assert_eq!(contains(bytes, marker.as_bytes()), present, "{what}: '{marker}' present should be {present}");
    }
}

#[tokio::test]
async fn an_erased_client_is_gone_from_every_file_and_every_decrypted_page() {
    let (dir, ws) = new_workspace().await;
    let keeper = ws.create_client(NewClient { name: "Keeper".into(), ..Default::default() }).await.unwrap();
    let (client, paid) = marked_client(&ws).await;
    let ws = reopen(dir.path(), ws).await;
    // The check can fail: before erasure the decrypted pages hold the marker.
    assert_marker(&decrypted_pages(&dir.path().join("bidwell.db"), &data_key_hex(dir.path())), true, "before");

    let plan = ws.erase_client(client.meta.id).await.unwrap();
    assert_eq!(plan.deleted.get(&EntityKind::Client), Some(&1));
    assert_eq!(plan.deleted.get(&EntityKind::Milestone), Some(&1), "the pending milestone goes");
    assert_eq!(plan.deleted.get(&EntityKind::Activity), Some(&7));
    assert_eq!(plan.consents_deleted, 1);
    assert_eq!(plan.kept.len(), 1);
    assert_eq!((plan.kept[0].id, plan.kept[0].reason), (paid.meta.id, KeepReason::TaxRecord));

    // The paid milestone is kept for tax, with nothing personal left on it.
    let kept = ws.milestone(paid.meta.id).await.unwrap();
    assert_eq!((kept.project_id, kept.bid_id, kept.amount_minor), (None, None, 40_000));
    assert!(!kept.title.contains(MARKER) && kept.kept_reason.is_some(), "{kept:?}");
    assert_eq!(ws.client(client.meta.id).await.unwrap_err().code(), ErrorCode::NotFound);
    assert!(ws.search(MARKER, 50).await.unwrap().is_empty());
    assert_eq!(ws.client(keeper.meta.id).await.unwrap().name, "Keeper", "other clients are untouched");

    let entry = ws.audit_log().await.unwrap().pop().unwrap();
    assert_eq!(entry.action, "erase_client");
    for secret in [MARKER, &client.meta.id.to_string(), &client.name] {
        assert!(!entry.detail.contains(secret), "the audit entry names the client: {}", entry.detail);
    }
    assert!(ws.verify_audit_log().await.unwrap().is_none());
    ws.lock().await;

    for file in files_under(dir.path()) {
        // SQLite may still be removing the -wal and -shm files as the pool closes.
        if let Ok(bytes) = std::fs::read(&file) {
            assert_marker(&bytes, false, &file.display().to_string());
        }
    }
    let wal = dir.path().join("bidwell.db-wal");
    assert!(!wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0, "the WAL still holds pages");
    assert_marker(&decrypted_pages(&dir.path().join("bidwell.db"), &data_key_hex(dir.path())), false, "after");

    // The search index has no term of it left, not even one marked deleted.
    let mut conn = raw_connection(dir.path()).await;
    sqlx::query("CREATE VIRTUAL TABLE temp.terms USING fts5vocab(main, search_fts, 'row')")
        .execute(&mut conn)
        .await
        .unwrap();
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM temp.terms WHERE term LIKE ? OR term LIKE ?")
        .bind(format!("%{MARKER}%"))
        .bind(format!("%{PHONE_MARKER}%"))
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(left, 0);
    conn.close().await.unwrap();
}

#[tokio::test]
async fn erasure_waits_while_a_bid_is_pending_or_money_is_in_escrow() {
    let (_dir, ws) = new_workspace().await;
    let client = ws.create_client(NewClient { name: "Busy".into(), ..Default::default() }).await.unwrap();
    let job = ws.create_job(NewJob { client_id: Some(client.meta.id), title: "Job".into(), ..Default::default() });
    let job = job.await.unwrap();
    let bid = ws
        .create_bid(NewBid {
            job_id: Some(job.meta.id),
            amount_minor: 100,
            currency: "EUR".into(),
            delivery_days: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    ws.set_bid_status(bid.meta.id, BidStatus::Submitted).await.unwrap();

    let err = ws.erase_client(client.meta.id).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ErasureBlocked);
    assert!(err.to_string().contains("submitted"), "{err}");
    assert_eq!(ws.erasure_preview(client.meta.id).await.unwrap().blockers.len(), 1);
    assert_eq!(ws.client(client.meta.id).await.unwrap().name, "Busy", "a refused erasure changes nothing");

    ws.set_bid_status(bid.meta.id, BidStatus::Awarded).await.unwrap();
    let m = ws
        .create_milestone(NewMilestone {
            bid_id: Some(bid.meta.id),
            title: "Escrow".into(),
            amount_minor: 100,
            currency: "EUR".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    ws.set_milestone_status(m.meta.id, MilestoneStatus::Funded).await.unwrap();
    let err = ws.erase_client(client.meta.id).await.unwrap_err();
    assert!(err.to_string().contains("funded"), "{err}");

    ws.set_milestone_status(m.meta.id, MilestoneStatus::Refunded).await.unwrap();
    let plan = ws.erase_client(client.meta.id).await.unwrap();
    assert_eq!(plan.kept[0].reason, KeepReason::AccountingRecord);
}

fn user_change(purpose: ConsentPurpose, granted: bool) -> ConsentChange {
    ConsentChange {
        client_id: None,
        purpose,
        granted,
        basis: None,
        source: None,
        evidence: None,
        method: ConsentMethod::Cli,
    }
}

#[tokio::test]
async fn consents_are_a_ledger_and_a_withdrawal_stops_sharing_at_once() {
    let (dir, ws) = new_workspace().await;
    let client = ws.create_client(NewClient { name: "Ada".into(), ..Default::default() }).await.unwrap();
    let id = client.meta.id;
    assert!(ws.consents(None).await.unwrap().iter().all(|s| !s.granted), "nothing is given by default");
    assert!(!ws.sharing_allowed(id).await.unwrap());

    ws.record_consent(user_change(ConsentPurpose::MarketplaceSharing, true)).await.unwrap();
    assert!(ws.sharing_allowed(id).await.unwrap());
    let mut basis = user_change(ConsentPurpose::Processing, true);
    basis.client_id = Some(id);
    let err = ws.record_consent(basis.clone()).await.unwrap_err();
    let api = err.to_api();
    assert_eq!(
        (api.field.as_deref(), api.message.as_str()),
        (Some("basis"), "is required: contract, consent or legitimate_interest")
    );
    basis.basis = Some(ProcessingBasis::Consent);
    ws.record_consent(basis.clone()).await.unwrap();
    assert!(ws.sharing_allowed(id).await.unwrap());

    basis.granted = false;
    basis.basis = None;
    ws.record_consent(basis).await.unwrap();
    assert!(!ws.sharing_allowed(id).await.unwrap(), "the client withdrew: nothing of theirs is sent");
    let states = ws.consents(Some(id)).await.unwrap();
    let processing = states.iter().find(|s| s.purpose == ConsentPurpose::Processing).unwrap();
    assert!(!processing.granted);
    assert_eq!(ws.consent_history(Some(id)).await.unwrap().len(), 2, "a withdrawal adds a row");

    let wrong = user_change(ConsentPurpose::Marketing, true);
    assert_eq!(ws.record_consent(wrong).await.unwrap_err().code(), ErrorCode::Validation);
    let actions: Vec<String> = ws.audit_log().await.unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions.iter().filter(|a| *a == "consent_change").count(), 3);
    ws.lock().await;

    let mut conn = raw_connection(dir.path()).await;
    for tamper in ["UPDATE consents SET granted = 1", "DELETE FROM consents"] {
        assert!(sqlx::query(tamper).execute(&mut conn).await.is_err(), "{tamper} was allowed");
    }
    conn.close().await.unwrap();
}

#[tokio::test]
async fn analytics_are_off_until_chosen_and_opting_out_empties_the_queue() {
    let (_dir, ws) = new_workspace().await;
    assert!(!ws.analytics_enabled().await.unwrap());
    assert!(!ws.count_usage(UsageEvent::ClientCreated).await.unwrap(), "nothing is counted while off");

    ws.set_analytics(true, ConsentMethod::Ui).await.unwrap();
    ws.count_usage(UsageEvent::ClientCreated).await.unwrap();
    ws.count_usage(UsageEvent::ClientCreated).await.unwrap();
    let queued = ws.queued_usage().await.unwrap();
    assert_eq!((queued.len(), queued[0].count), (1, 2));

    let status = ws.set_analytics(false, ConsentMethod::Ui).await.unwrap();
    assert_eq!((status.enabled, status.queued, status.clear_webview_storage), (false, 0, true));
    assert!(ws.queued_usage().await.unwrap().is_empty());
    ws.webview_storage_cleared().await.unwrap();
    assert!(!ws.analytics_status().await.unwrap().clear_webview_storage);
    let last = ws.audit_log().await.unwrap().pop().unwrap();
    assert_eq!(last.action, "analytics_change");
    assert_eq!(ws.consents(None).await.unwrap()[0].purpose, ConsentPurpose::UsageAnalytics);
}

#[tokio::test]
async fn a_restricted_client_is_kept_marked_and_left_out_of_search() {
    let (_dir, ws) = new_workspace().await;
    let ada = ws.create_client(NewClient { name: "Adalinda".into(), ..Default::default() }).await.unwrap();
    ws.create_contact(NewContact { client_id: Some(ada.meta.id), name: "Adalinda Jr".into(), ..Default::default() })
        .await
        .unwrap();
    ws.record_consent(user_change(ConsentPurpose::MarketplaceSharing, true)).await.unwrap();
    assert_eq!(ws.search("adalinda", 10).await.unwrap().len(), 2);

    let restricted = ws.set_client_restricted(ada.meta.id, true).await.unwrap();
    assert!(restricted.restricted && ws.is_restricted(ada.meta.id).await.unwrap());
    assert!(ws.search("adalinda", 10).await.unwrap().is_empty(), "neither the client nor its contact is suggested");
    assert!(!ws.sharing_allowed(ada.meta.id).await.unwrap());
    assert_eq!(ws.client(ada.meta.id).await.unwrap().name, "Adalinda", "restricted is kept");
    let filter = ClientFilter { restricted: Some(true), ..Default::default() };
    assert_eq!(ws.list_clients(&filter, &PageRequest::default()).await.unwrap().items.len(), 1);
    assert_eq!(ws.audit_log().await.unwrap().pop().unwrap().action, "restriction_change");

    ws.set_client_restricted(ada.meta.id, false).await.unwrap();
    assert_eq!(ws.search("adalinda", 10).await.unwrap().len(), 2);
}

#[tokio::test]
async fn retention_erases_old_archived_clients_and_purges_old_deleted_records() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap()));
    let mut env = env();
    env.clock = clock.clone();
    let (ws, _) = Workspace::create(dir.path(), "Test", Protection::Passphrase(passphrase()), env).await.unwrap();
    assert_eq!(ws.retention().await.unwrap().rules, RetentionRules::default());
    let old = ws.create_client(NewClient { name: "Old".into(), ..Default::default() }).await.unwrap();
    ws.update_client(old.meta.id, ClientPatch { archived: Some(true), ..Default::default() }).await.unwrap();
    let gone = ws.create_client(NewClient { name: "Gone".into(), ..Default::default() }).await.unwrap();
    ws.delete(EntityKind::Client, gone.meta.id).await.unwrap();
    let fresh = ws.create_client(NewClient { name: "Fresh".into(), ..Default::default() }).await.unwrap();
    ws.set_retention(&RetentionRules { archived_client_months: Some(6), deleted_after_days: 30 }).await.unwrap();

    clock.advance(chrono::Duration::days(20));
    let summary = ws.run_retention().await.unwrap();
    assert_eq!((summary.archived_clients_erased, summary.purged.total), (0, 0), "nothing is old enough yet");

    clock.advance(chrono::Duration::days(200));
    ws.update_client(fresh.meta.id, ClientPatch { archived: Some(true), ..Default::default() }).await.unwrap();
    let summary = ws.run_retention().await.unwrap();
    assert_eq!(summary.archived_clients_erased, 1);
    assert_eq!(summary.purged.removed.get(&EntityKind::Client), Some(&2), "the archived and the deleted client");
    for id in [old.meta.id, gone.meta.id] {
        assert_eq!(ws.client(id).await.unwrap_err().code(), ErrorCode::NotFound);
    }
    assert_eq!(ws.client(fresh.meta.id).await.unwrap().name, "Fresh", "archived just now: kept");
    let status = ws.retention().await.unwrap();
    assert_eq!(status.last_run_at, Some(summary.ran_at));
    let entry = ws.audit_log().await.unwrap().pop().unwrap();
    assert_eq!(entry.action, "retention_run");
    assert!(!entry.detail.contains("Old") && !entry.detail.contains(&old.meta.id.to_string()), "{}", entry.detail);
    let bad = RetentionRules { archived_client_months: None, deleted_after_days: 0 };
    assert_eq!(ws.set_retention(&bad).await.unwrap_err().code(), ErrorCode::Validation);
}

#[tokio::test]
async fn retention_runs_by_itself_once_a_day() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap()));
    let mut env = env();
    env.clock = clock.clone();
    let (ws, _) = Workspace::create(dir.path(), "Test", Protection::Passphrase(passphrase()), env).await.unwrap();
    let first = ws.run_retention_if_due().await.unwrap().expect("never ran: due at once");
    clock.advance(chrono::Duration::hours(23));
    assert!(ws.run_retention_if_due().await.unwrap().is_none(), "ran less than a day ago");
    clock.advance(chrono::Duration::hours(2));
    let second = ws.run_retention_if_due().await.unwrap().expect("a day has passed");
    assert!(second.ran_at > first.ran_at);
}

#[tokio::test]
async fn audit_verification_names_the_first_edited_entry() {
    let (dir, ws) = new_workspace().await;
    ws.record_consent(user_change(ConsentPurpose::CrashReports, true)).await.unwrap();
    ws.record_consent(user_change(ConsentPurpose::CrashReports, false)).await.unwrap();
    let v = ws.audit_verification().await.unwrap();
    assert_eq!((v.entries, v.first_broken), (3, None));
    ws.lock().await;

    let mut conn = raw_connection(dir.path()).await;
    sqlx::query("DROP TRIGGER audit_log_append_only").execute(&mut conn).await.unwrap();
    sqlx::query("UPDATE audit_log SET detail = '{}' WHERE seq = 2").execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    let ws = Workspace::open(dir.path(), Unlock::Passphrase(passphrase()), env()).await.unwrap();
    assert_eq!(ws.audit_verification().await.unwrap().first_broken, Some(2));
}

#[tokio::test]
async fn the_overview_says_where_the_data_is_and_how_it_is_kept() {
    let (dir, ws) = new_workspace().await;
    let c = ws.create_client(NewClient { name: "Ada".into(), ..Default::default() }).await.unwrap();
    ws.set_client_restricted(c.meta.id, true).await.unwrap();
    let o = ws.privacy_overview().await.unwrap();
    assert_eq!(o.workspace_name, "Test");
    assert_eq!(o.paths.dir, dir.path());
    assert!(o.files.iter().any(|f| f.path.ends_with("bidwell.db") && f.bytes > 0));
    assert_eq!(o.encryption.key_storage, bidwell_core::vault::ProtectionKind::Passphrase);
    assert!(o.encryption.sqlcipher_version.starts_with('4'), "{:?}", o.encryption);
    assert!(o.encryption.cipher.contains("HMAC-SHA512"), "{:?}", o.encryption);
    assert_eq!(o.counts.get(&EntityKind::Client), Some(&1));
    assert_eq!(o.restricted_clients, 1);
    assert_eq!(o.last_export_at, None);
    assert_eq!(o.consents.len(), 4);
    assert!(!o.analytics.enabled);
}

fn assert_nothing_left(dir: &Path) {
    let left = files_under(dir);
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[tokio::test]
async fn wipe_asks_for_the_name_then_leaves_nothing_of_the_workspace() {
    let (dir, ws) = new_workspace().await;
    ws.create_client(NewClient { name: "Ada".into(), ..Default::default() }).await.unwrap();
    let err = Workspace::wipe_locked(dir.path(), "test", &NoKeychain, &Default::default()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Validation, "the name must match exactly");
    let ws = reopen(dir.path(), ws).await;
    // A key file staged by an interrupted rotation is a key too.
    std::fs::write(dir.path().join("bidwell.key.next"), b"staged").unwrap();
    let report = ws.wipe("Test").await.unwrap();
    assert!(report.key_shredded && !report.keychain_entry_removed);
    assert!(report.removed_files.iter().any(|f| f.ends_with("bidwell.key.next")));
    assert_nothing_left(dir.path());
    assert_eq!(Workspace::state(dir.path()).unwrap(), WorkspaceState::Missing);
}

#[tokio::test]
async fn wipe_removes_the_keychain_entry_first() {
    let Some(keychain) = os_keychain() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (ws, _) =
        Workspace::create(dir.path(), "Keyed", Protection::Keychain, env_with(keychain.clone())).await.unwrap();
    let account =
        bidwell_core::vault::keychain_account(KeyFile::load(&dir.path().join("bidwell.key")).unwrap().profile_id());
    assert!(keychain.load(&account).is_ok());
    let report = ws.wipe("Keyed").await.unwrap();
    assert!(report.keychain_entry_removed);
    assert_eq!(keychain.load(&account).unwrap_err().code(), ErrorCode::KeychainEntryMissing);
    assert_nothing_left(dir.path());
}

#[tokio::test]
async fn a_wrong_name_leaves_the_desktop_session_unlocked() {
    let dir = tempfile::tempdir().unwrap();
    let session = Session::new(dir.path().to_path_buf(), env());
    session.create("Mine", Protection::Passphrase(Passphrase::new(PASSPHRASE.into()))).await.unwrap();
    assert!(session.wipe("mine").await.is_err());
    assert!(session.workspace().await.is_ok(), "a typo must not lock or wipe");
    session.wipe("Mine").await.unwrap();
    assert_nothing_left(dir.path());
}

/// Found by the crash harness: a wipe killed while writing its marker's
/// temporary file left it beside an intact workspace. The marker counts only
/// under its final name, so the next open removes such leftovers.
#[tokio::test]
async fn a_wipe_killed_while_writing_its_marker_leaves_nothing_after_the_next_open() {
    let (dir, ws) = new_workspace().await;
    ws.create_client(NewClient { name: "Ada".into(), ..Default::default() }).await.unwrap();
    let leftover = dir.path().join("bidwell.wiping.Bd89ii");
    std::fs::write(&leftover, r#"{"name":"Test"}"#).unwrap();
    assert!(matches!(Workspace::state(dir.path()).unwrap(), WorkspaceState::Locked { .. }), "not a wipe marker");
    let ws = reopen(dir.path(), ws).await;
    assert!(!leftover.exists(), "the interrupted marker write is still there");
    assert_eq!(ws.list_clients(&Default::default(), &Default::default()).await.unwrap().items.len(), 1);
}

/// A key-file write killed before its rename leaves `.bidwell.key.tmp-*`
/// (wrapped keys, perhaps under a passphrase since changed): the next open
/// shreds it, for the live and the staged key file alike.
#[tokio::test]
async fn a_killed_key_file_writes_temporary_file_is_shredded_at_the_next_open() {
    let (dir, ws) = new_workspace().await;
    let leftovers = [
        dir.path().join(".bidwell.key.tmp-0011223344556677"),
        dir.path().join(".bidwell.key.next.tmp-8899aabbccddeeff"),
    ];
    for leftover in &leftovers {
        std::fs::copy(dir.path().join("bidwell.key"), leftover).unwrap();
    }
    let unrelated = dir.path().join(".bidwell.keyring-notes");
    std::fs::write(&unrelated, b"not ours to remove").unwrap();
    let _ws = reopen(dir.path(), ws).await;
    for leftover in &leftovers {
        assert!(!leftover.exists(), "{} is still there", leftover.display());
    }
    assert!(unrelated.exists(), "only the writes' temporary files go");
}
