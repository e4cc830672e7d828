//! Real Claude Code bodies through the Anthropic parser and the builder, plus a Gemini tool
//! history, as reviewed JSON snapshots.

use std::path::Path;

use serde_json::json;

use super::*;
use crate::translate::anthropic::parse_request;
use crate::translate::antigravity::SignatureRecord;
use crate::translate::ir::{Effort, ImageSource, Thinking, ToolDef, ToolResultContent};

const FIXTURES: [&str; 3] = [
    "claude-code-2.1.197-p-hi.json",
    "claude-code-2.1.197-tool-roundtrip-2nd-request.json",
    "claude-code-2.1.330-p-hi.json",
];

fn fixture_body(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/claude-code")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading fixture {}: {e}", path.display()));
    let doc: Value = serde_json::from_str(&text).expect("fixture is JSON");
    doc["body"].clone()
}

fn parse(body: &Value) -> ChatRequest {
    parse_request(&serde_json::to_vec(body).unwrap()).expect("the fixture parses")
}

/// The captured schemas list property names only (`"properties(names only)": [...]`); rebuild
/// plausible string properties so the snapshot shows real cleaning, not 24 placeholders.
fn restore_properties(body: &mut Value) {
    for tool in body["tools"].as_array_mut().unwrap() {
        let schema = tool["input_schema"].as_object_mut().unwrap();
        if let Some(Value::Array(names)) = schema.remove("properties(names only)") {
            let props: serde_json::Map<String, Value> = names
                .iter()
                .map(|n| (n.as_str().unwrap().to_owned(), json!({"type": "string"})))
                .collect();
            schema.insert("properties".into(), Value::Object(props));
        }
    }
}

/// Long prompt and description texts shortened so the snapshot stays reviewable.
fn abbreviate(v: &mut Value) {
    match v {
        Value::String(s) if s.chars().count() > 80 => {
            let head: String = s.chars().take(60).collect();
            *s = format!("{head}…[{} chars]", s.chars().count());
        }
        Value::Object(m) => m.values_mut().for_each(abbreviate),
        Value::Array(a) => a.iter_mut().for_each(abbreviate),
        _ => {}
    }
}

fn assert_upstream_safe(plan: &UpstreamPlan) {
    let mut keys = Vec::new();
    all_keys(&plan.body, &mut keys);
    for banned in [
        "$schema",
        "additionalProperties",
        "cache_control",
        "safetySettings",
    ] {
        assert!(
            !keys.iter().any(|k| k == banned),
            "{banned} in the upstream body"
        );
    }
    assert!(
        text_parts(plan).iter().all(|t| !t.trim().is_empty()),
        "empty text part"
    );
    for c in contents(plan) {
        assert!(
            !c["parts"].as_array().unwrap().is_empty(),
            "empty parts in {c}"
        );
    }
}

#[test]
fn real_claude_code_bodies_build_clean_upstream_requests() {
    for name in FIXTURES {
        let req = parse(&fixture_body(name));
        for model in [CLAUDE_THINKING, CLAUDE, GEMINI_FLASH] {
            let plan = build(&req, model);
            assert_upstream_safe(&plan);
            // Claude Code's billing block and Agent SDK identity never go upstream (the
            // gateway answers them with a fake 429), and the notes say they were removed.
            let system = plan.body["request"]["systemInstruction"].to_string();
            assert!(
                !system.contains("x-anthropic-billing-header") && !system.contains("Agent SDK"),
                "{name}: {system}"
            );
            assert!(
                system.contains("You are a"),
                "{name}: the prompt itself stays"
            );
            let removed = plan
                .notes
                .iter()
                .filter(|n| n.starts_with("identity: removed"));
            assert_eq!(removed.count(), 2, "{name}: {:?}", plan.notes);
            assert!(
                plan.schema_changes
                    .iter()
                    .any(|c| c.ends_with("$schema: removed")),
                "{name}"
            );
        }
    }
}

