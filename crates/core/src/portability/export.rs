//! Writing an export: everything (or everything about one client) read in
//! one database snapshot, written as an archive to a file that gets the
//! destination's name only once whole (staging.rs: a crash leaves no
//! partial file). Also the vCard export.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use crate::rates::ExchangeRate;

use super::archive::{
    self, ArchiveData, ArchiveEntity, ArchiveWriter, ConsentRecord, CustomValue, Manifest, ManifestFile, TagLink,
    TagRecord,
};
use super::protection::{self, ArchiveContainer, PasswordStrength};
use super::staging::Staged;
use super::{stop_if_asked, ProgressSink, RecordCounts, Step};
use crate::audit::{self, AuditEntry};
use crate::domain::{Client, EntityKind};
use crate::error::{Error, Result};
use crate::id::Id;
use crate::secret::Passphrase;
use crate::store::record::Record;
use crate::store::CustomField;
use crate::Workspace;

/// What to export, as the app's dialog or the CLI's flags say it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
#[ts(optional_fields)]
pub struct ExportOptions {
    /// Only this client and what hangs off it (a data-subject request).
    pub client: Option<Id>,
    /// Start each CSV file with a UTF-8 byte order mark (for older Excel).
    pub csv_bom: bool,
    /// A ZIP (WinZip AES entries with a password), or the ZIP inside an
    /// age file (needs a password).
    pub container: ArchiveContainer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ExportScope {
    All,
    Client,
}

impl ExportScope {
    fn as_str(self) -> &'static str {
        match self {
            ExportScope::All => "all",
            ExportScope::Client => "client",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ExportSummary {
    pub path: PathBuf,
    pub scope: ExportScope,
    pub counts: RecordCounts,
    pub encrypted: bool,
    pub container: ArchiveContainer,
    /// Files in the archive, manifest and README included.
    pub files: u32,
    /// Size of the archive.
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct VcardExportSummary {
    pub path: PathBuf,
    pub scope: ExportScope,
    pub cards: u64,
}

const README_TEXT: &str = include_str!("export-readme.txt");

/// Which rows of each table an export takes: all, or those about one client.
struct Selection {
    client: Option<Id>,
}

impl Selection {
    /// `WHERE …` for `table`; `related` is a JSON array of the ids already selected.
    fn filter(&self, table: &str) -> Option<&'static str> {
        self.client?;
        Some(match table {
            "clients" => "WHERE id = ?1",
            "contacts" | "projects" => "WHERE client_id = ?1",
            "bids" => {
                "WHERE job_id IN (SELECT id FROM jobs WHERE client_id = ?1) \
                 OR project_id IN (SELECT id FROM projects WHERE client_id = ?1)"
            }
            "jobs" => "WHERE client_id = ?1 OR id IN (SELECT value FROM json_each(?2))",
            "milestones" => {
                "WHERE project_id IN (SELECT id FROM projects WHERE client_id = ?1) \
                 OR bid_id IN (SELECT value FROM json_each(?2))"
            }
            "activities" | "tasks" => "WHERE subject_id IN (SELECT value FROM json_each(?2))",
            "entity_tags" | "custom_values" => "WHERE entity_id IN (SELECT value FROM json_each(?2))",
            "consents" => "WHERE subject_kind = 'client' AND subject_id = ?1",
            // The audit log is about the user's workspace, not about a client.
            "audit_log" => "WHERE 0",
            _ => "WHERE 0",
        })
    }
}

async fn load<T>(
    conn: &mut SqliteConnection,
    table: &str,
    order: &str,
    selection: &Selection,
    related: &[Id],
) -> Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + Send + Unpin,
{
    let filter = selection.filter(table).unwrap_or("");
    let sql = format!("SELECT * FROM {table} {filter} ORDER BY {order}");
    let related = serde_json::to_string(related).unwrap_or_else(|_| "[]".into());
    let mut query = sqlx::query_as::<_, T>(&sql);
    // SQLite counts parameters up to the highest number used.
    if filter.contains("?2") {
        query = query.bind(selection.client).bind(related);
    } else if filter.contains("?1") {
        query = query.bind(selection.client);
    }
    Ok(query.fetch_all(conn).await?)
}

async fn load_records<R: Record>(conn: &mut SqliteConnection, selection: &Selection, related: &[Id]) -> Result<Vec<R>> {
    load(conn, R::TABLE, "id", selection, related).await
}

/// Reads everything the selection takes, in one snapshot.
async fn read_data(conn: &mut SqliteConnection, selection: &Selection) -> Result<ArchiveData> {
    let none: &[Id] = &[];
    let mut clients: Vec<Client> = load_records(conn, selection, none).await?;
    if let Some(id) = selection.client {
        if clients.is_empty() {
            return Err(Error::not_found(EntityKind::Client, id));
        }
    }
    let contacts = load_records(conn, selection, none).await?;
    let projects: Vec<crate::domain::Project> = load_records(conn, selection, none).await?;
    let bids: Vec<crate::domain::Bid> = load_records(conn, selection, none).await?;
    let bid_jobs: Vec<Id> = bids.iter().map(|b| b.job_id).collect();
    let jobs: Vec<crate::domain::Job> = load_records(conn, selection, &bid_jobs).await?;
    let bid_ids: Vec<Id> = bids.iter().map(|b| b.meta.id).collect();
    let milestones: Vec<crate::domain::Milestone> = load_records(conn, selection, &bid_ids).await?;
    let mut subjects: Vec<Id> = clients.iter().map(|r| r.meta.id).collect();
    subjects.extend(contacts.iter().map(|r: &crate::domain::Contact| r.meta.id));
    subjects.extend(projects.iter().map(|r| r.meta.id));
    subjects.extend(jobs.iter().map(|r| r.meta.id));
    subjects.extend(bids.iter().map(|r| r.meta.id));
    subjects.extend(milestones.iter().map(|r| r.meta.id));
    let activities = load_records(conn, selection, &subjects).await?;
    let tasks = load_records(conn, selection, &subjects).await?;
    let tag_links: Vec<TagLink> =
        load(conn, "entity_tags", "tag_id, entity_kind, entity_id", selection, &subjects).await?;
    let tags: Vec<TagRecord> = {
        let all: Vec<TagRecord> = sqlx::query_as("SELECT * FROM tags ORDER BY id").fetch_all(&mut *conn).await?;
        if selection.client.is_some() {
            all.into_iter().filter(|t| tag_links.iter().any(|l| l.tag_id == t.id)).collect()
        } else {
            all
        }
    };
    let custom_values: Vec<CustomValue> =
        load(conn, "custom_values", "field_id, entity_id", selection, &subjects).await?;
    let custom_fields: Vec<CustomField> = {
        let all: Vec<CustomField> =
            sqlx::query_as("SELECT * FROM custom_fields ORDER BY id").fetch_all(&mut *conn).await?;
        if selection.client.is_some() {
            all.into_iter().filter(|f| custom_values.iter().any(|v| v.field_id == f.id)).collect()
        } else {
            all
        }
    };
    // Clients carry their tag names too, as everywhere else (sorted as the store sorts them).
    let names: HashMap<Id, &str> = tags.iter().map(|t| (t.id, t.name.as_str())).collect();
    let mut by_client: HashMap<Id, Vec<&str>> = HashMap::new();
    for link in tag_links.iter().filter(|l| l.entity_kind == EntityKind::Client) {
        if let Some(name) = names.get(&link.tag_id) {
            by_client.entry(link.entity_id).or_default().push(name);
        }
    }
    for client in &mut clients {
        if let Some(list) = by_client.get_mut(&client.meta.id) {
            list.sort_by_key(|n| n.to_lowercase());
            client.tags = list.iter().map(|n| n.to_string()).collect();
        }
    }
    // The rates are the user's, about no client: everything has them, one client's export not.
    let exchange_rates: Vec<ExchangeRate> = if selection.client.is_some() {
        Vec::new()
    } else {
        sqlx::query_as("SELECT * FROM exchange_rates ORDER BY id").fetch_all(&mut *conn).await?
    };
    let consents: Vec<ConsentRecord> = load(conn, "consents", "id", selection, none).await?;
    let audit_log: Vec<AuditEntry> = load(conn, "audit_log", "seq", selection, none).await?;
    Ok(ArchiveData {
        clients,
        contacts,
        projects,
        jobs,
        bids,
        milestones,
        activities,
        tasks,
        tags,
        tag_links,
        custom_fields,
        custom_values,
        exchange_rates,
        consents,
        audit_log,
    })
}

impl Workspace {
    /// How strong `password` is for `container` (the rule [`Workspace::export`]
    /// enforces), with the workspace's name counted as a guessable word.
    pub async fn export_password_strength(
        &self,
        password: &Passphrase,
        container: ArchiveContainer,
    ) -> PasswordStrength {
        let (name, _) = self.key_file_info().await;
        protection::password_strength(password.expose_secret(), container, &[name.as_str()])
    }

    /// Writes an export archive to `dest` (docs/export-format.md). The file
    /// appears only once it is complete; on an error or a cancel nothing is
    /// left behind. `progress` hears of each file written; setting `cancel`
    /// stops before the next one with [`Error::Cancelled`]. With a password
    /// (refused with a `validation` error when too weak for the container,
    /// see [`protection::password_strength`]), every file inside is AES-256
    /// encrypted, or the whole ZIP goes into an age file. Appends an
    /// `export` audit entry (scope, container and counts only).
    pub async fn export(
        &self,
        dest: &Path,
        options: &ExportOptions,
        password: Option<&Passphrase>,
        progress: &mut ProgressSink<'_>,
        cancel: &AtomicBool,
    ) -> Result<ExportSummary> {
        let container = options.container;
        {
            let (name, _) = self.key_file_info().await;
            protection::check_export_password(password, container, &[name.as_str()])?;
        }
        let secret = password.map(Passphrase::expose_secret);
        // Inside an age file the ZIP's entries are plain: age locks them all.
        let entry_password = if container == ArchiveContainer::Zip { secret } else { None };
        let staged = Staged::beside(dest)?;
        let scope = if options.client.is_some() { ExportScope::Client } else { ExportScope::All };
        let selection = Selection { client: options.client };
        let exported_at = self.now();

        let pool = self.pool().await;
        let data = {
            // One read transaction: every file comes from the same snapshot.
            let mut tx = pool.begin().await?;
            let data = read_data(&mut tx, &selection).await?;
            tx.rollback().await?;
            data
        };
        let counts = data.counts();
        let total = archive::STEMS.len() as u64 * 2 + 2;
        let mut step = 0u64;
        let mut report = |stage: &str, progress: &mut ProgressSink<'_>| {
            step += 1;
            progress(Step { stage: stage.to_string(), done: step, total });
        };
        progress(Step { stage: "reading".into(), done: 0, total });

        // The ZIP is built in memory (about the size of the archive; the
        // records are in memory already), then written as it is or locked in
        // an age file: no unencrypted copy ever reaches the disk.
        let mut writer = ArchiveWriter::new(std::io::Cursor::new(Vec::new()), exported_at);
        let mut files: Vec<ManifestFile> = Vec::new();
        let mut add =
            |name: String, bytes: Vec<u8>, writer: &mut ArchiveWriter<std::io::Cursor<Vec<u8>>>| -> Result<()> {
                stop_if_asked(self, cancel)?;
                writer.add(&name, &bytes, entry_password)?;
                files.push(ManifestFile { sha256: archive::sha256_hex(&bytes), bytes: bytes.len() as u64, name });
                Ok(())
            };
        macro_rules! entity {
            ($list:expr) => {{
                let list = &$list;
                let stem = entity_stem(list);
                add(format!("{stem}.json"), archive::to_json_lines(list)?, &mut writer)?;
                report(&format!("{stem}.json"), progress);
                add(format!("{stem}.csv"), archive::to_csv(list, options.csv_bom)?, &mut writer)?;
                report(&format!("{stem}.csv"), progress);
            }};
        }
        entity!(data.clients);
        entity!(data.contacts);
        entity!(data.projects);
        entity!(data.jobs);
        entity!(data.bids);
        entity!(data.milestones);
        entity!(data.activities);
        entity!(data.tasks);
        entity!(data.tags);
        entity!(data.tag_links);
        entity!(data.custom_fields);
        entity!(data.custom_values);
        entity!(data.exchange_rates);
        entity!(data.consents);
        entity!(data.audit_log);
        add(archive::README.to_string(), README_TEXT.replace('\n', "\r\n").into_bytes(), &mut writer)?;
        report(archive::README, progress);

        let manifest = Manifest {
            format: archive::FORMAT.into(),
            format_version: archive::FORMAT_VERSION,
            app_version: env!("CARGO_PKG_VERSION").into(),
            schema_version: crate::store::db::schema_version(&pool).await?,
            exported_at,
            scope: scope.as_str().into(),
            client_id: options.client,
            encrypted: password.is_some(),
            counts: counts.clone(),
            files,
        };
        let manifest_bytes = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| Error::Inconsistent(format!("could not write the manifest: {e}")))?;
        stop_if_asked(self, cancel)?;
        writer.add(archive::MANIFEST, &manifest_bytes, entry_password)?;
        let zip = writer.finish()?.into_inner();
        let written = match (container, password) {
            (ArchiveContainer::Age, Some(password)) => protection::age_encrypt(&zip, password, staged.file()),
            _ => staged.file().write_all(&zip),
        };
        drop(zip);
        written.and_then(|()| staged.file().flush()).map_err(|e| Error::io(staged.path(), e))?;
        report(archive::MANIFEST, progress);

        let bytes = staged.persist()?;
        let audited = async {
            let mut conn = pool.acquire().await?;
            let detail = serde_json::json!({
                "scope": scope.as_str(),
                "encrypted": password.is_some(),
                "container": container.as_str(),
                "counts": counts,
            });
            audit::append(&mut conn, self.now(), audit::action::EXPORT, detail).await
        }
        .await;
        if let Err(err) = audited {
            // An export the audit log does not show must not exist.
            let _ = std::fs::remove_file(dest);
            return Err(err);
        }
        self.note_use(crate::privacy::UsageEvent::Export).await;
        Ok(ExportSummary {
            path: dest.to_path_buf(),
            scope,
            counts,
            encrypted: password.is_some(),
            container,
            files: manifest.files.len() as u32 + 1,
            bytes,
        })
    }

