//! Cases for `/v1/messages` and `/v1/messages/count_tokens` alone: content blocks and their
//! per-role rules, images, tool use and results, system, tools, thinking and effort.

#![allow(clippy::needless_pass_by_value)] // builders take JSON by value: shorter cases

use serde_json::{Value, json};

use super::runner::{Api, CT, Case};

const API: Api = Api::Anthropic;

/// `good()` with the top-level `key` set to `value`.
fn set(name: &str, key: &str, value: Value) -> Case {
    Case::on(API, name, API.with(|v| v[key] = value))
}

/// `good()` without the top-level `key`.
fn without(name: &str, key: &str) -> Case {
    Case::on(
        API,
        name,
        API.with(|v| drop(v.as_object_mut().unwrap().remove(key))),
    )
}

/// `good()` with these messages.
fn messages(name: &str, list: Value) -> Case {
    set(name, "messages", list)
}

/// One user message with these blocks.
fn user(name: &str, blocks: Value) -> Case {
    messages(name, json!([{"role": "user", "content": blocks}]))
}

/// A user "hi", then an assistant message with these blocks.
fn assistant(name: &str, blocks: Value) -> Case {
    messages(
        name,
        json!([{"role": "user", "content": "hi"}, {"role": "assistant", "content": blocks}]),
    )
}

fn image(name: &str, source: Value) -> Case {
    user(name, json!([{"type": "image", "source": source}]))
}

fn tool_use(input: Value) -> Value {
    json!([{"type": "tool_use", "id": "t", "name": "f", "input": input}])
}

