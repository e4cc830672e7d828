//! Tests for failure classification, delay parsing and the client-facing errors.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

use super::{FailureKind, UpstreamFailure, classify, parse_duration};
use crate::translate::ir::ErrorKind;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 20, 9, 0, 0).unwrap()
}

fn body(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

fn rpc_429(reason: &str, metadata: &Value, message: &str) -> Vec<u8> {
    body(
        &json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": message,
        "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason,
                     "domain": "cloudcode-pa.googleapis.com", "metadata": metadata}]}}),
    )
}

#[test]
fn durations_parse_go_style_sums_exactly() {
    assert_eq!(
        parse_duration("1h16m0.667s"),
        Some(Duration::from_millis(4_560_667))
    );
    assert_eq!(
        parse_duration("0.479417207s"),
        Some(Duration::from_nanos(479_417_207))
    );
    assert_eq!(parse_duration("200ms"), Some(Duration::from_millis(200)));
    assert_eq!(
        parse_duration("479.417207ms"),
        Some(Duration::from_nanos(479_417_207))
    );
    assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
    assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
    assert_eq!(parse_duration("10us"), Some(Duration::from_micros(10)));
    for bad in ["", "5", "s", "1x", "1.2.3s", "abc", "-1s"] {
        assert_eq!(parse_duration(bad), None, "{bad:?}");
    }
}

#[test]
fn the_rate_limit_fixture_is_rate_limited_with_retry_info_first() {
    let b = body(
        &json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
        "message": "You have exhausted your capacity on this model. Your quota will reset after 0s.",
        "details": [
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "RATE_LIMIT_EXCEEDED",
             "domain": "cloudcode-pa.googleapis.com",
             "metadata": {"model": "claude-opus-4-6-thinking", "quotaResetDelay": "479.417207ms",
                          "quotaResetTimeStamp": "2026-04-20T09:19:49Z", "uiMessage": "true"}},
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.479417207s"}]}}),
    );
    let f = classify(429, None, &b, now());
    assert_eq!(f.kind, FailureKind::RateLimited);
    assert_eq!(f.reason.as_deref(), Some("RATE_LIMIT_EXCEEDED"));
    assert_eq!(f.model.as_deref(), Some("claude-opus-4-6-thinking"));
    assert_eq!(f.retry_after, Some(Duration::from_nanos(479_417_207)));
    assert_eq!(
        f.reset_at,
        Some(Utc.with_ymd_and_hms(2026, 4, 20, 9, 19, 49).unwrap())
    );
}

#[test]
fn quota_exhausted_uses_the_reset_delay_and_derives_the_reset_time() {
    let b = rpc_429(
        "QUOTA_EXHAUSTED",
        &json!({"model": "gemini-pro-agent", "quotaResetDelay": "1h16m0.667s"}),
        "Quota exceeded.",
    );
    let f = classify(429, None, &b, now());
    assert_eq!(f.kind, FailureKind::QuotaExhausted);
    assert_eq!(f.retry_after, Some(Duration::from_millis(4_560_667)));
    assert_eq!(
        f.reset_at,
        Some(now() + chrono::Duration::milliseconds(4_560_667)),
        "reset_at = now + delay when only a delay is known"
    );
}

#[test]
fn capacity_reason_and_texts() {
    let b = rpc_429("MODEL_CAPACITY_EXHAUSTED", &json!({}), "busy");
    assert_eq!(classify(429, None, &b, now()).kind, FailureKind::Capacity);
    let b = body(&json!({"error": {"code": 503, "message": "No capacity available for model x"}}));
    assert_eq!(classify(503, None, &b, now()).kind, FailureKind::Capacity);
    assert_eq!(
        classify(529, None, b"No capacity available", now()).kind,
        FailureKind::Capacity
    );
}

#[test]
fn a_bare_resource_exhausted_is_only_bare_without_any_detail_or_delay() {
    let generic = "Resource has been exhausted (e.g. check quota).";
    let bare =
        body(&json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": generic}}));
    let f = classify(429, None, &bare, now());
    assert_eq!(f.kind, FailureKind::BareExhausted);
    assert!(f.kind.is_rate_limit());
    assert_eq!((f.retry_after, f.reset_at), (None, None));
    // A Retry-After header, a RetryInfo or any detail: the upstream meant a shortage.
    assert_eq!(
        classify(429, Some("2"), &bare, now()).kind,
        FailureKind::Transient
    );
    let with_retry = body(
        &json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": generic,
        "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1.5s"}]}}),
    );
    assert_eq!(
        classify(429, None, &with_retry, now()).kind,
        FailureKind::Transient
    );
    let with_quota = body(
        &json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": generic,
        "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "QUOTA_EXHAUSTED"}]}}),
    );
    assert_eq!(
        classify(429, None, &with_quota, now()).kind,
        FailureKind::QuotaExhausted
    );
}

