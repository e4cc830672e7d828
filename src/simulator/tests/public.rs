//! The public Gemini (`v1beta`) routes: same scripted replies, no `response` wrapper, API key
//! by header or query, SSE only with `alt=sse`.

use serde_json::{Value, json};

use super::{ask, parse_sse, sim, text_of};

const GENERATE: &str = "/v1beta/models/gemini-3-flash:generateContent";
const STREAM: &str = "/v1beta/models/gemini-3-flash:streamGenerateContent";

fn public_parts(events: &[Value]) -> Vec<Value> {
    events
        .iter()
        .flat_map(|e| {
            e["candidates"][0]["content"]["parts"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

#[tokio::test]
async fn generate_content_answers_unwrapped_with_a_header_key() {
    let s = sim().await;
    let resp = s
        .http
        .post(format!("{}{GENERATE}", s.base))
        .header("x-goog-api-key", "any-key")
        .json(&ask("hello"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert!(body.get("response").is_none(), "{body}");
    assert_eq!(body["modelVersion"], "gemini-3-flash");
    assert_eq!(body["candidates"][0]["finishReason"], "STOP");
    let text = text_of(&public_parts(std::slice::from_ref(&body)));
    assert!(text.starts_with("Hello from the Antigravity simulator (gemini-3-flash)"));
    assert!(text.ends_with("You said: hello"), "{text}");
    assert!(body["usageMetadata"]["totalTokenCount"].as_u64().unwrap() > 0);
    assert_eq!(s.handle.stats().generate_calls, 1);
}

#[tokio::test]
async fn stream_generate_content_is_sse_with_a_query_key() {
    let s = sim().await;
    let resp = s
        .http
        .post(format!("{}{STREAM}?alt=sse&key=k", s.base))
        .json(&ask("hi there"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let raw = resp.text().await.unwrap();
    assert!(raw.ends_with("\r\n\r\n"), "{raw:?}");
    let events = parse_sse(&raw);
    assert!(events.len() > 1);
    assert!(events.iter().all(|e| e.get("response").is_none()));
    let last = events.last().unwrap();
    assert_eq!(last["candidates"][0]["finishReason"], "STOP");
    assert!(last["usageMetadata"].is_object());
    let text = text_of(&public_parts(&events));
    assert!(text.ends_with("You said: hi there"), "{text}");
    assert_eq!(s.handle.stats().stream_calls, 1);
}

#[tokio::test]
async fn refusals_keep_the_google_error_shape() {
    let s = sim().await;
    let post = |path: String, key: Option<&'static str>, body: Value| {
        let mut req = s.http.post(format!("{}{path}", s.base)).json(&body);
        if let Some(key) = key {
            req = req.header("x-goog-api-key", key);
        }
        async move {
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = post(GENERATE.into(), None, ask("hi")).await;
    assert_eq!(
        (status, body["error"]["status"].clone()),
        (403, json!("PERMISSION_DENIED"))
    );
    let (status, _) = post(
        "/v1beta/models/no-such-model:generateContent".into(),
        Some("k"),
        ask("hi"),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = post(
        "/v1beta/models/gemini-3-flash:embedContent".into(),
        Some("k"),
        ask("hi"),
    )
    .await;
    assert_eq!(status, 404);
    let (status, body) = post(STREAM.into(), Some("k"), ask("hi")).await;
    assert_eq!(
        (status, body["error"]["status"].clone()),
        (400, json!("INVALID_ARGUMENT"))
    );
    let (status, body) = post(GENERATE.into(), Some("k"), json!({"contents": []})).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("contents is not specified")
    );
}
