//! The CRM's records and the rules that hold for each on its own: which
//! statuses exist, which bid and milestone moves are possible, what a valid
//! field looks like. Storage lives in `store`.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;

use crate::error::{Error, Result};
use crate::id::Id;

/// Text enums: stored, serialized and parsed as the same snake_case words.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type, ts_rs::TS)]
        #[serde(rename_all = "snake_case")]
        #[sqlx(type_name = "TEXT", rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                let wanted = s.trim().to_ascii_lowercase().replace('-', "_");
                Self::ALL.iter().copied().find(|v| v.as_str() == wanted).ok_or_else(|| {
                    let known: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    Error::validation(stringify!($name), format!("'{s}' is not one of: {}", known.join(", ")))
                })
            }
        }
    };
}

text_enum!(
    /// Every kind of record, as named in errors, search hits and `--on kind:ID`.
    EntityKind {
        Client = "client", Contact = "contact", Project = "project", Job = "job",
        Bid = "bid", Milestone = "milestone", Activity = "activity", Task = "task",
    }
);
impl EntityKind {
    /// Whether notes, tasks and tags can hang off a record of this kind:
    /// every kind but notes and tasks themselves.
    pub fn can_be_subject(self) -> bool {
        !matches!(self, EntityKind::Activity | EntityKind::Task)
    }
}

text_enum!(ClientKind { Person = "person", Company = "company" });
text_enum!(ProjectStatus { Lead = "lead", Active = "active", OnHold = "on_hold", Completed = "completed", Cancelled = "cancelled" });
text_enum!(RateType { Fixed = "fixed", Hourly = "hourly" });
text_enum!(
    BidStatus {
        Draft = "draft", Queued = "queued", Submitted = "submitted", Shortlisted = "shortlisted",
        Awarded = "awarded", Rejected = "rejected", Withdrawn = "withdrawn", Failed = "failed",
    }
);
text_enum!(
    /// Whether a job takes bids on its marketplace, as the last sync saw it.
    MarketJobStatus { Open = "open", Closed = "closed" }
);
text_enum!(MilestoneStatus { Pending = "pending", Funded = "funded", Released = "released", Refunded = "refunded", Disputed = "disputed" });
text_enum!(
    /// What a custom field holds; its values are checked and kept in a canonical form (`store::extras`).
    CustomFieldType { Text = "text", Number = "number", Date = "date", Choice = "choice", Money = "money", Link = "link" }
);
text_enum!(
    /// How often a task comes back once done: its next occurrence is one period later.
    TaskRepeat { Daily = "daily", Weekly = "weekly", Monthly = "monthly" }
);
text_enum!(ActivityKind { Note = "note", Call = "call", Email = "email", Meeting = "meeting", Message = "message" });

impl MilestoneStatus {
    pub fn can_move_to(self, to: MilestoneStatus) -> bool {
        use MilestoneStatus::*;
        matches!(
            (self, to),
            (Pending, Funded) | (Funded, Released | Refunded | Disputed) | (Disputed, Released | Refunded)
        )
    }
}

/// A reference to any record: `client:0190…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Subject {
    pub kind: EntityKind,
    pub id: Id,
}

impl FromStr for Subject {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let (kind, id) =
            s.split_once(':').ok_or_else(|| Error::validation("on", format!("'{s}' should look like client:ID")))?;
        let kind: EntityKind =
            kind.parse().map_err(|_| Error::validation("on", format!("'{kind}' is not a kind of record")))?;
        if !kind.can_be_subject() {
            return Err(Error::validation("on", format!("notes and tasks cannot be attached to a {kind}")));
        }
        let id = id.parse().map_err(|_| Error::validation("on", format!("'{id}' is not a record id")))?;
        Ok(Subject { kind, id })
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.id)
    }
}

/// Columns every user-visible record has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, ts_rs::TS)]
pub struct Meta {
    pub id: Id,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Where a synced record came from; both `None` for local records.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, sqlx::FromRow, ts_rs::TS)]
pub struct Origin {
    pub source: Option<String>,
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, ts_rs::TS)]
pub struct Client {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub meta: Meta,
    pub kind: ClientKind,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub website: Option<String>,
    pub country: Option<String>,
    pub notes: String,
    pub restricted: bool,
    pub archived_at: Option<DateTime<Utc>>,
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub origin: Origin,
    #[sqlx(skip)]
    pub tags: Vec<String>,
    /// Its custom field values by field name (`store::extras`), read with the
    /// client. An export keeps them in custom_values.json.
    #[sqlx(skip)]
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[ts(optional, as = "Option<BTreeMap<String, String>>")]
    pub fields: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, ts_rs::TS)]
pub struct Contact {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub meta: Meta,
    pub client_id: Id,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub role: Option<String>,
    pub notes: String,
    /// Its tags and custom field values (`store::extras`), read with the
    /// record. An export keeps them in tag_links.json and custom_values.json.
    #[sqlx(skip)]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<Vec<String>>")]
    pub tags: Vec<String>,
    #[sqlx(skip)]
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[ts(optional, as = "Option<BTreeMap<String, String>>")]
    pub fields: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, ts_rs::TS)]
