//! Who may use the proxy: API key, loopback Host/Origin, body limit, malformed bodies, side calls.

use serde_json::{Value, json};

use super::support::Harness;

fn ask() -> Value {
    json!({"model": "gemini-3-flash", "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}]})
}

#[tokio::test]
async fn an_api_key_when_set_is_required_on_both_apis() {
    let h = Harness::start_with(&["alice"], |c| c.server.api_key = Some("s3cret".into())).await;
    for path in ["/v1/messages", "/v1/chat/completions"] {
        let resp = h
            .http
            .post(format!("{}{path}", h.base))
            .json(&ask())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401, "{path} without key");
        let resp = h
            .http
            .post(format!("{}{path}", h.base))
            .bearer_auth("wrong")
            .json(&ask())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401, "{path} wrong key");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["type"], "authentication_error");
        let resp = h
            .http
            .post(format!("{}{path}", h.base))
            .bearer_auth("s3cret")
            .json(&ask())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{path} bearer");
        let resp = h
            .http
            .post(format!("{}{path}", h.base))
            .header("x-api-key", "s3cret")
            .json(&ask())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{path} x-api-key");
    }
}

#[tokio::test]
async fn foreign_hosts_and_origins_are_refused_on_loopback() {
    let h = Harness::start(&["alice"]).await;
    let resp = h
        .http
        .post(format!("{}/v1/messages", h.base))
        .header("host", "evil.example")
        .json(&ask())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let resp = h
        .http
        .post(format!("{}/v1/messages", h.base))
        .header("origin", "https://evil.example")
        .json(&ask())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let resp = h
        .http
        .post(format!("{}/v1/messages", h.base))
        .header("origin", "http://localhost:3000")
        .json(&ask())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn bodies_over_the_limit_get_413_in_the_client_format() {
    let h = Harness::start_with(&["alice"], |c| c.server.max_body_mb = 1).await;
    let big = "x".repeat(2 * 1024 * 1024);
    let body = json!({"model": "gemini-3-flash", "max_tokens": 5, "messages": [{"role": "user", "content": big}]});
    let (status, value) = h.post_json("/v1/messages", &body).await;
    assert_eq!(status, 413);
    assert_eq!(value["type"], "error");
    assert!(
        value["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ANTI_API_MAX_BODY_MB")
    );
    let (status, value) = h.post_json("/v1/chat/completions", &body).await;
    assert_eq!(status, 413);
    assert!(value["error"]["message"].is_string());
}

#[tokio::test]
async fn malformed_json_is_a_400_not_a_crash() {
    let h = Harness::start(&["alice"]).await;
    for path in ["/v1/messages", "/v1/chat/completions"] {
        let resp = h
            .http
            .post(format!("{}{path}", h.base))
            .header("content-type", "application/json")
            .body("{\"model\": \"x\", \"messages\": [")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{path}");
        let body: Value = resp.json().await.unwrap();
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("line 1"),
            "{body}"
        );
    }
    // Still serving.
    let (status, _) = h.post_json("/v1/messages", &ask()).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn claude_code_side_calls_are_answered() {
    let h = Harness::start(&["alice"]).await;
    let resp = h.http.head(format!("{}/", h.base)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let resp = h
        .http
        .post(format!("{}/api/event_logging/batch", h.base))
        .json(&json!({"events": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = h.http.get(format!("{}/nope", h.base)).send().await.unwrap();
    assert_eq!(resp.status(), 404);
}
