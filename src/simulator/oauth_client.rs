//! The token endpoint's checks of the OAuth client itself (strict mode) and the record of how
//! each OAuth request looked on the wire (`SimStats::oauth_requests`), so tests can assert the
//! User-Agent, the HTTP version and the form's field order the proxy sends.

use std::collections::HashMap;

use axum::http::{HeaderMap, StatusCode, Version, header};
use axum::response::Response;

use super::oauth::oauth_error;
use super::state::{OAUTH_REQUEST_CAP, OAuthRequestSeen, Shared};
use crate::config::{ANTIGRAVITY_CLIENT_ID, ANTIGRAVITY_CLIENT_SECRET};

/// Form fields whose values are shown in `OAuthRequestSeen::form_shape`; all others are secrets
/// or one-off values and show as `*`.
const SHOWN_FIELDS: [&str; 2] = ["grant_type", "client_id"];

/// Keeps what `endpoint` received (`body` is the form, if the request has one).
pub(crate) fn record(
    shared: &Shared,
    endpoint: &str,
    version: Version,
    headers: &HeaderMap,
    query: Option<&str>,
    body: Option<&[u8]>,
) {
    let text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let pairs: Vec<(String, String)> = body
        .map(|b| url::form_urlencoded::parse(b).into_owned().collect())
        .unwrap_or_default();
    let value = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let seen = OAuthRequestSeen {
        endpoint: endpoint.to_owned(),
        http_version: format!("{version:?}"),
        user_agent: text(header::USER_AGENT),
        accept: text(header::ACCEPT),
        form_keys: pairs.iter().map(|(k, _)| k.clone()).collect(),
        form_shape: body.map(form_shape).unwrap_or_default(),
        grant_type: value("grant_type"),
        client_id: value("client_id"),
        had_client_secret: value("client_secret").is_some_and(|s| !s.is_empty()),
        query: query.map(str::to_owned),
    };
    let mut st = shared.lock();
    let kept = &mut st.stats.oauth_requests;
    if kept.len() >= OAUTH_REQUEST_CAP {
        kept.remove(0);
    }
    kept.push(seen);
}

/// The raw body with the values of secret-bearing fields replaced by `*`, byte for byte
/// otherwise (the encoding of the shown values and of every key is kept).
fn form_shape(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if SHOWN_FIELDS.contains(&k) => format!("{k}={v}"),
            Some((k, _)) => format!("{k}=*"),
            None => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Google's answer when the token request's client cannot be authenticated, in strict mode:
/// the Antigravity client without its secret or with a wrong one.
/// The bodies are Google's own (400 `invalid_request` "`client_secret` is missing." as reported
/// for this very client in xiufengsun/TokenTracker#610; 401 `invalid_client` "Unauthorized"
/// for a wrong secret, hybridauth/hybridauth#973). Other client ids are the caller's own and
/// are not judged.
pub(crate) fn refusal(shared: &Shared, form: &HashMap<String, String>) -> Option<Response> {
    if !shared.config.strict {
        return None;
    }
    if form.get("client_id").map(String::as_str) != Some(ANTIGRAVITY_CLIENT_ID) {
        return None;
    }
    match form.get("client_secret").map(String::as_str) {
        None | Some("") => Some(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "client_secret is missing.",
        )),
        Some(secret) if secret != ANTIGRAVITY_CLIENT_SECRET => Some(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Unauthorized",
        )),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shape_hides_every_value_but_the_grant_and_the_client() {
        assert_eq!(
            form_shape(
                b"client_id=abc.apps&client_secret=GOCSPX-x&grant_type=refresh_token&refresh_token=1%2F%2F0g"
            ),
            "client_id=abc.apps&client_secret=*&grant_type=refresh_token&refresh_token=*"
        );
    }
}
