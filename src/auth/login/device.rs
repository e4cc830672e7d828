//! The RFC 8628 device authorization grant: ask for a device code, show the verification URL and
//! user code, then let the `oauth2` crate poll the token endpoint (at the server's interval,
//! five seconds slower after each `slow_down`) until the user approves, denies or the code
//! expires.
//!
//! The device-code request itself is made here, not by the crate: its response type rejects
//! answers that carry both `verification_uri` (RFC 8628) and `verification_url` (Google's
//! older name) as a "duplicate field", and servers do send both. Both go out like every token
//! request (`auth::token_http`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::Utc;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, ClientId, ClientSecret, DeviceCodeErrorResponseType, RequestTokenError,
    StandardDeviceAuthorizationResponse, TokenResponse as _, TokenUrl,
};
use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};
use serde_json::Value;
use tokio::time::{Instant, MissedTickBehavior};

use super::authcode::SCOPES;
use super::error::is_client_error;
use super::progress::{LoginMethod, LoginProgress, LoginPrompt, render_qr};
use super::{LoginContext, LoginError, LoginOptions, Reporter};
use crate::auth::{TokenGrant, token_http};

/// Google's device authorization endpoint, used by `--device` when none is configured.
pub const GOOGLE_DEVICE_AUTH_URL: &str = "https://oauth2.googleapis.com/device/code";

/// Runs the device grant up to the token grant.
pub(crate) async fn authorize(
    ctx: &LoginContext,
    options: &LoginOptions,
    progress: &Reporter,
) -> Result<TokenGrant, LoginError> {
    let device_url = ctx
        .google
        .device_auth_url
        .as_deref()
        .unwrap_or(GOOGLE_DEVICE_AUTH_URL);
    let details = request_device_code(ctx, device_url, options.device_poll_interval_secs).await?;
    let url = details.verification_uri().to_string();
    let complete = details
        .verification_uri_complete()
        .map(|u| u.secret().clone());
    let code_lifetime = details.expires_in();
    progress.send(LoginProgress::Prompt(LoginPrompt {
        method: LoginMethod::Device,
        qr: render_qr(complete.as_deref().unwrap_or(&url)),
        url,
        local_url: None,
        user_code: Some(details.user_code().secret().clone()),
        expires_at: Utc::now() + code_lifetime.min(options.wait()),
        accepts_paste: false,
    }));

    let client = BasicClient::new(ClientId::new(ctx.google.client_id.clone()))
        .set_auth_type(AuthType::RequestBody)
        .set_token_uri(TokenUrl::new(ctx.google.token_url.clone()).map_err(|e| {
            LoginError::Config(format!(
                "the token URL {:?} is invalid: {e}",
                ctx.google.token_url
            ))
        })?);
    let client = match ctx.google.secret() {
        Some(secret) => client.set_client_secret(ClientSecret::new(secret.to_owned())),
        None => client,
    };
    let http_client = send;
    let interval = Arc::new(AtomicU64::new(details.interval().as_secs()));
    let slow_down = progress.clone();
    // The crate hands every wait to this function: a longer wait than the last means the server
    // said `slow_down`.
    let sleep = move |wait: Duration| {
        if wait.as_secs() > interval.swap(wait.as_secs(), Ordering::Relaxed) {
            slow_down.send(LoginProgress::SlowDown {
                interval_secs: wait.as_secs(),
            });
        }
        tokio::time::sleep(wait)
    };
    let poll =
        client
            .exchange_device_access_token(&details)
            .request_async(&http_client, sleep, None);
    tokio::pin!(poll);

    let deadline = Instant::now() + code_lifetime.min(options.wait());
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let token = loop {
        tokio::select! {
            polled = &mut poll => break polled.map_err(poll_error)?,
            _ = ticks.tick() => progress.send(LoginProgress::Waiting {
                remaining_secs: deadline.saturating_duration_since(Instant::now()).as_secs(),
            }),
            // The code's own expiry ends the poll inside the crate; this is the caller's limit.
            () = tokio::time::sleep_until(deadline), if options.wait() < code_lifetime => {
                return Err(LoginError::TimedOut { secs: options.wait().as_secs() });
            }
        }
    };
    Ok(TokenGrant {
        access_token: token.access_token().secret().clone(),
        expires_in: token.expires_in().map(|d| d.as_secs()),
        refresh_token: token.refresh_token().map(|t| t.secret().clone()),
    })
}

