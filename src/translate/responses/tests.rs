//! Responses API translation: what Codex, the Agents SDK and the Python SDK send, parsed into the
//! IR, and IR answers rendered back as the response object and the typed event stream.

use bytes::BytesMut;
use serde_json::{Value, json};

use super::*;
use crate::translate::ir::{
    Block, ChatRequest, ChatResponse, ErrorInfo, ErrorKind, Role, StopReason, StreamEvent,
    Thinking, ToolChoice, ToolResultContent, Usage,
};

fn parse(body: &Value) -> Result<(ChatRequest, ResponsesContext), ErrorInfo> {
    parse_request(body.to_string().as_bytes())
}

fn err(body: &Value) -> String {
    let e = parse(body).unwrap_err();
    assert_eq!(e.status, 400, "{e}");
    e.message
}

/// The shape Codex CLI 0.171 sends (trimmed): developer message, namespace tool, hosted tool.
fn codex_body() -> Value {
    json!({
        "model": "claude-sonnet-4-6",
        "instructions": "You are Codex.",
        "input": [
            {"type": "message", "id": "msg_1", "role": "developer",
             "content": [{"type": "input_text", "text": "You are a coding agent running in the Codex CLI"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "list files"}]}
        ],
        "tools": [
            {"type": "function", "name": "exec_command", "description": "Run a command",
             "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}}, "strict": false},
            {"type": "namespace", "name": "multi_agent_v1", "description": "Agents",
             "tools": [{"type": "function", "name": "spawn", "parameters": {"type": "object"}}]},
            {"type": "web_search"}
        ],
        "tool_choice": "auto",
        "parallel_tool_calls": true,
        "reasoning": {"summary": "auto"},
        "store": false,
        "stream": true,
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "conv-123"
    })
}

#[test]
fn codex_request_becomes_ir() {
    let (chat, r) = parse(&codex_body()).unwrap();
    assert_eq!(chat.model, "claude-sonnet-4-6");
    assert_eq!(
        chat.system,
        vec![
            "You are Codex.".to_owned(),
            "You are a coding agent running in the Codex CLI".to_owned()
        ]
    );
    assert_eq!(chat.messages.len(), 1);
    assert_eq!(chat.messages[0].role, Role::User);
    let names: Vec<&str> = chat.tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["exec_command", "multi_agent_v1__spawn"]);
    assert_eq!(chat.notes.len(), 1, "{:?}", chat.notes);
    assert!(chat.notes[0].contains("web_search"), "{:?}", chat.notes);
    assert!(chat.stream && r.show_summary && r.encrypted_reasoning && !r.store);
    assert_eq!(chat.user_id.as_deref(), Some("conv-123"));
    assert_eq!(chat.tool_choice, ToolChoice::Auto);
}

#[test]
fn easy_string_input_and_agents_sdk_shape() {
    let (chat, r) = parse(&json!({"model": "m", "input": "Hello!"})).unwrap();
    assert_eq!(
        chat.messages[0].content,
        vec![Block::Text {
            text: "Hello!".into()
        }]
    );
    assert!(r.store, "store defaults to true");
    let (chat, _) = parse(
        &json!({"model": "m", "input": [{"content": "Hello!", "role": "user"}],
                          "instructions": "Be brief", "tools": [], "include": []}),
    )
    .unwrap();
    assert_eq!(chat.system, vec!["Be brief".to_owned()]);
    assert_eq!(chat.messages.len(), 1);
}

#[test]
fn a_tool_round_trip_with_carried_reasoning() {
    let carried = reasoning::encode(&CarriedThinking {
        text: "I should list".into(),
        signature: Some("sig-1".into()),
    });
    let body = json!({
        "model": "m",
        "input": [
            {"role": "user", "content": "list files"},
            {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "I should list"}],
             "encrypted_content": carried},
            {"type": "function_call", "call_id": "call_1", "name": "spawn", "namespace": "multi_agent_v1",
             "arguments": "{\"task\":\"ls\"}"},
            {"type": "function_call_output", "call_id": "call_1", "output": "a.txt b.txt"},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "thanks"}]}
        ]
    });
    let (chat, _) = parse(&body).unwrap();
    let m = &chat.messages;
    assert_eq!(m.len(), 3, "{m:#?}");
    assert_eq!(m[1].role, Role::Assistant);
    assert_eq!(
        m[1].content[0],
        Block::Thinking {
            text: "I should list".into(),
            signature: Some("sig-1".into())
        }
    );
    assert_eq!(
        m[1].content[1],
        Block::ToolUse {
            id: "call_1".into(),
            name: "multi_agent_v1__spawn".into(),
            input: json!({"task": "ls"})
        }
    );
    assert_eq!(
        m[2].content[0],
        Block::ToolResult {
            tool_use_id: "call_1".into(),
            content: vec![ToolResultContent::Text {
                text: "a.txt b.txt".into()
            }],
            is_error: false
        }
    );
    assert!(check_outputs(m).is_ok());
}

