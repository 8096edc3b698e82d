//! What a marketplace owns is not changed by hand: a pulled job's own fields
//! and a pulled milestone are refused, naming the field and why, while the
//! user's own fields of the same records (notes, client, tags) still change.

use bidwell_core::market_owned::{JOB_FIELD_REASON, MILESTONE_REASON};
use bidwell_core::store::MilestonePatch;
use bidwell_core::{ErrorCode, JobPatch, MilestoneStatus, NewClient, NewMilestone, NewProject};
use bidwell_marketplace::wire;

use crate::support::{synced_market, SyncedMarket};
use crate::sync::{all_milestones, draft, sync};

#[tokio::test]
async fn a_pulled_job_keeps_its_marketplace_fields_and_takes_the_users_own() {
    let SyncedMarket { h, jobs, .. } = synced_market(3, 7).await;
    let job = &jobs[0];
    for (field, change) in [
        ("title", JobPatch { title: Some("Mine now".into()), ..Default::default() }),
        ("description", JobPatch { description: Some("rewritten".into()), ..Default::default() }),
        ("skills", JobPatch { skills: Some(vec!["cobol".into()]), ..Default::default() }),
        ("url", JobPatch { url: Some(Some("https://example.org/x".into())), ..Default::default() }),
    ] {
        let err = h.ws.update_job(job.meta.id, change).await.unwrap_err().to_api();
        assert_eq!((err.code, err.field.as_deref()), (ErrorCode::Validation, Some(field)), "{err:?}");
        assert!(err.message.contains(JOB_FIELD_REASON), "{}", err.message);
    }
    // The same value is no change, and the user's fields are the user's.
    let client = h.ws.create_client(NewClient { name: "Acme".into(), ..Default::default() }).await.unwrap();
    let kept =
        h.ws.update_job(
            job.meta.id,
            JobPatch {
                title: Some(job.title.clone()),
                client_id: Some(Some(client.meta.id)),
                my_notes: Some("call them first".into()),
                tags: Some(vec!["hot".into()]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((kept.title.as_str(), kept.my_notes.as_str()), (job.title.as_str(), "call them first"));
    assert_eq!((kept.client_id, kept.tags.clone()), (Some(client.meta.id), vec!["hot".to_string()]));

    // A job typed in by hand is the user's throughout.
    let own =
        h.ws.create_job(bidwell_core::store::NewJob { title: "Hand-made".into(), ..Default::default() }).await.unwrap();
    let renamed =
        h.ws.update_job(own.meta.id, JobPatch { title: Some("Renamed".into()), ..Default::default() }).await.unwrap();
    assert_eq!(renamed.title, "Renamed");
}

#[tokio::test]
async fn a_pulled_milestone_is_read_only_and_a_projects_own_moves_through_escrow() {
    let SyncedMarket { server, h, engine, jobs, .. } = synced_market(3, 8).await;
    let bid = draft(&h.ws, &jobs[0], "for the milestone").await;
    h.ws.submit_bid(bid.meta.id).await.unwrap();
    sync(&engine, &h.ws).await;
    let external = h.ws.bid(bid.meta.id).await.unwrap().origin.external_id.unwrap();
    server.set_bid_status(&external, wire::BidStatus::Awarded).unwrap();
    server.fund_milestone(&external).unwrap();
    sync(&engine, &h.ws).await;
    let pulled = all_milestones(&h.ws).await.pop().expect("the funded milestone arrived");

    let err = h.ws.set_milestone_status(pulled.meta.id, MilestoneStatus::Released).await.unwrap_err().to_api();
    assert_eq!((err.code, err.field.as_deref()), (ErrorCode::Validation, Some("status")), "{err:?}");
    assert!(err.message.contains(MILESTONE_REASON), "{}", err.message);
    let retitled = MilestonePatch { title: Some("Renamed".into()), ..Default::default() };
    let err = h.ws.update_milestone(pulled.meta.id, retitled).await.unwrap_err().to_api();
    assert_eq!(err.field.as_deref(), Some("title"), "{err:?}");
    let tagged = MilestonePatch { tags: Some(vec!["tax".into()]), ..Default::default() };
    assert_eq!(h.ws.update_milestone(pulled.meta.id, tagged).await.unwrap().tags, vec!["tax".to_string()]);

    // A milestone of the user's own project: funded, disputed, released.
    let client = h.ws.create_client(NewClient { name: "Own".into(), ..Default::default() }).await.unwrap();
    let project =
        h.ws.create_project(NewProject { client_id: Some(client.meta.id), name: "Site".into(), ..Default::default() })
            .await
            .unwrap();
    let own =
        h.ws.create_milestone(NewMilestone {
            project_id: Some(project.meta.id),
            title: "Design".into(),
            amount_minor: 50_000,
            currency: "EUR".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    for step in [MilestoneStatus::Funded, MilestoneStatus::Disputed, MilestoneStatus::Released] {
        assert_eq!(h.ws.set_milestone_status(own.meta.id, step).await.unwrap().status, step);
    }
    let err = h.ws.set_milestone_status(own.meta.id, MilestoneStatus::Refunded).await.unwrap_err().to_api();
    assert_eq!(err.field.as_deref(), Some("status"), "a released milestone stays released: {err:?}");
}
