//! How a protected export is protected: the two containers a password can
//! lock (a ZIP of WinZip AES entries, or the plain ZIP inside an `age`
//! file), how strong that password must be for each (one rule, here: the
//! export refuses what the app's strength meter shows as too weak), and
//! opening an `age` file on import.

use std::io::Write;

use age::secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::limits;
use crate::error::{Error, Result};
use crate::secret::Passphrase;

/// What an export archive is written as.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ArchiveContainer {
    /// A ZIP file. With a password every entry is AES-256 encrypted in the
    /// WinZip AE-2 format, which 7-Zip, WinZip and WinRAR open; its key
    /// derivation is PBKDF2-SHA1 with 1 000 rounds, cheap to attack, so it
    /// needs the strongest passwords.
    #[default]
    Zip,
    /// The same ZIP, unencrypted, inside an age file (age-encryption.org/v1)
    /// locked with the password through scrypt: `age -d` or `rage -d` opens
    /// it. Needs a password. File extension `.zip.age`.
    Age,
}

impl ArchiveContainer {
    pub fn as_str(self) -> &'static str {
        match self {
            ArchiveContainer::Zip => "zip",
            ArchiveContainer::Age => "age",
        }
    }

    /// The zxcvbn score (0 to 4) a password must reach to lock this container.
    /// A score of 3 means an estimated 10^8 to 10^10 guesses: against age's
    /// scrypt at 2^18 (about a second of work per guess on a laptop) that
    /// is years. WinZip AES's 1 000 rounds of PBKDF2-SHA1 let a graphics card
    /// try millions of guesses a second, so it needs 4 (over 10^10 guesses).
    pub fn required_score(self) -> u8 {
        match self {
            ArchiveContainer::Zip => 4,
            ArchiveContainer::Age => 3,
        }
    }

    /// The extension a file of this container ends in.
    pub fn extension(self) -> &'static str {
        match self {
            ArchiveContainer::Zip => "zip",
            ArchiveContainer::Age => "zip.age",
        }
    }
}

impl std::str::FromStr for ArchiveContainer {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "zip" => Ok(ArchiveContainer::Zip),
            "age" => Ok(ArchiveContainer::Age),
            _ => Err(Error::validation("format", format!("'{s}' is not one of: zip, age"))),
        }
    }
}

/// How strong a password is for an export, as zxcvbn (Dropbox's estimator)
/// judges it: what the strength meter shows and what the export enforces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct PasswordStrength {
    /// 0 (guessed at once) to 4 (more than 10^10 guesses).
    pub score: u8,
    /// The score the chosen container needs.
    pub required: u8,
    pub acceptable: bool,
    /// What makes it weak ("This is a top-100 common password"), if anything.
    pub warning: Option<String>,
    /// How to make it stronger.
    pub suggestions: Vec<String>,
}

/// The estimator is quadratic in the length; beyond this many characters a
/// password is judged by its start (any password that long whose start is
/// strong is strong).
const ESTIMATED_CHARS: usize = 128;

/// How strong `password` is for `container`. zxcvbn knows common
/// passwords, names, words, keyboard patterns, dates (relative to the
/// current year, which it reads itself) and l33t spellings; `context`
/// words (the workspace's name, say) count as guessable too.
pub fn password_strength(password: &str, container: ArchiveContainer, context: &[&str]) -> PasswordStrength {
    let judged: String = password.chars().take(ESTIMATED_CHARS).collect();
    let mut inputs: Vec<&str> = vec!["bidwell", "export", "archive", "backup", "password"];
    inputs.extend_from_slice(context);
    let entropy = zxcvbn::zxcvbn(&judged, &inputs);
    let score = u8::from(entropy.score());
    let required = container.required_score();
    let (warning, suggestions) = match entropy.feedback() {
        Some(f) => (f.warning().map(|w| w.to_string()), f.suggestions().iter().map(|s| s.to_string()).collect()),
        None => (None, Vec::new()),
    };
    PasswordStrength { score, required, acceptable: score >= required, warning, suggestions }
}

/// The password an export may be locked with: not empty, and strong enough
/// for `container` ([`password_strength`]); a clear `validation` error on
/// the field `password` otherwise.
pub(crate) fn check_export_password(
    password: Option<&Passphrase>,
    container: ArchiveContainer,
    context: &[&str],
) -> Result<()> {
    let Some(password) = password else {
        return match container {
            ArchiveContainer::Zip => Ok(()),
            ArchiveContainer::Age => Err(Error::validation("password", "an age archive needs a password")),
        };
    };
    if password.is_empty() {
        return Err(Error::validation("password", "is empty; leave it out for no password"));
    }
    let strength = password_strength(password.expose_secret(), container, context);
    if strength.acceptable {
        return Ok(());
    }
    let why = match container {
        ArchiveContainer::Zip => {
            "a 7-Zip (WinZip AES) archive derives its key with only 1 000 rounds of PBKDF2-SHA1, so it needs \
             a very strong password; the age format resists guessing far better"
        }
        ArchiveContainer::Age => "anyone who gets the file can try passwords against it for as long as they like",
    };
    let mut message = format!("is too weak: strength {} of 4, {} needed ({why})", strength.score, strength.required);
    if let Some(warning) = &strength.warning {
        message.push_str(&format!(". {warning}"));
    }
    if let Some(first) = strength.suggestions.first() {
        message.push_str(&format!(". {first}"));
    }
    Err(Error::validation("password", message))
}

