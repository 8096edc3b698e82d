//! The export archive format (docs/export-format.md): which files it holds,
//! how a record becomes a JSON line and a CSV row, the manifest, and reading
//! an archive back with every checksum, type and reference checked. Nothing
//! here touches a database, so [`parse_archive`] is what the fuzz target
//! drives.

use std::collections::HashSet;
use std::io::{Cursor, Read, Seek, Write};

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{limits, RecordCounts};
use crate::audit::AuditEntry;
use crate::domain::{Activity, Bid, Client, Contact, EntityKind, Job, Milestone, Project, Task};
use crate::error::{Error, Result};
use crate::id::Id;
use crate::rates::{ExchangeRate, Rate};
use crate::store::extras::canonical;
use crate::store::record::{Record, META_COLUMNS_NAMES};
use crate::store::CustomField;

/// `format` in every manifest.
pub const FORMAT: &str = "bidwell-export";
/// Bumped when a reader of the old format would misread the new one.
pub const FORMAT_VERSION: u32 = 2;
/// The first format with custom_fields.json and custom_values.json.
const CUSTOM_FIELDS_SINCE: u32 = 2;
pub const MANIFEST: &str = "manifest.json";
pub const README: &str = "README.txt";

/// `manifest.json`: what the archive holds and how to check it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub app_version: String,
    pub schema_version: i64,
    pub exported_at: DateTime<Utc>,
    /// `all`, or `client` for "everything about one client".
    pub scope: String,
    pub client_id: Option<Id>,
    pub encrypted: bool,
    pub counts: RecordCounts,
    /// Every other file of the archive, with its SHA-256 (lowercase hex).
    pub files: Vec<ManifestFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestFile {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

/// A row of `tags.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct TagRecord {
    pub id: Id,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// A row of `tag_links.json`: which record carries which tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct TagLink {
    pub tag_id: Id,
    pub entity_kind: EntityKind,
    pub entity_id: Id,
}

/// A row of `custom_values.json`: one record's value of one custom field
/// (`custom_fields.json` holds the fields, as the store has them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct CustomValue {
    pub field_id: Id,
    pub entity_id: Id,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "TEXT", rename_all = "snake_case")]
pub enum ConsentSubject {
    User,
    Client,
}

/// A row of `consents.json`: one entry of the append-only consent ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ConsentRecord {
    pub id: Id,
    pub subject_kind: ConsentSubject,
    pub subject_id: Option<Id>,
    pub purpose: String,
    pub granted: bool,
    pub basis: Option<String>,
    pub source: Option<String>,
    pub method: String,
    pub evidence: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

/// Everything an archive holds, typed, each list in id order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArchiveData {
    pub clients: Vec<Client>,
    pub contacts: Vec<Contact>,
    pub projects: Vec<Project>,
    pub jobs: Vec<Job>,
    pub bids: Vec<Bid>,
    pub milestones: Vec<Milestone>,
    pub activities: Vec<Activity>,
    pub tasks: Vec<Task>,
    pub tags: Vec<TagRecord>,
    pub tag_links: Vec<TagLink>,
    pub custom_fields: Vec<CustomField>,
    pub custom_values: Vec<CustomValue>,
    /// Optional in format 2: archives written before Bidwell kept rates have no exchange_rates.json.
    pub exchange_rates: Vec<ExchangeRate>,
    pub consents: Vec<ConsentRecord>,
    /// The exporting workspace's audit log, for the user to read. It is not
    /// imported: the importing workspace keeps its own hash chain.
    pub audit_log: Vec<AuditEntry>,
}

impl ArchiveData {
    pub fn counts(&self) -> RecordCounts {
        RecordCounts {
            clients: self.clients.len() as u64,
            contacts: self.contacts.len() as u64,
            projects: self.projects.len() as u64,
            jobs: self.jobs.len() as u64,
            bids: self.bids.len() as u64,
            milestones: self.milestones.len() as u64,
            activities: self.activities.len() as u64,
            tasks: self.tasks.len() as u64,
            tags: self.tags.len() as u64,
            tag_links: self.tag_links.len() as u64,
            custom_fields: self.custom_fields.len() as u64,
            custom_values: self.custom_values.len() as u64,
            exchange_rates: self.exchange_rates.len() as u64,
            consents: self.consents.len() as u64,
            audit_entries: self.audit_log.len() as u64,
        }
    }
}

/// One kind of file pair in the archive: `<stem>.json` and `<stem>.csv`.
pub trait ArchiveEntity: Serialize + DeserializeOwned {
    const STEM: &'static str;
    /// The CSV header: the JSON keys, in the order they are written.
    fn columns() -> Vec<&'static str>;
}