pub struct Project {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub meta: Meta,
    pub client_id: Id,
    pub name: String,
    pub status: ProjectStatus,
    pub rate_type: RateType,
    pub budget_minor: Option<i64>,
    pub currency: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub description: String,
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub origin: Origin,
    /// The client's name, read with the project (`store::projects::PROJECT_ROWS`)
    /// so a list of projects needs no call per client; absent once the client
    /// is deleted. Derived whenever a project is read, never stored, and not
    /// part of an export (which reads the table itself).
    #[sqlx(default)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    /// Its tags and custom field values (`store::extras`), read with the
    /// record. An export keeps them in tag_links.json and custom_values.json.
    #[sqlx(skip)]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<Vec<String>>")]
    pub tags: Vec<String>,
    #[sqlx(skip)]
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[ts(optional, as = "Option<BTreeMap<String, String>>")]
    pub fields: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, ts_rs::TS)]
pub struct Job {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub meta: Meta,
    pub client_id: Option<Id>,
    pub title: String,
    pub description: String,
    pub url: Option<String>,
    pub budget_kind: RateType,
    pub budget_min_minor: Option<i64>,
    pub budget_max_minor: Option<i64>,
    pub currency: Option<String>,
    #[ts(as = "Vec<String>")]
    pub skills: Json<Vec<String>>,
    pub employer_name: Option<String>,
    pub posted_at: Option<DateTime<Utc>>,
    pub saved: bool,
    pub hidden: bool,
    pub my_notes: String,
    /// Open or closed on its marketplace, as the last sync saw it; `None`
    /// for a job entered by hand. The marketplace's: only sync writes it.
    #[serde(default)]
    pub market_status: Option<MarketJobStatus>,
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub origin: Origin,
    /// Its tags and custom field values (`store::extras`), read with the
    /// record. An export keeps them in tag_links.json and custom_values.json.
    #[sqlx(skip)]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<Vec<String>>")]
    pub tags: Vec<String>,
    #[sqlx(skip)]
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[ts(optional, as = "Option<BTreeMap<String, String>>")]
    pub fields: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, ts_rs::TS)]
pub struct Bid {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub meta: Meta,
    pub job_id: Id,
    pub project_id: Option<Id>,
    pub status: BidStatus,
    pub amount_minor: i64,
    pub currency: String,
    pub delivery_days: i64,
    /// The share of the amount asked as the first milestone, 0 to 100
    /// (Freelancer-style marketplaces). Absent in archives from before it.
    #[serde(default)]
    pub milestone_percentage: i64,
    pub proposal: String,
    pub submitted_at: Option<DateTime<Utc>>,
    pub server_version: Option<i64>,
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub origin: Origin,
    /// The connected marketplace account this bid goes to when submitted or
    /// withdrawn; absent for a bid on a hand-made job or once that account is
    /// disconnected. Derived whenever a bid is read (`store::bids::BID_ROWS`),
    /// never stored, and not part of an export (which reads the table itself).
    #[sqlx(default)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_account: Option<Id>,
    /// The title of the job bid on, read with the bid (same source as
    /// `market_account`) so a board of bids needs no call per job; absent
    /// once the job is deleted.
    #[sqlx(default)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    /// Its tags and custom field values (`store::extras`), read with the
    /// record. An export keeps them in tag_links.json and custom_values.json.
    #[sqlx(skip)]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<Vec<String>>")]
    pub tags: Vec<String>,
    #[sqlx(skip)]
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[ts(optional, as = "Option<BTreeMap<String, String>>")]
    pub fields: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, ts_rs::TS)]
pub struct Milestone {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub meta: Meta,
    pub project_id: Option<Id>,
    pub bid_id: Option<Id>,
    pub title: String,
    pub amount_minor: i64,
    pub currency: String,
    pub status: MilestoneStatus,
    pub due_date: Option<NaiveDate>,
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub origin: Origin,
    /// Set when the milestone's client was erased and this payment is kept,
    /// anonymized and linked to nothing, because the law requires it (e.g. tax).
    #[serde(default)]
    pub kept_reason: Option<String>,
    /// Its tags and custom field values (`store::extras`), read with the
    /// record. An export keeps them in tag_links.json and custom_values.json.
    #[sqlx(skip)]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<Vec<String>>")]
    pub tags: Vec<String>,
    #[sqlx(skip)]
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[ts(optional, as = "Option<BTreeMap<String, String>>")]
    pub fields: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, ts_rs::TS)]
pub struct Activity {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub meta: Meta,
    pub subject_kind: EntityKind,
    pub subject_id: Id,
    pub kind: ActivityKind,
    pub body: String,
    pub occurred_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, ts_rs::TS)]
