//! Milestones: payments of a project or an awarded bid, through escrow.

use chrono::NaiveDate;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::extras::{self, ExtrasChange, FieldFilter};
use super::patch;
use super::record::{self, Binds, Page, PageRequest, Record};
use crate::domain::{check, Bid, EntityKind, Meta, Milestone, MilestoneStatus, Origin, Project};
use crate::error::{Error, Result};
use crate::id::Id;
use crate::market_owned;
use crate::money::normalize_currency;
use crate::Workspace;

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct NewMilestone {
    pub project_id: Option<Id>,
    pub bid_id: Option<Id>,
    pub title: String,
    pub amount_minor: i64,
    pub currency: String,
    pub due_date: Option<NaiveDate>,
    /// Its tags.
    #[serde(default)]
    #[ts(optional, as = "Option<Vec<String>>")]
    pub tags: Vec<String>,
    /// Its custom field values, by field name.
    #[serde(default)]
    #[ts(optional, as = "Option<BTreeMap<String, String>>")]
    pub fields: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
#[ts(optional_fields)]
pub struct MilestonePatch {
    pub title: Option<String>,
    pub amount: Option<(i64, String)>,
    #[serde(default, deserialize_with = "super::absent_null_or")]
    #[ts(optional)]
    pub due_date: Option<Option<NaiveDate>>,
    /// All its tags from now on.
    pub tags: Option<Vec<String>>,
    /// Custom field values to set, or (null) to clear; others stay.
    pub fields: Option<BTreeMap<String, Option<String>>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct MilestoneFilter {
    pub project_id: Option<Id>,
    pub bid_id: Option<Id>,
    pub status: Option<MilestoneStatus>,
    /// Only records with this tag.
    pub tag: Option<String>,
    /// Only records whose custom field holds this value.
    pub field: Option<FieldFilter>,
}

/// ` AND …` the milestone is one of the client's projects' (live ones unless
/// `include_deleted`): the client's projects through `projects_by_client`,
/// then each one's milestones through `milestones_by_project`.
fn push_of_client_projects(qb: &mut QueryBuilder<'_, Sqlite>, client: Id, include_deleted: bool) {
    qb.push(" AND project_id IN (SELECT projects.id FROM projects WHERE projects.client_id = ").push_bind(client);
    if !include_deleted {
        qb.push(" AND projects.deleted_at IS NULL");
    }
    qb.push(")");
}

impl Record for Milestone {
    const TABLE: &'static str = "milestones";
    const KIND: EntityKind = EntityKind::Milestone;
    const LABEL: &'static str = "title";
    const FIELDS: &'static [&'static str] = &[
        "project_id",
        "bid_id",
        "title",
        "amount_minor",
        "currency",
        "status",
        "due_date",
        "source",
        "external_id",
        "kept_reason",
    ];

    fn meta(&self) -> &Meta {
        &self.meta
    }
    fn label(&self) -> &str {
        &self.title
    }
    fn bind_fields(&self, b: &mut Binds<'_, '_>) {
        b.push_bind(self.project_id);
        b.push_bind(self.bid_id);
        b.push_bind(self.title.clone());
        b.push_bind(self.amount_minor);
        b.push_bind(self.currency.clone());
        b.push_bind(self.status);
        b.push_bind(self.due_date);
        b.push_bind(self.origin.source.clone());
        b.push_bind(self.origin.external_id.clone());
        b.push_bind(self.kept_reason.clone());
    }
}

impl Milestone {
    fn normalize(&mut self) -> Result<()> {
        self.title = check::required("title", &self.title, check::MAX_NAME)?;
        check::positive("amount", self.amount_minor)?;
        self.currency = normalize_currency("currency", &self.currency)?;
        Ok(())
    }
}

/// One page of the milestones of a client's projects, on `conn`
/// ([`Workspace::list_milestones_of_client_projects`]).
pub(crate) async fn list_of_client_projects(
    conn: &mut SqliteConnection,
    client: Id,
    page: &PageRequest,
) -> Result<Page<Milestone>> {
    extras::list(conn, page, |qb| push_of_client_projects(qb, client, page.include_deleted)).await
}

impl Workspace {
    pub async fn create_milestone(&self, new: NewMilestone) -> Result<Milestone> {
        if new.project_id.is_none() && new.bid_id.is_none() {
            return Err(Error::validation("project", "a milestone belongs to a project or a bid"));
        }
        let mut milestone = Milestone {
            meta: record::new_meta(self.now()),
            project_id: new.project_id,
            bid_id: new.bid_id,
            title: new.title,
            amount_minor: new.amount_minor,
            currency: new.currency,
            status: MilestoneStatus::Pending,
            due_date: new.due_date,
            origin: Origin::default(),
            kept_reason: None,
            fields: Default::default(),
            tags: Default::default(),
        };
        milestone.normalize()?;
        let mut tx = self.begin_write().await?;
        if let Some(project) = milestone.project_id {
            record::ensure_live::<Project>(&mut tx, project).await?;
        }
        if let Some(bid) = milestone.bid_id {
            record::ensure_live::<Bid>(&mut tx, bid).await?;
        }
        record::insert(&mut tx, &milestone).await?;
        extras::write(&mut tx, &mut milestone, ExtrasChange::of_new(new.tags, new.fields), self.now()).await?;
        tx.commit().await?;
        Ok(milestone)
    }

    pub async fn milestone(&self, id: Id) -> Result<Milestone> {
        extras::fetch(&mut *self.pool().await.acquire().await?, id, true).await
    }

    pub async fn list_milestones(&self, filter: &MilestoneFilter, page: &PageRequest) -> Result<Page<Milestone>> {
        extras::list(&mut *self.pool().await.acquire().await?, page, |qb| {
            extras::push_filter(qb, EntityKind::Milestone, filter.tag.as_deref(), filter.field.as_ref());
            if let Some(project) = filter.project_id {
                qb.push(" AND project_id = ").push_bind(project);
            }
            if let Some(bid) = filter.bid_id {
                qb.push(" AND bid_id = ").push_bind(bid);
            }
            if let Some(status) = filter.status {
                qb.push(" AND status = ").push_bind(status);
            }
        })
        .await
    }

    /// The milestones of a client's projects (a client's page shows them
    /// under each project), one keyset page in `page`'s order, with the same
    /// rows, extras and rules as [`Workspace::list_milestones`]: one query for
    /// what was one list per project. Unless `page` includes deleted records,
    /// a milestone of a deleted project is left out with its project. A
    /// payment kept anonymized after its client's erasure belongs to no
    /// project, so to no client. An unknown client has none.
    pub async fn list_milestones_of_client_projects(&self, client: Id, page: &PageRequest) -> Result<Page<Milestone>> {
        list_of_client_projects(&mut *self.pool().await.acquire().await?, client, page).await
    }

    pub async fn update_milestone(&self, id: Id, change: MilestonePatch) -> Result<Milestone> {
        let mut tx = self.begin_write().await?;
        let mut milestone: Milestone = extras::fetch(&mut tx, id, false).await?;
        if change.title.as_ref().is_some_and(|t| *t != milestone.title) {
            market_owned::check_milestone_change(&milestone, "title")?;
        }
        if change.amount.as_ref().is_some_and(|(a, c)| (*a, c) != (milestone.amount_minor, &milestone.currency)) {
            market_owned::check_milestone_change(&milestone, "amount")?;
        }
        if change.due_date.as_ref().is_some_and(|d| *d != milestone.due_date) {
            market_owned::check_milestone_change(&milestone, "due_date")?;
        }
        if !milestone.status.amount_can_change() && change.amount.is_some() {
            return Err(Error::validation(
                "amount",
                format!("the milestone is {}; its amount is fixed", milestone.status),
            ));
        }
        patch(&mut milestone.title, change.title);
        if let Some((amount, currency)) = change.amount {
            (milestone.amount_minor, milestone.currency) = (amount, currency);
        }
        patch(&mut milestone.due_date, change.due_date);
        milestone.normalize()?;
        milestone.meta.updated_at = self.now();
        record::update(&mut tx, &milestone).await?;
        extras::write(&mut tx, &mut milestone, ExtrasChange::of_patch(change.tags, change.fields), self.now()).await?;
        tx.commit().await?;
        Ok(milestone)
    }

    pub async fn set_milestone_status(&self, id: Id, to: MilestoneStatus) -> Result<Milestone> {
        let mut tx = self.begin_write().await?;
        let mut milestone: Milestone = extras::fetch(&mut tx, id, false).await?;
        if milestone.status == to {
            return Ok(milestone);
        }
        market_owned::check_milestone_change(&milestone, "status")?;
        if !milestone.status.can_move_to(to) {
            return Err(Error::validation(
                "status",
                format!("a milestone cannot move from {} to {to}", milestone.status),
            ));
        }
        milestone.status = to;
        milestone.meta.updated_at = self.now();
        record::update(&mut tx, &milestone).await?;
        tx.commit().await?;
        Ok(milestone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::record::{query_plan, Sort};

    /// A client id for a plan: the plan is made before anything is bound.
    fn any_client() -> Id {
        Id::new_at("2026-11-01T09:00:00Z".parse().unwrap())
    }

    /// A client's page shows its projects' milestones: the client's projects
    /// by index, then each project's milestones by index, in every order,
    /// never a scan of every milestone.
    #[tokio::test]
    async fn the_milestones_of_a_clients_projects_are_read_through_the_clients_projects() {
        for sort in [Sort::Newest, Sort::Oldest, Sort::Name, Sort::Updated] {
            for include_deleted in [false, true] {
                let plans = query_plan::of_pages::<Milestone>(sort, |qb| {
                    push_of_client_projects(qb, any_client(), include_deleted)
                })
                .await;
                for plan in plans {
                    assert!(
                        plan.contains("projects_by_client")
                            && plan.contains("milestones_by_project")
                            && !plan.contains("SCAN milestones"),
                        "{sort:?}: {plan}"
                    );
                }
            }
        }
    }
}
