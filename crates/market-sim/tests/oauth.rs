//! The loopback OAuth server over real HTTP: the whole PKCE flow and the
//! refusals RFC 6749, 7636, 7009 and 8252 ask for. It is served by the
//! Freelancer-style server, whose API accepts its tokens.

use std::time::Duration;

use bidwell_market_sim::freelancer::{FreelancerConfig, FreelancerSim};
use bidwell_market_sim::oauth::{s256_challenge, OAuthClient, OAuthConfig};
use serde_json::Value;

const CLIENT: &str = "bidwell-desktop";
const REDIRECT: &str = "http://127.0.0.1:53682/callback";
const VERIFIER: &str = "a-verifier-of-forty-three-or-more-characters-0123456789";

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn start() -> FreelancerSim {
    let oauth = OAuthConfig {
        clients: vec![
            OAuthClient { client_id: CLIENT.into(), client_secret: None },
            OAuthClient { client_id: "portal-app".into(), client_secret: Some("s3cret".into()) },
        ],
        personal_tokens: vec!["fl-personal-token".into()],
        ..OAuthConfig::default()
    };
    FreelancerSim::start(FreelancerConfig { projects: 20, oauth, ..FreelancerConfig::default() }).await.unwrap()
}

/// `GET /oauth/authorize` with these parameters; the raw answer.
async fn authorize(sim: &FreelancerSim, params: &[(&str, &str)]) -> reqwest::Response {
    http().get(format!("{}/oauth/authorize", sim.base_url())).query(params).send().await.unwrap()
}

fn good_params(challenge: &str) -> Vec<(&str, &str)> {
    vec![
        ("response_type", "code"),
        ("client_id", CLIENT),
        ("redirect_uri", REDIRECT),
        ("state", "st-123"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        ("scope", "basic advanced"),
    ]
}

/// The query of a 302's `Location`, as pairs.
fn location(response: &reqwest::Response) -> (String, Vec<(String, String)>) {
    assert_eq!(response.status(), 302, "expected a redirect");
    let location = response.headers()["location"].to_str().unwrap();
    let url = url::Url::parse(location).unwrap();
    let base = url[..url::Position::AfterPath].to_owned();
    (base, url.query_pairs().into_owned().collect())
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// A fresh code for `VERIFIER`.
async fn code(sim: &FreelancerSim) -> String {
    let challenge = s256_challenge(VERIFIER);
    let response = authorize(sim, &good_params(&challenge)).await;
    let (_, pairs) = location(&response);
    param(&pairs, "code").unwrap().to_owned()
}

async fn token(sim: &FreelancerSim, form: &[(&str, &str)]) -> (u16, Value) {
    let response = http().post(format!("{}/oauth/token", sim.base_url())).form(form).send().await.unwrap();
    let status = response.status().as_u16();
    if status == 200 {
        assert_eq!(response.headers()["cache-control"], "no-store");
    }
    (status, response.json().await.unwrap())
}

async fn exchange(sim: &FreelancerSim, code: &str, verifier: &str, redirect: &str) -> (u16, Value) {
    token(
        sim,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect),
            ("client_id", CLIENT),
            ("code_verifier", verifier),
        ],
    )
    .await
}

