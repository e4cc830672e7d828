//! What the simulated upstream refuses, and that it accepts the legitimate neighbours.

use serde_json::{Value, json};

use super::{Sim, ask, sim};
use crate::simulator::sign::{self, SENTINEL};

/// Sends `request` and returns the status and `error.message`.
pub(super) async fn send(s: &Sim, model: &str, request: Value) -> (u16, String) {
    let (status, body) = s.generate("alice", model, request).await;
    let message = body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if status == 400 {
        assert_eq!(body["error"]["status"], "INVALID_ARGUMENT", "{body}");
    }
    (status, message)
}

pub(super) async fn refused(s: &Sim, model: &str, request: Value, needle: &str) {
    let (status, message) = send(s, model, request).await;
    assert_eq!(status, 400, "expected a refusal containing {needle:?}");
    assert!(message.contains(needle), "{message:?} lacks {needle:?}");
    let last = s
        .handle
        .stats()
        .rejected
        .last()
        .cloned()
        .unwrap_or_default();
    assert!(last.contains(needle), "stats.rejected: {last:?}");
}

pub(super) fn with_tool(parameters: &Value) -> Value {
    let mut request = ask("hi");
    request["tools"] = json!([{"functionDeclarations": [{"name": "f", "parameters": parameters}]}]);
    request
}

#[tokio::test]
async fn schema_keywords_are_refused_with_keyword_and_path() {
    let s = sim().await;
    let nested = json!({"type": "object", "properties": {
        "opts": {"type": "object", "additionalProperties": false, "properties": {}}}});
    let (status, message) = send(&s, "claude-sonnet-4-6", with_tool(&nested)).await;
    assert_eq!(status, 400);
    assert!(message.contains("\"additionalProperties\""), "{message}");
    assert!(
        message.contains("request.tools[0].functionDeclarations[0].parameters.properties.opts"),
        "{message}"
    );

    for (keyword, value) in [
        ("$schema", json!("http://json-schema.org/draft-07/schema#")),
        ("$ref", json!("#/$defs/x")),
        ("$defs", json!({})),
        ("definitions", json!({})),
        ("anyOf", json!([{"type": "string"}])),
        ("oneOf", json!([{"type": "string"}])),
        ("allOf", json!([{"type": "string"}])),
        ("const", json!("a")),
        ("default", json!("a")),
        ("examples", json!(["a"])),
        ("format", json!("date-time")),
        ("propertyNames", json!({"type": "string"})),
        ("patternProperties", json!({})),
    ] {
        let mut prop = json!({"type": "string"});
        prop[keyword] = value;
        let schema = json!({"type": "object", "properties": {"p": prop}});
        refused(
            &s,
            "gemini-3-flash",
            with_tool(&schema),
            &format!("\"{keyword}\""),
        )
        .await;
    }
    let type_array = json!({"type": "object", "properties": {"p": {"type": ["string", "null"]}}});
    refused(
        &s,
        "claude-sonnet-4-6",
        with_tool(&type_array),
        "parameters.properties.p.type",
    )
    .await;
    let numeric_enum =
        json!({"type": "object", "properties": {"p": {"type": "integer", "enum": [1, 2]}}});
    refused(&s, "claude-sonnet-4-6", with_tool(&numeric_enum), "enum[0]").await;
}

#[tokio::test]
async fn property_names_that_look_like_keywords_are_fine() {
    let s = sim().await;
    let schema = json!({"type": "object", "properties": {
        "format": {"type": "string", "enum": ["json", "text"]},
        "default": {"type": "boolean"},
        "items": {"type": "array", "items": {"type": "string"}},
    }, "required": ["format"]});
    let (status, message) = send(&s, "claude-sonnet-4-6", with_tool(&schema)).await;
    assert_eq!(status, 200, "{message}");
}

#[tokio::test]
async fn structural_problems_are_refused() {
    let s = sim().await;
    let mut cached = ask("hi");
    cached["contents"][0]["parts"][0]["cache_control"] = json!({"type": "ephemeral"});
    refused(
        &s,
        "claude-sonnet-4-6",
        cached.clone(),
        "Extra inputs are not permitted",
    )
    .await;
    refused(&s, "gemini-3-flash", cached, "cache_control").await;
    refused(
        &s,
        "claude-sonnet-4-6",
        ask(""),
        "text content blocks must be non-empty",
    )
    .await;
    refused(
        &s,
        "claude-sonnet-4-6",
        json!({"contents": []}),
        "contents is not specified",
    )
    .await;
    refused(
        &s,
        "gemini-3-flash",
        json!({"contents": [{"role": "user", "parts": []}]}),
        "must not be empty",
    )
    .await;
    refused(
        &s,
        "gemini-3-flash",
        json!({"contents": [{"role": "assistant", "parts": [{"text": "x"}]}]}),
        "valid role",
    )
    .await;
}

#[tokio::test]
async fn claude_errors_arrive_double_encoded() {
    let s = sim().await;
    let (_, message) = send(&s, "claude-sonnet-4-6", ask("")).await;
    let inner: Value = serde_json::from_str(&message).unwrap();
    assert_eq!(inner["error"]["type"], "invalid_request_error");
}

