//! Importing a file into the workspace: a Bidwell export (into an empty
//! workspace, exactly as it was), clients from a CSV or vCard file, or
//! contacts from a CSV file (each joining its client by name, which is made
//! when missing). The
//! whole file is parsed and checked before anything is written, then
//! written in one transaction with its `import` audit entry: all or nothing.
//! A CSV file's columns no field takes are ignored, or kept as custom fields
//! of the imported kind when the user asks ([`UnmappedColumns::Keep`]): see
//! [`plan_unmapped`] for which field each column goes to.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::archive::{self, ArchiveData, CustomValue};
use super::csv_import::{ContactRow, UnmappedValues};
use super::{ColumnMapping, CsvMapping, ProgressSink, RecordCounts, Step};
use crate::audit;
use crate::domain::{Client, ClientKind, Contact, CustomFieldType, EntityKind, Job, Origin};
use crate::error::{Error, Result};
use crate::id::Id;
use crate::secret::Passphrase;
use crate::store::{bulk, CustomField};
use crate::Workspace;

/// What kind of file is being imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    /// A Bidwell export archive (.zip, or .zip.age).
    Bidwell,
    /// A CSV file of clients (.csv).
    Clients,
    /// vCard 2.1, 3.0 or 4.0 cards (.vcf), imported as clients.
    Vcard,
    /// A CSV file of contacts, each naming its client (made when missing).
    Contacts,
}

impl ImportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Bidwell => "bidwell",
            ImportKind::Clients => "clients",
            ImportKind::Vcard => "vcard",
            ImportKind::Contacts => "contacts",
        }
    }

    /// The kind a file name suggests: .zip, .csv, .vcf / .vcard; a trailing
    /// .age (an age-encrypted file) is looked through: `x.zip.age` is a
    /// Bidwell export.
    pub fn from_path(path: &Path) -> Result<ImportKind> {
        let ext_of = |p: &Path| p.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        let mut ext = ext_of(path);
        if ext == "age" {
            ext = path.file_stem().map(|stem| ext_of(Path::new(stem))).unwrap_or_default();
            if ext.is_empty() {
                ext = "zip".into();
            }
        }
        match ext.as_str() {
            "zip" => Ok(ImportKind::Bidwell),
            "csv" => Ok(ImportKind::Clients),
            "vcf" | "vcard" => Ok(ImportKind::Vcard),
            _ => Err(Error::validation(
                "kind",
                format!(
                    "cannot tell what {} holds from its name; give the kind (bidwell, clients, contacts or vcard)",
                    path.display()
                ),
            )),
        }
    }
}

impl std::str::FromStr for ImportKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "bidwell" | "archive" => Ok(ImportKind::Bidwell),
            "clients" | "csv" => Ok(ImportKind::Clients),
            "vcard" | "vcf" => Ok(ImportKind::Vcard),
            "contacts" => Ok(ImportKind::Contacts),
            _ => Err(Error::validation("kind", format!("'{s}' is not one of: bidwell, clients, contacts, vcard"))),
        }
    }
}

/// What a CSV import does with the columns no field takes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum UnmappedColumns {
    /// Leave their values out (as before there was a choice).
    #[default]
    Ignore,
    /// Keep each column that has a value as a custom field of the imported
    /// kind: the existing field of that name, or a new text field.
    Keep,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
#[ts(optional_fields)]
pub struct ImportOptions {
    /// Guessed from the file name when absent.
    pub kind: Option<ImportKind>,
    /// CSV only: which column fills which client field.
    pub mapping: Vec<ColumnMapping>,
    /// Check everything and report the counts; write nothing.
    pub dry_run: bool,
    /// CSV only: ignore the columns no field takes (the default), or keep
    /// them as custom fields. Refused for the other kinds, which have no
    /// such columns.
    pub unmapped: UnmappedColumns,
}

