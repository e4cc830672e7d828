//! Classifies upstream failures (Google RPC errors, retry delays, quota resets) into kinds the account pool and clients act on.
//!
//! Pure: the caller passes the status, the `Retry-After` header, the body and `now`. The result
//! says what went wrong (quota, rate, capacity, auth, a stale project, a rejected client
//! version …), when it resets, and what the client should be told.

mod timing;

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

pub use self::timing::parse_duration;
use self::timing::{ceil_secs, header_delay, human, text_delay};
use crate::translate::antigravity::{NoticeKind, Notices};
use crate::translate::ir::{ErrorInfo, ErrorKind};

/// Google's generic 429 text, lower-case. Alone (no reason, no details) it is a bare 429.
const BARE_EXHAUSTED_TEXT: &str = "resource has been exhausted";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureKind {
    /// The account's quota for this model is used up until a reset time.
    QuotaExhausted,
    /// Requests too fast; quota may remain.
    RateLimited,
    /// The model has no capacity right now; quota may remain.
    Capacity,
    /// A short-lived resource shortage (a timeout, a shortage worded without details).
    Transient,
    /// A bare `RESOURCE_EXHAUSTED` 429: Google's generic "Resource has been exhausted (e.g.
    /// check quota)." with no reason, no quota details and no retry delay. Besides a brief
    /// shortage, it is what the gateway answers to prompts it refuses (third-party identity
    /// texts, `docs/upstream.md` "Rejected prompts"), so a repeat for the same body is a content
    /// rejection, not quota.
    BareExhausted,
    Unauthorized,
    /// The account is disabled or banned.
    TermsOfService,
    Forbidden,
    /// 403 `VALIDATION_REQUIRED`: Google wants the user to verify the account (at
    /// `UpstreamFailure::validation_url`) before it serves it again.
    ValidationRequired,
    /// The account's stored project no longer exists upstream; re-discover it.
    StaleProject,
    NotFound,
    BadRequest,
    Server,
    /// The upstream refuses this client version (User-Agent) outright.
    VersionRejected,
    /// The upstream no longer serves this model (a retirement notice).
    ModelRetired,
}

