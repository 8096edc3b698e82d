//! Money is integer minor units plus an ISO 4217 code; never a float.
//! Parsing and formatting go through the currency's own exponent (JPY has
//! none, KWD has three).

use std::fmt;

use iso_currency::Currency;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: String,
}

/// The currency for a code, or a validation error naming `field`.
pub fn currency(field: &str, code: &str) -> Result<Currency> {
    let upper = code.trim().to_ascii_uppercase();
    Currency::from_code(&upper)
        .filter(|c| c.exponent().is_some())
        .ok_or_else(|| Error::validation(field, format!("'{code}' is not an ISO 4217 currency code")))
}

pub fn normalize_currency(field: &str, code: &str) -> Result<String> {
    Ok(currency(field, code)?.code().to_string())
}

fn exponent(c: Currency) -> u32 {
    u32::from(c.exponent().unwrap_or(2))
}

/// The currencies whose minor unit is not a hundredth, as data for the UI
/// (ui/src/bindings/CurrencyExponents.ts), so that it formats amounts as
/// the core parses them and restates no ISO 4217 table.
pub(crate) fn typescript() -> String {
    let letters = || b'A'..=b'Z';
    let mut entries = Vec::new();
    for code in letters().flat_map(|a| letters().flat_map(move |b| letters().map(move |c| [a, b, c]))) {
        let code = String::from_utf8_lossy(&code).into_owned();
        if let Some(places) = Currency::from_code(&code).and_then(|c| c.exponent()).filter(|p| *p != 2) {
            entries.push(format!("  {code}: {places},"));
        }
    }
    format!(
        "// Generated from crates/core/src/money.rs (ISO 4217). Do not edit.\n\n\
         /** Decimal places of each currency whose minor unit is not a hundredth; every other has 2. */\n\
         export const CURRENCY_EXPONENTS: Record<string, number> = {{\n{}\n}};\n",
        entries.join("\n")
    )
}

/// Parses a decimal amount such as `950`, `950.5` or `1,250.00` into minor units.
pub fn parse_amount(field: &str, text: &str, code: &str) -> Result<i64> {
    let cur = currency(field, code)?;
    let places = exponent(cur);
    let bad =
        || Error::validation(field, format!("'{text}' is not an amount in {} (at most {places} decimals)", cur.code()));
    let cleaned: String = text.trim().chars().filter(|c| *c != ',' && *c != '_').collect();
    let (whole, frac) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    if whole.is_empty() || !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    if frac.len() as u32 > places {
        return Err(bad());
    }
    let scale = 10i64.pow(places);
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac_value: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<width$}", width = places as usize).parse().map_err(|_| bad())?
    };
    whole.checked_mul(scale).and_then(|w| w.checked_add(frac_value)).ok_or_else(bad)
}

impl Money {
    pub fn new(field: &str, amount_minor: i64, code: &str) -> Result<Self> {
        Ok(Money { amount_minor, currency: normalize_currency(field, code)? })
    }

    /// `950.00` for 95000 USD; no symbol, no grouping.
    pub fn decimal(&self) -> String {
        let places = Currency::from_code(&self.currency).map(exponent).unwrap_or(2);
        if places == 0 {
            return self.amount_minor.to_string();
        }
        let scale = 10i64.pow(places);
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let abs = self.amount_minor.unsigned_abs();
        format!("{sign}{}.{:0width$}", abs / scale as u64, abs % scale as u64, width = places as usize)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.decimal(), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_by_the_currency_exponent() {
        assert_eq!(parse_amount("amount", "950.00", "USD").unwrap(), 95_000);
        assert_eq!(parse_amount("amount", "950.5", "usd").unwrap(), 95_050);
        assert_eq!(parse_amount("amount", "1,250", "EUR").unwrap(), 125_000);
        assert_eq!(parse_amount("amount", "1200", "JPY").unwrap(), 1_200);
        assert_eq!(parse_amount("amount", "1.234", "KWD").unwrap(), 1_234);
    }

    #[test]
    fn refuses_what_is_not_an_amount() {
        for bad in ["", "abc", "1.2.3", "-5", "1.001", "1e3", "99999999999999999999"] {
            let err = parse_amount("amount", bad, "USD").unwrap_err();
            assert!(err.to_string().starts_with("amount:"), "{bad}: {err}");
        }
        assert!(parse_amount("amount", "10.5", "JPY").is_err(), "JPY has no minor unit");
        assert!(parse_amount("currency", "10", "XYZ").unwrap_err().to_string().contains("ISO 4217"));
    }

    #[test]
    fn formats_back_to_the_same_decimal() {
        assert_eq!(Money::new("m", 95_000, "USD").unwrap().decimal(), "950.00");
        assert_eq!(Money::new("m", 5, "EUR").unwrap().decimal(), "0.05");
        assert_eq!(Money::new("m", 1_200, "JPY").unwrap().decimal(), "1200");
        assert_eq!(Money::new("m", 1_234, "KWD").unwrap().to_string(), "1.234 KWD");
    }
}
