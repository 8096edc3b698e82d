//! Marketplace accounts (name, kind, base URL, where they sign in, where the
//! secrets are kept) and their saved searches. An account's secrets (the
//! access token, and for one signed in with OAuth its refresh token and any
//! client secret) are kept together as one secret. On a keychain workspace the token goes to the OS keychain
//! (or, when there is none, inside the encrypted database); on a passphrase
//! workspace always inside the encrypted database, because anyone in the
//! user's session can read the keychain without the passphrase. Never in a
//! file or a log.
//! Disconnecting an account deletes its token and sync state and keeps what
//! it brought in as the user's own records.

use bidwell_marketplace::{ApiToken, Capabilities, JobQuery, MarketKind};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use super::ConnectionState;
use crate::error::{Error, Result};
use crate::id::Id;
use crate::Workspace;

/// A connected marketplace account. No secret is part of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct MarketAccount {
    pub id: Id,
    pub name: String,
    /// Which wire format it speaks (and so which adapter talks to it).
    pub kind: MarketKind,
    /// What its adapter can do: the UI offers only these.
    pub capabilities: Capabilities,
    pub base_url: String,
    /// Where it signs in with OAuth; `None` for a pasted token.
    pub sign_in: Option<SignInSettings>,
    /// When the access token stops working, if the marketplace said.
    pub access_expires_at: Option<DateTime<Utc>>,
    /// "keychain" or "database".
    pub token_store: String,
    pub connection: ConnectionState,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Only in the answer to connecting: why the token is kept in the
    /// encrypted workspace rather than the keychain (e.g. "token kept in the
    /// encrypted workspace: the keychain did not answer").
    pub token_note: Option<String>,
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: Id,
    name: String,
    #[sqlx(try_from = "String")]
    kind: MarketKind,
    base_url: String,
    sign_in: Option<String>,
    access_expires_at: Option<DateTime<Utc>>,
    token_store: String,
    connection: ConnectionState,
    last_sync_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<AccountRow> for MarketAccount {
    fn from(row: AccountRow) -> MarketAccount {
        MarketAccount {
            id: row.id,
            name: row.name,
            kind: row.kind,
            capabilities: row.kind.capabilities(),
            base_url: row.base_url,
            // Written only by this module; unreadable means none.
            sign_in: row.sign_in.and_then(|json| serde_json::from_str(&json).ok()),
            access_expires_at: row.access_expires_at,
            token_store: row.token_store,
            connection: row.connection,
            last_sync_at: row.last_sync_at,
            last_error: row.last_error,
            created_at: row.created_at,
            token_note: None,
        }
    }
}

/// Where an account signs in (OAuth 2.0) and as which app the user
/// registered with the marketplace. Nothing here is secret: a client secret,
/// where the marketplace wants one, is kept with the tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SignInSettings {
    pub authorize_url: String,
    pub token_url: String,
    /// RFC 7009 revocation, where the marketplace has one.
    pub revoke_url: Option<String>,
    /// Space-separated scopes to ask for, if the marketplace wants any.
    pub scope: Option<String>,
    pub client_id: String,
}

/// A kind of marketplace the app can connect, as the Connect form shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct MarketKindInfo {
    pub kind: MarketKind,
    pub label: String,
    pub capabilities: Capabilities,
    /// The public service's API, used when the address is left empty.
    pub default_base_url: Option<String>,
    /// Where its public service signs in, prefilled in the form.
    pub sign_in: Option<SignInSettings>,
    /// How a user gets the client id or token it needs.
    pub how_to_connect: String,
}

/// Every kind the app can connect, in the order the Connect form lists them.
pub fn market_kinds() -> Vec<MarketKindInfo> {
    // The marketplaces people use first; anyone's own server last.
    let mut kinds = MarketKind::ALL.to_vec();
    kinds.sort_by_key(|kind| *kind == MarketKind::Bidwell);
    kinds
        .into_iter()
        .map(|kind| {
            let (label, how) = match kind {
                MarketKind::Freelancer => (
                    "Freelancer.com",
                    "Register an app at developers.freelancer.com and enter its client id to sign in in the \
                     browser, or paste a personal access token from there.",
                ),
                MarketKind::Upwork => (
                    "Upwork",
                    "Register an API key at upwork.com/developer and enter its client id (and secret) to sign in \
                     in the browser. Upwork takes proposals only on its website: Bidwell fetches jobs and follows \
                     the proposals you place there.",
                ),
                MarketKind::Bidwell => (
                    "Bidwell-compatible server",
                    "Any server that speaks Bidwell's marketplace API (docs/marketplace-openapi.yaml): enter its \
                     address and the token it gave you, or where it signs in.",
                ),
            };
            MarketKindInfo {
                kind,
                label: label.to_owned(),
                capabilities: kind.capabilities(),
                default_base_url: kind.default_base_url().map(str::to_owned),
                sign_in: kind.sign_in_defaults().map(|d| SignInSettings {
                    authorize_url: d.authorize_url.to_owned(),
                    token_url: d.token_url.to_owned(),
                    revoke_url: d.revoke_url.map(str::to_owned),
                    scope: None,
                    client_id: String::new(),
                }),
                how_to_connect: how.to_owned(),
            }
        })
        .collect()
}

