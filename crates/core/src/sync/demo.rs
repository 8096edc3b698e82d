//! The demo marketplace behind "Try with sample data": which account is the
//! demo, how its reference server is started (seed, token, state file) and
//! re-started on every unlock, and what happens once the user disconnects it.
//!
//! The core decides; it never runs the server. The front end passes a
//! [`DemoMarketHost`] (the desktop shell wraps `bidwell-market-sim` in one),
//! which starts the server on 127.0.0.1 and says where it listens. The demo is
//! an ordinary account otherwise: its random token is kept like any token,
//! and sync treats it like any marketplace.
//!
//! The server's state file holds the sample bids the user sent it, with the
//! user's own proposal text, so it is sealed: AES-256-GCM under a random key
//! kept in the encrypted database's settings ([`DemoStateCipher`], which the
//! host hands the server). Encrypting rather than dropping the text keeps the
//! demo whole after a relaunch: the server answers a replayed submission and
//! a pulled bid with what it was sent. Once the workspace is wiped, the key
//! is gone with it, and a file the demo wrote late opens for nobody.

use std::path::PathBuf;
use std::time::Duration;

use bidwell_marketplace::{ApiToken, MarketKind};

use super::accounts::MarketAccount;
use crate::durable::sync_dir;
use crate::error::{Error, Result};
use crate::id::Id;
use crate::privacy::ConsentMethod;
use crate::store::settings;
use crate::Workspace;

/// The account's name, as Settings → Marketplaces shows it.
pub const DEMO_MARKET_NAME: &str = "Demo marketplace";

/// The demo marketplace's state file, beside the database, so that wiping
/// the workspace removes it with everything else (privacy/wipe.rs matches
/// this prefix, which also covers the server's temporary file). The file
/// holds the made-up jobs and employers and the sample bids the user sent
/// the demo, sealed by [`DemoStateCipher`].
pub const DEMO_STATE_FILE_PREFIX: &str = "bidwell.demo-market";
const DEMO_STATE_FILE: &str = "bidwell.demo-market.json";

/// Settings key: the id of the demo account.
const DEMO_ACCOUNT_SETTING: &str = "sync.demo_market_account";
/// Settings key: the state file's key (hex), inside the encrypted database.
const DEMO_STATE_KEY_SETTING: &str = "sync.demo_market_state_key";

/// What a sealed state file starts with; also the AES-GCM associated data.
const SEALED_MAGIC: &[u8] = b"bidwell-demo-market-state/v1\n";
const NONCE_LEN: usize = 12;

/// Seals and opens the demo's state file: AES-256-GCM under a key that is
/// kept only inside the encrypted workspace. The file is the magic line, a
/// random 96-bit nonce, then the ciphertext and its tag. No `Debug` that
/// shows the key, no `Clone` or `Serialize`; zeroized on drop.
pub struct DemoStateCipher {
    key: zeroize::Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for DemoStateCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DemoStateCipher(***)")
    }
}

impl DemoStateCipher {
    fn aes(&self) -> aes_gcm::Aes256Gcm {
        use aes_gcm::KeyInit;
        aes_gcm::Aes256Gcm::new(aes_gcm::Key::<aes_gcm::Aes256Gcm>::from_slice(self.key.as_slice()))
    }

    /// The bytes to write for the state `plain`.
    pub fn seal(&self, plain: &[u8]) -> std::io::Result<Vec<u8>> {
        use aes_gcm::aead::{Aead, Payload};
        let nonce: [u8; NONCE_LEN] = rand::random();
        let sealed = self
            .aes()
            .encrypt(aes_gcm::Nonce::from_slice(&nonce), Payload { msg: plain, aad: SEALED_MAGIC })
            .map_err(|_| std::io::Error::other("the demo's state could not be sealed"))?;
        Ok([SEALED_MAGIC, &nonce, &sealed].concat())
    }

    /// The state from a file's bytes; an error when they were not sealed
    /// with this key or were changed.
    pub fn open(&self, sealed: &[u8]) -> std::io::Result<Vec<u8>> {
        use aes_gcm::aead::{Aead, Payload};
        let invalid = |why: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, why.to_owned());
        let rest = sealed.strip_prefix(SEALED_MAGIC).ok_or_else(|| invalid("not a sealed demo state file"))?;
        if rest.len() < NONCE_LEN {
            return Err(invalid("the sealed state is cut short"));
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        self.aes()
            .decrypt(aes_gcm::Nonce::from_slice(nonce), Payload { msg: body, aad: SEALED_MAGIC })
            .map_err(|_| invalid("the sealed state does not open with this workspace's key"))
    }
}

