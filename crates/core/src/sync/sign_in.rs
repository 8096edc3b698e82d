//! Signing in to a marketplace account with OAuth 2.0 (RFC 8252: the system
//! browser, a loopback redirect, PKCE), keeping its tokens fresh, and
//! revoking them on disconnect. The protocol itself is
//! `bidwell_marketplace::oauth`; this module owns what the workspace keeps:
//! the tokens go where the account's token always goes
//! ([`Workspace::store_market_secrets`]), the settings say where to sign in.
//!
//! A refresh the marketplace refuses marks the account "sign in again"
//! (token expired) and touches nothing else: queued changes wait for it.

use std::time::Duration;

use bidwell_marketplace::oauth::Url;
use bidwell_marketplace::oauth::{self, OAuthClient, OAuthServer, SignIn, SignInError, TokenSet};
use bidwell_marketplace::ApiToken;
use chrono::{DateTime, Utc};

use super::accounts::{MarketAccount, MarketSecrets, NewMarketAccount, SignInSettings};
use crate::error::{Error, Result};
use crate::id::Id;
use crate::Workspace;

/// How long a sign-in waits for the browser to come back.
pub const SIGN_IN_WAIT: Duration = Duration::from_secs(10 * 60);

/// An access token this close to its expiry is refreshed before a pass.
const REFRESH_AHEAD: chrono::Duration = chrono::Duration::seconds(60);

/// What a sign-in is for.
#[derive(Debug, Clone)]
pub enum SignInTarget {
    /// Connect a new account once signed in.
    New(NewMarketAccount),
    /// Sign an existing account in again (its tokens were refused).
    Again(Id),
}

impl SignInTarget {
    /// What a front end asked for: a new account, or one to sign in again.
    pub fn of(new: Option<NewMarketAccount>, again: Option<Id>) -> Result<SignInTarget> {
        match (new, again) {
            (Some(new), None) => Ok(SignInTarget::New(new)),
            (None, Some(id)) => Ok(SignInTarget::Again(id)),
            _ => Err(Error::validation("account", "name a new account or one to sign in again")),
        }
    }
}

/// A sign-in waiting for the browser: open [`PendingSignIn::browser_url`],
/// then [`Workspace::finish_market_sign_in`]. Dropping it stops listening.
#[derive(Debug)]
pub struct PendingSignIn {
    target: SignInTarget,
    /// The account's name, for messages.
    name: String,
    client_secret: Option<ApiToken>,
    sign_in: SignIn,
}

impl PendingSignIn {
    pub fn browser_url(&self) -> &str {
        self.sign_in.browser_url().as_str()
    }

    /// Waits (up to `wait`) for the browser to come back and exchanges the
    /// code. Needs no workspace: the app does not hold it open meanwhile.
    /// `now` dates the access token's expiry.
    pub async fn wait(self, wait: Duration, now: DateTime<Utc>) -> Result<SignedIn> {
        let PendingSignIn { target, name, client_secret, sign_in } = self;
        let tokens = sign_in.finish(wait, now).await.map_err(|e| failed(&name, e))?;
        Ok(SignedIn { target, client_secret, tokens })
    }
}

/// A finished sign-in whose tokens are not stored yet ([`Workspace::store_sign_in`]).
#[derive(Debug)]
pub struct SignedIn {
    target: SignInTarget,
    client_secret: Option<ApiToken>,
    tokens: TokenSet,
}

/// How a refresh before or during a pass went.
pub(crate) enum Refreshed {
    /// New tokens are stored; here is the new access token.
    Yes(ApiToken),
    /// The account has no refresh token or no sign-in settings.
    NotPossible,
    /// The marketplace refused: the account now says "sign in again".
    Refused,
    /// The token endpoint could not be reached or answered nonsense: try on a later pass.
    Failed(String),
}

fn url(field: &str, text: &str) -> Result<Url> {
    Url::parse(text).map_err(|_| Error::validation(field, "is not a URL"))
}

fn oauth_server(settings: &SignInSettings) -> Result<OAuthServer> {
    Ok(OAuthServer {
        authorize_url: url("authorize_url", &settings.authorize_url)?,
        token_url: url("token_url", &settings.token_url)?,
        revoke_url: settings.revoke_url.as_deref().map(|u| url("revoke_url", u)).transpose()?,
        scope: settings.scope.clone(),
    })
}

fn oauth_client(settings: &SignInSettings, client_secret: Option<ApiToken>) -> OAuthClient {
    OAuthClient { client_id: settings.client_id.clone(), client_secret }
}

fn failed(name: &str, err: SignInError) -> Error {
    let transient = matches!(err, SignInError::Network(_) | SignInError::TimedOut(_));
    Error::SignInFailed { marketplace: name.to_owned(), reason: err.to_string(), transient }
}