#[test]
fn text_fallbacks_for_429() {
    let plain = |msg: &str| {
        body(&json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": msg}}))
    };
    for (msg, want) in [
        ("Too many requests per minute", FailureKind::RateLimited),
        ("Rate limit exceeded", FailureKind::RateLimited),
        ("Model capacity is low", FailureKind::Capacity),
        (
            "Your quota will reset tomorrow",
            FailureKind::QuotaExhausted,
        ),
        (
            "Individual quota reached. Please upgrade your subscription",
            FailureKind::QuotaExhausted,
        ),
        (
            "Resource has been exhausted (e.g. check quota).",
            FailureKind::BareExhausted,
        ),
        ("Resource has been exhausted", FailureKind::BareExhausted),
    ] {
        assert_eq!(classify(429, None, &plain(msg), now()).kind, want, "{msg}");
    }
    assert_eq!(
        classify(429, None, b"upstream said no", now()).kind,
        FailureKind::Transient
    );
}

#[test]
fn a_one_element_array_body_is_unwrapped() {
    let b = body(&json!([{"error": {"code": 429, "message": "m",
        "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "QUOTA_EXHAUSTED"}]}}]));
    let f = classify(429, None, &b, now());
    assert_eq!(f.kind, FailureKind::QuotaExhausted);
    assert_eq!(f.message, "m");
}

#[test]
fn retry_after_header_wins_in_seconds_or_http_date() {
    let b = rpc_429(
        "RATE_LIMIT_EXCEEDED",
        &json!({"quotaResetDelay": "10s"}),
        "x",
    );
    let f = classify(429, Some("7"), &b, now());
    assert_eq!(f.retry_after, Some(Duration::from_secs(7)));
    let f = classify(429, Some("Mon, 20 Apr 2026 09:01:30 GMT"), &b, now());
    assert_eq!(f.retry_after, Some(Duration::from_secs(90)));
    let f = classify(429, Some("garbage"), &b, now());
    assert_eq!(
        f.retry_after,
        Some(Duration::from_secs(10)),
        "falls through to the body"
    );
}

#[test]
fn delays_are_found_in_message_text() {
    for (msg, secs) in [
        ("Your quota will reset after 1h2m3s.", 3723),
        ("Please try again in 5m 30s", 330),
        ("retry after 30 seconds", 30),
        ("rate limited (wait 5s)", 5),
        ("backoff for 2 minutes please", 120),
    ] {
        let b = body(&json!({"error": {"code": 429, "message": msg}}));
        let f = classify(429, None, &b, now());
        assert_eq!(f.retry_after, Some(Duration::from_secs(secs)), "{msg}");
        assert_eq!(
            f.reset_at,
            Some(now() + chrono::Duration::seconds(i64::try_from(secs).unwrap()))
        );
    }
    let b = body(&json!({"error": {"code": 429, "message": "please wait while we retry"}}));
    assert_eq!(classify(429, None, &b, now()).retry_after, None);
}

#[test]
fn a_reset_timestamp_alone_gives_the_delay() {
    let b = rpc_429(
        "QUOTA_EXHAUSTED",
        &json!({"quotaResetTimeStamp": "2026-04-20T10:00:00Z"}),
        "q",
    );
    let f = classify(429, None, &b, now());
    assert_eq!(f.retry_after, Some(Duration::from_secs(3600)));
}

#[test]
fn auth_and_permission_failures() {
    let b = body(
        &json!({"error": {"code": 401, "status": "UNAUTHENTICATED", "message": "Request had invalid authentication credentials."}}),
    );
    assert_eq!(
        classify(401, None, &b, now()).kind,
        FailureKind::Unauthorized
    );
    let tos = body(
        &json!({"error": {"code": 403, "message": "This account has been disabled for violation of Terms of Service."}}),
    );
    assert_eq!(
        classify(403, None, &tos, now()).kind,
        FailureKind::TermsOfService
    );
    let disabled = body(&json!({"error": {"code": 403, "message": "denied",
        "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "VALIDATION_REQUIRED",
                     "metadata": {"account_disabled": "true", "validation_url": "https://accounts.google.com/v"}}]}}));
    let f = classify(403, None, &disabled, now());
    assert_eq!(f.kind, FailureKind::TermsOfService);
    assert!(
        f.message.contains("https://accounts.google.com/v"),
        "{}",
        f.message
    );
    // As gcli2api #382 / OAA #335 show it: verification, not a ban.
    let verify = body(
        &json!({"error": {"code": 403, "status": "PERMISSION_DENIED",
        "message": "Verify your account to continue.",
        "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "VALIDATION_REQUIRED",
                     "domain": "cloudcode-pa.googleapis.com",
                     "metadata": {"validation_error_message": "Verify your account to continue.",
                                  "validation_url_link_text": "Verify your account",
                                  "validation_url": "https://accounts.google.com/signin/continue?plt=x"}}]}}),
    );
    let f = classify(403, None, &verify, now());
    assert_eq!(f.kind, FailureKind::ValidationRequired);
    assert_eq!(
        f.validation_url.as_deref(),
        Some("https://accounts.google.com/signin/continue?plt=x")
    );
    let e = f.client_error("m");
    assert_eq!((e.status, e.kind), (403, ErrorKind::Permission));
    assert!(
        e.message
            .contains("https://accounts.google.com/signin/continue?plt=x")
            && e.message.contains("accounts enable"),
        "{}",
        e.message
    );
    let other = body(
        &json!({"error": {"code": 403, "status": "PERMISSION_DENIED",
        "message": "Cloud Code Private API has not been used in project 123",
        "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED"}]}}),
    );
    let f = classify(403, None, &other, now());
    assert_eq!(f.kind, FailureKind::Forbidden);
    assert_eq!(f.reason.as_deref(), Some("SERVICE_DISABLED"));
}