#[test]
fn an_output_without_its_call_is_refused_once_the_conversation_is_known() {
    let (chat, _) = parse(&json!({"model": "m", "input": [
        {"type": "function_call_output", "call_id": "call_9", "output": "x"}]}))
    .unwrap();
    let e = check_outputs(&chat.messages).unwrap_err();
    assert!(e.message.contains("call_9"), "{}", e.message);
}

#[test]
fn effort_and_reasoning_levels() {
    let (chat, _) =
        parse(&json!({"model": "m", "input": "x", "reasoning": {"effort": "xhigh"}})).unwrap();
    assert_eq!(chat.thinking, Thinking::Adaptive);
    assert!(chat.effort.is_some());
    assert!(
        err(&json!({"model": "m", "input": "x", "reasoning": {"summary": "long"}}))
            .starts_with("reasoning.summary:")
    );
    assert!(
        err(&json!({"model": "m", "input": "x", "reasoning": {"effort": "max"}}))
            .starts_with("reasoning.effort:")
    );
}

#[test]
fn what_cannot_be_served_is_a_400_naming_the_field() {
    let cases = [
        (json!({"input": "x"}), "model:"),
        (json!({"model": "m"}), "input:"),
        (
            json!({"model": "m", "input": "x", "background": true}),
            "background:",
        ),
        (
            json!({"model": "m", "input": "x", "conversation": "conv_1"}),
            "conversation:",
        ),
        (
            json!({"model": "m", "input": "x", "include": ["message.output_text.logprobs"]}),
            "include[0]:",
        ),
        (
            json!({"model": "m", "input": "x", "tools": [{"type": "web_search"}],
                "tool_choice": {"type": "web_search"}}),
            "tool_choice.type:",
        ),
        (
            json!({"model": "m", "input": "x", "tools": [{"type": "web_search"}],
                "tool_choice": "required"}),
            "tool_choice:",
        ),
        (
            json!({"model": "m", "input": "x", "tool_choice": {"type": "function", "name": "nope"}}),
            "tool_choice.name:",
        ),
        (
            json!({"model": "m", "input": "x", "tools": [{"type": "hologram"}]}),
            "tools[0].type:",
        ),
        (
            json!({"model": "m", "input": [{"type": "item_reference", "id": "msg_1"}]}),
            "input[0].type:",
        ),
        (
            json!({"model": "m", "input": [{"role": "user", "content": [{"type": "input_image", "file_id": "f"}]}]}),
            "input[0].content[0].file_id:",
        ),
        (
            json!({"model": "m", "input": [{"type": "function_call", "call_id": "c", "name": "f",
                "arguments": "[1]"}]}),
            "input[0].arguments:",
        ),
        (
            json!({"model": "m", "input": "x", "max_output_tokens": 0}),
            "max_output_tokens:",
        ),
        (
            json!({"model": "m", "input": "x", "temperature": 3}),
            "temperature:",
        ),
        (
            json!({"model": "m", "input": "x", "truncation": "middle"}),
            "truncation:",
        ),
        (
            json!({"model": "m", "input": [{"role": "wizard", "content": "x"}]}),
            "input[0].role:",
        ),
    ];
    for (body, field) in cases {
        let message = err(&body);
        assert!(message.starts_with(field), "{body}: {message}");
    }
}

fn request(body: &Value) -> ResponsesContext {
    parse(body).unwrap().1
}

fn meta(request: &ResponsesContext) -> ResponseMeta {
    ResponseMeta {
        id: "resp_abc".into(),
        model: "claude-sonnet-4-6".into(),
        created_at: 1_700_000_000,
        request: std::sync::Arc::new(request.clone()),
    }
}

fn usage() -> Usage {
    Usage {
        input_tokens: 10,
        output_tokens: 5,
        cached_input_tokens: 2,
        thinking_tokens: 3,
    }
}