impl Workspace {
    /// Starts signing in: listens on a loopback port and gives the URL to
    /// open in the system browser. For [`SignInTarget::Again`] the account's
    /// own settings and client secret are used.
    pub async fn begin_market_sign_in(
        &self,
        target: SignInTarget,
        client_secret: Option<ApiToken>,
    ) -> Result<PendingSignIn> {
        let (settings, name, client_secret) = match &target {
            SignInTarget::New(new) => {
                let Some(settings) = &new.sign_in else {
                    return Err(Error::validation("sign_in", "say where to sign in (or paste a token instead)"));
                };
                let name = crate::domain::check::required("name", &new.name, 100)?;
                (settings.clone(), name, client_secret.filter(|s| !s.is_empty()))
            }
            SignInTarget::Again(id) => {
                let account = self.market_account(*id).await?;
                let Some(settings) = account.sign_in.clone() else {
                    return Err(Error::validation(
                        "account",
                        format!("{} was connected with a token; paste a new one instead", account.name),
                    ));
                };
                let kept = self.market_secrets(&account).await.ok().and_then(|s| s.client_secret);
                (settings, account.name, client_secret.filter(|s| !s.is_empty()).or(kept))
            }
        };
        let server = oauth_server(&settings)?;
        let client =
            oauth_client(&settings, client_secret.as_ref().map(|s| ApiToken::new(s.expose_secret().to_owned())));
        let sign_in = SignIn::start(server, client).await.map_err(|e| failed(&name, e))?;
        Ok(PendingSignIn { target, name, client_secret, sign_in })
    }

    /// Waits (up to `wait`) for the browser, exchanges the code and stores
    /// the tokens: connects the new account, or signs the old one in again
    /// (its queued changes go out on the next sync).
    pub async fn finish_market_sign_in(
        &self,
        pending: PendingSignIn,
        wait: Duration,
        method: crate::privacy::ConsentMethod,
    ) -> Result<MarketAccount> {
        let signed_in = pending.wait(wait, self.now()).await?;
        self.store_sign_in(signed_in, method).await
    }

    /// Keeps what a sign-in gave: connects the new account, or signs the
    /// old one in again (its queued changes go out on the next sync).
    pub async fn store_sign_in(
        &self,
        signed_in: SignedIn,
        method: crate::privacy::ConsentMethod,
    ) -> Result<MarketAccount> {
        let SignedIn { target, client_secret, tokens } = signed_in;
        let TokenSet { access_token, refresh_token, expires_at } = tokens;
        let secrets = MarketSecrets { access: access_token, refresh: refresh_token, client_secret };
        match target {
            SignInTarget::New(new) => self.connect_market_account(&new, secrets, expires_at, method).await,
            SignInTarget::Again(id) => {
                let account = self.market_account(id).await?;
                self.store_market_secrets(&account, &secrets, expires_at).await?;
                self.market_account(id).await
            }
        }
    }

    /// Whether the account's access token is about to expire.
    pub(crate) fn access_token_due(&self, account: &MarketAccount) -> bool {
        let due = |at: DateTime<Utc>| at - REFRESH_AHEAD <= self.now();
        account.sign_in.is_some() && account.access_expires_at.is_some_and(due)
    }

    /// Exchanges the account's refresh token for new tokens and stores them
    /// (a rotated refresh token replaces the spent one). A refusal marks the
    /// account "sign in again" and keeps everything queued.
    pub(crate) async fn refresh_market_token(&self, account: &MarketAccount) -> Result<Refreshed> {
        let Some(settings) = &account.sign_in else { return Ok(Refreshed::NotPossible) };
        let secrets = self.market_secrets(account).await?;
        let Some(refresh_token) = &secrets.refresh else { return Ok(Refreshed::NotPossible) };
        let server = oauth_server(settings)?;
        let client_secret = secrets.client_secret.as_ref().map(|s| ApiToken::new(s.expose_secret().to_owned()));
        let client = oauth_client(settings, client_secret);
        match oauth::refresh(&server, &client, refresh_token, self.now()).await {
            Ok(tokens) => {
                let access = ApiToken::new(tokens.access_token.expose_secret().to_owned());
                let renewed = MarketSecrets {
                    access: tokens.access_token,
                    refresh: tokens.refresh_token.or(secrets.refresh),
                    client_secret: secrets.client_secret,
                };
                self.store_market_secrets(account, &renewed, tokens.expires_at).await?;
                Ok(Refreshed::Yes(access))
            }
            Err(err @ SignInError::Refused { .. }) => {
                sqlx::query(
                    "UPDATE market_accounts SET connection = 'token_expired', last_error = ?, updated_at = ? \
                     WHERE id = ?",
                )
                .bind(format!("sign in again: the marketplace refused to renew the sign-in ({err})"))
                .bind(self.now())
                .bind(account.id)
                .execute(&self.pool().await)
                .await?;
                Ok(Refreshed::Refused)
            }
            Err(err) => Ok(Refreshed::Failed(err.to_string())),
        }
    }

    /// On disconnect: asks the marketplace to revoke the account's tokens
    /// (the refresh token, which ends its access tokens too; the access
    /// token where there is none). Says what happened, for the removal's note.
    pub(crate) async fn revoke_market_tokens(&self, account: &MarketAccount, secrets: MarketSecrets) -> Option<String> {
        let settings = account.sign_in.as_ref()?;
        let Ok(server) = oauth_server(settings) else {
            return Some("the sign-in settings are unreadable; the tokens were not revoked".to_owned());
        };
        let MarketSecrets { access, refresh, client_secret } = secrets;
        let client = oauth_client(settings, client_secret);
        let token = refresh.unwrap_or(access);
        Some(match oauth::revoke(&server, &client, &token).await {
            Ok(true) => "the marketplace revoked the sign-in".to_owned(),
            Ok(false) => {
                "this marketplace cannot revoke a sign-in; it ends when its tokens expire (or revoke it on the \
                 marketplace's website)"
                    .to_owned()
            }
            Err(err) => format!("the sign-in could not be revoked ({err}); revoke it on the marketplace's website"),
        })
    }
}
