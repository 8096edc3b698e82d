//! A loopback OAuth 2.0 authorization server for the reference marketplaces
//! that use OAuth (the Freelancer-style one now, an Upwork-style one later).
//! It owns the registered clients, authorization codes, access and refresh
//! tokens, and answers three endpoints:
//!
//! - `GET /oauth/authorize`: the authorization-code grant (RFC 6749 4.1) with
//!   PKCE S256 only (RFC 7636) and loopback redirect URIs only (RFC 8252
//!   7.3). There is no human in tests, so a valid request is approved at once
//!   as the configured user.
//! - `POST /oauth/token`: `authorization_code` and `refresh_token` grants;
//!   codes are single-use and short-lived, refresh tokens rotate.
//! - `POST /oauth/revoke`: token revocation (RFC 7009).
//!
//! Resource servers ask [`OAuthAuthority::user_for`] who a token belongs to.
//! Time comes from the wall clock plus a skew that tests move with
//! [`OAuthAuthority::advance_clock`] (or [`OAuthAuthority::expire_access_tokens`]),
//! so no test sleeps. Tokens are never logged and never appear in an error.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, LOCATION, PRAGMA, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use url::Url;

use crate::lock;

/// A client registered with the authorization server.
#[derive(Clone)]
pub struct OAuthClient {
    pub client_id: String,
    /// `Some` for a confidential client, which must then authenticate at the
    /// token and revocation endpoints; `None` for a public one (a desktop app,
    /// RFC 8252 8.4), which proves itself with PKCE alone.
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClient")
            .field("client_id", &self.client_id)
            .field("confidential", &self.client_secret.is_some())
            .finish()
    }
}

/// How the authorization server behaves.
#[derive(Clone)]
pub struct OAuthConfig {
    pub clients: Vec<OAuthClient>,
    /// Who approves every authorization request (there is no login page).
    pub user_id: u64,
    /// How long an access token lives (`expires_in`).
    pub access_token_lifetime: Duration,
    /// How long an authorization code can be exchanged (RFC 6749 4.1.2
    /// recommends at most 10 minutes).
    pub code_lifetime: Duration,
    /// Tokens that always work for `user_id` and never expire, like the
    /// personal tokens a developer portal hands out.
    pub personal_tokens: Vec<String>,
}

impl std::fmt::Debug for OAuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthConfig")
            .field("clients", &self.clients)
            .field("user_id", &self.user_id)
            .field("access_token_lifetime", &self.access_token_lifetime)
            .field("code_lifetime", &self.code_lifetime)
            .field("personal_tokens", &self.personal_tokens.len())
            .finish()
    }
}

impl Default for OAuthConfig {
    fn default() -> OAuthConfig {
        OAuthConfig {
            clients: vec![OAuthClient { client_id: "bidwell-desktop".to_owned(), client_secret: None }],
            user_id: 1,
            access_token_lifetime: Duration::from_secs(3600),
            code_lifetime: Duration::from_secs(60),
            personal_tokens: Vec::new(),
        }
    }
}

struct PendingCode {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    scope: String,
    user_id: u64,
    expires_at: DateTime<Utc>,
}

struct AccessGrant {
    user_id: u64,
    client_id: String,
    /// The refresh token's family: revoking the refresh token ends its
    /// access tokens too (RFC 7009 2.1 allows it; it is what a user expects).
    family: u64,
    expires_at: DateTime<Utc>,
}

struct RefreshGrant {
    user_id: u64,
    client_id: String,
    scope: String,
    family: u64,
}

#[derive(Default)]
struct Tokens {
    codes: HashMap<String, PendingCode>,
    access: HashMap<String, AccessGrant>,
    refresh: HashMap<String, RefreshGrant>,
    next_family: u64,
    skew: chrono::Duration,
}

/// The authorization server's state; shared with the resource server that
/// accepts its tokens.
pub struct OAuthAuthority {
    config: OAuthConfig,
    tokens: Mutex<Tokens>,
}

impl std::fmt::Debug for OAuthAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthAuthority").field("config", &self.config).finish_non_exhaustive()
    }
}

/// A refusal as RFC 6749 5.2 shapes it.
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
    /// The client tried HTTP Basic: a 401 then names the scheme (RFC 6749 5.2).
    basic: bool,
}