/// A new account: which marketplace, where, and how it signs in.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ts_rs::TS)]
pub struct NewMarketAccount {
    pub name: String,
    pub kind: MarketKind,
    /// The API's base URL; empty for the marketplace's public one.
    pub base_url: String,
    /// `None` when the user pastes a token.
    pub sign_in: Option<SignInSettings>,
}

/// An account's secrets, kept together in the token's place (the keychain
/// entry or `token_secret`): a pasted token alone as it always was, or, once
/// signed in with OAuth, a small JSON object with the refresh token and any
/// client secret beside it.
pub struct MarketSecrets {
    pub access: ApiToken,
    pub refresh: Option<ApiToken>,
    pub client_secret: Option<ApiToken>,
}

#[derive(Serialize, Deserialize)]
struct StoredSecrets {
    v: u8,
    access: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
}

impl Drop for StoredSecrets {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.access.zeroize();
        self.refresh.zeroize();
        self.client_secret.zeroize();
    }
}

impl MarketSecrets {
    pub fn token(access: ApiToken) -> MarketSecrets {
        MarketSecrets { access, refresh: None, client_secret: None }
    }

    /// The text kept in the keychain or the database.
    fn to_stored(&self) -> zeroize::Zeroizing<String> {
        if self.refresh.is_none() && self.client_secret.is_none() {
            return zeroize::Zeroizing::new(self.access.expose_secret().to_owned());
        }
        let stored = StoredSecrets {
            v: 1,
            access: self.access.expose_secret().to_owned(),
            refresh: self.refresh.as_ref().map(|t| t.expose_secret().to_owned()),
            client_secret: self.client_secret.as_ref().map(|t| t.expose_secret().to_owned()),
        };
        zeroize::Zeroizing::new(serde_json::to_string(&stored).unwrap_or_default())
    }

    /// Tokens are opaque text without braces, so a stored object is ours.
    fn from_stored(text: &str) -> MarketSecrets {
        if text.starts_with('{') {
            if let Ok(stored) = serde_json::from_str::<StoredSecrets>(text) {
                return MarketSecrets {
                    access: ApiToken::new(stored.access.clone()),
                    refresh: stored.refresh.clone().map(ApiToken::new),
                    client_secret: stored.client_secret.clone().map(ApiToken::new),
                };
            }
        }
        MarketSecrets::token(ApiToken::new(text.to_owned()))
    }
}

/// What disconnecting an account will do (the preview the user confirms) or did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct AccountRemoval {
    pub account_id: Id,
    pub name: String,
    /// Changes for this marketplace that will never be sent (queued or failed).
    pub unsent_changes: u64,
    /// Bids that were queued (or failed) for this marketplace only and go back to draft.
    pub back_to_draft: u64,
    /// Offline edits in conflict with this marketplace; the bid keeps my terms.
    pub open_conflicts: u64,
    /// Records pulled from this marketplace that stay as the user's own,
    /// no longer linked to it.
    pub kept_jobs: u64,
    pub kept_bids: u64,
    pub kept_milestones: u64,
    /// After removal: set when the keychain entry could not be deleted (the
    /// user may delete "Bidwell / market-token-<id>" by hand).
    pub keychain_note: Option<String>,
    /// After removal of a signed-in account: whether the marketplace revoked
    /// its tokens, or why not (it has no revocation, or did not answer).
    pub revoke_note: Option<String>,
}

/// A job search pulled on every sync; new matches flow into the jobs list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct SavedSearch {
    pub id: Id,
    pub account_id: Id,
    pub name: String,
    /// Words that must all appear in a job's title or description.
    pub query: Option<String>,
    /// Any one of these skills.
    pub skills: Vec<String>,
    pub created_at: DateTime<Utc>,
}

const ACCOUNT_COLUMNS: &str = "id, name, kind, base_url, sign_in, access_expires_at, token_store, connection, \
                               last_sync_at, last_error, created_at";

/// The longest saved-search query a marketplace takes.
const MAX_SEARCH_QUERY_CHARS: usize = 200;

