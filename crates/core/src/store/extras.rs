//! What every kind of record can carry beside its own columns: tags and
//! custom field values. Custom fields are defined per kind (Settings →
//! Custom fields, `bidwell field define`); a value is checked against its
//! field's type and kept in one canonical text form, so it filters, searches
//! and exports the same everywhere. The stores of each kind read and write
//! them here, in the record's own transaction.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::domain::{check, Bid, Client, Contact, CustomFieldType, EntityKind, Job, Milestone, Project};
use crate::error::{Error, Result};
use crate::id::Id;
use crate::Workspace;

/// A field the user defined for one kind of record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, ts_rs::TS)]
pub struct CustomField {
    pub id: Id,
    pub entity_kind: EntityKind,
    pub name: String,
    pub field_type: CustomFieldType,
    /// The values a choice field allows, in the order they are offered.
    #[ts(as = "Vec<String>")]
    pub choices: Json<Vec<String>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct NewCustomField {
    pub entity_kind: EntityKind,
    pub name: String,
    pub field_type: CustomFieldType,
    #[serde(default)]
    pub choices: Vec<String>,
}

/// A rename, or new choices; the type stays (its values were checked against it).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
#[ts(optional_fields)]
pub struct CustomFieldPatch {
    pub name: Option<String>,
    pub choices: Option<Vec<String>>,
}

/// Records whose custom field `name` holds `value` (compared as the field keeps it, case aside).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct FieldFilter {
    pub name: String,
    pub value: String,
}

/// The extras a record of a kind with tags and custom fields carries.
pub(crate) trait WithExtras {
    const KIND: EntityKind;
    fn id(&self) -> Id;
    fn tags_mut(&mut self) -> &mut Vec<String>;
    fn fields_mut(&mut self) -> &mut BTreeMap<String, String>;
}

macro_rules! with_extras {
    ($($ty:ty => $kind:expr),+ $(,)?) => {$(
        impl WithExtras for $ty {
            const KIND: EntityKind = $kind;
            fn id(&self) -> Id {
                self.meta.id
            }
            fn tags_mut(&mut self) -> &mut Vec<String> {
                &mut self.tags
            }
            fn fields_mut(&mut self) -> &mut BTreeMap<String, String> {
                &mut self.fields
            }
        }
    )+};
}

with_extras!(
    Client => EntityKind::Client,
    Contact => EntityKind::Contact,
    Project => EntityKind::Project,
    Job => EntityKind::Job,
    Bid => EntityKind::Bid,
    Milestone => EntityKind::Milestone,
);

/// Trimmed, at most 60 characters each, none twice (case aside), in the order given.
pub(crate) fn normalize_tags(tags: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        let tag = check::required("tag", tag, 60)?;
        if !out.iter().any(|t| t.to_lowercase() == tag.to_lowercase()) {
            out.push(tag);
        }
    }
    Ok(out)
}

/// Replaces the tags of a record with `tags` (already normalized).
pub(crate) async fn write_tags(
    conn: &mut SqliteConnection,
    kind: EntityKind,
    id: Id,
    tags: &[String],
    now: DateTime<Utc>,
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

/// The custom fields of `kind`, by name (case aside).
async fn fields_of(conn: &mut SqliteConnection, kind: EntityKind) -> Result<Vec<CustomField>> {
    Ok(sqlx::query_as("SELECT * FROM custom_fields WHERE entity_kind = ? ORDER BY name COLLATE NOCASE")
        .bind(kind)
        .fetch_all(conn)
        .await?)
}

/// Sets, changes or (with `None`) clears custom field values of a record.
/// Every value is checked before any is written; an error names the field.
pub(crate) async fn write_fields(
    conn: &mut SqliteConnection,
    kind: EntityKind,
    id: Id,
    values: &BTreeMap<String, Option<String>>,
) -> Result<()> {
    if values.is_empty() {
        return Ok(());
    }
    let defined = fields_of(conn, kind).await?;
    let mut checked = Vec::with_capacity(values.len());
    for (name, value) in values {
        let field = defined.iter().find(|f| f.name.eq_ignore_ascii_case(name.trim())).ok_or_else(|| {
            Error::validation(name.trim(), format!("is not a custom field of {kind}s; define it in Settings first"))
        })?;
        let value = match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            Some(v) => Some(canonical(field, v)?),
            None => None,
        };
        checked.push((field.id, value));
    }
    for (field, value) in checked {
        match value {
            Some(value) => {
                sqlx::query(
                    "INSERT INTO custom_values (field_id, entity_id, value) VALUES (?, ?, ?) \
                     ON CONFLICT (field_id, entity_id) DO UPDATE SET value = excluded.value",
                )
                .bind(field)
                .bind(id)
                .bind(value)
                .execute(&mut *conn)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM custom_values WHERE field_id = ? AND entity_id = ?")
                    .bind(field)
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
            }
        }
    }
    Ok(())
}

