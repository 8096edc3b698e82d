//! How a marketplace call fails, sorted by what the caller should do next:
//! try again later, ask for a new token, show a conflict, resync, or give up
//! on this one operation. Messages never carry a token or a request body.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;

use crate::bounds::Refusal;
use crate::retry::{Backoff, RetryAfter};
use crate::wire::{ApiErrorCode, Bid};

/// Why a transient failure happened; worth showing in a sync status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransientReason {
    /// No answer within the request timeout.
    Timeout,
    /// The server could not be reached (refused, DNS, TLS handshake).
    Connect,
    /// The connection broke before a whole answer arrived.
    ConnectionLost,
    /// 429: too many requests.
    RateLimited,
    /// 503: the server is down for a while.
    Unavailable,
    /// Another 5xx (or 408), with its status.
    ServerError(u16),
    /// An error the server itself marked `retryable`.
    Retryable(ApiErrorCode),
}

impl fmt::Display for TransientReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransientReason::Timeout => f.write_str("the marketplace did not answer in time"),
            TransientReason::Connect => f.write_str("the marketplace could not be reached"),
            TransientReason::ConnectionLost => f.write_str("the connection to the marketplace broke"),
            TransientReason::RateLimited => f.write_str("the marketplace asked us to slow down"),
            TransientReason::Unavailable => f.write_str("the marketplace is unavailable"),
            TransientReason::ServerError(status) => write!(f, "the marketplace failed (HTTP {status})"),
            TransientReason::Retryable(code) => write!(f, "the marketplace asked to retry ({code})"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MarketError {
    /// Trying the same request again later may succeed. If the request was a
    /// write, it may or may not have been applied: retry with the same
    /// idempotency key (creates, withdrawals) or base version (edits).
    #[error("{reason}; will retry")]
    Transient { retry_after: Option<RetryAfter>, reason: TransientReason },
    /// The token was refused (expired or revoked): ask the user for a new one.
    #[error("the marketplace refused the API token (expired or revoked); connect the account again")]
    Unauthorized,
    /// The request can never succeed as sent.
    #[error("the marketplace refused the request ({code}): {message}")]
    Permanent { code: ApiErrorCode, message: String },
    /// The bid changed on the marketplace since the version the edit was
    /// based on; `current` is the marketplace's version now.
    #[error("the bid changed on the marketplace (now version {})", current.version)]
    VersionConflict { current: Box<Bid> },
    /// The server no longer knows the cursor: start the listing again from
    /// the beginning (and merge, not duplicate, what comes back).
    #[error("the marketplace no longer knows the sync position; a full resync is needed")]
    CursorExpired,
    /// No such job, employer or bid (or not visible to this account).
    #[error("not found on the marketplace")]
    NotFound,
    /// Analytics were asked to leave while Global Privacy Control is on;
    /// nothing was sent.
    #[error("analytics are turned off; nothing was sent")]
    AnalyticsDisabled,
    /// The answer broke one of the client's limits (too large, more items
    /// than asked, a field out of bounds: `bounds.rs`). Permanent: the same
    /// request would get the same answer, so it is not retried in a loop.
    #[error("{0}")]
    Refused(Refusal),
    /// The caller gave up on the request before its answer was read (it was
    /// told to stop, or used up its requests for the pass). Nothing is known
    /// from it; a write may or may not have been applied, so it is replayed
    /// on a later run as after a transient failure, with the same key.
    #[error("the request was abandoned before its answer was read")]
    Abandoned,
    /// This marketplace cannot do `what` at all (its [`Capabilities`]
    /// say so); nothing was sent. Permanent: no retry can change it.
    ///
    /// [`Capabilities`]: crate::Capabilities
    #[error("this marketplace does not support {what}")]
    Unsupported { what: &'static str },
}

impl MarketError {
    pub fn is_transient(&self) -> bool {
        matches!(self, MarketError::Transient { .. })
    }

    /// The wait before the next try, or `None` when retrying cannot help.
    /// The server's `Retry-After` wins over the backoff when it sent one.
    pub fn retry_delay(
        &self,
        attempt: u32,
        backoff: &Backoff,
        now: DateTime<Utc>,
        rng: &mut impl Rng,
    ) -> Option<Duration> {
        match self {
            MarketError::Transient { retry_after: Some(after), .. } => Some(after.delay_from(now)),
            MarketError::Transient { retry_after: None, .. } => Some(backoff.delay(attempt, rng)),
            _ => None,
        }
    }

    pub(crate) fn invalid_response(what: &str) -> MarketError {
        MarketError::Permanent {
            code: ApiErrorCode::InvalidResponse,
            message: format!("the marketplace's answer could not be read ({what})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn retry_after_wins_over_backoff_and_permanent_errors_are_not_retried() {
        let now = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let backoff = Backoff { base: Duration::from_secs(1), cap: Duration::from_secs(8) };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let told =
            MarketError::Transient { retry_after: Some(RetryAfter::Seconds(42)), reason: TransientReason::RateLimited };
        assert_eq!(told.retry_delay(0, &backoff, now, &mut rng), Some(Duration::from_secs(42)));
        let untold = MarketError::Transient { retry_after: None, reason: TransientReason::Timeout };
        assert!(untold.retry_delay(2, &backoff, now, &mut rng).unwrap() <= Duration::from_secs(4));
        for permanent in [
            MarketError::Unauthorized,
            MarketError::NotFound,
            MarketError::CursorExpired,
            MarketError::Unsupported { what: "editing a bid" },
        ] {
            assert_eq!(permanent.retry_delay(0, &backoff, now, &mut rng), None);
            assert!(!permanent.is_transient());
        }
    }
}