    /// Writes the clients and contacts (all, or one client's) as vCard 3.0
    /// cards to `dest`, atomically. Appends an `export` audit entry.
    pub async fn export_vcard(&self, dest: &Path, client: Option<Id>) -> Result<VcardExportSummary> {
        let staged = Staged::beside(dest)?;
        let selection = Selection { client };
        let scope = if client.is_some() { ExportScope::Client } else { ExportScope::All };
        let pool = self.pool().await;
        let data = {
            let mut tx = pool.begin().await?;
            let data = read_data(&mut tx, &selection).await?;
            tx.rollback().await?;
            data
        };
        let live_clients: Vec<&Client> = data.clients.iter().filter(|c| c.meta.deleted_at.is_none()).collect();
        let live_contacts: Vec<_> = data.contacts.iter().filter(|c| c.meta.deleted_at.is_none()).collect();
        let text = super::vcard::write_vcards(&live_clients, &live_contacts, &data.clients);
        staged.file().write_all(text.as_bytes()).map_err(|e| Error::io(staged.path(), e))?;
        staged.persist()?;
        let cards = (live_clients.len() + live_contacts.len()) as u64;
        let mut conn = pool.acquire().await?;
        let detail = serde_json::json!({ "format": "vcard", "scope": scope.as_str(), "cards": cards });
        if let Err(err) = audit::append(&mut conn, self.now(), audit::action::EXPORT, detail).await {
            let _ = std::fs::remove_file(dest);
            return Err(err);
        }
        drop(conn);
        self.note_use(crate::privacy::UsageEvent::Export).await;
        Ok(VcardExportSummary { path: dest.to_path_buf(), scope, cards })
    }
}

fn entity_stem<T: ArchiveEntity>(_: &[T]) -> &'static str {
    T::STEM
}
