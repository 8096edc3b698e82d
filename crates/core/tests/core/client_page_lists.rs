//! The two lists a client's page reads in one query each: the bids on the
//! client's jobs and the milestones of its projects. They hold what the
//! per-job and per-project lists they replace held, for that client only,
//! live records only, and restriction and erasure treat them the same way.

use bidwell_core::privacy::{ConsentChange, ConsentMethod, ConsentPurpose};
use bidwell_core::*;

use crate::support::*;

fn page(limit: u32) -> PageRequest {
    PageRequest { limit, ..Default::default() }
}

fn ids<T>(items: &[T], id: impl Fn(&T) -> Id) -> Vec<Id> {
    items.iter().map(id).collect()
}

/// `ids`, newest first: the order of a `Sort::Newest` page.
fn newest_first(mut ids: Vec<Id>) -> Vec<Id> {
    ids.sort_by(|a, b| b.cmp(a));
    ids
}

async fn client(ws: &Workspace, name: &str) -> Client {
    ws.create_client(NewClient { name: name.into(), ..Default::default() }).await.unwrap()
}

async fn job(ws: &Workspace, client: Option<&Client>, title: &str) -> Job {
    let new = NewJob { client_id: client.map(|c| c.meta.id), title: title.into(), ..Default::default() };
    ws.create_job(new).await.unwrap()
}

async fn bid(ws: &Workspace, job: &Job, amount_minor: i64) -> Bid {
    let new = NewBid {
        job_id: Some(job.meta.id),
        amount_minor,
        currency: "EUR".into(),
        delivery_days: 5,
        ..Default::default()
    };
    ws.create_bid(new).await.unwrap()
}

async fn project(ws: &Workspace, client: &Client, name: &str) -> Project {
    let new = NewProject { client_id: Some(client.meta.id), name: name.into(), ..Default::default() };
    ws.create_project(new).await.unwrap()
}

async fn milestone(ws: &Workspace, owner: (Option<&Project>, Option<&Bid>), title: &str) -> Milestone {
    let new = NewMilestone {
        project_id: owner.0.map(|p| p.meta.id),
        bid_id: owner.1.map(|b| b.meta.id),
        title: title.into(),
        amount_minor: 10_000,
        currency: "EUR".into(),
        ..Default::default()
    };
    ws.create_milestone(new).await.unwrap()
}

async fn client_bids(ws: &Workspace, client: &Client) -> Vec<Id> {
    let listed = ws.list_bids_on_client_jobs(client.meta.id, &page(100)).await.unwrap();
    assert_eq!(listed.next, None);
    ids(&listed.items, |b| b.meta.id)
}

async fn client_milestones(ws: &Workspace, client: &Client) -> Vec<Id> {
    let listed = ws.list_milestones_of_client_projects(client.meta.id, &page(100)).await.unwrap();
    assert_eq!(listed.next, None);
    ids(&listed.items, |m| m.meta.id)
}

/// What the client's page read before, one list per live job and per live
/// project of the client, put together: the rows the new lists must hold.
async fn per_job_and_per_project(ws: &Workspace, client: &Client) -> (Vec<Id>, Vec<Id>) {
    let mut bids = Vec::new();
    for hidden in [false, true] {
        let filter = JobFilter { client_id: Some(client.meta.id), hidden: Some(hidden), ..Default::default() };
        for job in ws.list_jobs(&filter, &page(1000)).await.unwrap().items {
            let filter = BidFilter { job_id: Some(job.meta.id), ..Default::default() };
            bids.extend(ids(&ws.list_bids(&filter, &page(1000)).await.unwrap().items, |b| b.meta.id));
        }
    }
    let mut milestones = Vec::new();
    let filter = ProjectFilter { client_id: Some(client.meta.id), ..Default::default() };
    for project in ws.list_projects(&filter, &page(1000)).await.unwrap().items {
        let filter = MilestoneFilter { project_id: Some(project.meta.id), ..Default::default() };
        milestones.extend(ids(&ws.list_milestones(&filter, &page(1000)).await.unwrap().items, |m| m.meta.id));
    }
    (newest_first(bids), newest_first(milestones))
}

