//! Projects: work for a client, with a status, a rate type and a budget.

use chrono::NaiveDate;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::extras::{self, ExtrasChange, FieldFilter};
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
    /// All its tags from now on.
    pub tags: Option<Vec<String>>,
    /// Custom field values to set, or (null) to clear; others stay.
    pub fields: Option<BTreeMap<String, Option<String>>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct ProjectFilter {
    pub client_id: Option<Id>,
    pub status: Option<ProjectStatus>,
    /// Only records with this tag.
    pub tag: Option<String>,
    /// Only records whose custom field holds this value.
    pub field: Option<FieldFilter>,
}

impl ProjectFilter {
    /// The filter as ` AND …` conditions of a projects list.
    fn push_conditions(&self, qb: &mut QueryBuilder<'_, Sqlite>) {
        if let Some(client) = self.client_id {
            qb.push(" AND client_id = ").push_bind(client);
        }
        if let Some(status) = self.status {
            qb.push(" AND status = ").push_bind(status);
        }
    }
}

/// Projects as read: every column of `projects`, and the client's name while
/// the client is not deleted. One primary-key join, which SQLite flattens into
/// each read, so a list stays one query that walks the same index.
pub(crate) const PROJECT_ROWS: &str = "(SELECT projects.*, \
     CASE WHEN clients.deleted_at IS NULL THEN clients.name END AS client_name FROM projects \
     LEFT JOIN clients ON clients.id = projects.client_id) \
     AS project_rows";

impl Record for Project {
    const TABLE: &'static str = "projects";
    const SOURCE: &'static str = PROJECT_ROWS;
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

/// One page of the projects `filter` lists, on `conn`.
pub(crate) async fn list_on(
    conn: &mut SqliteConnection,
    filter: &ProjectFilter,
    page: &PageRequest,
) -> Result<Page<Project>> {
    extras::list(conn, page, |qb| {
        extras::push_filter(qb, EntityKind::Project, filter.tag.as_deref(), filter.field.as_ref());
        filter.push_conditions(qb);
    })
    .await
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
            client_name: None,
            fields: Default::default(),
            tags: Default::default(),
        };
        project.normalize()?;
        let mut tx = self.begin_write().await?;
        record::ensure_live::<Client>(&mut tx, client_id).await?;
        record::insert(&mut tx, &project).await?;
        // Read back, so the project comes with its client's name as every read does.
        let mut project = record::fetch(&mut tx, project.meta.id, false).await?;
        extras::write(&mut tx, &mut project, ExtrasChange::of_new(new.tags, new.fields), self.now()).await?;
        tx.commit().await?;
        Ok(project)
    }

    pub async fn project(&self, id: Id) -> Result<Project> {
        extras::fetch(&mut *self.pool().await.acquire().await?, id, true).await
    }

    pub async fn list_projects(&self, filter: &ProjectFilter, page: &PageRequest) -> Result<Page<Project>> {
        list_on(&mut *self.pool().await.acquire().await?, filter, page).await
    }

    pub async fn update_project(&self, id: Id, change: ProjectPatch) -> Result<Project> {
        let mut tx = self.begin_write().await?;
        let mut project: Project = extras::fetch(&mut tx, id, false).await?;
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
        extras::write(&mut tx, &mut project, ExtrasChange::of_patch(change.tags, change.fields), self.now()).await?;
        tx.commit().await?;
        Ok(project)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::record::{query_plan, Sort};

    /// The lists the UI asks for (all projects or one status, newest first;
    /// a client's projects; by name) walk their index with the client's name
    /// read by its primary key, instead of sorting or scanning a table.
    #[tokio::test]
    async fn the_projects_lists_read_an_index_and_each_client_by_its_key() {
        let a_client = ProjectFilter { client_id: Some(Id::new_at(chrono::Utc::now())), ..Default::default() };
        let active = ProjectFilter { status: Some(ProjectStatus::Active), ..Default::default() };
        let cases = [
            (Sort::Newest, ProjectFilter::default(), "sqlite_autoindex_projects_1"),
            (Sort::Newest, active, "sqlite_autoindex_projects_1"),
            (Sort::Newest, a_client, "projects_by_client"),
            (Sort::Name, ProjectFilter::default(), "projects_by_name"),
        ];
        for (sort, filter, index) in cases {
            for plan in query_plan::of_pages::<Project>(sort, |qb| filter.push_conditions(qb)).await {
                assert!(plan.contains(&format!("projects USING INDEX {index}")), "{sort:?} {filter:?}: {plan}");
                assert!(plan.contains("SEARCH clients USING INDEX sqlite_autoindex_clients_1 (id=?)"), "{plan}");
                assert!(!plan.contains("USE TEMP B-TREE"), "{sort:?} {filter:?}: {plan}");
            }
        }
    }
}