impl OAuthError {
    fn new(error: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError { status: StatusCode::BAD_REQUEST, error, description: description.into(), basic: false }
    }

    fn invalid_client(basic: bool) -> OAuthError {
        OAuthError {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: "client authentication failed".to_owned(),
            basic,
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.error, "error_description": self.description });
        let mut response = (self.status, no_store(), body.to_string()).into_response();
        if self.basic {
            response.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"oauth\""));
        }
        response
    }
}

/// Token answers must not be cached (RFC 6749 5.1).
fn no_store() -> [(axum::http::HeaderName, HeaderValue); 3] {
    [
        (CONTENT_TYPE, HeaderValue::from_static("application/json")),
        (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}

/// 32 random bytes, base64url: unguessable, and safe in a URL or header.
fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// RFC 7636 4.2: `BASE64URL(SHA256(ASCII(code_verifier)))`.
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// RFC 7636 4.1: 43 to 128 characters of `[A-Za-z0-9-._~]`.
fn valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// RFC 8252 7.3: an `http` URI on the IPv4 or IPv6 loopback literal, any
/// port, no user info and no fragment. `localhost` is refused, as 8.3 advises.
fn loopback_redirect(raw: &str) -> Option<Url> {
    let url = Url::parse(raw).ok()?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
        Some(url::Host::Ipv6(ip)) => ip == std::net::Ipv6Addr::LOCALHOST,
        _ => false,
    };
    let plain = url.username().is_empty() && url.password().is_none() && url.fragment().is_none();
    (url.scheme() == "http" && loopback && plain).then_some(url)
}

/// Query or form pairs; a parameter sent twice is an error (RFC 6749 3.1, 3.2).
fn pairs(raw: &[u8]) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(raw) {
        if out.insert(name.clone().into_owned(), value.into_owned()).is_some() {
            return Err(format!("{name}: sent more than once"));
        }
    }
    Ok(out)
}

impl OAuthAuthority {
    pub fn new(config: OAuthConfig) -> Arc<OAuthAuthority> {
        Arc::new(OAuthAuthority { config, tokens: Mutex::new(Tokens::default()) })
    }

    pub fn config(&self) -> &OAuthConfig {
        &self.config
    }