macro_rules! record_entity {
    ($($ty:ty => $stem:literal $(+ $extra:literal)?),+ $(,)?) => {$(
        impl ArchiveEntity for $ty {
            const STEM: &'static str = $stem;
            fn columns() -> Vec<&'static str> {
                let mut c: Vec<&'static str> = META_COLUMNS_NAMES.to_vec();
                c.extend_from_slice(<$ty as Record>::FIELDS);
                $(c.push($extra);)?
                c
            }
        }
    )+};
}

record_entity!(
    Client => "clients" + "tags",
    Contact => "contacts",
    Project => "projects",
    Job => "jobs",
    Bid => "bids",
    Milestone => "milestones",
    Activity => "activities",
    Task => "tasks",
);

impl ArchiveEntity for TagRecord {
    const STEM: &'static str = "tags";
    fn columns() -> Vec<&'static str> {
        vec!["id", "name", "created_at"]
    }
}

impl ArchiveEntity for TagLink {
    const STEM: &'static str = "tag_links";
    fn columns() -> Vec<&'static str> {
        vec!["tag_id", "entity_kind", "entity_id"]
    }
}

impl ArchiveEntity for CustomField {
    const STEM: &'static str = "custom_fields";
    fn columns() -> Vec<&'static str> {
        vec!["id", "entity_kind", "name", "field_type", "choices", "created_at", "updated_at"]
    }
}

impl ArchiveEntity for CustomValue {
    const STEM: &'static str = "custom_values";
    fn columns() -> Vec<&'static str> {
        vec!["field_id", "entity_id", "value"]
    }
}

impl ArchiveEntity for ExchangeRate {
    const STEM: &'static str = "exchange_rates";
    fn columns() -> Vec<&'static str> {
        vec!["id", "base", "currency", "rate", "rate_date", "source", "entered_at"]
    }
}

impl ArchiveEntity for ConsentRecord {
    const STEM: &'static str = "consents";
    fn columns() -> Vec<&'static str> {
        vec![
            "id",
            "subject_kind",
            "subject_id",
            "purpose",
            "granted",
            "basis",
            "source",
            "method",
            "evidence",
            "recorded_at",
        ]
    }
}

impl ArchiveEntity for AuditEntry {
    const STEM: &'static str = "audit_log";
    fn columns() -> Vec<&'static str> {
        vec!["seq", "at", "action", "detail", "prev_hash", "hash"]
    }
}

/// The stems of the entity files, in the order they are written and imported
/// (parents before the records that refer to them).
pub const STEMS: &[&str] = &[
    "clients",
    "contacts",
    "projects",
    "jobs",
    "bids",
    "milestones",
    "activities",
    "tasks",
    "tags",
    "tag_links",
    "custom_fields",
    "custom_values",
    "exchange_rates",
    "consents",
    "audit_log",
];

/// `[`, then one record per line, then `]`: valid JSON that diffs and greps
/// line by line, and record N sits on line N + 1.
pub fn to_json_lines<T: Serialize>(records: &[T]) -> Result<Vec<u8>> {
    let mut out = b"[\n".to_vec();
    for (i, record) in records.iter().enumerate() {
        serde_json::to_writer(&mut out, record).map_err(|e| internal(format!("could not write JSON: {e}")))?;
        out.extend_from_slice(if i + 1 < records.len() { b",\n" } else { b"\n" });
    }
    out.extend_from_slice(b"]\n");
    Ok(out)
}

/// A spreadsheet-safe CSV of `records`: text cells that a spreadsheet would
/// run as a formula (starting with = + - @, tab or carriage return) get a
/// leading apostrophe; lists are written as JSON; `bom` prefixes the UTF-8
/// byte order mark that older Excel needs to read UTF-8.
pub fn to_csv<T: ArchiveEntity>(records: &[T], bom: bool) -> Result<Vec<u8>> {
    let columns = T::columns();
    let mut out = Vec::new();
    if bom {
        out.extend_from_slice("\u{feff}".as_bytes());
    }
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(out);
    let csv_err = |e: csv::Error| internal(format!("could not write CSV: {e}"));
    writer.write_record(&columns).map_err(csv_err)?;
    for record in records {
        let value = serde_json::to_value(record).map_err(|e| internal(format!("could not write JSON: {e}")))?;
        let row: Vec<String> = columns.iter().map(|c| csv_cell(value.get(*c))).collect();
        writer.write_record(&row).map_err(csv_err)?;
    }
    writer.into_inner().map_err(|e| internal(format!("could not write CSV: {e}")))
}

fn csv_cell(value: Option<&serde_json::Value>) -> String {
    use serde_json::Value;
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => neutralize_formula(s),
        Some(other) => neutralize_formula(&other.to_string()),
    }
}

