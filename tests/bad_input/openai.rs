//! Cases for `/v1/chat/completions` alone: image URLs and data URLs, tool calls and tool
//! results, and the Chat Completions parameters this proxy refuses.

#![allow(clippy::needless_pass_by_value)] // builders take JSON by value: shorter cases

use serde_json::{Value, json};

use super::runner::{Api, Case};

const API: Api = Api::OpenAi;

/// `good()` with the top-level `key` set to `value`.
fn set(name: &str, key: &str, value: Value) -> Case {
    Case::on(API, name, API.with(|v| v[key] = value))
}

fn messages(name: &str, list: Value) -> Case {
    set(name, "messages", list)
}

/// One user message with these content parts.
fn user(name: &str, parts: Value) -> Case {
    messages(name, json!([{"role": "user", "content": parts}]))
}

fn image(name: &str, url: &str) -> Case {
    user(
        name,
        json!([{"type": "image_url", "image_url": {"url": url}}]),
    )
}

/// A user turn, an assistant turn calling `weather` with `arguments`, then `tail`.
fn after_call(name: &str, arguments: Value, tail: Value) -> Case {
    let call = json!({"id": "call_1", "type": "function",
                      "function": {"name": "weather", "arguments": arguments}});
    messages(
        name,
        json!([
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": null, "tool_calls": [call]},
            tail,
        ]),
    )
}

/// A user "hi", then an assistant message with these tool calls.
fn calls(name: &str, tool_calls: Value) -> Case {
    messages(
        name,
        json!([{"role": "user", "content": "hi"}, {"role": "assistant", "tool_calls": tool_calls}]),
    )
}

fn function(name: &str) -> Value {
    json!({"type": "function", "function": {"name": name}})
}

