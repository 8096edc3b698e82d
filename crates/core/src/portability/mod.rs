//! Data portability: the user's data out of Bidwell and back in. It owns the
//! export archive (a ZIP with one JSON and one CSV file per entity, a
//! manifest and a README; `archive`), writing it (`export`), reading it back
//! into an empty workspace, and importing clients from other tools' CSV
//! files (`csv_import`, which reports the column mapping it chose; the
//! columns it does not know are ignored or kept as custom fields, `import`) and
//! vCards 2.1 to 4.0 (`vcard`, which also writes them as 3.0); it also
//! writes tasks and milestones as an iCalendar file (`ics`).
//! `limits` bounds what reading an import may cost; `protection` owns the
//! password containers (WinZip AES entries, or the ZIP inside an age file)
//! and the password-strength rule.
//!
//! Every parser takes bytes and needs no database, so the fuzz targets in
//! `fuzz/` can drive them; every write is one transaction (imports) or a
//! file named only once whole (exports, `staging`). Long calls report
//! [`Step`] and stop when their cancel flag is set, or when the workspace
//! starts locking (`stop_if_asked`).

pub mod archive;
mod chosen;
pub mod csv_import;
mod export;
pub mod ics;
mod import;
pub mod limits;
pub mod protection;
mod staging;
pub mod vcard;

use serde::{Deserialize, Serialize};

pub use chosen::{ChosenFile, ChosenFiles};
pub use export::{ExportOptions, ExportScope, ExportSummary, VcardExportSummary};
pub use ics::IcsExportSummary;
pub use import::{ImportKind, ImportOptions, ImportSummary, UnmappedColumns, UnmappedField};
pub use protection::{password_strength, ArchiveContainer, PasswordStrength};

/// What a file dialog is choosing a file for, and so which files it offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// A Bidwell export (ZIP, or a ZIP inside an age file).
    Archive,
    Vcard,
    /// A calendar (.ics) of tasks and milestones.
    Calendar,
    /// Anything `import` reads: a Bidwell export, a clients CSV, a vCard file.
    Importable,
}

impl FileKind {
    /// The dialog's filter: a label and the file extensions.
    pub fn filter(self) -> (&'static str, &'static [&'static str]) {
        match self {
            FileKind::Archive => ("Bidwell export (ZIP or age)", &["zip", "age"]),
            FileKind::Vcard => ("vCard", &["vcf"]),
            FileKind::Calendar => ("iCalendar", &["ics"]),
            FileKind::Importable => ("Bidwell export, CSV or vCard", &["zip", "age", "csv", "vcf"]),
        }
    }
}

/// How far a long operation has come, for a progress bar: `done` of `total`
/// steps, `stage` naming the current one (a file name, or a step such as
/// "validating").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Step {
    pub stage: String,
    pub done: u64,
    pub total: u64,
}

/// Where progress goes: a progress bar in the CLI, an event in the app.
pub type ProgressSink<'a> = dyn FnMut(Step) + Send + 'a;

/// Between steps of an export or import: [`crate::Error::Cancelled`] when
/// the user cancelled it, [`crate::Error::Locked`] when the workspace
/// started locking (lock wins: it does not wait for the rest).
fn stop_if_asked(ws: &crate::Workspace, cancel: &std::sync::atomic::AtomicBool) -> crate::Result<()> {
    if cancel.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(crate::Error::Cancelled);
    }
    if ws.locking().is_raised() {
        return Err(crate::Error::Locked);
    }
    Ok(())
}

/// How many records of each kind an export holds or an import wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct RecordCounts {
    pub clients: u64,
    pub contacts: u64,
    pub projects: u64,
    pub jobs: u64,
    pub bids: u64,
    pub milestones: u64,
    pub activities: u64,
    pub tasks: u64,
    pub tags: u64,
    pub tag_links: u64,
    /// Custom field definitions and values (absent from archives before format 2).
    pub custom_fields: u64,
    pub custom_values: u64,
    /// Exchange rates the user keeps (absent from archives written before Bidwell kept them).
    pub exchange_rates: u64,
    pub consents: u64,
    pub audit_entries: u64,
}

impl RecordCounts {
    pub fn total(&self) -> u64 {
        self.clients
            + self.contacts
            + self.projects
            + self.jobs
            + self.bids
            + self.milestones
            + self.activities
            + self.tasks
            + self.tags
            + self.tag_links
            + self.custom_fields
            + self.custom_values
            + self.exchange_rates
            + self.consents
            + self.audit_entries
    }
}

/// A column of an imported CSV file and the client field it fills:
/// `--map "E-mail 2=email"`. The field `ignore` skips the column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ColumnMapping {
    pub column: String,
    pub field: String,
}

/// What a CSV import made of the file's columns, for the user to check
/// before importing: each column that fills a field, and the columns whose
/// values are left out unless the user keeps them as custom fields
/// ([`ImportOptions::unmapped`]; where each would go is
/// [`ImportSummary::unmapped_fields`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CsvMapping {
    /// Column → field, by field; where several columns fill one field, in
    /// the order they are tried: each row takes the first that is not empty.
    pub mapped: Vec<ColumnMapping>,
    /// The columns no field takes, as the file spells them, in file order.
    pub unmapped: Vec<String>,
}

impl std::str::FromStr for ColumnMapping {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s.rsplit_once('=') {
            Some((column, field)) if !column.trim().is_empty() && !field.trim().is_empty() => {
                Ok(ColumnMapping { column: column.trim().to_string(), field: field.trim().to_string() })
            }
            _ => Err(crate::Error::validation("map", format!("'{s}' should look like COLUMN=field"))),
        }
    }
}
