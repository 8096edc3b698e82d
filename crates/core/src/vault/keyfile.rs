//! The key file (`bidwell.key`) beside each workspace database: its JSON
//! format, the wrapping of the data key into slots (AES-256-GCM under a
//! keychain key or an Argon2id-derived key), and the operations on it —
//! create, load, atomic write, unlock, passphrase change, key rotation and
//! crypto-shredding.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use argon2::{Algorithm, Argon2, Version};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use rand::rngs::OsRng;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zeroize::Zeroizing;

use super::keychain::{keychain_account, KeyStore};
use super::{KdfParams, Protection, ProtectionKind, Unlock, UnlockedSlots, VaultError, MIN_PASSPHRASE_CHARS};
use crate::durable::sync_dir_io;
use crate::secret::{DataKey, Passphrase, RecoveryKey, WrappingKey};

const FORMAT: &str = "bidwell-keyfile";
const VERSION: u32 = 1;
const KDF_ALGORITHM: &str = "argon2id";
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 12;
/// A 32-byte data key plus the 16-byte GCM tag.
const WRAPPED_LEN: usize = 32 + 16;
/// A real key file is under 1 KiB; refuse to read anything much bigger.
const MAX_FILE_BYTES: u64 = 64 * 1024;

// Parameters read from a damaged or hostile key file must not make an unlock
// allocate unbounded memory or spin for hours.
const MAX_MEMORY_KIB: u32 = 4 * 1024 * 1024;
const MAX_ITERATIONS: u32 = 64;
const MAX_PARALLELISM: u32 = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SlotKind {
    Keychain,
    Passphrase,
    Recovery,
}

impl SlotKind {
    fn as_str(self) -> &'static str {
        match self {
            SlotKind::Keychain => "keychain",
            SlotKind::Passphrase => "passphrase",
            SlotKind::Recovery => "recovery",
        }
    }
}

/// A data key encrypted under one wrapping key.
#[derive(Clone, PartialEq, Eq)]
struct Sealed {
    nonce: [u8; NONCE_LEN],
    wrapped: [u8; WRAPPED_LEN],
}

/// A slot whose wrapping key is derived with Argon2id (passphrase, recovery).
#[derive(Clone, PartialEq, Eq)]
struct DerivedSlot {
    kdf: KdfParams,
    salt: [u8; SALT_LEN],
    sealed: Sealed,
}

#[derive(Clone, PartialEq, Eq)]
enum PrimarySlot {
    Keychain { account: String, sealed: Sealed },
    Passphrase(DerivedSlot),
}

/// The parsed key file of one workspace. Holds only wrapped keys, salts and
/// public metadata; its `Debug` shows the profile, version and slot kinds.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyFile {
    profile_id: Uuid,
    workspace_name: String,
    created_at: String,
    primary: PrimarySlot,
    recovery: DerivedSlot,
}

impl fmt::Debug for KeyFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let primary = match self.primary {
            PrimarySlot::Keychain { .. } => SlotKind::Keychain,
            PrimarySlot::Passphrase(_) => SlotKind::Passphrase,
        };
        f.debug_struct("KeyFile")
            .field("profile_id", &self.profile_id)
            .field("version", &VERSION)
            .field("slots", &[primary.as_str(), SlotKind::Recovery.as_str()])
            .finish()
    }
}

impl KeyFile {
    pub const FILE_NAME: &'static str = "bidwell.key";

    /// Makes a new data key and a key file holding it in a primary slot and
    /// a recovery slot.
    ///
    /// For [`Protection::Keychain`] the keychain is probed first
    /// ([`VaultError::NoKeychain`] if unavailable), then a new wrapping key is
    /// stored in it and read back, so a keychain that silently drops writes
    /// is caught now rather than when the workspace is next opened. A
    /// passphrase shorter than [`MIN_PASSPHRASE_CHARS`] is refused.
    ///
    /// Nothing is written to disk: call [`KeyFile::write_atomic`].
    pub fn create(
        profile_id: Uuid,
        workspace_name: &str,
        created_at: &str,
        protection: &Protection,
        kdf: KdfParams,
        keychain: &dyn KeyStore,
    ) -> Result<(KeyFile, DataKey, RecoveryKey, UnlockedSlots), VaultError> {
        check_kdf(kdf).map_err(|reason| VaultError::InvalidKdfParams { reason })?;
        if let Protection::Passphrase(passphrase) = protection {
            check_passphrase(passphrase)?;
        } else {
            keychain.probe()?;
        }

        let data_key = DataKey::generate();
        let recovery_key = RecoveryKey::generate();
        let recovery =
            DerivedSlot::seal_new(recovery_key.as_bytes(), kdf, &data_key, &aad(profile_id, SlotKind::Recovery))?.0;

        let (primary, wrapping_key) = match protection {
            Protection::Passphrase(passphrase) => {
                let (slot, key) = DerivedSlot::seal_new(
                    passphrase.expose_secret().as_bytes(),
                    kdf,
                    &data_key,
                    &aad(profile_id, SlotKind::Passphrase),
                )?;
                (PrimarySlot::Passphrase(slot), key)
            }
            Protection::Keychain => {
                let account = keychain_account(profile_id);
                let key = WrappingKey::generate();
                let sealed = seal(&key, &data_key, &aad(profile_id, SlotKind::Keychain))?;
                // Last step, so that a failure above leaves no orphan entry.
                keychain.store(&account, &key)?;
                let read_back = keychain.load(&account)?;
                if read_back.as_bytes() != key.as_bytes() {
                    return Err(VaultError::Keychain {
                        reason: "the keychain did not return the key it was given".to_owned(),
                    });
                }
                (PrimarySlot::Keychain { account, sealed }, key)
            }
        };

        let file = KeyFile {
            profile_id,
            workspace_name: workspace_name.to_owned(),
            created_at: created_at.to_owned(),
            primary,
            recovery,
        };
        tracing::debug!(%profile_id, protection = ?protection.kind(), "created key file");
        Ok((file, data_key, recovery_key, UnlockedSlots::with_primary(wrapping_key)))
    }

