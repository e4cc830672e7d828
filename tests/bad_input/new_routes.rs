//! Bad input on the Responses API and the public Gemini API: each a 400 in the route's own error
//! format naming the field, nothing upstream.

use serde_json::{Value, json};

use super::runner::{Api, Case};

fn responses(name: &str, change: impl FnOnce(&mut Value), field: &str) -> Case {
    Case::on(Api::Responses, name, Api::Responses.with(change)).names(field)
}

fn gemini(name: &str, change: impl FnOnce(&mut Value), field: &str) -> Case {
    Case::on(Api::Gemini, name, Api::Gemini.with(change)).names(field)
}

pub fn cases() -> Vec<Case> {
    vec![
        Case::on(Api::Responses, "not json", b"{".to_vec()).names("body"),
        responses(
            "no model",
            |b| drop(b.as_object_mut().unwrap().remove("model")),
            "model",
        ),
        responses(
            "no input",
            |b| drop(b.as_object_mut().unwrap().remove("input")),
            "input:",
        ),
        responses("input a number", |b| b["input"] = json!(7), "input"),
        responses(
            "unknown item",
            |b| b["input"] = json!([{"type": "hologram"}]),
            "input[0].type:",
        ),
        responses(
            "unknown role",
            |b| b["input"] = json!([{"role": "wizard", "content": "x"}]),
            "input[0].role:",
        ),
        responses(
            "call without call_id",
            |b| b["input"] = json!([{"type": "function_call", "name": "f", "arguments": "{}"}]),
            "input[0].call_id:",
        ),
        responses(
            "output without its call",
            |b| {
                b["input"] =
                    json!([{"type": "function_call_output", "call_id": "c9", "output": "x"}]);
            },
            "c9",
        ),
        responses(
            "unknown tool type",
            |b| b["tools"] = json!([{"type": "hologram"}]),
            "tools[0].type:",
        ),
        responses(
            "function without name",
            |b| b["tools"] = json!([{"type": "function"}]),
            "tools[0].name:",
        ),
        responses(
            "tool_choice of a hosted tool",
            |b| {
                b["tools"] = json!([{"type": "web_search"}]);
                b["tool_choice"] = json!({"type": "web_search"});
            },
            "tool_choice.type:",
        ),
        responses(
            "unknown effort",
            |b| b["reasoning"] = json!({"effort": "max"}),
            "reasoning.effort:",
        ),
        responses(
            "background",
            |b| b["background"] = json!(true),
            "background:",
        ),
        responses(
            "bad include",
            |b| b["include"] = json!(["message.output_text.logprobs"]),
            "include[0]:",
        ),
        responses(
            "previous id unknown",
            |b| b["previous_response_id"] = json!("resp_x"),
            "previous_response_id:",
        ),
        responses(
            "zero max_output_tokens",
            |b| b["max_output_tokens"] = json!(0),
            "max_output_tokens:",
        ),
        responses(
            "unknown structured output format",
            |b| b["text"] = json!({"format": {"type": "grammar"}}),
            "text.format.type:",
        ),
        responses(
            "json_schema without a schema",
            |b| b["text"] = json!({"format": {"type": "json_schema", "name": "P"}}),
            "text.format.schema:",
        ),
        Case::on(Api::Gemini, "not json", b"[1]".to_vec()).names("body"),
        gemini(
            "no contents",
            |b| drop(b.as_object_mut().unwrap().remove("contents")),
            "contents:",
        ),
        gemini(
            "empty parts",
            |b| b["contents"] = json!([{"role": "user", "parts": []}]),
            "contents[0].parts:",
        ),
        gemini(
            "unknown role",
            |b| b["contents"][0]["role"] = json!("robot"),
            "contents[0].role:",
        ),
        gemini(
            "response without its call",
            |b| b["contents"] = json!([{"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {}}}]}]),
            "contents[0].parts[0].functionResponse:",
        ),
        gemini(
            "audio inline data",
            |b| {
                b["contents"][0]["parts"] =
                    json!([{"inlineData": {"mimeType": "audio/wav", "data": "AAAA"}}]);
            },
            "contents[0].parts[0].inlineData.mimeType:",
        ),
        gemini(
            "two candidates",
            |b| b["generationConfig"] = json!({"candidateCount": 2}),
            "generationConfig.candidateCount:",
        ),
        gemini(
            "an output mime type not served",
            |b| b["generationConfig"] = json!({"responseMimeType": "text/x.enum"}),
            "generationConfig.responseMimeType:",
        ),
        gemini(
            "bad thinking level",
            |b| b["generationConfig"] = json!({"thinkingConfig": {"thinkingLevel": "ULTRA"}}),
            "thinkingLevel:",
        ),
        gemini(
            "cached content",
            |b| b["cachedContent"] = json!("cachedContents/1"),
            "cachedContent:",
        ),
        gemini(
            "tool mode unknown",
            |b| b["toolConfig"] = json!({"functionCallingConfig": {"mode": "SOMETIMES"}}),
            "toolConfig.functionCallingConfig.mode:",
        ),
    ]
}
