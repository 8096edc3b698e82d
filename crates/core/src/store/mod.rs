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
mod clients;
mod contacts;
mod jobs;
mod milestones;
mod projects;
pub(crate) mod purge;
mod tasks;

pub use activities::{ActivityFilter, ActivityPatch, NewActivity};
pub use bids::{BidFilter, BidPatch, NewBid};
pub use clients::{ClientFilter, ClientPatch, NewClient};
pub use contacts::{ContactFilter, ContactPatch, NewContact};
pub use extras::{CustomField, CustomFieldPatch, FieldFilter, NewCustomField};
pub use jobs::{JobFilter, JobPatch, NewJob};
pub use milestones::{MilestoneFilter, MilestonePatch, NewMilestone};
pub use projects::{NewProject, ProjectFilter, ProjectPatch};
pub use purge::PurgeReport;
pub use record::{Page, PageRequest, Sort};
pub use tasks::{NewTask, TaskFilter, TaskPatch};

use sqlx::SqliteConnection;

use crate::domain::{Activity, Bid, Client, Contact, EntityKind, Job, Milestone, Project, Subject, Task};
use crate::error::Result;
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

impl Workspace {
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