/// The one form a number is kept in: "1e3" → "1000", "+01200.50" →
/// "1200.5", "1.5E-2" → "0.015", "-0" → "0". The digits are moved, never
/// rounded through a float, so a filter for 1000 finds what was typed as
/// 1e3. Exponents beyond ±100 are refused rather than written out.
pub(crate) fn canonical_number(text: &str) -> Option<String> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], unsigned[at + 1..].parse::<i64>().ok()?),
        None => (unsigned, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty())
        || !digits_only(whole)
        || !digits_only(fraction)
        || exponent.abs() > 100
    {
        return None;
    }
    let digits = format!("{whole}{fraction}");
    // Where the decimal point falls in `digits` once the exponent is applied.
    let point = i64::try_from(whole.len()).ok()? + exponent;
    let (int_part, frac_part) = if point <= 0 {
        (String::new(), format!("{}{digits}", "0".repeat(usize::try_from(-point).ok()?)))
    } else {
        let point = usize::try_from(point).ok()?;
        if point >= digits.len() {
            (format!("{digits}{}", "0".repeat(point - digits.len())), String::new())
        } else {
            (digits[..point].to_string(), digits[point..].to_string())
        }
    };
    let int_part = match int_part.trim_start_matches('0') {
        "" => "0",
        kept => kept,
    };
    let frac_part = frac_part.trim_end_matches('0');
    let body = if frac_part.is_empty() { int_part.to_string() } else { format!("{int_part}.{frac_part}") };
    Some(if negative && body != "0" { format!("-{body}") } else { body })
}

/// `value` as its field keeps it, or a validation error naming the field.
pub fn canonical(field: &CustomField, value: &str) -> Result<String> {
    let name = field.name.as_str();
    match field.field_type {
        CustomFieldType::Text => check::required(name, value, 1000),
        CustomFieldType::Number => {
            let plain = value.replace([',', '_', ' '], "");
            canonical_number(&plain).ok_or_else(|| Error::validation(name, format!("'{value}' is not a number")))
        }
        CustomFieldType::Date => NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .map(|d| d.to_string())
            .map_err(|_| Error::validation(name, format!("'{value}' is not a date (YYYY-MM-DD)"))),
        CustomFieldType::Choice => {
            field.choices.iter().find(|c| c.eq_ignore_ascii_case(value)).cloned().ok_or_else(|| {
                Error::validation(name, format!("'{value}' is not one of: {}", field.choices.join(", ")))
            })
        }
        CustomFieldType::Money => {
            let (amount, code) = value.rsplit_once(' ').ok_or_else(|| {
                Error::validation(name, format!("'{value}' is not an amount and currency (1250.00 USD)"))
            })?;
            let code = crate::money::normalize_currency(name, code)?;
            let minor = crate::money::parse_amount(name, amount, &code)?;
            Ok(crate::money::Money::new(name, minor, &code)?.to_string())
        }
        CustomFieldType::Link => {
            let url = web_address(value)
                .ok_or_else(|| Error::validation(name, format!("'{value}' is not a web address (https://…)")))?;
            Ok(url)
        }
    }
}

