//! IR `ChatResponse` / `ErrorInfo` → Anthropic non-stream message and error bodies.

use serde_json::{Value, json};

use crate::translate::ir::{Block, ChatResponse, ErrorInfo, Usage};

/// The `/v1/messages` body for a complete answer. `model` is the client's model string;
/// thinking blocks appear only when `show_thinking` is set.
pub fn response_json(resp: &ChatResponse, id: &str, model: &str, show_thinking: bool) -> Value {
    let mut content: Vec<Value> = resp
        .content
        .iter()
        .filter_map(|block| block_json(block, show_thinking))
        .collect();
    if content.is_empty() {
        // Clients store the answer in their history; an empty content array would make the
        // next request invalid.
        content.push(json!({"type": "text", "text": ""}));
    }
    json!({
        "id": id,
        "type": "message",
        "role": "assistant",
        "content": content,
        "model": model,
        "stop_reason": resp.stop_reason.anthropic(),
        "stop_sequence": null,
        "usage": usage_json(&resp.usage),
    })
}

/// `{"type":"error","error":{"type":…,"message":…}}`, for HTTP errors and in-band stream errors.
pub fn error_json(err: &ErrorInfo) -> Value {
    json!({
        "type": "error",
        "error": {
            "type": err.kind.anthropic_type(),
            "message": err.message,
        },
    })
}

fn block_json(block: &Block, show_thinking: bool) -> Option<Value> {
    match block {
        Block::Text { text } if text.is_empty() => None,
        Block::Text { text } => Some(json!({"type": "text", "text": text})),
        Block::Thinking { text, signature } if show_thinking => Some(json!({
            "type": "thinking",
            "thinking": text,
            "signature": signature.as_deref().unwrap_or_default(),
        })),
        Block::RedactedThinking { data } if show_thinking => {
            Some(json!({"type": "redacted_thinking", "data": data}))
        }
        Block::ToolUse { id, name, input } => Some(json!({
            "type": "tool_use",
            "id": id,
            "name": name,
            "input": input,
        })),
        // Hidden thinking, and request-only blocks that never appear in an answer.
        Block::Thinking { .. }
        | Block::RedactedThinking { .. }
        | Block::Image { .. }
        | Block::ToolResult { .. } => None,
    }
}

fn usage_json(usage: &Usage) -> Value {
    json!({
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_input_tokens": usage.cached_input_tokens,
        "cache_creation_input_tokens": 0,
    })
}