/// OWASP's CSV-injection rule: a leading apostrophe makes the cell text.
pub fn neutralize_formula(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Writes the archive entries in order; with a password every entry is
/// AES-256 encrypted (WinZip AE-2), which 7-Zip, WinZip and WinRAR open.
pub(crate) struct ArchiveWriter<W: Write + Seek> {
    zip: zip::ZipWriter<W>,
    modified: zip::DateTime,
}

impl<W: Write + Seek> ArchiveWriter<W> {
    pub fn new(inner: W, exported_at: DateTime<Utc>) -> Self {
        let modified = zip::DateTime::from_date_and_time(
            exported_at.year().clamp(1980, 2107) as u16,
            exported_at.month() as u8,
            exported_at.day() as u8,
            exported_at.hour() as u8,
            exported_at.minute() as u8,
            exported_at.second() as u8,
        )
        .unwrap_or_default();
        ArchiveWriter { zip: zip::ZipWriter::new(inner), modified }
    }

    pub fn add(&mut self, name: &str, bytes: &[u8], password: Option<&str>) -> Result<()> {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(self.modified)
            .unix_permissions(0o600);
        let options = match password {
            Some(p) => options.with_aes_encryption(zip::AesMode::Aes256, p),
            None => options,
        };
        self.zip.start_file(name, options).map_err(|e| internal(format!("could not write {name}: {e}")))?;
        self.zip.write_all(bytes).map_err(|e| internal(format!("could not write {name}: {e}")))
    }

    pub fn finish(self) -> Result<W> {
        self.zip.finish().map_err(|e| internal(format!("could not finish the archive: {e}")))
    }
}

fn internal(message: String) -> Error {
    Error::Inconsistent(message)
}

/// A Bidwell export read back: its manifest and its records.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedArchive {
    pub manifest: Manifest,
    pub data: ArchiveData,
}

/// Reads an export archive from `bytes` and checks everything that can be
/// checked without a database: the manifest's format, every file's SHA-256,
/// that no file was added or left out, every record's types, unique ids,
/// and that every relation points at a record in the archive. `archive_name`
/// names the archive in errors. A protected archive needs its `password`.
///
/// What it may cost is bounded (`limits`): no two entries share a name; the
/// manifest is read under a small cap; the sizes it declares must fit the
/// per-entry cap and, together, the archive's inflate budget before any
/// other entry is read; every entry is then streamed through a reader that
/// stops one chunk past its declared size and counts against the budget, so
/// a "zip bomb" is refused after inflating at most what the manifest
/// declared, whatever the ZIP headers claim. Only entries proven to match
/// the manifest (size and SHA-256) are read a second time into memory, and
/// only the JSON files that are parsed.
pub fn parse_archive(archive_name: &str, bytes: &[u8], password: Option<&str>) -> Result<ParsedArchive> {
    parse_archive_within(archive_name, bytes, password, &ArchiveLimits::DEFAULT)
}

/// The limits [`parse_archive`] enforces; smaller ones in unit tests.
#[derive(Debug, Clone, Copy)]
struct ArchiveLimits {
    entries: usize,
    manifest_bytes: u64,
    entry_bytes: u64,
    inflated_bytes: u64,
}

impl ArchiveLimits {
    const DEFAULT: ArchiveLimits = ArchiveLimits {
        entries: limits::MAX_ARCHIVE_ENTRIES,
        manifest_bytes: limits::MAX_MANIFEST_BYTES,
        entry_bytes: limits::MAX_ENTRY_INFLATED_BYTES,
        inflated_bytes: limits::MAX_ARCHIVE_INFLATED_BYTES,
    };
}

/// A size for a message: bytes below 1 MiB, MiB above.
fn mib(bytes: u64) -> String {
    let mib = bytes as f64 / (1u64 << 20) as f64;
    if bytes < 1 << 20 {
        format!("{bytes} bytes")
    } else if mib >= 10.0 {
        format!("{mib:.0} MiB")
    } else {
        format!("{mib:.1} MiB")
    }
}

