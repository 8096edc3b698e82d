//! Exchange rates the user keeps, and a home currency to convert into.
//!
//! A rate says how many units of `currency` one unit of `base` buys on a
//! day (`1 EUR = 1.0552 USD on 2026-12-04`). It is entered by hand or
//! imported from the European Central Bank's reference-rate CSV files
//! (`eurofxref.csv`, the latest day; `eurofxref-hist.csv`, every day since
//! 1999), whose base is the euro. Rates are kept as the decimal text they
//! were given (normalised: no leading or trailing zeros), never as floats,
//! one per base, currency and day; entering one again replaces it.
//!
//! Conversion uses, for each currency, the latest rate kept. Between two
//! currencies it goes through a base both have a rate against (a cross
//! rate through the euro for ECB files). The arithmetic is exact on
//! integers (i128): an amount in minor units is scaled by both currencies'
//! exponents and the two rates as one fraction, and the result is rounded
//! once to the home currency's minor unit, half to even (banker's
//! rounding). A currency without a rate is left out and named, never
//! silently dropped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::Id;
use crate::money::{currency, normalize_currency};
use crate::store::settings;
use crate::Workspace;

/// The settings key of the home currency.
const HOME_KEY: &str = "currency.home";
/// Where a rate typed by hand came from.
pub const BY_HAND: &str = "hand";
/// The base of the ECB's reference rates.
pub const ECB_BASE: &str = "EUR";
/// At most this many digits after the decimal point in a rate.
pub const MAX_RATE_DECIMALS: u32 = 10;
/// At most this many significant digits in a rate.
pub const MAX_RATE_DIGITS: usize = 15;
/// The largest rates file read: the ECB's whole history since 1999 is about 2 MB.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// One rate the user keeps: one `base` buys `rate` units of `currency` on `rate_date`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS, sqlx::FromRow)]
pub struct ExchangeRate {
    pub id: Id,
    pub base: String,
    pub currency: String,
    /// A decimal number as text ("1.0552"), never a float.
    pub rate: String,
    /// The day the rate is for.
    pub rate_date: NaiveDate,
    /// `hand`, or the name of the file it was imported from.
    pub source: String,
    /// When it was entered or imported (the workspace clock).
    pub entered_at: DateTime<Utc>,
}

/// A rate typed by hand; each field is checked on its own and named in the error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct NewExchangeRate {
    pub base: String,
    pub currency: String,
    /// A positive decimal number with a dot ("1.0552").
    pub rate: String,
    /// YYYY-MM-DD.
    pub rate_date: String,
}

/// What an import of a rates file did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct RateImportSummary {
    /// The file's name (no folder).
    pub file: String,
    pub base: String,
    /// Rates written (new or replacing one of the same day).
    pub rates: u64,
    /// Days in the file.
    pub days: u64,
    pub first_date: Option<NaiveDate>,
    pub last_date: Option<NaiveDate>,
    /// Columns left out because they name no current ISO 4217 currency
    /// (the historical file still has e.g. CYP and SIT, replaced by the euro).
    pub skipped_columns: Vec<String>,
}

/// A positive decimal: `mantissa / 10^scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    mantissa: i128,
    scale: u32,
}

impl Rate {
    const ONE: Rate = Rate { mantissa: 1, scale: 0 };

    /// Parses `1.0552`; refuses signs, exponents, commas, zero and too many digits.
    pub fn parse(text: &str) -> std::result::Result<Rate, String> {
        let text = text.trim();
        let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if text.is_empty() || (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) {
            return Err(format!("'{text}' is not a decimal number such as 1.0552"));
        }
        let frac = frac.trim_end_matches('0');
        if frac.len() as u32 > MAX_RATE_DECIMALS {
            return Err(format!("has more than {MAX_RATE_DECIMALS} decimals"));
        }
        let all = format!("{whole}{frac}");
        let significant = all.trim_start_matches('0');
        if significant.is_empty() {
            return Err("is zero; a rate is more than 0".into());
        }
        if significant.len() > MAX_RATE_DIGITS {
            return Err(format!("has more than {MAX_RATE_DIGITS} significant digits"));
        }
        let mantissa: i128 = significant.parse().map_err(|_| format!("'{text}' is not a decimal number"))?;
        Ok(Rate { mantissa, scale: frac.len() as u32 })
    }

    /// The canonical text: `1.05` for `01.0500`.
    pub fn text(&self) -> String {
        let digits = format!("{:0>width$}", self.mantissa, width = self.scale as usize + 1);
        let (whole, frac) = digits.split_at(digits.len() - self.scale as usize);
        if frac.is_empty() {
            whole.to_string()
        } else {
            format!("{whole}.{frac}")
        }
    }
}

fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.abs()
}

/// `num / den` rounded to the nearest integer, a half to the even one; `den > 0`.
fn divide_half_even(num: i128, den: i128) -> i128 {
    let (q, r) = (num / den, num % den);
    let twice = r.abs() * 2;
    let away = twice > den || (twice == den && q % 2 != 0);
    if away {
        q + num.signum()
    } else {
        q
    }
}

/// Converts `amount_minor` of `from` into minor units of `to`, given what one
/// unit of a common base buys of each (`from_rate`, `to_rate`). Exact until
/// the one rounding, half to even; `None` if the numbers do not fit in i128
/// or the result in i64.
pub fn convert(amount_minor: i64, from: &str, from_rate: Rate, to: &str, to_rate: Rate) -> Option<i64> {
    let exp = |code: &str| currency("currency", code).ok().map(|c| u32::from(c.exponent().unwrap_or(2)));
    let (from_exp, to_exp) = (exp(from)?, exp(to)?);
    // amount / 10^from_exp / from_rate * to_rate * 10^to_exp, as p / q.
    let p = to_rate.mantissa.checked_mul(pow10(from_rate.scale + to_exp)?)?;
    let q = from_rate.mantissa.checked_mul(pow10(to_rate.scale + from_exp)?)?;
    let g = gcd(p, q);
    let (p, q) = (p / g, q / g);
    let num = i128::from(amount_minor).checked_mul(p)?;
    i64::try_from(divide_half_even(num, q)).ok()
}

/// The latest rate of each base and currency, for converting.
#[derive(Debug, Default)]
pub struct RateTable {
    latest: BTreeMap<(String, String), (Rate, NaiveDate)>,
    bases: BTreeSet<String>,
}

impl RateTable {
    pub fn new(rates: &[ExchangeRate]) -> Self {
        let mut table = RateTable::default();
        for r in rates {
            let Ok(rate) = Rate::parse(&r.rate) else { continue };
            let key = (r.base.clone(), r.currency.clone());
            if table.latest.get(&key).is_none_or(|(_, d)| *d < r.rate_date) {
                table.latest.insert(key, (rate, r.rate_date));
            }
            table.bases.insert(r.base.clone());
        }
        table
    }

    fn against(&self, base: &str, code: &str) -> Option<(Rate, Option<NaiveDate>)> {
        if base == code {
            return Some((Rate::ONE, None));
        }
        self.latest.get(&(base.to_string(), code.to_string())).map(|(r, d)| (*r, Some(*d)))
    }

    /// The two rates that take `from` to `to` through one base (the first
    /// base, alphabetically, that has both), and the older of their dates
    /// (none when `from` is `to`, or one of them is the base itself on both sides).
    pub fn rates_for(&self, from: &str, to: &str) -> Option<(Rate, Rate, Option<NaiveDate>)> {
        if from == to {
            return Some((Rate::ONE, Rate::ONE, None));
        }
        self.bases.iter().find_map(|base| {
            let (fr, fd) = self.against(base, from)?;
            let (tr, td) = self.against(base, to)?;
            let date = match (fd, td) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            Some((fr, tr, date))
        })
    }
}

fn parse_date(field: &str, text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| Error::validation(field, format!("'{}' is not a date (YYYY-MM-DD)", text.trim())))
}

fn check_new(new: &NewExchangeRate) -> Result<(String, String, Rate, NaiveDate)> {
    let base = normalize_currency("base", &new.base)?;
    let code = normalize_currency("currency", &new.currency)?;
    if base == code {
        return Err(Error::validation("currency", "is the base itself; a rate is between two currencies"));
    }
    let rate = Rate::parse(&new.rate).map_err(|m| Error::validation("rate", m))?;
    let date = parse_date("rate_date", &new.rate_date)?;
    Ok((base, code, rate, date))
}

async fn upsert<'c>(
    db: impl sqlx::Executor<'c, Database = sqlx::Sqlite>,
    id: Id,
    (base, code, rate, date): (&str, &str, Rate, NaiveDate),
    source: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO exchange_rates (id, base, currency, rate, rate_date, source, entered_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (base, currency, rate_date) DO UPDATE SET \
         rate = excluded.rate, source = excluded.source, entered_at = excluded.entered_at",
    )
    .bind(id)
    .bind(base)
    .bind(code)
    .bind(rate.text())
    .bind(date)
    .bind(source)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// Where a cell of an ECB file is: its line and column header.
fn at(file: &str, line: u64, field: &str, message: impl Into<String>) -> Error {
    Error::import_invalid(file, Some(line), Some(field), message)
}