/// Where an unmapped column of a CSV file goes when it is kept (or would
/// go, when it is ignored): a custom field of the imported kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct UnmappedField {
    /// The column, as the file spells it.
    pub column: String,
    /// The custom field: an existing one spelled as it is defined, or the new one's name.
    pub field: String,
    pub field_type: CustomFieldType,
    /// True when the field exists already; false when keeping defines it (as text).
    pub existing: bool,
    /// How many records have a value in the column.
    pub values: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ImportSummary {
    pub kind: ImportKind,
    pub dry_run: bool,
    /// What was written (or, in a dry run, would be).
    pub counts: RecordCounts,
    /// A CSV file's columns: which fills which field, which are left out.
    pub mapping: Option<CsvMapping>,
    /// What was chosen for the unmapped columns.
    pub unmapped: UnmappedColumns,
    /// Each unmapped column with a value and the custom field it went to
    /// (`unmapped` is keep) or would go to (ignore: nothing was kept), in
    /// file order. A column the user mapped to `ignore` is not among them.
    pub unmapped_fields: Vec<UnmappedField>,
    /// The records are saved but indexing them for search failed; the next
    /// search indexes them (it catches the index up first).
    pub search_index_pending: bool,
}

impl Workspace {
    /// Imports `path` (see [`ImportKind`]). Everything is checked before
    /// anything is written; then one transaction writes it all with an
    /// `import` audit entry (kind and counts only). Any bad record refuses
    /// the whole file with an [`Error::ImportInvalid`] naming file, line and
    /// field. A Bidwell archive imports only into an empty workspace and
    /// needs its `password` if it has one. `cancel` stops before the write
    /// is committed, with [`Error::Cancelled`].
    pub async fn import(
        &self,
        path: &Path,
        options: &ImportOptions,
        password: Option<&Passphrase>,
        progress: &mut ProgressSink<'_>,
        cancel: &AtomicBool,
    ) -> Result<ImportSummary> {
        let kind = match options.kind {
            Some(kind) => kind,
            None => ImportKind::from_path(path)?,
        };
        let keep = options.unmapped == UnmappedColumns::Keep;
        if keep && !matches!(kind, ImportKind::Clients | ImportKind::Contacts) {
            return Err(Error::validation(
                "unmapped",
                format!("only a CSV file has columns to keep as custom fields; a {} import has none", kind.as_str()),
            ));
        }
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let total = 4;
        progress(Step { stage: "reading".into(), done: 0, total });
        let mut bytes = super::limits::read_import_file(path)?;
        if super::protection::is_age(&bytes) {
            // An age file holds the file itself, unencrypted inside.
            bytes = super::protection::age_decrypt(&name, &bytes, password)?;
        }
        progress(Step { stage: "checking".into(), done: 1, total });
        let now = self.now();
        let (parsed, mapping) = parse(kind, &name, &bytes, options, password, now)?;
        drop(bytes);
        super::stop_if_asked(self, cancel)?;
        let mut conn = self.pool().await.acquire().await?;
        if let Parsed::Archive(_) = parsed {
            ensure_empty(&mut conn).await?;
        }
        let records = match &parsed {
            Parsed::Contacts(rows, _) => plan_contacts(&mut conn, rows, now).await?.counts(),
            other => other.counts(),
        };
        let kept = plan_unmapped(&mut conn, &name, &parsed, keep, now).await?;
        let mut counts = records.clone();
        kept.count(&mut counts);
        let summary = |dry_run, counts, fields, search_index_pending| ImportSummary {
            kind,
            dry_run,
            counts,
            mapping: mapping.clone(),
            unmapped: options.unmapped,
            unmapped_fields: fields,
            search_index_pending,
        };
        if options.dry_run {
            progress(Step { stage: "checked".into(), done: total, total });
            return Ok(summary(true, counts, kept.fields, false));
        }
        progress(Step { stage: "writing".into(), done: 2, total });
        self.backup_now(crate::backup::BackupReason::BeforeImport).await?;
        let previous = bulk::enlarge_cache(&mut conn).await?;
        let written = write(self, &mut conn, &parsed, kind, &name, keep, records, now, cancel).await;
        bulk::restore_cache(&mut conn, previous).await;
        let (counts, fields) = written?;
        drop(conn);
        // The records were indexed in their own transaction; what the queue
        // holds (kept custom values, or records whose indexing failed there)
        // is indexed before the import says it is done, rather than on the
        // first search after it. The rows are committed by now: a failure here
        // must not read as a failed import (the next search retries).
        progress(Step { stage: "indexing".into(), done: 3, total });
        let search_index_pending = match self.catch_up_search_index().await {
            Ok(_) => false,
            Err(err) => {
                tracing::warn!(code = ?err.code(), "imported records saved; indexing them for search failed");
                true
            }
        };
        progress(Step { stage: "done".into(), done: total, total });
        self.note_use(crate::privacy::UsageEvent::Import).await;
        Ok(summary(false, counts, fields, search_index_pending))
    }
}