/// The keychain entry of an account's token.
pub(crate) fn keychain_entry(account: Id) -> String {
    format!("market-token-{account}")
}

fn check_url(field: &str, url: &str) -> Result<String> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    let local = ["http://127.0.0.1", "http://localhost", "http://[::1]"].iter().any(|p| lower.starts_with(p));
    if !(lower.starts_with("https://") || local) {
        return Err(Error::validation(field, "must start with https:// (plain http only to this machine)"));
    }
    if url.contains(char::is_whitespace) || url.contains('@') {
        return Err(Error::validation(field, "must be a plain URL without spaces or a user name"));
    }
    Ok(url.to_owned())
}

/// Checks a new account's settings, filling in the public service's API base
/// when none is given.
fn check_new_account(new: &NewMarketAccount) -> Result<NewMarketAccount> {
    let name = crate::domain::check::required("name", &new.name, 100)?;
    let base_url = match (new.base_url.trim(), new.kind.default_base_url()) {
        ("", Some(public)) => public.to_owned(),
        ("", None) => return Err(Error::validation("url", "is required for a Bidwell-compatible server")),
        (url, _) => check_url("url", url)?,
    };
    let sign_in = match &new.sign_in {
        None => None,
        Some(s) => Some(SignInSettings {
            authorize_url: check_url("authorize_url", &s.authorize_url)?,
            token_url: check_url("token_url", &s.token_url)?,
            revoke_url: match s.revoke_url.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(url) => Some(check_url("revoke_url", url)?),
            },
            scope: s.scope.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned),
            client_id: crate::domain::check::required("client_id", &s.client_id, 200)?,
        }),
    };
    Ok(NewMarketAccount { name, kind: new.kind, base_url, sign_in })
}

impl Workspace {
    /// Connects a Bidwell-compatible server with a pasted token.
    pub async fn add_market_account(
        &self,
        name: &str,
        url: &str,
        token: ApiToken,
        method: crate::privacy::ConsentMethod,
    ) -> Result<MarketAccount> {
        let new = NewMarketAccount {
            name: name.to_owned(),
            kind: MarketKind::Bidwell,
            base_url: url.to_owned(),
            sign_in: None,
        };
        self.connect_market_account(&new, MarketSecrets::token(token), None, method).await
    }

    /// Connects a marketplace account of any kind, with a pasted token or
    /// the tokens a sign-in gave (`expires_at` from it). The secrets are
    /// stored in the OS keychain on a keychain workspace (where there is
    /// none, inside the encrypted database), and always inside the encrypted
    /// database on a passphrase workspace: the keychain opens for anyone in
    /// the user's session, and the passphrase must guard them as it guards
    /// the rest. Connecting is the user's choice to share with marketplaces:
    /// it is recorded in the consent ledger (`method` says where it was made)
    /// unless already given; withdrawing it later stops sync.
    pub async fn connect_market_account(
        &self,
        new: &NewMarketAccount,
        secrets: MarketSecrets,
        expires_at: Option<DateTime<Utc>>,
        method: crate::privacy::ConsentMethod,
    ) -> Result<MarketAccount> {
        let new = check_new_account(new)?;
        if secrets.access.is_empty() {
            return Err(Error::validation("token", "is empty"));
        }
        let now = self.now();
        let id = Id::new_at(now);
        let stored = secrets.to_stored();
        let (token_note, in_keychain) = if self.tokens_in_keychain().await {
            let note = self.secrets_to_keychain(id, &stored).await.err();
            let stored = note.is_none();
            (note, stored)
        } else {
            (None, false)
        };
        let sign_in = new.sign_in.as_ref().map(|s| serde_json::to_string(s).unwrap_or_default());
        sqlx::query(
            "INSERT INTO market_accounts (id, name, kind, base_url, sign_in, access_expires_at, token_store, \
             token_secret, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(&new.name)
        .bind(new.kind.as_str())
        .bind(&new.base_url)
        .bind(sign_in)
        .bind(expires_at)
        .bind(if in_keychain { "keychain" } else { "database" })
        .bind((!in_keychain).then_some(stored.as_str()))
        .bind(now)
        .bind(now)
        .execute(&self.pool().await)
        .await?;
        if !crate::privacy::consent::user_shares(&mut *self.pool().await.acquire().await?).await? {
            use crate::privacy::{ConsentChange, ConsentPurpose};
            let change = ConsentChange {
                client_id: None,
                purpose: ConsentPurpose::MarketplaceSharing,
                granted: true,
                basis: None,
                source: Some(format!("connected the marketplace {}", new.name)),
                evidence: None,
                method,
            };
            self.record_consent(change).await?;
        }
        Ok(MarketAccount { token_note, ..self.market_account(id).await? })
    }

    /// Whether this workspace keeps tokens in the keychain: only when the
    /// keychain also guards its data key.
    async fn tokens_in_keychain(&self) -> bool {
        self.key_file_info().await.1 == crate::vault::ProtectionKind::Keychain
    }

    /// Stores an account's secrets in the keychain, off the async runtime and
    /// with a time limit. `Err` says why they must be kept in the database instead.
    async fn secrets_to_keychain(
        &self,
        id: Id,
        stored: &zeroize::Zeroizing<String>,
    ) -> std::result::Result<(), String> {
        let entry = keychain_entry(id);
        let secret = stored.clone();
        match crate::vault::off_runtime(self.keychain_handle(), move |k| k.store_text(&entry, &secret)).await {
            Ok(()) => Ok(()),
            Err(crate::vault::VaultError::KeychainNoAnswer { .. }) => {
                Err("token kept in the encrypted workspace: the keychain did not answer".to_owned())
            }
            Err(_) => Err("token kept in the encrypted workspace: no keychain is available".to_owned()),
        }
    }

    pub async fn market_account(&self, id: Id) -> Result<MarketAccount> {
        sqlx::query_as::<_, AccountRow>(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM market_accounts WHERE id = ? AND deleted_at IS NULL"
        ))
        .bind(id)
        .fetch_optional(&self.pool().await)
        .await?
        .map(MarketAccount::from)
        .ok_or_else(|| Error::validation("account", format!("no marketplace account {id}")))
    }

