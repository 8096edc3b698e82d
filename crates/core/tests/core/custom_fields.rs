//! Tags and custom fields on every kind of record (issue #15 part 4), as a
//! user relies on them: a value is checked against its field's type and
//! kept in one form; lists filter by tag and by value; search finds a record
//! by a value (and stops when the record is deleted, restricted or erased);
//! deleting a field takes its values with it.

use std::collections::BTreeMap;

use bidwell_core::*;

use crate::support::*;

fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

async fn define(ws: &Workspace, kind: EntityKind, name: &str, field_type: CustomFieldType, choices: &[&str]) {
    let choices = choices.iter().map(|c| c.to_string()).collect();
    ws.define_custom_field(NewCustomField { entity_kind: kind, name: name.into(), field_type, choices }).await.unwrap();
}

/// A client, a contact, a project, a job, a bid and a milestone, each tagged
/// and with a value of its kind's "Ref" field.
pub async fn one_of_each_with_extras(ws: &Workspace) -> Vec<(EntityKind, Id)> {
    for kind in [
        EntityKind::Client,
        EntityKind::Contact,
        EntityKind::Project,
        EntityKind::Job,
        EntityKind::Bid,
        EntityKind::Milestone,
    ] {
        define(ws, kind, "Ref", CustomFieldType::Text, &[]).await;
    }
    define(ws, EntityKind::Client, "Tier", CustomFieldType::Choice, &["Gold", "Silver"]).await;
    let tags = |t: &str| vec![t.to_string(), "shared".to_string()];
    let client = ws
        .create_client(NewClient {
            name: "Zoë Ltd".into(),
            tags: tags("vip"),
            fields: fields(&[("Ref", "CL-1"), ("tier", "gold")]),
            ..Default::default()
        })
        .await
        .unwrap();
    let contact = ws
        .create_contact(NewContact {
            client_id: Some(client.meta.id),
            name: "Ana".into(),
            tags: tags("decides"),
            fields: fields(&[("Ref", "CO-1")]),
            ..Default::default()
        })
        .await
        .unwrap();
    let project = ws
        .create_project(NewProject {
            client_id: Some(client.meta.id),
            name: "Site".into(),
            tags: tags("web"),
            fields: fields(&[("Ref", "PR-1")]),
            ..Default::default()
        })
        .await
        .unwrap();
    let job = ws
        .create_job(NewJob {
            title: "Logo".into(),
            tags: tags("design"),
            fields: fields(&[("Ref", "JO-1")]),
            ..Default::default()
        })
        .await
        .unwrap();
    let bid = ws
        .create_bid(NewBid {
            job_id: Some(job.meta.id),
            amount_minor: 50_000,
            currency: "EUR".into(),
            delivery_days: 5,
            tags: tags("sent-late"),
            fields: fields(&[("Ref", "BI-1")]),
            ..Default::default()
        })
        .await
        .unwrap();
    let milestone = ws
        .create_milestone(NewMilestone {
            project_id: Some(project.meta.id),
            title: "Draft".into(),
            amount_minor: 10_000,
            currency: "EUR".into(),
            tags: tags("first"),
            fields: fields(&[("Ref", "MI-1")]),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(client.fields, fields(&[("Ref", "CL-1"), ("Tier", "Gold")]), "kept as the field spells it");
    for (got_tags, got_fields, want) in [
        (&contact.tags, &contact.fields, "CO-1"),
        (&project.tags, &project.fields, "PR-1"),
        (&job.tags, &job.fields, "JO-1"),
        (&bid.tags, &bid.fields, "BI-1"),
        (&milestone.tags, &milestone.fields, "MI-1"),
    ] {
        assert_eq!(got_tags.len(), 2, "{got_tags:?}");
        assert_eq!(got_fields.get("Ref").map(String::as_str), Some(want));
    }
    vec![
        (EntityKind::Client, client.meta.id),
        (EntityKind::Contact, contact.meta.id),
        (EntityKind::Project, project.meta.id),
        (EntityKind::Job, job.meta.id),
        (EntityKind::Bid, bid.meta.id),
        (EntityKind::Milestone, milestone.meta.id),
    ]
}

#[tokio::test]
async fn every_kind_carries_tags_and_values_and_lists_filter_by_them() {
    let (_dir, ws) = new_workspace().await;
    let records = one_of_each_with_extras(&ws).await;
    let by_tag = |t: &str| Some(t.to_string());
    let by_value = |v: &str| Some(FieldFilter { name: "Ref".into(), value: v.into() });
    let page = PageRequest::default();
    let ids = |items: Vec<Id>| items;
    assert_eq!(
        ids(ws
            .list_contacts(&ContactFilter { tag: by_tag("decides"), ..Default::default() }, &page)
            .await
            .unwrap()
            .items
            .iter()
            .map(|r| r.meta.id)
            .collect()),
        vec![records[1].1]
    );
    assert!(ws
        .list_projects(&ProjectFilter { tag: by_tag("decides"), ..Default::default() }, &page)
        .await
        .unwrap()
        .items
        .is_empty());
    assert_eq!(
        ws.list_jobs(&JobFilter { field: by_value("jo-1"), ..Default::default() }, &page).await.unwrap().items.len(),
        1,
        "case aside"
    );
    assert_eq!(
        ws.list_bids(&BidFilter { tag: by_tag("shared"), ..Default::default() }, &page).await.unwrap().items.len(),
        1
    );
    assert_eq!(
        ws.list_milestones(&MilestoneFilter { field: by_value("MI-1"), ..Default::default() }, &page)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    let gold =
        ClientFilter { field: Some(FieldFilter { name: "Tier".into(), value: "Gold".into() }), ..Default::default() };
    assert_eq!(ws.list_clients(&gold, &page).await.unwrap().items[0].name, "Zoë Ltd");
    let silver =
        ClientFilter { field: Some(FieldFilter { name: "Tier".into(), value: "Silver".into() }), ..Default::default() };
    assert!(ws.list_clients(&silver, &page).await.unwrap().items.is_empty());

    // An edit sets one value, clears another, and replaces the tags; the rest stays.
    let client = records[0].1;
    let change = ClientPatch {
        tags: Some(vec!["former".into()]),
        fields: Some([("Tier".to_string(), Some("silver".to_string())), ("Ref".to_string(), None)].into()),
        ..Default::default()
    };
    let edited = ws.update_client(client, change).await.unwrap();
    assert_eq!((edited.tags, edited.fields), (vec!["former".to_string()], fields(&[("Tier", "Silver")])));
    assert_eq!(ws.client(client).await.unwrap().fields, fields(&[("Tier", "Silver")]));
    let bid = ws.set_bid_status(records[4].1, BidStatus::Submitted).await.unwrap();
    assert_eq!(bid.fields.get("Ref").map(String::as_str), Some("BI-1"), "a status move keeps them in what it returns");
}

#[tokio::test]
async fn a_value_is_checked_against_its_type_and_kept_in_one_form() {
    let (_dir, ws) = new_workspace().await;
    for (name, field_type) in [
        ("Employees", CustomFieldType::Number),
        ("Renewal", CustomFieldType::Date),
        ("Retainer", CustomFieldType::Money),
        ("Portfolio", CustomFieldType::Link),
    ] {
        define(&ws, EntityKind::Client, name, field_type, &[]).await;
    }
    define(&ws, EntityKind::Client, "Tier", CustomFieldType::Choice, &["Gold", "Silver"]).await;
    let create = |pairs: &[(&str, &str)]| {
        let new = NewClient { name: "A".into(), fields: fields(pairs), ..Default::default() };
        let ws = &ws;
        async move { ws.create_client(new).await }
    };
    let kept = create(&[
        ("employees", "1,200"),
        ("Renewal", "2027-03-01"),
        ("Retainer", "1250.5 eur"),
        ("Portfolio", "https://example.org/work"),
        ("Tier", "silver"),
    ])
    .await
    .unwrap();
    assert_eq!(
        kept.fields,
        fields(&[
            ("Employees", "1200"),
            ("Portfolio", "https://example.org/work"),
            ("Renewal", "2027-03-01"),
            ("Retainer", "1250.50 EUR"),
            ("Tier", "Silver"),
        ])
    );
    for (pairs, field) in [
        (&[("Employees", "many")][..], "Employees"),
        (&[("Renewal", "03/01/2027")][..], "Renewal"),
        (&[("Retainer", "12.345 EUR")][..], "Retainer"),
        (&[("Portfolio", "example.org")][..], "Portfolio"),
        (&[("Tier", "Bronze")][..], "Tier"),
        (&[("Colour", "red")][..], "Colour"),
    ] {
        let err = create(pairs).await.unwrap_err();
        assert_eq!(err.to_api().field.as_deref(), Some(field), "{err}");
    }
    let page = ws.list_clients(&ClientFilter::default(), &PageRequest::default()).await.unwrap();
    assert_eq!(page.items.len(), 1, "a refused value writes no client");

    // A number typed as 1e3 is kept as 1000, and a filter for 1000.0 finds it.
    let thousand = create(&[("Employees", "1e3")]).await.unwrap();
    assert_eq!(thousand.fields, fields(&[("Employees", "1000")]));
    let filter = ClientFilter {
        field: Some(FieldFilter { name: "Employees".into(), value: "1000.0".into() }),
        ..Default::default()
    };
    let found = ws.list_clients(&filter, &PageRequest::default()).await.unwrap();
    assert_eq!(found.items.iter().map(|c| c.meta.id).collect::<Vec<_>>(), vec![thousand.meta.id]);
    ws.delete(EntityKind::Client, thousand.meta.id).await.unwrap();

    // Field definitions are checked too.
    let bad = |name: &str, field_type, choices: Vec<String>| NewCustomField {
        entity_kind: EntityKind::Client,
        name: name.into(),
        field_type,
        choices,
    };
    for (new, field) in [
        (bad("tier", CustomFieldType::Text, vec![]), "name"),
        (bad("Size", CustomFieldType::Choice, vec![]), "choices"),
        (bad("Size", CustomFieldType::Number, vec!["S".into()]), "choices"),
        (bad("a=b", CustomFieldType::Text, vec![]), "name"),
    ] {
        assert_eq!(ws.define_custom_field(new).await.unwrap_err().to_api().field.as_deref(), Some(field));
    }
    let task_field = NewCustomField { entity_kind: EntityKind::Task, ..bad("X", CustomFieldType::Text, vec![]) };
    assert!(ws.define_custom_field(task_field).await.is_err());
}

#[tokio::test]
async fn search_finds_a_record_by_a_value_until_it_is_deleted_or_restricted() {
    let (_dir, ws) = new_workspace().await;
    let records = one_of_each_with_extras(&ws).await;
    let hits = ws.search("BI-1", 20).await.unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!((hits[0].kind, hits[0].id, hits[0].title.as_str()), (EntityKind::Bid, records[4].1, "Logo"));
    let client = records[0].1;
    let hits = ws.search("CL-1", 20).await.unwrap();
    assert_eq!((hits.len(), hits[0].title.as_str()), (1, "Zoë Ltd"));
    assert_eq!(ws.search("Zoë", 20).await.unwrap().len(), 1, "found once, by its name");

    ws.delete(EntityKind::Job, records[3].1).await.unwrap();
    assert!(ws.search("JO-1", 20).await.unwrap().is_empty(), "a deleted record is not found by its value");
    ws.restore(EntityKind::Job, records[3].1).await.unwrap();
    assert_eq!(ws.search("JO-1", 20).await.unwrap().len(), 1);

    ws.set_client_restricted(client, true).await.unwrap();
    assert!(ws.search("CL-1", 20).await.unwrap().is_empty(), "a restricted client is not found by its value");
    ws.set_client_restricted(client, false).await.unwrap();

    // A changed value is found by the new text only.
    let change =
        ClientPatch { fields: Some([("Ref".to_string(), Some("CL-9".to_string()))].into()), ..Default::default() };
    ws.update_client(client, change).await.unwrap();
    assert!(ws.search("CL-1", 20).await.unwrap().is_empty());
    assert_eq!(ws.search("CL-9", 20).await.unwrap().len(), 1);
}

#[tokio::test]
async fn deleting_a_field_takes_its_values_and_erasing_a_client_takes_its_records_values() {
    let (_dir, ws) = new_workspace().await;
    let records = one_of_each_with_extras(&ws).await;
    let tier =
        ws.custom_fields(Some(EntityKind::Client)).await.unwrap().into_iter().find(|f| f.name == "Tier").unwrap();
    let renamed = ws
        .update_custom_field(tier.id, CustomFieldPatch { name: Some("Level".into()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(renamed.name, "Level");
    assert_eq!(ws.client(records[0].1).await.unwrap().fields.get("Level").map(String::as_str), Some("Gold"));
    let dropping_gold = CustomFieldPatch { choices: Some(vec!["Silver".into()]), ..Default::default() };
    assert_eq!(
        ws.update_custom_field(tier.id, dropping_gold).await.unwrap_err().to_api().field.as_deref(),
        Some("choices")
    );
    assert_eq!(ws.custom_field_usage(tier.id).await.unwrap(), 1);
    assert_eq!(ws.delete_custom_field(tier.id).await.unwrap(), 1);
    assert!(!ws.client(records[0].1).await.unwrap().fields.contains_key("Level"));

    ws.erase_client(records[0].1).await.unwrap();
    for value in ["CL-1", "CO-1", "PR-1", "MI-1"] {
        assert!(ws.search(value, 20).await.unwrap().is_empty(), "{value} is erased with its client");
    }
    assert_eq!(ws.search("JO-1", 20).await.unwrap().len(), 1, "a job of no client stays");
}