fn parse_archive_within(
    archive_name: &str,
    bytes: &[u8],
    password: Option<&str>,
    limits: &ArchiveLimits,
) -> Result<ParsedArchive> {
    let not_ours = |why: &str| Error::import_invalid(archive_name, None, None, why);
    let mut zip =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| not_ours("is not a ZIP archive (or is damaged)"))?;
    let raw_names = central_directory_names(bytes, zip.central_directory_start(), limits.entries + 1);
    if zip.len() > limits.entries || raw_names.len() > limits.entries {
        return Err(not_ours("holds far more files than a Bidwell export"));
    }
    // The zip crate keeps one entry per name (the last), so a second entry
    // of the same name would be read in place of the first unseen; an
    // export never holds two.
    let mut seen = HashSet::new();
    if let Some(twice) = raw_names.iter().find(|n| !seen.insert(n.as_slice())) {
        return Err(Error::import_invalid(
            String::from_utf8_lossy(twice),
            None,
            None,
            format!("appears twice in {archive_name}: the archive was changed or is not a Bidwell export"),
        ));
    }
    if raw_names.len() != zip.len() {
        return Err(not_ours("holds two entries with the same name: it is not a Bidwell export"));
    }

    let mut budget = InflateBudget { left: limits.inflated_bytes, limit: limits.inflated_bytes };
    let mut manifest_bytes = Vec::new();
    let found = read_entry(
        &mut zip,
        archive_name,
        MANIFEST,
        password,
        Cap { bytes: limits.manifest_bytes, why: CapReason::Manifest },
        Some(&mut budget),
        &mut |chunk| manifest_bytes.extend_from_slice(chunk),
    )?;
    if !found {
        return Err(not_ours("has no manifest.json: it is not a Bidwell export"));
    }
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes).map_err(|e| json_error(MANIFEST, &e))?;
    drop(manifest_bytes);
    if manifest.format != FORMAT {
        return Err(Error::import_invalid(MANIFEST, None, Some("format"), "this is not a Bidwell export"));
    }
    if manifest.format_version > FORMAT_VERSION {
        return Err(Error::import_invalid(
            MANIFEST,
            None,
            Some("format_version"),
            format!(
                "the archive is format {}, newer than this Bidwell reads ({FORMAT_VERSION}); update Bidwell",
                manifest.format_version
            ),
        ));
    }

    // Every entry must be listed with its checksum, and every listed file present.
    let mut listed: HashSet<&str> = HashSet::new();
    for file in &manifest.files {
        if !listed.insert(file.name.as_str()) || file.name == MANIFEST {
            return Err(Error::import_invalid(
                MANIFEST,
                None,
                Some("files"),
                format!("lists {} twice: the archive was changed after export", file.name),
            ));
        }
    }
    let names: Vec<String> = zip.file_names().map(str::to_string).collect();
    for name in &names {
        if name != MANIFEST && !listed.contains(name.as_str()) {
            return Err(Error::import_invalid(
                name.clone(),
                None,
                None,
                "is not listed in manifest.json: the archive was changed after export",
            ));
        }
    }
    // What the manifest declares must fit before anything more is inflated.
    let mut declared = 0u64;
    for file in &manifest.files {
        if file.bytes > limits.entry_bytes {
            return Err(Error::import_invalid(
                file.name.clone(),
                None,
                None,
                format!(
                    "is {} by manifest.json, more than the {} Bidwell reads from one file of an archive",
                    mib(file.bytes),
                    mib(limits.entry_bytes)
                ),
            ));
        }
        declared = declared.saturating_add(file.bytes);
    }
    if declared > budget.left {
        return Err(not_ours(&format!(
            "would inflate to {} by its manifest, more than the {} Bidwell reads from one archive",
            mib(declared),
            mib(limits.inflated_bytes)
        )));
    }

    // Pass 1: every listed file streamed through SHA-256 and kept nowhere,
    // each stopped just past its declared size.
    for file in &manifest.files {
        let mut hasher = Sha256::new();
        let mut len = 0u64;
        let found = read_entry(
            &mut zip,
            archive_name,
            &file.name,
            password,
            Cap { bytes: file.bytes, why: CapReason::Declared },
            Some(&mut budget),
            &mut |chunk| {
                hasher.update(chunk);
                len += chunk.len() as u64;
            },
        )?;
        if !found {
            return Err(Error::import_invalid(file.name.clone(), None, None, "is listed in manifest.json but missing"));
        }
        if hex::encode(hasher.finalize()) != file.sha256.to_ascii_lowercase() || len != file.bytes {
            return Err(Error::import_invalid(
                file.name.clone(),
                None,
                None,
                "does not match its SHA-256 in manifest.json: the archive was changed or damaged after export",
            ));
        }
    }

    // Pass 2: the JSON files, proven above, read into memory to be parsed.
    // (The bytes are in memory and inflating is deterministic, so they are
    // the bytes just checked; the length is checked again all the same.)
    let mut take = |stem: &str| -> Result<(String, Vec<u8>)> {
        let name = format!("{stem}.json");
        let declared = manifest.files.iter().find(|f| f.name == name).map(|f| f.bytes).ok_or_else(|| {
            Error::import_invalid(archive_name, None, None, format!("has no {name}: it is not a complete export"))
        })?;
        let mut bytes = Vec::with_capacity(declared as usize);
        let cap = Cap { bytes: declared, why: CapReason::Declared };
        read_entry(&mut zip, archive_name, &name, password, cap, None, &mut |c| bytes.extend_from_slice(c))?;
        if bytes.len() as u64 != declared {
            return Err(Error::import_invalid(name, None, None, "changed while it was read"));
        }
        Ok((name, bytes))
    };
    let data = ArchiveData {
        clients: parse_records(take("clients")?)?,
        contacts: parse_records(take("contacts")?)?,
        projects: parse_records(take("projects")?)?,
        jobs: parse_records(take("jobs")?)?,
        bids: parse_records(take("bids")?)?,
        milestones: parse_records(take("milestones")?)?,
        activities: parse_records(take("activities")?)?,
        tasks: parse_records(take("tasks")?)?,
        tags: parse_records(take("tags")?)?,
        tag_links: parse_records(take("tag_links")?)?,
        // Archives of format 1 had no custom fields.
        custom_fields: if manifest.format_version >= CUSTOM_FIELDS_SINCE {
            parse_records(take("custom_fields")?)?
        } else {
            Vec::new()
        },
        custom_values: if manifest.format_version >= CUSTOM_FIELDS_SINCE {
            parse_records(take("custom_values")?)?
        } else {
            Vec::new()
        },
        exchange_rates: if manifest.files.iter().any(|f| f.name == "exchange_rates.json") {
            parse_records(take("exchange_rates")?)?
        } else {
            Vec::new()
        },
        consents: parse_records(take("consents")?)?,
        audit_log: parse_records(take("audit_log")?)?,
    };
    if data.counts() != manifest.counts {
        return Err(Error::import_invalid(
            MANIFEST,
            None,
            Some("counts"),
            "the record counts differ from the files: the archive was changed after export",
        ));
    }
    check_references(&data)?;
    Ok(ParsedArchive { manifest, data })
}