    /// Reads and validates a key file. Does not unlock anything.
    pub fn load(path: &Path) -> Result<KeyFile, VaultError> {
        let file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(VaultError::KeyFileMissing { path: path.to_owned() })
            }
            Err(source) => return Err(io_error(path, source)),
        };
        let mut bytes = Vec::new();
        file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(|source| io_error(path, source))?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(malformed(path, "the file is far too large for a key file"));
        }
        KeyFile::from_json_bytes(&bytes, path)
    }

    /// Writes the key file atomically: a temporary file in the same
    /// directory (mode 0600 on unix), fsync, rename over `path`, fsync of the
    /// directory. A crash leaves either the old or the new file, never half
    /// of one.
    pub fn write_atomic(&self, path: &Path) -> Result<(), VaultError> {
        let mut bytes = serde_json::to_vec_pretty(&self.to_json())
            .map_err(|e| malformed(path, &format!("could not serialise: {e}")))?;
        bytes.push(b'\n');

        let dir = parent_dir(path);
        let tmp = dir.join(format!("{}{}", temp_prefix(path)?, hex::encode(random_array::<8>())));
        let written = (|| {
            let mut file = create_private(&tmp).map_err(|e| io_error(&tmp, e))?;
            file.write_all(&bytes).map_err(|e| io_error(&tmp, e))?;
            file.sync_all().map_err(|e| io_error(&tmp, e))?;
            drop(file);
            fs::rename(&tmp, path).map_err(|e| io_error(path, e))
        })();
        if let Err(e) = written {
            // Best effort: the temporary file holds nothing the real one
            // would not, and shred() sweeps leftovers anyway.
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        sync_dir_io(dir).map_err(|e| io_error(dir, e))?;
        tracing::debug!(profile_id = %self.profile_id, path = %path.display(), "wrote key file");
        Ok(())
    }

    /// Refuses ([`VaultError::KeyFileChanged`]) when the key file at `path`
    /// is no longer this one: another process rewrote or removed it since
    /// this one loaded or last wrote it. Called before every write of the
    /// key file of an open workspace, beside the workspace lock, so a process
    /// never writes back a key file that wraps a data key the database has
    /// left behind. Compared as parsed, so layout does not count.
    pub fn check_unchanged(&self, path: &Path) -> Result<(), VaultError> {
        let on_disk = match KeyFile::load(path) {
            Ok(file) => file,
            Err(VaultError::KeyFileMissing { .. }) => return Err(VaultError::KeyFileChanged { path: path.to_owned() }),
            Err(e) => return Err(e),
        };
        let same = serde_json::to_value(on_disk.to_json()).ok() == serde_json::to_value(self.to_json()).ok();
        match same {
            true => Ok(()),
            false => Err(VaultError::KeyFileChanged { path: path.to_owned() }),
        }
    }

    /// Puts a staged key file (written with [`KeyFile::write_atomic`], so
    /// already on disk) in place of `path`: rename, then fsync of the
    /// directory so the rename itself survives a power cut.
    pub fn promote(staged: &Path, path: &Path) -> Result<(), VaultError> {
        fs::rename(staged, path).map_err(|e| io_error(path, e))?;
        let dir = parent_dir(path);
        sync_dir_io(dir).map_err(|e| io_error(dir, e))
    }

    /// Unwraps the data key with the given credential. Touches nothing: on
    /// failure neither the key file nor the keychain is changed.
    ///
    /// The returned [`UnlockedSlots`] holds the primary wrapping key when
    /// unlocked with the keychain or passphrase (needed by [`KeyFile::rotate`]),
    /// and nothing when unlocked with the recovery key.
    pub fn unlock(&self, how: &Unlock, keychain: &dyn KeyStore) -> Result<(DataKey, UnlockedSlots), VaultError> {
        match (how, &self.primary) {
            (Unlock::Keychain, PrimarySlot::Keychain { account, sealed }) => {
                let key = keychain.load(account)?;
                let data_key =
                    open(&key, sealed, &self.aad(SlotKind::Keychain)).ok_or(VaultError::KeychainKeyMismatch)?;
                Ok((data_key, UnlockedSlots::with_primary(key)))
            }
            (Unlock::Passphrase(passphrase), PrimarySlot::Passphrase(slot)) => {
                let key = slot.derive(passphrase.expose_secret().as_bytes())?;
                let data_key =
                    open(&key, &slot.sealed, &self.aad(SlotKind::Passphrase)).ok_or(VaultError::WrongPassphrase)?;
                Ok((data_key, UnlockedSlots::with_primary(key)))
            }
            (Unlock::RecoveryKey(recovery_key), _) => {
                let key = self.recovery.derive(recovery_key.as_bytes())?;
                let data_key = open(&key, &self.recovery.sealed, &self.aad(SlotKind::Recovery))
                    .ok_or(VaultError::WrongRecoveryKey)?;
                tracing::debug!(profile_id = %self.profile_id, "unlocked with the recovery key");
                Ok((data_key, UnlockedSlots::recovery_only()))
            }
            (Unlock::Keychain, PrimarySlot::Passphrase(_)) | (Unlock::Passphrase(_), PrimarySlot::Keychain { .. }) => {
                Err(VaultError::WrongUnlockMethod { expected: self.protection() })
            }
        }
    }

    pub fn protection(&self) -> ProtectionKind {
        match self.primary {
            PrimarySlot::Keychain { .. } => ProtectionKind::Keychain,
            PrimarySlot::Passphrase(_) => ProtectionKind::Passphrase,
        }
    }

    pub fn profile_id(&self) -> Uuid {
        self.profile_id
    }

    pub fn workspace_name(&self) -> &str {
        &self.workspace_name
    }

    /// The creation time as the caller gave it to [`KeyFile::create`].
    pub fn created_at(&self) -> &str {
        &self.created_at
    }

    /// The keychain account of a keychain-protected workspace.
    pub fn keychain_account(&self) -> Option<&str> {
        match &self.primary {
            PrimarySlot::Keychain { account, .. } => Some(account),
            PrimarySlot::Passphrase(_) => None,
        }
    }

    /// The passphrase slot's Argon2id parameters, if there is one.
    pub fn kdf(&self) -> Option<KdfParams> {
        match &self.primary {
            PrimarySlot::Passphrase(slot) => Some(slot.kdf),
            PrimarySlot::Keychain { .. } => None,
        }
    }

    /// Re-wraps the same data key under a new passphrase (new salt, `kdf`
    /// parameters). Only for passphrase workspaces. `data_key` must be the key
    /// [`KeyFile::unlock`] returned: it cannot be checked here, and a wrong
    /// one would make the passphrase open the wrong key. The recovery slot is
    /// untouched. Any [`UnlockedSlots`] held from before no longer fits the
    /// new slot: unlock again before [`KeyFile::rotate`].
    ///
    /// Changes only this value: call [`KeyFile::write_atomic`] to persist.
    pub fn change_passphrase(
        &mut self,
        data_key: &DataKey,
        new: &Passphrase,
        kdf: KdfParams,
    ) -> Result<(), VaultError> {
        if self.protection() != ProtectionKind::Passphrase {
            return Err(VaultError::WrongUnlockMethod { expected: self.protection() });
        }
        check_passphrase(new)?;
        check_kdf(kdf).map_err(|reason| VaultError::InvalidKdfParams { reason })?;
        let (slot, _) =
            DerivedSlot::seal_new(new.expose_secret().as_bytes(), kdf, data_key, &self.aad(SlotKind::Passphrase))?;
        self.primary = PrimarySlot::Passphrase(slot);
        tracing::debug!(profile_id = %self.profile_id, "changed passphrase");
        Ok(())
    }

    /// Wraps `new_key` (the database's new key after `PRAGMA rekey`) in the
    /// primary slot with the wrapping key held in `unlocked`, and replaces the
    /// recovery slot with one for a fresh recovery key, which is returned and
    /// must be shown to the user: **the old recovery key can no longer open
    /// the rotated key.** The keychain entry and the passphrase (salt and
    /// parameters) stay the same; `kdf` applies to the new recovery slot.
    ///
    /// [`VaultError::NeedsPrimaryUnlock`] if `unlocked` came from the recovery
    /// key, from another workspace, or from before a passphrase change.
    ///
    /// Changes only this value. Since the database and this file must agree,
    /// a safe order is: rotate a clone, write it beside the key file, rekey
    /// the database, then rename it over the key file.
    pub fn rotate(
        &mut self,
        new_key: &DataKey,
        unlocked: &UnlockedSlots,
        kdf: KdfParams,
    ) -> Result<RecoveryKey, VaultError> {
        let key = unlocked.primary().ok_or(VaultError::NeedsPrimaryUnlock)?;
        check_kdf(kdf).map_err(|reason| VaultError::InvalidKdfParams { reason })?;

        // The held key must open the current primary slot; this ties it to
        // this key file and to its current passphrase salt.
        let (kind, current) = match &self.primary {
            PrimarySlot::Keychain { sealed, .. } => (SlotKind::Keychain, sealed),
            PrimarySlot::Passphrase(slot) => (SlotKind::Passphrase, &slot.sealed),
        };
        if open(key, current, &self.aad(kind)).is_none() {
            return Err(VaultError::NeedsPrimaryUnlock);
        }

        let sealed = seal(key, new_key, &self.aad(kind))?;
        let primary = match &self.primary {
            PrimarySlot::Keychain { account, .. } => PrimarySlot::Keychain { account: account.clone(), sealed },
            PrimarySlot::Passphrase(slot) => {
                PrimarySlot::Passphrase(DerivedSlot { kdf: slot.kdf, salt: slot.salt, sealed })
            }
        };
        let recovery_key = RecoveryKey::generate();
        let (recovery, _) =
            DerivedSlot::seal_new(recovery_key.as_bytes(), kdf, new_key, &self.aad(SlotKind::Recovery))?;

        self.primary = primary;
        self.recovery = recovery;
        tracing::debug!(profile_id = %self.profile_id, "rotated data key");
        Ok(recovery_key)
    }

    /// Crypto-shredding: deletes the keychain entry (if the workspace has
    /// one), then overwrites the key file with random bytes of the same
    /// length, fsyncs and removes it, along with any temporary files left by
    /// an interrupted [`KeyFile::write_atomic`].
    ///
    /// A missing keychain entry or an already missing key file is not an
    /// error, so a wipe can be retried. Any other keychain failure stops
    /// before the file is touched. The overwrite is best effort on SSDs and
    /// copy-on-write file systems; what makes the data unreadable is that no
    /// copy of the wrapped key remains readable through Bidwell.
    ///
    /// If the file is unreadable as a key file, the keychain entry cannot be
    /// found from it and is left in place (it opens nothing without the file).
    pub fn shred(path: &Path, keychain: &dyn KeyStore) -> Result<(), VaultError> {
        let account = match KeyFile::load(path) {
            Ok(file) => file.keychain_account().map(str::to_owned),
            Err(VaultError::KeyFileMissing { .. }) => None,
            Err(e @ (VaultError::KeyFileMalformed { .. } | VaultError::KeyFileUnsupported { .. })) => {
                tracing::warn!(error = %e, "shredding a key file that could not be read");
                None
            }
            Err(e) => return Err(e),
        };
        if let Some(account) = account {
            keychain.delete(&account)?;
        }

        let dir = parent_dir(path);
        let prefix = temp_prefix(path)?;
        let mut victims = Vec::new();
        if path.exists() {
            victims.push(path.to_owned());
        }
        match fs::read_dir(dir) {
            Ok(entries) => {
                for entry in entries.flatten() {
                    if entry.file_name().to_string_lossy().starts_with(&prefix) {
                        victims.push(entry.path());
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(dir, e)),
        }
        if victims.is_empty() {
            tracing::debug!(path = %path.display(), "no key file to shred");
            return Ok(());
        }
        for victim in &victims {
            overwrite_and_remove(victim).map_err(|e| io_error(victim, e))?;
        }
        sync_dir_io(dir).map_err(|e| io_error(dir, e))?;
        tracing::debug!(path = %path.display(), files = victims.len(), "shredded key file");
        Ok(())
    }

    /// Backups: gives each file in `files` (paired with the data key it
    /// wraps) a new recovery slot under `recovery`, all under one key
    /// derived once with one fresh salt (one Argon2id run however many
    /// snapshots there are; each slot has its own nonce and is bound to its
    /// file's profile). Primary slots are left as they are. Changes only the
    /// values: write each with [`KeyFile::write_atomic`].
    pub(crate) fn reseal_recovery(
        files: &mut [(KeyFile, DataKey)],
        recovery: &RecoveryKey,
        kdf: KdfParams,
    ) -> Result<(), VaultError> {
        if files.is_empty() {
            return Ok(());
        }
        check_kdf(kdf).map_err(|reason| VaultError::InvalidKdfParams { reason })?;
        let salt = random_array::<SALT_LEN>();
        let key = derive(recovery.as_bytes(), &salt, kdf)?;
        for (file, data_key) in files.iter_mut() {
            let sealed = seal(&key, data_key, &file.aad(SlotKind::Recovery))?;
            file.recovery = DerivedSlot { kdf, salt, sealed };
        }
        Ok(())
    }

    fn aad(&self, kind: SlotKind) -> String {
        aad(self.profile_id, kind)
    }

    fn to_json(&self) -> FileJson {
        let primary = match &self.primary {
            PrimarySlot::Keychain { account, sealed } => SlotJson::Keychain {
                account: account.clone(),
                nonce: BASE64.encode(sealed.nonce),
                wrapped_key: BASE64.encode(sealed.wrapped),
            },
            PrimarySlot::Passphrase(slot) => {
                let (kdf, nonce, wrapped_key) = slot.to_json();
                SlotJson::Passphrase { kdf, nonce, wrapped_key }
            }
        };
        let (kdf, nonce, wrapped_key) = self.recovery.to_json();
        FileJson {
            format: FORMAT.to_owned(),
            version: VERSION,
            profile_id: self.profile_id,
            workspace_name: self.workspace_name.clone(),
            created_at: self.created_at.clone(),
            slots: vec![primary, SlotJson::Recovery { kdf, nonce, wrapped_key }],
        }
    }

    fn from_json_bytes(bytes: &[u8], path: &Path) -> Result<KeyFile, VaultError> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| malformed(path, &format!("it is not valid JSON ({e})")))?;
        let header = value.as_object().ok_or_else(|| malformed(path, "it is not a JSON object"))?;
        // The header is checked first, so that a file from a newer version
        // reads as "unsupported" rather than "damaged".
        match header.get("format") {
            None => return Err(malformed(path, "it has no \"format\" field")),
            Some(serde_json::Value::String(s)) if s == FORMAT => {}
            Some(other) => {
                return Err(VaultError::KeyFileUnsupported {
                    path: path.to_owned(),
                    found: format!("format {}", short(other)),
                })
            }
        }
        match header.get("version") {
            None => return Err(malformed(path, "it has no \"version\" field")),
            Some(v) if v.as_u64() == Some(u64::from(VERSION)) => {}
            Some(other) => {
                return Err(VaultError::KeyFileUnsupported {
                    path: path.to_owned(),
                    found: format!("version {}", short(other)),
                })
            }
        }

        let json: FileJson = serde_json::from_value(value).map_err(|e| malformed(path, &e.to_string()))?;
        KeyFile::from_json(json).map_err(|reason| malformed(path, &reason))
    }

    fn from_json(json: FileJson) -> Result<KeyFile, String> {
        let mut primary = None;
        let mut recovery = None;
        for slot in json.slots {
            match slot {
                SlotJson::Keychain { account, nonce, wrapped_key } => {
                    if primary.is_some() {
                        return Err("it has more than one primary slot".to_owned());
                    }
                    if account != keychain_account(json.profile_id) {
                        return Err("the keychain account does not match the profile id".to_owned());
                    }
                    let sealed = Sealed::from_json(&nonce, &wrapped_key)?;
                    primary = Some(PrimarySlot::Keychain { account, sealed });
                }
                SlotJson::Passphrase { kdf, nonce, wrapped_key } => {
                    if primary.is_some() {
                        return Err("it has more than one primary slot".to_owned());
                    }
                    let slot = DerivedSlot::from_json(kdf, &nonce, &wrapped_key)?;
                    primary = Some(PrimarySlot::Passphrase(slot));
                }
                SlotJson::Recovery { kdf, nonce, wrapped_key } => {
                    if recovery.is_some() {
                        return Err("it has more than one recovery slot".to_owned());
                    }
                    recovery = Some(DerivedSlot::from_json(kdf, &nonce, &wrapped_key)?);
                }
            }
        }
        Ok(KeyFile {
            profile_id: json.profile_id,
            workspace_name: json.workspace_name,
            created_at: json.created_at,
            primary: primary.ok_or("it has no keychain or passphrase slot")?,
            recovery: recovery.ok_or("it has no recovery slot")?,
        })
    }
}