pub fn cases() -> Vec<Case> {
    let source = "messages[0].content[0].source";
    let png = "image/png";
    let mut cases = vec![
        without("max_tokens missing", "max_tokens").names("max_tokens"),
        set("max_tokens null", "max_tokens", Value::Null).names("max_tokens"),
        messages("role tool", json!([{"role": "tool", "content": "x"}])).names("messages[0].role"),
        user(
            "unsupported document block",
            json!([{"type": "document", "source": {}}]),
        )
        .names("messages[0].content[0].type"),
        user("block type is a number", json!([{"type": 3}])).names("messages[0].content[0].type"),
        image(
            "image base64 that is not base64",
            json!({"type": "base64", "media_type": png, "data": "@@@"}),
        )
        .names(format!("{source}.data")),
        image(
            "image base64 empty",
            json!({"type": "base64", "media_type": png, "data": ""}),
        )
        .names(format!("{source}.data")),
        image(
            "image without media_type",
            json!({"type": "base64", "data": "aGk="}),
        )
        .names(format!("{source}.media_type")),
        image(
            "image of text/plain",
            json!({"type": "base64", "media_type": "text/plain", "data": "aGk="}),
        )
        .names(format!("{source}.media_type")),
        image(
            "image source type file",
            json!({"type": "file", "file_id": "f"}),
        )
        .names(format!("{source}.type")),
        image("image url empty", json!({"type": "url", "url": ""})).names(format!("{source}.url")),
        user("image without source", json!([{"type": "image"}])).names("messages[0].content[0]"),
        image(
            "image URL (never fetched)",
            json!({"type": "url", "url": "http://127.0.0.1:9/a.png"}),
        )
        .names("image"),
        user("tool_use in a user message", tool_use(json!({}))).names("messages[0].content[0]"),
        user(
            "tool_result without a tool_use",
            json!([{"type": "tool_result", "tool_use_id": "toolu_404", "content": "x"}]),
        )
        .names("messages[0].content[0].tool_use_id"),
        assistant(
            "tool_result in an assistant message",
            json!([{"type": "tool_result", "tool_use_id": "t", "content": "x"}]),
        )
        .names("messages[1].content[0]"),
        assistant("tool_use input is an array", tool_use(json!([1])))
            .names("messages[1].content[0].input"),
        assistant("tool_use input is a string", tool_use(json!("{}")))
            .names("messages[1].content[0].input"),
        assistant(
            "tool_use with empty name",
            json!([{"type": "tool_use", "id": "t", "name": " ", "input": {}}]),
        )
        .names("messages[1].content[0].name"),
        messages(
            "tool_result content block of type tool_use",
            json!([
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": tool_use(json!({}))},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "t", "content": [{"type": "tool_use"}]},
                ]},
            ]),
        )
        .names("messages[2].content[0].content[0].type"),
        user(
            "thinking block in a user message",
            json!([{"type": "thinking", "thinking": "hm", "signature": "s"}]),
        )
        .names("messages[0].content[0]"),
        user("text block without text", json!([{"type": "text"}])).names("messages[0].content[0]"),
        messages(
            "system message with an image",
            json!([
                {"role": "user", "content": "hi"},
                {"role": "system", "content": [{"type": "image", "source": {}}]},
            ]),
        )
        .names("messages[1].content[0].type"),
        set("system is a number", "system", json!(5)).names("system"),
        set(
            "system block is an image",
            "system",
            json!([{"type": "image"}]),
        )
        .names("system[0].type"),
        set("tool without input_schema", "tools", json!([{"name": "f"}]))
            .names("tools[0].input_schema"),
        set(
            "tool input_schema is a string",
            "tools",
            json!([{"name": "f", "input_schema": "{}"}]),
        )
        .names("tools[0].input_schema"),
        set(
            "server tool",
            "tools",
            json!([{"type": "web_search_20250305", "name": "web_search"}]),
        )
        .names("tools[0].type"),
        set(
            "tool without name",
            "tools",
            json!([{"input_schema": {"type": "object"}}]),
        )
        .names("tools[0].name"),
        set(
            "tool_choice type unknown",
            "tool_choice",
            json!({"type": "sometimes"}),
        )
        .names("tool_choice.type"),
        set(
            "tool_choice names no tool",
            "tool_choice",
            json!({"type": "tool", "name": "ghost"}),
        )
        .names("tool_choice.name"),
        set("tool_choice is a string", "tool_choice", json!("auto")).names("tool_choice"),
        set(
            "thinking type unknown",
            "thinking",
            json!({"type": "maybe"}),
        )
        .names("thinking.type"),
        set(
            "thinking enabled without budget",
            "thinking",
            json!({"type": "enabled"}),
        )
        .names("thinking.budget_tokens"),
        set(
            "thinking budget negative",
            "thinking",
            json!({"type": "enabled", "budget_tokens": -1}),
        )
        .names("thinking.budget_tokens"),
        set(
            "effort unknown",
            "output_config",
            json!({"effort": "ultra"}),
        )
        .names("output_config.effort"),
        set(
            "output format of an unknown type",
            "output_config",
            json!({"format": {"type": "xml"}}),
        )
        .names("output_config.format.type"),
        set("top_k negative", "top_k", json!(-1)).names("top_k"),
        set("metadata is a string", "metadata", json!("user-1")).names("metadata"),
    ];
    // A long valid content array whose last block is broken: the path still points at it.
    let many = 30_000;
    let mut blocks = vec![json!({"type": "text", "text": "a"}); many];
    blocks.push(json!({"type": "bogus"}));
    cases.push(
        user("30k blocks then an unknown one", Value::Array(blocks))
            .names(format!("messages[0].content[{many}].type")),
    );
    let count = |name: &str, body: &[u8]| Case::post(format!("count_tokens/{name}"), CT, body);
    let oversized = vec![b' '; 2 * 1024 * 1024];
    let unknown_block = br#"{"model": "gemini-3-flash",
        "messages": [{"role": "user", "content": [{"type": "x"}]}]}"#;
    cases.extend([
        count("empty body", b"").names("body"),
        count("array body", b"[]").names("body"),
        count(
            "model missing",
            br#"{"messages": [{"role": "user", "content": "hi"}]}"#,
        )
        .names("model"),
        count("messages missing", br#"{"model": "gemini-3-flash"}"#).names("messages"),
        count("unknown block type", unknown_block).names("messages[0].content[0].type"),
        count("invalid UTF-8", b"{\"model\": \"\xc3\x28\"}").names("body"),
        count("over 1 MiB", &oversized).status(413),
    ]);
    cases
}
