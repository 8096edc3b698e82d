//! Clients (people or companies) and their tags.

use serde::{Deserialize, Serialize};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

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
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct ClientFilter {
    pub tag: Option<String>,
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
        self.tags = normalize_tags(&self.tags)?;
        Ok(())
    }
}

fn normalize_tags(tags: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        let tag = check::required("tag", tag, 60)?;
        if !out.iter().any(|t| t.to_lowercase() == tag.to_lowercase()) {
            out.push(tag);
        }
    }
    Ok(out)
}

async fn write_tags(
    conn: &mut SqliteConnection,
    kind: EntityKind,
    id: Id,
    tags: &[String],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    sqlx::query("DELETE FROM entity_tags WHERE entity_kind = ? AND entity_id = ?")
        .bind(kind)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for tag in tags {
        sqlx::query("INSERT INTO tags (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING")
            .bind(Id::new_at(now))
            .bind(tag)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "INSERT OR IGNORE INTO entity_tags (tag_id, entity_kind, entity_id) SELECT id, ?, ? FROM tags WHERE name = ?",
        )
        .bind(kind)
        .bind(id)
        .bind(tag)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Fills in the tags of a page of clients with one query.
async fn load_tags(conn: &mut SqliteConnection, clients: &mut [Client]) -> Result<()> {
    if clients.is_empty() {
        return Ok(());
    }
    let mut qb = QueryBuilder::<Sqlite>::new(
        "SELECT et.entity_id, t.name FROM entity_tags et JOIN tags t ON t.id = et.tag_id \
         WHERE et.entity_kind = 'client' AND et.entity_id IN (",
    );
    let mut ids = qb.separated(", ");
    for c in clients.iter() {
        ids.push_bind(c.meta.id);
    }
    qb.push(") ORDER BY t.name");
    let rows: Vec<(Id, String)> = qb.build_query_as().fetch_all(conn).await?;
    for c in clients.iter_mut() {
        c.tags = rows.iter().filter(|(id, _)| *id == c.meta.id).map(|(_, name)| name.clone()).collect();
    }
    Ok(())
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
        };
        client.normalize()?;
        let mut tx = self.begin_write().await?;
        record::insert(&mut tx, &client).await?;
        write_tags(&mut tx, EntityKind::Client, client.meta.id, &client.tags, now).await?;
        tx.commit().await?;
        Ok(client)
    }

    pub async fn client(&self, id: Id) -> Result<Client> {
        let mut conn = self.pool().await.acquire().await?;
        let mut client: Client = record::fetch(&mut conn, id, true).await?;
        load_tags(&mut conn, std::slice::from_mut(&mut client)).await?;
        Ok(client)
    }

    pub async fn list_clients(&self, filter: &ClientFilter, page: &PageRequest) -> Result<Page<Client>> {
        let mut conn = self.pool().await.acquire().await?;
        let mut result: Page<Client> = record::list(&mut conn, page, |qb| {
            if let Some(tag) = &filter.tag {
                qb.push(
                    " AND id IN (SELECT et.entity_id FROM entity_tags et JOIN tags t ON t.id = et.tag_id \
                     WHERE et.entity_kind = 'client' AND t.name = ",
                )
                .push_bind(tag.trim().to_string())
                .push(")");
            }
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
        .await?;
        load_tags(&mut conn, &mut result.items).await?;
        Ok(result)
    }

    pub async fn update_client(&self, id: Id, change: ClientPatch) -> Result<Client> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let mut client: Client = record::fetch(&mut tx, id, false).await?;
        load_tags(&mut tx, std::slice::from_mut(&mut client)).await?;
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
        let tags_changed = change.tags.is_some();
        patch(&mut client.tags, change.tags);
        client.normalize()?;
        client.meta.updated_at = now;
        record::update(&mut tx, &client).await?;
        if tags_changed {
            write_tags(&mut tx, EntityKind::Client, id, &client.tags, now).await?;
        }
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
