//! Turning command-line text into typed values, with errors that name the flag.

use std::io::BufRead;

use bidwell_core::secret::Passphrase;
use bidwell_core::{Error, Id, PageRequest, Result, Subject};
use chrono::{DateTime, Local, NaiveDate, TimeZone, Utc};
use zeroize::Zeroize;

use crate::args::ListArgs;

pub fn id(field: &str, text: &str) -> Result<Id> {
    text.parse().map_err(|_| Error::validation(field, format!("'{text}' is not a record id")))
}

pub fn opt_id(field: &str, text: Option<&str>) -> Result<Option<Id>> {
    text.map(|t| id(field, t)).transpose()
}

pub fn subject(text: &str) -> Result<Subject> {
    text.parse()
}

pub fn parsed<T: std::str::FromStr<Err = Error>>(text: Option<&str>) -> Result<Option<T>> {
    text.map(str::parse).transpose()
}

/// `--flag ""` clears; `--flag v` sets; absent leaves as is.
pub fn clearable(value: Option<String>) -> Option<Option<String>> {
    value.map(|v| if v.trim().is_empty() { None } else { Some(v) })
}

pub fn date(field: &str, text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| Error::validation(field, format!("'{text}' is not a date like 2026-12-31")))
}

/// RFC 3339, or a date meaning midnight in the local time zone.
pub fn time(field: &str, text: &str) -> Result<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let day = date(field, text).map_err(|_| {
        Error::validation(field, format!("'{text}' is not a time like 2026-12-31T17:00:00Z or 2026-12-31"))
    })?;
    Local
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| Error::validation(field, format!("'{text}' does not exist in the local time zone")))
}

pub fn amount(field: &str, text: &str, currency: &str) -> Result<i64> {
    bidwell_core::money::parse_amount(field, text, currency)
}

pub fn page(list: &ListArgs) -> Result<PageRequest> {
    Ok(PageRequest {
        limit: list.limit,
        after: list.after.clone(),
        sort: list.sort.parse()?,
        include_deleted: list.deleted,
    })
}

/// Standard input read a line at a time: the passphrase, then a new one.
pub struct StdinLines;

impl StdinLines {
    /// A marketplace API token from the next line.
    pub fn token(&mut self) -> Result<bidwell_core::sync::ApiToken> {
        self.secret("token")
    }

    /// A marketplace secret (`field` names it in errors) from the next line.
    pub fn secret(&mut self, field: &str) -> Result<bidwell_core::sync::ApiToken> {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Error::validation(field, format!("could not read standard input: {e}")))?;
        let token = bidwell_core::sync::ApiToken::new(line.trim_end_matches(['\n', '\r']).to_string());
        line.zeroize();
        if token.is_empty() {
            return Err(Error::validation(field, "standard input had no line for it"));
        }
        Ok(token)
    }

    pub fn passphrase(&mut self, what: &str) -> Result<Passphrase> {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Error::validation(what, format!("could not read standard input: {e}")))?;
        let trimmed = line.trim_end_matches(['\n', '\r']).to_string();
        line.zeroize();
        if trimmed.is_empty() {
            return Err(Error::validation(what, "standard input had no line for it"));
        }
        Ok(Passphrase::new(trimmed))
    }
}

/// A span from now: `30m`, `1h`, `2d` or `1w`.
pub fn span(field: &str, text: &str) -> Result<chrono::Duration> {
    let bad = || Error::validation(field, format!("'{text}' is not a span like 30m, 1h, 2d or 1w"));
    let text = text.trim();
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let n: i64 = number.parse().map_err(|_| bad())?;
    let span = match unit {
        "m" => chrono::Duration::try_minutes(n),
        "h" => chrono::Duration::try_hours(n),
        "d" => chrono::Duration::try_days(n),
        "w" => chrono::Duration::try_weeks(n),
        _ => None,
    };
    span.filter(|s| *s > chrono::Duration::zero()).ok_or_else(bad)
}
