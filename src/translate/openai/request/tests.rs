//! Tests for Chat Completions request parsing: roles, tools, images, parameters and field-naming errors.

use serde_json::{Value, json};

use super::parse_request;
use crate::translate::ir::{
    Block, ChatRequest, Effort, ErrorKind, ImageSource, Role, Thinking, ToolChoice,
    ToolResultContent,
};

fn parse(body: &Value) -> ChatRequest {
    parse_request(body.to_string().as_bytes()).expect("request should parse")
}

/// The error message of a request that must be rejected with a 400.
fn reject(body: &Value) -> String {
    reject_raw(body.to_string().as_bytes())
}

fn reject_raw(body: &[u8]) -> String {
    let err = parse_request(body).expect_err("request should be rejected");
    assert_eq!(err.status, 400);
    assert_eq!(err.kind, ErrorKind::InvalidRequest);
    err.message
}

fn with_messages(messages: &Value) -> Value {
    json!({"model": "m", "messages": messages})
}

const PNG_1PX: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

#[test]
fn minimal_request_has_defaults() {
    let req =
        parse(&json!({"model": "gemini-3-pro", "messages": [{"role": "user", "content": "hi"}]}));
    insta::assert_json_snapshot!(req);
    assert_eq!(req.tool_choice, ToolChoice::Auto);
    assert_eq!(req.thinking, Thinking::Off);
    assert!(!req.stream && !req.include_usage);
}

#[test]
fn every_role_and_a_two_turn_tool_round_trip() {
    let req = parse(&json!({
        "model": "claude-sonnet-4-6",
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "developer", "content": [{"type": "text", "text": "Use tools."}]},
            {"role": "user", "content": "Weather in Paris and Rome?", "name": "alice"},
            {"role": "assistant", "content": "Checking.", "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": "weather", "arguments": "{\"city\":\"Paris\"}"}},
                {"id": "call_2", "type": "function",
                 "function": {"name": "weather", "arguments": "{\"city\":\"Rome\"}"}}
            ]},
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
            {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "rain"}]},
            {"role": "system", "content": "Answer in one line."},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_3", "type": "function", "function": {"name": "noop", "arguments": ""}}
            ]},
            {"role": "tool", "tool_call_id": "call_3", "content": null},
            {"role": "user", "content": "thanks"}
        ],
        "tools": [
            {"type": "function", "function": {"name": "weather", "description": "Get weather",
             "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}},
            {"type": "function", "function": {"name": "noop", "strict": true}}
        ]
    }));
    insta::assert_json_snapshot!(req);

    assert_eq!(req.system, ["You are terse.", "Use tools."]);
    let roles: Vec<Role> = req.messages.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [
            Role::User,
            Role::Assistant,
            Role::User,
            Role::System,
            Role::Assistant,
            Role::User,
            Role::User
        ]
    );
    // Text is kept ahead of the tool calls.
    assert_eq!(req.messages[1].content.len(), 3);
    assert_eq!(
        req.messages[1].content[0],
        Block::Text {
            text: "Checking.".into()
        }
    );
    // Both tool messages land in one user message, in order.
    let results: Vec<&str> = req.messages[2]
        .content
        .iter()
        .map(|b| match b {
            Block::ToolResult { tool_use_id, .. } => tool_use_id.as_str(),
            other => panic!("expected a tool result, got {other:?}"),
        })
        .collect();
    assert_eq!(results, ["call_1", "call_2"]);
    assert_eq!(
        req.messages[4].content,
        [Block::ToolUse {
            id: "call_3".into(),
            name: "noop".into(),
            input: json!({})
        }]
    );
    assert_eq!(
        req.tools[1].parameters,
        json!({"type": "object", "properties": {}})
    );
}

#[test]
fn system_only_conversation_becomes_a_user_turn() {
    let req = parse(&with_messages(&json!([
        {"role": "system", "content": "Say hi."},
        {"role": "developer", "content": ""}
    ])));
    assert!(req.system.is_empty());
    assert_eq!(req.messages.len(), 1);
    assert_eq!(req.messages[0].role, Role::User);
    assert_eq!(
        req.messages[0].content,
        [Block::Text {
            text: "Say hi.".into()
        }]
    );
    let msg = reject(&with_messages(&json!([{"role": "system", "content": ""}])));
    assert_eq!(msg, "messages: must contain a message with content");
}