/// An http(s) address as typed, when it is one: a scheme, a host, no spaces.
fn web_address(value: &str) -> Option<String> {
    let rest = value.strip_prefix("https://").or_else(|| value.strip_prefix("http://"))?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty() && !value.chars().any(char::is_whitespace) && value.len() <= 2000).then(|| value.to_string())
}

/// Fills in the tags and custom field values of a page of records with two queries.
pub(crate) async fn load<T: WithExtras>(conn: &mut SqliteConnection, records: &mut [T]) -> Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = records.iter().map(|r| r.id().to_string()).collect();
    let ids = serde_json::to_string(&ids).unwrap_or_default();
    let tags: Vec<(Id, String)> = sqlx::query_as(
        "SELECT et.entity_id, t.name FROM entity_tags et JOIN tags t ON t.id = et.tag_id \
         WHERE et.entity_kind = ? AND et.entity_id IN (SELECT value FROM json_each(?)) ORDER BY t.name",
    )
    .bind(T::KIND)
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let values: Vec<(Id, String, String)> = sqlx::query_as(
        "SELECT v.entity_id, f.name, v.value FROM custom_values v JOIN custom_fields f ON f.id = v.field_id \
         WHERE v.entity_id IN (SELECT value FROM json_each(?))",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    // Grouped once, so a page costs one pass over its rows, not one per record.
    let mut tags_of: HashMap<Id, Vec<String>> = HashMap::new();
    for (of, name) in tags {
        tags_of.entry(of).or_default().push(name);
    }
    let mut values_of: HashMap<Id, BTreeMap<String, String>> = HashMap::new();
    for (of, field, value) in values {
        values_of.entry(of).or_default().insert(field, value);
    }
    for record in records.iter_mut() {
        let id = record.id();
        *record.tags_mut() = tags_of.remove(&id).unwrap_or_default();
        *record.fields_mut() = values_of.remove(&id).unwrap_or_default();
    }
    Ok(())
}

/// ` AND …` conditions of a list: records with the tag, and with the custom field value.
pub(crate) fn push_filter(
    qb: &mut QueryBuilder<'_, Sqlite>,
    kind: EntityKind,
    tag: Option<&str>,
    field: Option<&FieldFilter>,
) {
    if let Some(tag) = tag {
        qb.push(
            " AND id IN (SELECT et.entity_id FROM entity_tags et JOIN tags t ON t.id = et.tag_id WHERE et.entity_kind = ",
        )
        .push_bind(kind)
        .push(" AND t.name = ")
        .push_bind(tag.trim().to_string())
        .push(")");
    }
    if let Some(field) = field {
        qb.push(
            " AND id IN (SELECT v.entity_id FROM custom_values v JOIN custom_fields f ON f.id = v.field_id \
             WHERE f.entity_kind = ",
        )
        .push_bind(kind)
        .push(" AND f.name = ")
        .push_bind(field.name.trim().to_string())
        .push(" AND (v.value = ")
        .push_bind(field.value.trim().to_string())
        .push(" COLLATE NOCASE");
        // A number field's values are kept in one form: 1000.0 finds 1e3's 1000.
        if let Some(number) = canonical_number(&field.value.trim().replace([',', '_', ' '], "")) {
            qb.push(" OR (f.field_type = 'number' AND v.value = ").push_bind(number).push(")");
        }
        qb.push("))");
    }
}

fn check_choices(field_type: CustomFieldType, choices: &[String]) -> Result<Vec<String>> {
    let choices = normalize_choices(choices)?;
    match (field_type, choices.is_empty()) {
        (CustomFieldType::Choice, true) => {
            Err(Error::validation("choices", "a choice field needs at least one choice"))
        }
        (CustomFieldType::Choice, false) => Ok(choices),
        (_, true) => Ok(choices),
        (_, false) => Err(Error::validation("choices", "only a choice field has choices")),
    }
}

