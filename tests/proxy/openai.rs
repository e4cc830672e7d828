//! OpenAI `/v1/chat/completions` end to end: text, streaming, tools, reasoning, models.

use serde_json::{Value, json};

use super::support::Harness;

fn weather_tool() -> Value {
    json!([{
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather",
            "parameters": {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "properties": {"location": {"type": "string", "format": "city"}},
                "required": ["location"],
                "additionalProperties": false
            }
        }
    }])
}

#[tokio::test]
async fn non_streaming_text() {
    let h = Harness::start(&["alice"]).await;
    let (status, body) = h
        .post_json(
            "/v1/chat/completions",
            &json!({"model": "claude-sonnet-4-6", "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "hi there"}
            ], "max_tokens": 100, "temperature": 0.2}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["object"], "chat.completion");
    assert!(body["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(body["model"], "claude-sonnet-4-6");
    let text = body["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(
        text.starts_with("Hello from the Antigravity simulator"),
        "{text}"
    );
    assert!(text.contains("hi there"), "{text}");
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert!(body["usage"]["prompt_tokens"].as_u64().unwrap() > 0);
    assert!(body["usage"]["completion_tokens"].as_u64().unwrap() > 0);
    // The client's system prompt and settings reached the upstream.
    let upstream = h.sim.stats().last_request.unwrap();
    assert_eq!(
        upstream["request"]["systemInstruction"]["parts"][0]["text"],
        "Be brief."
    );
    assert_eq!(
        upstream["request"]["generationConfig"]["maxOutputTokens"],
        100
    );
    assert_eq!(upstream["request"]["generationConfig"]["temperature"], 0.2);
}

#[tokio::test]
async fn streaming_chunks_follow_the_sdk_rules() {
    let h = Harness::start(&["alice"]).await;
    let (status, events) = h
        .post_sse(
            "/v1/chat/completions",
            &json!({"model": "gemini-3-flash", "stream": true, "stream_options": {"include_usage": true},
                    "messages": [{"role": "user", "content": "hello"}]}),
        )
        .await;
    assert_eq!(status, 200);
    let (last, chunks) = events.split_last().unwrap();
    assert_eq!(last.1, "[DONE]");
    let mut text = String::new();
    let mut finishes = 0;
    for (_, chunk) in chunks {
        assert_eq!(chunk["object"], "chat.completion.chunk", "{chunk}");
        assert!(chunk["id"].as_str().unwrap().starts_with("chatcmpl-"));
        assert!(chunk["created"].is_i64());
        assert_eq!(chunk["model"], "gemini-3-flash");
        if let Some(choice) = chunk["choices"].get(0) {
            text.push_str(choice["delta"]["content"].as_str().unwrap_or(""));
            if !choice["finish_reason"].is_null() {
                finishes += 1;
                assert_eq!(choice["finish_reason"], "stop");
            }
        }
    }
    assert_eq!(finishes, 1);
    assert!(
        text.starts_with("Hello from the Antigravity simulator"),
        "{text}"
    );
    let usage_chunk = chunks.last().unwrap();
    assert_eq!(usage_chunk.1["choices"], json!([]));
    assert!(usage_chunk.1["usage"]["total_tokens"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn tool_calls_non_streaming_and_round_trip() {
    let h = Harness::start(&["alice"]).await;
    let ask = json!({"role": "user", "content": "Use get_weather for Paris please"});
    let (status, body) = h
        .post_json(
            "/v1/chat/completions",
            &json!({"model": "claude-sonnet-4-6", "messages": [ask], "tools": weather_tool()}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let choice = &body["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    let call = &choice["message"]["tool_calls"][0];
    assert_eq!(call["type"], "function");
    assert_eq!(call["function"]["name"], "get_weather");
    let args: Value =
        serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(args, json!({"location": "Paris"}));
    // The schema reached the upstream cleaned.
    let upstream = h.sim.stats().last_request.unwrap().to_string();
    assert!(!upstream.contains("$schema") && !upstream.contains("additionalProperties"));

    let (status, body) = h
        .post_json(
            "/v1/chat/completions",
            &json!({"model": "claude-sonnet-4-6", "tools": weather_tool(), "messages": [
                ask,
                {"role": "assistant", "content": null, "tool_calls": [call]},
                {"role": "tool", "tool_call_id": call["id"], "content": "18C and sunny"}
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let text = body["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(
        text.contains("Tool get_weather returned: 18C and sunny"),
        "{text}"
    );
}

#[tokio::test]
async fn streamed_tool_call_deltas_accumulate() {
    let h = Harness::start(&["alice"]).await;
    let (status, events) = h
        .post_sse(
            "/v1/chat/completions",
            &json!({"model": "gemini-3-flash", "stream": true, "tools": weather_tool(),
                    "messages": [{"role": "user", "content": "get_weather in Paris"}]}),
        )
        .await;
    assert_eq!(status, 200);
    let mut args = String::new();
    let mut first = None;
    let mut finish = None;
    for (_, chunk) in &events {
        let Some(choice) = chunk.get("choices").and_then(|c| c.get(0)) else {
            continue;
        };
        if let Some(calls) = choice["delta"].get("tool_calls") {
            let call = &calls[0];
            if first.is_none() {
                first = Some(call.clone());
            }
            args.push_str(call["function"]["arguments"].as_str().unwrap_or(""));
        }
        if !choice["finish_reason"].is_null() {
            finish = Some(choice["finish_reason"].clone());
        }
    }
    let first = first.expect("a tool call delta");
    assert_eq!(first["index"], 0);
    assert_eq!(first["type"], "function");
    assert_eq!(first["function"]["name"], "get_weather");
    assert_eq!(first["function"]["arguments"], "");
    assert!(first["id"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(
        serde_json::from_str::<Value>(&args).unwrap(),
        json!({"location": "Paris"})
    );
    assert_eq!(finish, Some(json!("tool_calls")));
}

#[tokio::test]
async fn gemini_tool_round_trip_carries_the_thought_signature() {
    let h = Harness::start(&["alice"]).await;
    let ask = json!({"role": "user", "content": "get_weather for Paris"});
    let (_, body) = h
        .post_json(
            "/v1/chat/completions",
            &json!({"model": "gemini-3-flash", "messages": [ask], "tools": weather_tool()}),
        )
        .await;
    let call = body["choices"][0]["message"]["tool_calls"][0].clone();
    // OpenAI clients cannot carry signatures: the proxy must restore it (or the simulator,
    // like the real upstream, refuses the function call in history).
    let (status, body) = h
        .post_json(
            "/v1/chat/completions",
            &json!({"model": "gemini-3-flash", "tools": weather_tool(), "messages": [
                ask,
                {"role": "assistant", "tool_calls": [call]},
                {"role": "tool", "tool_call_id": call["id"], "content": "rain"}
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .contains("returned: rain")
    );
}

#[tokio::test]
async fn reasoning_effort_thinks_and_shows_reasoning() {
    let h = Harness::start(&["alice"]).await;
    let (status, body) = h
        .post_json(
            "/v1/chat/completions",
            &json!({"model": "gemini-3-flash", "reasoning_effort": "low",
                    "messages": [{"role": "user", "content": "think"}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let msg = &body["choices"][0]["message"];
    assert!(
        msg["reasoning_content"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "{body}"
    );
    assert!(msg["content"].as_str().unwrap().starts_with("Hello"));
    let upstream = h.sim.stats().last_request.unwrap();
    assert_eq!(
        upstream["request"]["generationConfig"]["thinkingConfig"]["includeThoughts"],
        true
    );
}

#[tokio::test]
async fn max_tokens_finish_is_length() {
    let h = Harness::start(&["alice"]).await;
    let (status, body) = h
        .post_json(
            "/v1/chat/completions",
            &json!({"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "go [[sim:max_tokens]]"}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["choices"][0]["finish_reason"], "length");
}

#[tokio::test]
async fn models_list_has_catalogue_and_routes() {
    let h = Harness::start(&["alice"]).await;
    let resp = h
        .http
        .get(format!("{}/v1/models", h.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["object"], "list");
    assert_eq!(body["has_more"], false);
    let ids: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    for id in [
        "claude-sonnet-4-6",
        "claude-opus-4-6-thinking",
        "gemini-3-flash",
        "fast",
        "opus",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert_eq!(body["first_id"], ids[0]);
    let one: Value = h
        .http
        .get(format!("{}/v1/models/gemini-3-flash", h.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["id"], "gemini-3-flash");
    assert_eq!(one["owned_by"], "antigravity");
    let missing = h
        .http
        .get(format!("{}/v1/models/nope", h.base))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(body["last_id"], *ids.last().unwrap());
    let health: Value = h
        .http
        .get(format!("{}/health", h.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["usable_accounts"], 1);
}

#[tokio::test]
async fn bad_requests_name_the_field() {
    let h = Harness::start(&["alice"]).await;
    let (status, body) = h
        .post_json(
            "/v1/chat/completions",
            &json!({"model": "llama-3.3-70b", "messages": [{"role": "user", "content": "x"}]}),
        )
        .await;
    assert_eq!(status, 400);
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("llama-3.3-70b") && msg.contains("claude-sonnet-4-6"),
        "{msg}"
    );
    assert_eq!(body["error"]["type"], "invalid_request_error");
    let (status, body) = h
        .post_json("/v1/chat/completions", &json!({"model": "gemini-3-flash", "n": 2, "messages": [{"role": "user", "content": "x"}]}))
        .await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"].as_str().unwrap().starts_with('n'),
        "{body}"
    );
    let (status, body) = h
        .post_json(
            "/v1/chat/completions",
            &json!({"model": "gemini-3-flash", "messages": [{"role": "wizard", "content": "x"}]}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("messages[0].role"),
        "{body}"
    );
}