pub fn cases() -> Vec<Case> {
    let url = "messages[0].content[0].image_url.url";
    let args = "messages[1].tool_calls[0].function.arguments";
    let ok = json!({"role": "user", "content": "ok"});
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let png = "data:image/png;base64,aGk=";
    vec![
        image(
            "image data URL with bad base64",
            "data:image/png;base64,@@@@",
        )
        .names(url),
        image(
            "image data URL without base64 marker",
            "data:image/png,aGk=",
        )
        .names(url),
        image("image data URL without a comma", "data:image/png;base64").names(url),
        image(
            "image data URL of text/plain",
            "data:text/plain;base64,aGk=",
        )
        .names(url),
        image("image data URL with empty data", "data:image/png;base64,").names(url),
        image("image data URL of image/", "data:image/;base64,aGk=").names(url),
        image("image URL with ftp scheme", "ftp://example.com/a.png").names(url),
        image("image URL without host", "http://").names(url),
        image("image URL that is not a URL", "not a url").names(url),
        user("image_url missing", json!([{"type": "image_url"}]))
            .names("messages[0].content[0].image_url"),
        user(
            "image_url.url is a number",
            json!([{"type": "image_url", "image_url": {"url": 5}}]),
        )
        .names("messages[0].content[0].image_url"),
        messages(
            "image in a system message",
            json!([
                {"role": "system", "content": [{"type": "image_url", "image_url": {"url": png}}]},
                {"role": "user", "content": "hi"},
            ]),
        )
        .names("messages[0].content[0].type"),
        user(
            "input_audio part",
            json!([{"type": "input_audio", "input_audio": {"data": "aGk=", "format": "wav"}}]),
        )
        .names("messages[0].content[0].type"),
        user("text part without text", json!([{"type": "text"}]))
            .names("messages[0].content[0].text"),
        messages("user message without content", json!([{"role": "user"}]))
            .names("messages[0].content"),
        messages(
            "only an empty system message",
            json!([{"role": "system", "content": ""}]),
        )
        .names("messages"),
        messages(
            "tool result without any call",
            json!([
                {"role": "user", "content": "hi"},
                {"role": "tool", "tool_call_id": "call_404", "content": "sunny"},
            ]),
        )
        .names("messages[1].tool_call_id"),
        after_call(
            "tool result for an unknown call",
            json!("{}"),
            json!({"role": "tool", "tool_call_id": "call_2", "content": "x"}),
        )
        .names("messages[2].tool_call_id"),
        after_call(
            "tool result without tool_call_id",
            json!("{}"),
            json!({"role": "tool", "content": "x"}),
        )
        .names("messages[2].tool_call_id"),
        messages(
            "function result without a call",
            json!([
                {"role": "user", "content": "hi"},
                {"role": "function", "name": "weather", "content": "sunny"},
            ]),
        )
        .names("messages[1].name"),
        after_call(
            "tool call arguments are an array",
            json!("[1, 2]"),
            ok.clone(),
        )
        .names(args),
        after_call("tool call arguments are a number", json!("42"), ok.clone()).names(args),
        after_call(
            "tool call arguments are not JSON",
            json!("{\"city\": "),
            ok.clone(),
        )
        .names(args),
        after_call(
            "tool call arguments as an object",
            json!({"city": "Oslo"}),
            ok.clone(),
        )
        .names(args),
        after_call("tool call arguments nested 10k deep", json!(deep), ok).names(args),
        calls(
            "tool call without id",
            json!([{"type": "function", "function": {"name": "f", "arguments": "{}"}}]),
        )
        .names("messages[1].tool_calls[0].id"),
        calls(
            "tool call of type retrieval",
            json!([{"id": "c", "type": "retrieval", "function": {"name": "f"}}]),
        )
        .names("messages[1].tool_calls[0].type"),
        set(
            "tool of type code_interpreter",
            "tools",
            json!([{"type": "code_interpreter"}]),
        )
        .names("tools[0].type"),
        set(
            "tool without function",
            "tools",
            json!([{"type": "function"}]),
        )
        .names("tools[0].function"),
        set("tool with empty name", "tools", json!([function("")])).names("tools[0].function.name"),
        set(
            "duplicate tool names",
            "tools",
            json!([function("f"), function("f")]),
        )
        .names("tools[1].function.name"),
        set(
            "tool parameters are a string",
            "tools",
            json!([{"type": "function", "function": {"name": "f", "parameters": "{}"}}]),
        )
        .names("tools[0].function.parameters"),
        set(
            "tool_choice names no tool",
            "tool_choice",
            function("ghost"),
        )
        .names("tool_choice.function.name"),
        set(
            "tool_choice required without tools",
            "tool_choice",
            json!("required"),
        )
        .names("tool_choice"),
        set(
            "tool_choice unknown mode",
            "tool_choice",
            json!("sometimes"),
        )
        .names("tool_choice"),
        set("n = 2", "n", json!(2)).names("n"),
        set("logprobs", "logprobs", json!(true)).names("logprobs"),
        set(
            "response_format unknown",
            "response_format",
            json!({"type": "yaml"}),
        )
        .names("response_format.type"),
        set(
            "response_format json_schema without its schema",
            "response_format",
            json!({"type": "json_schema", "json_schema": {"name": "P"}}),
        )
        .names("response_format.json_schema.schema"),
        set(
            "reasoning_effort unknown",
            "reasoning_effort",
            json!("extreme"),
        )
        .names("reasoning_effort"),
        set(
            "max_completion_tokens negative",
            "max_completion_tokens",
            json!(-5),
        )
        .names("max_completion_tokens"),
        set("max_tokens above u32", "max_tokens", json!(1_u64 << 40)).names("max_tokens"),
        set(
            "five stop sequences",
            "stop",
            json!(["a", "b", "c", "d", "e"]),
        )
        .names("stop"),
        set(
            "model name of 10k characters",
            "model",
            json!("m".repeat(10_000)),
        )
        .names("model"),
        set(
            "stream_options is a string",
            "stream_options",
            json!("usage"),
        )
        .names("stream_options"),
    ]
}