    /// The authority's clock: the wall clock plus what tests advanced it by.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + lock(&self.tokens).skew
    }

    /// Moves the authority's clock forward: codes and access tokens expire
    /// as if that much time had passed.
    pub fn advance_clock(&self, by: Duration) {
        let by = chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
        let mut tokens = lock(&self.tokens);
        tokens.skew = tokens.skew.checked_add(&by).unwrap_or(tokens.skew);
    }

    /// Every access token issued so far expires now (refresh tokens still work).
    pub fn expire_access_tokens(&self) {
        let now = self.now();
        for grant in lock(&self.tokens).access.values_mut() {
            grant.expires_at = now - chrono::Duration::seconds(1);
        }
    }

    /// Every token issued so far stops working, refresh tokens included: the
    /// user removed the app's access on the marketplace's website.
    pub fn revoke_everything(&self) {
        let mut tokens = lock(&self.tokens);
        tokens.access.clear();
        tokens.refresh.clear();
    }

    /// How many refresh tokens are live (signed-in sessions not revoked).
    pub fn live_refresh_tokens(&self) -> usize {
        lock(&self.tokens).refresh.len()
    }

    /// The user an access token (or personal token) acts for, while it is
    /// neither expired nor revoked.
    pub fn user_for(&self, token: &str) -> Option<u64> {
        if !token.is_empty() && self.config.personal_tokens.iter().any(|t| t == token) {
            return Some(self.config.user_id);
        }
        let now = self.now();
        let tokens = lock(&self.tokens);
        tokens.access.get(token).filter(|g| g.expires_at > now).map(|g| g.user_id)
    }

    /// The three endpoints, to merge into a resource server's router.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/oauth/authorize", get(authorize))
            .route("/oauth/token", post(token))
            .route("/oauth/revoke", post(revoke))
            .with_state(self.clone())
    }

    fn client(&self, client_id: &str) -> Option<&OAuthClient> {
        self.config.clients.iter().find(|c| c.client_id == client_id)
    }

    /// RFC 6749 2.3.1: HTTP Basic or `client_id`/`client_secret` in the body
    /// (not both). A public client names itself with `client_id` alone.
    fn authenticate(&self, headers: &HeaderMap, form: &HashMap<String, String>) -> Result<&OAuthClient, OAuthError> {
        let basic = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then(|| rest.trim().to_owned())
        });
        let (id, secret, used_basic) = match basic {
            Some(encoded) => {
                if form.contains_key("client_secret") {
                    return Err(OAuthError::new("invalid_request", "use one client authentication method"));
                }
                let decoded = STANDARD.decode(encoded).ok().and_then(|b| String::from_utf8(b).ok());
                let Some((id, secret)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
                    return Err(OAuthError::invalid_client(true));
                };
                let decode = |s: &str| {
                    url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned())
                };
                (decode(id).unwrap_or_default(), decode(secret), true)
            }
            None => {
                let Some(id) = form.get("client_id") else {
                    return Err(OAuthError::new("invalid_request", "client_id: required"));
                };
                (id.clone(), form.get("client_secret").cloned(), false)
            }
        };
        let client = self.client(&id).ok_or_else(|| OAuthError::invalid_client(used_basic))?;
        match (&client.client_secret, secret) {
            (None, None) => Ok(client),
            (Some(expected), Some(given)) if constant_time_eq(expected.as_bytes(), given.as_bytes()) => Ok(client),
            _ => Err(OAuthError::invalid_client(used_basic)),
        }
    }

    /// New access and refresh tokens in `family` (a new family when `None`).
    fn issue(&self, tokens: &mut Tokens, client_id: &str, user_id: u64, scope: &str, family: Option<u64>) -> Response {
        let family = family.unwrap_or_else(|| {
            tokens.next_family += 1;
            tokens.next_family
        });
        let now = Utc::now() + tokens.skew;
        let lifetime = chrono::Duration::from_std(self.config.access_token_lifetime).unwrap_or(chrono::Duration::MAX);
        let access = random_token();
        let refresh = random_token();
        tokens.access.insert(
            access.clone(),
            AccessGrant {
                user_id,
                client_id: client_id.to_owned(),
                family,
                expires_at: now.checked_add_signed(lifetime).unwrap_or(DateTime::<Utc>::MAX_UTC),
            },
        );
        tokens.refresh.insert(
            refresh.clone(),
            RefreshGrant { user_id, client_id: client_id.to_owned(), scope: scope.to_owned(), family },
        );
        let body = serde_json::json!({
            "access_token": access,
            "token_type": "bearer",
            "expires_in": self.config.access_token_lifetime.as_secs(),
            "refresh_token": refresh,
            "scope": scope,
        });
        (StatusCode::OK, no_store(), body.to_string()).into_response()
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

// ----- the endpoints -----

fn bad_authorize(message: &str) -> Response {
    // The redirect URI cannot be trusted, so the user agent is told, not redirected (RFC 6749 4.1.2.1).
    let body = serde_json::json!({ "error": "invalid_request", "error_description": message });
    (StatusCode::BAD_REQUEST, [(CONTENT_TYPE, HeaderValue::from_static("application/json"))], body.to_string())
        .into_response()
}

fn redirect(mut to: Url, params: &[(&str, &str)]) -> Response {
    {
        let mut query = to.query_pairs_mut();
        for (name, value) in params {
            query.append_pair(name, value);
        }
    }
    match HeaderValue::from_str(to.as_str()) {
        Ok(location) => (StatusCode::FOUND, [(LOCATION, location)]).into_response(),
        Err(_) => bad_authorize("redirect_uri: not a valid header value"),
    }
}

async fn authorize(State(authority): State<Arc<OAuthAuthority>>, RawQuery(query): RawQuery) -> Response {
    let params = match pairs(query.unwrap_or_default().as_bytes()) {
        Ok(params) => params,
        Err(why) => return bad_authorize(&why),
    };
    let Some(client_id) = params.get("client_id") else { return bad_authorize("client_id: required") };
    if authority.client(client_id).is_none() {
        return bad_authorize("client_id: not a registered client");
    }
    let Some(raw_redirect) = params.get("redirect_uri") else {
        return bad_authorize("redirect_uri: required (a loopback http URI)");
    };
    let Some(redirect_to) = loopback_redirect(raw_redirect) else {
        return bad_authorize("redirect_uri: must be http://127.0.0.1:<port>/... or http://[::1]:<port>/...");
    };
    // From here on errors go back to the client through the redirect, with its state.
    let state = params.get("state").map(String::as_str);
    let refuse = |error: &str, description: &str| {
        let mut out = vec![("error", error), ("error_description", description)];
        if let Some(state) = state {
            out.push(("state", state));
        }
        redirect(redirect_to.clone(), &out)
    };
    if params.get("response_type").map(String::as_str) != Some("code") {
        return refuse("unsupported_response_type", "response_type: only code is supported");
    }
    let Some(challenge) = params.get("code_challenge").filter(|c| !c.is_empty()) else {
        return refuse("invalid_request", "code_challenge: required (PKCE)");
    };
    match params.get("code_challenge_method").map(String::as_str) {
        Some("S256") => {}
        // RFC 7636 4.3 defaults to plain; plain is not accepted here.
        _ => return refuse("invalid_request", "code_challenge_method: only S256 is supported"),
    }
    // A S256 challenge is 32 bytes, base64url without padding: 43 characters.
    if challenge.len() != 43 || URL_SAFE_NO_PAD.decode(challenge).is_err() {
        return refuse("invalid_request", "code_challenge: not a S256 challenge");
    }
    let scope = params.get("scope").cloned().unwrap_or_default();
    let code = random_token();
    {
        let mut tokens = lock(&authority.tokens);
        let now = Utc::now() + tokens.skew;
        let lifetime = chrono::Duration::from_std(authority.config.code_lifetime).unwrap_or(chrono::Duration::MAX);
        tokens.codes.retain(|_, c| c.expires_at > now);
        tokens.codes.insert(
            code.clone(),
            PendingCode {
                client_id: client_id.clone(),
                redirect_uri: raw_redirect.clone(),
                challenge: challenge.clone(),
                scope,
                user_id: authority.config.user_id,
                expires_at: now.checked_add_signed(lifetime).unwrap_or(DateTime::<Utc>::MAX_UTC),
            },
        );
    }
    let mut out = vec![("code", code.as_str())];
    if let Some(state) = state {
        out.push(("state", state));
    }
    redirect(redirect_to, &out)
}

/// Form pairs from a `application/x-www-form-urlencoded` body.
fn form(headers: &HeaderMap, body: &Bytes) -> Result<HashMap<String, String>, OAuthError> {
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(OAuthError::new("invalid_request", "the body must be application/x-www-form-urlencoded"));
    }
    pairs(body).map_err(|why| OAuthError::new("invalid_request", why))
}