    pub async fn market_accounts(&self) -> Result<Vec<MarketAccount>> {
        accounts_on(&mut *self.pool().await.acquire().await?).await
    }

    /// A new pasted token for an account (after "token expired"); sync
    /// resumes. It replaces a signed-in account's tokens; the client secret stays.
    pub async fn set_market_token(&self, id: Id, token: ApiToken) -> Result<()> {
        let account = self.market_account(id).await?;
        let client_secret = match account.sign_in {
            Some(_) => self.market_secrets(&account).await.ok().and_then(|s| s.client_secret),
            None => None,
        };
        let secrets = MarketSecrets { access: token, refresh: None, client_secret };
        self.store_market_secrets(&account, &secrets, None).await
    }

    /// Keeps new secrets for an account (a pasted token, a sign-in, a
    /// refresh) where its token is kept, and clears "sign in again".
    pub(crate) async fn store_market_secrets(
        &self,
        account: &MarketAccount,
        secrets: &MarketSecrets,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        if secrets.access.is_empty() {
            return Err(Error::validation("token", "is empty"));
        }
        let stored = secrets.to_stored();
        let in_keychain = account.token_store == "keychain"
            && self.tokens_in_keychain().await
            && self.secrets_to_keychain(account.id, &stored).await.is_ok();
        sqlx::query(
            "UPDATE market_accounts SET token_store = ?, token_secret = ?, access_expires_at = ?, \
             connection = 'unknown', last_error = NULL, updated_at = ? WHERE id = ?",
        )
        .bind(if in_keychain { "keychain" } else { "database" })
        .bind((!in_keychain).then_some(stored.as_str()))
        .bind(expires_at)
        .bind(self.now())
        .bind(account.id)
        .execute(&self.pool().await)
        .await?;
        Ok(())
    }

    /// The account's secrets, from wherever they are kept.
    pub(crate) async fn market_secrets(&self, account: &MarketAccount) -> Result<MarketSecrets> {
        if account.token_store == "keychain" {
            let entry = keychain_entry(account.id);
            let secret = crate::vault::off_runtime(self.keychain_handle(), move |k| k.load_text(&entry)).await?;
            return Ok(MarketSecrets::from_stored(&secret));
        }
        let secret: Option<String> = sqlx::query_scalar("SELECT token_secret FROM market_accounts WHERE id = ?")
            .bind(account.id)
            .fetch_one(&self.pool().await)
            .await?;
        let secret = zeroize::Zeroizing::new(secret.unwrap_or_default());
        Ok(MarketSecrets::from_stored(&secret))
    }

    /// The account's access token.
    pub(crate) async fn market_token(&self, account: &MarketAccount) -> Result<ApiToken> {
        Ok(self.market_secrets(account).await?.access)
    }