#[tokio::test]
async fn output_and_thinking_limits() {
    let s = sim().await;
    let mut request = ask("hi");
    request["generationConfig"] = json!({"maxOutputTokens": 81920});
    refused(&s, "claude-sonnet-4-6", request.clone(), "81920").await;
    request["generationConfig"] = json!({"maxOutputTokens": 40000});
    refused(&s, "gpt-oss-120b-medium", request.clone(), "40000").await;
    let (status, _) = send(&s, "gemini-3-flash", request.clone()).await;
    assert_eq!(status, 200);
    request["generationConfig"] =
        json!({"maxOutputTokens": 4096, "thinkingConfig": {"thinkingBudget": 4096}});
    refused(
        &s,
        "claude-sonnet-4-6",
        request,
        "greater than `thinking.budget_tokens`",
    )
    .await;
}

fn tool_turns(model_parts: &Value, response: &Value) -> Value {
    json!({"contents": [
        {"role": "user", "parts": [{"text": "go"}]},
        {"role": "model", "parts": model_parts},
        {"role": "user", "parts": [response]},
    ]})
}

#[tokio::test]
async fn function_responses_must_answer_the_previous_calls() {
    let s = sim().await;
    let call = json!({"functionCall": {"name": "f", "args": {}, "id": "toolu_1"}});
    let answer = |name: &str, id: &str| json!({"functionResponse": {"name": name, "id": id, "response": {"result": "ok"}}});
    let (status, _) = send(
        &s,
        "claude-sonnet-4-6",
        tool_turns(&json!([call]), &answer("f", "toolu_1")),
    )
    .await;
    assert_eq!(status, 200);
    refused(
        &s,
        "claude-sonnet-4-6",
        tool_turns(&json!([call]), &answer("f", "toolu_2")),
        "unexpected `tool_use_id`",
    )
    .await;
    refused(
        &s,
        "claude-sonnet-4-6",
        tool_turns(&json!([call]), &answer("g", "toolu_1")),
        "does not match",
    )
    .await;
    let two = json!([call, {"functionCall": {"name": "f", "args": {}, "id": "toolu_3"}}]);
    refused(
        &s,
        "claude-sonnet-4-6",
        tool_turns(&two, &answer("f", "toolu_1")),
        "toolu_1, toolu_3",
    )
    .await;
    let orphan = json!({"contents": [{"role": "user", "parts": [answer("f", "toolu_1")]}]});
    refused(
        &s,
        "gemini-3-flash",
        orphan,
        "immediately after a function call turn",
    )
    .await;
}

fn thinking_turns(thought: &Value) -> Value {
    let mut request = tool_turns(
        &json!([thought, {"functionCall": {"name": "f", "args": {}, "id": "toolu_1"}}]),
        &json!({"functionResponse": {"name": "f", "id": "toolu_1", "response": {"result": "ok"}}}),
    );
    request["generationConfig"] = json!({"maxOutputTokens": 8000, "thinkingConfig": {"thinkingBudget": 2048, "includeThoughts": true}});
    request
}

#[tokio::test]
async fn claude_thinking_signatures_are_verified() {
    let s = sim().await;
    let model = "claude-sonnet-4-6";
    let text = "Let me think about this.";
    let good =
        json!({"text": text, "thought": true, "thoughtSignature": sign::sign("claude", text)});
    let (status, message) = send(&s, model, thinking_turns(&good)).await;
    assert_eq!(status, 200, "{message}");

    let forged = json!({"text": "I changed my mind.", "thought": true, "thoughtSignature": sign::sign("claude", text)});
    refused(
        &s,
        model,
        thinking_turns(&forged),
        "Invalid `signature` in `thinking` block",
    )
    .await;
    let gemini_sig =
        json!({"text": text, "thought": true, "thoughtSignature": sign::sign("gemini", text)});
    refused(
        &s,
        model,
        thinking_turns(&gemini_sig),
        "Invalid `signature`",
    )
    .await;
    let sentinel = json!({"text": text, "thought": true, "thoughtSignature": SENTINEL});
    refused(&s, model, thinking_turns(&sentinel), "Invalid `signature`").await;
    let unsigned = json!({"text": text, "thought": true});
    refused(
        &s,
        model,
        thinking_turns(&unsigned),
        "thinking.signature: Field required",
    )
    .await;
    // With thinking on, the final tool-calling turn must open with a thought.
    let plain = json!({"text": "Sure."});
    refused(
        &s,
        model,
        thinking_turns(&plain),
        "Expected `thinking` or `redacted_thinking`, but found `text`",
    )
    .await;
}

#[tokio::test]
async fn gemini3_function_calls_need_a_thought_signature() {
    let s = sim().await;
    let args = json!({"location": "Paris"});
    let call = |sig: Option<&str>| {
        let mut part = json!({"functionCall": {"name": "get_weather", "args": args}});
        if let Some(sig) = sig {
            part["thoughtSignature"] = json!(sig);
        }
        tool_turns(
            &json!([part]),
            &json!({"functionResponse": {"name": "get_weather", "response": {"result": "sunny"}}}),
        )
    };
    refused(
        &s,
        "gemini-pro-agent",
        call(None),
        "Function call is missing a thought_signature",
    )
    .await;
    let valid = sign::sign("gemini", &sign::call_text("get_weather", &args));
    for ok in [Some(SENTINEL), Some(valid.as_str())] {
        let (status, message) = send(&s, "gemini-pro-agent", call(ok)).await;
        assert_eq!(status, 200, "{message}");
    }
    refused(
        &s,
        "gemini-pro-agent",
        call(Some("simforged")),
        "Thought signature is not valid",
    )
    .await;
    // Claude does not need them, but refuses the sentinel anywhere.
    let (status, _) = send(&s, "claude-sonnet-4-6", call(None)).await;
    assert_eq!(status, 200);
    refused(
        &s,
        "claude-sonnet-4-6",
        call(Some(SENTINEL)),
        "Invalid `signature`",
    )
    .await;
}