/// The raw names of the central directory's records, in order, at most
/// `max` of them: what the archive really holds, duplicates included (the
/// zip crate's index keeps one entry per name). Walks the records from
/// `start` while their signature is there; the zip crate has already
/// checked the directory's place and shape.
fn central_directory_names(bytes: &[u8], start: u64, max: usize) -> Vec<Vec<u8>> {
    const SIGNATURE: &[u8] = b"PK\x01\x02";
    const FIXED: usize = 46;
    let u16_at = |at: usize| bytes.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]) as usize);
    let mut names = Vec::new();
    let mut at = usize::try_from(start).unwrap_or(usize::MAX);
    while names.len() < max && bytes.get(at..at.saturating_add(4)) == Some(SIGNATURE) {
        let (Some(name_len), Some(extra_len), Some(comment_len)) = (u16_at(at + 28), u16_at(at + 30), u16_at(at + 32))
        else {
            break;
        };
        let Some(name) = bytes.get(at + FIXED..at + FIXED + name_len) else { break };
        names.push(name.to_vec());
        at += FIXED + name_len + extra_len + comment_len;
    }
    names
}

/// What is left of the inflated bytes one archive may yield, and the limit
/// it started from (for the message).
#[derive(Debug)]
struct InflateBudget {
    left: u64,
    limit: u64,
}

/// How many inflated bytes one read of an entry may yield, and why.
#[derive(Debug, Clone, Copy)]
struct Cap {
    bytes: u64,
    why: CapReason,
}

#[derive(Debug, Clone, Copy)]
enum CapReason {
    /// The manifest's own cap (`limits::MAX_MANIFEST_BYTES`).
    Manifest,
    /// The size the manifest declares for the entry.
    Declared,
}

/// Streams entry `name` to `sink` in chunks, inflating at most one chunk
/// past `cap` and counting every byte against `budget` (when given);
/// `false` if the archive has no such entry. Encrypted entries need the
/// password. The sizes in the ZIP headers play no part.
fn read_entry<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    archive_name: &str,
    name: &str,
    password: Option<&str>,
    cap: Cap,
    mut budget: Option<&mut InflateBudget>,
    sink: &mut dyn FnMut(&[u8]),
) -> Result<bool> {
    let Some(index) = zip.index_for_name(name) else { return Ok(false) };
    let damaged = || Error::import_invalid(name, None, None, format!("could not be read from {archive_name}"));
    let encrypted = zip.by_index_raw(index).map_err(|_| damaged())?.encrypted();
    let entry = match (encrypted, password) {
        (false, _) => zip.by_index(index),
        (true, Some(p)) => zip.by_index_decrypt(index, p.as_bytes()),
        (true, None) => {
            return Err(Error::ArchivePassword(format!("{archive_name} is password-protected: give its password")))
        }
    };
    let mut entry = match entry {
        Ok(entry) => entry,
        Err(zip::result::ZipError::InvalidPassword) => {
            return Err(Error::ArchivePassword(format!("the password does not open {archive_name}")))
        }
        Err(_) => return Err(damaged()),
    };
    let mut chunk = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = match entry.read(&mut chunk) {
            Ok(0) => return Ok(true),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidInput && encrypted => {
                return Err(Error::ArchivePassword(format!("the password does not open {archive_name}")))
            }
            Err(_) => return Err(damaged()),
        };
        total += n as u64;
        if total > cap.bytes {
            let why = match cap.why {
                CapReason::Manifest => format!("is larger than the {} a manifest may be", mib(cap.bytes)),
                CapReason::Declared => format!(
                    "inflates to more than the {} bytes manifest.json gives it: the archive was changed or is \
                     not a Bidwell export",
                    cap.bytes
                ),
            };
            return Err(Error::import_invalid(name, None, None, why));
        }
        if let Some(budget) = budget.as_deref_mut() {
            budget.left = budget.left.checked_sub(n as u64).ok_or_else(|| {
                Error::import_invalid(
                    archive_name,
                    None,
                    None,
                    format!("inflates to more than the {} Bidwell reads from one archive", mib(budget.limit)),
                )
            })?;
        }
        sink(&chunk[..n]);
    }
}

