//! Secrets as types: the database key, the key-encryption key, the user's
//! passphrase and the printable recovery key.
//!
//! Every type here is zeroized on drop, has a `Debug` that prints `***`
//! instead of its contents, and deliberately implements neither `Clone`,
//! `Display` nor `Serialize`, so a secret cannot end up in a log, a config
//! file or an error message by accident.

use std::fmt;

use rand::rngs::OsRng;
use rand::RngCore;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::vault::VaultError;

/// The 256-bit SQLCipher raw key of one workspace database.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct DataKey([u8; 32]);

impl DataKey {
    /// A fresh random key from the operating system's CSPRNG.
    pub fn generate() -> DataKey {
        let mut key = DataKey([0; 32]);
        OsRng.fill_bytes(&mut key.0);
        key
    }

    /// The value for `PRAGMA key` / `PRAGMA rekey`: `"x'<64 lowercase hex>'"`,
    /// double quotes included (SQLCipher's raw-key form is a syntax error
    /// without them).
    pub fn sqlcipher_key_pragma(&self) -> Zeroizing<String> {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        // Sized up front so the buffer never reallocates and leaves an
        // unzeroized copy of the key behind.
        let mut out = Zeroizing::new(String::with_capacity(2 + 2 + 64 + 2));
        out.push_str("\"x'");
        for byte in &self.0 {
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        out.push_str("'\"");
        out
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub(crate) fn from_bytes(bytes: [u8; 32]) -> DataKey {
        DataKey(bytes)
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(***)")
    }
}

/// A 256-bit key-encryption key: wraps a [`DataKey`] in one key-file slot.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct WrappingKey([u8; 32]);

impl WrappingKey {
    /// A fresh random key from the operating system's CSPRNG.
    pub fn generate() -> WrappingKey {
        let mut key = WrappingKey([0; 32]);
        OsRng.fill_bytes(&mut key.0);
        key
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub(crate) fn from_bytes(bytes: [u8; 32]) -> WrappingKey {
        WrappingKey(bytes)
    }
}

impl fmt::Debug for WrappingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WrappingKey(***)")
    }
}

/// A passphrase typed by the user. Used exactly as typed (no trimming).
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Passphrase(String);

impl Passphrase {
    pub fn new(passphrase: String) -> Passphrase {
        Passphrase(passphrase)
    }

    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Length in Unicode scalar values, the unit of `MIN_PASSPHRASE_CHARS`.
    pub(crate) fn char_count(&self) -> usize {
        self.0.chars().count()
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(***)")
    }
}

/// Crockford's base32 alphabet: no I, L, O or U, so the printed key cannot be
/// misread (and I/L/O typed by mistake are read as 1/1/0 when parsing).
const RECOVERY_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const RECOVERY_BYTES: usize = 20;
/// 160 bits at 5 bits per symbol.
const RECOVERY_SYMBOLS: usize = RECOVERY_BYTES * 8 / 5;
const RECOVERY_GROUP: usize = 4;

/// The printable recovery key: 20 random bytes (160 bits), shown once at
/// setup as eight groups of four base32 characters, e.g. `7KQ2-M9XA-…`.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct RecoveryKey {
    bytes: [u8; RECOVERY_BYTES],
    display: String,
}

impl RecoveryKey {
    /// A fresh random recovery key from the operating system's CSPRNG.
    pub fn generate() -> RecoveryKey {
        let mut bytes = Zeroizing::new([0u8; RECOVERY_BYTES]);
        OsRng.fill_bytes(&mut *bytes);
        RecoveryKey::from_bytes(*bytes)
    }

