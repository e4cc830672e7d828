//! OAuth: code flow with PKCE, refresh and revocation, the device grant, userinfo.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use url::Url;

use super::{Sim, ask, sim, sim_with};
use crate::simulator::SimConfig;

const REDIRECT: &str = "http://localhost:51121/oauth-callback";
const VERIFIER: &str = "a-very-random-verifier-string-that-is-long-enough-0123456789";

/// Runs the authorization page and returns the redirect's query pairs.
async fn authorize(s: &Sim, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut url = Url::parse(&format!("{}/o/oauth2/v2/auth", s.base)).unwrap();
    url.query_pairs_mut()
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("response_type", "code")
        .append_pair("state", "xyz")
        .extend_pairs(extra);
    let resp = s.http.get(url).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    let location = Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(REDIRECT), "{location}");
    location.query_pairs().into_owned().collect()
}

fn get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn challenge() -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()))
}

async fn code_with_pkce(s: &Sim) -> String {
    let challenge = challenge();
    let pairs = authorize(
        s,
        &[
            ("client_id", "test-client"),
            ("login_hint", "alice@example.com"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert_eq!(get(&pairs, "state"), Some("xyz"));
    get(&pairs, "code").unwrap().to_owned()
}

#[tokio::test]
async fn code_flow_with_pkce_issues_tokens_for_the_hinted_account() {
    let s = sim().await;
    let code = code_with_pkce(&s).await;
    let (status, body) = s
        .post_form(
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["refresh_token"], "sim-refresh-alice");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    let access = body["access_token"].as_str().unwrap();
    assert!(access.starts_with("sim-access-alice-"), "{access}");

    for path in ["/oauth2/v2/userinfo", "/oauth2/v1/userinfo"] {
        let resp = s
            .http
            .get(format!("{}{path}", s.base))
            .bearer_auth(access)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let info: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(info["email"], "alice@example.com");
        assert_eq!(info["given_name"], "Alice");
        assert!(info["picture"].as_str().unwrap().starts_with("https://"));
    }
    // The code is single-use.
    let (status, body) = s
        .post_form(
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(s.handle.stats().code_exchanges, 2);
}

#[tokio::test]
async fn a_wrong_or_missing_verifier_or_redirect_is_invalid_grant() {
    let s = sim().await;
    for (verifier, redirect) in [
        (Some("wrong-verifier"), REDIRECT),
        (None, REDIRECT),
        (Some(VERIFIER), "http://localhost:9/elsewhere"),
    ] {
        let code = code_with_pkce(&s).await;
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect),
        ];
        if let Some(v) = verifier {
            pairs.push(("code_verifier", v));
        }
        let (status, body) = s.post_form("/token", &pairs).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"], "invalid_grant", "{body}");
    }
}

#[tokio::test]
async fn blocked_clients_are_redirected_with_access_denied() {
    let s = sim().await;
    let pairs = authorize(&s, &[("client_id", "blocked-client")]).await;
    assert_eq!(get(&pairs, "error"), Some("access_denied"));
    assert_eq!(get(&pairs, "code"), None);
    assert_eq!(get(&pairs, "state"), Some("xyz"));
}

#[tokio::test]
async fn refresh_works_until_revoked() {
    let s = sim().await;
    let token = s.token("bob").await;
    assert!(token.starts_with("sim-access-bob-"));
    assert_eq!(s.handle.stats().token_refreshes, 1);

    s.handle.revoke("bob");
    let (status, body) = s
        .post_form(
            "/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", "sim-refresh-bob"),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(
        body["error_description"],
        "Token has been expired or revoked."
    );
    // Revocation also kills the access tokens already issued.
    let resp = s
        .http
        .get(format!("{}/oauth2/v2/userinfo", s.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    for bad in [
        "sim-refresh-revoked-carol",
        "not-a-sim-token",
        "sim-refresh-",
    ] {
        let (status, body) = s
            .post_form(
                "/token",
                &[("grant_type", "refresh_token"), ("refresh_token", bad)],
            )
            .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn expired_access_tokens_are_refused() {
    let s = sim_with(SimConfig {
        token_lifetime_secs: 0,
        ..SimConfig::default()
    })
    .await;
    let (status, body) = s.generate("alice", "claude-sonnet-4-6", ask("hi")).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["status"], "UNAUTHENTICATED");
}

async fn device_code(s: &Sim) -> (String, String) {
    let (status, body) = s
        .post_form("/device/code", &[("client_id", "c"), ("scope", "email")])
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["interval"], 1);
    assert_eq!(body["expires_in"], 300);
    assert_eq!(body["verification_url"], format!("{}/device", s.base));
    assert_eq!(body["verification_uri"], body["verification_url"]);
    (
        body["device_code"].as_str().unwrap().to_owned(),
        body["user_code"].as_str().unwrap().to_owned(),
    )
}

async fn poll(s: &Sim, device_code: &str) -> (u16, serde_json::Value) {
    s.post_form(
        "/token",
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", device_code),
            ("client_id", "c"),
        ],
    )
    .await
}

async fn visit(s: &Sim, user_code: &str, approve: &str) {
    let mut url = Url::parse(&format!("{}/device", s.base)).unwrap();
    url.query_pairs_mut().extend_pairs([
        ("user_code", user_code),
        ("approve", approve),
        ("login_hint", "dave"),
    ]);
    let resp = s.http.get(url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
}

const INTERVAL: Duration = Duration::from_millis(1050);

#[tokio::test]
async fn device_flow_pending_slow_down_then_approved() {
    let s = sim().await;
    let (device, user) = device_code(&s).await;
    let (status, body) = poll(&s, &device).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (428, Some("authorization_pending"))
    );
    let (_, body) = poll(&s, &device).await;
    assert_eq!(body["error"], "slow_down");
    tokio::time::sleep(INTERVAL).await;
    let (_, body) = poll(&s, &device).await;
    assert_eq!(body["error"], "authorization_pending");

    visit(&s, &user, "1").await;
    tokio::time::sleep(INTERVAL).await;
    let (status, body) = poll(&s, &device).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["refresh_token"], "sim-refresh-dave");
    assert!(
        body["access_token"]
            .as_str()
            .unwrap()
            .starts_with("sim-access-dave-")
    );
    tokio::time::sleep(INTERVAL).await;
    let (_, body) = poll(&s, &device).await;
    assert_eq!(body["error"], "invalid_grant", "a device code is used once");
}

#[tokio::test]
async fn device_flow_denied() {
    let s = sim().await;
    let (device, user) = device_code(&s).await;
    visit(&s, &user, "0").await;
    let (status, body) = poll(&s, &device).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("access_denied"))
    );
}