fn json_error(file: &str, e: &serde_json::Error) -> Error {
    // serde_json's text ends in " at line L column C"; the location says that already.
    let text = e.to_string();
    let message = match text.rfind(" at line ") {
        Some(at) => format!("{} (column {})", &text[..at], e.column()),
        None => text,
    };
    Error::import_invalid(file, (e.line() > 0).then_some(e.line() as u64), None, message)
}

fn parse_records<T: DeserializeOwned>((file, bytes): (String, Vec<u8>)) -> Result<Vec<T>> {
    serde_json::from_slice(&bytes).map_err(|e| json_error(&file, &e))
}

/// Record `index` (0-based) of `file`, for an error. Files written by
/// Bidwell hold record N on line N + 1.
fn at_record(file: &str, index: usize, field: &str, message: impl Into<String>) -> Error {
    Error::import_invalid(file, Some(index as u64 + 2), Some(field), message)
}

fn unique_ids<'a>(file: &str, ids: impl Iterator<Item = Id> + 'a) -> Result<HashSet<Id>> {
    let mut seen = HashSet::new();
    for (i, id) in ids.enumerate() {
        if !seen.insert(id) {
            return Err(at_record(file, i, "id", format!("the id {id} appears twice")));
        }
    }
    Ok(seen)
}

/// Every relation the database enforces, checked here first so that the
/// error names the file, the record and the field.
/// Custom fields and values: each field once per kind and name, each value
/// of a field that exists, on a record of the field's kind in the archive,
/// once, and in the form the field keeps it (what the app would have saved).
/// Each rate as the store would keep it: two currencies, a decimal rate, once per base, currency and day.
fn check_exchange_rates(d: &ArchiveData) -> Result<()> {
    let file = "exchange_rates.json";
    unique_ids(file, d.exchange_rates.iter().map(|r| r.id))?;
    let mut days = HashSet::new();
    for (i, r) in d.exchange_rates.iter().enumerate() {
        for (field, code) in [("base", &r.base), ("currency", &r.currency)] {
            if crate::money::normalize_currency(field, code).ok().as_ref() != Some(code) {
                return Err(at_record(file, i, field, "is not an ISO 4217 currency code in capitals"));
            }
        }
        if r.base == r.currency {
            return Err(at_record(file, i, "currency", "is the base itself"));
        }
        match Rate::parse(&r.rate) {
            Ok(rate) if rate.text() == r.rate => {}
            Ok(_) => return Err(at_record(file, i, "rate", "is not written as Bidwell writes rates")),
            Err(m) => return Err(at_record(file, i, "rate", m)),
        }
        if !days.insert((&r.base, &r.currency, r.rate_date)) {
            return Err(at_record(file, i, "rate_date", "two rates of this base and currency are for this day"));
        }
    }
    Ok(())
}

fn check_custom_values(d: &ArchiveData) -> Result<()> {
    unique_ids("custom_fields.json", d.custom_fields.iter().map(|f| f.id))?;
    let fields: std::collections::HashMap<Id, &CustomField> = d.custom_fields.iter().map(|f| (f.id, f)).collect();
    let mut names = HashSet::new();
    for (i, f) in d.custom_fields.iter().enumerate() {
        if !names.insert((f.entity_kind, f.name.to_lowercase())) {
            return Err(at_record("custom_fields.json", i, "name", "two fields of this kind have this name"));
        }
    }
    let kind_of_record: std::collections::HashMap<Id, EntityKind> = d
        .clients
        .iter()
        .map(|r| (r.meta.id, EntityKind::Client))
        .chain(d.contacts.iter().map(|r| (r.meta.id, EntityKind::Contact)))
        .chain(d.projects.iter().map(|r| (r.meta.id, EntityKind::Project)))
        .chain(d.jobs.iter().map(|r| (r.meta.id, EntityKind::Job)))
        .chain(d.bids.iter().map(|r| (r.meta.id, EntityKind::Bid)))
        .chain(d.milestones.iter().map(|r| (r.meta.id, EntityKind::Milestone)))
        .collect();
    let mut seen = HashSet::new();
    for (i, v) in d.custom_values.iter().enumerate() {
        let file = "custom_values.json";
        let Some(field) = fields.get(&v.field_id) else {
            return Err(at_record(
                file,
                i,
                "field_id",
                format!("refers to field {}, which is not in the archive", v.field_id),
            ));
        };
        if kind_of_record.get(&v.entity_id) != Some(&field.entity_kind) {
            return Err(at_record(
                file,
                i,
                "entity_id",
                format!("refers to {} {}, which is not in the archive", field.entity_kind, v.entity_id),
            ));
        }
        if !seen.insert((v.field_id, v.entity_id)) {
            return Err(at_record(file, i, "field_id", "this record has this field twice"));
        }
        match canonical(field, &v.value) {
            Ok(kept) if kept == v.value => {}
            // Archives from before numbers had one form keep them as typed; the import writes the kept form.
            Ok(_) if field.field_type == crate::domain::CustomFieldType::Number => {}
            Ok(_) => return Err(at_record(file, i, "value", format!("is not written as {} keeps it", field.name))),
            Err(e) => return Err(at_record(file, i, "value", e.to_api().message)),
        }
    }
    Ok(())
}

