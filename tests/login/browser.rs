//! The browser login: the redirect caught on loopback (as a local browser would), and the
//! redirect URL or bare code pasted back (as over SSH) while the listener keeps running.

use anti_api_tui::auth::login::{LoginMethod, LoginOptions, LoginProgress};

use super::support::{Harness, approve_elsewhere, browse, options, param, prompt, rest};

#[tokio::test]
async fn the_redirect_caught_on_loopback_logs_in_and_stores_the_account() {
    // The first callback port is taken: the login moves on to the next one.
    let busy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let busy_port = busy.local_addr().unwrap().port();
    let mut h = Harness::start().await;
    h.config.google.callback_ports = vec![busy_port, 0];
    let mut login = h.login(LoginOptions {
        login_hint: Some("alice@example.com".into()),
        ..options()
    });
    let p = prompt(&mut login).await;
    assert_eq!(p.method, LoginMethod::Browser);
    assert!(p.accepts_paste && p.user_code.is_none());
    assert!(!p.qr.is_empty());
    assert_eq!(param(&p.url, "access_type"), "offline");
    assert_eq!(param(&p.url, "prompt"), "consent");
    assert_eq!(param(&p.url, "code_challenge_method"), "S256");
    let redirect_uri = param(&p.url, "redirect_uri");
    let port: u16 = url::Url::parse(&redirect_uri).unwrap().port().unwrap();
    assert_ne!(port, busy_port);
    assert_eq!(
        redirect_uri,
        format!("http://localhost:{port}/oauth-callback")
    );

    // The short link redirects to Google, which redirects back to the listener.
    let local = p.local_url.clone().unwrap();
    assert_eq!(local, format!("http://localhost:{port}/"));
    let (status, page) = browse(&local).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("You can close this tab"), "{page}");

    let events = rest(&mut login).await;
    assert!(events.contains(&LoginProgress::Exchanging), "{events:?}");
    assert!(events.contains(&LoginProgress::Discovering), "{events:?}");
    let done = login.outcome().await.unwrap();
    assert_eq!(done.email, "alice@example.com");
    assert_eq!(done.project, "sim-project-alice");
    assert_eq!(events.last(), Some(&LoginProgress::Done(done.clone())));

    let stored = h.stored();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["id"], done.account_id.as_str());
    assert_eq!(stored[0]["email"], "alice@example.com");
    assert_eq!(stored[0]["refresh_token"], "sim-refresh-alice");
    assert_eq!(stored[0]["project"], "sim-project-alice");
    assert_eq!(h.sim.stats().code_exchanges, 1);
    drop(busy);
}

#[tokio::test]
async fn a_pasted_redirect_url_logs_in_while_the_listener_waits() {
    let h = Harness::start().await;
    let mut login = h.login(LoginOptions {
        login_hint: Some("bob".into()),
        ..options()
    });
    let p = prompt(&mut login).await;
    let redirect = approve_elsewhere(&p.url).await;
    assert!(redirect.starts_with("http://localhost:"), "{redirect}");
    login
        .paste_sender()
        .send(format!("  {redirect}\n"))
        .await
        .unwrap();
    rest(&mut login).await;
    let done = login.outcome().await.unwrap();
    assert_eq!(done.email, "bob@example.com");
    assert_eq!(h.stored()[0]["project"], "sim-project-bob");
}

#[tokio::test]
async fn a_pasted_bare_code_logs_in_and_junk_is_ignored() {
    let h = Harness::start().await;
    let mut login = h.login(LoginOptions {
        login_hint: Some("carol".into()),
        ..options()
    });
    let p = prompt(&mut login).await;
    let code = param(&approve_elsewhere(&p.url).await, "code");
    let paste = login.paste_sender();
    paste
        .send("I have no idea what to paste".into())
        .await
        .unwrap();
    paste.send(code).await.unwrap();
    let events = rest(&mut login).await;
    assert!(
        events.iter().any(
            |e| matches!(e, LoginProgress::PasteIgnored { reason } if reason.contains("code"))
        ),
        "{events:?}"
    );
    let done = login.outcome().await.unwrap();
    assert_eq!(done.email, "carol@example.com");
}

#[tokio::test]
async fn an_account_without_a_project_is_onboarded() {
    let h = Harness::start().await;
    let mut login = h.login(LoginOptions {
        login_hint: Some("newcomer".into()),
        ..options()
    });
    let p = prompt(&mut login).await;
    browse(&p.url).await;
    rest(&mut login).await;
    let done = login.outcome().await.unwrap();
    assert_eq!(done.project, "sim-project-newcomer");
    assert!(h.sim.stats().onboard_calls >= 1);
    assert_eq!(h.stored()[0]["project"], "sim-project-newcomer");
}

#[tokio::test]
async fn logging_in_again_replaces_the_account() {
    let h = Harness::start().await;
    for _ in 0..2 {
        let mut login = h.login(LoginOptions {
            login_hint: Some("dave".into()),
            ..options()
        });
        let p = prompt(&mut login).await;
        browse(&p.url).await;
        rest(&mut login).await;
        login.outcome().await.unwrap();
    }
    assert_eq!(h.stored().len(), 1);
}

#[tokio::test]
async fn completing_a_refresh_grant_keeps_the_known_refresh_token() {
    // What `accounts add --refresh-token` does: the refresh answer carries no new refresh token.
    let h = Harness::start().await;
    let ctx = h.context();
    let auth = anti_api_tui::auth::GoogleAuth::new(ctx.http.clone(), ctx.google.clone());
    let grant = auth.refresh("sim-refresh-henry").await.unwrap();
    assert!(grant.refresh_token.is_none());
    let done = anti_api_tui::auth::login::complete(&ctx, grant, Some("sim-refresh-henry"))
        .await
        .unwrap();
    assert_eq!(done.email, "henry@example.com");
    let stored = h.stored();
    assert_eq!(stored[0]["refresh_token"], "sim-refresh-henry");
    assert_eq!(stored[0]["project"], "sim-project-henry");
}
