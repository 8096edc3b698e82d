//! Signing in against a real loopback authorization server (the
//! Freelancer-style reference marketplace's, which checks PKCE): the test
//! plays the browser, following the authorization redirect to the port the
//! sign-in listens on. Everything is on 127.0.0.1 and bounded in time.

use std::time::Duration;

use bidwell_market_sim::freelancer::{FreelancerConfig, FreelancerSim};
use bidwell_marketplace::oauth::{refresh, revoke, OAuthClient, OAuthServer, SignIn, SignInError};
use bidwell_marketplace::ApiToken;
use chrono::Utc;
use reqwest::{StatusCode, Url};

const WAIT: Duration = Duration::from_secs(20);

fn endpoints(sim: &FreelancerSim) -> OAuthServer {
    let base = sim.base_url();
    OAuthServer {
        authorize_url: Url::parse(&format!("{base}/oauth/authorize")).unwrap(),
        token_url: Url::parse(&format!("{base}/oauth/token")).unwrap(),
        revoke_url: Some(Url::parse(&format!("{base}/oauth/revoke")).unwrap()),
        scope: None,
    }
}

fn desktop_app() -> OAuthClient {
    OAuthClient { client_id: "bidwell-desktop".to_owned(), client_secret: None }
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(WAIT).build().unwrap()
}

/// What the browser does: open the URL, and follow the authorization
/// server's redirect to wherever it points.
async fn play_browser(url: Url) -> StatusCode {
    let answer = browser().get(url).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::FOUND, "the authorization server redirects back");
    let back = answer.headers()["location"].to_str().unwrap().to_owned();
    assert!(back.starts_with("http://127.0.0.1:"), "back to the loopback port: {back}");
    browser().get(back).send().await.unwrap().status()
}

/// `GET /api/users/0.1/self/` with `token`: the status and the user id.
async fn who_am_i(sim: &FreelancerSim, token: &ApiToken) -> (StatusCode, Option<u64>) {
    let answer = browser()
        .get(format!("{}/api/users/0.1/self/", sim.base_url()))
        .header("Freelancer-OAuth-V1", token.expose_secret())
        .send()
        .await
        .unwrap();
    let status = answer.status();
    let body: serde_json::Value = answer.json().await.unwrap();
    (status, body["result"]["id"].as_u64())
}

#[tokio::test]
async fn signing_in_refreshing_and_revoking_against_a_pkce_server() {
    let sim = FreelancerSim::start(FreelancerConfig::default()).await.unwrap();
    let sign_in = SignIn::start(endpoints(&sim), desktop_app()).await.unwrap();
    let url = sign_in.browser_url().clone();
    let query: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let has = |key: &str, value: &str| query.iter().any(|(k, v)| k == key && v == value);
    assert!(
        has("code_challenge_method", "S256") && has("response_type", "code") && has("client_id", "bidwell-desktop")
    );

    let finished = tokio::spawn(sign_in.finish(WAIT, Utc::now()));
    assert_eq!(play_browser(url).await, StatusCode::OK, "the browser gets a page saying it may close");
    let tokens = finished.await.unwrap().unwrap();
    assert!(tokens.expires_at.is_some_and(|at| at > Utc::now()));
    assert_eq!(who_am_i(&sim, &tokens.access_token).await, (StatusCode::OK, Some(sim.self_user().id)));

    // Refresh rotates: the new pair works, the spent refresh token does not.
    let spent = tokens.refresh_token.expect("a refresh token");
    let renewed = refresh(&endpoints(&sim), &desktop_app(), &spent, Utc::now()).await.unwrap();
    assert_eq!(who_am_i(&sim, &renewed.access_token).await.0, StatusCode::OK);
    let again = refresh(&endpoints(&sim), &desktop_app(), &spent, Utc::now()).await.unwrap_err();
    assert!(matches!(again, SignInError::Refused { ref error, .. } if error == "invalid_grant"), "{again}");

    // Revoked: the marketplace no longer takes it.
    assert!(revoke(&endpoints(&sim), &desktop_app(), &renewed.access_token).await.unwrap());
    assert_eq!(who_am_i(&sim, &renewed.access_token).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_answer_for_another_sign_in_is_refused_and_stray_requests_are_ignored() {
    let sim = FreelancerSim::start(FreelancerConfig::default()).await.unwrap();
    let sign_in = SignIn::start(endpoints(&sim), desktop_app()).await.unwrap();
    let port = sign_in.browser_url().query_pairs().find(|(k, _)| k == "redirect_uri").unwrap().1.into_owned();
    let callback = Url::parse(&port).unwrap();
    let finished = tokio::spawn(sign_in.finish(WAIT, Utc::now()));
    // A favicon first: not the callback, the wait goes on.
    let favicon = callback.join("/favicon.ico").unwrap();
    assert_eq!(browser().get(favicon).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let mut forged = callback.clone();
    forged.set_query(Some("code=stolen&state=not-ours"));
    assert_eq!(browser().get(forged).send().await.unwrap().status(), StatusCode::OK);
    assert!(matches!(finished.await.unwrap(), Err(SignInError::StateMismatch)));
}

#[tokio::test]
async fn a_browser_that_never_comes_back_ends_the_wait() {
    let sim = FreelancerSim::start(FreelancerConfig::default()).await.unwrap();
    let sign_in = SignIn::start(endpoints(&sim), desktop_app()).await.unwrap();
    let err = sign_in.finish(Duration::from_millis(50), Utc::now()).await.unwrap_err();
    assert!(matches!(err, SignInError::TimedOut(_)), "{err}");
}

/// PKCE holds: a code intercepted on its way back is useless without the
/// verifier that only the app has: the exchange with another verifier is refused.
#[tokio::test]
async fn a_code_exchanged_with_the_wrong_verifier_is_refused() {
    let sim = FreelancerSim::start(FreelancerConfig::default()).await.unwrap();
    let sign_in = SignIn::start(endpoints(&sim), desktop_app()).await.unwrap();
    let url = sign_in.browser_url().clone();
    let redirect_uri = url.query_pairs().find(|(k, _)| k == "redirect_uri").unwrap().1.into_owned();
    let answer = browser().get(url).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::FOUND);
    let back = Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap();
    let code = back.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    // Someone else with the code, but not the verifier.
    let forged_verifier = "x".repeat(43);
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", redirect_uri.as_str()),
        ("client_id", "bidwell-desktop"),
        ("code_verifier", forged_verifier.as_str()),
    ];
    let refused = browser().post(endpoints(&sim).token_url).form(&form).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant", "{body}");
    assert!(body["error_description"].as_str().unwrap().contains("code_verifier"), "{body}");
    drop(sign_in);
}
