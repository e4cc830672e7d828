//! Upstream faults mapped to the client: statuses, bodies, failover across accounts, cooldowns,
//! refresh, quarantine, re-discovery, in-band errors, disconnects and shutdown.

use std::time::{Duration, Instant};

use anti_api_tui::simulator::{Fault, FaultScope};
use serde_json::{Value, json};

use super::support::{Harness, read_then_drop};

fn ask(model: &str, text: &str) -> Value {
    json!({"model": model, "max_tokens": 200, "messages": [{"role": "user", "content": text}]})
}

#[tokio::test]
async fn quota_exhausted_is_a_429_with_reset_and_cools_only_that_model() {
    let h = Harness::start(&["alice"]).await;
    h.sim
        .inject(Fault::QuotaExhausted, 1, FaultScope::default());
    let resp = h.post("/v1/messages", &ask("gemini-pro-agent", "hi")).await;
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((4000..=4600).contains(&retry), "retry-after {retry}");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "rate_limit_error");
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(msg.contains("gemini-pro-agent"), "{msg}");
    // The same model is not retried upstream while cooling; another model still works.
    let calls = h.sim.stats().stream_calls;
    let (status, body) = h
        .post_json("/v1/chat/completions", &ask("gemini-pro-agent", "again"))
        .await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["type"], "rate_limit_error");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cooling"),
        "{body}"
    );
    assert_eq!(
        h.sim.stats().stream_calls,
        calls,
        "no upstream call while cooling"
    );
    let (status, _) = h
        .post_json("/v1/messages", &ask("gemini-3-flash", "other model"))
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn quota_on_the_first_account_fails_over_to_the_second() {
    let h = Harness::start(&["alice", "bob"]).await;
    h.sim.inject(
        Fault::QuotaExhausted,
        1,
        FaultScope {
            model: None,
            account: Some("alice@example.com".into()),
        },
    );
    let (status, body) = h
        .post_json("/v1/messages", &ask("claude-sonnet-4-6", "hi"))
        .await;
    assert_eq!(status, 200, "{body}");
    let by_account = h.sim.stats().calls_by_account;
    assert_eq!(
        by_account.get("alice@example.com"),
        Some(&1),
        "{by_account:?}"
    );
    assert_eq!(
        by_account.get("bob@example.com"),
        Some(&1),
        "{by_account:?}"
    );
    // alice is skipped for that model until its reset.
    let (status, _) = h
        .post_json("/v1/messages", &ask("claude-sonnet-4-6", "again"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        h.sim.stats().calls_by_account.get("alice@example.com"),
        Some(&1)
    );
}

#[tokio::test]
async fn an_expired_token_is_refreshed_and_the_request_retried() {
    let h = Harness::start(&["alice"]).await;
    let (status, _) = h
        .post_json("/v1/messages", &ask("claude-sonnet-4-6", "warm up"))
        .await;
    assert_eq!(status, 200);
    let refreshes = h.sim.stats().token_refreshes;
    h.sim.inject(Fault::Unauthorized, 1, FaultScope::default());
    let (status, body) = h
        .post_json("/v1/messages", &ask("claude-sonnet-4-6", "hi"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(h.sim.stats().token_refreshes, refreshes + 1);
}

#[tokio::test]
async fn concurrent_requests_share_one_refresh() {
    let h = Harness::start(&["alice"]).await;
    let bodies: Vec<Value> = (0..8)
        .map(|i| ask("claude-sonnet-4-6", &format!("n{i}")))
        .collect();
    let requests = bodies.iter().map(|b| h.post_json("/v1/messages", b));
    for (status, body) in futures::future::join_all(requests).await {
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(h.sim.stats().token_refreshes, 1);
}

#[tokio::test]
async fn a_revoked_account_needs_login_and_says_so() {
    let h = Harness::start(&["alice"]).await;
    h.sim.revoke("alice");
    let (status, body) = h
        .post_json("/v1/chat/completions", &ask("claude-sonnet-4-6", "hi"))
        .await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("anti-api-tui login"),
        "{body}"
    );
    let account = &h.core.accounts().snapshot()[0];
    assert!(account.needs_login.is_some());
    let (status, body) = h
        .post_json("/v1/chat/completions", &ask("claude-sonnet-4-6", "hi"))
        .await;
    assert_eq!(status, 401, "{body}");
}

#[tokio::test]
async fn no_account_is_a_401_that_says_how_to_log_in() {
    let h = Harness::start(&[]).await;
    let (status, body) = h
        .post_json("/v1/messages", &ask("claude-sonnet-4-6", "hi"))
        .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["type"], "authentication_error");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("anti-api-tui login")
    );
    // OpenAI clients see a code that is not `invalid_api_key` (IDEs would blame the key).
    let (status, body) = h
        .post_json("/v1/chat/completions", &ask("claude-sonnet-4-6", "hi"))
        .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "login_required", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("your API key is fine"), "{message}");
}

#[tokio::test]
async fn terms_of_service_quarantines_the_account() {
    let h = Harness::start(&["alice"]).await;
    h.sim
        .inject(Fault::TermsOfService, 1, FaultScope::default());
    let (status, body) = h
        .post_json("/v1/messages", &ask("claude-sonnet-4-6", "hi"))
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["type"], "permission_error");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Terms of Service"),
        "{body}"
    );
    assert!(h.core.accounts().snapshot()[0].quarantined.is_some());
    // Never retried automatically.
    let calls = h.sim.stats().stream_calls;
    let (status, _) = h
        .post_json("/v1/messages", &ask("claude-sonnet-4-6", "hi"))
        .await;
    assert_eq!(status, 403);
    assert_eq!(h.sim.stats().stream_calls, calls);
}