/// The first bytes of every binary age file (age-encryption.org/v1).
const AGE_MAGIC: &[u8] = b"age-encryption.org/v1\n";

/// The scrypt work factor (log2 N) Bidwell's age archives use: the
/// reference age implementation's, about a second per try on a laptop and
/// 256 MiB of memory. Fixed rather than timed on this machine, so an
/// export made here opens on a slower one.
pub const AGE_WORK_FACTOR: u8 = 18;

/// The largest scrypt work factor an imported age file may demand: each
/// step doubles the memory (2^20 is 1 GiB) and the time, and the file
/// chooses it, so an unbounded one is a way to exhaust the machine. Two
/// steps above our own leave room for files that `age`/`rage` made on a
/// fast machine.
pub const MAX_AGE_WORK_FACTOR: u8 = AGE_WORK_FACTOR + 2;

pub(crate) fn is_age(bytes: &[u8]) -> bool {
    bytes.starts_with(AGE_MAGIC)
}

/// Locks `plain` (a whole ZIP) in an age file written to `out`.
pub(crate) fn age_encrypt(plain: &[u8], password: &Passphrase, out: impl Write) -> std::io::Result<()> {
    let mut recipient = age::scrypt::Recipient::new(SecretString::from(password.expose_secret().to_string()));
    recipient.set_work_factor(AGE_WORK_FACTOR);
    let encryptor = age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
        .map_err(std::io::Error::other)?;
    let mut writer = encryptor.wrap_output(out)?;
    writer.write_all(plain)?;
    writer.finish()?;
    Ok(())
}

/// Opens the age file `bytes` (named `name` in errors) with `password`: the
/// plaintext, read under [`limits::MAX_IMPORT_FILE_BYTES`].
pub(crate) fn age_decrypt(name: &str, bytes: &[u8], password: Option<&Passphrase>) -> Result<Vec<u8>> {
    let Some(password) = password else {
        return Err(Error::ArchivePassword(format!("{name} is encrypted with age: give its password")));
    };
    let damaged = |why: &str| Error::import_invalid(name, None, None, why);
    let decryptor = age::Decryptor::new_buffered(bytes).map_err(|_| damaged("is not a readable age file"))?;
    if !decryptor.is_scrypt() {
        return Err(damaged("is encrypted with age to a key, not a password; decrypt it with age first"));
    }
    let mut identity = age::scrypt::Identity::new(SecretString::from(password.expose_secret().to_string()));
    identity.set_max_work_factor(MAX_AGE_WORK_FACTOR);
    let reader = decryptor.decrypt(std::iter::once(&identity as &dyn age::Identity)).map_err(|e| match e {
        age::DecryptError::NoMatchingKeys
        | age::DecryptError::DecryptionFailed
        | age::DecryptError::KeyDecryptionFailed => {
            Error::ArchivePassword(format!("the password does not open {name}"))
        }
        age::DecryptError::ExcessiveWork { required, .. } => Error::import_invalid(
            name,
            None,
            None,
            format!(
                "asks for scrypt work factor {required}, more than the {MAX_AGE_WORK_FACTOR} Bidwell allows \
                 (each step doubles time and memory)"
            ),
        ),
        _ => damaged("is not a readable age file"),
    })?;
    let mut plain = Vec::new();
    match limits::read_capped(reader, limits::MAX_IMPORT_FILE_BYTES, &mut plain) {
        Ok(Some(())) => Ok(plain),
        Ok(None) => Err(damaged("decrypts to more than Bidwell imports from one file")),
        Err(_) => Err(damaged("is damaged: its contents do not decrypt")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_and_short_passwords_are_weak_and_long_random_ones_strong() {
        for weak in ["password", "12345678", "qwertyuiop", "bidwell2026", "password123"] {
            assert!(!password_strength(weak, ArchiveContainer::Age, &[]).acceptable, "{weak}");
        }
        let strong = "velvet ladder orbit quinoa harbour";
        for container in [ArchiveContainer::Zip, ArchiveContainer::Age] {
            let s = password_strength(strong, container, &[]);
            assert!(s.acceptable, "{s:?}");
            assert_eq!(s.required, container.required_score());
        }
    }

    #[test]
    fn the_workspace_name_counts_as_guessable() {
        let name = "Zanzibarquokka Consulting";
        let alone = password_strength("zanzibarquokka", ArchiveContainer::Age, &[]);
        let known = password_strength("zanzibarquokka", ArchiveContainer::Age, &[name, "zanzibarquokka"]);
        assert!(known.score < alone.score || known.score == 0, "{alone:?} {known:?}");
    }

    #[test]
    fn a_weak_password_is_refused_with_its_reason() {
        let err =
            check_export_password(Some(&Passphrase::new("password1".into())), ArchiveContainer::Zip, &[]).unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::Validation);
        let text = err.to_string();
        assert!(text.contains("too weak") && text.contains("PBKDF2-SHA1"), "{text}");
        let err = check_export_password(None, ArchiveContainer::Age, &[]).unwrap_err();
        assert!(err.to_string().contains("needs a password"), "{err}");
        assert!(check_export_password(None, ArchiveContainer::Zip, &[]).is_ok());
    }
}
