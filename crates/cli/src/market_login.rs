//! `bidwell market add` and `bidwell market login`: connecting an account
//! with a pasted token, or signing in in the system browser (RFC 8252). The
//! CLI prints the address to open and waits on the loopback port for the
//! browser to come back; the address itself carries nothing secret (the
//! PKCE challenge and a random state only).

use bidwell_core::privacy::ConsentMethod;
use bidwell_core::sync::{
    ApiToken, MarketAccount, MarketKind, MarketSecrets, NewMarketAccount, SignInSettings, SignInTarget, SIGN_IN_WAIT,
};
use bidwell_core::{Error, Result, Workspace};

use crate::args::SignInArgs;
use crate::unlock::Credentials;

pub async fn add(
    ws: &Workspace,
    kind: &str,
    url: String,
    name: String,
    token_stdin: bool,
    sign_in: SignInArgs,
    creds: &mut Credentials,
) -> Result<MarketAccount> {
    let kind = MarketKind::parse(kind).ok_or_else(|| {
        let kinds: Vec<&str> = MarketKind::ALL.iter().map(|k| k.as_str()).collect();
        Error::validation("kind", format!("must be one of {}", kinds.join(", ")))
    })?;
    let mut new = NewMarketAccount { name, kind, base_url: url, sign_in: None };
    if token_stdin {
        let token = creds.stdin.token()?;
        return ws.connect_market_account(&new, MarketSecrets::token(token), None, ConsentMethod::Cli).await;
    }
    let Some(client_id) = sign_in.client_id else {
        return Err(Error::validation("token_stdin", "give --token-stdin, or --client-id to sign in"));
    };
    let defaults = kind.sign_in_defaults();
    let endpoint = |given: Option<String>, default: Option<&str>, field: &str| {
        given.or(default.map(str::to_owned)).ok_or_else(|| {
            Error::validation(field, format!("is required: a {kind} server has no default sign-in address"))
        })
    };
    new.sign_in = Some(SignInSettings {
        authorize_url: endpoint(sign_in.authorize_url, defaults.map(|d| d.authorize_url), "authorize_url")?,
        token_url: endpoint(sign_in.token_url, defaults.map(|d| d.token_url), "token_url")?,
        revoke_url: sign_in.revoke_url.or(defaults.and_then(|d| d.revoke_url.map(str::to_owned))),
        scope: sign_in.scope,
        client_id,
    });
    let secret = if sign_in.client_secret_stdin { Some(creds.stdin.secret("client_secret")?) } else { None };
    self::sign_in(ws, SignInTarget::New(new), secret).await
}

/// Prints the address to open, then waits (up to ten minutes) for the browser.
pub async fn sign_in(ws: &Workspace, target: SignInTarget, client_secret: Option<ApiToken>) -> Result<MarketAccount> {
    let pending = ws.begin_market_sign_in(target, client_secret).await?;
    eprintln!("Open this address in your browser to sign in (waiting up to {} minutes):", SIGN_IN_WAIT.as_secs() / 60);
    eprintln!("{}", pending.browser_url());
    ws.finish_market_sign_in(pending, SIGN_IN_WAIT, ConsentMethod::Cli).await
}