async fn whoami(sim: &FreelancerSim, access: &str) -> (u16, Value) {
    let response = http()
        .get(format!("{}/api/users/0.1/self/", sim.base_url()))
        .header("Freelancer-OAuth-V1", access)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn the_whole_pkce_flow_from_authorize_to_revoke() {
    let sim = start().await;
    let challenge = s256_challenge(VERIFIER);
    let response = authorize(&sim, &good_params(&challenge)).await;
    let (base, pairs) = location(&response);
    assert_eq!(base, REDIRECT);
    assert_eq!(param(&pairs, "state"), Some("st-123"));
    let code = param(&pairs, "code").unwrap().to_owned();

    let (status, tokens) = exchange(&sim, &code, VERIFIER, REDIRECT).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert_eq!(tokens["scope"], "basic advanced");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();

    let (status, me) = whoami(&sim, &access).await;
    assert_eq!(status, 200);
    assert_eq!(me["result"]["id"], sim.self_user().id);

    // Refresh rotates: the new pair works, the old refresh token is spent.
    let (status, renewed) =
        token(&sim, &[("grant_type", "refresh_token"), ("refresh_token", &refresh), ("client_id", CLIENT)]).await;
    assert_eq!(status, 200, "{renewed}");
    let new_access = renewed["access_token"].as_str().unwrap().to_owned();
    assert_ne!(renewed["refresh_token"].as_str().unwrap(), refresh);
    let (status, again) =
        token(&sim, &[("grant_type", "refresh_token"), ("refresh_token", &refresh), ("client_id", CLIENT)]).await;
    assert_eq!(status, 400);
    assert_eq!(again["error"], "invalid_grant");
    assert_eq!(whoami(&sim, &new_access).await.0, 200);

    // Revoked: the API refuses it with the Freelancer error envelope.
    let revoked = http()
        .post(format!("{}/oauth/revoke", sim.base_url()))
        .form(&[("token", new_access.as_str()), ("client_id", CLIENT)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let (status, body) = whoami(&sim, &new_access).await;
    assert_eq!(status, 401);
    assert_eq!(body["status"], "error");
    assert_eq!(body["error_code"], "RestExceptionCodes.NOT_AUTHENTICATED");
}

#[tokio::test]
async fn a_wrong_verifier_a_reused_code_and_another_redirect_uri_are_refused() {
    let sim = start().await;

    let first = code(&sim).await;
    let (status, body) = exchange(&sim, &first, &format!("{VERIFIER}x"), REDIRECT).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    // A failed attempt spends the code too.
    assert_eq!(exchange(&sim, &first, VERIFIER, REDIRECT).await.1["error"], "invalid_grant");

    let second = code(&sim).await;
    assert_eq!(exchange(&sim, &second, VERIFIER, REDIRECT).await.0, 200);
    let (status, body) = exchange(&sim, &second, VERIFIER, REDIRECT).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "a code is single-use");

    let third = code(&sim).await;
    let (status, body) = exchange(&sim, &third, VERIFIER, "http://127.0.0.1:53683/callback").await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");

    let fourth = code(&sim).await;
    sim.oauth().advance_clock(Duration::from_secs(61));
    assert_eq!(exchange(&sim, &fourth, VERIFIER, REDIRECT).await.1["error"], "invalid_grant", "codes expire");
}

#[tokio::test]
async fn authorize_refuses_plain_pkce_and_bad_redirects() {
    let sim = start().await;
    let challenge = s256_challenge(VERIFIER);

    // plain (or no method, which RFC 7636 reads as plain): back to the client with an error.
    for method in [Some("plain"), None] {
        let mut params: Vec<(&str, &str)> =
            good_params(&challenge).into_iter().filter(|(n, _)| *n != "code_challenge_method").collect();
        if let Some(method) = method {
            params.push(("code_challenge_method", method));
        }
        let response = authorize(&sim, &params).await;
        let (_, pairs) = location(&response);
        assert_eq!(param(&pairs, "error"), Some("invalid_request"), "{method:?}");
        assert_eq!(param(&pairs, "state"), Some("st-123"));
        assert_eq!(param(&pairs, "code"), None);
    }
    // No challenge at all.
    let params: Vec<(&str, &str)> =
        good_params(&challenge).into_iter().filter(|(n, _)| !n.starts_with("code_challenge")).collect();
    let (_, pairs) = location(&authorize(&sim, &params).await);
    assert_eq!(param(&pairs, "error"), Some("invalid_request"));
    // Not `code`.
    let params: Vec<(&str, &str)> = good_params(&challenge)
        .into_iter()
        .map(|(n, v)| if n == "response_type" { (n, "token") } else { (n, v) })
        .collect();
    let (_, pairs) = location(&authorize(&sim, &params).await);
    assert_eq!(param(&pairs, "error"), Some("unsupported_response_type"));

    // A redirect that is not loopback, or an unknown client: 400, never a redirect.
    for (name, value) in [
        ("redirect_uri", "https://evil.example/callback"),
        ("redirect_uri", "http://localhost:53682/callback"),
        ("client_id", "nobody"),
    ] {
        let params: Vec<(&str, &str)> =
            good_params(&challenge).into_iter().map(|(n, v)| if n == name { (n, value) } else { (n, v) }).collect();
        let response = authorize(&sim, &params).await;
        assert_eq!(response.status(), 400, "{name}={value}");
        assert!(response.headers().get("location").is_none());
    }
    // The IPv6 loopback is accepted.
    let params: Vec<(&str, &str)> = good_params(&challenge)
        .into_iter()
        .map(|(n, v)| if n == "redirect_uri" { (n, "http://[::1]:8123/cb") } else { (n, v) })
        .collect();
    let (base, pairs) = location(&authorize(&sim, &params).await);
    assert_eq!(base, "http://[::1]:8123/cb");
    assert!(param(&pairs, "code").is_some());
}

#[tokio::test]
async fn the_token_endpoint_refuses_bad_grants_and_clients_and_expired_tokens_stop_working() {
    let sim = start().await;
    let (status, body) = token(&sim, &[("grant_type", "password"), ("client_id", CLIENT)]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("unsupported_grant_type")));
    let (status, body) = token(&sim, &[("grant_type", "authorization_code"), ("client_id", "nobody")]).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
    let (status, body) = token(&sim, &[("grant_type", "authorization_code"), ("client_id", CLIENT)]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")));
    // A confidential client must send its secret.
    let (status, body) =
        token(&sim, &[("grant_type", "refresh_token"), ("refresh_token", "x"), ("client_id", "portal-app")]).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
    // JSON is not the token endpoint's format.
    let response = http()
        .post(format!("{}/oauth/token", sim.base_url()))
        .json(&serde_json::json!({"grant_type": "refresh_token"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);

    // Expiry: the access token stops working, the refresh token still gets a new one.
    let code = code(&sim).await;
    let (_, tokens) = exchange(&sim, &code, VERIFIER, REDIRECT).await;
    let access = tokens["access_token"].as_str().unwrap();
    sim.expire_access_tokens();
    assert_eq!(whoami(&sim, access).await.0, 401);
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let (status, renewed) =
        token(&sim, &[("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", CLIENT)]).await;
    assert_eq!(status, 200);
    assert_eq!(whoami(&sim, renewed["access_token"].as_str().unwrap()).await.0, 200);

    // Revoking the refresh token ends its access tokens too.
    let refresh = renewed["refresh_token"].as_str().unwrap();
    let revoked = http()
        .post(format!("{}/oauth/revoke", sim.base_url()))
        .form(&[("token", refresh), ("token_type_hint", "refresh_token"), ("client_id", CLIENT)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert_eq!(whoami(&sim, renewed["access_token"].as_str().unwrap()).await.0, 401);
    // The personal token of the config works throughout.
    assert_eq!(whoami(&sim, "fl-personal-token").await.0, 200);
}

#[tokio::test]
async fn a_confidential_client_authenticates_with_basic_or_its_secret() {
    let sim = start().await;
    let challenge = s256_challenge(VERIFIER);
    let params: Vec<(&str, &str)> = good_params(&challenge)
        .into_iter()
        .map(|(n, v)| if n == "client_id" { (n, "portal-app") } else { (n, v) })
        .collect();
    let (_, pairs) = location(&authorize(&sim, &params).await);
    let code = param(&pairs, "code").unwrap().to_owned();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    // A wrong secret: 401 naming Basic, and the code is not spent by it.
    let refused = http()
        .post(format!("{}/oauth/token", sim.base_url()))
        .basic_auth("portal-app", Some("wrong"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert!(refused.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic"));
    let answered = http()
        .post(format!("{}/oauth/token", sim.base_url()))
        .basic_auth("portal-app", Some("s3cret"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 200);
    let tokens: Value = answered.json().await.unwrap();
    // Refresh with the secret in the body instead.
    let (status, renewed) = token(
        &sim,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", "portal-app"),
            ("client_secret", "s3cret"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    // Its live refresh token cannot be used or revoked by the public client.
    let live = renewed["refresh_token"].as_str().unwrap();
    let (status, body) =
        token(&sim, &[("grant_type", "refresh_token"), ("refresh_token", live), ("client_id", CLIENT)]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    let revoke = http()
        .post(format!("{}/oauth/revoke", sim.base_url()))
        .form(&[("token", live), ("client_id", CLIENT)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 400);
    let (status, _) = token(
        &sim,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", live),
            ("client_id", "portal-app"),
            ("client_secret", "s3cret"),
        ],
    )
    .await;
    assert_eq!(status, 200, "still live for its own client");
}
