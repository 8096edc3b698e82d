//! Scrubs personal data and secrets out of log lines before they are written.
//! The code logs ids and counts on purpose; this is the net under it for what
//! slips through (an error message quoting a value, a library's own log).

use std::borrow::Cow;

/// Replaces e-mail addresses, long hex or base64-like runs (keys, tokens) and
/// `key=value` secrets with placeholders.
pub fn redact(line: &str) -> Cow<'_, str> {
    let mut out = String::with_capacity(line.len());
    let mut changed = false;
    for chunk in line.split_inclusive(char::is_whitespace) {
        let word = chunk.trim_end_matches(char::is_whitespace);
        let space = &chunk[word.len()..];
        match redact_word(word) {
            Some(replacement) => {
                changed = true;
                out.push_str(&replacement);
            }
            None => out.push_str(word),
        }
        out.push_str(space);
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(line)
    }
}

const SECRET_NAMES: &[&str] = &["key", "token", "passphrase", "password", "secret", "authorization", "bearer"];

fn redact_word(word: &str) -> Option<String> {
    let bare = word.trim_matches(|c: char| "\"'`()[]{}<>,;".contains(c));
    if let Some((name, value)) = bare.split_once(['=', ':']) {
        if !value.is_empty() && SECRET_NAMES.iter().any(|s| name.to_ascii_lowercase().ends_with(s)) {
            return Some(word.replace(value, "[redacted]"));
        }
    }
    if looks_like_email(bare) {
        return Some(word.replace(bare, "[email]"));
    }
    if looks_like_secret(bare) {
        return Some(word.replace(bare, "[secret]"));
    }
    None
}

fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => !local.is_empty() && domain.contains('.') && !domain.starts_with('.'),
        None => false,
    }
}

/// 32+ characters of key material. UUIDs (ids, which we log) have dashes and
/// stay readable.
fn looks_like_secret(s: &str) -> bool {
    let s = s.strip_prefix("x'").unwrap_or(s).trim_end_matches('\'');
    s.len() >= 32
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "+/=_".contains(c))
        && s.chars().any(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn scrubs_emails_keys_and_named_secrets() {
        assert_eq!(redact("sent to ana.lima@example.com today"), "sent to [email] today");
        let pragma = redact("PRAGMA key = \"x'00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'\"");
        assert!(pragma.contains("[secret]") && !pragma.contains("0011"), "{pragma}");
        assert_eq!(redact("token=abc123 ok"), "token=[redacted] ok");
        assert_eq!(redact("Authorization: Bearer"), "Authorization: Bearer");
    }

    #[test]
    fn leaves_ids_counts_and_plain_words_alone() {
        let line = "opened workspace 01936a4e-7f1c-7cc0-8a3b-2f6d2c1e9b10 with 1200 clients";
        assert!(matches!(redact(line), std::borrow::Cow::Borrowed(_)));
    }
}