#[test]
fn legacy_functions_and_function_role() {
    let req = parse(&json!({
        "model": "m",
        "messages": [
            {"role": "user", "content": "add"},
            {"role": "assistant", "content": null,
             "function_call": {"name": "add", "arguments": "{\"a\":1}"}},
            {"role": "function", "name": "add", "content": "2"}
        ],
        "functions": [{"name": "add", "parameters": {"type": "object"}}],
        "function_call": {"name": "add"}
    }));
    assert_eq!(req.tool_choice, ToolChoice::Tool { name: "add".into() });
    assert_eq!(req.tools[0].name, "add");
    let Block::ToolUse { id, input, .. } = &req.messages[1].content[0] else {
        panic!("expected a tool use");
    };
    assert_eq!(input, &json!({"a": 1}));
    assert_eq!(
        req.messages[2].content,
        [Block::ToolResult {
            tool_use_id: id.clone(),
            content: vec![ToolResultContent::Text { text: "2".into() }],
            is_error: false,
        }]
    );
}

#[test]
fn image_parts_become_base64_or_url_sources() {
    let wrapped = format!(
        "data:Image/PNG;base64,{}\n{}",
        &PNG_1PX[..20],
        &PNG_1PX[20..]
    );
    let req = parse(&with_messages(&json!([{"role": "user", "content": [
        {"type": "text", "text": "what is this"},
        {"type": "image_url", "image_url": {"url": wrapped, "detail": "high"}},
        {"type": "image_url", "image_url": "https://example.com/cat.png"}
    ]}])));
    let content = &req.messages[0].content;
    assert_eq!(
        content[1],
        Block::Image {
            source: ImageSource::Base64 {
                media_type: "image/png".into(),
                data: PNG_1PX.into()
            }
        }
    );
    assert_eq!(
        content[2],
        Block::Image {
            source: ImageSource::Url {
                url: "https://example.com/cat.png".into()
            }
        }
    );
}

#[test]
fn bad_images_name_the_url_field() {
    let image = |url: &str| {
        with_messages(&json!([
            {"role": "user", "content": "a"},
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}
        ]))
    };
    let path = "messages[1].content[0].image_url.url: ";
    let cases = [
        (
            format!("data:text/plain;base64,{PNG_1PX}"),
            "unsupported media type \"text/plain\"",
        ),
        ("data:image/png;base64,@@@".to_owned(), "invalid base64"),
        (
            format!("data:image/png,{PNG_1PX}"),
            "data:<mime>;base64,<data>",
        ),
        (
            "ftp://example.com/a.png".to_owned(),
            "must be an http(s) URL",
        ),
        ("https://".to_owned(), "invalid URL"),
    ];
    for (url, problem) in cases {
        let msg = reject(&image(&url));
        assert!(
            msg.starts_with(path) && msg.contains(problem),
            "{url}: {msg}"
        );
    }
    let msg = reject(&with_messages(&json!([{"role": "system", "content": [
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
    ]}])));
    assert!(
        msg.starts_with("messages[0].content[0].type: images are only"),
        "{msg}"
    );
}

#[test]
fn parameters_map_to_the_ir() {
    let req = parse(&json!({
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 100, "max_completion_tokens": 200,
        "temperature": 0.5, "top_p": 0.9, "stop": "END", "n": 1,
        "stream": true, "stream_options": {"include_usage": true},
        "reasoning_effort": "high", "user": "u-1",
        "presence_penalty": 0.1, "frequency_penalty": 0.2, "logit_bias": {"1": 2},
        "seed": 7, "parallel_tool_calls": false, "response_format": {"type": "json_object"},
        "metadata": {"k": "v"}, "store": false, "service_tier": "auto", "logprobs": false
    }));
    assert_eq!(req.max_tokens, Some(200));
    assert_eq!((req.temperature, req.top_p), (Some(0.5), Some(0.9)));
    assert_eq!(req.stop, ["END"]);
    assert!(req.stream && req.include_usage);
    assert_eq!(
        (req.effort, req.thinking),
        (Some(Effort::High), Thinking::Adaptive)
    );
    assert_eq!(req.user_id.as_deref(), Some("u-1"));

    let req = parse(
        &json!({"model": "m", "messages": [{"role": "user", "content": "hi"}],
        "reasoning": {"effort": "minimal"}, "max_tokens": 5, "stop": ["a", "b"]}),
    );
    assert_eq!(
        (req.effort, req.thinking),
        (Some(Effort::Minimal), Thinking::Adaptive)
    );
    assert_eq!(req.max_tokens, Some(5));
    assert_eq!(req.stop, ["a", "b"]);

    let req = parse(
        &json!({"model": "m", "messages": [{"role": "user", "content": "hi"}],
        "reasoning_effort": "none", "tool_choice": "none"}),
    );
    assert_eq!((req.effort, req.thinking), (None, Thinking::Off));
    assert_eq!(req.tool_choice, ToolChoice::None);
}