impl FailureKind {
    /// Kinds that are about pacing or temporary shortage, not about the request or the account.
    pub fn is_rate_limit(self) -> bool {
        matches!(
            self,
            Self::QuotaExhausted
                | Self::RateLimited
                | Self::Capacity
                | Self::Transient
                | Self::BareExhausted
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamFailure {
    pub status: u16,
    pub kind: FailureKind,
    /// The `google.rpc.ErrorInfo` reason (e.g. `QUOTA_EXHAUSTED`), else the RPC status.
    pub reason: Option<String>,
    /// The upstream's own message (the inner Anthropic message for double-encoded Claude errors).
    pub message: String,
    /// The upstream model named in the error metadata.
    pub model: Option<String>,
    pub retry_after: Option<Duration>,
    pub reset_at: Option<DateTime<Utc>>,
    /// For `StaleProject`: the project id the upstream could not find.
    pub project: Option<String>,
    /// Where the user verifies the account (`VALIDATION_REQUIRED`'s `validation_url`).
    pub validation_url: Option<String>,
}

pub fn classify(
    status: u16,
    retry_after_header: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> UpstreamFailure {
    let rpc = Rpc::parse(body);
    let lower_body = String::from_utf8_lossy(body).to_lowercase();
    let lower_msg = rpc.message.to_lowercase();
    let project = rpc.stale_project();
    let mut kind = kind_for(status, &rpc, &lower_body, &lower_msg, project.is_some());

    let reset_ts = rpc
        .metadata("quotaResetTimeStamp")
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    let retry_after = retry_after_header
        .and_then(|h| header_delay(h, now))
        .or_else(|| rpc.retry_delay())
        .or_else(|| rpc.metadata("quotaResetDelay").and_then(parse_duration))
        .or(rpc.retry_after_secs)
        .or_else(|| text_delay(&rpc.message))
        .or_else(|| reset_ts.map(|t| (t - now).to_std().unwrap_or(Duration::ZERO)));
    let reset_at = reset_ts.or_else(|| {
        retry_after
            .and_then(|d| chrono::Duration::from_std(d).ok())
            // A delay past the end of time has no reset time (and must not panic).
            .and_then(|d| now.checked_add_signed(d))
    });

    // A delay from anywhere (a `Retry-After` header too) means the upstream meant a shortage.
    if kind == FailureKind::BareExhausted && retry_after.is_some() {
        kind = FailureKind::Transient;
    }

    let mut message = rpc.message.clone();
    let validation_url = rpc
        .metadata("validation_url")
        .or_else(|| rpc.metadata("validationUrl"))
        .map(str::to_owned);
    if let Some(url) = &validation_url {
        message = format!("{message} (verify the account at {url})");
    }
    UpstreamFailure {
        status,
        kind,
        reason: rpc.reason.clone().or_else(|| rpc.status.clone()),
        message,
        model: rpc.metadata("model").map(str::to_owned),
        retry_after,
        reset_at,
        project,
        validation_url,
    }
}

fn kind_for(status: u16, rpc: &Rpc, body: &str, msg: &str, stale: bool) -> FailureKind {
    // The same phrases the upstream also sends as 200 answers (`notices::BUILTIN`).
    match Notices::builtin().find_in(body) {
        Some(NoticeKind::Version) => return FailureKind::VersionRejected,
        Some(NoticeKind::Retired) => return FailureKind::ModelRetired,
        None => {}
    }
    match status {
        429 => match rpc.reason.as_deref() {
            Some("QUOTA_EXHAUSTED" | "INSUFFICIENT_G1_CREDITS_BALANCE") => {
                FailureKind::QuotaExhausted
            }
            Some("RATE_LIMIT_EXCEEDED") => FailureKind::RateLimited,
            Some("MODEL_CAPACITY_EXHAUSTED") => FailureKind::Capacity,
            None if rpc.details.is_empty() && msg.contains(BARE_EXHAUSTED_TEXT) => {
                FailureKind::BareExhausted
            }
            _ => kind_from_429_text(msg, body),
        },
        401 => FailureKind::Unauthorized,
        403 => {
            let banned = [
                "terms of service",
                "violation",
                "account_disabled",
                "user_disabled",
            ]
            .iter()
            .any(|t| body.contains(t))
                || (body.contains("account") && body.contains("has been disabled"));
            if banned {
                FailureKind::TermsOfService
            } else if rpc.reason.as_deref() == Some("VALIDATION_REQUIRED") {
                FailureKind::ValidationRequired
            } else {
                FailureKind::Forbidden
            }
        }
        404 if stale => FailureKind::StaleProject,
        404 => FailureKind::NotFound,
        408 => FailureKind::Transient,
        500..=599 if body.contains("no capacity available") => FailureKind::Capacity,
        400..=499 => FailureKind::BadRequest,
        _ => FailureKind::Server,
    }
}

/// A 429 without a recognised reason: read the text the way the upstream words it.
fn kind_from_429_text(msg: &str, body: &str) -> FailureKind {
    let any = |needles: &[&str]| needles.iter().any(|n| msg.contains(n) || body.contains(n));
    if any(&["per minute", "rate limit", "too many requests"]) {
        FailureKind::RateLimited
    } else if any(&["capacity"]) {
        FailureKind::Capacity
    } else if any(&["resource has been exhausted"]) {
        // Google's generic 429 text ("… (e.g. check quota).") clears within seconds.
        FailureKind::Transient
    } else if any(&["quota", "usage limit"]) {
        FailureKind::QuotaExhausted
    } else {
        FailureKind::Transient
    }
}

/// The useful parts of a Google RPC error body (an object, a one-element array, or plain text).
#[derive(Debug, Default)]
struct Rpc {
    message: String,
    status: Option<String>,
    reason: Option<String>,
    details: Vec<Value>,
    retry_after_secs: Option<Duration>,
}

impl Rpc {
    fn parse(body: &[u8]) -> Self {
        let parsed: Option<Value> = serde_json::from_slice(body).ok();
        let root = match parsed {
            Some(Value::Array(mut items)) if !items.is_empty() => items.swap_remove(0),
            Some(v) => v,
            None => return Self::from_text(body),
        };
        let error = root.get("error").unwrap_or(&root);
        if let Some(text) = error.as_str() {
            return Self {
                message: text.to_owned(),
                ..Self::default()
            };
        }
        let details = error
            .get("details")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let reason = details
            .iter()
            .filter(|d| type_is(d, "ErrorInfo"))
            .find_map(|d| d.get("reason").and_then(Value::as_str))
            .map(str::to_owned);
        let message = error
            .get("message")
            .and_then(Value::as_str)
            .map_or_else(|| clip(&String::from_utf8_lossy(body)), unwrap_anthropic);
        Self {
            message,
            status: error
                .get("status")
                .and_then(Value::as_str)
                .map(str::to_owned),
            reason,
            details,
            retry_after_secs: error
                .get("retry_after")
                .and_then(Value::as_f64)
                .and_then(|s| Duration::try_from_secs_f64(s).ok()),
        }
    }

    fn from_text(body: &[u8]) -> Self {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        Self {
            message: if text.is_empty() {
                "(empty response body)".to_owned()
            } else {
                clip(text)
            },
            ..Self::default()
        }
    }

    /// A string from any detail's `metadata`.
    fn metadata(&self, key: &str) -> Option<&str> {
        self.details
            .iter()
            .find_map(|d| d.get("metadata")?.get(key)?.as_str())
    }

    /// `RetryInfo.retryDelay`: a proto Duration, as a string ("0.479s") or `{seconds, nanos}`.
    fn retry_delay(&self) -> Option<Duration> {
        let delay = self
            .details
            .iter()
            .filter(|d| type_is(d, "RetryInfo"))
            .find_map(|d| d.get("retryDelay"))?;
        if let Some(s) = delay.as_str() {
            return parse_duration(s);
        }
        let secs = delay.get("seconds").and_then(|s| {
            s.as_u64()
                .or_else(|| s.as_str().and_then(|s| s.parse().ok()))
        });
        let nanos = delay.get("nanos").and_then(Value::as_u64).unwrap_or(0);
        // `Duration::new` panics when the nanoseconds carry past `u64::MAX` seconds.
        let nanos = u32::try_from(nanos).ok()?;
        Duration::from_secs(secs?).checked_add(Duration::from_nanos(nanos.into()))
    }

    /// `projects/<id>` from a detail's `resourceName`: the stored project is gone.
    fn stale_project(&self) -> Option<String> {
        self.details.iter().find_map(|d| {
            let name = d.get("resourceName")?.as_str()?;
            let id = name.strip_prefix("projects/")?.split('/').next()?;
            (!id.is_empty()).then(|| id.to_owned())
        })
    }
}

fn type_is(detail: &Value, name: &str) -> bool {
    detail
        .get("@type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.ends_with(name))
}

/// Claude errors arrive double-encoded: Anthropic's JSON as a string inside `error.message`
/// (sometimes after a prefix). Return the inner message when there is one.
fn unwrap_anthropic(message: &str) -> String {
    let inner = message.find('{').and_then(|start| {
        let mut stream = serde_json::Deserializer::from_str(&message[start..]).into_iter::<Value>();
        let v = stream.next()?.ok()?;
        let msg = v.pointer("/error/message")?.as_str()?;
        Some(msg.to_owned())
    });
    inner.unwrap_or_else(|| message.to_owned())
}

/// RFC 3339 at whole seconds, rounded up like the "in …" figure next to it.
fn whole_second_after(at: DateTime<Utc>) -> String {
    let nanos = at.timestamp_subsec_nanos();
    let at = if nanos > 0 {
        let up = chrono::Duration::nanoseconds(i64::from(1_000_000_000u32.saturating_sub(nanos)));
        at.checked_add_signed(up).unwrap_or(at)
    } else {
        at
    };
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn clip(text: &str) -> String {
    const MAX: usize = 500;
    if text.chars().count() <= MAX {
        return text.to_owned();
    }
    let head: String = text.chars().take(MAX).collect();
    format!("{head}…")
}

impl UpstreamFailure {
    /// A failure for the version-rejection reply found inside a 200 stream.
    pub fn version_rejected(message: impl Into<String>) -> Self {
        Self::in_band(FailureKind::VersionRejected, message)
    }

    /// A failure for the retirement notice found inside a 200 stream.
    pub fn model_retired(message: impl Into<String>) -> Self {
        Self::in_band(FailureKind::ModelRetired, message)
    }

    fn in_band(kind: FailureKind, message: impl Into<String>) -> Self {
        Self {
            status: 200,
            kind,
            reason: None,
            message: message.into(),
            model: None,
            retry_after: None,
            reset_at: None,
            project: None,
            validation_url: None,
        }
    }

    /// What the client is told, naming `model` (the client's name for it) and, for rate
    /// limits, when to retry.
    pub fn client_error(&self, model: &str) -> ErrorInfo {
        let which = match self.model.as_deref() {
            Some(up) if up != model => format!("{model} (upstream {up})"),
            _ => model.to_owned(),
        };
        let msg = self.message.trim();
        let (status, kind, text) = match self.kind {
            FailureKind::QuotaExhausted
            | FailureKind::RateLimited
            | FailureKind::Capacity
            | FailureKind::Transient
            | FailureKind::BareExhausted => {
                let text = self.rate_limit_text(&which, msg);
                let mut err = ErrorInfo::new(429, ErrorKind::RateLimit, text);
                err.retry_after_secs = self.retry_after.map(ceil_secs);
                return err;
            }
            FailureKind::Unauthorized => (
                401,
                ErrorKind::Authentication,
                format!(
                    "Antigravity rejected the account's credentials ({msg}); log in again with \
                     `anti-api-tui login`."
                ),
            ),
            FailureKind::TermsOfService => (
                403,
                ErrorKind::Permission,
                format!("Antigravity refused this account: \"{msg}\""),
            ),
            FailureKind::Forbidden => (
                403,
                ErrorKind::Permission,
                format!("Antigravity denied access to {which}: {msg}"),
            ),
            FailureKind::ValidationRequired => (
                403,
                ErrorKind::Permission,
                format!(
                    "Google asks to verify this account before it serves it again: {msg}. \
                     Open the link signed in as the account, then enable it again \
                     (`anti-api-tui accounts enable`, or the console's Accounts tab)."
                ),
            ),
            FailureKind::StaleProject => (
                404,
                ErrorKind::NotFound,
                format!(
                    "Antigravity no longer knows the account's project {}; it has to be \
                     discovered again (log in again if this persists).",
                    self.project.as_deref().unwrap_or("(unknown)")
                ),
            ),
            FailureKind::NotFound => (
                404,
                ErrorKind::NotFound,
                format!(
                    "Antigravity does not serve {which} to this account: {msg}. The model may \
                     not be on this account's tier, or the configured Antigravity version may be \
                     too old."
                ),
            ),
            FailureKind::BadRequest => (
                400,
                ErrorKind::InvalidRequest,
                format!("Antigravity rejected the request for {which}: {msg}"),
            ),
            FailureKind::Server => (
                503,
                ErrorKind::Overloaded,
                format!(
                    "Antigravity upstream unavailable for {which} (HTTP {}): {msg}",
                    self.status
                ),
            ),
            FailureKind::VersionRejected => (
                503,
                ErrorKind::Api,
                format!(
                    "Antigravity rejected this client's version (\"{msg}\"). Set \
                     `antigravity_version` under [upstream] in config.toml (or \
                     ANTI_API_ANTIGRAVITY_VERSION) to the current Antigravity version and retry."
                ),
            ),
            FailureKind::ModelRetired => (
                404,
                ErrorKind::NotFound,
                format!(
                    "Antigravity no longer serves {which} (\"{msg}\") and no successor is \
                     known; ask for another model, or add an alias under [models.aliases]."
                ),
            ),
        };
        ErrorInfo::new(status, kind, text)
    }

    fn rate_limit_text(&self, which: &str, msg: &str) -> String {
        let when = self.when();
        match self.kind {
            FailureKind::QuotaExhausted => {
                format!("Antigravity quota exhausted for {which}.{when} Upstream said: {msg}")
            }
            FailureKind::RateLimited => format!(
                "Antigravity rate limit for {which} (requests too fast; quota may remain).{when}"
            ),
            FailureKind::Capacity => format!(
                "Antigravity has no capacity for {which} right now (temporary; quota may \
                 remain).{when}"
            ),
            _ => {
                format!("Antigravity is briefly out of resources for {which}; retry shortly.{when}")
            }
        }
    }

    /// " Resets at 2026-04-20T09:19:49Z (in 1h 16m 1s)." or "" when unknown.
    fn when(&self) -> String {
        match (self.reset_at.map(whole_second_after), self.retry_after) {
            (Some(at), Some(d)) => format!(" Resets at {at} (in {}).", human(d)),
            (Some(at), None) => format!(" Resets at {at}."),
            (None, Some(d)) => format!(" Retry in {}.", human(d)),
            (None, None) => String::new(),
        }
    }
}

#[cfg(test)]
mod tests;
