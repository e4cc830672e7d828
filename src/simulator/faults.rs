//! The faults the simulator can inject and the Google RPC error envelopes it answers with.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The delay a `QuotaExhausted` fault reports, as the real upstream spells it: "1h16m0.667s".
pub(crate) const QUOTA_RESET_DELAY: Duration = Duration::from_millis(4_560_667);
const RATE_LIMIT_DELAY: Duration = Duration::from_nanos(479_417_207);
const DOMAIN: &str = "cloudcode-pa.googleapis.com";
pub(crate) const VERSION_REJECTED_TEXT: &str = "This version of Antigravity is no longer supported. Please update to receive the latest features!";

/// Something that goes wrong on a generate call, on demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Fault {
    QuotaExhausted,
    RateLimited,
    Capacity,
    ResourceExhausted,
    Unauthorized,
    TermsOfService,
    StaleProject,
    BadRequest,
    ServerError,
    Unavailable,
    DisconnectMidStream,
    Stall,
    EmptyStream,
    VersionRejected,
    /// 403 `VALIDATION_REQUIRED` with a verification link (gcli2api #382).
    ValidationRequired,
}

impl Fault {
    pub const ALL: [Fault; 15] = [
        Self::QuotaExhausted,
        Self::RateLimited,
        Self::Capacity,
        Self::ResourceExhausted,
        Self::Unauthorized,
        Self::TermsOfService,
        Self::StaleProject,
        Self::BadRequest,
        Self::ServerError,
        Self::Unavailable,
        Self::DisconnectMidStream,
        Self::Stall,
        Self::EmptyStream,
        Self::VersionRejected,
        Self::ValidationRequired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::QuotaExhausted => "quota_exhausted",
            Self::RateLimited => "rate_limited",
            Self::Capacity => "capacity",
            Self::ResourceExhausted => "resource_exhausted",
            Self::Unauthorized => "unauthorized",
            Self::TermsOfService => "terms_of_service",
            Self::StaleProject => "stale_project",
            Self::BadRequest => "bad_request",
            Self::ServerError => "server_error",
            Self::Unavailable => "unavailable",
            Self::DisconnectMidStream => "disconnect",
            Self::Stall => "stall",
            Self::EmptyStream => "empty_stream",
            Self::VersionRejected => "version_rejected",
            Self::ValidationRequired => "validation_required",
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault '{0}'")]
pub struct UnknownFault(pub String);

impl FromStr for Fault {
    type Err = UnknownFault;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| UnknownFault(s.to_owned()))
    }
}

impl TryFrom<String> for Fault {
    type Error = UnknownFault;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Fault> for String {
    fn from(f: Fault) -> Self {
        f.as_str().to_owned()
    }
}

/// Which generate calls a queued fault applies to; `None` matches anything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultScope {
    /// An upstream model id (a public catalogue id is translated when the fault is queued).
    pub model: Option<String>,
    /// An account, as its name (`alice`, from `sim-refresh-alice`) or its email
    /// (`alice@example.com`).
    pub account: Option<String>,
}

impl FaultScope {
    /// `account` is the account name.
    pub(crate) fn matches(&self, model: &str, account: &str) -> bool {
        self.model.as_deref().is_none_or(|m| m == model)
            && self
                .account
                .as_deref()
                .is_none_or(|a| account_name(a) == account)
    }
}

/// The Google accounts are `<name>@example.com`; either spelling names the account.
pub(crate) fn account_name(name_or_email: &str) -> &str {
    name_or_email
        .strip_suffix(EMAIL_DOMAIN)
        .unwrap_or(name_or_email)
}

pub(crate) const EMAIL_DOMAIN: &str = "@example.com";

/// A Google RPC error: `{"error":{"code","message","status","details"?}}`.
pub(crate) fn rpc_error(
    status: StatusCode,
    rpc_status: &str,
    message: &str,
    details: Vec<Value>,
) -> Response {
    let mut error = json!({
        "code": status.as_u16(),
        "message": message,
        "status": rpc_status,
    });
    if !details.is_empty() {
        error["details"] = Value::Array(details);
    }
    (status, Json(json!({ "error": error }))).into_response()
}

