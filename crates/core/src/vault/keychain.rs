//! Access to the OS keychain, where keychain-protected workspaces keep their
//! wrapping key: the [`KeyStore`] trait and its real implementation
//! [`OsKeychain`] over the `keyring` crate (macOS Keychain, Windows
//! Credential Manager, Secret Service on Linux), and [`off_runtime`], which
//! runs a keychain call on a blocking thread with a time limit so that a
//! keychain that never answers cannot hang the app.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use zeroize::Zeroizing;

use super::VaultError;
use crate::secret::WrappingKey;

/// The keychain service name every Bidwell entry is filed under.
pub const KEYCHAIN_SERVICE: &str = "Bidwell";

/// The keychain account holding a workspace's wrapping key.
pub fn keychain_account(profile_id: uuid::Uuid) -> String {
    format!("workspace-{profile_id}")
}

/// How long a keychain call may take before Bidwell stops waiting for it.
pub const KEYCHAIN_TIME_LIMIT: Duration = Duration::from_secs(10);

/// Where wrapping keys are kept. Abstracted so the key file logic can be
/// tested without a real keychain.
pub trait KeyStore: Send + Sync {
    /// Stable name of the backend, e.g. "secret-service", "macos-keychain",
    /// "windows-credential-manager".
    fn backend(&self) -> &'static str;

    /// How long [`off_runtime`] waits for one call. Tests of a keychain that
    /// never answers shorten it.
    fn time_limit(&self) -> Duration {
        KEYCHAIN_TIME_LIMIT
    }

    /// Ok if a usable keychain is present. Probes by reading a nonexistent
    /// entry: `NoEntry` means usable; no storage access or a platform
    /// failure means unavailable ([`VaultError::NoKeychain`]).
    fn probe(&self) -> Result<(), VaultError>;

    /// Stores (or replaces) the wrapping key for `account`.
    fn store(&self, account: &str, key: &WrappingKey) -> Result<(), VaultError>;

    /// [`VaultError::KeychainEntryMissing`] if there is no entry.
    fn load(&self, account: &str) -> Result<WrappingKey, VaultError>;

    /// Deleting an entry that does not exist is not an error.
    fn delete(&self, account: &str) -> Result<(), VaultError>;

    /// Stores a text secret (a marketplace API token) under `account`. A
    /// store that keeps only wrapping keys says it has no keychain, and the
    /// caller keeps the secret inside the encrypted database instead.
    fn store_text(&self, _account: &str, _secret: &str) -> Result<(), VaultError> {
        Err(VaultError::NoKeychain { backend: self.backend(), reason: "this store keeps keys only".to_owned() })
    }

    /// A text secret stored by [`KeyStore::store_text`].
    fn load_text(&self, _account: &str) -> Result<Zeroizing<String>, VaultError> {
        Err(VaultError::NoKeychain { backend: self.backend(), reason: "this store keeps keys only".to_owned() })
    }
}

/// Runs one keychain call on a thread of its own, off the async runtime, and
/// stops waiting after the store's [`KeyStore::time_limit`] with
/// [`VaultError::KeychainNoAnswer`]. Keychain calls block (D-Bus, a prompt),
/// and a Secret Service waiting on an unlock prompt nobody sees may never
/// return: the app must not hang with it. A plain thread rather than
/// `spawn_blocking`, because a runtime shutting down waits for its blocking
/// tasks, and a call given up on must not hold up quitting; it keeps its
/// thread until it returns, and nothing waits for it.
pub(crate) async fn off_runtime<T, F>(store: Arc<dyn KeyStore>, call: F) -> Result<T, VaultError>
where
    T: Send + 'static,
    F: FnOnce(&dyn KeyStore) -> Result<T, VaultError> + Send + 'static,
{
    let (backend, limit) = (store.backend(), store.time_limit());
    let (answer, answered) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("keychain".to_owned())
        .spawn(move || drop(answer.send(call(store.as_ref()))))
        .map_err(|e| VaultError::Keychain { reason: format!("could not start the keychain call: {e}") })?;
    match tokio::time::timeout(limit, answered).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(VaultError::Keychain { reason: "the keychain call stopped unexpectedly".to_owned() }),
        Err(_) => {
            tracing::warn!(backend, "the keychain did not answer in time");
            Err(VaultError::KeychainNoAnswer { backend, limit })
        }
    }
}