    /// Reads a recovery key as the user typed it: case, spaces and dashes do
    /// not matter, and the look-alikes I, L and O are read as 1, 1 and 0.
    pub fn parse(input: &str) -> Result<RecoveryKey, VaultError> {
        let mut symbols = Zeroizing::new([0u8; RECOVERY_SYMBOLS]);
        let mut count = 0usize;
        for c in input.chars() {
            if c.is_whitespace() || c == '-' {
                continue;
            }
            let c = match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            };
            let value =
                RECOVERY_ALPHABET.iter().position(|&a| char::from(a) == c).ok_or(VaultError::RecoveryKeyMalformed)?;
            let slot = symbols.get_mut(count).ok_or(VaultError::RecoveryKeyMalformed)?;
            // `position` in a 32-entry table always fits in 5 bits.
            *slot = value as u8;
            count += 1;
        }
        if count != RECOVERY_SYMBOLS {
            return Err(VaultError::RecoveryKeyMalformed);
        }

        let mut bytes = Zeroizing::new([0u8; RECOVERY_BYTES]);
        // Each 8-symbol chunk is exactly 40 bits = 5 bytes.
        for (chunk, out) in symbols.chunks_exact(8).zip(bytes.chunks_exact_mut(5)) {
            let mut acc: u64 = 0;
            for &s in chunk {
                acc = (acc << 5) | u64::from(s);
            }
            for (i, byte) in out.iter_mut().enumerate() {
                *byte = (acc >> (8 * (4 - i))) as u8;
            }
            acc.zeroize();
        }
        Ok(RecoveryKey::from_bytes(*bytes))
    }

    /// The grouped form to show the user once (`XXXX-XXXX-…`, 8 groups).
    pub fn expose_for_display(&self) -> &str {
        &self.display
    }

    pub(crate) fn as_bytes(&self) -> &[u8; RECOVERY_BYTES] {
        &self.bytes
    }

    fn from_bytes(bytes: [u8; RECOVERY_BYTES]) -> RecoveryKey {
        let groups = RECOVERY_SYMBOLS / RECOVERY_GROUP;
        // Sized up front so the buffer never reallocates and leaves an
        // unzeroized copy behind.
        let mut display = String::with_capacity(RECOVERY_SYMBOLS + groups - 1);
        let mut written = 0usize;
        for chunk in bytes.chunks_exact(5) {
            let mut acc: u64 = 0;
            for &b in chunk {
                acc = (acc << 8) | u64::from(b);
            }
            for i in (0..8).rev() {
                if written > 0 && written.is_multiple_of(RECOVERY_GROUP) {
                    display.push('-');
                }
                let index = ((acc >> (5 * i)) & 0x1f) as usize;
                display.push(char::from(RECOVERY_ALPHABET[index]));
                written += 1;
            }
            acc.zeroize();
        }
        RecoveryKey { bytes, display }
    }
}

