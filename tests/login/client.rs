//! The OAuth client a fresh install uses: the built-in Antigravity client with its secret, for
//! the login and every refresh; an own client id never gets that secret.

use anti_api_tui::auth::GoogleAuth;
use anti_api_tui::config::ANTIGRAVITY_CLIENT_ID;
use anti_api_tui::simulator::{OAuthRequestSeen, SimConfig};

use super::support::{Harness, browse, options, prompt, rest};

fn token_requests(h: &Harness) -> Vec<OAuthRequestSeen> {
    h.sim
        .stats()
        .oauth_requests
        .into_iter()
        .filter(|r| r.endpoint == "token")
        .collect()
}

#[tokio::test]
async fn a_fresh_install_logs_in_and_refreshes_with_the_builtin_client() {
    // Nothing configured: the defaults alone must get past Google's client check.
    let h = Harness::start().await;
    let mut login = h.login(options());
    let p = prompt(&mut login).await;
    browse(&p.url).await;
    rest(&mut login).await;
    let done = login.outcome().await.unwrap();
    assert_eq!(done.email, "sim-user@example.com");
    let ctx = h.context();
    let auth = GoogleAuth::new(ctx.http.clone(), ctx.google.clone());
    auth.refresh("sim-refresh-sim-user").await.unwrap();
    let seen = token_requests(&h);
    let grants: Vec<_> = seen.iter().map(|r| r.grant_type.as_deref()).collect();
    assert_eq!(
        grants,
        [Some("authorization_code"), Some("refresh_token")],
        "{seen:?}"
    );
    for request in &seen {
        assert_eq!(request.client_id.as_deref(), Some(ANTIGRAVITY_CLIENT_ID));
        assert!(request.had_client_secret, "{request:?}");
    }
}

#[tokio::test]
async fn an_own_client_id_never_gets_the_antigravity_secret() {
    let h = Harness::start_with(SimConfig::default(), false, |c| {
        // Only the id, as a user would write it in config.toml: the secret stays the default.
        c.google.client_id = "own-client.apps.googleusercontent.com".into();
    })
    .await;
    let ctx = h.context();
    let auth = GoogleAuth::new(ctx.http.clone(), ctx.google.clone());
    auth.refresh("sim-refresh-olga").await.unwrap();
    let seen = token_requests(&h);
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].client_id.as_deref(),
        Some("own-client.apps.googleusercontent.com")
    );
    assert!(!seen[0].had_client_secret, "{:?}", seen[0]);
    assert!(!seen[0].form_keys.iter().any(|k| k == "client_secret"));
}

#[tokio::test]
async fn the_antigravity_client_without_its_secret_is_refused() {
    let h = Harness::start_with(SimConfig::default(), false, |c| {
        c.google.client_secret = Some(String::new());
    })
    .await;
    let ctx = h.context();
    let auth = GoogleAuth::new(ctx.http.clone(), ctx.google.clone());
    let err = auth.refresh("sim-refresh-olga").await.unwrap_err();
    assert!(
        err.to_string().contains("client_secret is missing"),
        "{err}"
    );
}
