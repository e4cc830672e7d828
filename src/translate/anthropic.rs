//! Anthropic Messages wire format ⇄ IR: request parsing, response bodies and the SSE encoder.

mod request;
mod response;
mod stream;
#[cfg(test)]
mod tests;

pub use request::{Thread, parse_count_tokens, parse_request, parse_thread_request};
pub use response::{error_json, response_json};
pub use stream::StreamEncoder;

use super::ir::{Block, ChatRequest, ToolResultContent};

/// Characters an image is counted as. Base64 length says nothing about tokens; Anthropic bills
/// an image at roughly 1,600 tokens at most, so a flat figure beats chars/4 of the payload.
const IMAGE_CHARS: u64 = 1_600 * 4;

/// A local token estimate (characters / 4, at least 1) over the system prompt, the messages and
/// the tool definitions, for `message_start` and as the `count_tokens` fallback.
pub fn estimate_input_tokens(req: &ChatRequest) -> u64 {
    let mut chars: u64 = req.system.iter().map(|s| char_count(s)).sum();
    for message in &req.messages {
        chars += message.content.iter().map(block_chars).sum::<u64>();
    }
    for tool in &req.tools {
        chars += char_count(&tool.name)
            + tool.description.as_deref().map_or(0, char_count)
            + json_chars(&tool.parameters);
    }
    chars.div_ceil(4).max(1)
}

fn block_chars(block: &Block) -> u64 {
    match block {
        Block::Text { text } | Block::Thinking { text, .. } => char_count(text),
        Block::RedactedThinking { data } => char_count(data),
        Block::Image { .. } => IMAGE_CHARS,
        Block::ToolUse { name, input, .. } => char_count(name) + json_chars(input),
        Block::ToolResult { content, .. } => content
            .iter()
            .map(|part| match part {
                ToolResultContent::Text { text } => char_count(text),
                ToolResultContent::Image { .. } => IMAGE_CHARS,
            })
            .sum(),
    }
}

fn char_count(s: &str) -> u64 {
    u64::try_from(s.chars().count()).unwrap_or(u64::MAX)
}

fn json_chars(value: &serde_json::Value) -> u64 {
    char_count(&value.to_string())
}
