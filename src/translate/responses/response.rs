//! IR → Responses API objects: the `response` object (non-streaming body, and the snapshot the
//! stream's `response.created` / `response.completed` events carry), its output items, usage,
//! and the error body.

use serde_json::{Map, Value, json};

use super::reasoning::{self, CarriedThinking};
use std::sync::Arc;

use super::request::ResponsesContext;
use crate::translate::ir::{Block, ChatResponse, ErrorInfo, ErrorKind, StopReason, Usage};

/// What every response object of one request shares.
#[derive(Debug, Clone)]
pub struct ResponseMeta {
    /// `resp_…`
    pub id: String,
    /// The model name as the client sent it.
    pub model: String,
    pub created_at: i64,
    pub request: Arc<ResponsesContext>,
}

impl ResponseMeta {
    /// Item ids derived from the response id, so a response's items are stable and unique.
    pub fn item_id(&self, prefix: &str, n: usize) -> String {
        let base = self.id.strip_prefix("resp_").unwrap_or(&self.id);
        format!("{prefix}_{base}_{n}")
    }
}

/// How a response ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    InProgress,
    Completed,
    Incomplete(&'static str),
    Failed,
}

impl Status {
    pub fn of(stop: StopReason) -> Self {
        match stop {
            StopReason::MaxTokens => Self::Incomplete("max_output_tokens"),
            StopReason::ContentFilter => Self::Incomplete("content_filter"),
            StopReason::EndTurn | StopReason::StopSequence | StopReason::ToolUse => Self::Completed,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::Incomplete(_) => "incomplete",
            Self::Failed => "failed",
        }
    }
}

/// The non-streaming body: the complete response object.
pub fn response_json(resp: &ChatResponse, meta: &ResponseMeta) -> Value {
    let mut output = Vec::new();
    let mut text = String::new();
    let mut calls = 0;
    let flush_text = |text: &mut String, output: &mut Vec<Value>| {
        if !text.is_empty() {
            let id = meta.item_id("msg", output.len());
            output.push(message_item(&id, text, "completed"));
            text.clear();
        }
    };
    for block in &resp.content {
        match block {
            Block::Text { text: t } => text.push_str(t),
            Block::Thinking { text: t, signature } => {
                flush_text(&mut text, &mut output);
                let id = meta.item_id("rs", output.len());
                output.push(reasoning_item(&id, t, signature.as_deref(), &meta.request));
            }
            Block::ToolUse { id, name, input } => {
                flush_text(&mut text, &mut output);
                if meta.request.max_tool_calls.is_some_and(|max| calls >= max) {
                    continue;
                }
                calls += 1;
                let item_id = meta.item_id("fc", output.len());
                output.push(call_item(
                    &item_id,
                    id,
                    name,
                    input,
                    "completed",
                    &meta.request,
                ));
            }
            // Redacted thinking has no readable form and no carrier here; nothing else occurs.
            Block::RedactedThinking { .. } | Block::ToolResult { .. } | Block::Image { .. } => {}
        }
    }
    flush_text(&mut text, &mut output);
    response_object(
        meta,
        Status::of(resp.stop_reason),
        output,
        Some(&resp.usage),
        None,
    )
}

/// The response object in any state.
pub fn response_object(
    meta: &ResponseMeta,
    status: Status,
    output: Vec<Value>,
    usage: Option<&Usage>,
    error: Option<Value>,
) -> Value {
    let echo = &meta.request.echo;
    json!({
        "id": meta.id,
        "object": "response",
        "created_at": meta.created_at,
        "status": status.as_str(),
        "background": false,
        "error": error.unwrap_or(Value::Null),
        "incomplete_details": match status {
            Status::Incomplete(reason) => json!({"reason": reason}),
            _ => Value::Null,
        },
        "instructions": echo.instructions,
        "max_output_tokens": echo.max_output_tokens,
        "max_tool_calls": meta.request.max_tool_calls,
        "model": meta.model,
        "output": Value::Array(output),
        "parallel_tool_calls": echo.parallel_tool_calls,
        "previous_response_id": meta.request.previous_response_id,
        "prompt_cache_key": echo.prompt_cache_key,
        "reasoning": {"effort": echo.reasoning_effort, "summary": echo.reasoning_summary},
        "safety_identifier": Value::Null,
        "service_tier": echo.service_tier.as_deref().unwrap_or("default"),
        "store": meta.request.store,
        "temperature": echo.temperature.unwrap_or(1.0),
        "text": if echo.text.is_null() {
            json!({"format": {"type": "text"}, "verbosity": "medium"})
        } else {
            echo.text.clone()
        },
        "tool_choice": echo.tool_choice,
        "tools": echo.tools,
        "top_logprobs": 0,
        "top_p": echo.top_p.unwrap_or(1.0),
        "truncation": echo.truncation,
        "usage": usage.map(usage_json),
        "user": echo.user,
        "metadata": if echo.metadata.is_object() { echo.metadata.clone() } else { json!({}) },
    })
}

