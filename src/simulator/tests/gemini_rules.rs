//! The strict gateway's request rules for Gemini (`SimConfig::strict`): enums only on string
//! schemas, conversations that open with a user turn. Each rule is also shown absent from the
//! lenient simulator (and from Claude where it is Gemini's alone).

use serde_json::json;

use super::validation::{refused, send, with_tool};
use super::{sim, sim_with};
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
    let (status, message) = send(&s, "claude-sonnet-4-5", with_tool(&numeric)).await;
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