    /// On unlocking a passphrase workspace: tokens that an older Bidwell put
    /// in the keychain move into the encrypted database, and their keychain
    /// entries are deleted. Per account, in an order that a crash anywhere
    /// cannot lose: one transaction stores the token in the database and
    /// notes its entry as still to delete (settings), then the entry is
    /// deleted and the note cleared. An entry that cannot be deleted now is
    /// tried again on the next unlock (and by a wipe). A token the keychain
    /// cannot give (it is gone, or there is no keychain) stays as it was, and
    /// sync asks for a new one as before. Says how many accounts moved.
    pub(crate) async fn move_tokens_out_of_keychain(&self) -> Result<u32> {
        if self.tokens_in_keychain().await {
            return Ok(0);
        }
        let pool = self.pool().await;
        let waiting: Vec<Id> =
            sqlx::query_scalar("SELECT id FROM market_accounts WHERE token_store = 'keychain' ORDER BY id")
                .fetch_all(&pool)
                .await?;
        let mut moved = 0;
        for id in waiting {
            let entry = keychain_entry(id);
            let secret = match crate::vault::off_runtime(self.keychain_handle(), move |k| k.load_text(&entry)).await {
                Ok(secret) => secret,
                Err(e) => {
                    tracing::warn!(account = %id, "a token could not be moved out of the keychain: {e}");
                    continue;
                }
            };
            let mut tx = pool.begin_with(crate::store::db::BEGIN_WRITE).await?;
            sqlx::query("UPDATE market_accounts SET token_store = 'database', token_secret = ? WHERE id = ?")
                .bind(secret.as_str())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let mut pending = stale_token_entries(&mut tx).await?;
            pending.push(keychain_entry(id));
            set_stale_token_entries(&mut tx, &pending, self.now()).await?;
            tx.commit().await?;
            moved += 1;
        }
        let mut conn = pool.acquire().await?;
        let pending = stale_token_entries(&mut conn).await?;
        if !pending.is_empty() {
            let mut left = Vec::new();
            for entry in pending {
                let name = entry.clone();
                if let Err(e) = crate::vault::off_runtime(self.keychain_handle(), move |k| k.delete(&name)).await {
                    tracing::warn!(entry, "a token's keychain entry could not be deleted yet: {e}");
                    left.push(entry);
                }
            }
            set_stale_token_entries(&mut conn, &left, self.now()).await?;
        }
        if moved > 0 {
            tracing::info!(accounts = moved, "moved marketplace tokens from the keychain into the workspace");
        }
        Ok(moved)
    }

    /// The keychain entries this workspace may have made for tokens, read
    /// before a wipe destroys the key: `(entry, certainly there)`. Entries of
    /// tokens kept in the database are listed too, as "maybe": a keychain
    /// that answered late when the account was connected may have stored one.
    pub(crate) async fn token_keychain_entries(&self) -> Result<Vec<(String, bool)>> {
        let mut conn = self.pool().await.acquire().await?;
        let accounts: Vec<(Id, String)> =
            sqlx::query_as("SELECT id, token_store FROM market_accounts ORDER BY id").fetch_all(&mut *conn).await?;
        let mut entries: Vec<(String, bool)> =
            accounts.into_iter().map(|(id, store)| (keychain_entry(id), store == "keychain")).collect();
        entries.extend(stale_token_entries(&mut conn).await?.into_iter().map(|e| (e, true)));
        Ok(entries)
    }

    /// What [`Workspace::remove_market_account`] would do, without doing it:
    /// the UI and the CLI ask the user to confirm with these counts.
    pub async fn market_account_removal_preview(&self, id: Id) -> Result<AccountRemoval> {
        let account = self.market_account(id).await?;
        let mut conn = self.pool().await.acquire().await?;
        removal_counts(&mut conn, &account).await
    }