pub fn usage_json(usage: &Usage) -> Value {
    let input = usage.prompt_tokens();
    json!({
        "input_tokens": input,
        "input_tokens_details": {"cached_tokens": usage.cached_input_tokens},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.thinking_tokens},
        "total_tokens": input.saturating_add(usage.output_tokens),
    })
}

pub fn message_item(id: &str, text: &str, status: &str) -> Value {
    json!({
        "id": id,
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": if status == "in_progress" { json!([]) } else { json!([output_text(text)]) },
    })
}

pub fn output_text(text: &str) -> Value {
    json!({"type": "output_text", "text": text, "annotations": [], "logprobs": []})
}

/// A reasoning item: the summary when asked for, the carried thinking when asked for.
pub fn reasoning_item(
    id: &str,
    text: &str,
    signature: Option<&str>,
    request: &ResponsesContext,
) -> Value {
    let mut item = Map::new();
    item.insert("id".into(), id.into());
    item.insert("type".into(), "reasoning".into());
    let summary = if request.show_summary && !text.is_empty() {
        json!([{"type": "summary_text", "text": text}])
    } else {
        json!([])
    };
    item.insert("summary".into(), summary);
    if request.encrypted_reasoning {
        let carried = CarriedThinking {
            text: text.to_owned(),
            signature: signature.map(str::to_owned),
        };
        item.insert(
            "encrypted_content".into(),
            reasoning::encode(&carried).into(),
        );
    }
    Value::Object(item)
}

/// A `function_call` (or `custom_tool_call`) item, named the way the client declared the tool.
pub fn call_item(
    id: &str,
    call_id: &str,
    flat_name: &str,
    input: &Value,
    status: &str,
    request: &ResponsesContext,
) -> Value {
    let declared = request.tool_names.by_flat(flat_name);
    let name = declared.map_or(flat_name, |d| d.name.as_str());
    let mut item = if declared.is_some_and(|d| d.custom) {
        json!({
            "id": id,
            "type": "custom_tool_call",
            "status": status,
            "call_id": call_id,
            "name": name,
            "input": custom_input(input),
        })
    } else {
        json!({
            "id": id,
            "type": "function_call",
            "status": status,
            "call_id": call_id,
            "name": name,
            "arguments": arguments_string(input),
        })
    };
    if let Some(ns) = declared.and_then(|d| d.namespace.as_deref()) {
        item["namespace"] = Value::String(ns.to_owned());
    }
    item
}

/// A custom tool's free-form input: the one string argument it was declared with.
pub fn custom_input(input: &Value) -> String {
    match input.get("input") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => input.to_string(),
    }
}

pub fn arguments_string(input: &Value) -> String {
    serde_json::to_string(input).expect("a JSON value always serializes")
}

/// `{"error": {message, type, param, code}}`: the HTTP error body (the OpenAI shape).
pub fn error_json(err: &ErrorInfo) -> Value {
    crate::translate::openai::error_json(err)
}

/// The `error` member of a failed response object.
pub fn failure_json(err: &ErrorInfo) -> Value {
    json!({"code": failure_code(err.kind), "message": err.message})
}

/// Codes clients act on: Codex retries `rate_limit_exceeded` and `server_error`.
fn failure_code(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::RateLimit => "rate_limit_exceeded",
        ErrorKind::InvalidRequest | ErrorKind::NotFound | ErrorKind::RequestTooLarge => {
            "invalid_request_error"
        }
        ErrorKind::Authentication | ErrorKind::LoginRequired => "authentication_error",
        ErrorKind::Permission => "permission_denied",
        ErrorKind::Api | ErrorKind::Overloaded => "server_error",
    }
}