/// The ECB's dates: `2024-06-28` (historical file) or `04 December 2026` (daily file).
fn ecb_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%Y-%m-%d").or_else(|_| NaiveDate::parse_from_str(text, "%d %B %Y")).ok()
}

type ParsedRates = (Vec<(NaiveDate, String, Rate, u64)>, Vec<String>);

/// Reads an ECB reference-rate CSV: a `Date` column, then one column per
/// currency (euro as base); `N/A` or an empty cell is a day without a rate.
fn parse_ecb(file: &str, bytes: &[u8]) -> Result<ParsedRates> {
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(bytes);
    let mut rows = reader.records();
    let bad_csv = |e: csv::Error| {
        let line = e.position().map(|p| p.line()).unwrap_or(1);
        Error::import_invalid(file, Some(line), None, format!("is not a readable CSV file: {e}"))
    };
    let header = rows.next().ok_or_else(|| Error::import_invalid(file, Some(1), None, "is empty"))?.map_err(bad_csv)?;
    let first = header.get(0).unwrap_or("").trim_start_matches('\u{feff}');
    if !first.eq_ignore_ascii_case("date") {
        return Err(at(file, 1, first, "the first column is not \"Date\": not an ECB reference-rate file"));
    }
    // None: a column without a header (the trailing comma); Some(None): a
    // column left out (the euro itself, or a currency ISO 4217 no longer has).
    let mut columns: Vec<Option<Option<String>>> = Vec::new();
    let mut skipped = Vec::new();
    for name in header.iter().skip(1) {
        if name.is_empty() {
            columns.push(None);
        } else if let Ok(code) = normalize_currency("currency", name) {
            columns.push(Some((code != ECB_BASE).then_some(code)));
        } else {
            skipped.push(name.to_string());
            columns.push(Some(None));
        }
    }
    if !columns.iter().any(|c| matches!(c, Some(Some(_)))) {
        return Err(at(file, 1, first, "names no currency columns"));
    }
    let mut out = Vec::new();
    for row in rows {
        let row = row.map_err(bad_csv)?;
        let line = row.position().map(|p| p.line()).unwrap_or(0);
        if row.iter().all(str::is_empty) {
            continue;
        }
        let date_text = row.get(0).unwrap_or("");
        let date = ecb_date(date_text).ok_or_else(|| {
            at(file, line, "Date", format!("'{date_text}' is not a date (2024-06-28 or 04 December 2026)"))
        })?;
        for (i, cell) in row.iter().skip(1).enumerate() {
            let code = match columns.get(i) {
                Some(Some(Some(code))) => code,
                Some(Some(None)) => continue,
                _ if cell.is_empty() => continue,
                _ => return Err(at(file, line, &format!("column {}", i + 2), "has a value but no currency header")),
            };
            if cell.is_empty() || cell.eq_ignore_ascii_case("N/A") {
                continue;
            }
            let rate = Rate::parse(cell).map_err(|m| at(file, line, code, m))?;
            out.push((date, code.clone(), rate, line));
        }
    }
    if out.is_empty() {
        return Err(Error::import_invalid(file, None, None, "holds no rates"));
    }
    Ok((out, skipped))
}

impl Workspace {
    /// The currency the dashboard converts into, if the user picked one.
    pub async fn home_currency(&self) -> Result<Option<String>> {
        Ok(settings::get(&self.pool().await, HOME_KEY).await?.filter(|c| !c.is_empty()))
    }

    /// Picks the home currency (an ISO 4217 code), or none: the dashboard
    /// then shows a chart per currency.
    pub async fn set_home_currency(&self, code: Option<&str>) -> Result<Option<String>> {
        let pool = self.pool().await;
        match code.map(str::trim).filter(|c| !c.is_empty()) {
            Some(code) => {
                let code = normalize_currency("home_currency", code)?;
                settings::put(&pool, HOME_KEY, &code, self.now()).await?;
                Ok(Some(code))
            }
            None => {
                settings::remove(&pool, HOME_KEY).await?;
                Ok(None)
            }
        }
    }

    /// Every rate kept, newest day first, then by base and currency.
    pub async fn all_rates(&self) -> Result<Vec<ExchangeRate>> {
        Ok(sqlx::query_as::<_, ExchangeRate>(
            "SELECT * FROM exchange_rates ORDER BY rate_date DESC, base, currency, id",
        )
        .fetch_all(&self.pool().await)
        .await?)
    }

