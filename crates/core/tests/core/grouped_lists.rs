//! What the bids board and the task list read: each column's or group's
//! pages and how many it holds, and the names of what the tasks are about,
//! many at once.

use bidwell_core::dashboard::TaskCounts;
use bidwell_core::*;
use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::support::*;

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
}

/// Every page of a tasks list, `limit` at a time.
async fn all_pages(ws: &Workspace, filter: &TaskFilter, sort: Sort, limit: u32) -> Vec<Task> {
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = ws.list_tasks(filter, &PageRequest { limit, after, sort, include_deleted: false }).await.unwrap();
        assert!(page.items.len() <= limit as usize);
        seen.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => return seen,
        }
    }
}

fn titles(tasks: &[Task]) -> Vec<&str> {
    tasks.iter().map(|t| t.title.as_str()).collect()
}

#[tokio::test]
async fn open_tasks_page_by_due_time_and_split_into_the_task_list_groups() {
    let (_dir, ws) = new_workspace().await;
    let now = at(20, 10);
    let day_end = at(21, 0);
    let task =
        |title: &str, due: Option<DateTime<Utc>>| NewTask { title: title.into(), due_at: due, ..Default::default() };
    // Made in an order unlike their due times, so that id order and due order differ.
    for (title, due) in [
        ("next week", Some(at(27, 9))),
        ("this morning", Some(at(20, 8))),
        ("no date 1", None),
        ("last week", Some(at(13, 9))),
        ("tonight", Some(at(20, 22))),
        ("tomorrow", Some(at(21, 9))),
        ("no date 2", None),
        ("this noon", Some(at(20, 12))),
        ("same time a", Some(at(27, 9))),
        ("same time b", Some(at(27, 9))),
    ] {
        ws.create_task(task(title, due)).await.unwrap();
    }
    let finished = ws.create_task(task("finished", Some(at(20, 11)))).await.unwrap();
    ws.update_task(finished.meta.id, TaskPatch { done: Some(true), ..Default::default() }).await.unwrap();
    let gone = ws.create_task(task("deleted", Some(at(20, 11)))).await.unwrap();
    ws.delete(EntityKind::Task, gone.meta.id).await.unwrap();

    // The whole open list by due time, two at a time: undated first (oldest
    // first), then soonest due, ties by id; every open task once.
    let open = TaskFilter { done: Some(false), ..Default::default() };
    let by_due = all_pages(&ws, &open, Sort::Due, 2).await;
    assert_eq!(
        titles(&by_due),
        [
            "no date 1",
            "no date 2",
            "last week",
            "this morning",
            "this noon",
            "tonight",
            "tomorrow",
            "next week",
            "same time a",
            "same time b"
        ]
    );

    // The groups, each a page at a time.
    let overdue = TaskFilter { due_before: Some(now), ..Default::default() };
    let today = TaskFilter { due_from: Some(now), due_before: Some(day_end), ..Default::default() };
    let upcoming = TaskFilter { due_from: Some(day_end), ..Default::default() };
    let undated = TaskFilter { done: Some(false), dated: Some(false), ..Default::default() };
    assert_eq!(titles(&all_pages(&ws, &overdue, Sort::Due, 1).await), ["last week", "this morning"]);
    assert_eq!(titles(&all_pages(&ws, &today, Sort::Due, 1).await), ["this noon", "tonight"]);
    assert_eq!(
        titles(&all_pages(&ws, &upcoming, Sort::Due, 2).await),
        ["tomorrow", "next week", "same time a", "same time b"]
    );
    assert_eq!(titles(&all_pages(&ws, &undated, Sort::Oldest, 1).await), ["no date 1", "no date 2"]);
    let dated = TaskFilter { done: Some(false), dated: Some(true), ..Default::default() };
    assert_eq!(all_pages(&ws, &dated, Sort::Due, 50).await.len(), 8);

    // Their counts, with the user's day.
    let counts = ws.count_open_tasks(now, day_end).await.unwrap();
    assert_eq!(counts, TaskCounts { overdue: 2, due_today: 2, upcoming: 4, undated: 2 });
    // A day that ends earlier (another time zone) moves tonight to upcoming.
    let counts = ws.count_open_tasks(now, at(20, 18)).await.unwrap();
    assert_eq!(counts, TaskCounts { overdue: 2, due_today: 1, upcoming: 5, undated: 2 });
    let err = ws.count_open_tasks(now, now - Duration::hours(1)).await.unwrap_err();
    assert_eq!((err.code(), err.to_string().starts_with("day_end:")), (ErrorCode::Validation, true), "{err}");

    // A cursor from another order is refused; so is a due order for records without a due time.
    let first = ws.list_tasks(&open, &PageRequest { limit: 1, sort: Sort::Due, ..Default::default() }).await.unwrap();
    let wrong = PageRequest { limit: 1, sort: Sort::Newest, after: first.next, include_deleted: false };
    assert!(ws.list_tasks(&open, &wrong).await.unwrap_err().to_string().starts_with("after:"));
    let by_due = PageRequest { sort: Sort::Due, ..Default::default() };
    let err = ws.list_clients(&ClientFilter::default(), &by_due).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Validation, "{err}");
    assert!(err.to_string().starts_with("sort:"), "{err}");
    assert_eq!("due".parse::<Sort>().unwrap(), Sort::Due);
}