#[test]
fn not_found_is_a_stale_project_when_the_resource_is_a_project() {
    let b = body(
        &json!({"error": {"code": 404, "message": "Requested entity was not found.",
        "details": [{"@type": "type.googleapis.com/google.rpc.ResourceInfo", "resourceName": "projects/useful-fuze-a1b2c"}]}}),
    );
    let f = classify(404, None, &b, now());
    assert_eq!(f.kind, FailureKind::StaleProject);
    assert_eq!(f.project.as_deref(), Some("useful-fuze-a1b2c"));
    let b = body(&json!({"error": {"code": 404, "message": "Requested entity was not found."}}));
    let f = classify(404, None, &b, now());
    assert_eq!(f.kind, FailureKind::NotFound);
    assert_eq!(f.project, None);
}

#[test]
fn bad_requests_unwrap_double_encoded_claude_errors() {
    let inner = json!({"type": "error", "error": {"type": "invalid_request_error",
        "message": "messages.1.content.0: Invalid `signature` in `thinking` block"},
        "request_id": "req_vrtx_011"});
    let b = body(&json!({"error": {"code": 400, "status": "INVALID_ARGUMENT",
        "message": format!("Claude error: {inner}")}}));
    let f = classify(400, None, &b, now());
    assert_eq!(f.kind, FailureKind::BadRequest);
    assert_eq!(
        f.message,
        "messages.1.content.0: Invalid `signature` in `thinking` block"
    );
    let b = body(
        &json!({"error": {"code": 400, "message": "Function call is missing a thought_signature"}}),
    );
    assert_eq!(
        classify(400, None, &b, now()).message,
        "Function call is missing a thought_signature"
    );
}

#[test]
fn server_errors_and_plain_text_bodies() {
    let f = classify(500, None, b"<html>Internal error</html>", now());
    assert_eq!(f.kind, FailureKind::Server);
    assert_eq!(f.message, "<html>Internal error</html>");
    assert_eq!(
        classify(502, None, b"", now()).message,
        "(empty response body)"
    );
    assert_eq!(
        classify(529, None, b"overloaded", now()).kind,
        FailureKind::Server
    );
    assert_eq!(
        classify(408, None, b"timeout", now()).kind,
        FailureKind::Transient
    );
}

#[test]
fn the_version_text_wins_wherever_it_appears() {
    for status in [200, 400, 403, 404, 503] {
        let b = body(&json!({"error": {"code": status,
            "message": "This version of Antigravity is no longer supported. Please update to receive the latest features!"}}));
        assert_eq!(
            classify(status, None, &b, now()).kind,
            FailureKind::VersionRejected,
            "{status}"
        );
    }
    let f = classify(
        503,
        None,
        b"Your current version of Antigravity is out of date.",
        now(),
    );
    assert_eq!(f.kind, FailureKind::VersionRejected);
}