/// The operating system's keychain, through `keyring`.
#[derive(Clone, Copy, Debug, Default)]
pub struct OsKeychain;

// Read by `probe`; never written, so its absence is the expected answer.
const PROBE_ACCOUNT: &str = "keychain-probe";

// `keyring` without a platform feature silently falls back to an in-memory
// mock, which would lose the key at exit: only the platforms we build a real
// backend for count as having a keychain.
const SUPPORTED_PLATFORM: bool = cfg!(any(target_os = "linux", target_os = "macos", target_os = "windows"));

impl OsKeychain {
    fn entry(&self, account: &str) -> Result<keyring::Entry, VaultError> {
        if !SUPPORTED_PLATFORM {
            return Err(VaultError::NoKeychain {
                backend: self.backend(),
                reason: "Bidwell has no keychain support on this platform".to_owned(),
            });
        }
        keyring::Entry::new(KEYCHAIN_SERVICE, account).map_err(|e| self.map_error(e))
    }

    fn map_error(&self, err: keyring::Error) -> VaultError {
        match err {
            keyring::Error::NoStorageAccess(e) => VaultError::NoKeychain {
                backend: self.backend(),
                reason: format!("access denied or keychain locked ({e})"),
            },
            keyring::Error::PlatformFailure(e) => {
                VaultError::NoKeychain { backend: self.backend(), reason: e.to_string() }
            }
            keyring::Error::NoEntry => VaultError::KeychainEntryMissing,
            keyring::Error::BadEncoding(_) => {
                VaultError::Keychain { reason: "the stored entry is not a Bidwell key".to_owned() }
            }
            keyring::Error::Ambiguous(items) => VaultError::Keychain {
                reason: format!("{} keychain entries match this workspace; remove the duplicates", items.len()),
            },
            other => VaultError::Keychain { reason: other.to_string() },
        }
    }
}

impl KeyStore for OsKeychain {
    fn backend(&self) -> &'static str {
        if cfg!(target_os = "macos") {
            "macos-keychain"
        } else if cfg!(target_os = "windows") {
            "windows-credential-manager"
        } else if cfg!(target_os = "linux") {
            "secret-service"
        } else {
            "unsupported"
        }
    }

    fn probe(&self) -> Result<(), VaultError> {
        match self.entry(PROBE_ACCOUNT)?.get_password() {
            Ok(value) => {
                // Someone created it; the keychain works all the same.
                drop(Zeroizing::new(value));
                Ok(())
            }
            Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(self.map_error(e)),
        }
    }

    fn store(&self, account: &str, key: &WrappingKey) -> Result<(), VaultError> {
        let encoded = Zeroizing::new(BASE64.encode(key.as_bytes()));
        self.entry(account)?.set_password(&encoded).map_err(|e| self.map_error(e))?;
        tracing::debug!(backend = self.backend(), account, "stored wrapping key");
        Ok(())
    }

    fn load(&self, account: &str) -> Result<WrappingKey, VaultError> {
        let encoded = Zeroizing::new(self.entry(account)?.get_password().map_err(|e| self.map_error(e))?);
        decode_wrapping_key(&encoded)
    }

    fn store_text(&self, account: &str, secret: &str) -> Result<(), VaultError> {
        self.entry(account)?.set_password(secret).map_err(|e| self.map_error(e))
    }

    fn load_text(&self, account: &str) -> Result<Zeroizing<String>, VaultError> {
        Ok(Zeroizing::new(self.entry(account)?.get_password().map_err(|e| self.map_error(e))?))
    }

    fn delete(&self, account: &str) -> Result<(), VaultError> {
        match self.entry(account)?.delete_credential() {
            Ok(()) => {
                tracing::debug!(backend = self.backend(), account, "deleted wrapping key");
                Ok(())
            }
            Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(self.map_error(e)),
        }
    }
}

fn decode_wrapping_key(encoded: &str) -> Result<WrappingKey, VaultError> {
    let not_ours = || VaultError::Keychain { reason: "the stored entry is not a Bidwell key".to_owned() };
    let mut bytes = Zeroizing::new([0u8; 32]);
    let decoded = Zeroizing::new(BASE64.decode(encoded.trim()).map_err(|_| not_ours())?);
    if decoded.len() != bytes.len() {
        return Err(not_ours());
    }
    bytes.copy_from_slice(&decoded);
    Ok(WrappingKey::from_bytes(*bytes))
}