fn check_references(d: &ArchiveData) -> Result<()> {
    let clients = unique_ids("clients.json", d.clients.iter().map(|r| r.meta.id))?;
    let contacts = unique_ids("contacts.json", d.contacts.iter().map(|r| r.meta.id))?;
    let projects = unique_ids("projects.json", d.projects.iter().map(|r| r.meta.id))?;
    let jobs = unique_ids("jobs.json", d.jobs.iter().map(|r| r.meta.id))?;
    let bids = unique_ids("bids.json", d.bids.iter().map(|r| r.meta.id))?;
    let milestones = unique_ids("milestones.json", d.milestones.iter().map(|r| r.meta.id))?;
    let activities = unique_ids("activities.json", d.activities.iter().map(|r| r.meta.id))?;
    let tasks = unique_ids("tasks.json", d.tasks.iter().map(|r| r.meta.id))?;
    let tags = unique_ids("tags.json", d.tags.iter().map(|r| r.id))?;
    unique_ids("consents.json", d.consents.iter().map(|r| r.id))?;
    let _ = (contacts, milestones, activities, tasks);

    let missing = |file: &str, i: usize, field: &str, id: Id, what: &str| {
        at_record(file, i, field, format!("refers to {what} {id}, which is not in the archive"))
    };
    for (i, r) in d.contacts.iter().enumerate() {
        if !clients.contains(&r.client_id) {
            return Err(missing("contacts.json", i, "client_id", r.client_id, "client"));
        }
    }
    for (i, r) in d.projects.iter().enumerate() {
        if !clients.contains(&r.client_id) {
            return Err(missing("projects.json", i, "client_id", r.client_id, "client"));
        }
    }
    for (i, r) in d.jobs.iter().enumerate() {
        if let Some(c) = r.client_id.filter(|c| !clients.contains(c)) {
            return Err(missing("jobs.json", i, "client_id", c, "client"));
        }
    }
    for (i, r) in d.bids.iter().enumerate() {
        if !jobs.contains(&r.job_id) {
            return Err(missing("bids.json", i, "job_id", r.job_id, "job"));
        }
        if let Some(p) = r.project_id.filter(|p| !projects.contains(p)) {
            return Err(missing("bids.json", i, "project_id", p, "project"));
        }
    }
    for (i, r) in d.milestones.iter().enumerate() {
        if let Some(p) = r.project_id.filter(|p| !projects.contains(p)) {
            return Err(missing("milestones.json", i, "project_id", p, "project"));
        }
        if let Some(b) = r.bid_id.filter(|b| !bids.contains(b)) {
            return Err(missing("milestones.json", i, "bid_id", b, "bid"));
        }
        if r.project_id.is_none() && r.bid_id.is_none() {
            return Err(at_record("milestones.json", i, "project_id", "a milestone belongs to a project or a bid"));
        }
    }
    let mut links = HashSet::new();
    for (i, r) in d.tag_links.iter().enumerate() {
        if !tags.contains(&r.tag_id) {
            return Err(missing("tag_links.json", i, "tag_id", r.tag_id, "tag"));
        }
        if !links.insert((r.tag_id, r.entity_kind, r.entity_id)) {
            return Err(at_record("tag_links.json", i, "tag_id", "this tag link appears twice"));
        }
    }
    check_custom_values(d)?;
    check_exchange_rates(d)?;
    let mut names = HashSet::new();
    for (i, r) in d.tags.iter().enumerate() {
        if !names.insert(r.name.to_lowercase()) {
            return Err(at_record("tags.json", i, "name", "two tags have this name"));
        }
    }
    for (i, r) in d.consents.iter().enumerate() {
        if (r.subject_kind == ConsentSubject::User) != r.subject_id.is_none() {
            return Err(at_record(
                "consents.json",
                i,
                "subject_id",
                "a user's consent has no subject id and a client's consent has one",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_and_others_kept() {
        for cell in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralize_formula(cell), format!("'{cell}"));
        }
        for cell in ["Ada", "", "a=b", "1-2", "x@y.z"] {
            assert_eq!(neutralize_formula(cell), cell);
        }
    }

    #[test]
    fn json_lines_put_record_n_on_line_n_plus_one() {
        let tags = vec![
            TagRecord { id: Id::new_at(Utc::now()), name: "a".into(), created_at: Utc::now() },
            TagRecord { id: Id::new_at(Utc::now()), name: "b".into(), created_at: Utc::now() },
        ];
        let text = String::from_utf8(to_json_lines(&tags).unwrap()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[2].contains("\"name\":\"b\""));
        let back: Vec<TagRecord> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, tags);
        assert_eq!(to_json_lines::<TagRecord>(&[]).unwrap(), b"[\n]\n");
    }

    /// A ZIP of `entries` (deflated), written by the zip crate.
    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes) in entries {
            zip.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    /// A manifest listing `files` as (name, declared bytes, real content).
    fn manifest_of(files: &[(&str, u64, &[u8])]) -> Vec<u8> {
        let manifest = Manifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            app_version: "test".into(),
            schema_version: 1,
            exported_at: Utc::now(),
            scope: "all".into(),
            client_id: None,
            encrypted: false,
            counts: RecordCounts::default(),
            files: files
                .iter()
                .map(|(name, bytes, content)| ManifestFile {
                    name: name.to_string(),
                    bytes: *bytes,
                    sha256: sha256_hex(content),
                })
                .collect(),
        };
        serde_json::to_vec(&manifest).unwrap()
    }

    const SMALL: ArchiveLimits =
        ArchiveLimits { entries: 64, manifest_bytes: 4096, entry_bytes: 1000, inflated_bytes: 1500 };

    fn refused(bytes: &[u8], limits: &ArchiveLimits) -> (String, String) {
        let err = parse_archive_within("x.zip", bytes, None, limits).unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::ImportInvalid, "{err}");
        (err.to_api().location.unwrap().file, err.to_string())
    }

    #[test]
    fn an_entry_that_inflates_past_its_declared_size_is_refused_naming_it() {
        let big = vec![b'a'; 100_000];
        let zip = zip_of(&[("clients.json", &big), (MANIFEST, &manifest_of(&[("clients.json", 100, &big)]))]);
        let (file, message) = refused(&zip, &ArchiveLimits::DEFAULT);
        assert_eq!(file, "clients.json");
        assert!(message.contains("inflates to more than the 100 bytes manifest.json gives it"), "{message}");
    }

    #[test]
    fn declared_sizes_over_the_caps_are_refused_before_any_entry_is_read() {
        let small = b"[\n]\n";
        // One entry over the per-entry cap.
        let zip = zip_of(&[("clients.json", small), (MANIFEST, &manifest_of(&[("clients.json", 1001, small)]))]);
        let (file, message) = refused(&zip, &SMALL);
        assert_eq!(file, "clients.json");
        assert!(message.contains("more than the 1000 bytes Bidwell reads from one file"), "{message}");
        // Each under it, together over the archive's budget.
        let manifest = manifest_of(&[("clients.json", 800, small), ("contacts.json", 800, small)]);
        let zip = zip_of(&[("clients.json", small), ("contacts.json", small), (MANIFEST, &manifest)]);
        let (file, message) = refused(&zip, &SMALL);
        assert_eq!(file, "x.zip");
        assert!(message.contains("would inflate to"), "{message}");
    }

    #[test]
    fn the_manifest_is_read_under_its_own_cap_and_counts_against_the_budget() {
        let padded = [manifest_of(&[]), vec![b' '; 5000]].concat();
        let zip = zip_of(&[(MANIFEST, &padded)]);
        let (file, message) = refused(&zip, &SMALL);
        assert_eq!(file, MANIFEST);
        assert!(message.contains("a manifest may be"), "{message}");
        // Under the manifest's cap but over what the whole archive may inflate to.
        let limits = ArchiveLimits { inflated_bytes: 100, ..SMALL };
        let zip = zip_of(&[(MANIFEST, &manifest_of(&[]))]);
        let (file, message) = refused(&zip, &limits);
        assert_eq!(file, "x.zip");
        assert!(message.contains("inflates to more than the"), "{message}");
    }

    #[test]
    fn two_entries_of_one_name_are_refused() {
        let a = b"[\n]\n";
        let manifest = manifest_of(&[("clients.json", a.len() as u64, a)]);
        // The zip crate will not write two entries of one name: write two
        // names of one length and rename the second in both its headers.
        let mut zip = zip_of(&[("clients.json", a), ("clientsXjson", a), (MANIFEST, &manifest)]);
        let mut at = 0;
        while let Some(i) = zip[at..].windows(12).position(|w| w == b"clientsXjson") {
            zip[at + i..at + i + 12].copy_from_slice(b"clients.json");
            at += i + 12;
        }
        let (file, message) = refused(&zip, &ArchiveLimits::DEFAULT);
        assert_eq!(file, "clients.json");
        assert!(message.contains("appears twice in x.zip"), "{message}");
    }

    #[test]
    fn garbage_is_refused_without_panicking() {
        for bytes in [&b""[..], b"PK\x03\x04", b"not a zip at all"] {
            let err = parse_archive("x.zip", bytes, None).unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::ImportInvalid, "{err}");
        }
    }
}
