//! Storage of every entity on top of the generic record layer: what a new
//! record needs, which changes are allowed, and which filters each list has.

pub(crate) mod bulk;
pub(crate) mod db;
pub(crate) mod extras;
pub(crate) mod long_read;
pub mod record;
pub(crate) mod settings;

mod activities;
pub(crate) mod bids;
mod client_page;
mod clients;
mod contacts;
mod jobs;
pub(crate) mod kept_totals;
mod milestones;
mod projects;
pub(crate) mod purge;
pub(crate) mod tasks;

pub use activities::{ActivityFilter, ActivityPatch, NewActivity};
pub use bids::{BidBoard, BidColumnRequest, BidFilter, BidPatch, BidStatusCount, NewBid};
pub use client_page::{ClientPage, ClientPageRequest};
pub use clients::{ClientFilter, ClientPatch, NewClient};
pub use contacts::{ContactFilter, ContactPatch, NewContact};
pub use extras::{CustomField, CustomFieldPatch, FieldFilter, NewCustomField};
pub use jobs::{JobFilter, JobPatch, NewJob};
pub use kept_totals::KeptTotalsReport;
pub use milestones::{MilestoneFilter, MilestonePatch, NewMilestone};
pub use projects::{NewProject, ProjectFilter, ProjectPatch};
pub use purge::PurgeReport;
pub use record::{Page, PageRequest, Sort};
pub use tasks::{NewTask, TaskFilter, TaskPatch};

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::domain::{Activity, Bid, Client, Contact, EntityKind, Job, Milestone, Project, Subject, Task};
use crate::error::{Error, Result};
use crate::id::Id;
use crate::Workspace;
use record::Record;

/// The one map from an [`EntityKind`] to its record type: evaluates `$body`
/// with `$R` standing for that type, or runs a generic record function for it.
macro_rules! by_kind {
    ($kind:expr, $R:ident => $body:expr) => {
        match $kind {
            EntityKind::Client => { type $R = Client; $body }
            EntityKind::Contact => { type $R = Contact; $body }
            EntityKind::Project => { type $R = Project; $body }
            EntityKind::Job => { type $R = Job; $body }
            EntityKind::Bid => { type $R = Bid; $body }
            EntityKind::Milestone => { type $R = Milestone; $body }
            EntityKind::Activity => { type $R = Activity; $body }
            EntityKind::Task => { type $R = Task; $body }
        }
    };
    ($kind:expr, $f:ident ( $($arg:expr),* )) => {
        by_kind!($kind, R => record::$f::<R>($($arg),*).await)
    };
}

/// The table that holds records of `kind`.
pub(crate) fn table(kind: EntityKind) -> &'static str {
    by_kind!(kind, R => R::TABLE)
}

/// Fails with NotFound unless the record a note or task points at is live.
pub(crate) async fn ensure_subject(conn: &mut SqliteConnection, subject: &Subject) -> Result<()> {
    by_kind!(subject.kind, ensure_live(conn, subject.id))
}

/// A short name for the record a task is about (a follow-up's title): the
/// first line of its label, shortened; its kind when the label is empty.
pub(crate) async fn subject_label(conn: &mut SqliteConnection, subject: &Subject) -> Result<String> {
    const MAX_CHARS: usize = 80;
    let label: String = by_kind!(subject.kind, R => {
        let record: R = record::fetch(conn, subject.id, false).await?;
        record.label().to_owned()
    });
    // A bid's own label is its proposal; people know it by the job it is on.
    let label = match subject.kind {
        EntityKind::Bid => match record::fetch::<Bid>(conn, subject.id, false).await?.job_title {
            Some(job) => format!("bid on {job}"),
            None => label,
        },
        _ => label,
    };
    let line = label.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
    Ok(match line.chars().count() {
        0 => subject.kind.to_string(),
        n if n > MAX_CHARS => format!("{}…", line.chars().take(MAX_CHARS - 1).collect::<String>().trim_end()),
        _ => line.to_string(),
    })
}