/// Same seed, same sample marketplace: the demo starts alike everywhere.
const DEMO_SEED: u64 = 20_260_105;
const DEMO_JOBS: usize = 40;
/// The demo's employer shortlists a submitted bid after this long, so the
/// user sees a status change come back with a sync.
const DEMO_SHORTLIST_AFTER: Duration = Duration::from_secs(5 * 60);

/// What the demo server is started with.
pub struct DemoMarketSpec {
    /// Which wire format it speaks: Bidwell's own, Freelancer-style or Upwork-style.
    pub kind: MarketKind,
    pub seed: u64,
    pub jobs: usize,
    /// The one token the server accepts: the account's own.
    pub token: ApiToken,
    /// Where the server keeps its state between runs.
    pub state_file: PathBuf,
    /// Seals that file: every save and load goes through it.
    pub state_cipher: DemoStateCipher,
    pub shortlist_after: Duration,
}

/// Runs the demo's reference server for a front end: `start` stops any
/// server it runs, starts one on 127.0.0.1 (any free port) from `spec` and
/// returns the base URL its kind's adapter takes; `stop` stops it (nothing is lost: the server saves
/// after every change).
#[async_trait::async_trait]
pub trait DemoMarketHost: Send + Sync {
    async fn start(&self, spec: DemoMarketSpec) -> std::io::Result<String>;
    fn stop(&self);
}

impl Workspace {
    fn demo_state_file(&self) -> PathBuf {
        self.paths().dir.join(DEMO_STATE_FILE)
    }

    async fn demo_spec(&self, kind: MarketKind, token: ApiToken) -> Result<DemoMarketSpec> {
        let state_cipher = self.demo_state_cipher().await?;
        let state_file = self.demo_state_file();
        seal_plain_state_file(&state_file, &state_cipher)?;
        Ok(DemoMarketSpec {
            kind,
            seed: DEMO_SEED,
            jobs: DEMO_JOBS,
            token,
            state_file,
            shortlist_after: DEMO_SHORTLIST_AFTER,
            state_cipher,
        })
    }

