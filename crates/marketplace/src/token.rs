//! The marketplace API token and the idempotency key, as types.
//!
//! [`ApiToken`] is a secret: zeroized on drop, `Debug` prints `***`, and it
//! has no `Clone`, `Display` or `Serialize`, so it cannot reach a log, a
//! config file or an error message by accident.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

/// A bearer token for one marketplace account.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct ApiToken(String);

impl ApiToken {
    /// Surrounding whitespace (a pasted newline) is dropped.
    pub fn new(mut token: String) -> ApiToken {
        let trimmed = token.trim();
        if trimmed.len() != token.len() {
            let kept = ApiToken(trimmed.to_owned());
            token.zeroize();
            return kept;
        }
        ApiToken(token)
    }

    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(***)")
    }
}

/// The `Idempotency-Key` of a write: the same key with the same body makes
/// the server answer with the first result instead of acting twice. The sync
/// engine stores it on the outbox row and reuses it for every retry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// 1 to 255 visible ASCII characters (a UUID is a good choice).
    pub fn new(key: impl Into<String>) -> Option<IdempotencyKey> {
        let key = key.into();
        let valid = !key.is_empty() && key.len() <= 255 && key.bytes().all(|b| b.is_ascii_graphic());
        valid.then_some(IdempotencyKey(key))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_never_shows_in_debug_output() {
        let token = ApiToken::new("s3cr3t-token\n".to_owned());
        assert_eq!(format!("{token:?}"), "ApiToken(***)");
        assert_eq!(token.expose_secret(), "s3cr3t-token");
    }

    #[test]
    fn idempotency_keys_are_visible_ascii() {
        assert!(IdempotencyKey::new("0190f3c2-6c4e-7d5a-9b1e-2f3a4b5c6d7e").is_some());
        assert!(IdempotencyKey::new("").is_none());
        assert!(IdempotencyKey::new("has space").is_none());
        assert!(IdempotencyKey::new("x".repeat(256)).is_none());
    }
}
