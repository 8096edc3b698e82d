//! The demo marketplace behind "Try with sample data": which account is the
//! demo, how its reference server is started (seed, token, state file) and
//! re-started on every unlock, and what happens once the user disconnects it.
//!
//! The core decides; it never runs the server. The front end passes a
//! [`DemoMarketHost`] (the desktop shell wraps `bidwell-market-sim` in one),
//! which starts the server on 127.0.0.1 and says where it listens. The demo is
//! an ordinary account otherwise: its random token is kept like any token,
//! and sync treats it like any marketplace.

use std::path::PathBuf;
use std::time::Duration;

use bidwell_marketplace::ApiToken;

use super::accounts::MarketAccount;
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
/// the demo; no real personal data is in it, so it is not encrypted.
pub const DEMO_STATE_FILE_PREFIX: &str = "bidwell.demo-market";
const DEMO_STATE_FILE: &str = "bidwell.demo-market.json";

/// Settings key: the id of the demo account.
const DEMO_ACCOUNT_SETTING: &str = "sync.demo_market_account";

/// Same seed, same sample marketplace: the demo starts alike everywhere.
const DEMO_SEED: u64 = 20_260_105;
const DEMO_JOBS: usize = 40;
/// The demo's employer shortlists a submitted bid after this long, so the
/// user sees a status change come back with a sync.
const DEMO_SHORTLIST_AFTER: Duration = Duration::from_secs(5 * 60);

/// What the demo server is started with.
pub struct DemoMarketSpec {
    pub seed: u64,
    pub jobs: usize,
    /// The one token the server accepts: the account's own.
    pub token: ApiToken,
    /// Where the server keeps its state between runs.
    pub state_file: PathBuf,
    pub shortlist_after: Duration,
}

/// Runs the demo's reference server for a front end: `start` stops any
/// server it runs, starts one on 127.0.0.1 (any free port) from `spec` and
/// returns its base URL; `stop` stops it (nothing is lost: the server saves
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

    fn demo_spec(&self, token: ApiToken) -> DemoMarketSpec {
        DemoMarketSpec {
            seed: DEMO_SEED,
            jobs: DEMO_JOBS,
            token,
            state_file: self.demo_state_file(),
            shortlist_after: DEMO_SHORTLIST_AFTER,
        }
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

    /// "Try with sample data": connects the demo marketplace with a random
    /// token and a saved search for all its jobs, its server running on
    /// `host`. Connecting it again returns the connected account.
    pub async fn connect_demo_market(&self, host: &dyn DemoMarketHost) -> Result<MarketAccount> {
        if let Some(account) = self.resume_demo_market(host).await? {
            return Ok(account);
        }
        // A fresh demo: the state of one disconnected earlier is not carried over.
        remove_if_present(&self.demo_state_file())?;
        let token = ApiToken::new(format!("demo-{}", hex::encode(rand::random::<[u8; 24]>())));
        let url = self.start_demo_server(host, ApiToken::new(token.expose_secret().to_owned())).await?;
        let connected = async {
            let account = self.add_market_account(DEMO_MARKET_NAME, &url, token, ConsentMethod::Ui).await?;
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
            }
            return Ok(None);
        };
        let account = self.market_account(id).await?;
        let token = self.market_token(&account).await?;
        let url = match self.start_demo_server(host, token).await {
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

    async fn start_demo_server(&self, host: &dyn DemoMarketHost, token: ApiToken) -> Result<String> {
        let spec = self.demo_spec(token);
        let file = spec.state_file.clone();
        host.start(spec).await.map_err(|e| {
            Error::io(file, std::io::Error::new(e.kind(), format!("the demo marketplace could not start: {e}")))
        })
    }
}

fn remove_if_present(path: &std::path::Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(path, e)),
        _ => Ok(()),
    }
}