#[test]
fn client_errors_for_rate_limits_say_which_model_and_when() {
    let b = rpc_429(
        "QUOTA_EXHAUSTED",
        &json!({"model": "claude-opus-4-6-thinking", "quotaResetDelay": "1h16m0.667s"}),
        "q",
    );
    let e = classify(429, None, &b, now()).client_error("claude-opus-4-6");
    assert_eq!((e.status, e.kind), (429, ErrorKind::RateLimit));
    assert_eq!(e.retry_after_secs, Some(4561), "rounded up");
    assert!(
        e.message
            .contains("claude-opus-4-6 (upstream claude-opus-4-6-thinking)"),
        "{}",
        e.message
    );
    assert!(e.message.contains("2026-04-20T10:16:01Z"), "{}", e.message);
    assert!(e.message.contains("in 1h 16m 1s"), "{}", e.message);
    assert!(e.message.ends_with("Upstream said: q"), "{}", e.message);

    let b = rpc_429(
        "RATE_LIMIT_EXCEEDED",
        &json!({"quotaResetDelay": "479.417207ms"}),
        "r",
    );
    let e = classify(429, None, &b, now()).client_error("m");
    assert_eq!(e.retry_after_secs, Some(1), "at least one second");
    assert!(e.message.contains("in 1s"), "{}", e.message);

    let e = classify(429, None, b"Resource has been exhausted", now()).client_error("m");
    assert_eq!((e.status, e.retry_after_secs), (429, None));
}

#[test]
fn client_errors_for_everything_else() {
    let cases: [(u16, &[u8], u16, ErrorKind, &str); 7] = [
        (
            401,
            b"{\"error\":{\"message\":\"expired\"}}",
            401,
            ErrorKind::Authentication,
            "anti-api-tui login",
        ),
        (
            403,
            b"violation of Terms of Service",
            403,
            ErrorKind::Permission,
            "violation of Terms of Service",
        ),
        (
            403,
            b"{\"error\":{\"message\":\"no licence\"}}",
            403,
            ErrorKind::Permission,
            "no licence",
        ),
        (
            404,
            b"{\"error\":{\"message\":\"Requested entity was not found.\"}}",
            404,
            ErrorKind::NotFound,
            "gemini-x",
        ),
        (
            400,
            b"{\"error\":{\"message\":\"bad field\"}}",
            400,
            ErrorKind::InvalidRequest,
            "bad field",
        ),
        (
            500,
            b"boom",
            503,
            ErrorKind::Overloaded,
            "upstream unavailable",
        ),
        (
            503,
            b"This version of Antigravity is no longer supported.",
            503,
            ErrorKind::Api,
            "ANTI_API_ANTIGRAVITY_VERSION",
        ),
    ];
    for (status, raw, want_status, want_kind, needle) in cases {
        let e = classify(status, None, raw, now()).client_error("gemini-x");
        assert_eq!((e.status, e.kind), (want_status, want_kind), "{status}");
        assert!(e.message.contains(needle), "{status}: {}", e.message);
        assert_eq!(e.retry_after_secs, None);
    }
}

#[test]
fn stale_projects_name_the_project() {
    let b = body(&json!({"error": {"code": 404, "message": "nf",
        "details": [{"resourceName": "projects/p-1"}]}}));
    let e = classify(404, None, &b, now()).client_error("m");
    assert_eq!(e.status, 404);
    assert!(e.message.contains("p-1"), "{}", e.message);
}

#[test]
fn version_rejected_from_a_stream() {
    let f =
        UpstreamFailure::version_rejected("This version of Antigravity is no longer supported.");
    assert_eq!(f.kind, FailureKind::VersionRejected);
    let e = f.client_error("m");
    assert_eq!((e.status, e.kind), (503, ErrorKind::Api));
    assert!(e.message.contains("no longer supported"));
}

#[test]
fn absurd_delays_saturate_instead_of_panicking() {
    // Found by the property tests: each of these panicked (Duration sums, Duration::new's carry,
    // DateTime + TimeDelta past the end of time, the rounding up of u64::MAX seconds).
    let max = u64::MAX;
    let text = rpc_429(
        "SOMETHING_ELSE",
        &json!({}),
        &format!("Quota will reset after {max}s {max}s."),
    );
    let f = classify(429, None, &text, now());
    assert_eq!(f.retry_after, Some(Duration::MAX));
    assert_eq!(f.reset_at, None, "no reset time past the end of time");
    assert_eq!(f.client_error("m").retry_after_secs, Some(u64::MAX));

    let carry = body(
        &json!({"error": {"code": 429, "message": "slow", "details": [{
        "@type": "type.googleapis.com/google.rpc.RetryInfo",
        "retryDelay": {"seconds": max, "nanos": 2_000_000_000u64}}]}}),
    );
    assert_eq!(classify(429, None, &carry, now()).retry_after, None);

    let far = rpc_429(
        "QUOTA_EXHAUSTED",
        &json!({"quotaResetDelay": "100000000000000s"}),
        "quota",
    );
    let f = classify(429, None, &far, now());
    assert_eq!(
        f.retry_after,
        Some(Duration::from_secs(100_000_000_000_000))
    );
    assert_eq!(f.reset_at, None);
    assert!(f.client_error("m").message.contains("Retry in"));
}