    /// Disconnects a marketplace account, in one transaction: its queued and
    /// failed changes are dropped (they will never be sent; bids that were
    /// only queued go back to draft), its cursors, saved searches, conflicts
    /// and token (when kept in the database) are deleted, and the jobs, bids
    /// and milestones it brought in stay as the user's own records: no longer
    /// linked (no marketplace id), `source` names the disconnected account,
    /// their statuses move by hand. The transparency log stays whole and the
    /// audit log records the removal (counts only). A keychain token is
    /// deleted after the commit; if the keychain fails, the result says so.
    /// A signed-in account's tokens are then revoked where the marketplace
    /// allows it (`revoke_note` says how that went).
    /// A sync pass running meanwhile is waited for, and none starts until done.
    pub async fn remove_market_account(&self, id: Id) -> Result<AccountRemoval> {
        let turn = super::engine::hold_sync(self).await;
        let account = self.market_account(id).await?;
        // Read before the row (or keychain entry) goes, to revoke after.
        let secrets = match account.sign_in {
            Some(_) => self.market_secrets(&account).await.ok(),
            None => None,
        };
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let mut removal = removal_counts(&mut tx, &account).await?;
        let source = id.to_string();
        sqlx::query(
            "UPDATE bids SET status = 'draft', updated_at = ?1 WHERE status IN ('queued', 'failed') AND id IN \
             (SELECT entity_id FROM outbox WHERE account_id = ?2 AND entity_kind = 'bid' AND operation = 'create')",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        for table in ["outbox", "sync_state", "sync_conflicts", "saved_searches"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE account_id = ?")).bind(id).execute(&mut *tx).await?;
        }
        // The records stay; only the link goes. `source` keeps where they came from.
        let label = format!("{} (disconnected)", account.name);
        sqlx::query(
            "UPDATE bids SET source = ?1, external_id = NULL, server_version = NULL, server_snapshot = NULL, \
             updated_at = ?2 WHERE source = ?3",
        )
        .bind(&label)
        .bind(now)
        .bind(&source)
        .execute(&mut *tx)
        .await?;
        for table in ["jobs", "milestones"] {
            sqlx::query(&format!(
                "UPDATE {table} SET source = ?1, external_id = NULL, updated_at = ?2 WHERE source = ?3"
            ))
            .bind(&label)
            .bind(now)
            .bind(&source)
            .execute(&mut *tx)
            .await?;
        }
        // With the row goes a token kept in the database (secure_delete overwrites it).
        sqlx::query("DELETE FROM market_accounts WHERE id = ?").bind(id).execute(&mut *tx).await?;
        let detail = serde_json::json!({
            "unsent_changes": removal.unsent_changes,
            "kept_jobs": removal.kept_jobs,
            "kept_bids": removal.kept_bids,
            "kept_milestones": removal.kept_milestones,
            "token_store": account.token_store,
        });
        crate::audit::append(&mut tx, now, crate::audit::action::MARKET_DISCONNECT, detail).await?;
        tx.commit().await?;
        drop(turn);
        // Also for a token kept in the database: a keychain that did not
        // answer in time when the account was connected may have stored it late.
        let entry = keychain_entry(id);
        let deleted = crate::vault::off_runtime(self.keychain_handle(), move |k| k.delete(&entry)).await;
        if let (Err(err), "keychain") = (deleted, account.token_store.as_str()) {
            removal.keychain_note = Some(format!("the token could not be deleted from the keychain: {err}"));
        }
        if let Some(secrets) = secrets {
            removal.revoke_note = self.revoke_market_tokens(&account, secrets).await;
        }
        Ok(removal)
    }

    /// Adds a job search to pull on every sync of `account`.
    pub async fn add_saved_search(
        &self,
        account: Id,
        name: &str,
        query: Option<String>,
        skills: Vec<String>,
    ) -> Result<SavedSearch> {
        let name = crate::domain::check::required("name", name, 100)?;
        self.market_account(account).await?;
        let query = query.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty());
        // The marketplace API's own limit (docs/marketplace-openapi.yaml): a
        // longer search would be refused on every sync.
        if query.as_ref().is_some_and(|q| q.chars().count() > MAX_SEARCH_QUERY_CHARS) {
            return Err(Error::validation("query", format!("is longer than {MAX_SEARCH_QUERY_CHARS} characters")));
        }
        let skills: Vec<String> = skills.into_iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
        let wire = JobQuery { query: query.clone(), skills: skills.clone(), ..JobQuery::default() };
        let now = self.now();
        let id = Id::new_at(now);
        sqlx::query(
            "INSERT INTO saved_searches (id, account_id, name, query, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(account)
        .bind(&name)
        .bind(serde_json::to_string(&wire).map_err(|_| Error::validation("query", "cannot be stored"))?)
        .bind(now)
        .bind(now)
        .execute(&self.pool().await)
        .await?;
        Ok(SavedSearch { id, account_id: account, name, query, skills, created_at: now })
    }

    pub async fn saved_searches(&self) -> Result<Vec<SavedSearch>> {
        let mut conn = self.pool().await.acquire().await?;
        Ok(saved_searches(&mut conn, None).await?.into_iter().map(|(s, _)| s).collect())
    }
}

/// Settings key: keychain entries of tokens already moved into the database
/// and not deleted from the keychain yet (a JSON list of entry names).
const STALE_TOKEN_ENTRIES: &str = "sync.keychain_token_entries_to_delete";

async fn stale_token_entries(conn: &mut SqliteConnection) -> Result<Vec<String>> {
    let stored = crate::store::settings::get(&mut *conn, STALE_TOKEN_ENTRIES).await?;
    Ok(stored.and_then(|json| serde_json::from_str(&json).ok()).unwrap_or_default())
}

async fn set_stale_token_entries(conn: &mut SqliteConnection, entries: &[String], now: DateTime<Utc>) -> Result<()> {
    if entries.is_empty() {
        return crate::store::settings::remove(&mut *conn, STALE_TOKEN_ENTRIES).await;
    }
    let json = serde_json::to_string(entries).map_err(|_| Error::validation("settings", "cannot be stored"))?;
    crate::store::settings::put(&mut *conn, STALE_TOKEN_ENTRIES, &json, now).await
}

/// Counts for [`AccountRemoval`]. Each query binds the account id, which is
/// also the `source` of the records it brought in (the same hyphenated text).
async fn removal_counts(conn: &mut SqliteConnection, account: &MarketAccount) -> Result<AccountRemoval> {
    const QUERIES: [&str; 6] = [
        "SELECT count(*) FROM outbox WHERE account_id = ?1",
        "SELECT count(*) FROM bids WHERE status IN ('queued', 'failed') AND id IN \
         (SELECT entity_id FROM outbox WHERE account_id = ?1 AND entity_kind = 'bid' AND operation = 'create')",
        "SELECT count(*) FROM sync_conflicts WHERE account_id = ?1 AND resolved_at IS NULL",
        "SELECT count(*) FROM jobs WHERE source = ?1",
        "SELECT count(*) FROM bids WHERE source = ?1",
        "SELECT count(*) FROM milestones WHERE source = ?1",
    ];
    let mut n = [0u64; 6];
    for (slot, sql) in n.iter_mut().zip(QUERIES) {
        let count: i64 = sqlx::query_scalar(sql).bind(account.id).fetch_one(&mut *conn).await?;
        *slot = u64::try_from(count).unwrap_or(0);
    }
    Ok(AccountRemoval {
        account_id: account.id,
        name: account.name.clone(),
        unsent_changes: n[0],
        back_to_draft: n[1],
        open_conflicts: n[2],
        kept_jobs: n[3],
        kept_bids: n[4],
        kept_milestones: n[5],
        keychain_note: None,
        revoke_note: None,
    })
}

/// Saved searches (of one account, or all) with their wire query.
pub(crate) async fn saved_searches(
    conn: &mut SqliteConnection,
    account: Option<Id>,
) -> Result<Vec<(SavedSearch, JobQuery)>> {
    let rows: Vec<(Id, Id, String, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT id, account_id, name, query, created_at FROM saved_searches \
         WHERE deleted_at IS NULL AND (?1 IS NULL OR account_id = ?1) ORDER BY id",
    )
    .bind(account)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, account_id, name, query, created_at)| {
            let wire: JobQuery = serde_json::from_str(&query).unwrap_or_default();
            let search = SavedSearch {
                id,
                account_id,
                name,
                query: wire.query.clone(),
                skills: wire.skills.clone(),
                created_at,
            };
            (search, wire)
        })
        .collect())
}