#[tokio::test]
async fn the_board_counts_bids_by_status_as_its_columns_list_them_one_call_for_every_column() {
    let (_dir, ws) = new_workspace().await;
    let job = ws.create_job(NewJob { title: "Logo".into(), ..Default::default() }).await.unwrap();
    let bid = |tags: Vec<String>| NewBid {
        job_id: Some(job.meta.id),
        amount_minor: 10_000,
        currency: "EUR".into(),
        delivery_days: 5,
        tags,
        ..Default::default()
    };
    let mut made = Vec::new();
    for i in 0..7 {
        let tags = if i % 2 == 0 { vec!["vip".to_string()] } else { Vec::new() };
        made.push(ws.create_bid(bid(tags)).await.unwrap());
    }
    for b in &made[..3] {
        ws.set_bid_status(b.meta.id, BidStatus::Queued).await.unwrap();
    }
    ws.set_bid_status(made[0].meta.id, BidStatus::Submitted).await.unwrap();
    ws.delete(EntityKind::Bid, made[6].meta.id).await.unwrap();

    let counts = ws.count_bids_by_status(&BidFilter::default()).await.unwrap();
    let as_pairs = |counts: Vec<BidStatusCount>| counts.into_iter().map(|c| (c.status, c.count)).collect::<Vec<_>>();
    assert_eq!(as_pairs(counts), [(BidStatus::Draft, 3), (BidStatus::Queued, 2), (BidStatus::Submitted, 1)]);
    // The same filter as the columns' lists: a tag.
    let vip = BidFilter { tag: Some("vip".into()), ..Default::default() };
    let counts = ws.count_bids_by_status(&vip).await.unwrap();
    assert_eq!(as_pairs(counts), [(BidStatus::Draft, 1), (BidStatus::Queued, 1), (BidStatus::Submitted, 1)]);

    // A column: its status's bids, newest first, a page at a time, as many as it counts.
    let drafts = BidFilter { status: Some(BidStatus::Draft), ..Default::default() };
    let first =
        ws.list_bids(&drafts, &PageRequest { limit: 2, sort: Sort::Newest, ..Default::default() }).await.unwrap();
    let rest = PageRequest { limit: 2, sort: Sort::Newest, after: first.next, include_deleted: false };
    let rest = ws.list_bids(&drafts, &rest).await.unwrap();
    assert_eq!(rest.next, None);
    let ids: Vec<Id> = first.items.iter().chain(&rest.items).map(|b| b.meta.id).collect();
    assert_eq!(ids, [made[5].meta.id, made[4].meta.id, made[3].meta.id]);

    // The board in one call: each column exactly the list of its status
    // under the filter (the column's status in place of the filter's), in
    // the order asked, with the counts and the accounts read alone.
    let ids_of = |page: &Page<Bid>| page.items.iter().map(|b| b.meta.id).collect::<Vec<_>>();
    let latest = |limit| PageRequest { limit, sort: Sort::Updated, ..Default::default() };
    let asked = [
        BidColumnRequest { status: BidStatus::Queued, page: latest(1) },
        BidColumnRequest { status: BidStatus::Draft, page: latest(10) },
        BidColumnRequest { status: BidStatus::Rejected, page: latest(10) },
    ];
    for filter in [BidFilter::default(), vip.clone(), BidFilter { status: Some(BidStatus::Submitted), ..vip.clone() }] {
        let board = ws.bid_board(&filter, &asked).await.unwrap();
        assert_eq!(board.counts, ws.count_bids_by_status(&filter).await.unwrap(), "{filter:?}");
        assert_eq!(board.accounts.len(), ws.market_accounts().await.unwrap().len());
        let columns = board.columns;
        assert_eq!(columns.len(), asked.len());
        for (column, page) in asked.iter().zip(&columns) {
            let alone = BidFilter { status: Some(column.status), ..filter.clone() };
            let expected = ws.list_bids(&alone, &column.page).await.unwrap();
            assert_eq!(
                (ids_of(page), &page.next),
                (ids_of(&expected), &expected.next),
                "{:?} under {filter:?}",
                column.status
            );
        }
    }
    let queued = &ws.bid_board(&BidFilter::default(), &asked).await.unwrap().columns[0];
    assert_eq!(ids_of(queued).len(), 1);
    assert!(queued.next.is_some(), "two bids are queued and one was asked for");
    // No more columns than statuses: the call stays bounded.
    let too_many: Vec<_> =
        (0..=BidStatus::ALL.len()).map(|_| BidColumnRequest { status: BidStatus::Draft, page: latest(1) }).collect();
    let err = ws.bid_board(&BidFilter::default(), &too_many).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Validation, "{err}");
    assert!(err.to_string().starts_with("columns:"), "{err}");
}

