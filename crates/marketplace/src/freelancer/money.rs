//! Exact conversion between Bidwell's integer minor units and Freelancer's
//! amounts, which travel as JSON numbers in major units of the project's
//! currency (`123.45` dollars, `1500` yen). No arithmetic is done in
//! floating point: a number is turned into its shortest decimal text (the
//! digits that were on the wire) and the digits are shifted by the
//! currency's ISO 4217 exponent; the way out builds the decimal text first
//! and lets the JSON writer print the same digits back.

use iso_currency::Currency;

use crate::bounds::MAX_AMOUNT_MINOR;

/// Digits after the decimal point in `code` (2 when the code is unknown to
/// ISO 4217, which Freelancer's own currencies all are not).
pub(crate) fn exponent(code: &str) -> u32 {
    Currency::from_code(&code.to_ascii_uppercase()).and_then(|c| c.exponent()).map(u32::from).unwrap_or(2)
}

/// Why an amount could not be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AmountError {
    /// Negative, not finite, or above [`MAX_AMOUNT_MINOR`].
    OutOfRange,
    /// More decimal places than the currency has (half a cent, a tenth of a yen).
    TooPrecise,
}

/// A major-unit amount from the wire as minor units of `currency`.
pub(crate) fn to_minor(major: f64, currency: &str) -> Result<i64, AmountError> {
    if !major.is_finite() || major < 0.0 || major > MAX_AMOUNT_MINOR as f64 {
        return Err(AmountError::OutOfRange);
    }
    let places = exponent(currency) as usize;
    // `Display` for f64 prints the shortest digits that read back as the same
    // number, never in exponent form: exactly what the wire carried when the
    // JSON parser rounded correctly.
    let text = format!("{major}");
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let fraction = fraction.trim_end_matches('0');
    let digits = if fraction.len() <= places {
        format!("{whole}{fraction:0<places$}")
    } else {
        // A parser (or a sender's arithmetic) a unit or two in the last
        // place off turns "0.3" into 0.30000000000000004. Accept only that:
        // the amount rounded to the currency's places must be within a few
        // units in the last place of the number itself.
        let scale = 10f64.powi(places as i32);
        let rounded = (major * scale).round();
        if (rounded / scale - major).abs() > major.abs() * 4.0 * f64::EPSILON {
            return Err(AmountError::TooPrecise);
        }
        format!("{rounded:.0}")
    };
    let minor: i64 = digits.parse().map_err(|_| AmountError::OutOfRange)?;
    if minor > MAX_AMOUNT_MINOR {
        return Err(AmountError::OutOfRange);
    }
    Ok(minor)
}

/// Minor units of `currency` as the number Freelancer expects. The decimal
/// text is built from the integer, then read once: `"123.45"` parses to the
/// f64 whose shortest form is `123.45`, which the JSON writer sends as is.
pub(crate) fn to_major(minor: i64, currency: &str) -> Result<f64, AmountError> {
    if !(0..=MAX_AMOUNT_MINOR).contains(&minor) {
        return Err(AmountError::OutOfRange);
    }
    let places = exponent(currency) as usize;
    let digits = format!("{minor:0>width$}", width = places + 1);
    let (whole, fraction) = digits.split_at(digits.len() - places);
    let text = if places == 0 { whole.to_owned() } else { format!("{whole}.{fraction}") };
    text.parse().map_err(|_| AmountError::OutOfRange)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponents_come_from_iso_4217() {
        assert_eq!(exponent("USD"), 2);
        assert_eq!(exponent("inr"), 2);
        assert_eq!(exponent("JPY"), 0);
        assert_eq!(exponent("KWD"), 3);
        assert_eq!(exponent("XYZ"), 2);
    }

    #[test]
    fn major_to_minor_is_exact() {
        assert_eq!(to_minor(123.45, "USD"), Ok(12_345));
        assert_eq!(to_minor(0.29, "USD"), Ok(29));
        assert_eq!(to_minor(0.1 + 0.2, "USD"), Ok(30), "a float artefact one ulp off is the same amount");
        assert_eq!(to_minor(250.0, "USD"), Ok(25_000));
        assert_eq!(to_minor(1_999_999.99, "INR"), Ok(199_999_999));
        assert_eq!(to_minor(1500.0, "JPY"), Ok(1_500));
        assert_eq!(to_minor(1.234, "KWD"), Ok(1_234));
        assert_eq!(to_minor(10.005, "USD"), Err(AmountError::TooPrecise));
        assert_eq!(to_minor(10.5, "JPY"), Err(AmountError::TooPrecise));
        assert_eq!(to_minor(-1.0, "USD"), Err(AmountError::OutOfRange));
        assert_eq!(to_minor(f64::NAN, "USD"), Err(AmountError::OutOfRange));
        assert_eq!(to_minor(1e13, "USD"), Err(AmountError::OutOfRange));
    }

    #[test]
    fn minor_to_major_prints_the_same_digits() {
        let wire = |minor, code| serde_json::to_string(&to_major(minor, code).unwrap()).unwrap();
        assert_eq!(wire(12_345, "USD"), "123.45");
        assert_eq!(wire(29, "USD"), "0.29");
        assert_eq!(wire(5, "EUR"), "0.05");
        assert_eq!(wire(1_500, "JPY"), "1500.0");
        assert_eq!(wire(1_234, "KWD"), "1.234");
        assert!(to_major(-1, "USD").is_err());
        // Every cent amount up to a large bound survives the round trip.
        for minor in (0..2_000_000).step_by(7).chain([MAX_AMOUNT_MINOR]) {
            for code in ["USD", "JPY", "KWD"] {
                assert_eq!(to_minor(to_major(minor, code).unwrap(), code), Ok(minor), "{minor} {code}");
            }
        }
    }
}
