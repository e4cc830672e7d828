//! Google OAuth: the authorization page (approves at once), the token endpoint (code exchange
//! with PKCE, refresh, and the device grant from `device.rs`) and userinfo.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, Version, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use url::Url;

use super::device;
use super::faults::unauthenticated;
use super::oauth_client;
use super::state::{AuthCode, Shared};

/// The refresh-token prefix; what follows is the account name.
pub(crate) const REFRESH_PREFIX: &str = "sim-refresh-";
/// The client id whose authorization requests are always refused.
pub(crate) const BLOCKED_CLIENT: &str = "blocked-client";
/// The scopes granted when a request does not name any (Antigravity's set).
pub(crate) const DEFAULT_SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform \
     https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile \
     https://www.googleapis.com/auth/cclog https://www.googleapis.com/auth/experimentsandconfigs";

#[derive(Debug, Deserialize)]
pub(crate) struct AuthQuery {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    scope: Option<String>,
    response_type: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    login_hint: Option<String>,
}

/// `GET /o/oauth2/v2/auth`: no consent screen, the user approves at once. The account is
/// `login_hint` (default "sim-user"); `client_id=blocked-client` is refused with
/// `error=access_denied`.
pub(crate) async fn authorize(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<AuthQuery>,
) -> Response {
    let Some(mut redirect) = q.redirect_uri.as_deref().and_then(|u| Url::parse(u).ok()) else {
        return (
            StatusCode::BAD_REQUEST,
            "Error 400: invalid_request\nMissing or invalid parameter: redirect_uri",
        )
            .into_response();
    };
    let refusal = if q.client_id.as_deref() == Some(BLOCKED_CLIENT) {
        Some("access_denied")
    } else if q.response_type.as_deref().is_some_and(|t| t != "code") {
        Some("unsupported_response_type")
    } else if q
        .code_challenge_method
        .as_deref()
        .is_some_and(|m| m != "S256" && m != "plain")
    {
        Some("invalid_request")
    } else {
        None
    };
    {
        let mut pairs = redirect.query_pairs_mut();
        if let Some(error) = refusal {
            pairs.append_pair("error", error);
        } else {
            let name = q
                .login_hint
                .as_deref()
                .map_or("sim-user", account_from_hint);
            let scope = q.scope.clone().unwrap_or_else(|| DEFAULT_SCOPE.to_owned());
            let mut st = shared.lock();
            let code = format!("sim-code-{}", st.next_id());
            let challenge = q.code_challenge.clone().map(|c| {
                let method = q
                    .code_challenge_method
                    .clone()
                    .unwrap_or_else(|| "plain".into());
                (c, method)
            });
            st.codes.insert(
                code.clone(),
                AuthCode {
                    name: name.to_owned(),
                    redirect_uri: q.redirect_uri.clone().unwrap_or_default(),
                    scope: scope.clone(),
                    challenge,
                },
            );
            pairs
                .append_pair("code", &code)
                .append_pair("scope", &scope);
        }
        if let Some(state) = &q.state {
            pairs.append_pair("state", state);
        }
    }
    (
        StatusCode::FOUND,
        [(header::LOCATION, redirect.to_string())],
    )
        .into_response()
}

/// `alice@example.com` and `alice` both mean account "alice".
pub(crate) fn account_from_hint(hint: &str) -> &str {
    hint.split('@').next().unwrap_or(hint)
}

/// `POST /token`, form-encoded: recorded, the client checked (strict mode), then dispatched on
/// `grant_type`.
pub(crate) async fn token(
    State(shared): State<Arc<Shared>>,
    version: Version,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    oauth_client::record(&shared, "token", version, &headers, None, Some(&body));
    let form = parse_form(&body);
    if let Some(refused) = oauth_client::refusal(&shared, &form) {
        return refused;
    }
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => exchange_code(&shared, &form),
        Some("refresh_token") => refresh(&shared, &form),
        Some(device::DEVICE_GRANT) => device::poll(&shared, &form),
        Some(other) => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("Invalid grant_type: {other}"),
        ),
        None => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: grant_type",
        ),
    }
}

pub(crate) fn parse_form(body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

pub(crate) fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

fn exchange_code(shared: &Shared, form: &HashMap<String, String>) -> Response {
    let mut st = shared.lock();
    st.stats.code_exchanges += 1;
    let code = form.get("code").map_or("", String::as_str);
    // Codes are single-use: a failed attempt burns the code too, as a guard against guessing.
    let Some(grant) = st.codes.remove(code) else {
        return invalid_grant("Malformed auth code.");
    };
    if form.get("redirect_uri") != Some(&grant.redirect_uri) {
        return invalid_grant("redirect_uri does not match the authorization request.");
    }
    if let Some((challenge, method)) = &grant.challenge {
        let Some(verifier) = form.get("code_verifier") else {
            return invalid_grant("Missing code verifier.");
        };
        let expected = if method == "S256" {
            URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
        } else {
            verifier.clone()
        };
        if &expected != challenge {
            return invalid_grant("Invalid code verifier.");
        }
    }
    let access = st.issue_access_token(&grant.name, shared.token_lifetime());
    Json(json!({
        "access_token": access,
        "expires_in": shared.config.token_lifetime_secs,
        "refresh_token": format!("{REFRESH_PREFIX}{}", grant.name),
        "scope": grant.scope,
        "token_type": "Bearer",
    }))
    .into_response()
}

fn refresh(shared: &Shared, form: &HashMap<String, String>) -> Response {
    let mut st = shared.lock();
    st.stats.token_refreshes += 1;
    let Some(token) = form.get("refresh_token") else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: refresh_token",
        );
    };
    let name = token.strip_prefix(REFRESH_PREFIX).unwrap_or_default();
    if name.is_empty() || st.account(name).revoked {
        return invalid_grant("Token has been expired or revoked.");
    }
    let access = st.issue_access_token(name, shared.token_lifetime());
    Json(json!({
        "access_token": access,
        "expires_in": shared.config.token_lifetime_secs,
        "scope": DEFAULT_SCOPE,
        "token_type": "Bearer",
    }))
    .into_response()
}

pub(crate) fn invalid_grant(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

/// The bearer token of a request, if any.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// `GET /oauth2/v2/userinfo` and `/oauth2/v1/userinfo`.
pub(crate) async fn userinfo(
    State(shared): State<Arc<Shared>>,
    version: Version,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    oauth_client::record(
        &shared,
        "userinfo",
        version,
        &headers,
        query.as_deref(),
        None,
    );
    let owner = bearer(&headers).and_then(|t| shared.lock().token_owner(t));
    let Some(name) = owner else {
        return unauthenticated();
    };
    let given = capitalise(&name);
    let id: u64 = name.bytes().fold(1_000_000_007, |h, b| {
        h.wrapping_mul(31).wrapping_add(u64::from(b))
    });
    Json(json!({
        "id": (id % 10u64.pow(18)).to_string(),
        "email": format!("{name}@example.com"),
        "verified_email": true,
        "name": format!("{given} Simulated"),
        "given_name": given,
        "family_name": "Simulated",
        "picture": format!("https://example.com/avatars/{name}.png"),
    }))
    .into_response()
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}
