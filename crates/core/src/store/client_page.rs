//! A client's page as it opens: the client and the first page of each of
//! its lists (contacts, projects, the bids on its jobs, its projects'
//! milestones, its timeline) and its consents, read in one call and one
//! snapshot. The window asked for these in seven calls; on a key account
//! their round trips and the renders between their answers cost more than
//! the reads. Each list goes on (Show more) and is read again after a
//! change with its own call, the same rows in the same order.

use serde::{Deserialize, Serialize};

use super::record::{Page, PageRequest};
use super::{activities, bids, contacts, extras, milestones, projects};
use super::{ActivityFilter, ContactFilter, ProjectFilter};
use crate::domain::{Activity, Bid, Client, Contact, EntityKind, Milestone, Project, Subject};
use crate::error::Result;
use crate::id::Id;
use crate::privacy::consent::{self, ConsentState};
use crate::Workspace;

/// The first page of each list, as large and in the order the page shows it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
pub struct ClientPageRequest {
    /// The client's contacts ([`Workspace::list_contacts`] for the client).
    pub contacts: PageRequest,
    /// The client's projects ([`Workspace::list_projects`] for the client).
    pub projects: PageRequest,
    /// [`Workspace::list_bids_on_client_jobs`].
    pub bids: PageRequest,
    /// [`Workspace::list_milestones_of_client_projects`].
    pub milestones: PageRequest,
    /// The notes, calls and messages about the client ([`Workspace::list_activities`]).
    pub timeline: PageRequest,
}

/// What [`Workspace::client_page`] read: each list's page is the one its
/// own call answers for the same request, its `next` going on from there.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ClientPage {
    pub client: Client,
    pub contacts: Page<Contact>,
    pub projects: Page<Project>,
    pub bids: Page<Bid>,
    pub milestones: Page<Milestone>,
    pub timeline: Page<Activity>,
    /// Each purpose's current state for the client ([`Workspace::consents`]).
    pub consents: Vec<ConsentState>,
}

impl Workspace {
    /// The client `id` (deleted or not, as [`Workspace::client`]) and the
    /// first page of each of its lists, in one read transaction: what the
    /// page shows agrees with itself even while a sync writes. Not found
    /// when no such client exists; a list's bad request (a limit, a cursor)
    /// is refused with its own field named.
    pub async fn client_page(&self, id: Id, request: &ClientPageRequest) -> Result<ClientPage> {
        let mut read = self.pool().await.begin().await?;
        let client: Client = extras::fetch(&mut read, id, true).await?;
        let contacts = contacts::list_on(
            &mut read,
            &ContactFilter { client_id: Some(id), ..Default::default() },
            &request.contacts,
        )
        .await
        .map_err(|e| e.in_field("contacts"))?;
        let projects = projects::list_on(
            &mut read,
            &ProjectFilter { client_id: Some(id), ..Default::default() },
            &request.projects,
        )
        .await
        .map_err(|e| e.in_field("projects"))?;
        let bids = bids::list_on_client_jobs(&mut read, id, &request.bids).await.map_err(|e| e.in_field("bids"))?;
        let milestones = milestones::list_of_client_projects(&mut read, id, &request.milestones)
            .await
            .map_err(|e| e.in_field("milestones"))?;
        let subject = Subject { kind: EntityKind::Client, id };
        let timeline =
            activities::list_on(&mut read, &ActivityFilter { subject: Some(subject), kind: None }, &request.timeline)
                .await
                .map_err(|e| e.in_field("timeline"))?;
        let consents = consent::states(&mut read, Some(id)).await?;
        read.commit().await?;
        Ok(ClientPage { client, contacts, projects, bids, milestones, timeline, consents })
    }
}
