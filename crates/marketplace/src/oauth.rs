//! Signing in to a marketplace from the desktop (OAuth 2.0 for native apps,
//! RFC 8252): [`SignIn::start`] listens on a loopback port of its own and
//! gives the URL to open in the system browser, with PKCE (RFC 7636, S256)
//! and a random `state`; [`SignIn::finish`] waits, bounded, for the browser
//! to come back to that port, checks the `state`, and exchanges the code for
//! tokens. [`refresh`] and [`revoke`] use the same token endpoint's rules.
//!
//! Which marketplace and which registered app are data ([`OAuthServer`],
//! [`OAuthClient`]): each user or organisation registers its own app, so
//! nothing is built in. Tokens, the verifier and any client secret are
//! secrets ([`ApiToken`], zeroized); none is logged or put in an error.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;
pub use reqwest::Url;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use zeroize::Zeroizing;

use crate::token::ApiToken;

/// The path the browser is sent back to on the loopback port.
const CALLBACK_PATH: &str = "/callback";
/// A browser's request line and headers fit easily; a larger one is not a browser.
const MAX_REQUEST_BYTES: usize = 16 * 1024;
/// How long one connection to the loopback port may take to send its request.
const REQUEST_READ: Duration = Duration::from_secs(10);
/// The token endpoint's answer is a few hundred bytes.
const MAX_TOKEN_RESPONSE_BYTES: usize = 64 * 1024;
/// Connections that are not the callback (a favicon, a probe) before giving up.
const MAX_STRAY_REQUESTS: usize = 32;

/// A marketplace's authorization server.
#[derive(Debug, Clone)]
pub struct OAuthServer {
    pub authorize_url: Url,
    pub token_url: Url,
    /// RFC 7009 revocation, where the marketplace has one.
    pub revoke_url: Option<Url>,
    /// Space-separated scopes to ask for, if the marketplace wants any.
    pub scope: Option<String>,
}

/// The app the user registered with the marketplace.
#[derive(Debug)]
pub struct OAuthClient {
    pub client_id: String,
    /// Only for marketplaces that require one even from a desktop app.
    pub client_secret: Option<ApiToken>,
}

/// What a sign-in or a refresh gives.
#[derive(Debug)]
pub struct TokenSet {
    pub access_token: ApiToken,
    /// Absent when the marketplace gives none (or, on refresh, keeps the old one).
    pub refresh_token: Option<ApiToken>,
    /// When the access token stops working, if the marketplace said.
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("could not listen on this computer for the browser's answer: {0}")]
    Listen(std::io::Error),
    #[error("the browser did not come back within {} seconds", .0.as_secs())]
    TimedOut(Duration),
    /// The marketplace (or the user) said no: RFC 6749's `error` and its description.
    #[error("the marketplace refused: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Refused { error: String, description: Option<String> },
    /// The answer on the loopback port was not for this sign-in: nothing is exchanged.
    #[error("the browser's answer was not for this sign-in (its state did not match)")]
    StateMismatch,
    #[error("the browser's answer had no authorization code")]
    NoCode,
    #[error("the marketplace's token endpoint could not be reached: {0}")]
    Network(String),
    #[error("the marketplace's token endpoint answered something unusable: {0}")]
    BadResponse(String),
}

/// A sign-in waiting for the browser. Dropping it stops listening.
pub struct SignIn {
    listener: TcpListener,
    redirect_uri: String,
    state: String,
    verifier: Zeroizing<String>,
    browser_url: Url,
    server: OAuthServer,
    client: OAuthClient,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn").field("redirect_uri", &self.redirect_uri).finish_non_exhaustive()
    }
}

/// 32 random bytes, base64url: a PKCE verifier (43 characters) or a state.
fn random_token() -> String {
    let mut bytes = Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng.fill_bytes(bytes.as_mut());
    URL_SAFE_NO_PAD.encode(bytes.as_ref())
}

/// RFC 7636 4.2: `BASE64URL(SHA256(verifier))`.
fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

