//! Projects: work for a client, with a status, a rate type and a budget.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::patch;
use super::record::{self, Binds, Page, PageRequest, Record};
use crate::domain::{check, Client, EntityKind, Meta, Origin, Project, ProjectStatus, RateType};
use crate::error::{Error, Result};
use crate::id::Id;
use crate::money::normalize_currency;
use crate::Workspace;

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct NewProject {
    pub client_id: Option<Id>,
    pub name: String,
    pub status: Option<ProjectStatus>,
    pub rate_type: Option<RateType>,
    pub budget_minor: Option<i64>,
    pub currency: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
#[ts(optional_fields)]
pub struct ProjectPatch {
    pub name: Option<String>,
    pub status: Option<ProjectStatus>,
    pub rate_type: Option<RateType>,
    /// Budget and currency change together.
    #[serde(default, deserialize_with = "super::absent_null_or")]
    #[ts(optional)]
    pub budget: Option<Option<(i64, String)>>,
    #[serde(default, deserialize_with = "super::absent_null_or")]
    #[ts(optional)]
    pub start_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "super::absent_null_or")]
    #[ts(optional)]
    pub due_date: Option<Option<NaiveDate>>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct ProjectFilter {
    pub client_id: Option<Id>,
    pub status: Option<ProjectStatus>,
}

impl Record for Project {
    const TABLE: &'static str = "projects";
    const KIND: EntityKind = EntityKind::Project;
    const LABEL: &'static str = "name";
    const FIELDS: &'static [&'static str] = &[
        "client_id",
        "name",
        "status",
        "rate_type",
        "budget_minor",
        "currency",
        "start_date",
        "due_date",
        "description",
        "source",
        "external_id",
    ];
    const CHILDREN: &'static [(&'static str, &'static str)] = &[("milestones", "project_id")];

    fn meta(&self) -> &Meta {
        &self.meta
    }
    fn label(&self) -> &str {
        &self.name
    }
    fn bind_fields(&self, b: &mut Binds<'_, '_>) {
        b.push_bind(self.client_id);
        b.push_bind(self.name.clone());
        b.push_bind(self.status);
        b.push_bind(self.rate_type);
        b.push_bind(self.budget_minor);
        b.push_bind(self.currency.clone());
        b.push_bind(self.start_date);
        b.push_bind(self.due_date);
        b.push_bind(self.description.clone());
        b.push_bind(self.origin.source.clone());
        b.push_bind(self.origin.external_id.clone());
    }
}

impl Project {
    fn normalize(&mut self) -> Result<()> {
        self.name = check::required("name", &self.name, check::MAX_NAME)?;
        self.description = check::text("description", &self.description, check::MAX_TEXT)?;
        match (self.budget_minor, self.currency.as_deref()) {
            (Some(amount), Some(code)) => {
                if amount < 0 {
                    return Err(Error::validation("budget", "cannot be negative"));
                }
                self.currency = Some(normalize_currency("currency", code)?);
            }
            (None, None) => {}
            (Some(_), None) => return Err(Error::validation("currency", "is required with a budget")),
            (None, Some(_)) => return Err(Error::validation("budget", "is required with a currency")),
        }
        if let (Some(start), Some(due)) = (self.start_date, self.due_date) {
            if due < start {
                return Err(Error::validation("due_date", "is before the start date"));
            }
        }
        Ok(())
    }
}

impl Workspace {
    pub async fn create_project(&self, new: NewProject) -> Result<Project> {
        let client_id = new.client_id.ok_or_else(|| Error::validation("client", "is required"))?;
        let mut project = Project {
            meta: record::new_meta(self.now()),
            client_id,
            name: new.name,
            status: new.status.unwrap_or(ProjectStatus::Active),
            rate_type: new.rate_type.unwrap_or(RateType::Fixed),
            budget_minor: new.budget_minor,
            currency: new.currency,
            start_date: new.start_date,
            due_date: new.due_date,
            description: new.description,
            origin: Origin::default(),
        };
        project.normalize()?;
        let mut tx = self.pool().await.begin().await?;
        record::ensure_live::<Client>(&mut tx, client_id).await?;
        record::insert(&mut tx, &project).await?;
        tx.commit().await?;
        Ok(project)
    }

    pub async fn project(&self, id: Id) -> Result<Project> {
        record::fetch(&mut *self.pool().await.acquire().await?, id, true).await
    }

    pub async fn list_projects(&self, filter: &ProjectFilter, page: &PageRequest) -> Result<Page<Project>> {
        record::list(&mut *self.pool().await.acquire().await?, page, |qb| {
            if let Some(client) = filter.client_id {
                qb.push(" AND client_id = ").push_bind(client);
            }
            if let Some(status) = filter.status {
                qb.push(" AND status = ").push_bind(status);
            }
        })
        .await
    }

    pub async fn update_project(&self, id: Id, change: ProjectPatch) -> Result<Project> {
        let mut tx = self.pool().await.begin().await?;
        let mut project: Project = record::fetch(&mut tx, id, false).await?;
        patch(&mut project.name, change.name);
        patch(&mut project.status, change.status);
        patch(&mut project.rate_type, change.rate_type);
        if let Some(budget) = change.budget {
            (project.budget_minor, project.currency) = match budget {
                Some((amount, currency)) => (Some(amount), Some(currency)),
                None => (None, None),
            };
        }
        patch(&mut project.start_date, change.start_date);
        patch(&mut project.due_date, change.due_date);
        patch(&mut project.description, change.description);
        project.normalize()?;
        project.meta.updated_at = self.now();
        record::update(&mut tx, &project).await?;
        tx.commit().await?;
        Ok(project)
    }
}
