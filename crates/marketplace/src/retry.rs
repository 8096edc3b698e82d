//! When to try again: the server's `Retry-After` (both forms RFC 9110 allows)
//! and exponential backoff with full jitter. Pure functions: the caller passes
//! in the time and the random source, so tests control both.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;

/// The longest wait a `Retry-After` may ask for. A server asking for more
/// (or a date far ahead) is capped, so one bad header cannot stall sync for hours.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(15 * 60);

/// A `Retry-After` value as the server sent it. The date form is kept as a
/// date so that the caller resolves it against its own (injected) clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: 120`
    Seconds(u64),
    /// `Retry-After: Wed, 21 Oct 2026 07:28:00 GMT`
    Date(DateTime<Utc>),
}

impl RetryAfter {
    /// Reads a header value: delta-seconds, or an HTTP-date in any of the
    /// three formats recipients must accept (IMF-fixdate, RFC 850, asctime).
    /// Anything else is `None` (the caller falls back to its own backoff).
    pub fn parse(value: &str) -> Option<RetryAfter> {
        let value = value.trim();
        if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
            // Too many digits for u64 is still "a very long time": cap it.
            return Some(RetryAfter::Seconds(value.parse().unwrap_or(u64::MAX)));
        }
        let at = httpdate::parse_http_date(value).ok()?;
        Some(RetryAfter::Date(DateTime::<Utc>::from(at)))
    }

    /// How long to wait from `now`: a date in the past means at once, and
    /// every answer is capped at [`MAX_RETRY_AFTER`].
    pub fn delay_from(&self, now: DateTime<Utc>) -> Duration {
        let wait = match *self {
            RetryAfter::Seconds(s) => Duration::from_secs(s),
            RetryAfter::Date(at) => (at - now).to_std().unwrap_or(Duration::ZERO),
        };
        wait.min(MAX_RETRY_AFTER)
    }
}

/// Exponential backoff with full jitter: attempt `n` (0 for the first retry)
/// waits a uniformly random time in `[0, min(cap, base * 2^n)]`. Full jitter
/// spreads out clients that failed together, so they do not return together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff { base: Duration::from_millis(500), cap: Duration::from_secs(5 * 60) }
    }
}

impl Backoff {
    /// The upper bound of the wait before retry `attempt`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.base.checked_mul(factor).unwrap_or(self.cap).min(self.cap)
    }

    /// A random wait before retry `attempt`, in `[0, ceiling(attempt)]`.
    pub fn delay(&self, attempt: u32, rng: &mut impl Rng) -> Duration {
        let ceiling = self.ceiling(attempt);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rng.gen_range(0..=nanos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rand::SeedableRng;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 10, 21, 7, 28, 0).unwrap()
    }

    #[test]
    fn retry_after_in_seconds() {
        assert_eq!(RetryAfter::parse("120"), Some(RetryAfter::Seconds(120)));
        assert_eq!(RetryAfter::parse(" 3 ").unwrap().delay_from(now()), Duration::from_secs(3));
        assert_eq!(RetryAfter::parse("0").unwrap().delay_from(now()), Duration::ZERO);
    }

    #[test]
    fn retry_after_as_an_http_date_counts_from_the_given_now() {
        let later = RetryAfter::parse("Wed, 21 Oct 2026 07:28:45 GMT").unwrap();
        assert_eq!(later.delay_from(now()), Duration::from_secs(45));
        // The same header read a little later asks for less.
        assert_eq!(later.delay_from(now() + chrono::Duration::seconds(40)), Duration::from_secs(5));
        // The obsolete forms recipients must still accept.
        assert_eq!(
            RetryAfter::parse("Wednesday, 21-Oct-26 07:29:00 GMT").unwrap().delay_from(now()),
            Duration::from_secs(60)
        );
        assert_eq!(RetryAfter::parse("Wed Oct 21 07:28:10 2026").unwrap().delay_from(now()), Duration::from_secs(10));
    }

    #[test]
    fn a_date_in_the_past_means_now() {
        let past = RetryAfter::parse("Tue, 20 Oct 2026 07:28:00 GMT").unwrap();
        assert_eq!(past.delay_from(now()), Duration::ZERO);
    }

    #[test]
    fn long_waits_are_capped() {
        assert_eq!(RetryAfter::parse("86400").unwrap().delay_from(now()), MAX_RETRY_AFTER);
        assert_eq!(RetryAfter::parse("99999999999999999999999").unwrap().delay_from(now()), MAX_RETRY_AFTER);
        let next_year = RetryAfter::parse("Thu, 21 Oct 2027 07:28:00 GMT").unwrap();
        assert_eq!(next_year.delay_from(now()), MAX_RETRY_AFTER);
    }

    #[test]
    fn garbage_is_not_a_retry_after() {
        for value in ["", "soon", "-5", "1.5", "Wed, 32 Oct 2026 07:28:00 GMT"] {
            assert_eq!(RetryAfter::parse(value), None, "{value:?}");
        }
    }

    #[test]
    fn backoff_grows_exponentially_up_to_the_cap() {
        let backoff = Backoff { base: Duration::from_millis(100), cap: Duration::from_secs(3) };
        assert_eq!(backoff.ceiling(0), Duration::from_millis(100));
        assert_eq!(backoff.ceiling(1), Duration::from_millis(200));
        assert_eq!(backoff.ceiling(4), Duration::from_millis(1600));
        assert_eq!(backoff.ceiling(5), Duration::from_secs(3));
        assert_eq!(backoff.ceiling(u32::MAX), Duration::from_secs(3));
    }

    #[test]
    fn backoff_jitter_covers_the_whole_range_and_stays_inside_it() {
        let backoff = Backoff { base: Duration::from_secs(1), cap: Duration::from_secs(60) };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let ceiling = backoff.ceiling(3);
        let delays: Vec<Duration> = (0..2000).map(|_| backoff.delay(3, &mut rng)).collect();
        assert!(delays.iter().all(|d| *d <= ceiling));
        // Full jitter: some waits near zero, some near the ceiling.
        assert!(delays.iter().any(|d| *d < ceiling / 10));
        assert!(delays.iter().any(|d| *d > ceiling * 9 / 10));
    }

    #[test]
    fn backoff_is_reproducible_for_a_seeded_rng() {
        let backoff = Backoff::default();
        let mut a = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let mut b = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for attempt in 0..10 {
            assert_eq!(backoff.delay(attempt, &mut a), backoff.delay(attempt, &mut b));
        }
    }
}
