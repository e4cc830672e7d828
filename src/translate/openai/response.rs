//! IR → Chat Completions response bodies: the non-streaming `chat.completion` object and error bodies,
//! plus the usage and finish-reason rendering the stream encoder shares.

use serde_json::{Value, json};

use crate::translate::ir::{Block, ChatResponse, ErrorInfo, ErrorKind, StopReason, Usage};

/// The non-streaming `chat.completion` body.
pub fn response_json(
    resp: &ChatResponse,
    id: &str,
    model: &str,
    created: i64,
    show_reasoning: bool,
) -> Value {
    let mut text = String::new();
    let mut thinking = String::new();
    let mut tool_calls = Vec::new();
    for block in &resp.content {
        match block {
            Block::Text { text: t } => text.push_str(t),
            Block::Thinking { text: t, .. } => thinking.push_str(t),
            Block::ToolUse { id, name, input } => tool_calls.push(json!({
                "id": id,
                "type": "function",
                "function": {"name": name, "arguments": arguments_string(input)},
            })),
            // Redacted thinking is opaque; results and images never appear in answers.
            Block::RedactedThinking { .. } | Block::ToolResult { .. } | Block::Image { .. } => {}
        }
    }

    let mut message = json!({
        "role": "assistant",
        "content": if text.is_empty() { Value::Null } else { Value::String(text) },
    });
    let finish = finish_reason(resp.stop_reason, !tool_calls.is_empty());
    if !tool_calls.is_empty() {
        message["tool_calls"] = Value::Array(tool_calls);
    }
    if show_reasoning && !thinking.is_empty() {
        message["reasoning_content"] = Value::String(thinking);
    }

    json!({
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{
            "index": 0,
            "message": message,
            "logprobs": null,
            "finish_reason": finish,
        }],
        "usage": usage_json(&resp.usage),
    })
}

/// `{"error": {message, type, param, code}}`, both as an HTTP error body and in-band in a stream.
pub fn error_json(err: &ErrorInfo) -> Value {
    json!({
        "error": {
            "message": err.message,
            "type": err.kind.openai_type(),
            "param": null,
            "code": error_code(err.kind),
        }
    })
}

/// The API's machine-readable `code` values for the categories that have one; SDKs surface them.
fn error_code(kind: ErrorKind) -> Option<&'static str> {
    match kind {
        ErrorKind::RateLimit => Some("rate_limit_exceeded"),
        ErrorKind::Authentication => Some("invalid_api_key"),
        // Not `invalid_api_key`: IDEs would tell the user their key is wrong.
        ErrorKind::LoginRequired => Some("login_required"),
        ErrorKind::RequestTooLarge => Some("request_too_large"),
        ErrorKind::Overloaded => Some("overloaded"),
        ErrorKind::InvalidRequest
        | ErrorKind::Permission
        | ErrorKind::NotFound
        | ErrorKind::Api => None,
    }
}

/// Upstreams report a normal stop even when the turn ended in tool calls; clients key their
/// tool loop on `tool_calls`, so a plain stop with calls present is reported as such.
pub(super) fn finish_reason(stop: StopReason, has_tool_calls: bool) -> &'static str {
    match stop {
        StopReason::EndTurn | StopReason::StopSequence if has_tool_calls => {
            StopReason::ToolUse.openai()
        }
        other => other.openai(),
    }
}

pub(super) fn usage_json(usage: &Usage) -> Value {
    let prompt = usage.prompt_tokens();
    json!({
        "prompt_tokens": prompt,
        "completion_tokens": usage.output_tokens,
        "total_tokens": prompt.saturating_add(usage.output_tokens),
        "prompt_tokens_details": {"cached_tokens": usage.cached_input_tokens},
        "completion_tokens_details": {"reasoning_tokens": usage.thinking_tokens},
    })
}

/// Tool arguments travel as a JSON string; serializing a `Value` cannot fail.
pub(super) fn arguments_string(input: &Value) -> String {
    input.to_string()
}

#[cfg(test)]
mod tests;