/// `POST device_auth_url` with the client id and scopes (Google's shape: no client secret).
async fn request_device_code(
    ctx: &LoginContext,
    device_url: &str,
    poll_interval_secs: Option<u64>,
) -> Result<StandardDeviceAuthorizationResponse, LoginError> {
    let scope = SCOPES.join(" ");
    let form = [
        ("client_id", ctx.google.client_id.as_str()),
        ("scope", &scope),
    ];
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    let answer = token_http::post_form(device_url, &form, headers)
        .await
        .map_err(|e| LoginError::Token(format!("device code request {e}")))?;
    let status = answer.status;
    let body: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
    if !status.is_success() {
        let code = body.get("error").and_then(Value::as_str).unwrap_or("");
        let description = body
            .get("error_description")
            .and_then(Value::as_str)
            .unwrap_or("");
        let detail = match description {
            d if !d.is_empty() && !code.is_empty() => format!("{code}: {d}"),
            _ if !code.is_empty() => code.to_owned(),
            _ => format!("HTTP {status}"),
        };
        if is_client_error(status.as_u16(), code, description) {
            return Err(LoginError::ClientRefused {
                detail,
                device: true,
            });
        }
        return Err(LoginError::Token(format!("device code request: {detail}")));
    }
    let Value::Object(mut fields) = body else {
        return Err(LoginError::Token(
            "device code request: unreadable answer".into(),
        ));
    };
    if let Some(legacy) = fields.remove("verification_url") {
        fields.entry("verification_uri").or_insert(legacy);
    }
    if let Some(secs) = poll_interval_secs {
        fields.insert("interval".into(), secs.into());
    }
    serde_json::from_value(Value::Object(fields))
        .map_err(|e| LoginError::Token(format!("device code request: unexpected answer ({e})")))
}

/// Why the poll ended without tokens.
fn poll_error(e: RequestTokenError<HttpError, oauth2::DeviceCodeErrorResponse>) -> LoginError {
    match e {
        RequestTokenError::ServerResponse(r) => {
            let detail = match r.error_description() {
                Some(d) => format!("{}: {d}", r.error()),
                None => r.error().to_string(),
            };
            match r.error() {
                DeviceCodeErrorResponseType::AccessDenied => LoginError::DeviceDenied,
                DeviceCodeErrorResponseType::ExpiredToken => LoginError::DeviceExpired,
                _ if is_client_error(
                    400,
                    r.error().as_ref(),
                    r.error_description().map_or("", String::as_str),
                ) =>
                {
                    LoginError::ClientRefused {
                        detail,
                        device: true,
                    }
                }
                _ => LoginError::Token(detail),
            }
        }
        // Bodies are never quoted: a token response that failed to parse may hold a token.
        RequestTokenError::Parse(e, _) => {
            LoginError::Token(format!("unreadable token response ({})", e.path()))
        }
        RequestTokenError::Request(e) => LoginError::Token(e.0),
        RequestTokenError::Other(e) => LoginError::Token(e),
    }
}

/// A transport failure, described without the URL's query or any body.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct HttpError(String);

/// The `oauth2` crate's HTTP client: its token requests (always form POSTs) made the way every
/// token request is (`auth::token_http`: Go form encoding and User-Agent), the crate's own
/// headers (`Accept: application/json`) kept.
async fn send(request: oauth2::HttpRequest) -> Result<oauth2::HttpResponse, HttpError> {
    let (parts, body) = request.into_parts();
    if parts.method != oauth2::http::Method::POST {
        return Err(HttpError(format!("unexpected {} request", parts.method)));
    }
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let answer = token_http::post_form(&parts.uri.to_string(), &pairs, parts.headers)
        .await
        .map_err(HttpError)?;
    let mut builder = oauth2::http::Response::builder().status(answer.status);
    if let Some(headers) = builder.headers_mut() {
        headers.extend(answer.headers);
    }
    builder
        .body(answer.body.to_vec())
        .map_err(|e| HttpError(format!("bad response: {e}")))
}