impl SignIn {
    /// Listens on `127.0.0.1` on a port the OS picks (RFC 8252 7.3) and
    /// builds the authorization URL to open in the system browser.
    pub async fn start(server: OAuthServer, client: OAuthClient) -> Result<SignIn, SignInError> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.map_err(SignInError::Listen)?;
        let port = listener.local_addr().map_err(SignInError::Listen)?.port();
        let redirect_uri = format!("http://127.0.0.1:{port}{CALLBACK_PATH}");
        let (state, verifier) = (random_token(), Zeroizing::new(random_token()));
        let mut browser_url = server.authorize_url.clone();
        {
            let mut query = browser_url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &client.client_id)
                .append_pair("redirect_uri", &redirect_uri)
                .append_pair("state", &state)
                .append_pair("code_challenge", &s256(&verifier))
                .append_pair("code_challenge_method", "S256");
            if let Some(scope) = &server.scope {
                query.append_pair("scope", scope);
            }
        }
        Ok(SignIn { listener, redirect_uri, state, verifier, browser_url, server, client })
    }

    /// What to open in the system browser.
    pub fn browser_url(&self) -> &Url {
        &self.browser_url
    }

    /// Waits up to `wait` for the browser to come back, answers it with a
    /// short page, then exchanges the code. `now` dates the token's expiry.
    pub async fn finish(self, wait: Duration, now: DateTime<Utc>) -> Result<TokenSet, SignInError> {
        let params = tokio::time::timeout(wait, self.callback()).await.map_err(|_| SignInError::TimedOut(wait))??;
        let mut form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", params.code),
            ("redirect_uri", self.redirect_uri.clone()),
            ("client_id", self.client.client_id.clone()),
            ("code_verifier", self.verifier.to_string()),
        ];
        form.extend(secret_field(&self.client));
        token_request(&self.server, &form, now).await
    }

    /// The first request to the callback path: its code, once the state is
    /// checked. Other paths (a favicon) get a 404 and the wait goes on.
    async fn callback(&self) -> Result<Callback, SignInError> {
        for _ in 0..MAX_STRAY_REQUESTS {
            let (mut stream, _) = self.listener.accept().await.map_err(SignInError::Listen)?;
            let Ok(Ok(target)) = tokio::time::timeout(REQUEST_READ, read_request_target(&mut stream)).await else {
                continue;
            };
            let Some(query) = target.strip_prefix(CALLBACK_PATH).and_then(|rest| match rest {
                "" => Some(""),
                rest => rest.strip_prefix('?'),
            }) else {
                let _ = respond(&mut stream, "404 Not Found", "Not found.").await;
                continue;
            };
            let result = parse_callback(query, &self.state);
            let page = match &result {
                Ok(_) => "Signed in. You can close this tab and go back to Bidwell.".to_owned(),
                Err(e) => format!("Bidwell could not sign in: {e}. You can close this tab."),
            };
            let _ = respond(&mut stream, "200 OK", &page).await;
            return result;
        }
        Err(SignInError::BadResponse("too many unrelated requests reached the sign-in port".into()))
    }
}

struct Callback {
    code: String,
}

fn parse_callback(query: &str, expected_state: &str) -> Result<Callback, SignInError> {
    let mut fields = std::collections::HashMap::new();
    for (key, value) in
        reqwest::Url::parse(&format!("http://callback/?{query}")).map_err(|_| SignInError::NoCode)?.query_pairs()
    {
        fields.entry(key.into_owned()).or_insert_with(|| value.into_owned());
    }
    // The state first: an answer for another sign-in says nothing about this one.
    if fields.get("state").map(String::as_str) != Some(expected_state) {
        return Err(SignInError::StateMismatch);
    }
    if let Some(error) = fields.remove("error") {
        return Err(SignInError::Refused {
            error: bounded(&error),
            description: fields.remove("error_description").map(|d| bounded(&d)),
        });
    }
    match fields.remove("code") {
        Some(code) if !code.is_empty() => Ok(Callback { code }),
        _ => Err(SignInError::NoCode),
    }
}

/// Reads one HTTP request's head and returns its target (`/callback?...`).
async fn read_request_target(stream: &mut TcpStream) -> std::io::Result<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(&buf) {
            Ok(httparse::Status::Complete(_)) if request.method == Some("GET") => {
                return request.path.map(str::to_owned).ok_or_else(|| std::io::ErrorKind::InvalidData.into());
            }
            Ok(httparse::Status::Complete(_)) | Err(_) => return Err(std::io::ErrorKind::InvalidData.into()),
            Ok(httparse::Status::Partial) if buf.len() >= MAX_REQUEST_BYTES => {
                return Err(std::io::ErrorKind::InvalidData.into())
            }
            Ok(httparse::Status::Partial) => {}
        }
    }
}

