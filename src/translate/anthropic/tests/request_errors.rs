//! Request parsing errors: every 400 names the field path of the offending value.

use serde_json::json;

use super::{error, with_messages};
use crate::translate::anthropic::parse_request;

#[test]
fn invalid_json_names_the_position() {
    let err = parse_request(b"{\"model\": \"m\",\n  \"messages\": [").expect_err("truncated");
    assert_eq!(err.status, 400);
    assert!(
        err.message
            .starts_with("body: invalid JSON: EOF while parsing"),
        "{}",
        err.message
    );
    assert!(err.message.contains("line 2 column"), "{}", err.message);

    let err = parse_request(b"{\"model\": \"m\"} trailing").expect_err("trailing garbage");
    assert!(
        err.message
            .starts_with("body: invalid JSON: trailing characters at line 1")
    );

    let err = parse_request(b" [\"m\", 1, []]").expect_err("an array is not a body");
    assert_eq!(err.message, "body: must be a JSON object, got an array");
    let err = parse_request(b"\"hi\"").expect_err("a string is not a body");
    assert!(
        err.message
            .starts_with("body: invalid type: string \"hi\", expected a JSON object"),
        "{}",
        err.message
    );
}

#[test]
fn top_level_errors_name_the_field() {
    let hi = json!([{"role": "user", "content": "hi"}]);
    let cases = [
        (json!({"max_tokens": 1, "messages": hi}), "model: required"),
        (
            json!({"model": " ", "max_tokens": 1, "messages": hi}),
            "model: must be a non-empty string",
        ),
        (
            json!({"model": "m", "max_tokens": 0, "messages": hi}),
            "max_tokens: must be a positive integer",
        ),
        (json!({"model": "m", "max_tokens": 1}), "messages: required"),
        (
            json!({"model": "m", "max_tokens": 1, "messages": []}),
            "messages: must contain at least one message",
        ),
        (
            json!({"model": "m", "max_tokens": 1, "messages": hi, "temperature": -0.5}),
            "temperature: must be between 0 and 2, got -0.5",
        ),
        (
            json!({"model": "m", "max_tokens": 1, "messages": hi, "top_p": 1.5}),
            "top_p: must be between 0 and 1, got 1.5",
        ),
        (
            json!({"model": "m", "max_tokens": 1, "messages": hi, "thinking": {"type": "enabled"}}),
            "thinking.budget_tokens: required when thinking.type is 'enabled'",
        ),
        (
            json!({"model": "m", "max_tokens": 1, "messages": hi, "thinking": {"type": "sometimes"}}),
            "thinking.type: unknown thinking type 'sometimes' (expected enabled, adaptive or disabled)",
        ),
        (
            json!({"model": "m", "max_tokens": 1, "messages": hi, "output_config": {"effort": "extreme"}}),
            "output_config.effort: unknown effort 'extreme' (expected minimal, low, medium, high or max)",
        ),
        (
            json!({"model": "m", "max_tokens": 1, "messages": hi, "tool_choice": {"type": "tool"}}),
            "tool_choice.name: required when tool_choice.type is 'tool'",
        ),
        (
            json!({"model": "m", "max_tokens": 1, "messages": hi, "tool_choice": {"type": "tool", "name": "x"}}),
            "tool_choice.name: no tool named 'x' in tools",
        ),
        (
            json!({"model": "m", "max_tokens": 1, "messages": hi, "tool_choice": {"type": "maybe"}}),
            "tool_choice.type: unknown tool_choice type 'maybe' (expected auto, any, none or tool)",
        ),
        (
            json!({"model": "m", "max_tokens": 1, "messages": hi, "tools": [
                {"name": "ok", "input_schema": {"type": "object"}},
                {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}
            ]}),
            "tools[1].type: server tools are not supported ('web_search_20250305'); only custom tools with an input_schema",
        ),
        (
            json!({"model": "m", "max_tokens": 1, "messages": hi, "tools": [{"name": "", "input_schema": {}}]}),
            "tools[0].name: must be a non-empty string",
        ),
        (
            json!({"model": "m", "max_tokens": 1, "messages": hi, "tools": [{"name": "f"}]}),
            "tools[0].input_schema: required",
        ),
        (
            json!({"model": "m", "max_tokens": 1, "messages": hi, "tools": [{"name": "f", "input_schema": "x"}]}),
            "tools[0].input_schema: must be a JSON object",
        ),
        (
            json!({"model": "m", "max_tokens": 1, "messages": hi, "system": [{"type": "image"}]}),
            "system[0].type: only text blocks are allowed here, got 'image'",
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(error(&body), expected, "body: {body}");
    }
}

#[test]
fn serde_type_errors_carry_the_path() {
    let cases = [
        (
            json!({"model": "m", "max_tokens": "10", "messages": []}),
            "max_tokens: invalid type: string \"10\"",
        ),
        (
            json!({"model": "m", "max_tokens": 1, "messages": [{"role": "tool", "content": "x"}]}),
            "messages[0].role: unknown variant `tool`",
        ),
        (
            json!({"model": "m", "max_tokens": 1, "messages": [{"role": "user"}]}),
            "messages[0]: missing field `content`",
        ),
        (
            json!({"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": 7}]}),
            "messages[0].content: invalid type: integer `7`, expected a string or an array of content blocks",
        ),
        (
            json!({"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": "x"}], "top_k": -1}),
            "top_k: invalid value: integer `-1`",
        ),
        (
            json!({"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": "x"}], "tools": [{"name": 3}]}),
            "tools[0].name: invalid type: integer `3`",
        ),
    ];
    for (body, expected) in cases {
        let message = error(&body);
        assert!(
            message.starts_with(expected),
            "{message:?} should start with {expected:?}"
        );
    }
}

