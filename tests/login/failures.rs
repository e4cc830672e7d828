//! How the browser login fails: a foreign `state`, consent refused, every callback port busy,
//! no answer in time, no refresh token; and that nothing is stored then.

use std::time::Duration;

use anti_api_tui::auth::TokenGrant;
use anti_api_tui::auth::login::{self, LoginError, LoginOptions, LoginProgress};
use anti_api_tui::simulator::SimConfig;

use super::support::{Harness, approve_elsewhere, browse, options, prompt, rest};

/// The redirect URL with another `state`, as a forged or stale redirect would carry.
fn with_state(redirect: &str, state: &str) -> String {
    let mut url = url::Url::parse(redirect).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .into_owned()
        .map(|(k, v)| {
            if k == "state" {
                (k, state.to_owned())
            } else {
                (k, v)
            }
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    url.into()
}

#[tokio::test]
async fn a_redirect_with_a_foreign_state_is_refused_on_the_listener() {
    let h = Harness::start().await;
    let mut login = h.login(options());
    let p = prompt(&mut login).await;
    let forged = with_state(&approve_elsewhere(&p.url).await, "someone-elses-state");
    let (status, page) = browse(&forged).await;
    assert_eq!(status, 400);
    assert!(page.contains("state mismatch"), "{page}");
    let events = rest(&mut login).await;
    let err = login.outcome().await.unwrap_err();
    assert_eq!(err, LoginError::StateMismatch);
    assert!(err.to_string().contains("possible CSRF"), "{err}");
    assert!(
        matches!(events.last(), Some(LoginProgress::Failed { message }) if message.contains("CSRF"))
    );
    assert_eq!(
        h.sim.stats().code_exchanges,
        0,
        "a foreign code is never exchanged"
    );
    assert!(!h.accounts_file().exists());
}

#[tokio::test]
async fn a_pasted_redirect_with_a_foreign_state_is_refused() {
    let h = Harness::start().await;
    let mut login = h.login(options());
    let p = prompt(&mut login).await;
    let forged = with_state(&approve_elsewhere(&p.url).await, "stale");
    login.paste_sender().send(forged).await.unwrap();
    rest(&mut login).await;
    assert_eq!(
        login.outcome().await.unwrap_err(),
        LoginError::StateMismatch
    );
}

#[tokio::test]
async fn refused_consent_says_so_and_how_to_bring_a_client() {
    let h = Harness::start_with(SimConfig::default(), false, |c| {
        c.google.client_id = "blocked-client".into();
    })
    .await;
    let mut login = h.login(options());
    let p = prompt(&mut login).await;
    let (status, page) = browse(&p.url).await;
    assert_eq!(status, 200);
    assert!(page.contains("not completed"), "{page}");
    rest(&mut login).await;
    let err = login.outcome().await.unwrap_err();
    assert!(
        matches!(&err, LoginError::ConsentDenied { error, .. } if error == "access_denied"),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("access_denied"), "{msg}");
    assert!(
        msg.contains("ANTI_API_GOOGLE_CLIENT_ID") && msg.contains("ANTI_API_GOOGLE_CLIENT_SECRET"),
        "{msg}"
    );
    assert!(!h.accounts_file().exists());
}

#[tokio::test]
async fn busy_callback_ports_are_listed_with_the_windows_hint() {
    let a = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let b = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ports = vec![
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
    ];
    let mut h = Harness::start().await;
    h.config.google.callback_ports.clone_from(&ports);
    let mut login = h.login(options());
    let events = rest(&mut login).await;
    assert_eq!(events.len(), 1, "fails before any prompt: {events:?}");
    let err = login.outcome().await.unwrap_err();
    assert_eq!(
        err,
        LoginError::PortsBusy {
            ports: ports.clone()
        }
    );
    let msg = err.to_string();
    for port in &ports {
        assert!(msg.contains(&port.to_string()), "{msg}");
    }
    assert!(
        msg.contains("netsh interface ipv4 show excludedportrange protocol=tcp"),
        "{msg}"
    );
}

#[tokio::test]
async fn no_answer_in_time_is_a_timeout_with_a_countdown() {
    let h = Harness::start().await;
    let mut login = h.login(LoginOptions {
        timeout: Duration::from_secs(2),
        ..options()
    });
    let p = prompt(&mut login).await;
    let events = rest(&mut login).await;
    assert!(
        events.contains(&LoginProgress::Waiting { remaining_secs: 1 }),
        "{events:?}"
    );
    let err = login.outcome().await.unwrap_err();
    assert_eq!(err, LoginError::TimedOut { secs: 2 });
    assert!(err.to_string().contains("timed out after 2 s"), "{err}");
    // The listener is gone (its shutdown is asynchronous): the port stops answering.
    let local = p.local_url.unwrap();
    let mut gone = false;
    for _ in 0..500 {
        if reqwest::get(&local).await.is_err() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(gone, "{local} still answers");
}

#[tokio::test]
async fn cancelling_frees_the_callback_port() {
    let h = Harness::start().await;
    let mut login = h.login(options());
    let p = prompt(&mut login).await;
    login.cancel();
    assert_eq!(login.outcome().await.unwrap_err(), LoginError::Cancelled);
    let port = url::Url::parse(&p.local_url.unwrap())
        .unwrap()
        .port()
        .unwrap();
    // Shutdown is asynchronous; the port comes free within moments.
    let mut rebound = None;
    for _ in 0..500 {
        if let Ok(l) = tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
            rebound = Some(l);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(rebound.is_some(), "port {port} still taken");
}

#[tokio::test]
async fn a_grant_without_a_refresh_token_is_refused_with_the_remedy() {
    let h = Harness::start().await;
    let grant = TokenGrant {
        access_token: "unused".into(),
        expires_in: Some(3599),
        refresh_token: None,
    };
    let err = login::complete(&h.context(), grant, None)
        .await
        .unwrap_err();
    assert_eq!(err, LoginError::NoRefreshToken);
    assert!(
        err.to_string().contains("myaccount.google.com/permissions"),
        "{err}"
    );
    assert!(!h.accounts_file().exists());
}
