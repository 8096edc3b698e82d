//! Marketplace jobs. Sync owns the posting's fields; the user owns saved,
//! hidden and notes. Jobs can also be entered by hand (no source).

use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sqlx::types::Json;

use super::extras::{self, ExtrasChange, FieldFilter};
use super::record::{self, Binds, Page, PageRequest, Record};
use super::{patch, patch_opt};
use crate::domain::{check, Client, EntityKind, Job, Meta, Origin, RateType};
use crate::error::{Error, Result};
use crate::id::Id;
use crate::money::normalize_currency;
use crate::Workspace;

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct NewJob {
    pub client_id: Option<Id>,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub url: Option<String>,
    pub budget_kind: Option<RateType>,
    pub budget_min_minor: Option<i64>,
    pub budget_max_minor: Option<i64>,
    pub currency: Option<String>,
    #[serde(default)]
    pub skills: Vec<String>,
    pub employer_name: Option<String>,
    pub posted_at: Option<DateTime<Utc>>,
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
pub struct JobPatch {
    #[serde(default, deserialize_with = "super::absent_null_or")]
    #[ts(optional)]
    pub client_id: Option<Option<Id>>,
    pub title: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "super::absent_null_or")]
    #[ts(optional)]
    pub url: Option<Option<String>>,
    pub skills: Option<Vec<String>>,
    #[serde(default, deserialize_with = "super::absent_null_or")]
    #[ts(optional)]
    pub employer_name: Option<Option<String>>,
    pub saved: Option<bool>,
    pub hidden: Option<bool>,
    pub my_notes: Option<String>,
    /// All its tags from now on.
    pub tags: Option<Vec<String>>,
    /// Custom field values to set, or (null) to clear; others stay.
    pub fields: Option<BTreeMap<String, Option<String>>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct JobFilter {
    pub saved: Option<bool>,
    /// Hidden jobs are left out unless asked for.
    pub hidden: Option<bool>,
    pub client_id: Option<Id>,
    /// Only records with this tag.
    pub tag: Option<String>,
    /// Only records whose custom field holds this value.
    pub field: Option<FieldFilter>,
}

impl Record for Job {
    const TABLE: &'static str = "jobs";
    const KIND: EntityKind = EntityKind::Job;
    const LABEL: &'static str = "title";
    const FIELDS: &'static [&'static str] = &[
        "client_id",
        "title",
        "description",
        "url",
        "budget_kind",
        "budget_min_minor",
        "budget_max_minor",
        "currency",
        "skills",
        "employer_name",
        "posted_at",
        "saved",
        "hidden",
        "my_notes",
        "source",
        "external_id",
    ];
    const CHILDREN: &'static [(&'static str, &'static str)] = &[("bids", "job_id")];

    fn meta(&self) -> &Meta {
        &self.meta
    }
    fn label(&self) -> &str {
        &self.title
    }
    fn bind_fields(&self, b: &mut Binds<'_, '_>) {
        b.push_bind(self.client_id);
        b.push_bind(self.title.clone());
        b.push_bind(self.description.clone());
        b.push_bind(self.url.clone());
        b.push_bind(self.budget_kind);
        b.push_bind(self.budget_min_minor);
        b.push_bind(self.budget_max_minor);
        b.push_bind(self.currency.clone());
        b.push_bind(self.skills.clone());
        b.push_bind(self.employer_name.clone());
        b.push_bind(self.posted_at);
        b.push_bind(self.saved);
        b.push_bind(self.hidden);
        b.push_bind(self.my_notes.clone());
        b.push_bind(self.origin.source.clone());
        b.push_bind(self.origin.external_id.clone());
    }
}