pub mod mock {
    //! An in-memory [`KeyStore`] for tests, here and in code built over the
    //! core (the app never uses it): the real keychain is exercised by the
    //! integration tests under gnome-keyring.

    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::*;

    #[derive(Default)]
    pub struct MemoryKeyStore {
        entries: Mutex<HashMap<String, Zeroizing<String>>>,
        /// When set, every call fails as if no keychain were present.
        pub unavailable: bool,
    }

    impl MemoryKeyStore {
        pub fn unavailable() -> Self {
            MemoryKeyStore { unavailable: true, ..Default::default() }
        }

        pub fn contains(&self, account: &str) -> bool {
            self.entries.lock().expect("lock").contains_key(account)
        }

        pub fn len(&self) -> usize {
            self.entries.lock().expect("lock").len()
        }

        pub fn is_empty(&self) -> bool {
            self.len() == 0
        }

        /// The names of every entry, sorted.
        pub fn names(&self) -> Vec<String> {
            let mut names: Vec<String> = self.entries.lock().expect("lock").keys().cloned().collect();
            names.sort();
            names
        }

        fn check(&self) -> Result<(), VaultError> {
            if self.unavailable {
                Err(VaultError::NoKeychain { backend: "memory", reason: "test keychain switched off".to_owned() })
            } else {
                Ok(())
            }
        }
    }

    impl KeyStore for MemoryKeyStore {
        fn backend(&self) -> &'static str {
            "memory"
        }

        fn probe(&self) -> Result<(), VaultError> {
            self.check()
        }

        fn store(&self, account: &str, key: &WrappingKey) -> Result<(), VaultError> {
            self.check()?;
            self.entries
                .lock()
                .expect("lock")
                .insert(account.to_owned(), Zeroizing::new(BASE64.encode(key.as_bytes())));
            Ok(())
        }

        fn load(&self, account: &str) -> Result<WrappingKey, VaultError> {
            self.check()?;
            let entries = self.entries.lock().expect("lock");
            let encoded = entries.get(account).ok_or(VaultError::KeychainEntryMissing)?;
            decode_wrapping_key(encoded)
        }

        fn delete(&self, account: &str) -> Result<(), VaultError> {
            self.check()?;
            self.entries.lock().expect("lock").remove(account);
            Ok(())
        }

        fn store_text(&self, account: &str, secret: &str) -> Result<(), VaultError> {
            self.check()?;
            self.entries.lock().expect("lock").insert(account.to_owned(), Zeroizing::new(secret.to_owned()));
            Ok(())
        }

        fn load_text(&self, account: &str) -> Result<Zeroizing<String>, VaultError> {
            self.check()?;
            let entries = self.entries.lock().expect("lock");
            entries.get(account).map(|s| Zeroizing::new(s.as_str().to_owned())).ok_or(VaultError::KeychainEntryMissing)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::mock::MemoryKeyStore;
    use super::*;

    #[test]
    fn account_name() {
        let id = uuid::Uuid::nil();
        assert_eq!(keychain_account(id), "workspace-00000000-0000-0000-0000-000000000000");
    }

    #[test]
    fn decode_rejects_foreign_entries() {
        assert!(matches!(decode_wrapping_key("not base64!"), Err(VaultError::Keychain { .. })));
        assert!(matches!(decode_wrapping_key(&BASE64.encode([1u8; 16])), Err(VaultError::Keychain { .. })));
        let key = decode_wrapping_key(&BASE64.encode([7u8; 32])).expect("valid");
        assert_eq!(key.as_bytes(), &[7u8; 32]);
    }

    #[test]
    fn memory_store_round_trip() {
        let store = MemoryKeyStore::default();
        store.probe().expect("probe");
        let key = WrappingKey::generate();
        store.store("a", &key).expect("store");
        assert_eq!(store.load("a").expect("load").as_bytes(), key.as_bytes());
        store.delete("a").expect("delete");
        store.delete("a").expect("delete twice");
        assert!(matches!(store.load("a"), Err(VaultError::KeychainEntryMissing)));
    }

    #[test]
    fn os_keychain_backend_name() {
        let expected = if cfg!(target_os = "linux") {
            "secret-service"
        } else if cfg!(target_os = "macos") {
            "macos-keychain"
        } else if cfg!(target_os = "windows") {
            "windows-credential-manager"
        } else {
            "unsupported"
        };
        assert_eq!(OsKeychain.backend(), expected);
    }
}