#[test]
fn claude_code_tool_roundtrip_snapshot() {
    let mut body = fixture_body(FIXTURES[1]);
    restore_properties(&mut body);
    let req = parse(&body);
    let plan = build(&req, CLAUDE_THINKING);
    assert_upstream_safe(&plan);
    assert!(plan.thinking);
    let c = contents(&plan);
    assert_eq!(
        c.len(),
        3,
        "user (with the system reminder) → model → tool result"
    );
    assert_eq!(c[1]["parts"][0]["thoughtSignature"], "sig_stub_abc");
    assert_eq!(c[2]["parts"][0]["functionResponse"]["name"], "Bash");

    let mut shown = plan.body.clone();
    abbreviate(&mut shown);
    insta::assert_json_snapshot!("claude_code_tool_roundtrip_body", shown);
    insta::assert_json_snapshot!(
        "claude_code_tool_roundtrip_report",
        json!({"thinking": plan.thinking, "notes": plan.notes,
               "placeholder_tools": plan.placeholder_tools,
               "schema_changes": plan.schema_changes.len()})
    );
}

#[test]
fn gemini_tool_history_snapshot() {
    let mut store = SignatureStore::default();
    store.record(
        SignatureRecord::ToolCall {
            tool_id: "call_weather".into(),
            signature: "CiQBGemini-signature".into(),
        },
        1_000,
    );
    let mut req = chat(vec![
        user("Compare the weather in Paris and Oslo, and show me the map."),
        msg(
            Role::Assistant,
            vec![
                Block::Thinking {
                    text: "Two lookups, then the map.".into(),
                    signature: Some("gemini-thought".into()),
                },
                text("Checking both cities."),
                Block::ToolUse {
                    id: "call_weather".into(),
                    name: "get_weather".into(),
                    input: json!({"city": "Paris"}),
                },
                Block::ToolUse {
                    id: "call_map".into(),
                    name: "render_map".into(),
                    input: json!({"cities": ["Paris", "Oslo"]}),
                },
            ],
        ),
        msg(
            Role::User,
            vec![
                Block::ToolResult {
                    tool_use_id: "call_map".into(),
                    content: vec![
                        ToolResultContent::Text {
                            text: "map ready".into(),
                        },
                        ToolResultContent::Image {
                            source: ImageSource::Base64 {
                                media_type: "image/png".into(),
                                data: "iVBORw0KGgo=".into(),
                            },
                        },
                    ],
                    is_error: false,
                },
                Block::ToolResult {
                    tool_use_id: "call_weather".into(),
                    content: vec![ToolResultContent::Text {
                        text: "18°C, cloudy".into(),
                    }],
                    is_error: false,
                },
            ],
        ),
        msg(
            Role::Assistant,
            vec![text("Paris is 18°C; here is the map.")],
        ),
        user("And tomorrow?"),
    ]);
    req.system = vec!["You are a travel assistant.".into()];
    req.thinking = Thinking::Adaptive;
    req.effort = Some(Effort::Medium);
    req.tools = vec![
        ToolDef {
            name: "get_weather".into(),
            description: Some("Current weather for a city".into()),
            parameters: json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "properties": {
                    "city": {"type": "string", "minLength": 1},
                    "units": {"type": ["string", "null"], "enum": ["metric", "imperial"], "default": "metric"}
                },
                "required": ["city"],
                "additionalProperties": false
            }),
        },
        ToolDef {
            name: "render_map".into(),
            description: Some("Render a map".into()),
            parameters: json!({
                "type": "object",
                "$defs": {"City": {"type": "string", "format": "city-name"}},
                "properties": {"cities": {"type": "array", "items": {"$ref": "#/$defs/City"}, "maxItems": 5}}
            }),
        },
    ];
    let plan = try_build(&req, GEMINI_FLASH, &store, 2_000).unwrap();
    assert_upstream_safe(&plan);
    assert!(
        plan.thinking,
        "an effort asks the optional-thinking model to think"
    );
    insta::assert_json_snapshot!("gemini_tool_history_body", plan.body);
    insta::assert_json_snapshot!("gemini_tool_history_schema_changes", plan.schema_changes);
}