/// A record's name, as a link to it shows it (what a task is about).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct SubjectName {
    pub kind: EntityKind,
    pub id: Id,
    /// Its name or title (a note's text); a bid's is the title of the job it
    /// is on, absent once that job is deleted.
    pub name: Option<String>,
}

/// The most records one [`Workspace::subject_names`] call names.
pub const MAX_SUBJECT_NAMES: usize = 1000;

impl Workspace {
    /// The names of `subjects`, in their order, each named once: one query
    /// per kind among them instead of one read per record. Deleted records
    /// are named too, as reading one by id shows it; a record that does not
    /// exist at all is left out.
    pub async fn subject_names(&self, subjects: &[Subject]) -> Result<Vec<SubjectName>> {
        if subjects.len() > MAX_SUBJECT_NAMES {
            return Err(Error::validation("subjects", format!("at most {MAX_SUBJECT_NAMES} at a time")));
        }
        let mut by_kind: BTreeMap<EntityKind, Vec<Id>> = BTreeMap::new();
        for subject in subjects {
            let ids = by_kind.entry(subject.kind).or_default();
            if !ids.contains(&subject.id) {
                ids.push(subject.id);
            }
        }
        let mut conn = self.pool().await.acquire().await?;
        let mut names: HashMap<(EntityKind, Id), Option<String>> = HashMap::new();
        for (kind, ids) in by_kind {
            // A bid's own label is its proposal; people know it by its job.
            let (source, column) = match kind {
                EntityKind::Bid => (bids::BID_ROWS, "job_title"),
                _ => by_kind!(kind, R => (R::SOURCE, R::LABEL)),
            };
            let mut qb = QueryBuilder::<Sqlite>::new(format!("SELECT id, {column} FROM {source} WHERE id IN ("));
            let mut binds = qb.separated(", ");
            for id in ids {
                binds.push_bind(id);
            }
            qb.push(")");
            let rows: Vec<(Id, Option<String>)> = qb.build_query_as().fetch_all(&mut *conn).await?;
            names.extend(rows.into_iter().map(|(id, name)| ((kind, id), name)));
        }
        Ok(subjects
            .iter()
            .filter_map(|s| names.remove(&(s.kind, s.id)).map(|name| SubjectName { kind: s.kind, id: s.id, name }))
            .collect())
    }

    /// Soft delete: the record (and the children it owns, e.g. a client's
    /// contacts and projects) leaves every list and the search index until it
    /// is restored. Purging for good is a separate, later step.
    pub async fn delete(&self, kind: EntityKind, id: Id) -> Result<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        by_kind!(kind, soft_delete(&mut tx, id, now))?;
        tx.commit().await?;
        Ok(())
    }

    /// Undoes [`Workspace::delete`], children included.
    pub async fn restore(&self, kind: EntityKind, id: Id) -> Result<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        by_kind!(kind, restore(&mut tx, id, now))?;
        tx.commit().await?;
        Ok(())
    }
}

/// In every `*Patch`, an absent key leaves a field as it is. For fields that
/// can be empty (`Option<Option<_>>`), `null` clears the field; for the others
/// `null` is the same as absent.
///
/// Deserializes a patch field so that an absent key leaves the field alone
/// (`None`, through `#[serde(default)]`), `null` clears it (`Some(None)`) and a
/// value sets it; plain serde would read `null` as absent.
pub(crate) fn absent_null_or<'de, D, T>(d: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(d).map(Some)
}

/// `Some(None)` clears a field, `Some(Some(v))` sets it, `None` leaves it.
pub(crate) fn patch_opt(target: &mut Option<String>, patch: Option<Option<String>>) {
    if let Some(v) = patch {
        *target = v;
    }
}

pub(crate) fn patch<T>(target: &mut T, patch: Option<T>) {
    if let Some(v) = patch {
        *target = v;
    }
}