    /// The latest rate of each base and currency (what conversion uses), by base and currency.
    pub async fn list_rates(&self) -> Result<Vec<ExchangeRate>> {
        Ok(sqlx::query_as::<_, ExchangeRate>(
            "SELECT r.* FROM exchange_rates r WHERE r.rate_date = \
             (SELECT MAX(o.rate_date) FROM exchange_rates o WHERE o.base = r.base AND o.currency = r.currency) \
             ORDER BY r.base, r.currency",
        )
        .fetch_all(&self.pool().await)
        .await?)
    }

    async fn rate_by_key(&self, base: &str, code: &str, date: NaiveDate) -> Result<ExchangeRate> {
        Ok(sqlx::query_as::<_, ExchangeRate>(
            "SELECT * FROM exchange_rates WHERE base = ? AND currency = ? AND rate_date = ?",
        )
        .bind(base)
        .bind(code)
        .bind(date)
        .fetch_one(&self.pool().await)
        .await?)
    }

    /// Keeps a rate typed by hand; one of the same base, currency and day is replaced.
    pub async fn set_rate(&self, new: NewExchangeRate) -> Result<ExchangeRate> {
        let (base, code, rate, date) = check_new(&new)?;
        let now = self.now();
        upsert(&self.pool().await, Id::new_at(now), (&base, &code, rate, date), BY_HAND, now).await?;
        self.rate_by_key(&base, &code, date).await
    }

    /// Replaces the rate `id` with `new` (another day or pair is fine), in one transaction.
    pub async fn update_rate(&self, id: Id, new: NewExchangeRate) -> Result<ExchangeRate> {
        let (base, code, rate, date) = check_new(&new)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let gone = sqlx::query("DELETE FROM exchange_rates WHERE id = ?").bind(id).execute(&mut *tx).await?;
        if gone.rows_affected() == 0 {
            return Err(Error::validation("id", "no such exchange rate"));
        }
        upsert(&mut *tx, id, (&base, &code, rate, date), BY_HAND, now).await?;
        tx.commit().await?;
        self.rate_by_key(&base, &code, date).await
    }

    /// Forgets one rate; the one before it (if any) becomes the latest.
    pub async fn delete_rate(&self, id: Id) -> Result<()> {
        let gone = sqlx::query("DELETE FROM exchange_rates WHERE id = ?").bind(id).execute(&self.pool().await).await?;
        if gone.rows_affected() == 0 {
            return Err(Error::validation("id", "no such exchange rate"));
        }
        Ok(())
    }

    /// Imports an ECB reference-rate CSV (daily or historical): all of it
    /// in one transaction, or nothing, with an error naming file, line and column.
    pub async fn import_rates(&self, path: &Path) -> Result<RateImportSummary> {
        let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "rates.csv".into());
        let size = std::fs::metadata(path).map_err(|e| Error::io(path, e))?.len();
        if size > MAX_FILE_BYTES {
            let message =
                format!("is {} MB, more than the {} MB a rates file may be", size >> 20, MAX_FILE_BYTES >> 20);
            return Err(Error::import_invalid(file, None, None, message));
        }
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let (rates, skipped_columns) = parse_ecb(&file, &bytes)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        for (date, code, rate, _line) in &rates {
            upsert(&mut *tx, Id::new_at(now), (ECB_BASE, code, *rate, *date), &file, now).await?;
        }
        tx.commit().await?;
        let days: BTreeSet<NaiveDate> = rates.iter().map(|r| r.0).collect();
        Ok(RateImportSummary {
            file,
            base: ECB_BASE.into(),
            rates: rates.len() as u64,
            days: days.len() as u64,
            first_date: days.first().copied(),
            last_date: days.last().copied(),
            skipped_columns,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(text: &str) -> Rate {
        Rate::parse(text).unwrap()
    }

    #[test]
    fn rates_parse_to_a_canonical_text() {
        assert_eq!(r("1.0552").text(), "1.0552");
        assert_eq!(r("01.0500").text(), "1.05");
        assert_eq!(r("158.76").text(), "158.76");
        assert_eq!(r("0.0025").text(), "0.0025");
        assert_eq!(r("3").text(), "3");
        assert_eq!(r(".5").text(), "0.5");
        for bad in ["", ".", "0", "0.000", "-1", "1e3", "1,05", "abc", "1.12345678901", "1234567890123456"] {
            assert!(Rate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn halves_round_to_even() {
        assert_eq!(divide_half_even(5, 2), 2);
        assert_eq!(divide_half_even(7, 2), 4);
        assert_eq!(divide_half_even(-5, 2), -2);
        assert_eq!(divide_half_even(-7, 2), -4);
        assert_eq!(divide_half_even(10, 3), 3);
        assert_eq!(divide_half_even(11, 3), 4);
    }
}