impl Job {
    fn normalize(&mut self) -> Result<()> {
        self.title = check::required("title", &self.title, check::MAX_NAME)?;
        self.description = check::text("description", &self.description, check::MAX_TEXT)?;
        self.url = check::optional("url", self.url.as_deref(), 2000)?;
        self.employer_name = check::optional("employer", self.employer_name.as_deref(), check::MAX_NAME)?;
        self.my_notes = check::text("notes", &self.my_notes, check::MAX_TEXT)?;
        let mut skills = Vec::new();
        for s in &self.skills.0 {
            skills.push(check::required("skill", s, 60)?);
        }
        self.skills = Json(skills);
        let has_budget = self.budget_min_minor.is_some() || self.budget_max_minor.is_some();
        match (&self.currency, has_budget) {
            (Some(code), _) => self.currency = Some(normalize_currency("currency", code)?),
            (None, true) => return Err(Error::validation("currency", "is required with a budget")),
            (None, false) => {}
        }
        for (field, v) in [("budget_min", self.budget_min_minor), ("budget_max", self.budget_max_minor)] {
            if v.is_some_and(|v| v < 0) {
                return Err(Error::validation(field, "cannot be negative"));
            }
        }
        if let (Some(min), Some(max)) = (self.budget_min_minor, self.budget_max_minor) {
            if max < min {
                return Err(Error::validation("budget_max", "is below the minimum"));
            }
        }
        Ok(())
    }
}

impl Workspace {
    pub async fn create_job(&self, new: NewJob) -> Result<Job> {
        let mut job = Job {
            meta: record::new_meta(self.now()),
            client_id: new.client_id,
            title: new.title,
            description: new.description,
            url: new.url,
            budget_kind: new.budget_kind.unwrap_or(RateType::Fixed),
            budget_min_minor: new.budget_min_minor,
            budget_max_minor: new.budget_max_minor,
            currency: new.currency,
            skills: Json(new.skills),
            employer_name: new.employer_name,
            posted_at: new.posted_at,
            saved: false,
            hidden: false,
            my_notes: String::new(),
            market_status: None,
            origin: Origin::default(),
            fields: Default::default(),
            tags: Default::default(),
        };
        job.normalize()?;
        let mut tx = self.begin_write().await?;
        if let Some(client) = job.client_id {
            record::ensure_live::<Client>(&mut tx, client).await?;
        }
        record::insert(&mut tx, &job).await?;
        extras::write(&mut tx, &mut job, ExtrasChange::of_new(new.tags, new.fields), self.now()).await?;
        tx.commit().await?;
        Ok(job)
    }

    pub async fn job(&self, id: Id) -> Result<Job> {
        extras::fetch(&mut *self.pool().await.acquire().await?, id, true).await
    }

    pub async fn list_jobs(&self, filter: &JobFilter, page: &PageRequest) -> Result<Page<Job>> {
        extras::list(&mut *self.pool().await.acquire().await?, page, |qb| {
            extras::push_filter(qb, EntityKind::Job, filter.tag.as_deref(), filter.field.as_ref());
            qb.push(" AND hidden = ").push_bind(filter.hidden.unwrap_or(false));
            if let Some(saved) = filter.saved {
                qb.push(" AND saved = ").push_bind(saved);
            }
            if let Some(client) = filter.client_id {
                qb.push(" AND client_id = ").push_bind(client);
            }
        })
        .await
    }

    pub async fn update_job(&self, id: Id, change: JobPatch) -> Result<Job> {
        let mut tx = self.begin_write().await?;
        let mut job: Job = extras::fetch(&mut tx, id, false).await?;
        if let Some(Some(client)) = change.client_id {
            record::ensure_live::<Client>(&mut tx, client).await?;
        }
        let mut changed = Vec::new();
        if change.title.as_ref().is_some_and(|t| *t != job.title) {
            changed.push("title");
        }
        if change.description.as_ref().is_some_and(|d| *d != job.description) {
            changed.push("description");
        }
        if change.skills.as_ref().is_some_and(|s| *s != job.skills.0) {
            changed.push("skills");
        }
        if change.url.as_ref().is_some_and(|u| *u != job.url) {
            changed.push("url");
        }
        crate::market_owned::check_job_change(&job, &changed)?;
        patch(&mut job.client_id, change.client_id);
        patch(&mut job.title, change.title);
        patch(&mut job.description, change.description);
        patch_opt(&mut job.url, change.url);
        patch(&mut job.skills, change.skills.map(Json));
        patch_opt(&mut job.employer_name, change.employer_name);
        patch(&mut job.saved, change.saved);
        patch(&mut job.hidden, change.hidden);
        patch(&mut job.my_notes, change.my_notes);
        job.normalize()?;
        job.meta.updated_at = self.now();
        record::update(&mut tx, &job).await?;
        extras::write(&mut tx, &mut job, ExtrasChange::of_patch(change.tags, change.fields), self.now()).await?;
        tx.commit().await?;
        Ok(job)
    }
}