async fn token(State(authority): State<Arc<OAuthAuthority>>, headers: HeaderMap, body: Bytes) -> Response {
    match exchange(&authority, &headers, &body) {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

fn exchange(authority: &OAuthAuthority, headers: &HeaderMap, body: &Bytes) -> Result<Response, OAuthError> {
    let form = form(headers, body)?;
    let grant_type = form.get("grant_type").map(String::as_str);
    if !matches!(grant_type, Some("authorization_code" | "refresh_token")) {
        return Err(match grant_type {
            None => OAuthError::new("invalid_request", "grant_type: required"),
            Some(_) => OAuthError::new(
                "unsupported_grant_type",
                "grant_type: only authorization_code and refresh_token are supported",
            ),
        });
    }
    let client = authority.authenticate(headers, &form)?;
    let required = |name: &str| {
        form.get(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| OAuthError::new("invalid_request", format!("{name}: required")))
    };
    let mut tokens = lock(&authority.tokens);
    let now = Utc::now() + tokens.skew;
    if grant_type == Some("refresh_token") {
        let presented = required("refresh_token")?;
        let grant = tokens
            .refresh
            .get(presented.as_str())
            .ok_or_else(|| OAuthError::new("invalid_grant", "refresh_token: unknown, already used, or revoked"))?;
        if grant.client_id != client.client_id {
            return Err(OAuthError::new("invalid_grant", "refresh_token: issued to another client"));
        }
        if let Some(scope) = form.get("scope") {
            let granted: Vec<&str> = grant.scope.split_whitespace().collect();
            if !scope.split_whitespace().all(|s| granted.contains(&s)) {
                return Err(OAuthError::new("invalid_scope", "scope: wider than the original grant"));
            }
        }
        // Rotation: the presented refresh token is spent, a new one takes its place.
        let grant = tokens.refresh.remove(presented.as_str()).expect("checked above");
        let scope = form.get("scope").cloned().unwrap_or(grant.scope);
        return Ok(authority.issue(&mut tokens, &client.client_id, grant.user_id, &scope, Some(grant.family)));
    }
    let code = required("code")?;
    let redirect_uri = required("redirect_uri")?;
    let verifier = required("code_verifier")?;
    // The code is spent by any attempt, right or wrong (RFC 6749 4.1.2: used once).
    let pending = tokens
        .codes
        .remove(code.as_str())
        .ok_or_else(|| OAuthError::new("invalid_grant", "code: unknown, expired or already used"))?;
    if pending.expires_at <= now {
        return Err(OAuthError::new("invalid_grant", "code: unknown, expired or already used"));
    }
    if pending.client_id != client.client_id {
        return Err(OAuthError::new("invalid_grant", "code: issued to another client"));
    }
    if &pending.redirect_uri != redirect_uri {
        return Err(OAuthError::new("invalid_grant", "redirect_uri: not the one the code was issued for"));
    }
    if !valid_verifier(verifier) {
        return Err(OAuthError::new("invalid_grant", "code_verifier: must be 43 to 128 unreserved characters"));
    }
    if !constant_time_eq(s256_challenge(verifier).as_bytes(), pending.challenge.as_bytes()) {
        return Err(OAuthError::new("invalid_grant", "code_verifier: does not match the code_challenge"));
    }
    Ok(authority.issue(&mut tokens, &client.client_id, pending.user_id, &pending.scope, None))
}

async fn revoke(State(authority): State<Arc<OAuthAuthority>>, headers: HeaderMap, body: Bytes) -> Response {
    let result = (|| {
        let form = form(&headers, &body)?;
        let client = authority.authenticate(&headers, &form)?;
        let token = form
            .get("token")
            .filter(|t| !t.is_empty())
            .ok_or_else(|| OAuthError::new("invalid_request", "token: required"))?;
        let mut tokens = lock(&authority.tokens);
        // The hint only says where to look first (RFC 7009 2.1); both are searched.
        let owner = tokens
            .access
            .get(token.as_str())
            .map(|g| g.client_id.clone())
            .or_else(|| tokens.refresh.get(token.as_str()).map(|g| g.client_id.clone()));
        match owner {
            // RFC 7009 2.2: an unknown or already invalid token is not an error.
            None => Ok(()),
            Some(owner) if owner != client.client_id => {
                Err(OAuthError::new("unauthorized_client", "token: issued to another client"))
            }
            Some(_) => {
                tokens.access.remove(token.as_str());
                if let Some(grant) = tokens.refresh.remove(token.as_str()) {
                    tokens.access.retain(|_, a| a.family != grant.family);
                }
                Ok(())
            }
        }
    })();
    match result {
        Ok(()) => (StatusCode::OK, no_store(), "{}").into_response(),
        Err(error) => error.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_7636_example_challenge_is_computed() {
        // RFC 7636 appendix B.
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn only_loopback_http_redirects_are_accepted() {
        assert!(loopback_redirect("http://127.0.0.1:49152/callback").is_some());
        assert!(loopback_redirect("http://[::1]:8080/cb?x=1").is_some());
        assert!(loopback_redirect("http://localhost:8080/cb").is_none());
        assert!(loopback_redirect("https://127.0.0.1:8080/cb").is_none());
        assert!(loopback_redirect("http://127.0.0.1:80@evil.example/cb").is_none());
        assert!(loopback_redirect("http://127.0.0.2/cb").is_none());
        assert!(loopback_redirect("http://127.0.0.1:1/cb#frag").is_none());
    }
}
