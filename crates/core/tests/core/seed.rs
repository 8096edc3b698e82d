//! The seed generator: the same seed writes the same rows, the promised mix
//! of entities, records that pass the store's own checks, and a search index
//! and lists in step with what it wrote.

use std::sync::atomic::{AtomicBool, Ordering};

use bidwell_core::seed::{seed_one_client, seed_workspace, seed_workspace_cancellable, SeedPlan, SeedSummary};
use bidwell_core::*;

use crate::support::*;

fn oldest(limit: u32) -> PageRequest {
    PageRequest { limit, sort: Sort::Oldest, ..Default::default() }
}

async fn seed(ws: &Workspace, records: u64, seed: u64) -> SeedSummary {
    seed_workspace(ws, &SeedPlan { records, seed }, &mut |_, _| {}).await.unwrap()
}

#[tokio::test]
async fn the_same_seed_writes_the_same_records_and_another_seed_others() {
    let (_a_dir, a) = new_workspace().await;
    let (_b_dir, b) = new_workspace().await;
    let (_c_dir, c) = new_workspace().await;
    let mut reports = Vec::new();
    let plan = SeedPlan { records: 1_000, seed: 42 };
    let summary = seed_workspace(&a, &plan, &mut |done, total| reports.push((done, total))).await.unwrap();
    assert_eq!(
        summary,
        SeedSummary {
            clients: 200,
            contacts: 150,
            projects: 100,
            jobs: 200,
            bids: 150,
            milestones: 50,
            activities: 100,
            tasks: 50,
            cancelled: false
        }
    );
    assert_eq!(summary.total(), 1_000);
    assert_eq!(reports.first(), Some(&(0, 1_000)));
    assert_eq!(reports.last(), Some(&(1_000, 1_000)));

    assert_eq!(seed(&b, 1_000, 42).await, summary);
    let other = seed(&c, 1_000, 43).await;
    assert_eq!(other.total(), 1_000);

    let first_a = a.list_clients(&ClientFilter::default(), &oldest(50)).await.unwrap().items;
    let first_b = b.list_clients(&ClientFilter::default(), &oldest(50)).await.unwrap().items;
    let first_c = c.list_clients(&ClientFilter::default(), &oldest(50)).await.unwrap().items;
    assert_eq!(first_a, first_b, "same seed and clock: same rows, ids, times and tags");
    let names = |cs: &[Client]| cs.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
    assert_ne!(names(&first_a), names(&first_c), "another seed writes other names");

    let bids_a = a.list_bids(&BidFilter::default(), &oldest(100)).await.unwrap().items;
    let bids_b = b.list_bids(&BidFilter::default(), &oldest(100)).await.unwrap().items;
    assert_eq!(bids_a, bids_b);
}

/// `--one-client`: one new client owning the children of the whole plan,
/// beside what was there; the plan's client slots stay empty.
#[tokio::test]
async fn one_client_gets_the_children_of_the_whole_plan() {
    let (_dir, ws) = new_workspace().await;
    seed(&ws, 1_000, 7).await;
    let plan = SeedPlan { records: 2_000, seed: 7 };
    let (id, summary) = seed_one_client(&ws, "AAA Key Account", &plan, &mut |_, _| {}).await.unwrap();
    assert_eq!((summary.clients, summary.contacts, summary.projects), (1, 300, 200), "{summary:?}");
    let client = ws.client(id).await.unwrap();
    assert_eq!(client.name, "AAA Key Account");
    assert!(client.archived_at.is_none() && !client.restricted);
    let all = PageRequest { limit: 500, ..Default::default() };
    let contacts = ws.list_contacts(&ContactFilter { client_id: Some(id), ..Default::default() }, &all).await.unwrap();
    assert_eq!(contacts.items.len(), 300);
    let projects = ws.list_projects(&ProjectFilter { client_id: Some(id), ..Default::default() }, &all).await.unwrap();
    assert_eq!(projects.items.len(), 200);
    let by_name = PageRequest { limit: 1, sort: Sort::Name, ..Default::default() };
    let first = ws.list_clients(&ClientFilter::default(), &by_name).await.unwrap().items;
    assert_eq!(first[0].meta.id, id, "its name sorts first, as the window benchmark expects");
}

#[tokio::test]
async fn a_tiny_plan_still_writes_exactly_what_was_asked() {
    for records in [1, 7, 130] {
        let (_dir, ws) = new_workspace().await;
        let summary = seed(&ws, records, 1).await;
        assert_eq!(summary.total(), records, "{summary:?}");
        assert!(summary.clients >= 1);
    }
}

