//! The strict gateway's request rules for Gemini (`SimConfig::strict`): enums only on string
//! schemas. Each rule is also shown absent from the lenient simulator and from Claude.

use serde_json::json;

use super::validation::{refused, send, with_tool};
use super::{sim, sim_with};
use crate::simulator::SimConfig;

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
