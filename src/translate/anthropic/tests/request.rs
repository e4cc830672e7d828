//! Request parsing: the Claude Code fixtures and how every field maps into the IR.

use serde_json::{Value, json};

use super::{error, fixture_body, with_messages};
use crate::translate::anthropic::{parse_count_tokens, parse_request};
use crate::translate::identity::{IdentityRules, scrub_system};
use crate::translate::ir::{
    Block, ChatRequest, Effort, ImageSource, Role, Thinking, ToolChoice, ToolResultContent,
};

fn parse(body: &Value) -> ChatRequest {
    parse_request(body.to_string().as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

/// The conversation shape of a parsed request, small enough to snapshot.
fn outline(req: &ChatRequest) -> Value {
    let messages: Vec<Value> = req
        .messages
        .iter()
        .map(|m| {
            let blocks: Vec<&str> = m
                .content
                .iter()
                .map(|b| match b {
                    Block::Text { .. } => "text",
                    Block::Image { .. } => "image",
                    Block::Thinking { .. } => "thinking",
                    Block::RedactedThinking { .. } => "redacted_thinking",
                    Block::ToolUse { .. } => "tool_use",
                    Block::ToolResult { .. } => "tool_result",
                })
                .collect();
            json!({"role": m.role, "blocks": blocks})
        })
        .collect();
    json!({
        "model": req.model,
        "max_tokens": req.max_tokens,
        "stream": req.stream,
        "thinking": req.thinking,
        "effort": req.effort,
        "system_parts": req.system.len(),
        "messages": messages,
        "tools": req.tools.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        "tool_choice": req.tool_choice,
    })
}

#[test]
fn claude_code_2_1_197_first_turn() {
    let req = parse_request(&fixture_body("claude-code-2.1.197-p-hi.json")).expect("parses");
    insta::assert_json_snapshot!(outline(&req));
    // The IR keeps the client's text as sent; it never reaches the upstream, because the
    // envelope builder strips it with the identity rules (`translate::identity`).
    assert!(req.system[0].starts_with("x-anthropic-billing-header:"));
    let (sent, notes) = scrub_system(&req.system, &IdentityRules::default());
    assert!(
        sent.iter()
            .all(|s| !s.contains("x-anthropic-billing-header") && !s.contains("Agent SDK")),
        "{sent:?}"
    );
    assert_eq!((sent.len(), notes.len()), (1, 2), "{notes:?}");
    assert_eq!(req.messages[1].role, Role::System);
    let Block::Text { text } = &req.messages[1].content[0] else {
        panic!("mid-conversation system message should be text");
    };
    assert!(text.starts_with("Available agent types"));
    assert!(
        req.user_id
            .as_deref()
            .is_some_and(|u| u.contains("session_id"))
    );
    // Schemas are kept as given; the upstream cleaner deals with these keys.
    let bash = req
        .tools
        .iter()
        .find(|t| t.name == "Bash")
        .expect("Bash tool");
    assert_eq!(bash.parameters["additionalProperties"], false);
    assert!(bash.parameters["$schema"].is_string());
}

#[test]
fn claude_code_2_1_330_first_turn() {
    let req = parse_request(&fixture_body("claude-code-2.1.330-p-hi.json")).expect("parses");
    insta::assert_json_snapshot!(outline(&req));
    // System-role message with block content (and cache_control) becomes plain text in place.
    assert_eq!(req.messages[1].role, Role::System);
    assert!(
        matches!(&req.messages[1].content[..], [Block::Text { text }] if text.starts_with("# Environment"))
    );
    let deferred = req
        .tools
        .iter()
        .find(|t| t.name == "DeferredToolPlaceholder");
    assert!(
        deferred.is_some(),
        "defer_loading tools are kept as ordinary tools"
    );
}

#[test]
fn claude_code_tool_roundtrip_second_turn() {
    let req = parse_request(&fixture_body(
        "claude-code-2.1.197-tool-roundtrip-2nd-request.json",
    ))
    .expect("parses");
    insta::assert_json_snapshot!(outline(&req));
    assert_eq!(
        req.messages[2].content,
        vec![
            Block::Thinking {
                text: "Let me think.".into(),
                signature: Some("sig_stub_abc".into()),
            },
            Block::ToolUse {
                id: "toolu_stub1".into(),
                name: "Bash".into(),
                input: json!({"command": "echo hi", "description": "say hi"}),
            },
        ]
    );
    assert_eq!(
        req.messages[3].content,
        vec![Block::ToolResult {
            tool_use_id: "toolu_stub1".into(),
            content: vec![ToolResultContent::Text { text: "hi".into() }],
            is_error: false,
        }]
    );
}

#[test]
fn maps_every_scalar_field() {
    let req = parse(&json!({
        "model": "claude-sonnet-4-6",
        "max_tokens": 5_000_000_000_u64,
        "system": "be brief",
        "messages": [{"role": "user", "content": "hi"}],
        "stop_sequences": ["END"],
        "temperature": 1.5,
        "top_p": 0.9,
        "top_k": 40,
        "stream": false,
        "thinking": {"type": "enabled", "budget_tokens": 2048},
        "output_config": {"effort": "max"},
        "metadata": {"user_id": "u-1"},
        "context_management": {"edits": []},
        "service_tier": "auto",
        "container": null,
        "mcp_servers": []
    }));
    assert_eq!(
        req.max_tokens,
        Some(u32::MAX),
        "oversized max_tokens saturates"
    );
    assert_eq!(req.system, vec!["be brief".to_owned()]);
    assert_eq!(req.stop, vec!["END".to_owned()]);
    assert_eq!(req.temperature, Some(1.5));
    assert_eq!(req.top_p, Some(0.9));
    assert_eq!(req.top_k, Some(40));
    assert!(!req.stream);
    assert_eq!(req.thinking, Thinking::Budget { tokens: 2048 });
    assert_eq!(req.effort, Some(Effort::High));
    assert_eq!(req.user_id.as_deref(), Some("u-1"));
    assert_eq!(
        req.messages[0].content,
        vec![Block::Text { text: "hi".into() }]
    );
}

#[test]
fn thinking_and_effort_variants() {
    let cases = [
        (
            json!({"type": "adaptive", "display": "omitted"}),
            Thinking::Adaptive,
        ),
        (json!({"type": "disabled"}), Thinking::Off),
        (
            json!({"type": "enabled", "budget_tokens": 1024}),
            Thinking::Budget { tokens: 1024 },
        ),
    ];
    for (thinking, expected) in cases {
        let mut body = with_messages(&json!([{"role": "user", "content": "hi"}]));
        body["thinking"] = thinking;
        assert_eq!(parse(&body).thinking, expected);
    }
    for (effort, expected) in [
        ("minimal", Effort::Minimal),
        ("low", Effort::Low),
        ("medium", Effort::Medium),
        ("high", Effort::High),
    ] {
        let mut body = with_messages(&json!([{"role": "user", "content": "hi"}]));
        body["output_config"] = json!({"effort": effort});
        assert_eq!(parse(&body).effort, Some(expected));
    }
}

#[test]
fn tool_choice_variants_and_tool_extras() {
    let tools = json!([
        {"name": "get_weather", "description": "d", "input_schema": {"type": "object"},
         "cache_control": {"type": "ephemeral"}, "defer_loading": true, "type": "custom"}
    ]);
    let cases = [
        (
            json!({"type": "auto", "disable_parallel_tool_use": true}),
            ToolChoice::Auto,
        ),
        (json!({"type": "any"}), ToolChoice::Required),
        (json!({"type": "none"}), ToolChoice::None),
        (
            json!({"type": "tool", "name": "get_weather"}),
            ToolChoice::Tool {
                name: "get_weather".into(),
            },
        ),
    ];
    for (choice, expected) in cases {
        let mut body = with_messages(&json!([{"role": "user", "content": "hi"}]));
        body["tools"] = tools.clone();
        body["tool_choice"] = choice;
        let req = parse(&body);
        assert_eq!(req.tool_choice, expected);
        assert_eq!(req.tools[0].description.as_deref(), Some("d"));
        assert_eq!(req.tools[0].parameters, json!({"type": "object"}));
    }
}

#[test]
fn images_tool_results_and_ignored_extras() {
    let req = parse(&with_messages(&json!([
        {"role": "user", "content": [
            {"type": "text", "text": "look", "cache_control": {"type": "ephemeral"},
             "citations": [{"type": "char_location"}]},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
            {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}}
        ]},
        {"role": "assistant", "content": [
            {"type": "redacted_thinking", "data": "opaque"},
            {"type": "tool_use", "id": "t1", "name": "shot", "input": {}},
            {"type": "tool_use", "id": "t2", "name": "shot"}
        ]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "t1", "is_error": true, "content": [
                {"type": "text", "text": "partial"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/"}}
            ]},
            {"type": "tool_result", "tool_use_id": "t2"}
        ]}
    ])));
    assert_eq!(
        req.messages[0].content[0],
        Block::Text {
            text: "look".into()
        }
    );
    assert_eq!(
        req.messages[0].content[2],
        Block::Image {
            source: ImageSource::Url {
                url: "https://example.com/a.png".into()
            }
        }
    );
    assert_eq!(
        req.messages[1].content[0],
        Block::RedactedThinking {
            data: "opaque".into()
        }
    );
    assert!(
        matches!(&req.messages[1].content[2], Block::ToolUse { input, .. } if *input == json!({})),
        "a missing tool_use input becomes an empty object"
    );
    let Block::ToolResult {
        content, is_error, ..
    } = &req.messages[2].content[0]
    else {
        panic!("expected a tool_result");
    };
    assert!(is_error);
    assert_eq!(content.len(), 2);
    assert!(
        matches!(&content[1], ToolResultContent::Image { source: ImageSource::Base64 { media_type, .. } } if media_type == "image/jpeg")
    );
    assert!(
        matches!(&req.messages[2].content[1], Block::ToolResult { content, is_error: false, .. } if content.is_empty())
    );
}