/// Everything generated passes the checks a hand-made record goes through:
/// saving each one again unchanged must succeed.
#[tokio::test]
async fn seeded_records_pass_the_store_checks() {
    let (_dir, ws) = new_workspace().await;
    seed(&ws, 2_000, 7).await;
    let page = oldest(200);
    for c in ws.list_clients(&ClientFilter::default(), &page).await.unwrap().items {
        ws.update_client(c.meta.id, ClientPatch::default()).await.unwrap();
    }
    for c in ws.list_contacts(&ContactFilter::default(), &page).await.unwrap().items {
        ws.update_contact(c.meta.id, ContactPatch::default()).await.unwrap();
    }
    for p in ws.list_projects(&ProjectFilter::default(), &page).await.unwrap().items {
        ws.update_project(p.meta.id, ProjectPatch::default()).await.unwrap();
    }
    for j in ws.list_jobs(&JobFilter { hidden: None, ..Default::default() }, &page).await.unwrap().items {
        ws.update_job(j.meta.id, JobPatch::default()).await.unwrap();
    }
    let mut statuses = std::collections::HashSet::new();
    for b in ws.list_bids(&BidFilter::default(), &page).await.unwrap().items {
        statuses.insert(b.status);
        if !b.status.is_terminal() {
            ws.update_bid(b.meta.id, BidPatch::default()).await.unwrap();
        }
    }
    assert!(statuses.len() >= 6, "bids spread over the lifecycle: {statuses:?}");
    for m in ws.list_milestones(&MilestoneFilter::default(), &page).await.unwrap().items {
        ws.update_milestone(m.meta.id, MilestonePatch::default()).await.unwrap();
    }
    for a in ws.list_activities(&ActivityFilter::default(), &page).await.unwrap().items {
        ws.update_activity(a.meta.id, ActivityPatch::default()).await.unwrap();
    }
    for t in ws.list_tasks(&TaskFilter::default(), &page).await.unwrap().items {
        ws.update_task(t.meta.id, TaskPatch::default()).await.unwrap();
    }
}

#[tokio::test]
async fn bulk_written_records_are_listed_and_found() {
    let (_dir, ws) = new_workspace().await;
    let summary = seed(&ws, 2_000, 11).await;

    // Every client, page by page.
    let mut listed = Vec::new();
    let mut page = PageRequest { limit: 300, ..Default::default() };
    loop {
        let got = ws.list_clients(&ClientFilter::default(), &page).await.unwrap();
        listed.extend(got.items);
        match got.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
    }
    assert_eq!(listed.len() as u64, summary.clients);
    assert!(listed.windows(2).all(|w| w[0].meta.id > w[1].meta.id), "newest first, no repeats");
    assert!(listed.iter().any(|c| !c.tags.is_empty()), "some clients are tagged");
    assert!(listed.iter().any(|c| !c.name.is_ascii()), "accented or CJK names");

    // Records of each searchable kind are in the index.
    for client in listed.iter().filter(|c| c.email.is_some()).take(5) {
        let hits = ws.search(client.email.as_deref().unwrap(), 200).await.unwrap();
        assert!(hits.iter().any(|h| h.id == client.meta.id), "client {}", client.name);
    }
    let contact = ws.list_contacts(&ContactFilter::default(), &oldest(1)).await.unwrap().items.remove(0);
    let hits = ws.search(&contact.name, 200).await.unwrap();
    assert!(hits.iter().any(|h| h.id == contact.meta.id && h.kind == EntityKind::Contact), "contact {}", contact.name);
    let project = ws.list_projects(&ProjectFilter::default(), &oldest(1)).await.unwrap().items.remove(0);
    let hits = ws.search(&format!("{} {}", project.name, project.description), 200).await.unwrap();
    assert!(hits.iter().any(|h| h.id == project.meta.id), "project {}", project.name);
    let job = ws.list_jobs(&JobFilter::default(), &oldest(20)).await.unwrap().items;
    let job = job.iter().find(|j| j.employer_name.is_some()).unwrap();
    let hits = ws.search(&format!("{} {}", job.title, job.employer_name.as_deref().unwrap()), 200).await.unwrap();
    assert!(hits.iter().any(|h| h.id == job.meta.id && h.kind == EntityKind::Job), "job {}", job.title);

    // A seeded record behaves like any other: deleting it takes it out of search.
    let client = listed.iter().find(|c| c.email.is_some()).unwrap();
    ws.delete(EntityKind::Client, client.meta.id).await.unwrap();
    let hits = ws.search(client.email.as_deref().unwrap(), 200).await.unwrap();
    assert!(!hits.iter().any(|h| h.id == client.meta.id));
}

#[tokio::test]
async fn a_set_cancel_flag_stops_before_the_next_chunk() {
    let (_dir, ws) = new_workspace().await;
    let cancel = AtomicBool::new(false);
    let summary = seed_workspace_cancellable(
        &ws,
        &SeedPlan { records: 1_000_000, seed: 1 },
        &mut |_, _| cancel.store(true, Ordering::Relaxed),
        &cancel,
    )
    .await
    .unwrap();
    assert!(summary.cancelled);
    assert_eq!(summary.total(), 0, "cancelled before the first chunk was written");
}