impl DerivedSlot {
    /// A new slot for `data_key` under a key derived from `secret` with a
    /// fresh salt. Also returns the derived key.
    fn seal_new(
        secret: &[u8],
        kdf: KdfParams,
        data_key: &DataKey,
        aad: &str,
    ) -> Result<(DerivedSlot, WrappingKey), VaultError> {
        let salt = random_array::<SALT_LEN>();
        let key = derive(secret, &salt, kdf)?;
        let sealed = seal(&key, data_key, aad)?;
        Ok((DerivedSlot { kdf, salt, sealed }, key))
    }

    fn derive(&self, secret: &[u8]) -> Result<WrappingKey, VaultError> {
        derive(secret, &self.salt, self.kdf)
    }

    fn to_json(&self) -> (KdfJson, String, String) {
        (
            KdfJson {
                algorithm: KDF_ALGORITHM.to_owned(),
                memory_kib: self.kdf.memory_kib,
                iterations: self.kdf.iterations,
                parallelism: self.kdf.parallelism,
                salt: BASE64.encode(self.salt),
            },
            BASE64.encode(self.sealed.nonce),
            BASE64.encode(self.sealed.wrapped),
        )
    }

    fn from_json(kdf: KdfJson, nonce: &str, wrapped_key: &str) -> Result<DerivedSlot, String> {
        if kdf.algorithm != KDF_ALGORITHM {
            return Err(format!("unknown key derivation {}", short(&serde_json::Value::String(kdf.algorithm))));
        }
        let params = KdfParams { memory_kib: kdf.memory_kib, iterations: kdf.iterations, parallelism: kdf.parallelism };
        check_kdf(params)?;
        Ok(DerivedSlot {
            kdf: params,
            salt: decode_fixed(&kdf.salt, "salt")?,
            sealed: Sealed::from_json(nonce, wrapped_key)?,
        })
    }
}

