//! Every entity round-trips with hostile text intact; lists page by keyset;
//! impossible moves are refused with stable codes; delete is undoable.

use bidwell_core::*;

use crate::support::*;

/// Accents, CJK, emoji, right-to-left, quotes, commas and newlines.
pub const HOSTILE: &str = "Zoë «Ōsaka» 東京 🚀 مرحبا \"quoted\", 'single', a;b\nsecond line\ttab";

fn page(limit: u32) -> PageRequest {
    PageRequest { limit, ..Default::default() }
}

#[tokio::test]
async fn every_entity_round_trips_hostile_text() {
    let (dir, ws) = new_workspace().await;
    let client = ws
        .create_client(NewClient {
            kind: Some(ClientKind::Company),
            name: HOSTILE.into(),
            email: Some("zoë@例え.jp".into()),
            phone: Some("+81 (3) 1234-5678".into()),
            company: Some(HOSTILE.into()),
            notes: HOSTILE.into(),
            tags: vec!["VIP 🚀".into(), "東京".into()],
            ..Default::default()
        })
        .await
        .unwrap();
    let contact = ws
        .create_contact(NewContact {
            client_id: Some(client.meta.id),
            name: HOSTILE.into(),
            role: Some(HOSTILE.into()),
            notes: HOSTILE.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let project = ws
        .create_project(NewProject {
            client_id: Some(client.meta.id),
            name: HOSTILE.into(),
            budget_minor: Some(125_000),
            currency: Some("eur".into()),
            description: HOSTILE.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(project.currency.as_deref(), Some("EUR"), "currency codes are normalised");
    let job = ws
        .create_job(NewJob {
            title: HOSTILE.into(),
            description: HOSTILE.into(),
            skills: vec!["Rust".into(), "日本語".into()],
            budget_min_minor: Some(10_000),
            budget_max_minor: Some(20_000),
            currency: Some("USD".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let bid = ws
        .create_bid(NewBid {
            job_id: Some(job.meta.id),
            amount_minor: 95_000,
            currency: "USD".into(),
            delivery_days: 7,
            proposal: HOSTILE.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let milestone = ws
        .create_milestone(NewMilestone {
            project_id: Some(project.meta.id),
            title: HOSTILE.into(),
            amount_minor: 50_000,
            currency: "EUR".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let subject = Subject { kind: EntityKind::Client, id: client.meta.id };
    let activity = ws
        .create_activity(NewActivity {
            subject,
            kind: Some(ActivityKind::Call),
            body: HOSTILE.into(),
            occurred_at: None,
        })
        .await
        .unwrap();
    let task = ws
        .create_task(NewTask {
            title: HOSTILE.into(),
            notes: HOSTILE.into(),
            subject: Some(subject),
            ..Default::default()
        })
        .await
        .unwrap();

    // Read everything back through a freshly unlocked workspace.
    let ws = reopen(dir.path(), ws).await;
    let trimmed = HOSTILE.trim();
    let c = ws.client(client.meta.id).await.unwrap();
    assert_eq!(c, client);
    assert_eq!((c.name.as_str(), c.notes.as_str()), (trimmed, HOSTILE));
    assert_eq!(c.tags, vec!["VIP 🚀".to_string(), "東京".to_string()]);
    assert_eq!(ws.contact(contact.meta.id).await.unwrap(), contact);
    assert_eq!(ws.project(project.meta.id).await.unwrap(), project);
    assert_eq!(ws.job(job.meta.id).await.unwrap(), job);
    assert_eq!(ws.bid(bid.meta.id).await.unwrap(), bid);
    assert_eq!(ws.bid(bid.meta.id).await.unwrap().proposal, HOSTILE);
    assert_eq!(ws.milestone(milestone.meta.id).await.unwrap(), milestone);
    assert_eq!(ws.activity(activity.meta.id).await.unwrap(), activity);
    assert_eq!(ws.task(task.meta.id).await.unwrap(), task);
    let tagged =
        ws.list_clients(&ClientFilter { tag: Some("vip 🚀".into()), ..Default::default() }, &page(10)).await.unwrap();
    assert_eq!(tagged.items.len(), 1, "tags match without regard to case");
}

#[tokio::test]
async fn invalid_fields_are_named_and_nothing_is_written() {
    let (_dir, ws) = new_workspace().await;
    let cases = [
        (NewClient { name: "  ".into(), ..Default::default() }, "name"),
        (NewClient { name: "A".into(), email: Some("not-an-email".into()), ..Default::default() }, "email"),
        (NewClient { name: "A".into(), phone: Some("call me".into()), ..Default::default() }, "phone"),
    ];
    for (input, field) in cases {
        let err = ws.create_client(input).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Validation);
        assert!(err.to_string().starts_with(&format!("{field}:")), "{err}");
    }
    assert!(ws.list_clients(&ClientFilter::default(), &page(10)).await.unwrap().items.is_empty());
    let missing = Id::new_at(chrono::Utc::now());
    let err = ws
        .create_project(NewProject { client_id: Some(missing), name: "P".into(), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
    let err = ws
        .create_bid(NewBid {
            job_id: Some(missing),
            amount_minor: 1,
            currency: "USD".into(),
            delivery_days: 1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
    assert!(err.to_string().starts_with("job "), "{err}");
}

#[tokio::test]
async fn impossible_bid_moves_are_refused_with_a_stable_code() {
    let (_dir, ws) = new_workspace().await;
    let job = ws.create_job(NewJob { title: "Logo".into(), ..Default::default() }).await.unwrap();
    let bid = ws
        .create_bid(NewBid {
            job_id: Some(job.meta.id),
            amount_minor: 100,
            currency: "USD".into(),
            delivery_days: 3,
            ..Default::default()
        })
        .await
        .unwrap();
    let id = bid.meta.id;
    let err = ws.set_bid_status(id, BidStatus::Awarded).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidTransition);
    assert_eq!(serde_json::to_value(err.to_api()).unwrap()["code"], "invalid_transition");
    assert_eq!(ws.bid(id).await.unwrap().status, BidStatus::Draft, "a refused move changed the bid");

    for to in [BidStatus::Queued, BidStatus::Submitted, BidStatus::Shortlisted, BidStatus::Awarded] {
        assert_eq!(ws.set_bid_status(id, to).await.unwrap().status, to);
    }
    assert!(ws.bid(id).await.unwrap().submitted_at.is_some());
    assert_eq!(ws.set_bid_status(id, BidStatus::Draft).await.unwrap_err().code(), ErrorCode::InvalidTransition);
    let err = ws.update_bid(id, BidPatch { delivery_days: Some(9), ..Default::default() }).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Validation, "an awarded bid's terms changed");
}

#[tokio::test]
async fn delete_hides_with_children_and_restore_brings_exactly_them_back() {
    let (_dir, ws) = new_workspace().await;
    let client = ws.create_client(NewClient { name: "Acme".into(), ..Default::default() }).await.unwrap();
    let kept = ws
        .create_contact(NewContact { client_id: Some(client.meta.id), name: "Kept".into(), ..Default::default() })
        .await
        .unwrap();
    let gone_before = ws
        .create_contact(NewContact {
            client_id: Some(client.meta.id),
            name: "Deleted earlier".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    ws.delete(EntityKind::Contact, gone_before.meta.id).await.unwrap();
    let project = ws
        .create_project(NewProject { client_id: Some(client.meta.id), name: "Site".into(), ..Default::default() })
        .await
        .unwrap();

    ws.delete(EntityKind::Client, client.meta.id).await.unwrap();
    assert!(ws.list_clients(&ClientFilter::default(), &page(10)).await.unwrap().items.is_empty());
    assert!(ws.list_projects(&ProjectFilter::default(), &page(10)).await.unwrap().items.is_empty());
    assert_eq!(ws.delete(EntityKind::Client, client.meta.id).await.unwrap_err().code(), ErrorCode::NotFound);
    assert!(ws.client(client.meta.id).await.unwrap().meta.deleted_at.is_some());
    let err = ws
        .update_client(client.meta.id, ClientPatch { name: Some("x".into()), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound, "a deleted client was edited");

    ws.restore(EntityKind::Client, client.meta.id).await.unwrap();
    let contacts = ws
        .list_contacts(
            &ContactFilter { client_id: Some(client.meta.id), field: Default::default(), tag: Default::default() },
            &page(10),
        )
        .await
        .unwrap();
    assert_eq!(
        contacts.items.iter().map(|c| c.meta.id).collect::<Vec<_>>(),
        vec![kept.meta.id],
        "restore revived a contact deleted on its own"
    );
    assert_eq!(ws.project(project.meta.id).await.unwrap().meta.deleted_at, None);
    assert_eq!(ws.restore(EntityKind::Client, client.meta.id).await.unwrap_err().code(), ErrorCode::Validation);
}

#[tokio::test]
async fn keyset_pages_cover_every_row_once_in_every_order() {
    let (_dir, ws) = new_workspace().await;
    let names = ["delta", "Alpha", "charlie", "bravo", "echo", "Alpha", "foxtrot"];
    for n in names {
        ws.create_client(NewClient { name: n.into(), ..Default::default() }).await.unwrap();
    }
    for sort in [Sort::Newest, Sort::Oldest, Sort::Name, Sort::Updated] {
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let p = ws
                .list_clients(
                    &ClientFilter::default(),
                    &PageRequest { limit: 2, after: after.clone(), sort, include_deleted: false },
                )
                .await
                .unwrap();
            assert!(p.items.len() <= 2);
            seen.extend(p.items);
            match p.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        assert_eq!(seen.len(), names.len(), "{sort:?}");
        let mut ids: Vec<_> = seen.iter().map(|c| c.meta.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), names.len(), "{sort:?} repeated a row");
        if sort == Sort::Name {
            let got: Vec<String> = seen.iter().map(|c| c.name.to_lowercase()).collect();
            let mut want = got.clone();
            want.sort();
            assert_eq!(got, want);
        }
        if sort == Sort::Newest {
            assert_eq!(seen.first().unwrap().name, "foxtrot");
        }
    }
    let p = ws
        .list_clients(&ClientFilter::default(), &PageRequest { limit: 2, sort: Sort::Name, ..Default::default() })
        .await
        .unwrap();
    let err = ws
        .list_clients(
            &ClientFilter::default(),
            &PageRequest { limit: 2, sort: Sort::Newest, after: p.next, include_deleted: false },
        )
        .await
        .unwrap_err();
    assert!(err.to_string().starts_with("after:"), "a cursor from another order was accepted: {err}");
}

#[tokio::test]
async fn milestones_and_tasks_follow_their_rules() {
    let (_dir, ws) = new_workspace().await;
    let client = ws.create_client(NewClient { name: "Acme".into(), ..Default::default() }).await.unwrap();
    let project = ws
        .create_project(NewProject { client_id: Some(client.meta.id), name: "Site".into(), ..Default::default() })
        .await
        .unwrap();
    let m = ws
        .create_milestone(NewMilestone {
            project_id: Some(project.meta.id),
            title: "Design".into(),
            amount_minor: 100,
            currency: "USD".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(ws.set_milestone_status(m.meta.id, MilestoneStatus::Released).await.is_err(), "released before funding");
    ws.set_milestone_status(m.meta.id, MilestoneStatus::Funded).await.unwrap();
    ws.set_milestone_status(m.meta.id, MilestoneStatus::Released).await.unwrap();

    let due = chrono::Utc::now() + chrono::Duration::days(1);
    let t =
        ws.create_task(NewTask { title: "Call back".into(), due_at: Some(due), ..Default::default() }).await.unwrap();
    let open = ws.list_tasks(&TaskFilter { done: Some(false), ..Default::default() }, &page(10)).await.unwrap();
    assert_eq!(open.items.len(), 1);
    let done = ws.update_task(t.meta.id, TaskPatch { done: Some(true), ..Default::default() }).await.unwrap();
    assert!(done.done_at.is_some());
    assert!(ws
        .list_tasks(&TaskFilter { done: Some(false), ..Default::default() }, &page(10))
        .await
        .unwrap()
        .items
        .is_empty());
}

#[tokio::test]
async fn purge_removes_old_deletions_with_their_notes_and_keeps_everything_live() {
    let (_dir, ws) = new_workspace().await;
    let gone = ws.create_client(NewClient { name: "Gone Ltd".into(), ..Default::default() }).await.unwrap();
    let on_gone = Subject { kind: EntityKind::Client, id: gone.meta.id };
    ws.create_activity(NewActivity { subject: on_gone, kind: None, body: "about gone".into(), occurred_at: None })
        .await
        .unwrap();
    ws.create_task(NewTask { title: "chase gone".into(), subject: Some(on_gone), ..Default::default() }).await.unwrap();
    ws.create_contact(NewContact { client_id: Some(gone.meta.id), name: "Gone Person".into(), ..Default::default() })
        .await
        .unwrap();
    // A deleted client whose contact was restored on its own must not take the contact with it.
    let parent = ws.create_client(NewClient { name: "Parent Co".into(), ..Default::default() }).await.unwrap();
    let child = ws
        .create_contact(NewContact { client_id: Some(parent.meta.id), name: "Kept Child".into(), ..Default::default() })
        .await
        .unwrap();
    let live = ws.create_client(NewClient { name: "Live Inc".into(), ..Default::default() }).await.unwrap();
    ws.delete(EntityKind::Client, gone.meta.id).await.unwrap();
    ws.delete(EntityKind::Client, parent.meta.id).await.unwrap();
    ws.restore(EntityKind::Contact, child.meta.id).await.unwrap();

    let report = ws.purge_deleted(chrono::Utc::now() + chrono::Duration::days(3650)).await.unwrap();
    let counts = &report.removed;
    assert_eq!(counts.get(&EntityKind::Client), Some(&1), "{report:?}");
    assert_eq!(counts.get(&EntityKind::Contact), Some(&1), "{report:?}");
    assert_eq!(counts.get(&EntityKind::Activity), Some(&1), "{report:?}");
    assert_eq!(counts.get(&EntityKind::Task), Some(&1), "{report:?}");
    assert_eq!(ws.client(gone.meta.id).await.unwrap_err().code(), ErrorCode::NotFound);
    assert!(ws.search("gone", 10).await.unwrap().is_empty());
    assert_eq!(ws.contact(child.meta.id).await.unwrap().meta.deleted_at, None, "a live contact was purged");
    assert!(ws.client(parent.meta.id).await.unwrap().meta.deleted_at.is_some(), "its parent stays deleted");
    assert_eq!(ws.client(live.meta.id).await.unwrap().name, "Live Inc");
    assert_eq!(ws.audit_log().await.unwrap().last().unwrap().action, "records.purged");

    // Nothing deleted after the cutoff is touched.
    let recent = ws.create_client(NewClient { name: "Recent".into(), ..Default::default() }).await.unwrap();
    ws.delete(EntityKind::Client, recent.meta.id).await.unwrap();
    assert_eq!(ws.purge_deleted(chrono::DateTime::UNIX_EPOCH).await.unwrap().total, 0);
    ws.restore(EntityKind::Client, recent.meta.id).await.unwrap();
}

#[tokio::test]
async fn purging_a_deleted_project_takes_its_notes_and_tasks_but_not_its_clients() {
    let (_dir, ws) = new_workspace().await;
    let client = ws.create_client(NewClient { name: "Kept Client".into(), ..Default::default() }).await.unwrap();
    let project = ws
        .create_project(NewProject { client_id: Some(client.meta.id), name: "Old site".into(), ..Default::default() })
        .await
        .unwrap();
    let on_project = Subject { kind: EntityKind::Project, id: project.meta.id };
    let on_client = Subject { kind: EntityKind::Client, id: client.meta.id };
    for subject in [on_project, on_client] {
        let body = format!("note on {subject}");
        ws.create_activity(NewActivity { subject, kind: None, body, occurred_at: None }).await.unwrap();
        let title = format!("task on {subject}");
        ws.create_task(NewTask { title, subject: Some(subject), ..Default::default() }).await.unwrap();
    }
    ws.delete(EntityKind::Project, project.meta.id).await.unwrap();

    let report = ws.purge_deleted_older_than(chrono::Duration::zero()).await.unwrap();

    let removed = &report.removed;
    assert_eq!(removed.get(&EntityKind::Project), Some(&1), "{report:?}");
    assert_eq!(removed.get(&EntityKind::Activity), Some(&1), "the project's note goes with it: {report:?}");
    assert_eq!(removed.get(&EntityKind::Task), Some(&1), "the project's task goes with it: {report:?}");
    let page = PageRequest::default();
    let notes = ws.list_activities(&ActivityFilter::default(), &page).await.unwrap().items;
    let tasks = ws.list_tasks(&TaskFilter::default(), &page).await.unwrap().items;
    assert_eq!(notes.iter().map(|n| n.subject_id).collect::<Vec<_>>(), vec![client.meta.id]);
    assert_eq!(tasks.iter().map(|t| t.subject_id).collect::<Vec<_>>(), vec![Some(client.meta.id)]);
}

#[tokio::test]
async fn a_json_patch_leaves_absent_fields_clears_null_ones_and_sets_values() {
    let (_dir, ws) = new_workspace().await;
    let c = ws
        .create_client(NewClient {
            name: "Ada".into(),
            email: Some("ada@example.org".into()),
            phone: Some("+44 20 7946 0000".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    // What the UI sends: only the changed keys; null empties a field.
    let patch: ClientPatch = serde_json::from_str(r#"{"email": null, "company": "Engines Ltd"}"#).unwrap();
    let updated = ws.update_client(c.meta.id, patch).await.unwrap();
    assert_eq!(updated.email, None, "null did not clear the email");
    assert_eq!(updated.phone.as_deref(), Some("+44 20 7946 0000"), "an absent key changed the phone");
    assert_eq!(updated.company.as_deref(), Some("Engines Ltd"));
    assert_eq!(updated.name, "Ada");
    let nothing: ClientPatch = serde_json::from_str("{}").unwrap();
    assert_eq!(ws.update_client(c.meta.id, nothing).await.unwrap().company.as_deref(), Some("Engines Ltd"));
}

#[tokio::test]
async fn a_bid_is_read_with_its_jobs_current_title() {
    let (_dir, ws) = new_workspace().await;
    let job = ws.create_job(NewJob { title: "Logo for Okafor".into(), ..Default::default() }).await.unwrap();
    let bid = ws
        .create_bid(NewBid {
            job_id: Some(job.meta.id),
            amount_minor: 30_000,
            currency: "USD".into(),
            delivery_days: 5,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(bid.job_title.as_deref(), Some("Logo for Okafor"), "as created");

    ws.update_job(job.meta.id, JobPatch { title: Some("Logo and letterhead".into()), ..Default::default() })
        .await
        .unwrap();
    let listed = ws.list_bids(&BidFilter::default(), &PageRequest::default()).await.unwrap().items;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].job_title.as_deref(), Some("Logo and letterhead"), "as listed, after a rename");
    let moved = ws.set_bid_status(bid.meta.id, BidStatus::Queued).await.unwrap();
    assert_eq!(moved.job_title.as_deref(), Some("Logo and letterhead"), "as moved");
    assert_eq!(ws.bid(bid.meta.id).await.unwrap().job_title.as_deref(), Some("Logo and letterhead"), "as shown");
    ws.lock().await;
}

#[tokio::test]
async fn a_project_is_read_with_its_clients_current_name() {
    let (_dir, ws) = new_workspace().await;
    let client = ws.create_client(NewClient { name: "Okafor Studio".into(), ..Default::default() }).await.unwrap();
    let project = ws
        .create_project(NewProject { client_id: Some(client.meta.id), name: "Rebrand".into(), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(project.client_name.as_deref(), Some("Okafor Studio"), "as created");
    let name_of = |p: &Project| p.client_name.clone();
    let listed = |filter: ProjectFilter, page: PageRequest| {
        let ws = &ws;
        async move {
            let items = ws.list_projects(&filter, &page).await.unwrap().items;
            assert_eq!(items.len(), 1, "{filter:?}");
            items[0].client_name.clone()
        }
    };
    let of_client = || ProjectFilter { client_id: Some(client.meta.id), ..Default::default() };

    ws.update_client(client.meta.id, ClientPatch { name: Some("Okafor & Daughters".into()), ..Default::default() })
        .await
        .unwrap();
    let renamed = Some("Okafor & Daughters".to_string());
    assert_eq!(name_of(&ws.project(project.meta.id).await.unwrap()), renamed, "as shown, after a rename");
    assert_eq!(listed(ProjectFilter::default(), PageRequest::default()).await, renamed, "as listed");
    assert_eq!(listed(of_client(), PageRequest::default()).await, renamed, "as listed under the client");
    let changed = ws
        .update_project(project.meta.id, ProjectPatch { status: Some(ProjectStatus::OnHold), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(name_of(&changed), renamed, "as changed");

    // Deleting the client deletes its projects with it; they can still be read (to restore them).
    ws.delete(EntityKind::Client, client.meta.id).await.unwrap();
    let deleted = ws.project(project.meta.id).await.unwrap();
    assert!(deleted.meta.deleted_at.is_some());
    assert_eq!(name_of(&deleted), None, "as shown, once the client is deleted");
    let with_deleted = PageRequest { include_deleted: true, ..Default::default() };
    assert_eq!(listed(of_client(), with_deleted).await, None, "as listed with deleted records");
    // A project restored on its own is live again while its client stays deleted.
    ws.restore(EntityKind::Project, project.meta.id).await.unwrap();
    assert_eq!(listed(ProjectFilter::default(), PageRequest::default()).await, None, "restored without its client");

    ws.restore(EntityKind::Client, client.meta.id).await.unwrap();
    assert_eq!(name_of(&ws.project(project.meta.id).await.unwrap()), renamed, "once the client is back");
    ws.lock().await;
}