pub(crate) fn unauthenticated() -> Response {
    rpc_error(
        StatusCode::UNAUTHORIZED,
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login \
         cookie or other valid authentication credential. See \
         https://developers.google.com/identity/sign-in/web/devconsole-project.",
        Vec::new(),
    )
}

pub(crate) fn not_found() -> Response {
    rpc_error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "Requested entity was not found.",
        Vec::new(),
    )
}

pub(crate) fn stale_project(project: &str) -> Response {
    rpc_error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "Requested entity was not found.",
        vec![json!({
            "@type": "type.googleapis.com/google.rpc.ResourceInfo",
            "resourceName": format!("projects/{project}"),
        })],
    )
}

pub(crate) fn invalid_argument(message: &str) -> Response {
    rpc_error(
        StatusCode::BAD_REQUEST,
        "INVALID_ARGUMENT",
        message,
        Vec::new(),
    )
}

pub(crate) fn permission_denied(message: &str) -> Response {
    rpc_error(
        StatusCode::FORBIDDEN,
        "PERMISSION_DENIED",
        message,
        Vec::new(),
    )
}

/// Where the simulator's `VALIDATION_REQUIRED` sends the user.
pub const VALIDATION_URL: &str =
    "https://accounts.google.com/signin/continue?sarp=1&scc=1&plt=sim-validation";

/// The bare 429: Google's generic text, no reason, no details, no delay. What the gateway
/// answers to refused prompts, and to brief shortages.
pub(crate) fn bare_resource_exhausted() -> Response {
    rpc_error(
        StatusCode::TOO_MANY_REQUESTS,
        "RESOURCE_EXHAUSTED",
        "Resource has been exhausted (e.g. check quota).",
        Vec::new(),
    )
}

/// 403 `VALIDATION_REQUIRED` as the real upstream words it (gcli2api #382, OAA #335).
fn validation_required() -> Response {
    let message = "Verify your account to continue.";
    rpc_error(
        StatusCode::FORBIDDEN,
        "PERMISSION_DENIED",
        message,
        vec![error_info(
            "VALIDATION_REQUIRED",
            &json!({
                "validation_error_message": message,
                "validation_url_link_text": "Verify your account",
                "validation_url": VALIDATION_URL,
                "validation_learn_more_link_text": "Learn more",
                "validation_learn_more_url": "https://support.google.com/accounts?p=al_alert",
            }),
        )],
    )
}

/// 429 `QUOTA_EXHAUSTED` for `model`, resetting after `delay`.
pub(crate) fn quota_exhausted(model: &str, delay: Duration) -> Response {
    let reset_at = Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
    let whole = Duration::from_secs(delay.as_secs());
    rpc_error(
        StatusCode::TOO_MANY_REQUESTS,
        "RESOURCE_EXHAUSTED",
        &format!(
            "You have exhausted your capacity on this model. Your quota will reset after {}.",
            go_duration(whole)
        ),
        vec![
            error_info(
                "QUOTA_EXHAUSTED",
                &json!({
                    "model": model,
                    "quotaResetDelay": go_duration(delay),
                    "quotaResetTimeStamp": rfc3339(reset_at),
                    "uiMessage": "true",
                }),
            ),
            retry_info(delay),
        ],
    )
}

