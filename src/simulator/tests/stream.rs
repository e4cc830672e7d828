//! Streamed replies parsed back: framing, thinking and signatures, tool calls, directives, and
//! the open-stream gauge.

use std::time::{Duration, Instant};

use futures::StreamExt as _;
use serde_json::{Value, json};

use super::{ask, envelope, parse_sse, parts, sim, text_of};
use crate::simulator::sign;

fn thinking(mut request: Value) -> Value {
    request["generationConfig"] = json!({
        "maxOutputTokens": 8000,
        "thinkingConfig": {"includeThoughts": true, "thinkingBudget": 2048},
    });
    request
}

fn with_bash(mut request: Value) -> Value {
    request["tools"] = json!([{"functionDeclarations": [{
        "name": "Bash",
        "description": "Run a shell command",
        "parameters": {"type": "object", "properties": {
            "command": {"type": "string"}, "description": {"type": "string"}},
            "required": ["command"]},
    }]}]);
    request
}

#[tokio::test]
async fn claude_thinking_then_signature_then_text() {
    let s = sim().await;
    let (status, events, raw) = s
        .stream("alice", "claude-sonnet-4-6", thinking(ask("hello")))
        .await;
    assert_eq!(status, 200);
    // Framing quirks clients must handle.
    assert!(raw.contains("\r\n"), "some events use CRLF");
    assert!(
        raw.contains("\ndata:\"traceId\""),
        "one event spans two data lines"
    );

    let all = parts(&events);
    assert_eq!(all[0], json!({"text": "Let me think", "thought": true}));
    assert_eq!(all[1], json!({"text": " about this.", "thought": true}));
    let sig = all[2]["thoughtSignature"].as_str().unwrap();
    assert_eq!(
        (all[2]["thought"].clone(), all[2]["text"].clone()),
        (json!(true), json!(""))
    );
    assert!(sign::verify("claude", "Let me think about this.", sig));
    assert!(sig.len() >= 60);
    let text = text_of(&all);
    assert_eq!(
        text,
        "Hello from the Antigravity simulator (claude-sonnet-4-6). You said: hello"
    );
    assert!(
        all.iter()
            .any(|p| p["text"].as_str().is_some_and(|t| t.starts_with(' ')))
    );

    let last = &events.last().unwrap()["response"];
    assert_eq!(last["candidates"][0]["finishReason"], "STOP");
    assert_eq!(
        last["candidates"][0]["content"]["parts"],
        json!([{"text": ""}])
    );
    let usage = &last["usageMetadata"];
    assert_eq!(usage["cachedContentTokenCount"], 0);
    let sum = usage["promptTokenCount"].as_u64().unwrap()
        + usage["candidatesTokenCount"].as_u64().unwrap()
        + usage["thoughtsTokenCount"].as_u64().unwrap();
    assert_eq!(usage["totalTokenCount"].as_u64().unwrap(), sum);
    assert!(
        events[..events.len() - 1]
            .iter()
            .all(|e| e["response"].get("usageMetadata").is_none())
    );
    assert_eq!(s.handle.stats().stream_calls, 1);
}

#[tokio::test]
async fn a_standard_sse_parser_reads_the_stream() {
    let s = sim().await;
    let token = s.token("alice").await;
    let resp = s
        .call(
            "/v1internal:streamGenerateContent?alt=sse",
            &token,
            &envelope("alice", "gemini-3-flash", &ask("parse me")),
        )
        .await;
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut stream = eventsource_stream::Eventsource::eventsource(resp.bytes_stream());
    let mut text = String::new();
    let mut count = 0;
    while let Some(event) = stream.next().await {
        let event = event.unwrap();
        let value: Value = serde_json::from_str(&event.data).unwrap();
        text.push_str(&text_of(&parts(&[value])));
        count += 1;
    }
    assert_eq!(count, 6);
    assert!(text.ends_with("You said: parse me"), "{text}");
}

#[tokio::test]
async fn gemini_puts_the_signature_on_the_first_answer_part() {
    let s = sim().await;
    let (_, events, _) = s
        .stream("alice", "gemini-pro-agent", thinking(ask("hi")))
        .await;
    let all = parts(&events);
    assert_eq!(all[0]["thought"], true);
    assert_eq!(all[1]["thought"], true);
    assert!(all[2].get("thought").is_none());
    let sig = all[2]["thoughtSignature"].as_str().unwrap();
    assert!(sign::verify("gemini", "Let me think about this.", sig));
    assert!(all[3..].iter().all(|p| p.get("thoughtSignature").is_none()));
}