async fn respond(stream: &mut TcpStream, status: &str, text: &str) -> std::io::Result<()> {
    let body = format!(
        "<!doctype html><meta charset=utf-8><title>Bidwell</title><p style=\"font:16px sans-serif;margin:2em\">{}</p>",
        html_escape(text)
    );
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Text from the network, shown to the user: one line, bounded.
fn bounded(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(200).collect()
}

fn secret_field(client: &OAuthClient) -> Option<(&'static str, String)> {
    client.client_secret.as_ref().map(|s| ("client_secret", s.expose_secret().to_owned()))
}

/// Exchanges a refresh token for new tokens (RFC 6749 6). A marketplace that
/// rotates refresh tokens returns a new one; keep it, the old one is spent.
pub async fn refresh(
    server: &OAuthServer,
    client: &OAuthClient,
    refresh_token: &ApiToken,
    now: DateTime<Utc>,
) -> Result<TokenSet, SignInError> {
    let mut form = vec![
        ("grant_type", "refresh_token".to_owned()),
        ("refresh_token", refresh_token.expose_secret().to_owned()),
        ("client_id", client.client_id.clone()),
    ];
    form.extend(secret_field(client));
    token_request(server, &form, now).await
}

/// Revokes a token where the marketplace allows it (RFC 7009). `Ok(false)`
/// when it has no revocation endpoint: the token then lives until it expires.
pub async fn revoke(server: &OAuthServer, client: &OAuthClient, token: &ApiToken) -> Result<bool, SignInError> {
    let Some(url) = &server.revoke_url else { return Ok(false) };
    let mut form = vec![("token", token.expose_secret().to_owned()), ("client_id", client.client_id.clone())];
    form.extend(secret_field(client));
    let response = http()?.post(url.clone()).form(&form).send().await.map_err(network)?;
    if response.status().is_success() {
        Ok(true)
    } else {
        Err(SignInError::BadResponse(format!("revocation answered {}", response.status())))
    }
}

fn http() -> Result<reqwest::Client, SignInError> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(network)
}

/// Never the request (it holds the code, the verifier or a token).
fn network(err: reqwest::Error) -> SignInError {
    SignInError::Network(if err.is_timeout() { "no answer in time".into() } else { "connection failed".into() })
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<i64>,
}

#[derive(Deserialize)]
struct TokenErrorResponse {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

async fn token_request(
    server: &OAuthServer,
    form: &[(&str, String)],
    now: DateTime<Utc>,
) -> Result<TokenSet, SignInError> {
    let mut response = http()?.post(server.token_url.clone()).form(form).send().await.map_err(network)?;
    let status = response.status();
    let mut body = Zeroizing::new(Vec::new());
    while let Some(chunk) = response.chunk().await.map_err(network)? {
        if body.len() + chunk.len() > MAX_TOKEN_RESPONSE_BYTES {
            return Err(SignInError::BadResponse("the answer is too large".into()));
        }
        body.extend_from_slice(&chunk);
    }
    if !status.is_success() {
        return Err(match serde_json::from_slice::<TokenErrorResponse>(&body) {
            Ok(e) => {
                SignInError::Refused { error: bounded(&e.error), description: e.error_description.map(|d| bounded(&d)) }
            }
            Err(_) => SignInError::BadResponse(format!("HTTP {status}")),
        });
    }
    let tokens: TokenResponse =
        serde_json::from_slice(&body).map_err(|_| SignInError::BadResponse("not a token response".into()))?;
    if tokens.token_type.as_deref().is_some_and(|t| !t.eq_ignore_ascii_case("bearer")) {
        return Err(SignInError::BadResponse("the token type is not bearer".into()));
    }
    if tokens.access_token.is_empty() {
        return Err(SignInError::BadResponse("the access token is empty".into()));
    }
    Ok(TokenSet {
        access_token: ApiToken::new(tokens.access_token),
        refresh_token: tokens.refresh_token.filter(|t| !t.is_empty()).map(ApiToken::new),
        expires_at: tokens
            .expires_in
            .filter(|s| *s > 0)
            .and_then(|s| now.checked_add_signed(chrono::Duration::seconds(s.min(10 * 365 * 86_400)))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 appendix B's worked example.
    #[test]
    fn the_challenge_is_rfc_7636s() {
        assert_eq!(s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn an_answer_with_another_state_is_refused_before_its_code_is_read() {
        assert!(matches!(parse_callback("code=abc&state=theirs", "ours"), Err(SignInError::StateMismatch)));
        assert!(matches!(parse_callback("code=abc", "ours"), Err(SignInError::StateMismatch)));
        assert!(matches!(
            parse_callback("error=access_denied&error_description=No%20thanks&state=ours", "ours"),
            Err(SignInError::Refused { ref error, description: Some(ref d) }) if error == "access_denied" && d == "No thanks"
        ));
        assert!(matches!(parse_callback("state=ours", "ours"), Err(SignInError::NoCode)));
        assert_eq!(parse_callback("code=a%2Fb&state=ours", "ours").unwrap().code, "a/b");
    }

    #[test]
    fn verifiers_are_long_and_fresh() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 43, "RFC 7636 asks for 43 to 128 characters");
        assert_ne!(a, b);
    }
}