    /// The state file's cipher, its key made on first use and kept in the
    /// encrypted settings.
    async fn demo_state_cipher(&self) -> Result<DemoStateCipher> {
        let pool = self.pool().await;
        let mut key = zeroize::Zeroizing::new([0u8; 32]);
        let stored = settings::get(&pool, DEMO_STATE_KEY_SETTING).await?.map(zeroize::Zeroizing::new);
        match stored.as_ref().map(|hex_key| hex::decode_to_slice(hex_key.as_str(), key.as_mut_slice())) {
            Some(Ok(())) => {}
            _ => {
                // None yet (a demo connected before the file was sealed), or unreadable: a new key.
                rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, key.as_mut_slice());
                let hex_key = zeroize::Zeroizing::new(hex::encode(key.as_slice()));
                settings::put(&pool, DEMO_STATE_KEY_SETTING, &hex_key, self.now()).await?;
            }
        }
        Ok(DemoStateCipher { key })
    }

    /// What the demo marketplace holds (its jobs and the bids it received),
    /// as its server last saved it; `None` before the demo first ran. For
    /// `bidwell dev demo-state` and the tests that check what reached it: the
    /// file itself is sealed.
    pub async fn demo_market_state(&self) -> Result<Option<serde_json::Value>> {
        let path = self.demo_state_file();
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&path, e)),
        };
        let plain =
            zeroize::Zeroizing::new(self.demo_state_cipher().await?.open(&bytes).map_err(|e| Error::io(&path, e))?);
        let state = serde_json::from_slice(&plain).map_err(|e| Error::io(&path, std::io::Error::other(e)))?;
        Ok(Some(state))
    }

    /// The demo account's id while it is connected; `None` when there never
    /// was one or the user disconnected it.
    pub async fn demo_market_account(&self) -> Result<Option<Id>> {
        let pool = self.pool().await;
        let id: Option<Id> = sqlx::query_scalar(
            "SELECT a.id FROM settings s JOIN market_accounts a ON a.id = s.value \
             WHERE s.key = ? AND a.deleted_at IS NULL",
        )
        .bind(DEMO_ACCOUNT_SETTING)
        .fetch_optional(&pool)
        .await?;
        Ok(id)
    }

    /// "Try with sample data": connects the demo marketplace, speaking
    /// `kind`'s wire format, with a random token and a saved search for all
    /// its jobs, its server running on `host`. Connecting it again returns
    /// the connected account, whatever its kind.
    pub async fn connect_demo_market(&self, host: &dyn DemoMarketHost, kind: MarketKind) -> Result<MarketAccount> {
        if let Some(account) = self.resume_demo_market(host).await? {
            return Ok(account);
        }
        // A fresh demo: the state of one disconnected earlier is not carried over.
        remove_if_present(&self.demo_state_file())?;
        let token = ApiToken::new(format!("demo-{}", hex::encode(rand::random::<[u8; 24]>())));
        let url = self.start_demo_server(host, kind, ApiToken::new(token.expose_secret().to_owned())).await?;
        let connected = async {
            let new = super::NewMarketAccount { name: DEMO_MARKET_NAME.to_owned(), kind, base_url: url, sign_in: None };
            let secrets = super::MarketSecrets::token(token);
            let account = self.connect_market_account(&new, secrets, None, ConsentMethod::Ui).await?;
            self.add_saved_search(account.id, "All demo jobs", None, Vec::new()).await?;
            settings::put(&self.pool().await, DEMO_ACCOUNT_SETTING, &account.id.to_string(), self.now()).await?;
            Ok::<_, Error>(account)
        };
        match connected.await {
            Ok(account) => Ok(account),
            Err(e) => {
                host.stop();
                Err(e)
            }
        }
    }

    /// On unlock: when the demo account is connected, starts its server
    /// again from its state file (on a new port, so the account's address is
    /// updated) and returns the account. When the user disconnected it, the
    /// server is not started and its state file is removed.
    pub async fn resume_demo_market(&self, host: &dyn DemoMarketHost) -> Result<Option<MarketAccount>> {
        let Some(id) = self.demo_market_account().await? else {
            let pool = self.pool().await;
            if settings::get(&pool, DEMO_ACCOUNT_SETTING).await?.is_some() {
                remove_if_present(&self.demo_state_file())?;
                settings::remove(&pool, DEMO_ACCOUNT_SETTING).await?;
                settings::remove(&pool, DEMO_STATE_KEY_SETTING).await?;
            }
            return Ok(None);
        };
        let account = self.market_account(id).await?;
        let token = self.market_token(&account).await?;
        let url = match self.start_demo_server(host, account.kind, token).await {
            Ok(url) => url,
            Err(e) => {
                // Shown in Settings → Marketplaces beside the account.
                sqlx::query("UPDATE market_accounts SET connection = 'offline', last_error = ? WHERE id = ?")
                    .bind(e.to_string())
                    .bind(id)
                    .execute(&self.pool().await)
                    .await?;
                return Err(e);
            }
        };
        sqlx::query("UPDATE market_accounts SET base_url = ?, updated_at = ? WHERE id = ?")
            .bind(&url)
            .bind(self.now())
            .bind(id)
            .execute(&self.pool().await)
            .await?;
        self.market_account(id).await.map(Some)
    }

    async fn start_demo_server(&self, host: &dyn DemoMarketHost, kind: MarketKind, token: ApiToken) -> Result<String> {
        let spec = self.demo_spec(kind, token).await?;
        let file = spec.state_file.clone();
        host.start(spec).await.map_err(|e| {
            Error::io(file, std::io::Error::new(e.kind(), format!("the demo marketplace could not start: {e}")))
        })
    }
}

/// A state file an older Bidwell wrote in plain JSON is sealed in place
/// (write-then-rename), before the server reads it: the demo carries on, and
/// the user's text leaves the disk in the clear.
fn seal_plain_state_file(path: &std::path::Path, cipher: &DemoStateCipher) -> Result<()> {
    use std::io::Write;
    let plain = match std::fs::read(path) {
        Ok(bytes) if !bytes.starts_with(SEALED_MAGIC) => zeroize::Zeroizing::new(bytes),
        Ok(_) => return Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(path, e)),
    };
    let sealed = cipher.seal(&plain).map_err(|e| Error::io(path, e))?;
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    let mut file = tempfile::Builder::new()
        .prefix(&format!("{DEMO_STATE_FILE}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    file.write_all(&sealed).map_err(|e| Error::io(path, e))?;
    file.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    file.persist(path).map_err(|e| Error::io(path, e.error))?;
    sync_dir(dir)?;
    tracing::info!("sealed the demo marketplace's plain state file");
    Ok(())
}

fn remove_if_present(path: &std::path::Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(path, e)),
        _ => Ok(()),
    }
}
