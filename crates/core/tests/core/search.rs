//! Search finds records by a word prefix of any searchable field, and
//! follows deletes and restores.

use bidwell_core::*;

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
async fn a_vague_query_still_answers_with_recent_matches_and_a_precise_one_ranks() {
    let (_dir, ws) = new_workspace().await;
    // More matches than are ranked: the answer is the newest ones, in full.
    let mut batch = Vec::new();
    for i in 0..2100 {
        batch.push(NewClient { name: format!("Prolific client {i}"), ..Default::default() });
    }
    let mut last = None;
    for c in batch {
        last = Some(ws.create_client(c).await.unwrap().meta.id);
    }
    let hits = ws.search("prol", 10).await.unwrap();
    assert_eq!(hits.len(), 10);
    assert_eq!(hits[0].id, last.unwrap(), "the newest match comes first when there are too many to rank");
    // A selective query is ranked: the name match beats a mention in the notes.
    ws.create_client(NewClient { name: "Other".into(), notes: "met quixotic people".into(), ..Default::default() })
        .await
        .unwrap();
    let named = ws.create_client(NewClient { name: "Quixotic Ltd".into(), ..Default::default() }).await.unwrap();
    let ranked = ws.search("quixotic", 10).await.unwrap();
    assert_eq!(ranked.len(), 2);
    assert_eq!(ranked[0].id, named.meta.id, "{ranked:?}");
}