#[test]
fn the_response_object_names_tools_as_declared_and_carries_reasoning() {
    let req = request(&codex_body());
    let resp = ChatResponse {
        content: vec![
            Block::Thinking {
                text: "plan".into(),
                signature: Some("sig".into()),
            },
            Block::Text {
                text: "Listing.".into(),
            },
            Block::ToolUse {
                id: "toolu_1".into(),
                name: "multi_agent_v1__spawn".into(),
                input: json!({"task": "ls"}),
            },
        ],
        stop_reason: StopReason::ToolUse,
        usage: usage(),
    };
    let body = response_json(&resp, &meta(&req));
    assert_eq!(body["object"], "response");
    assert_eq!(body["status"], "completed");
    let output = body["output"].as_array().unwrap();
    assert_eq!(output.len(), 3);
    assert_eq!(output[0]["type"], "reasoning");
    assert_eq!(output[0]["summary"][0]["text"], "plan");
    let carried = reasoning::decode(output[0]["encrypted_content"].as_str().unwrap()).unwrap();
    assert_eq!(carried.signature.as_deref(), Some("sig"));
    assert_eq!(output[1]["content"][0]["text"], "Listing.");
    assert_eq!(output[2]["type"], "function_call");
    assert_eq!(output[2]["name"], "spawn");
    assert_eq!(output[2]["namespace"], "multi_agent_v1");
    assert_eq!(output[2]["call_id"], "toolu_1");
    assert_eq!(output[2]["arguments"], "{\"task\":\"ls\"}");
    assert_eq!(body["usage"]["input_tokens"], 12);
    assert_eq!(
        body["usage"]["output_tokens_details"]["reasoning_tokens"],
        3
    );
    assert_eq!(body["usage"]["total_tokens"], 17);
    assert_eq!(body["store"], false);
}

#[test]
fn a_length_stop_is_incomplete() {
    let req = request(&json!({"model": "m", "input": "x"}));
    let resp = ChatResponse {
        content: vec![Block::Text { text: "abc".into() }],
        stop_reason: StopReason::MaxTokens,
        usage: usage(),
    };
    let body = response_json(&resp, &meta(&req));
    assert_eq!(body["status"], "incomplete");
    assert_eq!(body["incomplete_details"]["reason"], "max_output_tokens");
    assert!(body["output"][0].get("encrypted_content").is_none());
}

/// `(event name, payload)` pairs of an SSE body.
fn events(bytes: &[u8]) -> Vec<(String, Value)> {
    let text = std::str::from_utf8(bytes).unwrap();
    text.split("\n\n")
        .filter(|b| !b.trim().is_empty())
        .map(|block| {
            let mut lines = block.lines();
            let name = lines
                .next()
                .unwrap()
                .strip_prefix("event: ")
                .unwrap()
                .to_owned();
            let data = lines.next().unwrap().strip_prefix("data: ").unwrap();
            (name, serde_json::from_str(data).unwrap())
        })
        .collect()
}

#[test]
fn the_stream_is_the_typed_event_sequence() {
    let req = request(&codex_body());
    let mut enc = StreamEncoder::new(meta(&req));
    let mut out = BytesMut::new();
    for ev in [
        StreamEvent::ThinkingDelta { text: "pl".into() },
        StreamEvent::ThinkingDelta { text: "an".into() },
        StreamEvent::ThinkingSignature {
            signature: "sig".into(),
        },
        StreamEvent::TextDelta { text: "Hel".into() },
        StreamEvent::TextDelta { text: "lo".into() },
        StreamEvent::ToolCall {
            id: "call_1".into(),
            name: "exec_command".into(),
            arguments: json!({"cmd": "ls"}),
        },
        StreamEvent::Finish {
            stop_reason: StopReason::ToolUse,
            usage: usage(),
        },
    ] {
        enc.push(&ev, &mut out);
    }
    assert!(enc.is_finished());
    let evs = events(&out);
    let names: Vec<&str> = evs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.reasoning_summary_part.added",
            "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.done",
            "response.reasoning_summary_part.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    for (i, (name, data)) in evs.iter().enumerate() {
        assert_eq!(data["type"], name.as_str());
        assert_eq!(data["sequence_number"], i);
    }
    let done = &evs.last().unwrap().1["response"];
    assert_eq!(done["status"], "completed");
    assert_eq!(done["output"].as_array().unwrap().len(), 3);
    assert_eq!(done["output"][1]["content"][0]["text"], "Hello");
    assert_eq!(done["output"][2]["arguments"], "{\"cmd\":\"ls\"}");
    assert_eq!(done["usage"]["output_tokens"], 5);
    // Item ids are stable between the added and done events.
    assert_eq!(evs[9].1["item"]["id"], evs[15].1["item"]["id"]);
    assert_eq!(evs[11].1["item_id"], evs[9].1["item"]["id"]);
}