#[test]
fn count_tokens_does_not_need_max_tokens() {
    let body = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]});
    let req = parse_count_tokens(body.to_string().as_bytes()).expect("count_tokens body");
    assert_eq!(req.max_tokens, None);
    assert_eq!(error(&body), "max_tokens: required");
}

#[test]
fn a_tool_with_a_schema_is_custom_whatever_its_type() {
    let mut body = with_messages(&json!([{"role": "user", "content": "hi"}]));
    body["tools"] = json!([{"type": "function", "name": "f", "input_schema": {"type": "object"}}]);
    assert_eq!(parse(&body).tools[0].name, "f");
}

#[test]
fn empty_stop_sequences_are_dropped() {
    // Found by the property tests: "" reached the upstream's stopSequences, where it would end
    // every answer at once; the OpenAI parser already dropped it.
    let mut body = with_messages(&json!([{"role": "user", "content": "hi"}]));
    body["stop_sequences"] = json!(["", "END", ""]);
    assert_eq!(parse(&body).stop, vec!["END".to_owned()]);
}

#[test]
fn output_config_format_fills_the_output_format() {
    use crate::translate::ir::OutputFormat;
    let schema = json!({"type": "object", "properties": {"a": {"type": "string"}}});
    for field in ["output_config", "output_format"] {
        let format = json!({"type": "json_schema", "schema": schema});
        let wrapped = if field == "output_config" {
            json!({"format": format, "effort": "low"})
        } else {
            format
        };
        let req = parse(&json!({"model": "m", "max_tokens": 8,
            "messages": [{"role": "user", "content": "hi"}], field: wrapped}));
        assert!(
            matches!(&req.output_format, OutputFormat::JsonSchema { schema: s, .. } if *s == schema),
            "{field}"
        );
    }
}
