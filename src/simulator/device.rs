//! The OAuth device authorization grant (RFC 8628): `/device/code`, the `/device` approval
//! page and the token endpoint's polling answers.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Version};
use axum::response::{Html, IntoResponse, Response};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::json;

use super::oauth::{
    DEFAULT_SCOPE, REFRESH_PREFIX, account_from_hint, invalid_grant, oauth_error, parse_form,
};
use super::oauth_client;
use super::state::{DeviceGrant, DeviceStatus, Shared};

pub(crate) const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// The polling interval clients are told to keep; polling faster gets `slow_down`.
const INTERVAL: Duration = Duration::from_secs(1);

/// `POST /device/code` (form `client_id`, `scope`).
pub(crate) async fn device_code(
    State(shared): State<Arc<Shared>>,
    version: Version,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    oauth_client::record(&shared, "device_code", version, &headers, None, Some(&body));
    let form = parse_form(&body);
    if form.get("client_id").is_none_or(String::is_empty) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The OAuth client was not found.",
        );
    }
    let lifetime = shared.config.device_code_lifetime;
    let mut st = shared.lock();
    let n = st.next_id();
    let device_code = format!("sim-device-code-{n}");
    let user_code = format!("SIMX-{n:04}");
    st.devices.insert(
        device_code.clone(),
        DeviceGrant {
            user_code: user_code.clone(),
            scope: form
                .get("scope")
                .cloned()
                .unwrap_or_else(|| DEFAULT_SCOPE.to_owned()),
            status: DeviceStatus::Pending,
            expires_at: Instant::now() + lifetime,
            last_poll: None,
        },
    );
    let verification = format!("{}/device", shared.base_url);
    Json(json!({
        "device_code": device_code,
        "user_code": user_code,
        "verification_url": verification,
        "verification_uri": verification,
        "expires_in": lifetime.as_secs() + u64::from(lifetime.subsec_nanos() > 0),
        "interval": INTERVAL.as_secs(),
    }))
    .into_response()
}

#[derive(Debug, Deserialize)]
pub(crate) struct ApproveQuery {
    user_code: Option<String>,
    approve: Option<String>,
    login_hint: Option<String>,
}

/// `GET /device?user_code=XXXX&approve=1|0[&login_hint=name]`. Without `approve` it shows a page
/// with both links.
pub(crate) async fn approve(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<ApproveQuery>,
) -> Response {
    let code = q.user_code.unwrap_or_default();
    let mut st = shared.lock();
    let Some(grant) = st
        .devices
        .values_mut()
        .find(|g| g.user_code.eq_ignore_ascii_case(code.trim()))
    else {
        return (StatusCode::NOT_FOUND, Html("<p>Unknown code.</p>")).into_response();
    };
    if grant.expires_at <= Instant::now() {
        return (StatusCode::GONE, Html("<p>This code has expired.</p>")).into_response();
    }
    if grant.status != DeviceStatus::Pending {
        return (
            StatusCode::CONFLICT,
            Html("<p>This code was already used.</p>"),
        )
            .into_response();
    }
    match q.approve.as_deref() {
        Some("1" | "true" | "yes") => {
            let name = q
                .login_hint
                .as_deref()
                .map_or("sim-device", account_from_hint);
            grant.status = DeviceStatus::Approved(name.to_owned());
            Html("<p>Approved. You may close this window.</p>").into_response()
        }
        Some(_) => {
            grant.status = DeviceStatus::Denied;
            Html("<p>Access denied.</p>").into_response()
        }
        None => Html(format!(
            "<p>Allow the device to access your account?</p>\
             <a href=\"?user_code={code}&approve=1\">Allow</a> \
             <a href=\"?user_code={code}&approve=0\">Deny</a>"
        ))
        .into_response(),
    }
}

/// The token endpoint's answer to a device-code poll. Statuses follow Google (428 pending,
/// 403 `slow_down`/`access_denied`); clients should key on the `error` field.
pub(crate) fn poll(shared: &Shared, form: &HashMap<String, String>) -> Response {
    let lifetime = shared.token_lifetime();
    let mut st = shared.lock();
    let code = form.get("device_code").map_or("", String::as_str);
    let now = Instant::now();
    let Some(grant) = st.devices.get_mut(code) else {
        return invalid_grant("Malformed device code.");
    };
    if grant.expires_at <= now {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "expired_token",
            "Expired device code.",
        );
    }
    let too_fast = grant
        .last_poll
        .is_some_and(|last| now.duration_since(last) < INTERVAL);
    grant.last_poll = Some(now);
    if too_fast {
        return oauth_error(StatusCode::FORBIDDEN, "slow_down", "Forbidden");
    }
    let name = match &grant.status {
        DeviceStatus::Pending => {
            return oauth_error(
                StatusCode::PRECONDITION_REQUIRED,
                "authorization_pending",
                "Precondition Required",
            );
        }
        DeviceStatus::Denied => {
            return oauth_error(StatusCode::FORBIDDEN, "access_denied", "Forbidden");
        }
        DeviceStatus::Approved(name) => name.clone(),
        DeviceStatus::Consumed => return invalid_grant("The device code was already used."),
    };
    grant.status = DeviceStatus::Consumed;
    let scope = grant.scope.clone();
    let access = st.issue_access_token(&name, lifetime);
    Json(json!({
        "access_token": access,
        "expires_in": lifetime.as_secs(),
        "refresh_token": format!("{REFRESH_PREFIX}{name}"),
        "scope": scope,
        "token_type": "Bearer",
    }))
    .into_response()
}