#[tokio::test]
async fn run_asks_bash_and_the_result_comes_back() {
    let s = sim().await;
    let request = thinking(with_bash(ask("run echo hi")));
    let (status, events, _) = s
        .stream("alice", "claude-opus-4-6-thinking", request.clone())
        .await;
    assert_eq!(status, 200);
    let all = parts(&events);
    let call = all.iter().find_map(|p| p.get("functionCall")).unwrap();
    assert_eq!(call["name"], "Bash");
    assert_eq!(
        call["args"],
        json!({"command": "echo hi", "description": "Run echo hi"})
    );
    let id = call["id"].as_str().unwrap();
    assert!(id.starts_with("toolu_sim_"), "{id}");

    // Replay the turn as a client would (thinking merged into one signed block) plus the result.
    let sig = all[2]["thoughtSignature"].clone();
    let mut next = request.clone();
    next["contents"] = json!([
        {"role": "user", "parts": [{"text": "run echo hi"}]},
        {"role": "model", "parts": [
            {"text": "Let me think about this.", "thought": true, "thoughtSignature": sig},
            {"functionCall": call},
        ]},
        {"role": "user", "parts": [{"functionResponse": {
            "name": "Bash", "id": id, "response": {"result": "hi\n"}}}]},
    ]);
    let (status, events, _) = s.stream("alice", "claude-opus-4-6-thinking", next).await;
    assert_eq!(status, 200, "{events:?}");
    assert_eq!(text_of(&parts(&events)), "Tool Bash returned: hi\n");
    assert!(s.handle.stats().rejected.is_empty());
}

#[tokio::test]
async fn gemini_tool_calls_have_no_id_and_a_replayable_signature() {
    let s = sim().await;
    let mut request = ask("What is the weather in Tokyo? use get_weather");
    request["tools"] = json!([{"functionDeclarations": [{"name": "get_weather", "parameters": {
        "type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}]}]);
    let (_, events, _) = s.stream("alice", "gemini-3-flash", request.clone()).await;
    let part = parts(&events)
        .into_iter()
        .find(|p| p.get("functionCall").is_some())
        .unwrap();
    assert!(part["functionCall"].get("id").is_none());
    assert_eq!(part["functionCall"]["args"], json!({"location": "Tokyo"}));
    assert!(part["thoughtSignature"].is_string());

    request["contents"] = json!([
        request["contents"][0],
        {"role": "model", "parts": [part]},
        {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"result": {"temp": 21}}}}]},
    ]);
    let (status, events, _) = s.stream("alice", "gemini-3-flash", request).await;
    assert_eq!(status, 200, "{events:?}");
    assert_eq!(
        text_of(&parts(&events)),
        r#"Tool get_weather returned: {"temp":21}"#
    );
}

#[tokio::test]
async fn directives_steer_the_reply() {
    let s = sim().await;
    let (_, events, _) = s
        .stream("alice", "gemini-3-flash", ask("x [[sim:max_tokens]]"))
        .await;
    assert_eq!(
        events.last().unwrap()["response"]["candidates"][0]["finishReason"],
        "MAX_TOKENS"
    );
    let (_, events, _) = s
        .stream("alice", "gemini-3-flash", ask("x [[sim:safety]]"))
        .await;
    assert_eq!(
        events.last().unwrap()["response"]["candidates"][0]["finishReason"],
        "SAFETY"
    );
    let (_, events, _) = s
        .stream("alice", "gemini-3-flash", ask("x [[sim:long]]"))
        .await;
    assert_eq!(events.len(), 60);
    assert!(text_of(&parts(&events)).contains("You said: x Simulated line 1."));

    let mut request = with_bash(ask("please [[sim:tool=Bash {\"command\":\"ls -la\"}]]"));
    request["contents"][0]["parts"][0]["text"] =
        json!("please [[sim:tool=Bash {\"command\":\"ls -la\"}]]");
    let (_, events, _) = s.stream("alice", "claude-sonnet-4-6", request).await;
    let call = parts(&events)
        .into_iter()
        .find_map(|p| p.get("functionCall").cloned())
        .unwrap();
    assert_eq!(call["args"], json!({"command": "ls -la"}));

    let started = Instant::now();
    let (_, events, _) = s
        .stream("alice", "gemini-3-flash", ask("hi [[sim:slow]]"))
        .await;
    assert_eq!(events.len(), 6);
    assert!(
        started.elapsed() >= Duration::from_millis(700),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn chunk_delay_paces_the_stream() {
    let s = sim().await;
    s.handle.set_chunk_delay(Duration::from_millis(40));
    let started = Instant::now();
    let (_, events, _) = s.stream("alice", "gemini-3-flash", ask("hi")).await;
    assert_eq!(events.len(), 6);
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn open_streams_returns_to_zero_after_a_client_drops() {
    let s = sim().await;
    s.handle.set_chunk_delay(Duration::from_millis(50));
    let token = s.token("alice").await;
    let resp = s
        .call(
            "/v1internal:streamGenerateContent?alt=sse",
            &token,
            &envelope("alice", "claude-sonnet-4-6", &ask("[[sim:long]]")),
        )
        .await;
    let mut body = resp.bytes_stream();
    let first = body.next().await.unwrap().unwrap();
    assert!(!parse_sse(std::str::from_utf8(&first).unwrap()).is_empty());
    assert_eq!(s.handle.stats().open_streams, 1);
    drop(body);
    let deadline = Instant::now() + Duration::from_secs(2);
    while s.handle.stats().open_streams != 0 {
        assert!(Instant::now() < deadline, "stream still counted as open");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
