//! Clients (people or companies).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::extras::{self, ExtrasChange, FieldFilter};
use super::record::{self, Binds, Page, PageRequest, Record};
use super::{patch, patch_opt};
use crate::domain::{check, Client, ClientKind, EntityKind, Meta, Origin};
use crate::error::Result;
use crate::id::Id;
use crate::Workspace;

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct NewClient {
    pub kind: Option<ClientKind>,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub website: Option<String>,
    pub country: Option<String>,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Custom field values by field name.
    #[serde(default)]
    #[ts(optional, as = "Option<BTreeMap<String, String>>")]
    pub fields: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
#[ts(optional_fields)]
pub struct ClientPatch {
    pub kind: Option<ClientKind>,
    pub name: Option<String>,
    #[serde(default, deserialize_with = "super::absent_null_or")]
    #[ts(optional)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::absent_null_or")]
    #[ts(optional)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::absent_null_or")]
    #[ts(optional)]
    pub company: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::absent_null_or")]
    #[ts(optional)]
    pub website: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::absent_null_or")]
    #[ts(optional)]
    pub country: Option<Option<String>>,
    pub notes: Option<String>,
    pub restricted: Option<bool>,
    pub archived: Option<bool>,
    /// Replaces the whole set.
    pub tags: Option<Vec<String>>,
    /// Custom field values to set, or (null) to clear; others stay.
    pub fields: Option<BTreeMap<String, Option<String>>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct ClientFilter {
    pub tag: Option<String>,
    pub field: Option<FieldFilter>,
    pub kind: Option<ClientKind>,
    pub archived: Option<bool>,
    pub restricted: Option<bool>,
}

impl Record for Client {
    const TABLE: &'static str = "clients";
    const KIND: EntityKind = EntityKind::Client;
    const LABEL: &'static str = "name";
    const FIELDS: &'static [&'static str] = &[
        "kind",
        "name",
        "email",
        "phone",
        "company",
        "website",
        "country",
        "notes",
        "restricted",
        "archived_at",
        "source",
        "external_id",
    ];
    const CHILDREN: &'static [(&'static str, &'static str)] = &[("contacts", "client_id"), ("projects", "client_id")];

    fn meta(&self) -> &Meta {
        &self.meta
    }
    fn label(&self) -> &str {
        &self.name
    }
    fn bind_fields(&self, b: &mut Binds<'_, '_>) {
        b.push_bind(self.kind);
        b.push_bind(self.name.clone());
        b.push_bind(self.email.clone());
        b.push_bind(self.phone.clone());
        b.push_bind(self.company.clone());
        b.push_bind(self.website.clone());
        b.push_bind(self.country.clone());
        b.push_bind(self.notes.clone());
        b.push_bind(self.restricted);
        b.push_bind(self.archived_at);
        b.push_bind(self.origin.source.clone());
        b.push_bind(self.origin.external_id.clone());
    }
}

impl Client {
    /// Trims and checks every field; errors name the field.
    pub(crate) fn normalize(&mut self) -> Result<()> {
        self.name = check::required("name", &self.name, check::MAX_NAME)?;
        self.email = check::email("email", self.email.as_deref())?;
        self.phone = check::phone("phone", self.phone.as_deref())?;
        self.company = check::optional("company", self.company.as_deref(), check::MAX_NAME)?;
        self.website = check::optional("website", self.website.as_deref(), 2000)?;
        self.country = check::optional("country", self.country.as_deref(), 100)?;
        self.notes = check::text("notes", &self.notes, check::MAX_TEXT)?;
        self.tags = extras::normalize_tags(&self.tags)?;
        Ok(())
    }
}

impl Workspace {
    pub async fn create_client(&self, new: NewClient) -> Result<Client> {
        let now = self.now();
        let mut client = Client {
            meta: record::new_meta(now),
            kind: new.kind.unwrap_or(ClientKind::Person),
            name: new.name,
            email: new.email,
            phone: new.phone,
            company: new.company,
            website: new.website,
            country: new.country,
            notes: new.notes,
            restricted: false,
            archived_at: None,
            origin: Origin::default(),
            tags: new.tags,
            fields: Default::default(),
        };
        client.normalize()?;
        let mut tx = self.begin_write().await?;
        record::insert(&mut tx, &client).await?;
        let tags = std::mem::take(&mut client.tags);
        extras::write(&mut tx, &mut client, ExtrasChange::of_new(tags, new.fields), now).await?;
        tx.commit().await?;
        self.note_use(crate::privacy::UsageEvent::ClientCreated).await;
        Ok(client)
    }

    pub async fn client(&self, id: Id) -> Result<Client> {
        extras::fetch(&mut *self.pool().await.acquire().await?, id, true).await
    }

    pub async fn list_clients(&self, filter: &ClientFilter, page: &PageRequest) -> Result<Page<Client>> {
        extras::list(&mut *self.pool().await.acquire().await?, page, |qb| {
            extras::push_filter(qb, EntityKind::Client, filter.tag.as_deref(), filter.field.as_ref());
            if let Some(kind) = filter.kind {
                qb.push(" AND kind = ").push_bind(kind);
            }
            if let Some(archived) = filter.archived {
                qb.push(if archived { " AND archived_at IS NOT NULL" } else { " AND archived_at IS NULL" });
            }
            if let Some(restricted) = filter.restricted {
                qb.push(" AND restricted = ").push_bind(restricted);
            }
        })
        .await
    }

    pub async fn update_client(&self, id: Id, change: ClientPatch) -> Result<Client> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let mut client: Client = extras::fetch(&mut tx, id, false).await?;
        patch(&mut client.kind, change.kind);
        patch(&mut client.name, change.name);
        patch_opt(&mut client.email, change.email);
        patch_opt(&mut client.phone, change.phone);
        patch_opt(&mut client.company, change.company);
        patch_opt(&mut client.website, change.website);
        patch_opt(&mut client.country, change.country);
        patch(&mut client.notes, change.notes);
        let was_restricted = client.restricted;
        patch(&mut client.restricted, change.restricted);
        if let Some(archived) = change.archived {
            client.archived_at = if archived { client.archived_at.or(Some(now)) } else { None };
        }
        client.normalize()?;
        client.meta.updated_at = now;
        record::update(&mut tx, &client).await?;
        extras::write(&mut tx, &mut client, ExtrasChange::of_patch(change.tags, change.fields), now).await?;
        if client.restricted != was_restricted {
            crate::audit::append(
                &mut tx,
                now,
                crate::audit::action::RESTRICTION_CHANGE,
                serde_json::json!({ "restricted": client.restricted }),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(client)
    }
}