/// The connected marketplace accounts, on `conn` (the bids board reads them
/// with its columns, `Workspace::bid_board`).
pub(crate) async fn accounts_on(conn: &mut sqlx::SqliteConnection) -> Result<Vec<MarketAccount>> {
    Ok(sqlx::query_as::<_, AccountRow>(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM market_accounts WHERE deleted_at IS NULL ORDER BY id"
    ))
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(MarketAccount::from)
    .collect())
}

#[cfg(test)]
mod tests {
    //! The move of tokens out of the keychain of a passphrase workspace. A
    //! unit test: only SQL can make the rows an older Bidwell left behind.

    use std::sync::Arc;

    use super::*;
    use crate::clock::ManualClock;
    use crate::privacy::ConsentMethod;
    use crate::secret::Passphrase;
    use crate::vault::{KdfParams, KeyStore, MemoryKeyStore, Protection, Unlock};
    use crate::workspace::Environment;

    fn env(keychain: Arc<dyn KeyStore>) -> Environment {
        let start = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 1, 9, 0, 0).unwrap();
        Environment {
            clock: Arc::new(ManualClock::new(start)),
            keychain,
            kdf: KdfParams::light(),
            holder: Default::default(),
        }
    }

    fn passphrase() -> Passphrase {
        Passphrase::new("correct horse battery staple".to_owned())
    }

    /// A passphrase workspace with one account whose token an older Bidwell
    /// put in `keychain`.
    async fn as_an_older_bidwell_left_it(keychain: &Arc<MemoryKeyStore>) -> (tempfile::TempDir, Id) {
        let dir = tempfile::tempdir().unwrap();
        let (ws, _) = Workspace::create(dir.path(), "Old", Protection::Passphrase(passphrase()), env(keychain.clone()))
            .await
            .unwrap();
        let token = ApiToken::new("old-token".to_owned());
        let account = ws.add_market_account("Sim", "http://127.0.0.1:9", token, ConsentMethod::Cli).await.unwrap();
        assert_eq!(account.token_store, "database");
        keychain.store_text(&keychain_entry(account.id), "old-token").unwrap();
        sqlx::query("UPDATE market_accounts SET token_store = 'keychain', token_secret = NULL WHERE id = ?")
            .bind(account.id)
            .execute(&ws.pool().await)
            .await
            .unwrap();
        ws.lock().await;
        (dir, account.id)
    }

    async fn token_of(ws: &Workspace, id: Id) -> (String, String) {
        let account = ws.market_account(id).await.unwrap();
        let token = ws.market_token(&account).await.unwrap().expose_secret().to_owned();
        (account.token_store, token)
    }

    #[tokio::test]
    async fn an_older_keychain_token_moves_into_a_passphrase_workspace_on_unlock() {
        let keychain = Arc::new(MemoryKeyStore::default());
        let (dir, id) = as_an_older_bidwell_left_it(&keychain).await;
        assert!(keychain.contains(&keychain_entry(id)));

        // No keychain at this unlock: the unlock works, the token waits there.
        let ws =
            Workspace::open(dir.path(), Unlock::Passphrase(passphrase()), env(Arc::new(MemoryKeyStore::unavailable())))
                .await
                .unwrap();
        assert_eq!(ws.market_account(id).await.unwrap().token_store, "keychain");
        ws.lock().await;

        let ws = Workspace::open(dir.path(), Unlock::Passphrase(passphrase()), env(keychain.clone())).await.unwrap();
        assert_eq!(token_of(&ws, id).await, ("database".to_owned(), "old-token".to_owned()));
        assert!(keychain.is_empty(), "the keychain entry is deleted: {:?}", keychain.names());
        ws.lock().await;
        // Once moved, an unlock without any keychain still has the token.
        let ws =
            Workspace::open(dir.path(), Unlock::Passphrase(passphrase()), env(Arc::new(MemoryKeyStore::unavailable())))
                .await
                .unwrap();
        assert_eq!(token_of(&ws, id).await, ("database".to_owned(), "old-token".to_owned()));
    }

    /// A keychain that gives tokens but refuses to delete them, then
    /// recovers: the entry is deleted on a later unlock.
    #[tokio::test]
    async fn an_entry_that_could_not_be_deleted_is_deleted_on_a_later_unlock() {
        struct NoDelete(Arc<MemoryKeyStore>);
        impl KeyStore for NoDelete {
            fn backend(&self) -> &'static str {
                "no-delete"
            }
            fn probe(&self) -> std::result::Result<(), crate::vault::VaultError> {
                Ok(())
            }
            fn store(
                &self,
                a: &str,
                k: &crate::secret::WrappingKey,
            ) -> std::result::Result<(), crate::vault::VaultError> {
                self.0.store(a, k)
            }
            fn load(&self, a: &str) -> std::result::Result<crate::secret::WrappingKey, crate::vault::VaultError> {
                self.0.load(a)
            }
            fn delete(&self, _: &str) -> std::result::Result<(), crate::vault::VaultError> {
                Err(crate::vault::VaultError::Keychain { reason: "refused".to_owned() })
            }
            fn load_text(&self, a: &str) -> std::result::Result<zeroize::Zeroizing<String>, crate::vault::VaultError> {
                self.0.load_text(a)
            }
        }
        let keychain = Arc::new(MemoryKeyStore::default());
        let (dir, id) = as_an_older_bidwell_left_it(&keychain).await;
        let ws =
            Workspace::open(dir.path(), Unlock::Passphrase(passphrase()), env(Arc::new(NoDelete(keychain.clone()))))
                .await
                .unwrap();
        assert_eq!(token_of(&ws, id).await, ("database".to_owned(), "old-token".to_owned()));
        assert!(keychain.contains(&keychain_entry(id)), "not deleted yet");
        assert_eq!(
            ws.token_keychain_entries().await.unwrap(),
            [(keychain_entry(id), false), (keychain_entry(id), true)]
        );
        ws.lock().await;
        let ws = Workspace::open(dir.path(), Unlock::Passphrase(passphrase()), env(keychain.clone())).await.unwrap();
        assert!(keychain.is_empty(), "deleted now: {:?}", keychain.names());
        assert_eq!(ws.token_keychain_entries().await.unwrap(), [(keychain_entry(id), false)], "and forgotten");
    }
}