#[tokio::test]
async fn a_stale_project_is_discovered_again() {
    let h = Harness::start(&["alice"]).await;
    let (status, _) = h
        .post_json("/v1/messages", &ask("claude-sonnet-4-6", "warm up"))
        .await;
    assert_eq!(status, 200);
    h.sim.set_project("alice", "sim-project-moved");
    let (status, body) = h
        .post_json("/v1/messages", &ask("claude-sonnet-4-6", "hi"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        h.core.accounts().snapshot()[0].project.as_deref(),
        Some("sim-project-moved")
    );
}

#[tokio::test]
async fn request_level_faults_map_to_documented_statuses() {
    let h = Harness::start(&["alice"]).await;
    for (fault, status, kind) in [
        (Fault::BadRequest, 400, "invalid_request_error"),
        (Fault::ServerError, 503, "overloaded_error"),
        (Fault::VersionRejected, 503, "api_error"),
    ] {
        h.sim.inject(fault, 1, FaultScope::default());
        let (got, body) = h
            .post_json("/v1/messages", &ask("gemini-3-flash", "hi"))
            .await;
        assert_eq!(got, status, "{fault:?}: {body}");
        assert_eq!(body["error"]["type"], kind, "{fault:?}: {body}");
        if fault == Fault::VersionRejected {
            assert!(
                body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("ANTI_API_ANTIGRAVITY_VERSION"),
                "{body}"
            );
        }
    }
}

#[tokio::test]
async fn an_empty_stream_is_retried_once() {
    let h = Harness::start(&["alice"]).await;
    h.sim.inject(Fault::EmptyStream, 1, FaultScope::default());
    let (status, body) = h
        .post_json("/v1/messages", &ask("gemini-3-flash", "hi"))
        .await;
    assert_eq!(status, 200, "{body}");
    h.sim.inject(Fault::EmptyStream, 2, FaultScope::default());
    let (status, body) = h
        .post_json("/v1/messages", &ask("gemini-3-flash", "hi"))
        .await;
    assert_eq!(status, 503, "{body}");
}

#[tokio::test]
async fn a_mid_stream_disconnect_becomes_an_in_band_error() {
    let h = Harness::start(&["alice"]).await;
    let mut anthropic = ask("claude-sonnet-4-6", "hi");
    anthropic["stream"] = json!(true);
    h.sim
        .inject(Fault::DisconnectMidStream, 1, FaultScope::default());
    let (status, events) = h.post_sse("/v1/messages", &anthropic).await;
    assert_eq!(status, 200, "headers were sent with the first event");
    let (name, data) = events.last().unwrap();
    assert_eq!(name.as_deref(), Some("error"), "{events:?}");
    assert_eq!(data["type"], "error");

    h.sim
        .inject(Fault::DisconnectMidStream, 1, FaultScope::default());
    let (status, events) = h.post_sse("/v1/chat/completions", &anthropic).await;
    assert_eq!(status, 200);
    let last = &events.last().unwrap().1;
    assert!(last["error"]["message"].is_string(), "{events:?}");
    assert!(
        !events.iter().any(|(_, d)| d == "[DONE]"),
        "no [DONE] after an error"
    );
}

#[tokio::test]
async fn a_stalled_upstream_is_ended_by_the_idle_timeout() {
    let h = Harness::start_with(&["alice"], |c| c.upstream.stream_idle_timeout_s = 1).await;
    h.sim.inject(Fault::Stall, 1, FaultScope::default());
    let mut req = ask("claude-sonnet-4-6", "hi");
    req["stream"] = json!(true);
    let started = Instant::now();
    let (status, events) = h.post_sse("/v1/messages", &req).await;
    assert_eq!(status, 200);
    assert!(started.elapsed() < Duration::from_secs(10));
    let (name, data) = events.last().unwrap();
    assert_eq!(name.as_deref(), Some("error"));
    assert!(
        data["error"]["message"]
            .as_str()
            .unwrap()
            .contains("sent nothing"),
        "{data}"
    );
}

#[tokio::test]
async fn a_client_that_goes_away_closes_the_upstream_request() {
    let h = Harness::start(&["alice"]).await;
    h.sim.set_chunk_delay(Duration::from_millis(50));
    let mut req = ask("claude-sonnet-4-6", "a long one [[sim:long]]");
    req["stream"] = json!(true);
    let resp = h.post("/v1/messages", &req).await;
    assert_eq!(resp.status(), 200);
    read_then_drop(resp, 600).await;
    assert!(h.sim.stats().open_streams <= 1);
    assert!(
        h.wait_streams_closed(Duration::from_secs(10)).await,
        "upstream stream still open"
    );
}

#[tokio::test]
async fn shutdown_ends_open_streams_with_an_error_event() {
    let h = Harness::start(&["alice"]).await;
    h.sim.set_chunk_delay(Duration::from_millis(100));
    let mut req = ask("claude-sonnet-4-6", "long [[sim:long]]");
    req["stream"] = json!(true);
    let resp = h.post("/v1/messages", &req).await;
    assert_eq!(resp.status(), 200);
    h.core.shutdown_token().cancel();
    let text = tokio::time::timeout(Duration::from_secs(5), resp.text())
        .await
        .unwrap()
        .unwrap();
    let events = super::support::parse_sse(&text);
    let (name, data) = events.last().unwrap();
    assert_eq!(name.as_deref(), Some("error"));
    assert!(
        data["error"]["message"]
            .as_str()
            .unwrap()
            .contains("shutting down")
    );
}
