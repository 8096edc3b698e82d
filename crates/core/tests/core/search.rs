//! Search finds records by a word prefix of any searchable field, ranks
//! title matches first and then the newest, follows deletes and restores,
//! never shows that its index trails the tables, and `check_search_index`
//! (run by `bidwell doctor`) finds and mends an index that disagrees.

use std::collections::BTreeMap;

use bidwell_core::*;
use proptest::prelude::*;

use crate::support::*;

#[tokio::test]
async fn finds_by_prefix_of_any_field_until_deleted_and_again_after_restore() {
    let (_dir, ws) = new_workspace().await;
    let client = ws
        .create_client(NewClient {
            name: "Quentin Marlowe".into(),
            email: Some("qmarlowe@harbourlight.example".into()),
            phone: Some("+44 20 7946 0958".into()),
            company: Some("Harbourlight Studios".into()),
            notes: "Prefers Zürich-based suppliers".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    ws.create_client(NewClient { name: "Someone Else".into(), ..Default::default() }).await.unwrap();
    for query in ["quen", "marl", "qmarl", "harbourl", "stud", "zurich", "Zür", "7946"] {
        let hits = ws.search(query, 10).await.unwrap();
        assert_eq!(hits.len(), 1, "{query}: {hits:?}");
        assert_eq!((hits[0].kind, hits[0].id), (EntityKind::Client, client.meta.id), "{query}");
    }
    assert!(ws.search("nothing-like-this", 10).await.unwrap().is_empty());

    ws.delete(EntityKind::Client, client.meta.id).await.unwrap();
    assert!(ws.search("harbourl", 10).await.unwrap().is_empty(), "a deleted client is still found");
    ws.restore(EntityKind::Client, client.meta.id).await.unwrap();
    assert_eq!(ws.search("harbourl", 10).await.unwrap().len(), 1, "a restored client is not found");

    ws.update_client(client.meta.id, ClientPatch { company: Some(Some("Lantern Works".into())), ..Default::default() })
        .await
        .unwrap();
    assert!(ws.search("harbourl studios", 10).await.unwrap().is_empty(), "the old company is still indexed");
    assert_eq!(ws.search("lantern", 10).await.unwrap().len(), 1);

    // Writing the same text back (sync does, on every acknowledgement) leaves
    // the entry as it was: found once, by old and new words alike.
    ws.update_client(client.meta.id, ClientPatch { company: Some(Some("Lantern Works".into())), ..Default::default() })
        .await
        .unwrap();
    for query in ["lantern", "quen", "zurich"] {
        assert_eq!(ws.search(query, 10).await.unwrap().len(), 1, "{query} after an unchanged write");
    }
}

#[tokio::test]
async fn hits_are_typed_across_entities() {
    let (_dir, ws) = new_workspace().await;
    let client = ws.create_client(NewClient { name: "Acme".into(), ..Default::default() }).await.unwrap();
    let subject = Subject { kind: EntityKind::Client, id: client.meta.id };
    let contact = ws
        .create_contact(NewContact {
            client_id: Some(client.meta.id),
            name: "Ximena Oyelaran".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let project = ws
        .create_project(NewProject { client_id: Some(client.meta.id), name: "Oyster app".into(), ..Default::default() })
        .await
        .unwrap();
    let job = ws
        .create_job(NewJob { title: "Rust dev".into(), skills: vec!["Oyelang".into()], ..Default::default() })
        .await
        .unwrap();
    let bid = ws
        .create_bid(NewBid {
            job_id: Some(job.meta.id),
            amount_minor: 1,
            currency: "USD".into(),
            delivery_days: 1,
            proposal: "I love oysters".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let ms = ws
        .create_milestone(NewMilestone {
            project_id: Some(project.meta.id),
            title: "Oyster v1".into(),
            amount_minor: 1,
            currency: "USD".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let note = ws
        .create_activity(NewActivity { subject, kind: None, body: "Met at the oyster bar".into(), occurred_at: None })
        .await
        .unwrap();
    let task = ws.create_task(NewTask { title: "Send oyster photos".into(), ..Default::default() }).await.unwrap();

    let mut found: Vec<(EntityKind, Id)> =
        ws.search("oy", 50).await.unwrap().into_iter().map(|h| (h.kind, h.id)).collect();
    found.sort_by_key(|(k, _)| k.as_str());
    let mut want = vec![
        (EntityKind::Contact, contact.meta.id),
        (EntityKind::Project, project.meta.id),
        (EntityKind::Job, job.meta.id),
        (EntityKind::Bid, bid.meta.id),
        (EntityKind::Milestone, ms.meta.id),
        (EntityKind::Activity, note.meta.id),
        (EntityKind::Task, task.meta.id),
    ];
    want.sort_by_key(|(k, _)| k.as_str());
    assert_eq!(found, want);
    // Operators typed by the user are words, not syntax.
    assert!(ws.search("oy OR NOT \"", 50).await.is_ok());
}

#[tokio::test]
async fn title_matches_come_first_then_the_newest() {
    let (_dir, ws) = new_workspace().await;
    let client = |name: &str, notes: &str| NewClient { name: name.into(), notes: notes.into(), ..Default::default() };
    let old_mention = ws.create_client(client("Other", "met quixotic people")).await.unwrap().meta.id;
    let old_title = ws.create_client(client("Quixotic Ltd", "")).await.unwrap().meta.id;
    let new_mention = ws.create_client(client("Newer", "a quixotic plan, ltd")).await.unwrap().meta.id;
    let new_title = ws.create_client(client("Quixotic Two", "")).await.unwrap().meta.id;
    let ids = |hits: Vec<SearchHit>| hits.into_iter().map(|h| h.id).collect::<Vec<_>>();

    assert_eq!(ids(ws.search("quixotic", 10).await.unwrap()), vec![new_title, old_title, new_mention, old_mention]);
    // Every word in the title beats the words spread over title and notes.
    assert_eq!(ids(ws.search("quix ltd", 10).await.unwrap()), vec![old_title, new_mention]);
    // The limit takes the best: both titles before any mention.
    assert_eq!(ids(ws.search("quixotic", 2).await.unwrap()), vec![new_title, old_title]);

    // A vague query with thousands of matches answers at once, in the same order.
    for i in 0..2100 {
        ws.create_client(client(&format!("Prolific client {i}"), "")).await.unwrap();
    }
    let newest_title = ws.create_client(client("Prolific last", "")).await.unwrap().meta.id;
    ws.create_client(client("Mentioned", "prolific in the notes only")).await.unwrap();
    let hits = ws.search("prol", 10).await.unwrap();
    assert_eq!(hits.len(), 10);
    assert_eq!(hits[0].id, newest_title, "{:?}", hits[0]);
    assert!(hits.iter().all(|h| h.title.starts_with("Prolific")), "a notes-only match outranked a title: {hits:?}");
}

#[tokio::test]
async fn a_record_saved_and_searched_at_once_is_found() {
    let (_dir, ws) = new_workspace().await;
    // Hundreds queued at once (an import-sized batch), then one more.
    let rows: Vec<NewClient> =
        (0..500).map(|i| NewClient { name: format!("Batchling {i:03}"), ..Default::default() }).collect();
    for row in rows {
        ws.create_client(row).await.unwrap();
    }
    for i in 0..20 {
        let saved = ws
            .create_client(NewClient { name: format!("Freshly saved {i} Zephyrine"), ..Default::default() })
            .await
            .unwrap();
        let hits = ws.search(&format!("zephyr {i}"), 5).await.unwrap();
        assert!(hits.iter().any(|h| h.id == saved.meta.id), "saved {i} and not found: {hits:?}");
        // Renamed: found by the new name at once, never by the old one.
        ws.update_client(
            saved.meta.id,
            ClientPatch { name: Some(format!("Renamed {i} Quillon")), ..Default::default() },
        )
        .await
        .unwrap();
        assert!(ws.search(&format!("quillon {i}"), 5).await.unwrap().iter().any(|h| h.id == saved.meta.id));
        assert!(!ws.search(&format!("zephyrine {i}"), 50).await.unwrap().iter().any(|h| h.id == saved.meta.id));
    }
    assert_eq!(ws.search("batchling 499", 5).await.unwrap().len(), 1);
    // A job's new title reaches the bids that are found by it.
    let job = ws.create_job(NewJob { title: "Kestrel survey".into(), ..Default::default() }).await.unwrap();
    let bid = ws
        .create_bid(NewBid {
            job_id: Some(job.meta.id),
            amount_minor: 1,
            currency: "USD".into(),
            delivery_days: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(ws.search("kestrel", 5).await.unwrap().iter().any(|h| h.id == bid.meta.id));
    ws.update_job(job.meta.id, JobPatch { title: Some("Osprey survey".into()), ..Default::default() }).await.unwrap();
    let hits = ws.search("osprey", 5).await.unwrap();
    assert!(hits.iter().any(|h| h.id == bid.meta.id && h.title == "Osprey survey"), "{hits:?}");
    assert!(ws.search("kestrel", 5).await.unwrap().is_empty());
}

async fn queued(dir: &std::path::Path) -> i64 {
    let mut conn = raw_connection(dir).await;
    let n = sqlx::query_scalar("SELECT count(*) FROM search_pending").fetch_one(&mut conn).await.unwrap();
    sqlx::Connection::close(conn).await.unwrap();
    n
}

#[tokio::test]
async fn an_erased_or_deleted_record_is_never_found_even_while_its_batch_is_queued() {
    let (dir, ws) = new_workspace().await;
    ws.define_custom_field(NewCustomField {
        entity_kind: EntityKind::Client,
        name: "Code".into(),
        field_type: CustomFieldType::Text,
        choices: vec![],
    })
    .await
    .unwrap();
    let named = |name: &str| NewClient { name: name.into(), ..Default::default() };
    // Indexed first, then rewritten: its new text waits in the queue.
    let rewritten = ws.create_client(named("Plain name")).await.unwrap().meta.id;
    assert_eq!(ws.search("plain", 5).await.unwrap().len(), 1);
    ws.update_client(rewritten, ClientPatch { notes: Some("wyvernmark".into()), ..Default::default() }).await.unwrap();
    let soft_deleted = ws.create_client(named("Wyvernmark soft")).await.unwrap().meta.id;
    let erased = ws.create_client(named("Wyvernmark erased")).await.unwrap().meta.id;
    let by_value = ws
        .create_client(NewClient {
            name: "Valued".into(),
            fields: BTreeMap::from([("Code".to_string(), "wyvernmark-7".to_string())]),
            ..Default::default()
        })
        .await
        .unwrap()
        .meta
        .id;
    let kept = ws.create_client(named("Wyvernmark kept")).await.unwrap().meta.id;
    assert!(queued(dir.path()).await >= 5, "the batch was indexed before the deletes: this test tests nothing");

    ws.delete(EntityKind::Client, soft_deleted).await.unwrap();
    ws.erase_client(erased).await.unwrap();
    ws.delete(EntityKind::Client, by_value).await.unwrap();
    ws.delete(EntityKind::Client, rewritten).await.unwrap();
    let found: Vec<Id> = ws.search("wyvernmark", 50).await.unwrap().into_iter().map(|h| h.id).collect();
    assert_eq!(found, vec![kept]);
    assert!(ws.search("plain", 5).await.unwrap().is_empty());
    assert!(ws.search("erased", 5).await.unwrap().is_empty());

    // And the erased name left no term behind in the index.
    let mut conn = raw_connection(dir.path()).await;
    sqlx::query("CREATE VIRTUAL TABLE temp.terms USING fts5vocab(main, search_fts, 'row')")
        .execute(&mut conn)
        .await
        .unwrap();
    let terms: Vec<String> =
        sqlx::query_scalar("SELECT term FROM temp.terms WHERE term LIKE 'erased%'").fetch_all(&mut conn).await.unwrap();
    assert!(terms.is_empty(), "{terms:?}");
    assert_eq!(queued(dir.path()).await, 0);
}

#[tokio::test]
async fn the_check_finds_and_mends_an_index_that_disagrees_with_the_tables() {
    let (dir, ws) = new_workspace().await;
    let named = |name: &str| NewClient { name: name.into(), ..Default::default() };
    let dropped = ws.create_client(named("Dropped Albatross")).await.unwrap().meta.id;
    let rewritten = ws.create_client(named("True Bittern")).await.unwrap().meta.id;
    ws.create_client(named("Steady Cormorant")).await.unwrap();
    let clean = ws.check_search_index(false).await.unwrap();
    assert!(clean.in_step(), "{clean:?}");
    assert_eq!(clean.documents, 3);

    // What a bug or an interrupted rebuild could leave: a record missing, a
    // text that is not the record's, a document for no record, and text
    // for no document.
    let mut conn = raw_connection(dir.path()).await;
    for sql in [
        "DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = ?1)",
        "DELETE FROM search_doc WHERE entity_id = ?1",
    ] {
        sqlx::query(sql).bind(dropped.to_string()).execute(&mut conn).await.unwrap();
    }
    sqlx::query("UPDATE search_fts SET title = 'False Dipper' WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = ?)")
        .bind(rewritten.to_string())
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("INSERT INTO search_doc (doc_id, kind, entity_id) VALUES (900001, 'client', '0190a8f0-0000-7000-8000-000000000001')")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO search_fts (rowid, title, body) VALUES (900001, 'Ghost Egret', ''), (900002, 'Phantom Egret', '')",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::Connection::close(conn).await.unwrap();
    assert!(ws.search("albatross", 5).await.unwrap().is_empty(), "the damage did not take");
    assert_eq!(ws.search("dipper", 5).await.unwrap().len(), 1, "the damage did not take");

    let found = ws.check_search_index(false).await.unwrap();
    assert_eq!((found.missing, found.stale, found.orphaned, found.repaired), (1, 1, 2, false), "{found:?}");
    assert!(!found.in_step());
    let mended = ws.check_search_index(true).await.unwrap();
    assert_eq!((mended.missing, mended.stale, mended.orphaned, mended.repaired), (1, 1, 2, true), "{mended:?}");
    assert_eq!(mended.documents, 3);
    let after = ws.check_search_index(false).await.unwrap();
    assert!(after.in_step(), "{after:?}");

    let ids = |hits: Vec<SearchHit>| hits.into_iter().map(|h| h.id).collect::<Vec<_>>();
    assert_eq!(ids(ws.search("albatross", 5).await.unwrap()), vec![dropped]);
    assert_eq!(ids(ws.search("bittern", 5).await.unwrap()), vec![rewritten]);
    assert!(ws.search("dipper", 5).await.unwrap().is_empty());
    assert!(ws.search("egret", 5).await.unwrap().is_empty());

    // FTS5's own index lost its leaves (the text it keeps is whole): found by
    // FTS5's check, rebuilt from that text.
    let mut conn = raw_connection(dir.path()).await;
    sqlx::query("DELETE FROM search_fts_data WHERE id > 10").execute(&mut conn).await.unwrap();
    sqlx::Connection::close(conn).await.unwrap();
    let broken = ws.check_search_index(false).await.unwrap();
    assert!(broken.damaged && !broken.in_step(), "{broken:?}");
    assert!(ws.check_search_index(true).await.unwrap().repaired);
    assert!(ws.check_search_index(false).await.unwrap().in_step());
    assert_eq!(ids(ws.search("cormorant", 5).await.unwrap()).len(), 1);
}

#[tokio::test]
async fn an_import_whose_indexing_fails_is_saved_and_says_search_will_catch_up() {
    let (dir, ws) = new_workspace().await;
    let dir = dir.path();
    let csv = dir.join("clients.csv");
    std::fs::write(&csv, "name,email\nMarrowfield Ltd,ops@marrowfield.example\nTansy & Co,hi@tansy.example\n").unwrap();
    // Indexing breaks after the rows are committed (a trigger the app never has).
    let mut conn = raw_connection(dir).await;
    sqlx::query(
        "CREATE TRIGGER refuse_indexing BEFORE INSERT ON search_doc BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let options = portability::ImportOptions { kind: Some(portability::ImportKind::Clients), ..Default::default() };
    let summary = ws
        .import(&csv, &options, None, &mut |_| {}, &std::sync::atomic::AtomicBool::new(false))
        .await
        .expect("the rows are saved, so the import is not an error");
    assert!(summary.search_index_pending);
    assert_eq!(summary.counts.clients, 2);
    assert_eq!(ws.list_clients(&ClientFilter::default(), &PageRequest::default()).await.unwrap().items.len(), 2);
    assert_eq!(queued(dir).await, 2);
    // Once indexing works again, the next search indexes them first.
    sqlx::query("DROP TRIGGER refuse_indexing").execute(&mut conn).await.unwrap();
    sqlx::Connection::close(conn).await.unwrap();
    let hits = ws.search("marrowfield", 5).await.unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(queued(dir).await, 0);
}

async fn paused(dir: &std::path::Path) -> i64 {
    let mut conn = raw_connection(dir).await;
    let n = sqlx::query_scalar("SELECT count(*) FROM search_queue_paused").fetch_one(&mut conn).await.unwrap();
    sqlx::Connection::close(conn).await.unwrap();
    n
}

#[tokio::test]
async fn an_import_indexes_its_own_rows_and_leaves_the_queue_on_for_every_other_write() {
    let (dir, ws) = new_workspace().await;
    let dir = dir.path();
    let csv = dir.join("clients.csv");
    std::fs::write(&csv, "name,notes\nMarrowfield Ltd,met at Leeds\nTansy & Co,\n").unwrap();
    let options = portability::ImportOptions { kind: Some(portability::ImportKind::Clients), ..Default::default() };
    let import = |cancel: bool| {
        let (ws, csv, options) = (&ws, &csv, &options);
        async move { ws.import(csv, options, None, &mut |_| {}, &std::sync::atomic::AtomicBool::new(cancel)).await }
    };

    // Cancelled before the commit: nothing written, and the queue not left paused.
    assert!(matches!(import(true).await, Err(Error::Cancelled)));
    assert_eq!((paused(dir).await, queued(dir).await), (0, 0));

    let summary = import(false).await.unwrap();
    assert!(!summary.search_index_pending);
    assert_eq!((paused(dir).await, queued(dir).await), (0, 0), "indexed in the import's own transaction");
    let report = ws.check_search_index(false).await.unwrap();
    assert!(report.in_step() && report.documents == 2, "{report:?}");
    assert_eq!(ws.search("leeds", 5).await.unwrap()[0].title, "Marrowfield Ltd");

    // Any other write queues as before, and is found.
    ws.create_client(NewClient { name: "Quillon Partners".into(), ..Default::default() }).await.unwrap();
    assert_eq!(queued(dir).await, 1);
    assert_eq!(ws.search("quillon", 5).await.unwrap().len(), 1);
}

/// Names made of words over letters the tokenizer keeps as they are
/// (lowercased): ASCII, digits, and letters without a decomposition.
fn name() -> impl Strategy<Value = String> {
    let word = proptest::string::string_regex("[pPmMa1ø][a-z0-9øæß]{0,3}").unwrap();
    proptest::collection::vec(word, 1..4).prop_map(|words| words.join(" "))
}

/// What a user expects of one typed character: every record with a word
/// that starts with it, whatever the word's second character.
fn starts_a_word(name: &str, first: char) -> bool {
    name.split(|c: char| !c.is_alphanumeric())
        .any(|w| w.chars().next().is_some_and(|c| c.to_lowercase().eq(first.to_lowercase())))
}

async fn one_character_searches_find_every_word_it_starts(names: Vec<String>) {
    let (_dir, ws) = new_workspace().await;
    let mut ids = BTreeMap::new();
    for name in &names {
        let id = ws.create_client(NewClient { name: name.clone(), ..Default::default() }).await.unwrap().meta.id;
        ids.insert(id, name.clone());
    }
    for typed in ["p", "M", "1", "ø", "m ma"] {
        let mut found: Vec<Id> = ws.search(typed, 200).await.unwrap().into_iter().map(|h| h.id).collect();
        found.sort();
        let words: Vec<&str> = typed.split(' ').collect();
        let want: Vec<Id> = ids
            .iter()
            .filter(|(_, name)| {
                words.iter().all(|w| match w.chars().count() {
                    1 => starts_a_word(name, w.chars().next().unwrap()),
                    _ => name.to_lowercase().split(' ').any(|n| n.starts_with(&w.to_lowercase())),
                })
            })
            .map(|(id, _)| *id)
            .collect();
        assert_eq!(found, want, "{typed:?} in {names:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]
    /// A one-character word is asked as itself or its two-character prefixes
    /// (search.rs): the same records as every word it starts, "Møller" for m.
    #[test]
    fn a_one_character_search_finds_what_a_prefix_would(names in proptest::collection::vec(name(), 1..40)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(one_character_searches_find_every_word_it_starts(names));
    }
}
