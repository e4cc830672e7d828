//! Tests for non-streaming Chat Completions bodies and error bodies.

use serde_json::json;

use super::{error_json, response_json};
use crate::translate::ir::{Block, ChatResponse, ErrorInfo, ErrorKind, StopReason, Usage};

fn usage() -> Usage {
    Usage {
        input_tokens: 10,
        output_tokens: 7,
        cached_input_tokens: 5,
        thinking_tokens: 3,
    }
}

fn thinking(text: &str) -> Block {
    Block::Thinking {
        text: text.into(),
        signature: Some("sig".into()),
    }
}

#[test]
fn text_answer() {
    let resp = ChatResponse {
        content: vec![
            thinking("hmm"),
            Block::Text {
                text: "Hello".into(),
            },
        ],
        stop_reason: StopReason::EndTurn,
        usage: usage(),
    };
    let body = response_json(&resp, "chatcmpl-1", "gemini-3-pro", 1_700_000_000, false);
    insta::assert_json_snapshot!(body);
    assert_eq!(body["choices"][0]["message"]["content"], "Hello");
    assert!(
        body["choices"][0]["message"]
            .get("reasoning_content")
            .is_none()
    );
    assert!(body["choices"][0]["message"].get("tool_calls").is_none());
    // prompt_tokens counts cached tokens; completion includes thinking.
    assert_eq!(body["usage"]["prompt_tokens"], 15);
    assert_eq!(body["usage"]["total_tokens"], 22);
}

#[test]
fn reasoning_shown_when_asked() {
    let resp = ChatResponse {
        content: vec![
            thinking("step 1. "),
            thinking("step 2."),
            Block::Text { text: "42".into() },
        ],
        ..ChatResponse::default()
    };
    let body = response_json(&resp, "id", "m", 1, true);
    assert_eq!(
        body["choices"][0]["message"]["reasoning_content"],
        "step 1. step 2."
    );
    // No thinking, nothing to show even when asked.
    let plain = ChatResponse {
        content: vec![Block::Text { text: "42".into() }],
        ..ChatResponse::default()
    };
    let body = response_json(&plain, "id", "m", 1, true);
    assert!(
        body["choices"][0]["message"]
            .get("reasoning_content")
            .is_none()
    );
}

#[test]
fn tool_calls_keep_text() {
    let resp = ChatResponse {
        content: vec![
            Block::Text {
                text: "Let me check.".into(),
            },
            Block::ToolUse {
                id: "call_a".into(),
                name: "weather".into(),
                input: json!({"city": "Paris", "days": 2}),
            },
            Block::ToolUse {
                id: "call_b".into(),
                name: "time".into(),
                input: json!({}),
            },
        ],
        stop_reason: StopReason::ToolUse,
        usage: usage(),
    };
    let body = response_json(
        &resp,
        "chatcmpl-2",
        "claude-sonnet-4-6",
        1_700_000_001,
        true,
    );
    insta::assert_json_snapshot!(body);
    let message = &body["choices"][0]["message"];
    assert_eq!(message["content"], "Let me check.");
    assert_eq!(
        message["tool_calls"][0]["function"]["arguments"],
        r#"{"city":"Paris","days":2}"#
    );
    assert_eq!(body["choices"][0]["finish_reason"], "tool_calls");
}

#[test]
fn only_tool_calls_give_null_content_and_tool_calls_finish() {
    // An upstream that reports a plain stop for a tool turn still yields `tool_calls`.
    let resp = ChatResponse {
        content: vec![Block::ToolUse {
            id: "c".into(),
            name: "f".into(),
            input: json!({"x": 1}),
        }],
        stop_reason: StopReason::EndTurn,
        usage: Usage::default(),
    };
    let body = response_json(&resp, "id", "m", 1, false);
    assert!(body["choices"][0]["message"]["content"].is_null());
    assert_eq!(body["choices"][0]["finish_reason"], "tool_calls");
}

#[test]
fn length_and_content_filter_finishes() {
    let mut resp = ChatResponse {
        content: vec![Block::Text {
            text: "trunc".into(),
        }],
        stop_reason: StopReason::MaxTokens,
        usage: usage(),
    };
    let body = response_json(&resp, "chatcmpl-3", "m", 5, false);
    insta::assert_json_snapshot!(body);
    assert_eq!(body["choices"][0]["finish_reason"], "length");
    resp.stop_reason = StopReason::ContentFilter;
    let body = response_json(&resp, "chatcmpl-3", "m", 5, false);
    assert_eq!(body["choices"][0]["finish_reason"], "content_filter");
}

#[test]
fn error_bodies() {
    let body = error_json(&ErrorInfo::invalid("n", "only 1 is supported"));
    assert_eq!(
        body,
        json!({"error": {"message": "n: only 1 is supported", "type": "invalid_request_error",
                         "param": null, "code": null}})
    );
    let body = error_json(&ErrorInfo::new(429, ErrorKind::RateLimit, "slow down"));
    assert_eq!(body["error"]["type"], "rate_limit_error");
    assert_eq!(body["error"]["code"], "rate_limit_exceeded");
}

#[test]
fn huge_token_counts_saturate_instead_of_overflowing() {
    // Found by the property tests: prompt + cached and prompt + completion overflowed.
    let resp = ChatResponse {
        content: vec![],
        stop_reason: StopReason::EndTurn,
        usage: Usage {
            input_tokens: u64::MAX,
            output_tokens: 2,
            cached_input_tokens: 1,
            thinking_tokens: 0,
        },
    };
    let body = response_json(&resp, "chatcmpl-1", "m", 0, false);
    assert_eq!(body["usage"]["prompt_tokens"], u64::MAX);
    assert_eq!(body["usage"]["total_tokens"], u64::MAX);
    assert_eq!(body["usage"]["completion_tokens"], 2);
}
