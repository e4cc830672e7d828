//! Non-stream message bodies and error bodies.

use serde_json::json;

use crate::translate::anthropic::{error_json, response_json};
use crate::translate::ir::{Block, ChatResponse, ErrorInfo, ErrorKind, StopReason, Usage};

fn answer() -> ChatResponse {
    ChatResponse {
        content: vec![
            Block::Thinking {
                text: "Let me check.".into(),
                signature: Some("sig-1".into()),
            },
            Block::RedactedThinking {
                data: "opaque".into(),
            },
            Block::Text {
                text: "Checking the weather.".into(),
            },
            Block::ToolUse {
                id: "toolu_1".into(),
                name: "get_weather".into(),
                input: json!({"city": "Paris"}),
            },
        ],
        stop_reason: StopReason::ToolUse,
        usage: Usage {
            input_tokens: 120,
            output_tokens: 45,
            cached_input_tokens: 30,
            thinking_tokens: 20,
        },
    }
}

#[test]
fn full_body_with_thinking_shown() {
    let body = response_json(&answer(), "msg_01", "claude-opus-4-8", true);
    insta::assert_json_snapshot!(body);
    assert_eq!(
        body["model"], "claude-opus-4-8",
        "the client's model string is echoed"
    );
    assert_eq!(body["stop_sequence"], json!(null));
    assert_eq!(body["usage"]["cache_creation_input_tokens"], 0);
}

#[test]
fn hidden_thinking_leaves_only_text_and_tool_use() {
    let body = response_json(&answer(), "msg_01", "m", false);
    let types: Vec<&str> = body["content"]
        .as_array()
        .expect("content array")
        .iter()
        .map(|b| b["type"].as_str().expect("type"))
        .collect();
    assert_eq!(types, ["text", "tool_use"]);
    assert_eq!(
        body["content"][1],
        json!({"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}})
    );
}

#[test]
fn empty_content_becomes_one_empty_text_block() {
    let only_thinking = ChatResponse {
        content: vec![Block::Thinking {
            text: "hmm".into(),
            signature: None,
        }],
        ..ChatResponse::default()
    };
    let body = response_json(&only_thinking, "msg_02", "m", false);
    assert_eq!(body["content"], json!([{"type": "text", "text": ""}]));
    assert_eq!(body["stop_reason"], "end_turn");

    // Shown, an unsigned thinking block still carries the field the SDK types require.
    let body = response_json(&only_thinking, "msg_02", "m", true);
    assert_eq!(
        body["content"],
        json!([{"type": "thinking", "thinking": "hmm", "signature": ""}])
    );
}

#[test]
fn stop_reasons_render_in_anthropic_terms() {
    for (reason, expected) in [
        (StopReason::EndTurn, "end_turn"),
        (StopReason::MaxTokens, "max_tokens"),
        (StopReason::StopSequence, "stop_sequence"),
        (StopReason::ToolUse, "tool_use"),
        (StopReason::ContentFilter, "refusal"),
    ] {
        let resp = ChatResponse {
            stop_reason: reason,
            ..ChatResponse::default()
        };
        assert_eq!(
            response_json(&resp, "i", "m", false)["stop_reason"],
            expected
        );
    }
}

#[test]
fn error_body_shape() {
    let err = ErrorInfo::new(529, ErrorKind::Overloaded, "upstream is busy");
    assert_eq!(
        error_json(&err),
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "upstream is busy"}})
    );
    let invalid = ErrorInfo::invalid("messages[0].role", "bad");
    assert_eq!(
        error_json(&invalid)["error"],
        json!({"type": "invalid_request_error", "message": "messages[0].role: bad"})
    );
}