/// Reads and checks the whole file; for CSV, also the mapping chosen.
fn parse(
    kind: ImportKind,
    name: &str,
    bytes: &[u8],
    options: &ImportOptions,
    password: Option<&Passphrase>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(Parsed, Option<CsvMapping>)> {
    use super::csv_import::{read_clients_csv, read_contacts_csv};
    Ok(match kind {
        ImportKind::Bidwell => {
            let data = archive::parse_archive(name, bytes, password.map(Passphrase::expose_secret))?.data;
            (Parsed::Archive(Box::new(data)), None)
        }
        ImportKind::Clients => {
            let (clients, mapping, unmapped) = read_clients_csv(name, bytes, &options.mapping, now)?;
            (Parsed::Clients(clients, unmapped), Some(mapping))
        }
        ImportKind::Vcard => {
            (Parsed::Clients(super::vcard::parse_vcards(name, bytes, now)?, UnmappedValues::default()), None)
        }
        ImportKind::Contacts => {
            let (rows, mapping, unmapped) = read_contacts_csv(name, bytes, &options.mapping, now)?;
            (Parsed::Contacts(rows, unmapped), Some(mapping))
        }
    })
}

/// A file read and checked; a CSV file's records come with the values of
/// its unmapped columns (a row of them per record, in the same order).
enum Parsed {
    Archive(Box<ArchiveData>),
    Clients(Vec<Client>, UnmappedValues),
    Contacts(Vec<ContactRow>, UnmappedValues),
}

/// Contacts joined to their clients: the clients to make, and the contacts
/// with their client ids.
struct ContactPlan {
    new_clients: Vec<Client>,
    contacts: Vec<Contact>,
}

impl ContactPlan {
    fn counts(&self) -> RecordCounts {
        RecordCounts {
            clients: self.new_clients.len() as u64,
            contacts: self.contacts.len() as u64,
            ..RecordCounts::default()
        }
    }
}

/// Joins each contact to the live client of that name (case ignored; the
/// oldest when several share it), or to a company client made for it. Rows
/// naming the same missing client share one new client, spelled as the
/// first row spells it.
async fn plan_contacts(
    conn: &mut SqliteConnection,
    rows: &[ContactRow],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ContactPlan> {
    let mut by_name: std::collections::HashMap<String, Id> = std::collections::HashMap::new();
    let mut new_clients = Vec::new();
    let mut contacts = Vec::with_capacity(rows.len());
    for row in rows {
        let key = row.client_name.to_lowercase();
        let client_id = match by_name.get(&key) {
            Some(id) => *id,
            None => {
                let existing: Option<Id> = sqlx::query_scalar(
                    "SELECT id FROM clients WHERE deleted_at IS NULL AND name = ? COLLATE NOCASE ORDER BY id LIMIT 1",
                )
                .bind(&row.client_name)
                .fetch_optional(&mut *conn)
                .await?;
                let id = match existing {
                    Some(id) => id,
                    None => {
                        let client = Client {
                            meta: crate::store::record::new_meta(now),
                            kind: ClientKind::Company,
                            name: row.client_name.clone(),
                            email: None,
                            phone: None,
                            company: None,
                            website: None,
                            country: None,
                            notes: String::new(),
                            restricted: false,
                            archived_at: None,
                            origin: Origin::default(),
                            tags: Vec::new(),
                            fields: Default::default(),
                        };
                        let id = client.meta.id;
                        new_clients.push(client);
                        id
                    }
                };
                by_name.insert(key, id);
                id
            }
        };
        contacts.push(Contact { client_id, ..row.contact.clone() });
    }
    Ok(ContactPlan { new_clients, contacts })
}

/// Where the unmapped columns go, and (when keeping) what is written.
#[derive(Default)]
struct UnmappedPlan {
    fields: Vec<UnmappedField>,
    /// The fields keeping defines; empty unless keeping.
    new_fields: Vec<CustomField>,
    /// Each record's kept values, checked and as their fields keep them; empty unless keeping.
    values: Vec<CustomValue>,
}

impl UnmappedPlan {
    fn count(&self, counts: &mut RecordCounts) {
        counts.custom_fields += self.new_fields.len() as u64;
        counts.custom_values += self.values.len() as u64;
    }
}

/// The longest custom field name (`store::extras`).
const FIELD_NAME_MAX: usize = 60;

/// A custom field's name for the column at `position` (0-based) headed
/// `header`: the header trimmed, control characters as spaces, `=` as `-`
/// (the CLI writes NAME=VALUE), at most 60 characters; "Column N" (counted
/// from 1) when nothing is left.
fn field_name(header: &str, position: usize) -> String {
    let cleaned: String = header
        .chars()
        .map(|c| {
            if c == '=' {
                '-'
            } else if c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect();
    let name: String = cleaned.trim().chars().take(FIELD_NAME_MAX).collect();
    let name = name.trim_end();
    if name.is_empty() {
        format!("Column {}", position + 1)
    } else {
        name.to_string()
    }
}

/// `name` with " (column N)" after it, cut so the whole fits a field name.
fn field_name_of_column(name: &str, position: usize) -> String {
    let suffix = format!(" (column {})", position + 1);
    let keep = FIELD_NAME_MAX.saturating_sub(suffix.chars().count());
    let base: String = name.chars().take(keep).collect();
    format!("{}{suffix}", base.trim_end())
}

/// The custom field of the imported kind (clients or contacts) each
/// unmapped column with at least one value goes to, in file order:
/// - its name is the header ([`field_name`]); a column whose name an
///   earlier column of the file took (case aside: "Hobby" and " hobby")
///   is named "NAME (column N)" instead, so two columns never share a field;
/// - the existing field of that name (case aside) takes it, whatever its
///   type; otherwise keeping defines a text field of that name.
///
/// When keeping, each record's values are checked against their fields
/// (a value that does not fit refuses the whole file, naming file, line and
/// column) and planned as rows of `custom_values`.
async fn plan_unmapped(
    conn: &mut SqliteConnection,
    file: &str,
    parsed: &Parsed,
    keep: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<UnmappedPlan> {
    let (entity_kind, unmapped, ids): (EntityKind, &UnmappedValues, Vec<Id>) = match parsed {
        Parsed::Clients(clients, u) => (EntityKind::Client, u, clients.iter().map(|c| c.meta.id).collect()),
        Parsed::Contacts(rows, u) => (EntityKind::Contact, u, rows.iter().map(|r| r.contact.meta.id).collect()),
        Parsed::Archive(_) => return Ok(UnmappedPlan::default()),
    };
    let mut with_values = vec![0u64; unmapped.columns.len()];
    for (_, cells) in &unmapped.rows {
        for (k, _) in cells {
            with_values[*k] += 1;
        }
    }
    if with_values.iter().all(|n| *n == 0) {
        return Ok(UnmappedPlan::default());
    }
    let defined: Vec<CustomField> = sqlx::query_as("SELECT * FROM custom_fields WHERE entity_kind = ?")
        .bind(entity_kind)
        .fetch_all(&mut *conn)
        .await?;
    let mut plan = UnmappedPlan::default();
    // Per column: its field, or none when it has no value.
    let mut target: Vec<Option<CustomField>> = vec![None; unmapped.columns.len()];
    let mut taken: Vec<String> = Vec::new();
    for (k, (position, header)) in unmapped.columns.iter().enumerate() {
        if with_values[k] == 0 {
            continue;
        }
        let mut name = field_name(header, *position);
        if taken.iter().any(|t| t.eq_ignore_ascii_case(&name)) {
            name = field_name_of_column(&name, *position);
        }
        taken.push(name.clone());
        let (field, existing) = match defined.iter().find(|f| f.name.eq_ignore_ascii_case(&name)) {
            Some(field) => (field.clone(), true),
            None => {
                let field = CustomField {
                    id: Id::new_at(now),
                    entity_kind,
                    name,
                    field_type: CustomFieldType::Text,
                    choices: sqlx::types::Json(Vec::new()),
                    created_at: now,
                    updated_at: now,
                };
                if keep {
                    plan.new_fields.push(field.clone());
                }
                (field, false)
            }
        };
        plan.fields.push(UnmappedField {
            column: header.clone(),
            field: field.name.clone(),
            field_type: field.field_type,
            existing,
            values: with_values[k],
        });
        target[k] = Some(field);
    }
    if keep {
        debug_assert_eq!(unmapped.rows.len(), ids.len(), "a row of unmapped values per record");
        for ((line, cells), entity_id) in unmapped.rows.iter().zip(ids) {
            for (k, value) in cells {
                let Some(field) = &target[*k] else { continue };
                let value = crate::store::extras::canonical(field, value).map_err(|err| match err {
                    Error::Validation { message, .. } => {
                        Error::import_invalid(file, Some(*line), Some(&unmapped.columns[*k].1), message)
                    }
                    other => other,
                })?;
                plan.values.push(CustomValue { field_id: field.id, entity_id, value });
            }
        }
    }
    Ok(plan)
}

impl Parsed {
    fn counts(&self) -> RecordCounts {
        match self {
            Parsed::Archive(data) => {
                // The source's audit log is read, not imported.
                RecordCounts { audit_entries: 0, ..data.counts() }
            }
            Parsed::Clients(clients, _) => {
                let mut tags: Vec<String> =
                    clients.iter().flat_map(|c| c.tags.iter().map(|t| t.to_lowercase())).collect();
                tags.sort();
                tags.dedup();
                RecordCounts {
                    clients: clients.len() as u64,
                    tag_links: clients.iter().map(|c| c.tags.len() as u64).sum(),
                    tags: tags.len() as u64,
                    ..RecordCounts::default()
                }
            }
            // Counted against the workspace (plan_contacts): how many clients are new depends on it.
            Parsed::Contacts(rows, _) => RecordCounts { contacts: rows.len() as u64, ..RecordCounts::default() },
        }
    }
}

/// An archive keeps its ids and relations only in a workspace that has none of its own.
async fn ensure_empty(conn: &mut SqliteConnection) -> Result<()> {
    let tables = [
        "clients",
        "contacts",
        "projects",
        "jobs",
        "bids",
        "milestones",
        "activities",
        "tasks",
        "tags",
        "custom_fields",
        "exchange_rates",
        "consents",
    ];
    let sql = tables.iter().map(|t| format!("(SELECT count(*) FROM {t})")).collect::<Vec<_>>().join(" + ");
    let rows: i64 = sqlx::query_scalar(&format!("SELECT {sql}")).fetch_one(&mut *conn).await?;
    if rows > 0 {
        return Err(Error::WorkspaceNotEmpty(format!(
            "this workspace already holds {rows} records; a Bidwell export is imported only into an empty \
             workspace, so that every id and relation stays as it was. Create a new workspace (bidwell init \
             --data-dir DIR) and import there"
        )));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn write(
    ws: &Workspace,
    conn: &mut SqliteConnection,
    parsed: &Parsed,
    kind: ImportKind,
    file: &str,
    keep: bool,
    // The records' counts, before the unmapped columns' fields and values.
    mut counts: RecordCounts,
    now: chrono::DateTime<chrono::Utc>,
    cancel: &AtomicBool,
) -> Result<(RecordCounts, Vec<UnmappedField>)> {
    use sqlx::Connection;
    let mut tx = conn.begin_with(crate::store::db::BEGIN_WRITE).await?;
    let own_indexing = crate::search::pause_queue(&mut tx).await?;
    match parsed {
        Parsed::Archive(d) => {
            // Re-checked inside the transaction that writes.
            ensure_empty(&mut tx).await?;
            constrained("clients.json", bulk::insert_many(&mut tx, &d.clients).await)?;
            constrained("contacts.json", bulk::insert_many(&mut tx, &d.contacts).await)?;
            constrained("projects.json", bulk::insert_many(&mut tx, &d.projects).await)?;
            constrained("jobs.json", bulk::insert_many(&mut tx, &d.jobs).await)?;
            constrained("jobs.json", restore_market_statuses(&mut tx, &d.jobs).await)?;
            constrained("bids.json", bulk::insert_many(&mut tx, &d.bids).await)?;
            constrained("milestones.json", bulk::insert_many(&mut tx, &d.milestones).await)?;
            constrained("activities.json", bulk::insert_many(&mut tx, &d.activities).await)?;
            constrained("tasks.json", bulk::insert_many(&mut tx, &d.tasks).await)?;
            constrained("tags.json", insert_tags(&mut tx, d).await)?;
            constrained("custom_fields.json", insert_custom_fields(&mut tx, d).await)?;
            constrained("exchange_rates.json", insert_exchange_rates(&mut tx, d).await)?;
            constrained("consents.json", insert_consents(&mut tx, d).await)?;
        }
        Parsed::Clients(clients, _) => {
            bulk::insert_many(&mut tx, clients).await?;
            let links: Vec<(Id, &str)> =
                clients.iter().flat_map(|c| c.tags.iter().map(move |t| (c.meta.id, t.as_str()))).collect();
            bulk::tag_many(&mut tx, EntityKind::Client, &links, now).await?;
        }
        Parsed::Contacts(rows, _) => {
            // Joined again inside the transaction that writes, so a client
            // made or erased since the check is seen.
            let plan = plan_contacts(&mut tx, rows, now).await?;
            bulk::insert_many(&mut tx, &plan.new_clients).await?;
            bulk::insert_many(&mut tx, &plan.contacts).await?;
            counts = plan.counts();
        }
    }
    if let Some(own) = own_indexing {
        crate::search::index_own_inserts(&mut tx, own).await?;
    }
    // Planned again inside the transaction, against the fields defined by
    // now; the records are written, so their values can point at them.
    let kept = plan_unmapped(&mut tx, file, parsed, keep, now).await?;
    kept.count(&mut counts);
    if keep {
        insert_fields(&mut tx, &kept.new_fields, &kept.values).await?;
    }
    let detail = serde_json::json!({ "kind": kind.as_str(), "counts": counts });
    audit::append(&mut tx, now, audit::action::IMPORT, detail).await?;
    if let Err(stop) = super::stop_if_asked(ws, cancel) {
        tx.rollback().await?;
        return Err(stop);
    }
    tx.commit().await?;
    Ok((counts, kept.fields))
}

/// A constraint the database refused (a rule the archive breaks that the
/// checks before missed) is reported against the file, not as a database fault.
fn constrained(file: &str, result: Result<()>) -> Result<()> {
    match result {
        Err(Error::Database { code: Some(code) }) if code.parse::<i32>().is_ok_and(|c| c & 0xff == 19) => {
            Err(Error::import_invalid(
                file,
                None,
                None,
                format!("a record breaks a rule of the database (sqlite code {code}); the archive was changed"),
            ))
        }
        other => other,
    }
}

/// What the marketplace last said of each job: only sync writes it, so the
/// records' own insert leaves it out.
async fn restore_market_statuses(conn: &mut SqliteConnection, jobs: &[Job]) -> Result<()> {
    for job in jobs {
        if let Some(status) = job.market_status {
            sqlx::query("UPDATE jobs SET market_status = ? WHERE id = ?")
                .bind(status)
                .bind(job.meta.id)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

async fn insert_tags(conn: &mut SqliteConnection, d: &ArchiveData) -> Result<()> {
    for chunk in d.tags.chunks(1000) {
        let mut qb = QueryBuilder::<Sqlite>::new("INSERT INTO tags (id, name, created_at) ");
        qb.push_values(chunk, |mut b, t| {
            b.push_bind(t.id).push_bind(t.name.clone()).push_bind(t.created_at);
        });
        qb.build().execute(&mut *conn).await?;
    }
    for chunk in d.tag_links.chunks(1000) {
        let mut qb = QueryBuilder::<Sqlite>::new("INSERT INTO entity_tags (tag_id, entity_kind, entity_id) ");
        qb.push_values(chunk, |mut b, l| {
            b.push_bind(l.tag_id).push_bind(l.entity_kind).push_bind(l.entity_id);
        });
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

async fn insert_custom_fields(conn: &mut SqliteConnection, d: &ArchiveData) -> Result<()> {
    insert_fields(conn, &d.custom_fields, &d.custom_values).await
}

/// Inserts field definitions, then values (of those fields or of others).
async fn insert_fields(conn: &mut SqliteConnection, fields: &[CustomField], values: &[CustomValue]) -> Result<()> {
    for chunk in fields.chunks(1000) {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "INSERT INTO custom_fields (id, entity_kind, name, field_type, choices, created_at, updated_at) ",
        );
        qb.push_values(chunk, |mut b, f| {
            b.push_bind(f.id)
                .push_bind(f.entity_kind)
                .push_bind(f.name.clone())
                .push_bind(f.field_type)
                .push_bind(f.choices.clone())
                .push_bind(f.created_at)
                .push_bind(f.updated_at);
        });
        qb.build().execute(&mut *conn).await?;
    }
    let by_id: std::collections::HashMap<_, _> = fields.iter().map(|f| (f.id, f)).collect();
    for chunk in values.chunks(1000) {
        let mut qb = QueryBuilder::<Sqlite>::new("INSERT INTO custom_values (field_id, entity_id, value) ");
        qb.push_values(chunk, |mut b, v| {
            // Checked already (archive.rs); this writes an older archive's number in the kept form.
            let kept = by_id.get(&v.field_id).and_then(|f| crate::store::extras::canonical(f, &v.value).ok());
            b.push_bind(v.field_id).push_bind(v.entity_id).push_bind(kept.unwrap_or_else(|| v.value.clone()));
        });
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

async fn insert_exchange_rates(conn: &mut SqliteConnection, d: &ArchiveData) -> Result<()> {
    for chunk in d.exchange_rates.chunks(1000) {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "INSERT INTO exchange_rates (id, base, currency, rate, rate_date, source, entered_at) ",
        );
        qb.push_values(chunk, |mut b, r| {
            b.push_bind(r.id)
                .push_bind(r.base.clone())
                .push_bind(r.currency.clone())
                .push_bind(r.rate.clone())
                .push_bind(r.rate_date)
                .push_bind(r.source.clone())
                .push_bind(r.entered_at);
        });
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

async fn insert_consents(conn: &mut SqliteConnection, d: &ArchiveData) -> Result<()> {
    for chunk in d.consents.chunks(1000) {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "INSERT INTO consents (id, subject_kind, subject_id, purpose, granted, basis, source, method, evidence, \
             recorded_at) ",
        );
        qb.push_values(chunk, |mut b, c| {
            b.push_bind(c.id)
                .push_bind(c.subject_kind)
                .push_bind(c.subject_id)
                .push_bind(c.purpose.clone())
                .push_bind(c.granted)
                .push_bind(c.basis.clone())
                .push_bind(c.source.clone())
                .push_bind(c.method.clone())
                .push_bind(c.evidence.clone())
                .push_bind(c.recorded_at);
        });
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_is_named_within_the_rules_of_a_field_name() {
        assert_eq!(field_name("  Job Title ", 0), "Job Title");
        assert_eq!(field_name("a=b\tc", 0), "a-b c", "no '=' (the CLI's NAME=VALUE), no control character");
        assert_eq!(field_name(" \t ", 4), "Column 5");
        let long = "x".repeat(70);
        assert_eq!(field_name(&long, 0).chars().count(), FIELD_NAME_MAX);
        let renamed = field_name_of_column(&field_name(&long, 0), 11);
        assert_eq!(renamed.chars().count(), FIELD_NAME_MAX);
        assert!(renamed.ends_with("x (column 12)"), "{renamed}");
        for name in [field_name(&long, 0), renamed, field_name("a=b", 0)] {
            crate::domain::check::required("name", &name, FIELD_NAME_MAX).unwrap();
            assert!(!name.contains('='));
        }
    }
}
