//! The RFC 8628 device grant against the simulator: approval, `slow_down`, denial, expiry, a
//! client the device endpoint refuses; and the QR code the prompt draws for Google's
//! verification URL.

use std::time::Duration;

use anti_api_tui::auth::login::{
    LoginError, LoginHandle, LoginMethod, LoginOptions, LoginProgress, render_qr,
};
use anti_api_tui::simulator::SimConfig;

use super::support::{Harness, next, options, prompt, rest};

/// Answers the simulator's verification page as the user would.
async fn decide(h: &Harness, user_code: &str, approve: bool, name: &str) {
    let url = format!(
        "{}/device?user_code={user_code}&approve={}&login_hint={name}",
        h.sim.base_url(),
        u8::from(approve)
    );
    let resp = reqwest::get(url).await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
}

async fn user_code(login: &mut LoginHandle) -> String {
    let p = prompt(login).await;
    assert_eq!(p.method, LoginMethod::Device);
    assert!(!p.accepts_paste && p.local_url.is_none());
    assert!(p.url.ends_with("/device"), "{}", p.url);
    assert!(!p.qr.is_empty());
    p.user_code.expect("a user code")
}

#[tokio::test]
async fn an_approved_device_code_logs_in() {
    let h = Harness::device(SimConfig::default()).await;
    let mut login = h.login(options());
    let code = user_code(&mut login).await;
    assert!(code.starts_with("SIMX-"), "{code}");
    decide(&h, &code, true, "erin").await;
    let events = rest(&mut login).await;
    assert!(events.contains(&LoginProgress::Discovering), "{events:?}");
    let done = login.outcome().await.unwrap();
    assert_eq!(done.email, "erin@example.com");
    assert_eq!(done.project, "sim-project-erin");
    let stored = h.stored();
    assert_eq!(stored[0]["refresh_token"], "sim-refresh-erin");
    assert_eq!(stored[0]["project"], "sim-project-erin");
    // Both device requests go out like every token request: Go's User-Agent, sorted form.
    let seen = h.sim.stats().oauth_requests;
    let device = seen.iter().find(|r| r.endpoint == "device_code").unwrap();
    assert_eq!(device.form_keys, ["client_id", "scope"]);
    assert_eq!(device.user_agent.as_deref(), Some("Go-http-client/1.1"));
    let poll = seen.iter().find(|r| r.endpoint == "token").unwrap();
    assert_eq!(
        poll.form_keys,
        ["client_id", "client_secret", "device_code", "grant_type"]
    );
    assert_eq!(poll.user_agent.as_deref(), Some("Go-http-client/1.1"));
}

#[tokio::test]
async fn polling_too_fast_gets_slow_down_and_backs_off() {
    let h = Harness::device(SimConfig::default()).await;
    // Interval 0 polls back to back; the simulator wants a second between polls.
    let mut login = h.login(LoginOptions {
        device_poll_interval_secs: Some(0),
        ..options()
    });
    let code = user_code(&mut login).await;
    loop {
        match next(&mut login).await {
            Some(LoginProgress::SlowDown { interval_secs }) => {
                assert_eq!(interval_secs, 5, "RFC 8628: five seconds more");
                break;
            }
            Some(e) if e.is_final() => panic!("ended before slow_down: {e:?}"),
            Some(_) => {}
            None => panic!("ended before slow_down"),
        }
    }
    decide(&h, &code, true, "frank").await;
    rest(&mut login).await;
    assert_eq!(login.outcome().await.unwrap().email, "frank@example.com");
}

#[tokio::test]
async fn a_denied_device_code_fails() {
    let h = Harness::device(SimConfig::default()).await;
    let mut login = h.login(options());
    let code = user_code(&mut login).await;
    decide(&h, &code, false, "gina").await;
    let events = rest(&mut login).await;
    assert!(matches!(events.last(), Some(LoginProgress::Failed { .. })));
    let err = login.outcome().await.unwrap_err();
    assert_eq!(err, LoginError::DeviceDenied);
    assert!(!h.accounts_file().exists());
}

#[tokio::test]
async fn an_expired_device_code_fails() {
    let h = Harness::device(SimConfig {
        device_code_lifetime: Duration::from_secs(2),
        ..SimConfig::default()
    })
    .await;
    let mut login = h.login(options());
    user_code(&mut login).await;
    rest(&mut login).await;
    let err = login.outcome().await.unwrap_err();
    assert_eq!(err, LoginError::DeviceExpired);
    assert!(err.to_string().contains("expired"), "{err}");
}

#[tokio::test]
async fn a_client_the_device_endpoint_refuses_gets_the_own_client_advice() {
    let h = Harness::start_with(SimConfig::default(), true, |c| {
        c.google.client_id = String::new();
    })
    .await;
    let mut login = h.login(options());
    let events = rest(&mut login).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let err = login.outcome().await.unwrap_err();
    assert!(
        matches!(err, LoginError::ClientRefused { device: true, .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("invalid_client"), "{msg}");
    assert!(msg.contains("TVs and Limited Input devices"), "{msg}");
    assert!(msg.contains("ANTI_API_GOOGLE_CLIENT_ID"), "{msg}");
}

#[test]
fn the_qr_code_of_googles_verification_url() {
    insta::assert_snapshot!(render_qr("https://www.google.com/device"));
}