impl fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryKey(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlcipher_pragma_is_quoted_raw_key() {
        let key = DataKey::from_bytes([0xab; 32]);
        let pragma = key.sqlcipher_key_pragma();
        assert_eq!(pragma.len(), 3 + 64 + 2);
        assert!(pragma.starts_with("\"x'"));
        assert!(pragma.ends_with("'\""));
        let hex_part = &pragma[3..67];
        assert_eq!(hex_part, "ab".repeat(32));

        let random = DataKey::generate();
        let pragma = random.sqlcipher_key_pragma();
        let hex_part = &pragma[3..67];
        assert!(hex_part.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)));
        assert_eq!(hex_part, hex::encode(random.as_bytes()));
    }

    #[test]
    fn generated_keys_differ() {
        assert_ne!(DataKey::generate().as_bytes(), DataKey::generate().as_bytes());
        assert_ne!(WrappingKey::generate().as_bytes(), WrappingKey::generate().as_bytes());
        assert_ne!(RecoveryKey::generate().as_bytes(), RecoveryKey::generate().as_bytes());
    }

    #[test]
    fn debug_reveals_nothing() {
        let key = DataKey::from_bytes([0xab; 32]);
        let shown = format!("{key:?} {key:#?}");
        assert!(!shown.contains("ab"), "{shown}");
        assert!(!shown.contains("171"), "{shown}");
        assert_eq!(format!("{key:?}"), "DataKey(***)");

        let wk = WrappingKey::from_bytes([0xcd; 32]);
        assert_eq!(format!("{wk:?}"), "WrappingKey(***)");

        let p = Passphrase::new("correct horse battery staple".into());
        let shown = format!("{p:?} {p:#?}");
        assert!(!shown.contains("horse"), "{shown}");
        assert_eq!(format!("{p:?}"), "Passphrase(***)");

        let rk = RecoveryKey::generate();
        let shown = format!("{rk:?} {rk:#?}");
        assert!(!shown.contains(rk.expose_for_display()), "{shown}");
        assert!(!shown.contains(&rk.expose_for_display()[..4]), "{shown}");
        assert_eq!(format!("{rk:?}"), "RecoveryKey(***)");
    }

    #[test]
    fn passphrase_accessors() {
        let p = Passphrase::new("héllo wörld".into());
        assert_eq!(p.expose_secret(), "héllo wörld");
        assert_eq!(p.char_count(), 11);
        assert!(!p.is_empty());
        assert!(Passphrase::new(String::new()).is_empty());
    }

    #[test]
    fn recovery_key_display_shape() {
        let rk = RecoveryKey::generate();
        let shown = rk.expose_for_display();
        let groups: Vec<&str> = shown.split('-').collect();
        assert_eq!(groups.len(), 8, "{shown}");
        for g in groups {
            assert_eq!(g.len(), 4);
            assert!(g.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)));
        }
    }

    #[test]
    fn recovery_key_known_vector() {
        let rk = RecoveryKey::from_bytes([0; 20]);
        assert_eq!(rk.expose_for_display(), "0000-0000-0000-0000-0000-0000-0000-0000");
        let rk = RecoveryKey::from_bytes([0xff; 20]);
        assert_eq!(rk.expose_for_display(), "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ");
        // 0b00001_000 00...: the first symbol is 1, the rest 0.
        let mut bytes = [0u8; 20];
        bytes[0] = 0b0000_1000;
        let rk = RecoveryKey::from_bytes(bytes);
        assert!(rk.expose_for_display().starts_with("1000-"));
    }

    #[test]
    fn recovery_key_parse_is_tolerant() {
        let rk = RecoveryKey::generate();
        let shown = rk.expose_for_display().to_owned();
        let variants = [
            shown.clone(),
            shown.to_lowercase(),
            shown.replace('-', ""),
            shown.replace('-', " "),
            format!("  {}  ", shown.replace('-', " - ").to_lowercase()),
            shown.replace('0', "O").replace('1', "l"),
        ];
        for v in variants {
            let parsed = RecoveryKey::parse(&v).expect("variant parses");
            assert_eq!(parsed.as_bytes(), rk.as_bytes(), "{v}");
            assert_eq!(parsed.expose_for_display(), shown);
        }
    }

    #[test]
    fn recovery_key_parse_rejects_garbage() {
        let rk = RecoveryKey::generate();
        let shown = rk.expose_for_display().to_owned();
        let bad = [
            String::new(),
            "not a key".to_owned(),
            shown[..shown.len() - 1].to_owned(),
            format!("{shown}A"),
            shown.replacen(|c: char| c.is_ascii_alphanumeric(), "U", 1),
            shown.replacen(|c: char| c.is_ascii_alphanumeric(), "_", 1),
            shown.replacen(|c: char| c.is_ascii_alphanumeric(), "é", 1),
            format!("{shown}{shown}"),
        ];
        for b in bad {
            assert!(matches!(RecoveryKey::parse(&b), Err(VaultError::RecoveryKeyMalformed)), "{b:?} should be refused");
        }
    }

    proptest::proptest! {
        #[test]
        fn recovery_key_round_trips(bytes in proptest::array::uniform20(proptest::num::u8::ANY)) {
            let rk = RecoveryKey::from_bytes(bytes);
            let parsed = RecoveryKey::parse(rk.expose_for_display()).expect("round trip");
            proptest::prop_assert_eq!(parsed.as_bytes(), &bytes);
        }
    }
}