/// The error response of a fault that answers with an HTTP error status, or `None` for the
/// faults that shape a 200 body instead.
pub(crate) fn status_fault(fault: Fault, model: &str, project: &str) -> Option<Response> {
    let response = match fault {
        Fault::QuotaExhausted => quota_exhausted(model, QUOTA_RESET_DELAY),
        Fault::RateLimited => rpc_error(
            StatusCode::TOO_MANY_REQUESTS,
            "RESOURCE_EXHAUSTED",
            "You have exhausted your capacity on this model. Your quota will reset after 0s.",
            vec![
                error_info(
                    "RATE_LIMIT_EXCEEDED",
                    &json!({
                        "model": model,
                        "quotaResetDelay": "479.417207ms",
                        "quotaResetTimeStamp": rfc3339(Utc::now() + chrono::Duration::from_std(RATE_LIMIT_DELAY).unwrap_or_default()),
                        "uiMessage": "true",
                    }),
                ),
                json!({
                    "@type": "type.googleapis.com/google.rpc.RetryInfo",
                    "retryDelay": "0.479417207s",
                }),
            ],
        ),
        Fault::Capacity => rpc_error(
            StatusCode::TOO_MANY_REQUESTS,
            "RESOURCE_EXHAUSTED",
            &format!("No capacity available for model {model} on the server"),
            vec![error_info(
                "MODEL_CAPACITY_EXHAUSTED",
                &json!({ "model": model }),
            )],
        ),
        Fault::ResourceExhausted => bare_resource_exhausted(),
        Fault::ValidationRequired => validation_required(),
        Fault::Unauthorized => unauthenticated(),
        Fault::TermsOfService => permission_denied(
            "This account has been disabled for violation of Terms of Service. If you believe \
             this is an error, contact support.",
        ),
        Fault::StaleProject => stale_project(project),
        Fault::BadRequest => invalid_argument("Request contains an invalid argument."),
        Fault::ServerError => rpc_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "Internal error encountered.",
            Vec::new(),
        ),
        Fault::Unavailable => rpc_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "UNAVAILABLE",
            "No capacity available",
            Vec::new(),
        ),
        Fault::DisconnectMidStream | Fault::Stall | Fault::EmptyStream | Fault::VersionRejected => {
            return None;
        }
    };
    Some(response)
}

fn error_info(reason: &str, metadata: &Value) -> Value {
    json!({
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": DOMAIN,
        "metadata": metadata,
    })
}

fn retry_info(delay: Duration) -> Value {
    json!({
        "@type": "type.googleapis.com/google.rpc.RetryInfo",
        "retryDelay": format!("{}s", trim_fraction(delay.as_secs_f64())),
    })
}

pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Formats like Go's `time.Duration.String()`, which is what the upstream's
/// `quotaResetDelay` uses: "1h16m0.667s", "479.417207ms", "0s".
pub(crate) fn go_duration(d: Duration) -> String {
    if d.is_zero() {
        return "0s".to_owned();
    }
    if d < Duration::from_secs(1) {
        let ms = f64::from(d.subsec_nanos()) / 1e6;
        return format!("{}ms", trim_fraction(ms));
    }
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let frac = f64::from(d.subsec_nanos()) / 1e9;
    let seconds = trim_fraction(u32::try_from(s).map_or(0.0, f64::from) + frac);
    match (h, m) {
        (0, 0) => format!("{seconds}s"),
        (0, m) => format!("{m}m{seconds}s"),
        (h, m) => format!("{h}h{m}m{seconds}s"),
    }
}

/// `1.500000` → "1.5", `2.0` → "2": at most nanosecond precision, no trailing zeros.
fn trim_fraction(v: f64) -> String {
    let s = format!("{v:.9}");
    let s = s.trim_end_matches('0');
    s.trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_match_the_upstream_spelling() {
        assert_eq!(go_duration(QUOTA_RESET_DELAY), "1h16m0.667s");
        assert_eq!(go_duration(RATE_LIMIT_DELAY), "479.417207ms");
        assert_eq!(go_duration(Duration::from_secs(4560)), "1h16m0s");
        assert_eq!(go_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(go_duration(Duration::from_secs(61)), "1m1s");
        assert_eq!(go_duration(Duration::ZERO), "0s");
    }

    #[test]
    fn fault_names_round_trip() {
        for fault in Fault::ALL {
            assert_eq!(fault.as_str().parse::<Fault>(), Ok(fault));
        }
        assert!("nope".parse::<Fault>().is_err());
    }
}