#[test]
fn without_a_summary_reasoning_text_is_not_streamed() {
    let req = request(&json!({"model": "m", "input": "x"}));
    let mut enc = StreamEncoder::new(meta(&req));
    let mut out = BytesMut::new();
    enc.push(
        &StreamEvent::ThinkingDelta {
            text: "secret".into(),
        },
        &mut out,
    );
    enc.push(&StreamEvent::TextDelta { text: "hi".into() }, &mut out);
    enc.push(
        &StreamEvent::Finish {
            stop_reason: StopReason::EndTurn,
            usage: usage(),
        },
        &mut out,
    );
    let text = String::from_utf8(out.to_vec()).unwrap();
    assert!(!text.contains("secret"), "{text}");
    assert!(text.contains("response.completed"));
}

#[test]
fn a_failure_after_the_start_ends_with_response_failed() {
    let req = request(&json!({"model": "m", "input": "x"}));
    let mut enc = StreamEncoder::new(meta(&req));
    let mut out = BytesMut::new();
    enc.push(&StreamEvent::TextDelta { text: "par".into() }, &mut out);
    enc.error(
        &ErrorInfo::new(429, ErrorKind::RateLimit, "every account is cooling"),
        &mut out,
    );
    enc.push(
        &StreamEvent::TextDelta {
            text: "more".into(),
        },
        &mut out,
    );
    let evs = events(&out);
    let (name, last) = evs.last().unwrap();
    assert_eq!(name, "response.failed");
    assert_eq!(last["response"]["status"], "failed");
    assert_eq!(last["response"]["error"]["code"], "rate_limit_exceeded");
    assert_eq!(last["response"]["output"][0]["content"][0]["text"], "par");
    assert!(!String::from_utf8_lossy(&out).contains("more"));
}

#[test]
fn parallel_tool_calls_false_answers_one_call() {
    let req = request(
        &json!({"model": "m", "input": "x", "parallel_tool_calls": false,
        "tools": [{"type": "function", "name": "f"}]}),
    );
    let resp = ChatResponse {
        content: vec![
            Block::ToolUse {
                id: "a".into(),
                name: "f".into(),
                input: json!({}),
            },
            Block::ToolUse {
                id: "b".into(),
                name: "f".into(),
                input: json!({}),
            },
        ],
        stop_reason: StopReason::ToolUse,
        usage: usage(),
    };
    let body = response_json(&resp, &meta(&req));
    assert_eq!(body["output"].as_array().unwrap().len(), 1);
    assert_eq!(body["parallel_tool_calls"], false);
}

#[test]
fn custom_tools_take_free_form_input() {
    let (chat, req) = parse(&json!({"model": "m", "input": "x",
        "tools": [{"type": "custom", "name": "apply_patch", "description": "Patch files"}]}))
    .unwrap();
    assert_eq!(chat.tools[0].parameters["required"], json!(["input"]));
    let resp = ChatResponse {
        content: vec![Block::ToolUse {
            id: "c1".into(),
            name: "apply_patch".into(),
            input: json!({"input": "*** Begin Patch"}),
        }],
        stop_reason: StopReason::ToolUse,
        usage: usage(),
    };
    let body = response_json(&resp, &meta(&req));
    assert_eq!(body["output"][0]["type"], "custom_tool_call");
    assert_eq!(body["output"][0]["input"], "*** Begin Patch");
    // And it comes back as a call the IR knows.
    let (again, _) = parse(&json!({"model": "m", "input": [
        {"type": "custom_tool_call", "call_id": "c1", "name": "apply_patch", "input": "*** Begin Patch"},
        {"type": "custom_tool_call_output", "call_id": "c1", "output": "done"}]}))
    .unwrap();
    assert_eq!(
        again.messages[0].content[0],
        Block::ToolUse {
            id: "c1".into(),
            name: "apply_patch".into(),
            input: json!({"input": "*** Begin Patch"})
        }
    );
}

#[test]
fn text_format_fills_the_output_format() {
    use crate::translate::ir::OutputFormat;
    let schema = json!({"type": "object", "properties": {"a": {"type": "string"}}});
    let (chat, _) = parse(&json!({"model": "m", "input": "hi", "text": {"format":
        {"type": "json_schema", "name": "A", "schema": schema, "strict": true}}}))
    .unwrap();
    assert_eq!(
        chat.output_format,
        OutputFormat::JsonSchema {
            name: "A".into(),
            schema,
            strict: true,
            description: None
        }
    );
    let (chat, _) =
        parse(&json!({"model": "m", "input": "hi", "text": {"format": {"type": "json_object"}}}))
            .unwrap();
    assert_eq!(chat.output_format, OutputFormat::JsonObject);
}
