//! Every fault: its status and Google RPC body, stream-shaping faults, scopes and counts,
//! directive faults, quotas, and the HTTP control API.

use std::time::Duration;

use futures::StreamExt as _;
use serde_json::{Value, json};

use super::{Sim, ask, envelope, parse_sse, parts, sim, text_of};
use crate::simulator::faults::VERSION_REJECTED_TEXT;
use crate::simulator::{Fault, FaultScope};

fn reason(body: &Value) -> Option<&str> {
    body["error"]["details"]
        .as_array()?
        .iter()
        .find_map(|d| d.get("reason").and_then(Value::as_str))
}

#[tokio::test]
async fn status_faults_answer_with_their_google_error() {
    let s = sim().await;
    for (fault, status, rpc, why, text) in [
        (
            Fault::QuotaExhausted,
            429,
            "RESOURCE_EXHAUSTED",
            Some("QUOTA_EXHAUSTED"),
            "reset after 1h16m0s",
        ),
        (
            Fault::RateLimited,
            429,
            "RESOURCE_EXHAUSTED",
            Some("RATE_LIMIT_EXCEEDED"),
            "exhausted your capacity",
        ),
        (
            Fault::Capacity,
            429,
            "RESOURCE_EXHAUSTED",
            Some("MODEL_CAPACITY_EXHAUSTED"),
            "No capacity available for model gemini-3-flash",
        ),
        (
            Fault::ResourceExhausted,
            429,
            "RESOURCE_EXHAUSTED",
            None,
            "Resource has been exhausted",
        ),
        (
            Fault::Unauthorized,
            401,
            "UNAUTHENTICATED",
            None,
            "invalid authentication credentials",
        ),
        (
            Fault::TermsOfService,
            403,
            "PERMISSION_DENIED",
            None,
            "violation of Terms of Service",
        ),
        (
            Fault::StaleProject,
            404,
            "NOT_FOUND",
            None,
            "Requested entity was not found.",
        ),
        (
            Fault::BadRequest,
            400,
            "INVALID_ARGUMENT",
            None,
            "invalid argument",
        ),
        (Fault::ServerError, 500, "INTERNAL", None, "Internal error"),
        (
            Fault::Unavailable,
            503,
            "UNAVAILABLE",
            None,
            "No capacity available",
        ),
        (
            Fault::ValidationRequired,
            403,
            "PERMISSION_DENIED",
            Some("VALIDATION_REQUIRED"),
            "Verify your account",
        ),
    ] {
        s.handle.inject(fault, 1, FaultScope::default());
        let (got, events, _) = s.stream("alice", "gemini-3-flash", ask("hi")).await;
        let body = &events[0];
        assert_eq!(got, status, "{fault}: {body}");
        assert_eq!(body["error"]["code"], status, "{fault}");
        assert_eq!(body["error"]["status"], rpc, "{fault}");
        assert_eq!(reason(body), why, "{fault}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(text), "{fault}: {message}");
    }
    // Each fault was used once; the next call succeeds.
    let (status, _, _) = s.stream("alice", "gemini-3-flash", ask("hi")).await;
    assert_eq!(status, 200);
    assert!(s.handle.stats().rejected.is_empty());
}

#[tokio::test]
async fn quota_and_rate_limit_details_carry_the_delays() {
    let s = sim().await;
    s.handle
        .inject(Fault::QuotaExhausted, 1, FaultScope::default());
    let (_, body) = s.generate("alice", "claude-sonnet-4-6", ask("hi")).await;
    let info = &body["error"]["details"][0];
    assert_eq!(info["@type"], "type.googleapis.com/google.rpc.ErrorInfo");
    assert_eq!(info["metadata"]["model"], "claude-sonnet-4-6");
    assert_eq!(info["metadata"]["quotaResetDelay"], "1h16m0.667s");
    assert!(
        info["metadata"]["quotaResetTimeStamp"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    // The quota shows as used up until a call succeeds again.
    let token = s.token("alice").await;
    let (_, models) = s
        .call_json("/v1internal:fetchAvailableModels", &token, &json!({}))
        .await;
    assert_eq!(
        models["models"]["claude-sonnet-4-6"]["quotaInfo"]["remainingFraction"],
        0.0
    );
    assert_eq!(
        models["models"]["gemini-3-flash"]["quotaInfo"]["remainingFraction"],
        1.0
    );

    s.handle
        .inject(Fault::RateLimited, 1, FaultScope::default());
    let (_, body) = s.generate("alice", "claude-sonnet-4-6", ask("hi")).await;
    let details = body["error"]["details"].as_array().unwrap();
    assert_eq!(details[0]["metadata"]["quotaResetDelay"], "479.417207ms");
    assert_eq!(details[1]["retryDelay"], "0.479417207s");
}

#[tokio::test]
async fn a_queued_quota_fault_shows_in_the_model_list() {
    let s = sim().await;
    s.handle.inject(
        Fault::QuotaExhausted,
        1,
        FaultScope {
            model: Some("gpt-oss-120b".into()),
            account: None,
        },
    );
    let token = s.token("alice").await;
    let (_, models) = s
        .call_json("/v1internal:fetchAvailableModels", &token, &json!({}))
        .await;
    let quota = &models["models"]["gpt-oss-120b-medium"]["quotaInfo"];
    assert_eq!(
        quota["remainingFraction"], 0.0,
        "public ids map to upstream ids"
    );
    assert!(quota["resetTime"].is_string());
}

#[tokio::test]
async fn scopes_and_counts_select_the_calls() {
    let s = sim().await;
    s.handle.inject(
        Fault::Capacity,
        2,
        FaultScope {
            model: Some("claude-sonnet-4-6".into()),
            account: Some("bob@example.com".into()),
        },
    );
    assert_eq!(
        s.generate("alice", "claude-sonnet-4-6", ask("hi")).await.0,
        200
    );
    assert_eq!(s.generate("bob", "gemini-3-flash", ask("hi")).await.0, 200);
    assert_eq!(
        s.generate("bob", "claude-sonnet-4-6", ask("hi")).await.0,
        429
    );
    assert_eq!(
        s.generate("bob", "claude-sonnet-4-6", ask("hi")).await.0,
        429
    );
    assert_eq!(
        s.generate("bob", "claude-sonnet-4-6", ask("hi")).await.0,
        200
    );
}

#[tokio::test]
async fn directives_trigger_faults() {
    let s = sim().await;
    let (status, body) = s
        .generate("alice", "gemini-3-flash", ask("hi [[sim:fault=capacity]]"))
        .await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(reason(&body), Some("MODEL_CAPACITY_EXHAUSTED"));
}

#[tokio::test]
async fn version_rejected_and_empty_stream_are_200s() {
    let s = sim().await;
    s.handle
        .inject(Fault::VersionRejected, 1, FaultScope::default());
    let (status, events, _) = s.stream("alice", "claude-sonnet-4-6", ask("hi")).await;
    assert_eq!(status, 200);
    assert_eq!(text_of(&parts(&events)), VERSION_REJECTED_TEXT);

    s.handle
        .inject(Fault::EmptyStream, 1, FaultScope::default());
    let (status, events, raw) = s.stream("alice", "claude-sonnet-4-6", ask("hi")).await;
    assert_eq!((status, events.len(), raw.as_str()), (200, 0, ""));
}

async fn open_stream(s: &Sim) -> reqwest::Response {
    let token = s.token("alice").await;
    s.call(
        "/v1internal:streamGenerateContent?alt=sse",
        &token,
        &envelope("alice", "gemini-3-flash", &ask("hi there friend")),
    )
    .await
}

#[tokio::test]
async fn disconnect_sends_two_chunks_then_cuts_the_connection() {
    let s = sim().await;
    s.handle
        .inject(Fault::DisconnectMidStream, 1, FaultScope::default());
    let resp = open_stream(&s).await;
    assert_eq!(resp.status(), 200);
    let mut body = resp.bytes_stream();
    let mut received = Vec::new();
    let mut failed = false;
    while let Some(chunk) = body.next().await {
        if let Ok(bytes) = chunk {
            received.extend_from_slice(&bytes);
        } else {
            failed = true;
            break;
        }
    }
    assert!(failed, "the body ends with an error");
    let events = parse_sse(std::str::from_utf8(&received).unwrap());
    assert_eq!(events.len(), 2);
    assert!(
        events
            .iter()
            .all(|e| e["response"]["candidates"][0].get("finishReason").is_none())
    );
    assert_eq!(s.handle.stats().open_streams, 0);
}

#[tokio::test]
async fn stall_sends_one_chunk_then_nothing_until_shutdown() {
    let s = sim().await;
    s.handle.inject(Fault::Stall, 1, FaultScope::default());
    let resp = open_stream(&s).await;
    let mut body = resp.bytes_stream();
    let first = body.next().await.unwrap().unwrap();
    assert_eq!(parse_sse(std::str::from_utf8(&first).unwrap()).len(), 1);
    let more = tokio::time::timeout(Duration::from_millis(300), body.next()).await;
    assert!(more.is_err(), "nothing more arrives");
    assert_eq!(s.handle.stats().open_streams, 1);
    s.handle.shutdown();
    let end = tokio::time::timeout(Duration::from_secs(2), body.next())
        .await
        .unwrap();
    assert!(
        !matches!(end, Some(Ok(_))),
        "shutdown ends the stall: {end:?}"
    );
}

#[tokio::test]
async fn a_zero_quota_refuses_until_it_resets() {
    let s = sim().await;
    s.handle
        .set_quota("alice", "gemini-3-flash", 0.0, Duration::from_secs(90));
    let (status, body) = s.generate("alice", "gemini-3-flash", ask("hi")).await;
    assert_eq!(status, 429);
    assert_eq!(reason(&body), Some("QUOTA_EXHAUSTED"));
    let delay = body["error"]["details"][0]["metadata"]["quotaResetDelay"]
        .as_str()
        .unwrap();
    assert!(
        delay.starts_with("1m2") || delay.starts_with("1m29"),
        "{delay}"
    );
    s.handle
        .set_quota("alice", "gemini-3-flash", 0.0, Duration::ZERO);
    assert_eq!(
        s.generate("alice", "gemini-3-flash", ask("hi")).await.0,
        200
    );
}

#[tokio::test]
async fn the_http_control_api_drives_the_simulator() {
    let s = sim().await;
    let post = |path: &str, body: Value| {
        s.http
            .post(format!("{}/__sim/{path}", s.base))
            .json(&body)
            .send()
    };
    let resp = post(
        "faults",
        json!({"fault": "server_error", "times": 1, "model": null, "account": null}),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        s.generate("alice", "gemini-3-flash", ask("hi")).await.0,
        500
    );
    let resp = post("faults", json!({"fault": "nope"})).await.unwrap();
    assert_eq!(resp.status(), 400);

    post("quota", json!({"name": "alice", "model": "gemini-3-flash", "remaining_fraction": 0.0, "reset_in_secs": 60}))
        .await
        .unwrap();
    assert_eq!(
        s.generate("alice", "gemini-3-flash", ask("hi")).await.0,
        429
    );

    post("revoke", json!({"name": "alice"})).await.unwrap();
    let (status, _) = s
        .post_form(
            "/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", "sim-refresh-alice"),
            ],
        )
        .await;
    assert_eq!(status, 400);

    let seen: Value = s
        .http
        .get(format!("{}/__sim/stats", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seen["generate_calls"], 2);
    assert_eq!(seen["calls_by_account"]["alice@example.com"], 2);
    assert_eq!(seen["user_agents"], json!([super::UA]));
}

#[tokio::test]
async fn non_streaming_calls_get_the_same_body_faults() {
    let s = sim().await;
    s.handle
        .inject(Fault::VersionRejected, 1, FaultScope::default());
    let (status, body) = s.generate("alice", "gemini-3-flash", ask("hi")).await;
    assert_eq!(status, 200);
    let parts = body["response"]["candidates"][0]["content"]["parts"].clone();
    assert_eq!(parts, json!([{"text": VERSION_REJECTED_TEXT}]));

    s.handle
        .inject(Fault::EmptyStream, 1, FaultScope::default());
    let (status, body) = s.generate("alice", "gemini-3-flash", ask("hi")).await;
    assert_eq!((status, body), (200, Value::String(String::new())));

    s.handle
        .inject(Fault::DisconnectMidStream, 1, FaultScope::default());
    let token = s.token("alice").await;
    let resp = s
        .call(
            "/v1internal:generateContent",
            &token,
            &envelope("alice", "gemini-3-flash", &ask("hi")),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert!(resp.bytes().await.is_err(), "the body is cut short");
}

#[tokio::test]
async fn strict_mode_answers_identity_texts_with_the_bare_429_every_time() {
    let with_system = |text: &str| {
        let mut request = ask("hi");
        request["systemInstruction"] = json!({"role": "user", "parts": [{"text": text}]});
        request
    };
    let s = sim().await;
    for text in [
        "x-anthropic-billing-header: cc_version=2.1.330.d01; cc_entrypoint=sdk-cli;",
        "You are a Claude agent, built on Anthropic's Claude Agent SDK.",
        "<system-conventions>\nRFC 2119\n</system-conventions>",
    ] {
        for _ in 0..2 {
            let (status, body) = s
                .generate("alice", "gemini-3-flash", with_system(text))
                .await;
            assert_eq!(status, 429, "{text}: {body}");
            assert_eq!(body["error"]["status"], "RESOURCE_EXHAUSTED");
            assert_eq!(
                body["error"]["message"],
                "Resource has been exhausted (e.g. check quota)."
            );
            assert!(body["error"].get("details").is_none(), "bare: {body}");
        }
    }
    assert_eq!(s.handle.stats().identity_refusals, 6);
    let (status, _) = s
        .generate("alice", "gemini-3-flash", with_system("You are helpful."))
        .await;
    assert_eq!(status, 200);

    let lenient = super::sim_with(crate::simulator::SimConfig::lenient()).await;
    let (status, _) = lenient
        .generate(
            "alice",
            "gemini-3-flash",
            with_system("x-anthropic-billing-header: a;"),
        )
        .await;
    assert_eq!(status, 200, "lenient mode lets identity texts through");
}