#[tokio::test]
async fn a_clients_page_lists_its_live_bids_and_milestones_and_no_one_elses() {
    let (_dir, ws) = new_workspace().await;
    let ours = client(&ws, "Key Account").await;
    let theirs = client(&ws, "Someone else").await;

    // The bids on our jobs, a hidden job's included: hiding a posting from
    // the feed does not hide the work done on it (the bids board shows it too).
    let site = job(&ws, Some(&ours), "Site").await;
    let app = job(&ws, Some(&ours), "App").await;
    let hidden = job(&ws, Some(&ours), "Hidden from the feed").await;
    ws.update_job(hidden.meta.id, JobPatch { hidden: Some(true), ..Default::default() }).await.unwrap();
    let on_site = [bid(&ws, &site, 100).await, bid(&ws, &site, 200).await];
    let on_app = bid(&ws, &app, 300).await;
    let on_hidden = bid(&ws, &hidden, 400).await;
    // Deleted: a bid, and a job with its bid; a bid restored on its own while its job stays deleted.
    let deleted_bid = bid(&ws, &app, 500).await;
    ws.delete(EntityKind::Bid, deleted_bid.meta.id).await.unwrap();
    let gone_job = job(&ws, Some(&ours), "Deleted job").await;
    let on_gone_job = bid(&ws, &gone_job, 600).await;
    let orphan = bid(&ws, &gone_job, 700).await;
    ws.delete(EntityKind::Job, gone_job.meta.id).await.unwrap();
    ws.restore(EntityKind::Bid, orphan.meta.id).await.unwrap();
    // Not ours: another client's job, a job of no client.
    let their_bid = bid(&ws, &job(&ws, Some(&theirs), "Theirs").await, 800).await;
    let nobodys_bid = bid(&ws, &job(&ws, None, "Nobody's").await, 900).await;

    // The milestones of our projects.
    let brand = project(&ws, &ours, "Brand").await;
    let shop = project(&ws, &ours, "Shop").await;
    let of_brand =
        [milestone(&ws, (Some(&brand), None), "Design").await, milestone(&ws, (Some(&brand), None), "Build").await];
    let of_shop = milestone(&ws, (Some(&shop), None), "Launch").await;
    let deleted_milestone = milestone(&ws, (Some(&shop), None), "Dropped").await;
    ws.delete(EntityKind::Milestone, deleted_milestone.meta.id).await.unwrap();
    let gone_project = project(&ws, &ours, "Deleted project").await;
    let of_gone_project = milestone(&ws, (Some(&gone_project), None), "With its project").await;
    ws.delete(EntityKind::Project, gone_project.meta.id).await.unwrap();
    // A bid's milestone belongs to no project: the bid's page shows it, the client's page never did.
    let of_bid_only = milestone(&ws, (None, Some(&on_app)), "Of the bid").await;
    let their_milestone = milestone(&ws, (Some(&project(&ws, &theirs, "Theirs").await), None), "Theirs").await;

    let want_bids = newest_first(vec![on_site[0].meta.id, on_site[1].meta.id, on_app.meta.id, on_hidden.meta.id]);
    let want_milestones = newest_first(vec![of_brand[0].meta.id, of_brand[1].meta.id, of_shop.meta.id]);
    assert_eq!(client_bids(&ws, &ours).await, want_bids, "our bids, newest first");
    assert_eq!(client_milestones(&ws, &ours).await, want_milestones, "our milestones, newest first");
    assert_eq!(
        per_job_and_per_project(&ws, &ours).await,
        (want_bids.clone(), want_milestones.clone()),
        "the per-job and per-project lists hold the same"
    );
    assert_eq!(client_bids(&ws, &theirs).await, vec![their_bid.meta.id]);
    assert_eq!(client_milestones(&ws, &theirs).await, vec![their_milestone.meta.id]);
    for left_out in [deleted_bid.meta.id, on_gone_job.meta.id, orphan.meta.id, nobodys_bid.meta.id] {
        assert!(!want_bids.contains(&left_out));
    }
    for left_out in [deleted_milestone.meta.id, of_gone_project.meta.id, of_bid_only.meta.id] {
        assert!(!want_milestones.contains(&left_out));
    }

    // The rows are read as every list reads them: the job's title, the extras.
    let listed = ws.list_bids_on_client_jobs(ours.meta.id, &page(100)).await.unwrap().items;
    let first_on_site = listed.iter().find(|b| b.meta.id == on_site[0].meta.id).unwrap();
    assert_eq!(first_on_site.job_title.as_deref(), Some("Site"));

    // Asked for, deleted records come back (to restore them), and still only ours.
    let with_deleted = PageRequest { limit: 100, include_deleted: true, ..Default::default() };
    let all = ws.list_bids_on_client_jobs(ours.meta.id, &with_deleted).await.unwrap().items;
    let all = ids(&all, |b| b.meta.id);
    let mut want = want_bids.clone();
    want.extend([deleted_bid.meta.id, on_gone_job.meta.id, orphan.meta.id]);
    assert_eq!(all, newest_first(want), "with deleted bids");
    let all = ws.list_milestones_of_client_projects(ours.meta.id, &with_deleted).await.unwrap().items;
    let all = ids(&all, |m| m.meta.id);
    let mut want = want_milestones.clone();
    want.extend([deleted_milestone.meta.id, of_gone_project.meta.id]);
    assert_eq!(all, newest_first(want), "with deleted milestones");

    // A client that does not exist has none; it is not an error, like any empty filter.
    let unknown = Id::new_at(ours.meta.created_at);
    assert!(ws.list_bids_on_client_jobs(unknown, &page(10)).await.unwrap().items.is_empty());
    assert!(ws.list_milestones_of_client_projects(unknown, &page(10)).await.unwrap().items.is_empty());
}