#[test]
fn explicit_nulls_behave_as_absent() {
    let with_nulls = parse(&json!({
        "model": "m", "messages": [{"role": "user", "content": "hi", "name": null}],
        "tools": null, "tool_choice": null, "max_tokens": null, "max_completion_tokens": null,
        "temperature": null, "top_p": null, "stop": null, "n": null, "stream": null,
        "stream_options": null, "reasoning_effort": null, "reasoning": null, "user": null,
        "response_format": null, "logprobs": null, "seed": null, "functions": null,
        "function_call": null
    }));
    let plain = parse(&json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]}));
    assert_eq!(with_nulls, plain);
}

#[test]
fn tool_choice_forms() {
    let body = |choice: Value| {
        json!({"model": "m", "messages": [{"role": "user", "content": "hi"}],
               "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": choice})
    };
    assert_eq!(
        parse(&body(json!("required"))).tool_choice,
        ToolChoice::Required
    );
    assert_eq!(parse(&body(json!("auto"))).tool_choice, ToolChoice::Auto);
    assert_eq!(
        parse(&body(
            json!({"type": "function", "function": {"name": "f"}})
        ))
        .tool_choice,
        ToolChoice::Tool { name: "f".into() }
    );
    assert_eq!(
        reject(&body(
            json!({"type": "function", "function": {"name": "g"}})
        )),
        "tool_choice.function.name: no tool named \"g\" in tools"
    );
    assert!(reject(&body(json!("sometimes"))).starts_with("tool_choice: unknown tool choice"));
}

