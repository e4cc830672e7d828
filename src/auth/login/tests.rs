//! Unit tests of the pure parts: PKCE, the authorization URL, and reading redirects and pasted
//! text.

use super::LoginError;
use super::authcode::{Callback, Pkce, SCOPES, authorization_url, random_state};
use crate::config::GoogleConfig;

#[test]
fn pkce_matches_the_rfc_7636_example() {
    // RFC 7636 appendix B.
    let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
    assert_eq!(
        pkce.challenge,
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    let random = Pkce::random();
    assert_eq!(random.verifier.len(), 43);
    assert_ne!(random.verifier, Pkce::random().verifier);
    assert_ne!(random_state(), random_state());
}

#[test]
fn authorization_url_asks_for_offline_access_with_consent_and_pkce() {
    let google = GoogleConfig::default();
    let pkce = Pkce::from_verifier("v".repeat(43));
    let url = authorization_url(
        &google,
        "http://localhost:51121/oauth-callback",
        "st4te",
        &pkce,
        Some(" me@example.com "),
    )
    .unwrap();
    assert!(
        url.starts_with("https://accounts.google.com/o/oauth2/v2/auth?"),
        "{url}"
    );
    let parsed = url::Url::parse(&url).unwrap();
    let q: std::collections::HashMap<_, _> = parsed.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], google.client_id);
    assert_eq!(q["redirect_uri"], "http://localhost:51121/oauth-callback");
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["scope"], SCOPES.join(" "));
    assert_eq!(q["access_type"], "offline");
    assert_eq!(q["prompt"], "consent");
    assert_eq!(q["state"], "st4te");
    assert_eq!(q["code_challenge"], pkce.challenge);
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["login_hint"], "me@example.com");

    let bad = GoogleConfig {
        auth_url: "not a url".into(),
        ..GoogleConfig::default()
    };
    let err = authorization_url(&bad, "http://localhost:1/", "s", &pkce, None).unwrap_err();
    assert!(matches!(err, LoginError::Config(_)), "{err}");
}

#[test]
fn pasted_redirect_urls_query_strings_and_bare_codes_are_read() {
    let full = "http://localhost:51121/oauth-callback?state=abc&code=4%2F0Ae-x_y&scope=email";
    assert_eq!(
        Callback::from_pasted(full),
        Ok(Callback::Code {
            code: "4/0Ae-x_y".into(),
            state: Some("abc".into())
        })
    );
    assert_eq!(
        Callback::from_pasted("  state=abc&code=4/0Ae#frag \n"),
        Ok(Callback::Code {
            code: "4/0Ae".into(),
            state: Some("abc".into())
        })
    );
    assert_eq!(
        Callback::from_pasted("'4/0AeanS0ExampleCode'"),
        Ok(Callback::Code {
            code: "4/0AeanS0ExampleCode".into(),
            state: None
        })
    );
    let refused =
        Callback::from_pasted("http://localhost:1/oauth-callback?error=access_denied&state=s")
            .unwrap();
    assert!(matches!(refused, Callback::Refused { ref error, .. } if error == "access_denied"));
    for junk in ["", "   ", "hello world", "https://example.com/", "short"] {
        assert!(Callback::from_pasted(junk).is_err(), "{junk:?}");
    }
    assert!(Callback::from_pasted("http://localhost:1/oauth-callback?code=").is_err());
}

#[test]
fn accepting_checks_the_state() {
    let ok = Callback::Code {
        code: "c".into(),
        state: Some("s1".into()),
    };
    assert_eq!(ok.clone().accept("s1"), Ok("c".into()));
    assert_eq!(ok.accept("s2"), Err(LoginError::StateMismatch));
    let bare = Callback::Code {
        code: "c".into(),
        state: None,
    };
    assert_eq!(bare.accept("s1"), Ok("c".into()));
    let refused = Callback::Refused {
        error: "access_denied".into(),
        description: None,
        state: Some("s1".into()),
    };
    let err = refused.accept("s1").unwrap_err();
    assert!(matches!(err, LoginError::ConsentDenied { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("access_denied") && msg.contains("ANTI_API_GOOGLE_CLIENT_ID"),
        "{msg}"
    );
}

#[test]
fn the_device_grant_is_chosen_when_asked_or_configured() {
    use super::{LoginMethod, LoginOptions};
    let mut google = GoogleConfig::default();
    let mut options = LoginOptions::default();
    assert_eq!(options.method(&google), LoginMethod::Browser);
    options.device = true;
    assert_eq!(options.method(&google), LoginMethod::Device);
    options.device = false;
    google.device_auth_url = Some("http://127.0.0.1:1/device/code".into());
    assert_eq!(options.method(&google), LoginMethod::Device);
}

#[test]
fn absurd_timeouts_are_cut_to_a_day() {
    use super::{LoginOptions, MAX_TIMEOUT};
    let options = LoginOptions {
        timeout: std::time::Duration::from_secs(u64::MAX),
        ..LoginOptions::default()
    };
    assert_eq!(options.wait(), MAX_TIMEOUT);
    assert_eq!(LoginOptions::default().wait().as_secs(), 300);
}