pub struct Task {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub meta: Meta,
    pub title: String,
    pub notes: String,
    pub due_at: Option<DateTime<Utc>>,
    pub remind_at: Option<DateTime<Utc>>,
    pub done_at: Option<DateTime<Utc>>,
    pub subject_kind: Option<EntityKind>,
    pub subject_id: Option<Id>,
    /// `None` for a task that happens once.
    pub repeat: Option<TaskRepeat>,
    /// The occurrence of a repeating task whose completion made this one.
    pub repeat_of: Option<Id>,
}

/// Field checks shared by every record. Each error names the field.
pub mod check {
    use super::*;

    pub const MAX_NAME: usize = 300;
    pub const MAX_TEXT: usize = 100_000;

    /// Trimmed, non-empty, bounded; control characters other than newlines and tabs refused.
    pub fn required(field: &str, value: &str, max: usize) -> Result<String> {
        let value = value.trim();
        if value.is_empty() {
            return Err(Error::validation(field, "is required"));
        }
        text(field, value, max)
    }

    pub fn text(field: &str, value: &str, max: usize) -> Result<String> {
        if value.chars().count() > max {
            return Err(Error::validation(field, format!("is longer than {max} characters")));
        }
        if value.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
            return Err(Error::validation(field, "contains control characters"));
        }
        Ok(value.to_string())
    }

    /// Empty means "none".
    pub fn optional(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>> {
        match value.map(str::trim) {
            None | Some("") => Ok(None),
            Some(v) => text(field, v, max).map(Some),
        }
    }

    pub fn email(field: &str, value: Option<&str>) -> Result<Option<String>> {
        let Some(v) = optional(field, value, 254)? else { return Ok(None) };
        let valid = match v.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !v.chars().any(char::is_whitespace)
            }
            None => false,
        };
        if valid {
            Ok(Some(v))
        } else {
            Err(Error::validation(field, format!("'{v}' is not an email address")))
        }
    }

    pub fn phone(field: &str, value: Option<&str>) -> Result<Option<String>> {
        let Some(v) = optional(field, value, 40)? else { return Ok(None) };
        let digits = v.chars().filter(char::is_ascii_digit).count();
        if digits >= 3 && v.chars().all(|c| c.is_ascii_digit() || " +-().x/".contains(c)) {
            Ok(Some(v))
        } else {
            Err(Error::validation(field, format!("'{v}' is not a phone number")))
        }
    }

    pub fn positive(field: &str, value: i64) -> Result<i64> {
        if value > 0 {
            Ok(value)
        } else {
            Err(Error::validation(field, "must be greater than zero"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bid_moves_follow_the_lifecycle() {
        use BidStatus::*;
        assert!(Draft.can_move_to(Queued));
        assert!(Queued.can_move_to(Submitted));
        assert!(Submitted.can_move_to(Shortlisted));
        assert!(Shortlisted.can_move_to(Awarded));
        assert!(!Draft.can_move_to(Awarded), "a draft was never sent, so it cannot be won");
        assert!(!Awarded.can_move_to(Draft), "awarded is final");
        assert!(!Withdrawn.can_move_to(Submitted), "a withdrawn bid stays withdrawn");
        assert!(!Rejected.can_move_to(Shortlisted));
        for s in BidStatus::ALL {
            if s.is_terminal() {
                assert!(BidStatus::ALL.iter().all(|t| !s.can_move_to(*t)), "{s} is terminal");
            }
        }
    }

    #[test]
    fn enums_parse_their_own_words() {
        for s in BidStatus::ALL {
            assert_eq!(s.as_str().parse::<BidStatus>().unwrap(), *s);
        }
        assert_eq!("on-hold".parse::<ProjectStatus>().unwrap(), ProjectStatus::OnHold);
        assert!("won".parse::<BidStatus>().unwrap_err().to_string().contains("draft, queued"));
    }

    #[test]
    fn subjects_parse_kind_and_id() {
        let id = Id::new_at(Utc::now());
        let s: Subject = format!("client:{id}").parse().unwrap();
        assert_eq!((s.kind, s.id), (EntityKind::Client, id));
        assert!("client".parse::<Subject>().is_err());
        assert!(format!("task:{id}").parse::<Subject>().is_err());
    }

    #[test]
    fn checks_name_the_field() {
        assert_eq!(check::required("name", "  Ada ", 10).unwrap(), "Ada");
        assert_eq!(check::required("name", " ", 10).unwrap_err().to_string(), "name: is required");
        assert!(check::email("email", Some("a@b.co")).unwrap().is_some());
        assert_eq!(check::email("email", Some("")).unwrap(), None);
        for bad in ["nope", "a@b", "a b@c.de", "@c.de", "a@@c.de", "a@c.de."] {
            assert!(check::email("email", Some(bad)).unwrap_err().to_string().starts_with("email:"), "{bad}");
        }
        assert!(check::phone("phone", Some("+1 (555) 010-2000")).is_ok());
        assert!(check::phone("phone", Some("call me")).is_err());
        assert!(check::text("notes", "a\u{0}b", 10).is_err());
    }
}