#[tokio::test]
async fn device_codes_expire() {
    let s = sim_with(SimConfig {
        device_code_lifetime: Duration::from_millis(150),
        ..SimConfig::default()
    })
    .await;
    let (status, body) = s.post_form("/device/code", &[("client_id", "c")]).await;
    assert_eq!(status, 200);
    assert_eq!(body["expires_in"], 1, "rounded up to whole seconds");
    let device = body["device_code"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(250)).await;
    let (status, body) = poll(&s, &device).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("expired_token"))
    );
}

#[tokio::test]
async fn userinfo_without_a_valid_token_is_401() {
    let s = sim().await;
    let resp = s
        .http
        .get(format!("{}/oauth2/v2/userinfo", s.base))
        .bearer_auth("sim-access-nobody-1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], 401);
}

#[tokio::test]
async fn the_antigravity_client_is_refused_without_its_secret_as_google_does() {
    use crate::config::{ANTIGRAVITY_CLIENT_ID, ANTIGRAVITY_CLIENT_SECRET};
    let s = sim().await;
    let refresh = [
        ("client_id", ANTIGRAVITY_CLIENT_ID),
        ("grant_type", "refresh_token"),
        ("refresh_token", "sim-refresh-alice"),
    ];
    // Google's exact answers: 400 for a missing secret, 401 for a wrong one.
    let (status, body) = s.post_form("/token", &refresh).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body,
        serde_json::json!({"error": "invalid_request", "error_description": "client_secret is missing."})
    );
    let with = |secret: &'static str| {
        let mut pairs = refresh.to_vec();
        pairs.insert(1, ("client_secret", secret));
        pairs
    };
    let (status, body) = s.post_form("/token", &with("GOCSPX-not-the-one")).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        body,
        serde_json::json!({"error": "invalid_client", "error_description": "Unauthorized"})
    );
    let (status, body) = s.post_form("/token", &with("")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let (status, body) = s
        .post_form("/token", &with(ANTIGRAVITY_CLIENT_SECRET))
        .await;
    assert_eq!(status, 200, "{body}");
    // Other clients are the caller's own: not judged.
    let (status, _) = s
        .post_form(
            "/token",
            &[
                ("client_id", "own.apps.googleusercontent.com"),
                ("grant_type", "refresh_token"),
                ("refresh_token", "sim-refresh-alice"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    // The lenient simulator lets the secret go.
    let lenient = sim_with(SimConfig::lenient()).await;
    let (status, _) = lenient.post_form("/token", &refresh).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn oauth_requests_are_recorded_as_they_looked_without_their_secrets() {
    let s = sim().await;
    let resp = s
        .http
        .post(format!("{}/token", s.base))
        .header("user-agent", "Go-http-client/1.1")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            "grant_type=refresh_token&refresh_token=sim-refresh-alice&client_id=c&client_secret=s",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let access = resp.json::<serde_json::Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    s.http
        .get(format!("{}/oauth2/v2/userinfo?alt=json", s.base))
        .bearer_auth(&access)
        .header("user-agent", "ua-for-userinfo")
        .send()
        .await
        .unwrap();
    let seen = s.handle.stats().oauth_requests;
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0].endpoint, "token");
    assert_eq!(seen[0].http_version, "HTTP/1.1");
    assert_eq!(seen[0].user_agent.as_deref(), Some("Go-http-client/1.1"));
    assert_eq!(
        seen[0].form_keys,
        ["grant_type", "refresh_token", "client_id", "client_secret"]
    );
    assert_eq!(
        seen[0].form_shape,
        "grant_type=refresh_token&refresh_token=*&client_id=c&client_secret=*"
    );
    assert!(seen[0].had_client_secret);
    assert_eq!(seen[1].endpoint, "userinfo");
    assert_eq!(seen[1].query.as_deref(), Some("alt=json"));
    assert_eq!(seen[1].user_agent.as_deref(), Some("ua-for-userinfo"));
    let text = format!("{seen:?}");
    assert!(
        !text.contains("sim-refresh-alice") && !text.contains("client_secret=s"),
        "{text}"
    );
}