#[test]
fn message_errors_name_the_field() {
    let user = json!({"role": "user", "content": "hi"});
    let cases: Vec<(Value, &str)> = vec![
        (
            with_messages(&json!([user, {"role": "robot", "content": "x"}])),
            "messages[1].role: unknown role \"robot\"",
        ),
        (
            with_messages(&json!([user, {"role": "assistant", "tool_calls": [
            {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{oops"}}]}])),
            "messages[1].tool_calls[0].function.arguments: invalid JSON",
        ),
        (
            with_messages(&json!([user, {"role": "assistant", "tool_calls": [
            {"id": "c", "type": "function", "function": {"name": "f", "arguments": "[1]"}}]}])),
            "messages[1].tool_calls[0].function.arguments: must be a JSON object, got an array",
        ),
        (
            with_messages(&json!([user, {"role": "tool", "tool_call_id": "nope", "content": "x"}])),
            "messages[1].tool_call_id: \"nope\" does not match",
        ),
        (
            with_messages(&json!([{"role": "user", "content": [{"type": "text", "text": 5}]}])),
            "messages[0].content[0].text: invalid type: integer `5`, expected a string",
        ),
        (
            with_messages(&json!([{"role": "user", "content": [{"type": "input_audio"}]}])),
            "messages[0].content[0].type: \"input_audio\" content is not supported",
        ),
        (
            with_messages(&json!([{"role": "user", "content": [{"type": "file"}]}])),
            "messages[0].content[0].type: \"file\" content is not supported",
        ),
        (
            with_messages(&json!([{"role": "user"}])),
            "messages[0].content: required",
        ),
        (
            with_messages(&json!([{"content": "x"}])),
            "messages[0]: missing field `role`",
        ),
        (
            with_messages(&json!([{"role": "user", "content": 42}])),
            "messages[0].content: invalid type: integer `42`",
        ),
        (
            with_messages(&json!([])),
            "messages: must contain at least one message",
        ),
    ];
    assert_rejections(cases);
}

#[test]
fn parameter_errors_name_the_field() {
    let user = json!({"role": "user", "content": "hi"});
    let cases: Vec<(Value, &str)> = vec![
        (json!({"messages": [user]}), "model: required"),
        (
            json!({"model": "", "messages": [user]}),
            "model: must be a non-empty string",
        ),
        (
            json!({"model": "m", "messages": [user], "n": 2}),
            "n: only 1 is supported",
        ),
        (
            json!({"model": "m", "messages": [user], "max_tokens": "x"}),
            "max_tokens: invalid type: string \"x\", expected i64",
        ),
        (
            json!({"model": "m", "messages": [user], "max_tokens": 0}),
            "max_tokens: must be a positive integer",
        ),
        (
            json!({"model": "m", "messages": [user], "temperature": 2.5}),
            "temperature: must be between 0 and 2",
        ),
        (
            json!({"model": "m", "messages": [user], "top_p": -0.1}),
            "top_p: must be between 0 and 1",
        ),
        (
            json!({"model": "m", "messages": [user], "stop": ["a", "b", "c", "d", "e"]}),
            "stop: at most 4 stop sequences",
        ),
        (
            json!({"model": "m", "messages": [user], "stream": "yes"}),
            "stream: invalid type",
        ),
        (
            json!({"model": "m", "messages": [user], "reasoning_effort": "max"}),
            "reasoning_effort: unknown effort \"max\"",
        ),
        (
            json!({"model": "m", "messages": [user], "tools": [{"type": "web_search"}]}),
            "tools[0].type: unsupported tool type \"web_search\"",
        ),
        (
            json!({"model": "m", "messages": [user], "tools": [{"type": "function", "function": {}}]}),
            "tools[0].function: missing field `name`",
        ),
        (
            json!({"model": "m", "messages": [user], "tools": [
            {"type": "function", "function": {"name": "f", "parameters": "x"}}]}),
            "tools[0].function.parameters: must be a JSON schema object",
        ),
        (
            json!({"model": "m", "messages": [user], "logprobs": true}),
            "logprobs: not supported",
        ),
        (
            json!({"model": "m", "messages": [user], "tool_choice": "required"}),
            "tool_choice: \"required\" needs at least one tool",
        ),
        (json!([1, 2]), "body: must be a JSON object"),
    ];
    assert_rejections(cases);
}

fn assert_rejections(cases: Vec<(Value, &str)>) {
    for (body, expected) in cases {
        let msg = reject(&body);
        assert!(
            msg.starts_with(expected),
            "expected {expected:?}, got {msg:?}"
        );
    }
}

#[test]
fn invalid_json_names_the_position() {
    let msg = reject_raw(b"{\"model\": \"m\",\n \"messages\": [}");
    assert!(msg.starts_with("body: invalid JSON: "), "{msg}");
    assert!(msg.contains("line 2 column"), "{msg}");
    let msg =
        reject_raw(b"{\"model\": \"m\", \"messages\": [{\"role\":\"user\",\"content\":\"x\"}]} x");
    assert!(
        msg.starts_with("body: invalid JSON: trailing characters"),
        "{msg}"
    );
    assert!(reject_raw(b"").starts_with("body: invalid JSON: EOF"));
}

#[test]
fn tool_call_arguments_keep_every_digit_of_a_float() {
    // Found by the property tests: without serde_json's `float_roundtrip`, 17-digit floats
    // were read one unit in the last place off, so the upstream saw another number.
    let req = parse(&with_messages(&json!([
        {"role": "user", "content": "go"},
        {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
            "function": {"name": "f", "arguments": "{\"x\":2.9059462664964626e+44}"}}]},
    ])));
    let Block::ToolUse { input, .. } = &req.messages[1].content[0] else {
        panic!("a tool call: {:?}", req.messages[1]);
    };
    assert_eq!(input["x"].as_f64(), Some(2.905_946_266_496_462_6e44));
}

#[test]
fn response_format_fills_the_output_format() {
    use crate::translate::ir::OutputFormat;
    let hi = json!([{"role": "user", "content": "hi"}]);
    let schema = json!({"type": "object", "properties": {"a": {"type": "string"}}});
    let req = parse(
        &json!({"model": "m", "messages": hi, "response_format": {"type": "json_schema",
        "json_schema": {"name": "A", "schema": schema, "strict": true}}}),
    );
    assert_eq!(
        req.output_format,
        OutputFormat::JsonSchema {
            name: "A".into(),
            schema,
            strict: true,
            description: None
        }
    );
    let req =
        parse(&json!({"model": "m", "messages": hi, "response_format": {"type": "json_object"}}));
    assert_eq!(req.output_format, OutputFormat::JsonObject);
    let req = parse(&json!({"model": "m", "messages": hi, "response_format": {"type": "text"}}));
    assert_eq!(req.output_format, OutputFormat::Text);
    assert!(
        reject(&json!({"model": "m", "messages": hi, "response_format": {"type": "json_schema"}}))
            .starts_with("response_format.json_schema:")
    );
}