#[tokio::test]
async fn subject_names_are_read_for_many_records_at_once() {
    let (_dir, ws) = new_workspace().await;
    let client = ws.create_client(NewClient { name: "Ana Lima".into(), ..Default::default() }).await.unwrap();
    let contact = ws
        .create_contact(NewContact { client_id: Some(client.meta.id), name: "Rui".into(), ..Default::default() })
        .await
        .unwrap();
    let project = ws
        .create_project(NewProject { client_id: Some(client.meta.id), name: "Shop".into(), ..Default::default() })
        .await
        .unwrap();
    let job = ws.create_job(NewJob { title: "Checkout flow".into(), ..Default::default() }).await.unwrap();
    let gone_job = ws.create_job(NewJob { title: "Old posting".into(), ..Default::default() }).await.unwrap();
    let new_bid = |job: &Job| NewBid {
        job_id: Some(job.meta.id),
        amount_minor: 5_000,
        currency: "EUR".into(),
        delivery_days: 3,
        proposal: "My proposal".into(),
        ..Default::default()
    };
    let bid = ws.create_bid(new_bid(&job)).await.unwrap();
    let orphan = ws.create_bid(new_bid(&gone_job)).await.unwrap();
    ws.delete(EntityKind::Job, gone_job.meta.id).await.unwrap();
    let milestone = ws
        .create_milestone(NewMilestone {
            project_id: Some(project.meta.id),
            title: "Deposit".into(),
            amount_minor: 1_000,
            currency: "EUR".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let deleted = ws.create_client(NewClient { name: "Gone Ltd".into(), ..Default::default() }).await.unwrap();
    ws.delete(EntityKind::Client, deleted.meta.id).await.unwrap();

    let subject = |kind, id| Subject { kind, id };
    let never = subject(EntityKind::Project, Id::new_at(Utc::now()));
    let asked = [
        subject(EntityKind::Bid, bid.meta.id),
        subject(EntityKind::Client, client.meta.id),
        never,
        subject(EntityKind::Contact, contact.meta.id),
        subject(EntityKind::Project, project.meta.id),
        subject(EntityKind::Job, job.meta.id),
        subject(EntityKind::Client, client.meta.id),
        subject(EntityKind::Bid, orphan.meta.id),
        subject(EntityKind::Milestone, milestone.meta.id),
        subject(EntityKind::Client, deleted.meta.id),
        // A client's id asked as a project's: no such project.
        subject(EntityKind::Project, client.meta.id),
    ];
    let names = ws.subject_names(&asked).await.unwrap();
    let got: Vec<(EntityKind, Id, Option<&str>)> = names.iter().map(|n| (n.kind, n.id, n.name.as_deref())).collect();
    assert_eq!(
        got,
        [
            (EntityKind::Bid, bid.meta.id, Some("Checkout flow")),
            (EntityKind::Client, client.meta.id, Some("Ana Lima")),
            (EntityKind::Contact, contact.meta.id, Some("Rui")),
            (EntityKind::Project, project.meta.id, Some("Shop")),
            (EntityKind::Job, job.meta.id, Some("Checkout flow")),
            (EntityKind::Bid, orphan.meta.id, None),
            (EntityKind::Milestone, milestone.meta.id, Some("Deposit")),
            (EntityKind::Client, deleted.meta.id, Some("Gone Ltd")),
        ],
        "each record once, in the order asked; a bid by its job's title; what does not exist left out"
    );

    assert!(ws.subject_names(&[]).await.unwrap().is_empty());
    let too_many = vec![subject(EntityKind::Client, client.meta.id); MAX_SUBJECT_NAMES + 1];
    assert_eq!(ws.subject_names(&too_many).await.unwrap_err().code(), ErrorCode::Validation);
}
