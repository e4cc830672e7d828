//! Anthropic message threads (`thread: {type: create | continue, previous_message_id}`), as the
//! TypeScript SDK's beta `toolRunner` sends them: turn 2 carries only the tool result, and the
//! proxy puts the stored conversation in front.

use serde_json::{Value, json};

use super::support::{Harness, parse_sse};

fn tools() -> Value {
    json!([{"type": "custom", "name": "get_weather", "description": "Current weather",
            "input_schema": {"type": "object", "properties": {"location": {"type": "string"}},
                             "required": ["location"]}}])
}

async fn turn_one(h: &Harness, stream: bool) -> (String, Value) {
    let body = json!({"model": "claude-sonnet-4-6", "max_tokens": 512, "tools": tools(),
                      "messages": [{"role": "user", "content": "Use get_weather for Paris please"}],
                      "thread": {"type": "create"}, "stream": stream});
    if !stream {
        let (status, body) = h.post_json("/v1/messages", &body).await;
        assert_eq!(status, 200, "{body}");
        let call = body["content"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["type"] == "tool_use")
            .unwrap_or_else(|| panic!("{body}"))
            .clone();
        return (body["id"].as_str().unwrap().to_owned(), call);
    }
    let resp = h.post("/v1/messages", &body).await;
    assert_eq!(resp.status(), 200);
    let events = parse_sse(&resp.text().await.unwrap());
    let id = events
        .iter()
        .find(|(n, _)| n.as_deref() == Some("message_start"))
        .map(|(_, d)| d["message"]["id"].as_str().unwrap().to_owned())
        .unwrap();
    let call = events
        .iter()
        .find(|(n, d)| {
            n.as_deref() == Some("content_block_start") && d["content_block"]["type"] == "tool_use"
        })
        .map(|(_, d)| d["content_block"].clone())
        .unwrap();
    (id, call)
}

#[tokio::test]
async fn a_continued_thread_needs_only_the_new_message() {
    for stream in [false, true] {
        let h = Harness::start(&["alice"]).await;
        let (id, call) = turn_one(&h, stream).await;
        let (status, body) = h
            .post_json(
                "/v1/messages",
                &json!({"model": "claude-sonnet-4-6", "max_tokens": 512, "tools": tools(),
                        "messages": [{"role": "user", "content": [
                            {"type": "tool_result", "tool_use_id": call["id"], "content": "sunny in Paris"}]}],
                        "thread": {"type": "continue", "previous_message_id": id}}),
            )
            .await;
        assert_eq!(status, 200, "stream={stream}: {body}");
        let text = body["content"][0]["text"].as_str().unwrap_or_default();
        assert!(text.contains("returned: sunny in Paris"), "{body}");
        // The upstream saw the whole conversation: the question, the call and its result.
        let upstream = h.sim.stats().last_request.unwrap();
        assert_eq!(
            upstream["request"]["contents"].as_array().unwrap().len(),
            3,
            "{upstream}"
        );
    }
}

#[tokio::test]
async fn an_unknown_thread_or_a_bad_one_is_a_400_naming_the_field() {
    let h = Harness::start(&["alice"]).await;
    let ask = json!([{"role": "user", "content": "hi"}]);
    for (thread, field) in [
        (
            json!({"type": "continue", "previous_message_id": "msg_nope"}),
            "thread.previous_message_id:",
        ),
        (json!({"type": "continue"}), "thread.previous_message_id:"),
        (json!({"type": "fork"}), "thread.type:"),
    ] {
        let (status, body) = h
            .post_json(
                "/v1/messages",
                &json!({"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": ask, "thread": thread}),
            )
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"]["type"], "invalid_request_error");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(field), "{message}");
    }
    // Without a thread, a lone tool result still names its missing tool_use.
    let (status, body) = h
        .post_json(
            "/v1/messages",
            &json!({"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": [{"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_x", "content": "x"}]}]}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
}
