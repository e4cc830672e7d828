//! The OAuth client a fresh install uses: the built-in Antigravity client with its secret, for
//! the login and every refresh; an own client id never gets that secret.

use std::time::Duration;

use anti_api_tui::accounts::{AccountPool, AccountRecord};
use anti_api_tui::auth::GoogleAuth;
use anti_api_tui::config::ANTIGRAVITY_CLIENT_ID;
use anti_api_tui::events::Bus;
use anti_api_tui::simulator::{OAuthRequestSeen, SimConfig};
use chrono::Utc;

use super::binary;
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

/// Two accounts in memory, with an auth for `h`'s configuration.
fn pool_and_auth(h: &Harness, names: &[&str]) -> (AccountPool, GoogleAuth, Vec<String>) {
    let records: Vec<AccountRecord> = names
        .iter()
        .map(|n| {
            AccountRecord::new(
                &format!("{n}@example.com"),
                &format!("sim-refresh-{n}"),
                Utc::now(),
            )
        })
        .collect();
    let ids = records.iter().map(|r| r.id.clone()).collect();
    let pool = AccountPool::in_memory(records, h.config.accounts.clone(), Bus::new());
    let ctx = h.context();
    (
        pool,
        GoogleAuth::new(ctx.http.clone(), ctx.google.clone()),
        ids,
    )
}

#[tokio::test]
async fn a_refused_client_is_a_configuration_error_and_no_accounts_fault() {
    for (secret, google_said) in [
        ("", "client_secret is missing."),
        ("GOCSPX-not-the-right-one", "invalid_client: Unauthorized"),
    ] {
        let h = Harness::start_with(SimConfig::default(), false, |c| {
            c.google.client_secret = Some(secret.into());
        })
        .await;
        let (pool, auth, ids) = pool_and_auth(&h, &["alice", "bob"]);
        let err = pool.access_token(&ids[0], &auth, true).await.unwrap_err();
        assert!(err.is_config(), "{err:?}");
        let msg = err.to_string();
        for needle in [
            google_said,
            "[google]",
            "config.toml",
            "ANTI_API_GOOGLE_CLIENT_SECRET",
        ] {
            assert!(msg.contains(needle), "{needle}: {msg}");
        }
        assert!(!msg.contains("log in again"), "{msg}");
        // Not the account's fault: it does not need a login and is still usable.
        let alice = pool.get(&ids[0]).unwrap();
        assert_eq!(alice.needs_login, None);
        assert_eq!(alice.status(Utc::now()).as_str(), "ok");
        // Not retried: neither this account nor the next asks Google again.
        let asked = token_requests(&h).len();
        assert_eq!(asked, 1);
        for id in [&ids[0], &ids[1]] {
            let again = pool.access_token(id, &auth, true).await.unwrap_err();
            assert!(again.is_config(), "{again:?}");
        }
        assert_eq!(
            token_requests(&h).len(),
            asked,
            "the refusal was asked again"
        );
        assert_eq!(pool.get(&ids[1]).unwrap().needs_login, None);
    }
}

#[tokio::test]
async fn a_revoked_grant_still_needs_a_login() {
    let h = Harness::start().await;
    let (pool, auth, ids) = pool_and_auth(&h, &["carol"]);
    h.sim.revoke("carol");
    let err = pool.access_token(&ids[0], &auth, true).await.unwrap_err();
    assert!(!err.is_config(), "{err:?}");
    assert!(err.to_string().contains("log in again"), "{err}");
    assert!(pool.get(&ids[0]).unwrap().needs_login.is_some());
}

#[tokio::test]
async fn accounts_add_with_a_refused_client_says_what_to_configure() {
    let h = Harness::start().await;
    let home = tempfile::tempdir().unwrap();
    let mut add = binary::against_simulator(home.path(), &h.sim.base_url());
    add.env(
        "ANTI_API_GOOGLE_CLIENT_SECRET",
        "GOCSPX-a-wrong-secret-value",
    )
    .args(["accounts", "add", "--refresh-token", "sim-refresh-dora"]);
    let out = tokio::task::spawn_blocking(move || binary::run(add, Duration::from_secs(60)))
        .await
        .unwrap();
    assert!(out.status.is_some_and(|s| !s.success()), "{}", out.stdout);
    for needle in [
        "invalid_client",
        "[google]",
        "ANTI_API_GOOGLE_CLIENT_SECRET",
    ] {
        assert!(out.stderr.contains(needle), "{needle}: {}", out.stderr);
    }
    assert!(!out.stderr.contains("GOCSPX-a-wrong"), "{}", out.stderr);
    assert!(
        !home.path().join("data/accounts.json").exists() || {
            let text = std::fs::read_to_string(home.path().join("data/accounts.json")).unwrap();
            !text.contains("dora")
        }
    );
}

#[tokio::test]
async fn token_and_userinfo_requests_look_like_the_real_clients() {
    let h = Harness::start().await;
    let mut login = h.login(options());
    let p = prompt(&mut login).await;
    browse(&p.url).await;
    rest(&mut login).await;
    login.outcome().await.unwrap();
    let ctx = h.context();
    GoogleAuth::new(ctx.http.clone(), ctx.google.clone())
        .refresh("sim-refresh-sim-user")
        .await
        .unwrap();
    let seen = h.sim.stats().oauth_requests;
    let tokens: Vec<_> = seen.iter().filter(|r| r.endpoint == "token").collect();
    assert_eq!(tokens.len(), 2, "{seen:?}");
    for request in &tokens {
        // Go's default client names the HTTP version the request really went over.
        let version = request.http_version.trim_start_matches("HTTP/");
        assert_eq!(
            request.user_agent.as_deref(),
            Some(format!("Go-http-client/{version}").as_str()),
            "{request:?}"
        );
        assert_eq!(
            request.http_version, "HTTP/1.1",
            "clear text is HTTP/1.1, as in Go"
        );
    }
    // `url.Values.Encode()` order: sorted by key.
    assert_eq!(
        tokens[0].form_keys,
        [
            "client_id",
            "client_secret",
            "code",
            "code_verifier",
            "grant_type",
            "redirect_uri"
        ]
    );
    assert_eq!(
        tokens[1].form_shape,
        format!(
            "client_id={ANTIGRAVITY_CLIENT_ID}&client_secret=*&grant_type=refresh_token\
             &refresh_token=*"
        )
    );
    // Userinfo: the Antigravity User-Agent of the Cloud Code calls, `alt=json` as CPA sends.
    let userinfo = seen.iter().find(|r| r.endpoint == "userinfo").unwrap();
    assert_eq!(
        userinfo.user_agent.as_deref(),
        Some(h.config.user_agent().as_str())
    );
    assert_eq!(userinfo.query.as_deref(), Some("alt=json"));
}