fn normalize_choices(choices: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for choice in choices.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
        let choice = check::required("choices", choice, 200)?;
        if !out.iter().any(|c| c.eq_ignore_ascii_case(&choice)) {
            out.push(choice);
        }
    }
    Ok(out)
}

fn check_field_name(kind: EntityKind, name: &str) -> Result<String> {
    if !kind.can_be_subject() {
        return Err(Error::validation("entity_kind", format!("{kind}s have no custom fields")));
    }
    let name = check::required("name", name, 60)?;
    if name.contains('=') {
        return Err(Error::validation("name", "may not contain '=' (the CLI writes NAME=VALUE)"));
    }
    Ok(name)
}

async fn name_taken(conn: &mut SqliteConnection, kind: EntityKind, name: &str, except: Option<Id>) -> Result<()> {
    let taken: Option<Id> = sqlx::query_scalar(
        "SELECT id FROM custom_fields WHERE entity_kind = ? AND name = ? COLLATE NOCASE AND id IS NOT ?",
    )
    .bind(kind)
    .bind(name)
    .bind(except)
    .fetch_optional(conn)
    .await?;
    match taken {
        Some(_) => Err(Error::validation("name", format!("{kind}s already have a field named '{name}'"))),
        None => Ok(()),
    }
}

impl Workspace {
    /// The custom fields of one kind, or of every kind, by name.
    pub async fn custom_fields(&self, kind: Option<EntityKind>) -> Result<Vec<CustomField>> {
        let mut conn = self.pool().await.acquire().await?;
        Ok(sqlx::query_as(
            "SELECT * FROM custom_fields WHERE entity_kind = coalesce(?, entity_kind) \
             ORDER BY entity_kind, name COLLATE NOCASE",
        )
        .bind(kind)
        .fetch_all(&mut *conn)
        .await?)
    }

    pub async fn define_custom_field(&self, new: NewCustomField) -> Result<CustomField> {
        let now = self.now();
        let name = check_field_name(new.entity_kind, &new.name)?;
        let choices = check_choices(new.field_type, &new.choices)?;
        let mut tx = self.begin_write().await?;
        name_taken(&mut tx, new.entity_kind, &name, None).await?;
        let field = CustomField {
            id: Id::new_at(now),
            entity_kind: new.entity_kind,
            name,
            field_type: new.field_type,
            choices: Json(choices),
            created_at: now,
            updated_at: now,
        };
        sqlx::query(
            "INSERT INTO custom_fields (id, entity_kind, name, field_type, choices, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(field.id)
        .bind(field.entity_kind)
        .bind(&field.name)
        .bind(field.field_type)
        .bind(&field.choices)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(field)
    }

    /// Renames a field or changes its choices. A choice still in use cannot go.
    pub async fn update_custom_field(&self, id: Id, change: CustomFieldPatch) -> Result<CustomField> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let mut field: CustomField = sqlx::query_as("SELECT * FROM custom_fields WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| Error::validation("id", "there is no such custom field"))?;
        if let Some(name) = change.name {
            let name = check_field_name(field.entity_kind, &name)?;
            name_taken(&mut tx, field.entity_kind, &name, Some(id)).await?;
            field.name = name;
        }
        if let Some(choices) = change.choices {
            let choices = check_choices(field.field_type, &choices)?;
            let used: Vec<String> = sqlx::query_scalar("SELECT DISTINCT value FROM custom_values WHERE field_id = ?")
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
            if let Some(gone) = used.iter().find(|u| !choices.iter().any(|c| c.eq_ignore_ascii_case(u))) {
                return Err(Error::validation("choices", format!("'{gone}' is still the value of a record")));
            }
            field.choices = Json(choices);
        }
        field.updated_at = now;
        sqlx::query("UPDATE custom_fields SET name = ?, choices = ?, updated_at = ? WHERE id = ?")
            .bind(&field.name)
            .bind(&field.choices)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(field)
    }

    /// How many records hold a value of the field: what deleting it takes away.
    pub async fn custom_field_usage(&self, id: Id) -> Result<u64> {
        let mut conn = self.pool().await.acquire().await?;
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM custom_values WHERE field_id = ?")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
        Ok(count as u64)
    }

    /// Deletes the field and every value of it (the front ends confirm first,
    /// with [`Workspace::custom_field_usage`]).
    pub async fn delete_custom_field(&self, id: Id) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let removed = sqlx::query("DELETE FROM custom_values WHERE field_id = ?").bind(id).execute(&mut *tx).await?;
        let gone = sqlx::query("DELETE FROM custom_fields WHERE id = ?").bind(id).execute(&mut *tx).await?;
        if gone.rows_affected() == 0 {
            return Err(Error::validation("id", "there is no such custom field"));
        }
        tx.commit().await?;
        Ok(removed.rows_affected())
    }
}

