//! The upstream failure classifier: arbitrary statuses with garbage, near-valid and valid Google
//! RPC error bodies (`RetryInfo`, `quotaResetDelay`, `ErrorInfo` reasons, huge and odd delays)
//! and arbitrary `Retry-After` headers never panic; known reasons and delays are read exactly;
//! the client error is always a 4xx/5xx with a message, and rate limits carry a wait of ≥ 1 s.

use std::time::Duration;

use anti_api_tui::translate::ir::ErrorKind;
use anti_api_tui::upstream::classify::{FailureKind, classify, parse_duration};
use chrono::{DateTime, TimeZone as _, Utc};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::common::{config, json_with_keys, mutate, text};

const KEYS: &[&str] = &[
    "error",
    "code",
    "message",
    "status",
    "details",
    "@type",
    "reason",
    "metadata",
    "retryDelay",
    "seconds",
    "nanos",
    "quotaResetDelay",
    "quotaResetTimeStamp",
    "model",
    "resourceName",
    "retry_after",
    "validationUrl",
];

const REASONS: &[&str] = &[
    "QUOTA_EXHAUSTED",
    "INSUFFICIENT_G1_CREDITS_BALANCE",
    "RATE_LIMIT_EXCEEDED",
    "MODEL_CAPACITY_EXHAUSTED",
    "SOMETHING_ELSE",
];

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 20, 8, 0, 0)
        .single()
        .expect("a valid time")
}

/// A Go-style duration and its exact value: `1h2m3.5s`, `479.417207ms`, `0s`, huge ones.
fn duration() -> impl Strategy<Value = (String, Duration)> {
    prop_oneof![
        (0u64..100, 0u64..60, 0u64..60, 0u32..1_000).prop_map(|(h, m, s, ms)| {
            let text = format!("{h}h{m}m{s}.{ms:03}s");
            let d = Duration::from_secs(h * 3600 + m * 60 + s) + Duration::from_millis(ms.into());
            (text, d)
        }),
        (0u64..1_000_000, 0u32..1_000_000).prop_map(|(ms, us)| {
            let text = format!("{ms}.{us:06}ms");
            (
                text,
                Duration::from_millis(ms) + Duration::from_nanos(u64::from(us)),
            )
        }),
        any::<u32>().prop_map(|s| (format!("{s}s"), Duration::from_secs(s.into()))),
        any::<u64>().prop_map(|s| (format!("{s}s"), Duration::from_secs(s))),
    ]
}

/// A Google RPC error body with the given details.
fn rpc(status: u16, message: &str, details: &[Value]) -> Vec<u8> {
    serde_json::to_vec(&json!({"error": {
        "code": status,
        "message": message,
        "status": "RESOURCE_EXHAUSTED",
        "details": details,
    }}))
    .expect("serializable")
}

fn error_info(reason: &str, metadata: &Value) -> Value {
    json!({
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": "cloudcode-pa.googleapis.com",
        "metadata": metadata,
    })
}

/// Near-valid and odd bodies: a valid RPC error with one value replaced or removed.
fn odd_body() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(REASONS),
        duration(),
        any::<u64>(),
        any::<u64>(),
        prop::collection::vec(any::<usize>(), 0..6),
        json_with_keys(KEYS),
        any::<bool>(),
        text(),
    )
        .prop_map(
            |(reason, (delay, _), secs, nanos, path, replacement, delete, message)| {
                let mut body = json!({"error": {
                    "code": 429,
                    "message": message,
                    "status": "RESOURCE_EXHAUSTED",
                    "details": [
                        error_info(reason, &json!({
                            "quotaResetDelay": delay,
                            "quotaResetTimeStamp": "2026-04-20T09:19:49Z",
                            "model": "m",
                        })),
                        {
                            "@type": "type.googleapis.com/google.rpc.RetryInfo",
                            "retryDelay": {"seconds": secs, "nanos": nanos},
                        },
                        {"@type": "type.googleapis.com/google.rpc.ResourceInfo",
                         "resourceName": "projects/p-1"},
                    ],
                }});
                mutate(&mut body, &path, replacement, delete);
                serde_json::to_vec(&body).expect("serializable")
            },
        )
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        text().prop_map(String::into_bytes),
        json_with_keys(KEYS).prop_map(|v| serde_json::to_vec(&v).expect("serializable")),
        odd_body(),
        // Delays in the message text, the way the upstream words them.
        (
            prop::sample::select(&["reset after ", "try again in ", "retry after ", "wait "][..]),
            prop::collection::vec(
                prop_oneof![
                    duration().prop_map(|(t, _)| t),
                    any::<u64>().prop_map(|n| format!("{n} seconds")),
                    Just("1h 2m".to_owned()),
                ],
                1..4
            )
        )
            .prop_map(|(marker, parts)| rpc(
                429,
                &format!("Quota {marker}{}.", parts.join(" ")),
                &[]
            )),
    ]
}

