//! The strict gateway's request rules for Gemini (`SimConfig::strict`): enums only on string
//! schemas, conversations that open with a user turn, tool images seen only when nested, and
//! thinking that eats a small output limit. Each rule is also shown absent from the lenient
//! simulator (and from Claude where it is Gemini's alone).

use serde_json::{Value, json};

use super::validation::{refused, send, with_tool};
use super::{Sim, sim, sim_with, text_of};
use crate::simulator::SimConfig;
use crate::simulator::sign::SENTINEL;

#[tokio::test]
async fn gemini_enums_must_sit_on_string_schemas() {
    let s = sim().await;
    let at = "* GenerateContentRequest.tools[0].function_declarations[0].parameters";
    let numeric = json!({"type": "object", "properties": {
        "level": {"type": "integer", "enum": ["1", "2"]}}});
    refused(
        &s,
        "gemini-3-flash",
        with_tool(&numeric),
        &format!("{at}.properties[level].enum: only allowed for STRING type"),
    )
    .await;
    let typeless = json!({"type": "object", "properties": {
        "o": {"type": "object", "properties": {"m": {"enum": ["a"]}}}}});
    refused(
        &s,
        "gemini-3-flash",
        with_tool(&typeless),
        &format!("{at}.properties[o].properties[m].enum: only allowed"),
    )
    .await;
    let items = json!({"type": "object", "properties": {
        "xs": {"type": "array", "items": {"type": "boolean", "enum": ["true"]}}}});
    refused(
        &s,
        "gemini-3-flash",
        with_tool(&items),
        &format!("{at}.properties[xs].items.enum: only allowed"),
    )
    .await;

    let strings = json!({"type": "object", "properties": {
        "mode": {"type": "string", "enum": ["a", "b"]},
        "loud": {"type": "STRING", "enum": ["x"]}}});
    let (status, message) = send(&s, "gemini-3-flash", with_tool(&strings)).await;
    assert_eq!(status, 200, "{message}");
    // Claude's side of the gateway has no such rule.
    let (status, message) = send(&s, "claude-sonnet-4-6", with_tool(&numeric)).await;
    assert_eq!(status, 200, "{message}");

    let lenient = sim_with(SimConfig::lenient()).await;
    let (status, message) = send(&lenient, "gemini-3-flash", with_tool(&numeric)).await;
    assert_eq!(status, 200, "{message}");
}

#[tokio::test]
async fn gemini_conversations_open_with_a_user_turn() {
    let s = sim().await;
    let call = json!({"role": "model", "parts": [{"functionCall": {"name": "f", "args": {}},
        "thoughtSignature": SENTINEL}]});
    let answer = json!({"role": "user", "parts": [{"functionResponse": {"name": "f",
        "response": {"result": "ok"}}}]});
    let tool_first = json!({"contents": [call, answer]});
    refused(
        &s,
        "gemini-3-flash",
        tool_first.clone(),
        "Please ensure that function call turn comes immediately after a user turn or after a \
         function response turn.",
    )
    .await;
    let text_first = json!({"contents": [
        {"role": "model", "parts": [{"text": "Hello."}]},
        {"role": "user", "parts": [{"text": "hi"}]},
    ]});
    refused(
        &s,
        "gemini-3-flash",
        text_first.clone(),
        "Please ensure that multiturn requests alternate between user and model.",
    )
    .await;

    // What CLIProxyAPI sends (62f5a2798): an empty user turn in front, empty text and all.
    for request in [&tool_first, &text_first] {
        let mut led = request.clone();
        led["contents"]
            .as_array_mut()
            .unwrap()
            .insert(0, json!({"role": "user", "parts": [{"text": ""}]}));
        let (status, message) = send(&s, "gemini-3-flash", led).await;
        assert_eq!(status, 200, "{message}");
    }
    let lenient = sim_with(SimConfig::lenient()).await;
    let (status, message) = send(&lenient, "gemini-3-flash", tool_first).await;
    assert_eq!(status, 200, "{message}");
}

/// A tool round trip whose answer turn is `response_parts` (Gemini 3 needs the call's signature,
/// Claude refuses the sentinel).
fn screenshot_turns(model: &str, response_parts: &Value) -> Value {
    let mut call = json!({"functionCall": {"name": "shot", "args": {}, "id": "toolu_1"}});
    if model.starts_with("gemini") {
        call["thoughtSignature"] = json!(SENTINEL);
    }
    json!({"contents": [
        {"role": "user", "parts": [{"text": "take a screenshot"}]},
        {"role": "model", "parts": [call]},
        {"role": "user", "parts": response_parts},
    ]})
}