impl Sealed {
    fn from_json(nonce: &str, wrapped_key: &str) -> Result<Sealed, String> {
        Ok(Sealed { nonce: decode_fixed(nonce, "nonce")?, wrapped: decode_fixed(wrapped_key, "wrapped_key")? })
    }
}

// On-disk shape. Field order here is the order in the file.

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileJson {
    format: String,
    version: u32,
    profile_id: Uuid,
    workspace_name: String,
    created_at: String,
    slots: Vec<SlotJson>,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum SlotJson {
    Keychain { account: String, nonce: String, wrapped_key: String },
    Passphrase { kdf: KdfJson, nonce: String, wrapped_key: String },
    Recovery { kdf: KdfJson, nonce: String, wrapped_key: String },
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KdfJson {
    algorithm: String,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    salt: String,
}

// Crypto.

/// Binds a slot to its profile and kind, so it cannot be moved to another
/// workspace's key file or pass as another kind of slot.
fn aad(profile_id: Uuid, kind: SlotKind) -> String {
    format!("{FORMAT}/v{VERSION}/{profile_id}/{}", kind.as_str())
}

fn seal(key: &WrappingKey, data_key: &DataKey, aad: &str) -> Result<Sealed, VaultError> {
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key.as_bytes()));
    let nonce = random_array::<NONCE_LEN>();
    let ciphertext = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: data_key.as_bytes(), aad: aad.as_bytes() })
        .map_err(|_| VaultError::Crypto)?;
    let wrapped = ciphertext.as_slice().try_into().map_err(|_| VaultError::Crypto)?;
    Ok(Sealed { nonce, wrapped })
}

/// `None` when the tag does not verify: wrong key, or a tampered slot.
fn open(key: &WrappingKey, sealed: &Sealed, aad: &str) -> Option<DataKey> {
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key.as_bytes()));
    let plaintext = Zeroizing::new(
        cipher.decrypt(Nonce::from_slice(&sealed.nonce), Payload { msg: &sealed.wrapped, aad: aad.as_bytes() }).ok()?,
    );
    let mut bytes = Zeroizing::new([0u8; 32]);
    if plaintext.len() != bytes.len() {
        return None;
    }
    bytes.copy_from_slice(&plaintext);
    Some(DataKey::from_bytes(*bytes))
}

fn derive(secret: &[u8], salt: &[u8; SALT_LEN], kdf: KdfParams) -> Result<WrappingKey, VaultError> {
    let params = argon2::Params::new(kdf.memory_kib, kdf.iterations, kdf.parallelism, Some(32))
        .map_err(|e| VaultError::InvalidKdfParams { reason: e.to_string() })?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(secret, salt, &mut *out)
        .map_err(|_| VaultError::Crypto)?;
    Ok(WrappingKey::from_bytes(*out))
}

fn check_kdf(kdf: KdfParams) -> Result<(), String> {
    if kdf.memory_kib > MAX_MEMORY_KIB {
        return Err(format!("Argon2 memory of {} KiB is above the limit of {MAX_MEMORY_KIB} KiB", kdf.memory_kib));
    }
    if kdf.iterations > MAX_ITERATIONS {
        return Err(format!("{} Argon2 iterations is above the limit of {MAX_ITERATIONS}", kdf.iterations));
    }
    if kdf.parallelism > MAX_PARALLELISM {
        return Err(format!("Argon2 parallelism of {} is above the limit of {MAX_PARALLELISM}", kdf.parallelism));
    }
    argon2::Params::new(kdf.memory_kib, kdf.iterations, kdf.parallelism, Some(32))
        .map(|_| ())
        .map_err(|e| format!("invalid Argon2 parameters: {e}"))
}

