//! Anthropic `/v1/messages` end to end: text, the full streaming event sequence, tools,
//! thinking with signature replay, `count_tokens`.

use serde_json::{Value, json};

use super::support::Harness;

fn weather_tool() -> Value {
    json!([{
        "name": "get_weather",
        "description": "Current weather",
        "input_schema": {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {"location": {"type": "string"}},
            "required": ["location"],
            "additionalProperties": false
        },
        "cache_control": {"type": "ephemeral"}
    }])
}

#[tokio::test]
async fn non_streaming_text_with_query_string() {
    let h = Harness::start(&["alice"]).await;
    let (status, body) = h
        .post_json(
            "/v1/messages?beta=true",
            &json!({"model": "claude-sonnet-4-6", "max_tokens": 256,
                    "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
                    "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["type"], "message");
    assert_eq!(body["role"], "assistant");
    assert!(body["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(body["model"], "claude-sonnet-4-6");
    assert_eq!(body["content"][0]["type"], "text");
    assert!(
        body["content"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Hello from the Antigravity simulator")
    );
    assert_eq!(body["stop_reason"], "end_turn");
    assert!(body["usage"]["input_tokens"].as_u64().unwrap() > 0);
    assert!(body["usage"]["output_tokens"].as_u64().unwrap() > 0);
    let upstream = h.sim.stats().last_request.unwrap();
    assert!(!upstream.to_string().contains("cache_control"));
}

#[tokio::test]
async fn streaming_event_sequence_is_complete() {
    let h = Harness::start(&["alice"]).await;
    let (status, events) = h
        .post_sse(
            "/v1/messages",
            &json!({"model": "claude-sonnet-4-6", "max_tokens": 256, "stream": true,
                    "messages": [{"role": "user", "content": "hello"}]}),
        )
        .await;
    assert_eq!(status, 200);
    let names: Vec<&str> = events
        .iter()
        .map(|(n, _)| n.as_deref().expect("every event is named"))
        .collect();
    for (name, data) in &events {
        assert_eq!(
            data["type"],
            name.as_deref().unwrap(),
            "event line matches data.type"
        );
    }
    assert_eq!(names.first(), Some(&"message_start"));
    assert_eq!(names.last(), Some(&"message_stop"));
    assert!(events[0].1["message"]["usage"].is_object());
    let delta = events
        .iter()
        .find(|(n, _)| n.as_deref() == Some("message_delta"))
        .unwrap();
    assert_eq!(delta.1["delta"]["stop_reason"], "end_turn");
    assert!(delta.1["usage"]["output_tokens"].as_u64().unwrap() > 0);
    let text: String = events
        .iter()
        .filter(|(n, _)| n.as_deref() == Some("content_block_delta"))
        .filter_map(|(_, d)| d["delta"]["text"].as_str())
        .collect();
    assert!(
        text.starts_with("Hello from the Antigravity simulator"),
        "{text}"
    );
    assert!(names.contains(&"content_block_start") && names.contains(&"content_block_stop"));
}

/// On a Gemini model the upstream counts the prompt on its first chunk: `message_start` carries
/// that count, so it agrees with the final usage instead of being a local guess a tenth of it.
#[tokio::test]
async fn message_start_carries_the_upstream_prompt_count_when_it_has_one() {
    let h = Harness::start(&["alice"]).await;
    let (status, events) = h
        .post_sse(
            "/v1/messages",
            &json!({"model": "gemini-3-flash", "max_tokens": 256, "stream": true,
                    "messages": [{"role": "user", "content": "hello"}]}),
        )
        .await;
    assert_eq!(status, 200);
    let first_input = events[0].1["message"]["usage"]["input_tokens"]
        .as_u64()
        .unwrap();
    let local = anti_api_tui::translate::anthropic::estimate_input_tokens(
        &anti_api_tui::translate::anthropic::parse_request(
            br#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"hello"}]}"#,
        )
        .unwrap(),
    );
    assert!(first_input > local, "{first_input} vs the local {local}");
    let delta = events
        .iter()
        .find(|(n, _)| n.as_deref() == Some("message_delta"))
        .unwrap();
    assert_eq!(delta.1["usage"]["input_tokens"].as_u64(), Some(first_input));
}

#[tokio::test]
async fn tool_use_and_tool_result_round_trip() {
    let h = Harness::start(&["alice"]).await;
    let ask = json!({"role": "user", "content": "What does get_weather say for Paris?"});
    let (status, body) = h
        .post_json(
            "/v1/messages",
            &json!({"model": "claude-sonnet-4-6", "max_tokens": 512, "tools": weather_tool(), "messages": [ask]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stop_reason"], "tool_use");
    let tool_use = body["content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "tool_use")
        .unwrap()
        .clone();
    assert_eq!(tool_use["name"], "get_weather");
    assert_eq!(tool_use["input"], json!({"location": "Paris"}));
    let (status, body) = h
        .post_json(
            "/v1/messages",
            &json!({"model": "claude-sonnet-4-6", "max_tokens": 512, "tools": weather_tool(), "messages": [
                ask,
                {"role": "assistant", "content": [tool_use]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use["id"],
                    "content": [{"type": "text", "text": "sunny"}], "cache_control": {"type": "ephemeral"}}]}
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("Tool get_weather returned: sunny")
    );
}

#[tokio::test]
async fn thinking_streams_with_signature_and_replays() {
    let h = Harness::start(&["alice"]).await;
    let ask = json!({"role": "user", "content": "use get_weather for Paris"});
    let request = json!({"model": "claude-sonnet-4-6", "max_tokens": 4096, "stream": true,
        "thinking": {"type": "enabled", "budget_tokens": 2048},
        "tools": weather_tool(), "messages": [ask]});
    let (status, events) = h.post_sse("/v1/messages", &request).await;
    assert_eq!(status, 200);
    let mut thinking = String::new();
    let mut signature = String::new();
    let mut tool: Option<Value> = None;
    let mut tool_json = String::new();
    for (name, data) in &events {
        match name.as_deref() {
            Some("content_block_start") if data["content_block"]["type"] == "tool_use" => {
                tool = Some(data["content_block"].clone());
            }
            Some("content_block_delta") => match data["delta"]["type"].as_str() {
                Some("thinking_delta") => {
                    thinking.push_str(data["delta"]["thinking"].as_str().unwrap());
                }
                Some("signature_delta") => {
                    signature.push_str(data["delta"]["signature"].as_str().unwrap());
                }
                Some("input_json_delta") => {
                    tool_json.push_str(data["delta"]["partial_json"].as_str().unwrap());
                }
                _ => {}
            },
            _ => {}
        }
    }
    assert!(!thinking.is_empty(), "thinking text streamed");
    assert!(signature.len() >= 50, "signature streamed: {signature:?}");
    let mut tool = tool.expect("a tool_use block");
    tool["input"] = serde_json::from_str(&tool_json).unwrap();
    let upstream = h.sim.stats().last_request.unwrap();
    assert_eq!(upstream["model"], "claude-sonnet-4-6");
    assert_eq!(
        upstream["request"]["generationConfig"]["thinkingConfig"]["thinkingBudget"], 2048,
        "Sonnet 4.6 thinks when asked"
    );

    // Second turn: the client replays the signed thinking block and the tool call.
    let replay = json!({"model": "claude-sonnet-4-6", "max_tokens": 4096,
    "thinking": {"type": "enabled", "budget_tokens": 2048},
    "tools": weather_tool(), "messages": [
        ask,
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": thinking, "signature": signature},
            tool
        ]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool["id"], "content": "cloudy"}]}
    ]});
    let (status, body) = h.post_json("/v1/messages", &replay).await;
    assert_eq!(status, 200, "{body}");
    let text = body["content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "text")
        .unwrap();
    assert!(text["text"].as_str().unwrap().contains("returned: cloudy"));
    assert!(
        h.sim.stats().rejected.is_empty(),
        "{:?}",
        h.sim.stats().rejected
    );
}

#[tokio::test]
async fn thinking_restored_when_the_client_drops_it() {
    // A client that strips thinking blocks from history (many do) still gets a valid request
    // upstream: the proxy restores the signed thinking it saw for that tool call.
    let h = Harness::start(&["alice"]).await;
    let ask = json!({"role": "user", "content": "use get_weather for Paris"});
    let first = json!({"model": "claude-sonnet-4-6-thinking", "max_tokens": 4096,
        "tools": weather_tool(), "messages": [ask]});
    let (status, body) = h.post_json("/v1/messages", &first).await;
    assert_eq!(status, 200, "{body}");
    let tool = body["content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "tool_use")
        .unwrap()
        .clone();
    let second = json!({"model": "claude-sonnet-4-6-thinking", "max_tokens": 4096, "tools": weather_tool(), "messages": [
        ask,
        {"role": "assistant", "content": [tool]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool["id"], "content": "hail"}]}
    ]});
    let (status, body) = h.post_json("/v1/messages", &second).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        h.sim.stats().rejected.is_empty(),
        "{:?}",
        h.sim.stats().rejected
    );
}

#[tokio::test]
async fn count_tokens_answers_a_positive_count() {
    let h = Harness::start(&["alice"]).await;
    let (status, body) = h
        .post_json(
            "/v1/messages/count_tokens",
            &json!({"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "count these words please"}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["input_tokens"].as_u64().unwrap() > 0);
    assert_eq!(h.sim.stats().count_tokens_calls, 1);
}

#[tokio::test]
async fn errors_use_the_anthropic_shape() {
    let h = Harness::start(&["alice"]).await;
    let (status, body) = h
        .post_json(
            "/v1/messages",
            &json!({"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "x"}]}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("max_tokens"),
        "{body}"
    );
}