async fn reply_text(s: &Sim, model: &str, request: Value) -> String {
    let (status, body) = s.generate("alice", model, request).await;
    assert_eq!(status, 200, "{body}");
    text_of(
        body["response"]["candidates"][0]["content"]["parts"]
            .as_array()
            .unwrap(),
    )
}

#[tokio::test]
async fn tool_images_are_seen_only_nested_with_a_mime_type() {
    let s = sim().await;
    let image = json!({"inlineData": {"mimeType": "image/png", "data": "iVBORw0="}});
    let response = |parts: Value| {
        json!({"functionResponse": {"name": "shot", "id": "toolu_1",
            "response": {"result": ""}, "parts": parts}})
    };
    let nested = json!([response(json!([image]))]);
    let sibling = json!([response(json!([])), image]);
    let untyped = json!([response(json!([{"inlineData": {"data": "iVBORw0="}}]))]);
    for model in ["gemini-3-flash", "claude-sonnet-4-6"] {
        let seen = reply_text(&s, model, screenshot_turns(model, &nested)).await;
        assert!(
            seen.contains("Tool shot returned:  [saw 1 image]"),
            "{model}: {seen}"
        );
        for unseen in [&sibling, &untyped] {
            let text = reply_text(&s, model, screenshot_turns(model, unseen)).await;
            assert!(!text.contains("[saw"), "{model}: {text}");
        }
    }
    let lenient = sim_with(SimConfig::lenient()).await;
    let text = reply_text(
        &lenient,
        "gemini-3-flash",
        screenshot_turns("gemini-3-flash", &sibling),
    )
    .await;
    assert!(text.contains("[saw 1 image]"), "{text}");
}

fn thinking_at(level: &str, max: u64) -> Value {
    let mut request = super::ask("hello there");
    request["generationConfig"] = json!({"maxOutputTokens": max,
        "thinkingConfig": {"includeThoughts": true, "thinkingLevel": level}});
    request
}

#[tokio::test]
async fn gemini_thinking_eats_a_small_output_limit() {
    let s = sim().await;
    let finish_and_text = |body: &Value| {
        let candidate = &body["response"]["candidates"][0];
        let parts = candidate["content"]["parts"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        (candidate["finishReason"].clone(), text_of(&parts))
    };
    // High thinking costs the simulator 10 000 tokens: a 2 000 limit leaves no answer.
    let (status, body) = s
        .generate("alice", "gemini-3-flash", thinking_at("high", 2000))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(finish_and_text(&body), (json!("MAX_TOKENS"), String::new()));
    assert_eq!(
        body["response"]["usageMetadata"]["thoughtsTokenCount"],
        2000
    );
    // 10 tokens left after thinking: the answer is cut at 40 characters.
    let (_, body) = s
        .generate("alice", "gemini-3-flash", thinking_at("high", 10_010))
        .await;
    let (finish, text) = finish_and_text(&body);
    assert_eq!(finish, "MAX_TOKENS");
    assert_eq!(text.chars().count(), 40, "{text}");
    assert!(
        text.starts_with("Hello from the Antigravity simulator"),
        "{text}"
    );
    // Room enough, or a cheaper level: the whole answer.
    for (level, max) in [("high", 20_000), ("low", 2000)] {
        let (_, body) = s
            .generate("alice", "gemini-3-flash", thinking_at(level, max))
            .await;
        let (finish, text) = finish_and_text(&body);
        assert_eq!(finish, "STOP", "{level} {max}");
        assert!(text.ends_with("You said: hello there"), "{text}");
    }
    // Streamed: the thoughts arrive, the answer does not, the last event says why.
    let (status, events, _) = s
        .stream("alice", "gemini-3-flash", thinking_at("high", 2000))
        .await;
    assert_eq!(status, 200);
    let last = &events.last().unwrap()["response"]["candidates"][0];
    assert_eq!(last["finishReason"], "MAX_TOKENS");
    let all = super::parts(&events);
    assert!(all.iter().any(|p| p["thought"] == true));
    assert_eq!(text_of(&all), "");

    let lenient = sim_with(SimConfig::lenient()).await;
    let (_, body) = lenient
        .generate("alice", "gemini-3-flash", thinking_at("high", 2000))
        .await;
    assert_eq!(finish_and_text(&body).0, "STOP");
}
