//! Tests for the Anthropic wire format: Claude Code fixtures, error paths, bodies and SSE.

mod request;
mod request_errors;
mod response;
mod stream;

use std::path::Path;

use serde_json::{Value, json};

use super::{estimate_input_tokens, parse_request};
use crate::translate::ir::{Block, ChatRequest, ImageSource, Message, Role, ToolDef};

/// The message of the 400 that `body` must be rejected with.
fn error(body: &Value) -> String {
    let err = parse_request(body.to_string().as_bytes()).expect_err("should be rejected");
    assert_eq!(err.status, 400);
    assert_eq!(err.kind.anthropic_type(), "invalid_request_error");
    err.message
}

/// A request with the given messages and nothing else of note.
fn with_messages(messages: &Value) -> Value {
    json!({"model": "claude-sonnet-4-6", "max_tokens": 100, "messages": messages})
}

/// The `body` of a captured Claude Code request, as the bytes the handler would receive.
fn fixture_body(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/claude-code")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading fixture {}: {e}", path.display()));
    let doc: Value = serde_json::from_str(&text).expect("fixture is JSON");
    serde_json::to_vec(&doc["body"]).expect("re-serialising the body")
}

/// Parses SSE the way the Anthropic SDKs do, but strictly: every event must be exactly an
/// `event:` line, a `data:` line and a blank line, and the data's `type` must equal the event
/// name (the SDKs dispatch on the `event:` line and drop events without one).
fn parse_sse(bytes: &[u8]) -> Vec<(String, Value)> {
    let text = std::str::from_utf8(bytes).expect("SSE is UTF-8");
    assert!(
        text.ends_with("\n\n"),
        "stream must end with a blank line: {text:?}"
    );
    text.strip_suffix("\n\n")
        .expect("checked above")
        .split("\n\n")
        .map(|raw| {
            let mut lines = raw.split('\n');
            let event = lines
                .next()
                .and_then(|l| l.strip_prefix("event: "))
                .unwrap_or_else(|| panic!("missing event line in {raw:?}"));
            let data = lines
                .next()
                .and_then(|l| l.strip_prefix("data: "))
                .unwrap_or_else(|| panic!("missing data line in {raw:?}"));
            assert_eq!(lines.next(), None, "extra lines in {raw:?}");
            let data: Value = serde_json::from_str(data).expect("data is JSON");
            assert_eq!(data["type"], event, "data.type must match the event line");
            (event.to_owned(), data)
        })
        .collect()
}

#[test]
fn estimate_counts_system_messages_and_tools() {
    let req = ChatRequest {
        system: vec!["abcd".into()],
        messages: vec![Message {
            role: Role::User,
            content: vec![Block::Text {
                text: "hello world!".into(),
            }],
        }],
        ..ChatRequest::default()
    };
    assert_eq!(estimate_input_tokens(&req), 4);

    let with_tool = ChatRequest {
        tools: vec![ToolDef {
            name: "abcd".into(),
            description: Some("abcd".into()),
            // `{"type":"object"}` is 17 characters.
            parameters: serde_json::json!({"type": "object"}),
        }],
        ..req.clone()
    };
    assert_eq!(
        estimate_input_tokens(&with_tool),
        (16 + 8 + 17_u64).div_ceil(4)
    );
}

#[test]
fn estimate_is_at_least_one_and_images_count_flat() {
    assert_eq!(estimate_input_tokens(&ChatRequest::default()), 1);
    let image = ChatRequest {
        messages: vec![Message {
            role: Role::User,
            content: vec![Block::Image {
                source: ImageSource::Base64 {
                    media_type: "image/png".into(),
                    data: "A".repeat(40_000),
                },
            }],
        }],
        ..ChatRequest::default()
    };
    assert_eq!(estimate_input_tokens(&image), 1_600);
}