#[test]
fn content_block_errors_name_the_path() {
    let use_t1 = json!({"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {}}]});
    let cases = [
        (
            json!([{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
                   {"role": "user", "content": [{"type": "foo"}]}]),
            "messages[2].content[0].type: unknown block type 'foo'",
        ),
        (
            json!([{"role": "user", "content": [{"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "x"}}]}]),
            "messages[0].content[0].type: block type 'document' is not supported",
        ),
        (
            json!([{"role": "user", "content": [{"text": "no type"}]}]),
            "messages[0].content[0].type: required",
        ),
        (
            json!([{"role": "user", "content": ["bare string"]}]),
            "messages[0].content[0]: expected a content block object, got a string",
        ),
        (
            json!([{"role": "user", "content": [{"type": "text", "text": "ok"}, {"type": "text", "text": 5}]}]),
            "messages[0].content[1].text: invalid type: integer `5`, expected a string",
        ),
        (
            json!([{"role": "user", "content": [{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "not base64!"}}]}]),
            "messages[0].content[0].source.data: not valid base64",
        ),
        (
            json!([{"role": "user", "content": [{"type": "image", "source": {"type": "base64", "media_type": "application/pdf", "data": "AAAA"}}]}]),
            "messages[0].content[0].source.media_type: must be an image/* media type, got 'application/pdf'",
        ),
        (
            json!([{"role": "user", "content": [{"type": "image", "source": {"type": "file", "file_id": "f"}}]}]),
            "messages[0].content[0].source.type: unsupported image source type 'file' (expected base64 or url)",
        ),
        (
            json!([{"role": "user", "content": [{"type": "tool_use", "id": "t", "name": "f", "input": {}}]}]),
            "messages[0].content[0]: tool_use blocks are only allowed in assistant messages",
        ),
        (
            json!([{"role": "user", "content": "hi"}, {"role": "assistant", "content": [{"type": "tool_result", "tool_use_id": "t"}]}]),
            "messages[1].content[0]: tool_result blocks are only allowed in user messages",
        ),
        (
            json!([{"role": "user", "content": "hi"}, use_t1, {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "nope"}]}]),
            "messages[2].content[0].tool_use_id: no earlier tool_use has id 'nope'",
        ),
        (
            json!([{"role": "user", "content": "hi"}, use_t1, {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": 1}]}]}]),
            "messages[2].content[0].content[0].text: invalid type: integer `1`, expected a string",
        ),
        (
            json!([{"role": "user", "content": "hi"}, use_t1, {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "document"}]}]}]),
            "messages[2].content[0].content[0].type: tool results may only contain text and image blocks, got 'document'",
        ),
        (
            json!([{"role": "user", "content": "hi"}, {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "f", "input": [1]}]}]),
            "messages[1].content[0].input: must be a JSON object, got an array",
        ),
        (
            json!([{"role": "user", "content": "hi"}, {"role": "system", "content": [{"type": "tool_use", "id": "t", "name": "f", "input": {}}]}]),
            "messages[1].content[0].type: system messages may only contain text blocks, got 'tool_use'",
        ),
        (
            json!([{"role": "user", "content": [{"type": "thinking", "thinking": "x", "signature": "s"}]}]),
            "messages[0].content[0]: thinking blocks are only allowed in assistant messages",
        ),
    ];
    for (messages, expected) in cases {
        assert_eq!(
            error(&with_messages(&messages)),
            expected,
            "messages: {messages}"
        );
    }
}

#[test]
fn tool_result_must_follow_its_tool_use() {
    // The id exists, but only later in the conversation.
    let body = with_messages(&json!([
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "x"}]},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {}}]}
    ]));
    assert_eq!(
        error(&body),
        "messages[0].content[0].tool_use_id: no earlier tool_use has id 't1'"
    );
}