fn check_passphrase(passphrase: &Passphrase) -> Result<(), VaultError> {
    if passphrase.char_count() < MIN_PASSPHRASE_CHARS {
        return Err(VaultError::PassphraseTooShort { min: MIN_PASSPHRASE_CHARS });
    }
    Ok(())
}

fn random_array<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    OsRng.fill_bytes(&mut out);
    out
}

// Helpers.

fn decode_fixed<const N: usize>(b64: &str, field: &str) -> Result<[u8; N], String> {
    let bytes = BASE64.decode(b64).map_err(|_| format!("\"{field}\" is not valid base64"))?;
    bytes.as_slice().try_into().map_err(|_| format!("\"{field}\" should be {N} bytes, found {}", bytes.len()))
}

/// A value from the file, quoted and cut short for an error message.
fn short(value: &serde_json::Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

fn malformed(path: &Path, reason: &str) -> VaultError {
    VaultError::KeyFileMalformed { path: path.to_owned(), reason: reason.to_owned() }
}

fn io_error(path: &Path, source: io::Error) -> VaultError {
    VaultError::Io { path: path.to_owned(), source }
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Shreds what an interrupted [`KeyFile::write_atomic`] of `path` left (its
/// temporary files hold wrapped keys, maybe under an old passphrase). Only
/// for a process that holds the workspace: key files are written only
/// while holding it exclusively, so no write is under way.
pub(crate) fn shred_interrupted_writes(path: &Path) -> Result<usize, VaultError> {
    let (dir, prefix) = (parent_dir(path), temp_prefix(path)?);
    let Ok(entries) = fs::read_dir(dir) else { return Ok(0) };
    let mut shredded = 0;
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let victim = entry.path();
            overwrite_and_remove(&victim).map_err(|e| io_error(&victim, e))?;
            shredded += 1;
        }
    }
    Ok(shredded)
}

/// Temporary files of `write_atomic` are named `.<file name>.tmp-<random>`.
fn temp_prefix(path: &Path) -> Result<String, VaultError> {
    let name = path
        .file_name()
        .ok_or_else(|| io_error(path, io::Error::new(io::ErrorKind::InvalidInput, "not a file path")))?;
    Ok(format!(".{}.tmp-", name.to_string_lossy()))
}

fn create_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

fn overwrite_and_remove(path: &Path) -> io::Result<()> {
    let mut file = OpenOptions::new().write(true).open(path)?;
    let mut remaining = file.metadata()?.len();
    let mut noise = [0u8; 4096];
    while remaining > 0 {
        let n = usize::try_from(remaining.min(noise.len() as u64)).unwrap_or(noise.len());
        OsRng.fill_bytes(&mut noise[..n]);
        file.write_all(&noise[..n])?;
        remaining -= n as u64;
    }
    file.sync_all()?;
    drop(file);
    fs::remove_file(path)
}

#[cfg(test)]
mod tests {
    use super::super::keychain::mock::MemoryKeyStore;
    use super::*;

    const CREATED: &str = "2026-11-22T10:00:00Z";

    fn pass(s: &str) -> Passphrase {
        Passphrase::new(s.to_owned())
    }

    fn new_passphrase_file(passphrase: &str) -> (KeyFile, DataKey, RecoveryKey, UnlockedSlots, MemoryKeyStore) {
        let store = MemoryKeyStore::default();
        let (file, key, recovery, unlocked) = KeyFile::create(
            Uuid::new_v4(),
            "Acme",
            CREATED,
            &Protection::Passphrase(pass(passphrase)),
            KdfParams::light(),
            &store,
        )
        .expect("create");
        (file, key, recovery, unlocked, store)
    }

    fn new_keychain_file() -> (KeyFile, DataKey, RecoveryKey, UnlockedSlots, MemoryKeyStore) {
        let store = MemoryKeyStore::default();
        let (file, key, recovery, unlocked) =
            KeyFile::create(Uuid::new_v4(), "Acme", CREATED, &Protection::Keychain, KdfParams::light(), &store)
                .expect("create");
        (file, key, recovery, unlocked, store)
    }

    fn json_of(file: &KeyFile) -> serde_json::Value {
        serde_json::to_value(file.to_json()).expect("json")
    }

    fn from_value(value: &serde_json::Value) -> Result<KeyFile, VaultError> {
        KeyFile::from_json_bytes(&serde_json::to_vec(value).expect("bytes"), Path::new("/x/bidwell.key"))
    }

    fn recover(s: &RecoveryKey) -> Unlock {
        Unlock::RecoveryKey(RecoveryKey::parse(s.expose_for_display()).expect("parse"))
    }

    #[test]
    fn create_and_unlock_with_passphrase() {
        let (file, key, _, unlocked, store) = new_passphrase_file("correct horse");
        assert!(unlocked.has_primary());
        assert_eq!(file.protection(), ProtectionKind::Passphrase);
        assert_eq!(file.kdf(), Some(KdfParams::light()));
        assert_eq!(file.workspace_name(), "Acme");
        assert_eq!(file.created_at(), CREATED);
        assert_eq!(file.keychain_account(), None);
        assert_eq!(store.len(), 0, "a passphrase workspace uses no keychain");

        let (opened, unlocked) = file.unlock(&Unlock::Passphrase(pass("correct horse")), &store).expect("unlock");
        assert_eq!(opened.as_bytes(), key.as_bytes());
        assert!(unlocked.has_primary());
    }

    #[test]
    fn create_and_unlock_with_keychain() {
        let (file, key, _, unlocked, store) = new_keychain_file();
        assert!(unlocked.has_primary());
        assert_eq!(file.protection(), ProtectionKind::Keychain);
        assert_eq!(file.kdf(), None);
        let account = keychain_account(file.profile_id());
        assert_eq!(file.keychain_account(), Some(account.as_str()));
        assert!(store.contains(&account));

        let (opened, unlocked) = file.unlock(&Unlock::Keychain, &store).expect("unlock");
        assert_eq!(opened.as_bytes(), key.as_bytes());
        assert!(unlocked.has_primary());
    }

    #[test]
    fn create_with_keychain_needs_a_keychain() {
        let store = MemoryKeyStore::unavailable();
        let err = KeyFile::create(Uuid::new_v4(), "Acme", CREATED, &Protection::Keychain, KdfParams::light(), &store)
            .expect_err("no keychain");
        assert!(matches!(err, VaultError::NoKeychain { .. }), "{err:?}");

        // A passphrase workspace never touches the keychain.
        KeyFile::create(
            Uuid::new_v4(),
            "Acme",
            CREATED,
            &Protection::Passphrase(pass("long enough")),
            KdfParams::light(),
            &store,
        )
        .expect("passphrase without keychain");
    }

    #[test]
    fn unlock_with_recovery_key() {
        for (file, key, recovery, _, store) in [new_passphrase_file("correct horse"), new_keychain_file()] {
            let (opened, unlocked) = file.unlock(&recover(&recovery), &store).expect("unlock");
            assert_eq!(opened.as_bytes(), key.as_bytes());
            assert!(!unlocked.has_primary());
        }
    }

    #[test]
    fn short_passphrase_is_refused() {
        let store = MemoryKeyStore::default();
        for short in ["", "1234567", "ééééééé"] {
            let err = KeyFile::create(
                Uuid::new_v4(),
                "Acme",
                CREATED,
                &Protection::Passphrase(pass(short)),
                KdfParams::light(),
                &store,
            )
            .expect_err("too short");
            assert!(matches!(err, VaultError::PassphraseTooShort { min: 8 }), "{err:?}");
        }
        // Counted in characters, not bytes.
        let (mut file, key, ..) = new_passphrase_file("éééééééé");
        let err = file.change_passphrase(&key, &pass("short"), KdfParams::light()).expect_err("too short");
        assert!(matches!(err, VaultError::PassphraseTooShort { .. }));
    }

    #[test]
    fn invalid_kdf_params_are_refused_at_create() {
        let store = MemoryKeyStore::default();
        for kdf in [
            KdfParams { memory_kib: 1, ..KdfParams::light() },
            KdfParams { iterations: 0, ..KdfParams::light() },
            KdfParams { memory_kib: u32::MAX, ..KdfParams::light() },
        ] {
            let err = KeyFile::create(
                Uuid::new_v4(),
                "Acme",
                CREATED,
                &Protection::Passphrase(pass("long enough")),
                kdf,
                &store,
            )
            .expect_err("invalid kdf");
            assert!(matches!(err, VaultError::InvalidKdfParams { .. }), "{err:?}");
        }
    }

    #[test]
    fn wrong_passphrase_changes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(KeyFile::FILE_NAME);
        let (file, ..) = new_passphrase_file("correct horse");
        file.write_atomic(&path).expect("write");
        let before = fs::read(&path).expect("read");

        let loaded = KeyFile::load(&path).expect("load");
        let store = MemoryKeyStore::default();
        for wrong in ["Correct horse", "correct horse ", ""] {
            let err = loaded.unlock(&Unlock::Passphrase(pass(wrong)), &store).expect_err("wrong");
            assert!(matches!(err, VaultError::WrongPassphrase), "{err:?}");
        }
        assert_eq!(fs::read(&path).expect("read"), before);
        assert_eq!(loaded, KeyFile::load(&path).expect("load"));
        assert_eq!(
            VaultError::WrongPassphrase.to_string(),
            "wrong passphrase: the key file could not be unlocked; nothing was changed"
        );
    }

    #[test]
    fn wrong_recovery_key_is_refused() {
        let (file, _, _, _, store) = new_passphrase_file("correct horse");
        let err = file.unlock(&Unlock::RecoveryKey(RecoveryKey::generate()), &store).expect_err("wrong");
        assert!(matches!(err, VaultError::WrongRecoveryKey), "{err:?}");
    }

    #[test]
    fn wrong_unlock_method() {
        let (file, _, _, _, store) = new_passphrase_file("correct horse");
        let err = file.unlock(&Unlock::Keychain, &store).expect_err("method");
        assert!(matches!(err, VaultError::WrongUnlockMethod { expected: ProtectionKind::Passphrase }));

        let (file, _, _, _, store) = new_keychain_file();
        let err = file.unlock(&Unlock::Passphrase(pass("correct horse")), &store).expect_err("method");
        assert!(matches!(err, VaultError::WrongUnlockMethod { expected: ProtectionKind::Keychain }));
        assert!(err.to_string().contains("the system keychain"));
    }

    #[test]
    fn keychain_entry_missing_or_replaced() {
        let (file, _, recovery, _, store) = new_keychain_file();
        let account = keychain_account(file.profile_id());

        store.store(&account, &WrappingKey::generate()).expect("replace");
        let err = file.unlock(&Unlock::Keychain, &store).expect_err("mismatch");
        assert!(matches!(err, VaultError::KeychainKeyMismatch), "{err:?}");

        store.delete(&account).expect("delete");
        let err = file.unlock(&Unlock::Keychain, &store).expect_err("missing");
        assert!(matches!(err, VaultError::KeychainEntryMissing), "{err:?}");

        // The recovery key still opens it.
        file.unlock(&recover(&recovery), &store).expect("recovery works without the keychain");
    }

    #[test]
    fn tampered_slots_fail() {
        let (file, _, recovery, _, store) = new_passphrase_file("correct horse");
        let original = json_of(&file);
        let good = Unlock::Passphrase(pass("correct horse"));

        // Flip one bit of the wrapped key, then of the nonce.
        for field in ["wrapped_key", "nonce"] {
            let mut value = original.clone();
            let b64 = value["slots"][0][field].as_str().expect("b64").to_owned();
            let mut bytes = BASE64.decode(b64).expect("decode");
            bytes[0] ^= 1;
            value["slots"][0][field] = BASE64.encode(bytes).into();
            let tampered = from_value(&value).expect("still well-formed");
            let err = tampered.unlock(&good, &store).expect_err(field);
            assert!(matches!(err, VaultError::WrongPassphrase), "{err:?}");
        }

        // Same slots under another profile id: the AAD no longer matches.
        let mut value = original.clone();
        value["profile_id"] = Uuid::new_v4().to_string().into();
        let moved = from_value(&value).expect("well-formed");
        assert!(matches!(moved.unlock(&good, &store), Err(VaultError::WrongPassphrase)));
        assert!(matches!(moved.unlock(&recover(&recovery), &store), Err(VaultError::WrongRecoveryKey)));

        // A recovery slot passed off as the passphrase slot (and vice versa):
        // the right secret, but the kind in the AAD differs.
        let mut value = original.clone();
        let slots = value["slots"].as_array_mut().expect("slots");
        slots.swap(0, 1);
        slots[0]["kind"] = "passphrase".into();
        slots[1]["kind"] = "recovery".into();
        let swapped = from_value(&value).expect("well-formed");
        assert!(matches!(swapped.unlock(&recover(&recovery), &store), Err(VaultError::WrongRecoveryKey)));

        // Untouched, it still works.
        from_value(&original).expect("original").unlock(&good, &store).expect("unlock");
    }

    #[test]
    fn keychain_slot_bound_to_profile() {
        let (file, _, _, _, store) = new_keychain_file();
        let other = Uuid::new_v4();
        let mut value = json_of(&file);
        value["profile_id"] = other.to_string().into();
        value["slots"][0]["account"] = keychain_account(other).into();
        let moved = from_value(&value).expect("well-formed");
        let key = store.load(&keychain_account(file.profile_id())).expect("key");
        store.store(&keychain_account(other), &key).expect("copy");
        assert!(matches!(moved.unlock(&Unlock::Keychain, &store), Err(VaultError::KeychainKeyMismatch)));
    }

    #[test]
    fn json_shape() {
        let (file, ..) = new_passphrase_file("correct horse");
        let value = json_of(&file);
        assert_eq!(value["format"], "bidwell-keyfile");
        assert_eq!(value["version"], 1);
        assert_eq!(value["profile_id"], file.profile_id().to_string());
        assert_eq!(value["workspace_name"], "Acme");
        assert_eq!(value["created_at"], CREATED);
        let slots = value["slots"].as_array().expect("slots");
        assert_eq!(slots.len(), 2);
        assert_eq!(slots[0]["kind"], "passphrase");
        assert_eq!(slots[0]["kdf"]["algorithm"], "argon2id");
        assert_eq!(slots[0]["kdf"]["memory_kib"], 8192);
        assert_eq!(slots[0]["kdf"]["iterations"], 1);
        assert_eq!(slots[0]["kdf"]["parallelism"], 1);
        assert_eq!(slots[1]["kind"], "recovery");
        assert_ne!(slots[0]["kdf"]["salt"], slots[1]["kdf"]["salt"]);

        let (file, ..) = new_keychain_file();
        let value = json_of(&file);
        assert_eq!(value["slots"][0]["kind"], "keychain");
        assert_eq!(value["slots"][0]["account"], format!("workspace-{}", file.profile_id()));
        assert_eq!(serde_json::to_value(ProtectionKind::Passphrase).expect("json"), "passphrase");
    }

    #[test]
    fn write_atomic_then_load_round_trips() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(KeyFile::FILE_NAME);
        for (file, key, recovery, _, store) in [new_passphrase_file("correct horse"), new_keychain_file()] {
            file.write_atomic(&path).expect("write");
            let loaded = KeyFile::load(&path).expect("load");
            assert_eq!(loaded, file);
            assert_eq!(loaded.profile_id(), file.profile_id());
            let how = match loaded.protection() {
                ProtectionKind::Keychain => Unlock::Keychain,
                ProtectionKind::Passphrase => Unlock::Passphrase(pass("correct horse")),
            };
            let (opened, _) = loaded.unlock(&how, &store).expect("unlock");
            assert_eq!(opened.as_bytes(), key.as_bytes());
            let (opened, _) = loaded.unlock(&recover(&recovery), &store).expect("unlock");
            assert_eq!(opened.as_bytes(), key.as_bytes());
        }
        let names: Vec<_> = fs::read_dir(dir.path()).expect("dir").map(|e| e.expect("entry").file_name()).collect();
        assert_eq!(names, [KeyFile::FILE_NAME], "no temporary file left");

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn load_missing_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(KeyFile::FILE_NAME);
        let err = KeyFile::load(&path).expect_err("missing");
        assert!(matches!(&err, VaultError::KeyFileMissing { path: p } if *p == path));
        assert!(err.to_string().contains(&path.display().to_string()));
    }

    #[test]
    fn load_malformed_names_the_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(KeyFile::FILE_NAME);
        let (file, ..) = new_passphrase_file("correct horse");
        let good = json_of(&file);

        let mut cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"not json".to_vec(),
            b"[1, 2]".to_vec(),
            b"{\"version\": 1}".to_vec(),
            b"{\"format\": \"bidwell-keyfile\"}".to_vec(),
            vec![b' '; (MAX_FILE_BYTES + 1) as usize],
        ];
        let mut edit = |f: &dyn Fn(&mut serde_json::Value)| {
            let mut value = good.clone();
            f(&mut value);
            cases.push(serde_json::to_vec(&value).expect("bytes"));
        };
        edit(&|v| v["extra"] = 1.into());
        edit(&|v| v["slots"][0]["extra"] = 1.into());
        edit(&|v| v["slots"][0]["kdf"]["extra"] = 1.into());
        edit(&|v| v["slots"][0]["kind"] = "fingerprint".into());
        edit(&|v| v["slots"][0]["nonce"] = "!!!".into());
        edit(&|v| v["slots"][0]["nonce"] = BASE64.encode([0u8; 11]).into());
        edit(&|v| v["slots"][0]["wrapped_key"] = BASE64.encode([0u8; 32]).into());
        edit(&|v| v["slots"][0]["kdf"]["salt"] = BASE64.encode([0u8; 4]).into());
        edit(&|v| v["slots"][0]["kdf"]["algorithm"] = "scrypt".into());
        edit(&|v| v["slots"][0]["kdf"]["memory_kib"] = (MAX_MEMORY_KIB + 1).into());
        edit(&|v| v["slots"][0]["kdf"]["iterations"] = 0.into());
        edit(&|v| v["slots"][0]["kdf"]["parallelism"] = 1000.into());
        edit(&|v| v["profile_id"] = "not-a-uuid".into());
        edit(&|v| {
            v["slots"].as_array_mut().expect("slots").remove(1);
        });
        edit(&|v| {
            v["slots"].as_array_mut().expect("slots").remove(0);
        });
        edit(&|v| {
            let slots = v["slots"].as_array_mut().expect("slots");
            let first = slots[0].clone();
            slots.push(first);
        });
        edit(&|v| {
            let slots = v["slots"].as_array_mut().expect("slots");
            let last = slots[1].clone();
            slots.push(last);
        });
        let (keychain_file, ..) = new_keychain_file();
        let mut wrong_account = json_of(&keychain_file);
        wrong_account["slots"][0]["account"] = "workspace-someone-else".into();
        cases.push(serde_json::to_vec(&wrong_account).expect("bytes"));

        for (i, bytes) in cases.iter().enumerate() {
            fs::write(&path, bytes).expect("write");
            let err = KeyFile::load(&path).expect_err("malformed");
            match &err {
                VaultError::KeyFileMalformed { path: p, .. } => assert_eq!(*p, path, "case {i}"),
                other => panic!("case {i}: expected malformed, got {other:?}"),
            }
            assert!(err.to_string().contains(&path.display().to_string()), "case {i}: {err}");
        }
    }

    #[test]
    fn unknown_version_or_format_is_unsupported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(KeyFile::FILE_NAME);
        let (file, ..) = new_passphrase_file("correct horse");
        let cases: [(&str, serde_json::Value, &str); 4] = [
            ("version", 2.into(), "version 2"),
            ("version", "1".into(), "version \"1\""),
            ("format", "other-keyfile".into(), "format \"other-keyfile\""),
            ("format", 7.into(), "format 7"),
        ];
        for (field, new_value, found_text) in cases {
            let mut value = json_of(&file);
            value[field] = new_value;
            // A newer version may add fields: still "unsupported", not "damaged".
            value["added_in_v2"] = true.into();
            fs::write(&path, serde_json::to_vec(&value).expect("bytes")).expect("write");
            let err = KeyFile::load(&path).expect_err("unsupported");
            match &err {
                VaultError::KeyFileUnsupported { path: p, found } => {
                    assert_eq!(*p, path);
                    assert_eq!(found, found_text);
                }
                other => panic!("expected unsupported, got {other:?}"),
            }
            assert!(err.to_string().contains("update Bidwell"), "{err}");
        }
    }

    #[test]
    fn change_passphrase() {
        let (mut file, key, recovery, _, store) = new_passphrase_file("correct horse");
        let old_salt = json_of(&file)["slots"][0]["kdf"]["salt"].clone();
        let stronger = KdfParams { memory_kib: 16384, iterations: 2, parallelism: 1 };
        file.change_passphrase(&key, &pass("battery staple"), stronger).expect("change");
        assert_eq!(file.kdf(), Some(stronger));
        assert_ne!(json_of(&file)["slots"][0]["kdf"]["salt"], old_salt);

        assert!(matches!(
            file.unlock(&Unlock::Passphrase(pass("correct horse")), &store),
            Err(VaultError::WrongPassphrase)
        ));
        let (opened, _) = file.unlock(&Unlock::Passphrase(pass("battery staple")), &store).expect("new passphrase");
        assert_eq!(opened.as_bytes(), key.as_bytes());
        let (opened, _) = file.unlock(&recover(&recovery), &store).expect("recovery");
        assert_eq!(opened.as_bytes(), key.as_bytes());

        let (mut keychain_file, key, ..) = new_keychain_file();
        let before = keychain_file.clone();
        let err = keychain_file
            .change_passphrase(&key, &pass("battery staple"), KdfParams::light())
            .expect_err("keychain workspace");
        assert!(matches!(err, VaultError::WrongUnlockMethod { expected: ProtectionKind::Keychain }));
        assert_eq!(keychain_file, before);
    }

    #[test]
    fn rotate() {
        for (mut file, old_key, old_recovery, _, store) in [new_passphrase_file("correct horse"), new_keychain_file()] {
            let primary = match file.protection() {
                ProtectionKind::Keychain => Unlock::Keychain,
                ProtectionKind::Passphrase => Unlock::Passphrase(pass("correct horse")),
            };
            let (_, unlocked) = file.unlock(&primary, &store).expect("unlock");

            let new_key = DataKey::generate();
            let new_recovery = file.rotate(&new_key, &unlocked, KdfParams::light()).expect("rotate");
            assert_ne!(new_recovery.as_bytes(), old_recovery.as_bytes());

            let (opened, _) = file.unlock(&primary, &store).expect("primary");
            assert_eq!(opened.as_bytes(), new_key.as_bytes());
            assert_ne!(opened.as_bytes(), old_key.as_bytes());
            let (opened, _) = file.unlock(&recover(&new_recovery), &store).expect("new recovery");
            assert_eq!(opened.as_bytes(), new_key.as_bytes());
            assert!(matches!(file.unlock(&recover(&old_recovery), &store), Err(VaultError::WrongRecoveryKey)));

            // Unlocked with the recovery key: no primary key to re-wrap with.
            let (_, by_recovery) = file.unlock(&recover(&new_recovery), &store).expect("recovery");
            let before = file.clone();
            let err = file.rotate(&DataKey::generate(), &by_recovery, KdfParams::light()).expect_err("needs primary");
            assert!(matches!(err, VaultError::NeedsPrimaryUnlock), "{err:?}");
            assert_eq!(file, before, "a refused rotation changes nothing");
        }
    }

    #[test]
    fn rotate_refuses_foreign_or_stale_unlock() {
        let (mut file, key, _, unlocked, _) = new_passphrase_file("correct horse");
        let (_, _, _, other_unlocked, _) = new_passphrase_file("correct horse");
        let err = file
            .rotate(&DataKey::generate(), &other_unlocked, KdfParams::light())
            .expect_err("another workspace's key");
        assert!(matches!(err, VaultError::NeedsPrimaryUnlock));

        file.change_passphrase(&key, &pass("battery staple"), KdfParams::light()).expect("change");
        let err = file.rotate(&DataKey::generate(), &unlocked, KdfParams::light()).expect_err("stale");
        assert!(matches!(err, VaultError::NeedsPrimaryUnlock));
    }

    #[test]
    fn shred_keychain_workspace() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(KeyFile::FILE_NAME);
        let (file, ..) = new_keychain_file();
        let store = MemoryKeyStore::default();
        let account = keychain_account(file.profile_id());
        store.store(&account, &WrappingKey::generate()).expect("store");
        file.write_atomic(&path).expect("write");
        // A leftover from an interrupted write, and an unrelated file.
        let leftover = dir.path().join(".bidwell.key.tmp-0011223344556677");
        fs::write(&leftover, b"{}").expect("leftover");
        let unrelated = dir.path().join("bidwell.db");
        fs::write(&unrelated, b"db").expect("db");

        KeyFile::shred(&path, &store).expect("shred");
        assert!(!path.exists());
        assert!(!leftover.exists());
        assert!(unrelated.exists());
        assert!(!store.contains(&account));

        // Again: nothing left, still fine.
        KeyFile::shred(&path, &store).expect("shred twice");
    }

    #[test]
    fn shred_without_keychain_entry_or_keychain() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(KeyFile::FILE_NAME);

        let (file, ..) = new_keychain_file();
        file.write_atomic(&path).expect("write");
        KeyFile::shred(&path, &MemoryKeyStore::default()).expect("missing entry is fine");
        assert!(!path.exists());

        let (file, ..) = new_passphrase_file("correct horse");
        file.write_atomic(&path).expect("write");
        KeyFile::shred(&path, &MemoryKeyStore::unavailable()).expect("no keychain needed");
        assert!(!path.exists());

        // A keychain workspace whose keychain fails: stop before touching the file.
        let (file, ..) = new_keychain_file();
        file.write_atomic(&path).expect("write");
        let err = KeyFile::shred(&path, &MemoryKeyStore::unavailable()).expect_err("keychain");
        assert!(matches!(err, VaultError::NoKeychain { .. }));
        assert!(path.exists());

        // An unreadable key file is still destroyed.
        fs::write(&path, b"garbage").expect("write");
        KeyFile::shred(&path, &MemoryKeyStore::unavailable()).expect("garbage");
        assert!(!path.exists());
    }

    #[test]
    fn debug_and_errors_reveal_no_secret() {
        let (file, key, recovery, unlocked, _) = new_passphrase_file("correct horse");
        let value = json_of(&file);
        let shown = format!("{file:?} {file:#?} {unlocked:?} {key:?} {recovery:?}");
        let key_hex = hex::encode(key.as_bytes());
        for secret in [
            key_hex.as_str(),
            &key.sqlcipher_key_pragma(),
            recovery.expose_for_display(),
            "correct horse",
            value["slots"][0]["wrapped_key"].as_str().expect("s"),
            value["slots"][0]["nonce"].as_str().expect("s"),
            value["slots"][0]["kdf"]["salt"].as_str().expect("s"),
            value["slots"][1]["wrapped_key"].as_str().expect("s"),
        ] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains(&file.profile_id().to_string()));
        assert!(shown.contains("passphrase") && shown.contains("recovery"));

        let unlock = Unlock::Passphrase(pass("correct horse"));
        let protection = Protection::Passphrase(pass("correct horse"));
        let shown = format!("{unlock:?} {protection:?}");
        assert!(!shown.contains("correct horse"), "{shown}");
    }
}
