//! People at a client.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use super::extras::{self, ExtrasChange, FieldFilter};
use super::record::{self, Binds, Page, PageRequest, Record};
use super::{patch, patch_opt};
use crate::domain::{check, Client, Contact, EntityKind, Meta};
use crate::error::Result;
use crate::id::Id;
use crate::Workspace;

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct NewContact {
    pub client_id: Option<Id>,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub role: Option<String>,
    #[serde(default)]
    pub notes: String,
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
pub struct ContactPatch {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "super::absent_null_or")]
    #[ts(optional)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::absent_null_or")]
    #[ts(optional)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::absent_null_or")]
    #[ts(optional)]
    pub role: Option<Option<String>>,
    pub notes: Option<String>,
    /// All its tags from now on.
    pub tags: Option<Vec<String>>,
    /// Custom field values to set, or (null) to clear; others stay.
    pub fields: Option<BTreeMap<String, Option<String>>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct ContactFilter {
    pub client_id: Option<Id>,
    /// Only records with this tag.
    pub tag: Option<String>,
    /// Only records whose custom field holds this value.
    pub field: Option<FieldFilter>,
}

impl Record for Contact {
    const TABLE: &'static str = "contacts";
    const KIND: EntityKind = EntityKind::Contact;
    const LABEL: &'static str = "name";
    const FIELDS: &'static [&'static str] = &["client_id", "name", "email", "phone", "role", "notes"];

    fn meta(&self) -> &Meta {
        &self.meta
    }
    fn label(&self) -> &str {
        &self.name
    }
    fn bind_fields(&self, b: &mut Binds<'_, '_>) {
        b.push_bind(self.client_id);
        b.push_bind(self.name.clone());
        b.push_bind(self.email.clone());
        b.push_bind(self.phone.clone());
        b.push_bind(self.role.clone());
        b.push_bind(self.notes.clone());
    }
}

impl Contact {
    pub(crate) fn normalize(&mut self) -> Result<()> {
        self.name = check::required("name", &self.name, check::MAX_NAME)?;
        self.email = check::email("email", self.email.as_deref())?;
        self.phone = check::phone("phone", self.phone.as_deref())?;
        self.role = check::optional("role", self.role.as_deref(), check::MAX_NAME)?;
        self.notes = check::text("notes", &self.notes, check::MAX_TEXT)?;
        Ok(())
    }
}

/// One page of the contacts `filter` lists, on `conn`.
pub(crate) async fn list_on(
    conn: &mut SqliteConnection,
    filter: &ContactFilter,
    page: &PageRequest,
) -> Result<Page<Contact>> {
    extras::list(conn, page, |qb| {
        extras::push_filter(qb, EntityKind::Contact, filter.tag.as_deref(), filter.field.as_ref());
        if let Some(client) = filter.client_id {
            qb.push(" AND client_id = ").push_bind(client);
        }
    })
    .await
}

impl Workspace {
    pub async fn create_contact(&self, new: NewContact) -> Result<Contact> {
        let client_id = new.client_id.ok_or_else(|| crate::Error::validation("client", "is required"))?;
        let mut contact = Contact {
            meta: record::new_meta(self.now()),
            client_id,
            name: new.name,
            email: new.email,
            phone: new.phone,
            role: new.role,
            notes: new.notes,
            fields: Default::default(),
            tags: Default::default(),
        };
        contact.normalize()?;
        let mut tx = self.begin_write().await?;
        record::ensure_live::<Client>(&mut tx, client_id).await?;
        record::insert(&mut tx, &contact).await?;
        extras::write(&mut tx, &mut contact, ExtrasChange::of_new(new.tags, new.fields), self.now()).await?;
        tx.commit().await?;
        Ok(contact)
    }

    pub async fn contact(&self, id: Id) -> Result<Contact> {
        extras::fetch(&mut *self.pool().await.acquire().await?, id, true).await
    }

    pub async fn list_contacts(&self, filter: &ContactFilter, page: &PageRequest) -> Result<Page<Contact>> {
        list_on(&mut *self.pool().await.acquire().await?, filter, page).await
    }

    pub async fn update_contact(&self, id: Id, change: ContactPatch) -> Result<Contact> {
        let mut tx = self.begin_write().await?;
        let mut contact: Contact = extras::fetch(&mut tx, id, false).await?;
        patch(&mut contact.name, change.name);
        patch_opt(&mut contact.email, change.email);
        patch_opt(&mut contact.phone, change.phone);
        patch_opt(&mut contact.role, change.role);
        patch(&mut contact.notes, change.notes);
        contact.normalize()?;
        contact.meta.updated_at = self.now();
        record::update(&mut tx, &contact).await?;
        extras::write(&mut tx, &mut contact, ExtrasChange::of_patch(change.tags, change.fields), self.now()).await?;
        tx.commit().await?;
        Ok(contact)
    }
}