/// What a new record or a change says about its extras.
#[derive(Debug, Clone, Default)]
pub(crate) struct ExtrasChange {
    /// All its tags from now on; `None` leaves them.
    pub tags: Option<Vec<String>>,
    /// Values to set, or (`None`) to clear; fields not named stay.
    pub fields: BTreeMap<String, Option<String>>,
}

impl ExtrasChange {
    pub fn of_new(tags: Vec<String>, fields: BTreeMap<String, String>) -> ExtrasChange {
        ExtrasChange { tags: Some(tags), fields: fields.into_iter().map(|(k, v)| (k, Some(v))).collect() }
    }
    pub fn of_patch(tags: Option<Vec<String>>, fields: Option<BTreeMap<String, Option<String>>>) -> ExtrasChange {
        ExtrasChange { tags, fields: fields.unwrap_or_default() }
    }
}

/// Writes `change` for `record` in the caller's transaction, then reads the
/// record's extras back into it.
pub(crate) async fn write<T: WithExtras>(
    conn: &mut SqliteConnection,
    record: &mut T,
    change: ExtrasChange,
    now: DateTime<Utc>,
) -> Result<()> {
    if let Some(tags) = change.tags {
        write_tags(conn, T::KIND, record.id(), &normalize_tags(&tags)?, now).await?;
    }
    write_fields(conn, T::KIND, record.id(), &change.fields).await?;
    load(conn, std::slice::from_mut(record)).await
}

/// [`super::record::fetch`] with the record's extras.
pub(crate) async fn fetch<T: super::record::Record + WithExtras>(
    conn: &mut SqliteConnection,
    id: Id,
    include_deleted: bool,
) -> Result<T> {
    let mut record: T = super::record::fetch(conn, id, include_deleted).await?;
    load(conn, std::slice::from_mut(&mut record)).await?;
    Ok(record)
}

/// [`super::record::list`] with each record's extras.
pub(crate) async fn list<T: super::record::Record + WithExtras>(
    conn: &mut SqliteConnection,
    page: &super::record::PageRequest,
    conditions: impl FnOnce(&mut QueryBuilder<'_, Sqlite>),
) -> Result<super::record::Page<T>> {
    let mut result: super::record::Page<T> = super::record::list(conn, page, conditions).await?;
    load(conn, &mut result.items).await?;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::canonical_number;

    #[test]
    fn a_number_is_kept_in_one_form_however_it_was_typed() {
        for (typed, kept) in [
            ("1e3", "1000"),
            ("1E3", "1000"),
            ("+01200.50", "1200.5"),
            ("1200.", "1200"),
            (".5", "0.5"),
            ("1.5E-2", "0.015"),
            ("-0.0", "0"),
            ("-12.340e1", "-123.4"),
            ("0", "0"),
            ("123456789012345678901234567890", "123456789012345678901234567890"),
        ] {
            assert_eq!(canonical_number(typed).as_deref(), Some(kept), "{typed}");
        }
        for bad in ["", ".", "e3", "1e", "1.2.3", "1e1000", "twelve", "--1", "0x10", "inf", "NaN"] {
            assert_eq!(canonical_number(bad), None, "{bad:?} is not a number");
        }
    }
}