#[tokio::test]
async fn a_clients_page_lists_page_by_keyset_in_every_order() {
    let (_dir, ws) = new_workspace().await;
    let ours = client(&ws, "Key Account").await;
    let jobs = [job(&ws, Some(&ours), "One").await, job(&ws, Some(&ours), "Two").await];
    let projects = [project(&ws, &ours, "One").await, project(&ws, &ours, "Two").await];
    let mut want_bids = Vec::new();
    let mut want_milestones = Vec::new();
    for n in 0..7 {
        want_bids.push(bid(&ws, &jobs[n % 2], 100 + n as i64).await.meta.id);
        let title = format!("Milestone {n}");
        want_milestones.push(milestone(&ws, (Some(&projects[n % 2]), None), &title).await.meta.id);
    }
    want_bids.sort();
    want_milestones.sort();

    for sort in [Sort::Newest, Sort::Oldest, Sort::Name, Sort::Updated] {
        let (mut bids, mut milestones) = (Vec::new(), Vec::new());
        let mut after = None;
        loop {
            let request = PageRequest { limit: 3, after: after.clone(), sort, include_deleted: false };
            let p = ws.list_bids_on_client_jobs(ours.meta.id, &request).await.unwrap();
            assert!(p.items.len() <= 3);
            bids.extend(ids(&p.items, |b| b.meta.id));
            match p.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        after = None;
        loop {
            let request = PageRequest { limit: 3, after: after.clone(), sort, include_deleted: false };
            let p = ws.list_milestones_of_client_projects(ours.meta.id, &request).await.unwrap();
            milestones.extend(ids(&p.items, |m| m.meta.id));
            match p.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        if sort == Sort::Oldest {
            assert_eq!(bids, want_bids, "oldest first");
            assert_eq!(milestones, want_milestones, "oldest first");
        }
        bids.sort();
        milestones.sort();
        assert_eq!(bids, want_bids, "{sort:?}: every bid once");
        assert_eq!(milestones, want_milestones, "{sort:?}: every milestone once");
    }

    let err = ws.list_bids_on_client_jobs(ours.meta.id, &page(1001)).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Validation, "a page is at most 1000, as in every list");
}

#[tokio::test]
async fn restriction_keeps_a_clients_page_whole_and_erasure_leaves_nothing_under_the_client() {
    let (_dir, ws) = new_workspace().await;
    let kept = client(&ws, "Stays").await;
    let kept_job = job(&ws, Some(&kept), "Stays").await;
    let kept_bid = bid(&ws, &kept_job, 100).await;
    let kept_project = project(&ws, &kept, "Stays").await;
    let kept_milestone = milestone(&ws, (Some(&kept_project), None), "Stays").await;

    // Restricted processing: nothing of the client leaves the machine, but its
    // own page still shows everything, as the per-job and per-project lists do.
    let restricted = client(&ws, "Restricted").await;
    let its_job = job(&ws, Some(&restricted), "Restricted work").await;
    let its_bid = bid(&ws, &its_job, 200).await;
    let its_project = project(&ws, &restricted, "Restricted project").await;
    let draft_milestone = milestone(&ws, (Some(&its_project), None), "Not started").await;
    let paid = milestone(&ws, (Some(&its_project), None), "Paid").await;
    ws.set_milestone_status(paid.meta.id, MilestoneStatus::Funded).await.unwrap();
    ws.set_milestone_status(paid.meta.id, MilestoneStatus::Released).await.unwrap();
    ws.set_client_restricted(restricted.meta.id, true).await.unwrap();
    assert_eq!(client_bids(&ws, &restricted).await, vec![its_bid.meta.id]);
    assert_eq!(client_milestones(&ws, &restricted).await, newest_first(vec![draft_milestone.meta.id, paid.meta.id]));
    assert_eq!(
        per_job_and_per_project(&ws, &restricted).await,
        (vec![its_bid.meta.id], newest_first(vec![draft_milestone.meta.id, paid.meta.id])),
    );

    // Erased: the released payment is kept, anonymized and linked to no
    // project, so no client's page lists it; everything else is gone.
    let plan = ws.erase_client(restricted.meta.id).await.unwrap();
    assert_eq!(ids(&plan.kept, |k| k.id), vec![paid.meta.id]);
    assert!(client_bids(&ws, &restricted).await.is_empty(), "an erased client's bids");
    assert!(client_milestones(&ws, &restricted).await.is_empty(), "an erased client's milestones");
    let with_deleted = PageRequest { limit: 100, include_deleted: true, ..Default::default() };
    let erased = restricted.meta.id;
    assert!(ws.list_bids_on_client_jobs(erased, &with_deleted).await.unwrap().items.is_empty());
    assert!(ws.list_milestones_of_client_projects(erased, &with_deleted).await.unwrap().items.is_empty());
    let anonymized = ws.milestone(paid.meta.id).await.unwrap();
    assert_eq!(anonymized.project_id, None, "the kept payment is still there, under no project");

    assert_eq!(client_bids(&ws, &kept).await, vec![kept_bid.meta.id], "another client's page is untouched");
    assert_eq!(client_milestones(&ws, &kept).await, vec![kept_milestone.meta.id]);
}

/// Each list of a client's page as the page asks for it, `limit` rows.
fn first_pages(limit: u32) -> ClientPageRequest {
    let first = |sort| PageRequest { limit, after: None, sort, include_deleted: false };
    ClientPageRequest {
        contacts: first(Sort::Name),
        projects: first(Sort::Newest),
        bids: first(Sort::Newest),
        milestones: first(Sort::Oldest),
        timeline: first(Sort::Happened),
    }
}

/// The two answers agree field for field.
fn same<T: serde::Serialize>(one_call: &T, own_call: &T, what: &str) {
    assert_eq!(serde_json::to_value(one_call).unwrap(), serde_json::to_value(own_call).unwrap(), "{what}");
}

/// The page opens with one call: list by list it holds what the list's own
/// call answers for the same request (rows, their extras, the cursor to go
/// on with), the client's records only, and each list goes on from its
/// `next` with its own call.
#[tokio::test]
async fn a_clients_page_in_one_call_holds_what_each_lists_own_call_answers() {
    let (_dir, ws) = new_workspace().await;
    let ours = client(&ws, "Key Account").await;
    let theirs = client(&ws, "Someone else").await;
    for who in [&ours, &theirs] {
        for n in 0..3 {
            let name = format!("{} contact {n}", who.name);
            let tags = vec![format!("tier-{n}")];
            ws.create_contact(NewContact { client_id: Some(who.meta.id), name, tags, ..Default::default() })
                .await
                .unwrap();
            let p = project(&ws, who, &format!("Project {n}")).await;
            milestone(&ws, (Some(&p), None), &format!("Milestone {n}")).await;
            bid(&ws, &job(&ws, Some(who), &format!("Job {n}")).await, 100 + n).await;
            let subject = Subject { kind: EntityKind::Client, id: who.meta.id };
            let note = NewActivity { subject, kind: None, body: format!("Note {n}"), occurred_at: None };
            ws.create_activity(note).await.unwrap();
        }
    }
    let consent = ConsentChange {
        client_id: Some(ours.meta.id),
        purpose: ConsentPurpose::Marketing,
        granted: true,
        basis: None,
        source: Some("signed form".into()),
        evidence: None,
        method: ConsentMethod::Ui,
    };
    ws.record_consent(consent).await.unwrap();

    let id = ours.meta.id;
    let request = first_pages(2);
    let page = ws.client_page(id, &request).await.unwrap();
    let contacts = ContactFilter { client_id: Some(id), ..Default::default() };
    let projects = ProjectFilter { client_id: Some(id), ..Default::default() };
    let timeline = ActivityFilter { subject: Some(Subject { kind: EntityKind::Client, id }), kind: None };
    same(&page.client, &ws.client(id).await.unwrap(), "the client");
    same(&page.contacts, &ws.list_contacts(&contacts, &request.contacts).await.unwrap(), "contacts");
    same(&page.projects, &ws.list_projects(&projects, &request.projects).await.unwrap(), "projects");
    same(&page.bids, &ws.list_bids_on_client_jobs(id, &request.bids).await.unwrap(), "bids");
    same(
        &page.milestones,
        &ws.list_milestones_of_client_projects(id, &request.milestones).await.unwrap(),
        "milestones",
    );
    same(&page.timeline, &ws.list_activities(&timeline, &request.timeline).await.unwrap(), "timeline");
    same(&page.consents, &ws.consents(Some(id)).await.unwrap(), "consents");
    assert!(page.consents.iter().any(|c| c.purpose == ConsentPurpose::Marketing && c.granted), "{:?}", page.consents);

    // Two of our three of each, none of theirs, a cursor to the third.
    assert_eq!(ids(&page.contacts.items, |c| c.meta.id).len(), 2);
    assert!(page.contacts.items.iter().all(|c| c.client_id == id && c.tags.len() == 1));
    assert!(page.projects.items.iter().all(|p| p.client_id == id));
    assert!(page.timeline.items.iter().all(|a| a.subject_id == id));
    let rest =
        |next: &Option<String>, sort| PageRequest { limit: 10, after: next.clone(), sort, include_deleted: false };
    let more = ws.list_contacts(&contacts, &rest(&page.contacts.next, Sort::Name)).await.unwrap();
    assert_eq!((more.items.len(), more.next), (1, None), "the third contact, then the end");
    let more = ws.list_bids_on_client_jobs(id, &rest(&page.bids.next, Sort::Newest)).await.unwrap();
    assert_eq!((more.items.len(), more.next), (1, None), "the third bid");
    let more = ws.list_milestones_of_client_projects(id, &rest(&page.milestones.next, Sort::Oldest)).await.unwrap();
    assert_eq!((more.items.len(), more.next), (1, None), "the third milestone");
    let more = ws.list_activities(&timeline, &rest(&page.timeline.next, Sort::Happened)).await.unwrap();
    assert_eq!((more.items.len(), more.next), (1, None), "the third note");
}

/// A timeline lists what happened latest first, whenever each entry was
/// written down: a call logged today that happened last week comes after
/// yesterday's note, on every page and on the client's page, and an entry
/// whose time is changed moves to its new place. Entries at the same time
/// keep one order across pages; a deleted one is gone.
#[tokio::test]
async fn a_timeline_lists_what_happened_latest_first_whenever_it_was_written_down() {
    let (_dir, ws) = new_workspace().await;
    let who = client(&ws, "Timeline Client").await;
    let other = client(&ws, "Someone else").await;
    let day = |d: u32| chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, d, 9, 0, 0).unwrap();
    let subject = Subject { kind: EntityKind::Client, id: who.meta.id };
    let note = |body: &str, d: u32| NewActivity { subject, kind: None, body: body.into(), occurred_at: Some(day(d)) };
    // Written down in an order unlike when each happened.
    let mut made = Vec::new();
    for (body, d) in [("the 10th", 10), ("the 20th", 20), ("the 5th", 5), ("the 15th a", 15), ("the 15th b", 15)] {
        made.push(ws.create_activity(note(body, d)).await.unwrap());
    }
    let elsewhere =
        NewActivity { subject: Subject { kind: EntityKind::Client, id: other.meta.id }, ..note("not ours", 30) };
    ws.create_activity(elsewhere).await.unwrap();
    let gone = ws.create_activity(note("deleted", 25)).await.unwrap();
    ws.delete(EntityKind::Activity, gone.meta.id).await.unwrap();
    // The 10th's entry was really the 1st: it moves to the end.
    let moved = ActivityPatch { occurred_at: Some(day(1)), ..Default::default() };
    ws.update_activity(made[0].meta.id, moved).await.unwrap();

    let filter = ActivityFilter { subject: Some(subject), kind: None };
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let request = PageRequest { limit: 2, after, sort: Sort::Happened, include_deleted: false };
        let page = ws.list_activities(&filter, &request).await.unwrap();
        seen.extend(page.items.into_iter().map(|a| a.body));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    // At the same time, the later written first (ids are ordered by time made).
    assert_eq!(seen, ["the 20th", "the 15th b", "the 15th a", "the 5th", "the 10th"]);

    let on_page = ws.client_page(who.meta.id, &first_pages(3)).await.unwrap();
    let shown: Vec<&str> = on_page.timeline.items.iter().map(|a| a.body.as_str()).collect();
    assert_eq!(shown, ["the 20th", "the 15th b", "the 15th a"], "the client's page shows the same first entries");

    // Only a timeline has this order; a cursor from it goes on nowhere else.
    let by_happened = PageRequest { sort: Sort::Happened, ..page(10) };
    let err = ws.list_clients(&ClientFilter::default(), &by_happened).await.unwrap_err().to_api();
    assert_eq!((err.code, err.field.as_deref()), (ErrorCode::Validation, Some("sort")), "{}", err.message);
    let newest = PageRequest { limit: 2, after: on_page.timeline.next, sort: Sort::Newest, include_deleted: false };
    let err = ws.list_activities(&filter, &newest).await.unwrap_err().to_api();
    assert_eq!((err.code, err.field.as_deref()), (ErrorCode::Validation, Some("after")), "{}", err.message);
}

/// A client that does not exist is not found (its page says so); a refused
/// part of the request names its list.
#[tokio::test]
async fn a_clients_page_refuses_an_unknown_client_and_names_a_refused_list() {
    let (_dir, ws) = new_workspace().await;
    let ours = client(&ws, "Key Account").await;
    let unknown = Id::new_at(ours.meta.created_at);
    let err = ws.client_page(unknown, &first_pages(10)).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);

    let mut request = first_pages(10);
    request.bids.limit = 1001;
    let err = ws.client_page(ours.meta.id, &request).await.unwrap_err().to_api();
    assert_eq!((err.code, err.field.as_deref()), (ErrorCode::Validation, Some("bids.limit")), "{}", err.message);
    let mut request = first_pages(10);
    request.timeline.after = Some("not a cursor".into());
    let err = ws.client_page(ours.meta.id, &request).await.unwrap_err().to_api();
    assert_eq!(err.field.as_deref(), Some("timeline.after"), "{}", err.message);
}