fn header() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        any::<u64>().prop_map(|n| n.to_string()),
        "[0-9]{0,30}\\.?[0-9]{0,12}",
        Just("Wed, 21 Oct 2015 07:28:00 GMT".to_owned()),
        Just("Fri, 31 Dec 9999 23:59:59 GMT".to_owned()),
        text(),
    ])
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        prop::sample::select(&[400u16, 401, 403, 404, 408, 429, 500, 503, 529][..]),
        any::<u16>(),
    ]
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn anything_classifies_without_panicking(
        status in status(),
        header in header(),
        body in body(),
        model in "[a-z0-9-]{1,20}",
    ) {
        let failure = classify(status, header.as_deref(), &body, now());
        prop_assert_eq!(failure.status, status);
        if let Some(reset) = failure.reset_at {
            prop_assert!(reset >= now() - chrono::Duration::days(365 * 100));
        }
        let err = failure.client_error(&model);
        prop_assert!((400..600).contains(&err.status), "client status {}", err.status);
        prop_assert!(!err.message.trim().is_empty());
        if failure.kind.is_rate_limit() {
            prop_assert_eq!(err.status, 429);
            prop_assert_eq!(err.kind, ErrorKind::RateLimit);
            if failure.retry_after.is_some() {
                prop_assert!(err.retry_after_secs.is_some_and(|s| s >= 1));
            }
        }
    }

    #[test]
    fn known_reasons_and_reset_delays_are_read_exactly(
        reason in prop::sample::select(REASONS),
        (delay, exact) in duration(),
        message in text(),
    ) {
        let body = rpc(429, &message, &[error_info(reason, &json!({"quotaResetDelay": delay}))]);
        let failure = classify(429, None, &body, now());
        let kind = match reason {
            "QUOTA_EXHAUSTED" | "INSUFFICIENT_G1_CREDITS_BALANCE" => Some(FailureKind::QuotaExhausted),
            "RATE_LIMIT_EXCEEDED" => Some(FailureKind::RateLimited),
            "MODEL_CAPACITY_EXHAUSTED" => Some(FailureKind::Capacity),
            _ => None,
        };
        if let Some(kind) = kind {
            prop_assert_eq!(failure.kind, kind);
        }
        prop_assert!(failure.kind.is_rate_limit());
        prop_assert_eq!(failure.reason.as_deref(), Some(reason));
        prop_assert_eq!(failure.retry_after, Some(exact));
        prop_assert_eq!(parse_duration(&delay), Some(exact));
    }

    #[test]
    fn retry_info_wins_and_is_exact(
        secs in any::<u64>(),
        nanos in 0u32..1_000_000_000,
        as_text in any::<bool>(),
    ) {
        let delay = if as_text {
            json!(format!("{secs}.{nanos:09}s"))
        } else {
            json!({"seconds": secs.to_string(), "nanos": nanos})
        };
        let body = rpc(429, "slow down", &[json!({
            "@type": "type.googleapis.com/google.rpc.RetryInfo",
            "retryDelay": delay,
        })]);
        let failure = classify(429, None, &body, now());
        prop_assert_eq!(failure.retry_after, Some(Duration::new(secs, nanos)));
        let err = failure.client_error("m");
        prop_assert_eq!(err.retry_after_secs, Some(secs.saturating_add(u64::from(nanos > 0)).max(1)));
    }

    #[test]
    fn retry_after_headers_in_seconds_are_exact(secs in any::<u32>()) {
        let failure = classify(429, Some(&secs.to_string()), b"", now());
        prop_assert_eq!(failure.retry_after, Some(Duration::from_secs(secs.into())));
        prop_assert_eq!(
            failure.reset_at,
            Some(now() + chrono::Duration::seconds(i64::from(secs)))
        );
    }
}
