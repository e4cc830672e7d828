//! The IR the documented Messages translation gives for a generated request: a direct mapping,
//! with empty signatures and empty string tool results dropped, absent tool input as `{}`,
//! `max_tokens` saturated to `u32` and empty stop sequences dropped.

use anti_api_tui::translate::ir::{
    Block, ChatRequest, Effort, ImageSource, Message, OutputFormat, Thinking, ToolChoice, ToolDef,
    ToolResultContent,
};
use serde_json::Value;

use super::wire::{Blk, Content, Image, Request, ResultContent, ResultPart, b64};

pub(super) fn image_source(image: &Image) -> ImageSource {
    match image {
        Image::Base64 { mime, bytes } => ImageSource::Base64 {
            media_type: (*mime).to_owned(),
            data: b64(bytes),
        },
        Image::Url(url) => ImageSource::Url { url: url.clone() },
    }
}

pub(super) fn ir_block(b: &Blk) -> Block {
    match b {
        Blk::Text(t) => Block::Text { text: t.clone() },
        Blk::Image(i) => Block::Image {
            source: image_source(i),
        },
        Blk::ToolUse { id, name, input } => Block::ToolUse {
            id: id.clone(),
            name: name.clone(),
            input: Value::Object(input.clone().unwrap_or_default()),
        },
        Blk::ToolResult {
            id,
            content,
            is_error,
        } => Block::ToolResult {
            tool_use_id: id.clone(),
            content: match content {
                ResultContent::Absent => Vec::new(),
                ResultContent::Str(s) if s.is_empty() => Vec::new(),
                ResultContent::Str(s) => vec![ToolResultContent::Text { text: s.clone() }],
                ResultContent::Parts(parts) => parts
                    .iter()
                    .map(|p| match p {
                        ResultPart::Text(t) => ToolResultContent::Text { text: t.clone() },
                        ResultPart::Image(i) => ToolResultContent::Image {
                            source: image_source(i),
                        },
                    })
                    .collect(),
            },
            is_error: is_error.unwrap_or(false),
        },
        Blk::Thinking { text, signature } => Block::Thinking {
            text: text.clone(),
            signature: signature.clone().filter(|s| !s.is_empty()),
        },
        Blk::Redacted(data) => Block::RedactedThinking { data: data.clone() },
    }
}

pub(super) fn expected(r: &Request) -> ChatRequest {
    let messages = r
        .messages
        .iter()
        .map(|m| Message {
            role: m.role,
            content: match &m.content {
                Content::Str(s) => vec![Block::Text { text: s.clone() }],
                Content::Blocks(blocks) => blocks.iter().map(ir_block).collect(),
            },
        })
        .collect();
    let thinking = match &r.thinking {
        Some(t) if t["type"] == "enabled" => Thinking::Budget {
            tokens: u32::try_from(t["budget_tokens"].as_u64().unwrap_or_default())
                .expect("generated as u32"),
        },
        Some(t) if t["type"] == "adaptive" => Thinking::Adaptive,
        _ => Thinking::Off,
    };
    ChatRequest {
        model: r.model.clone(),
        system: match &r.system {
            None => Vec::new(),
            Some(Ok(s)) => vec![s.clone()],
            Some(Err(parts)) => parts.clone(),
        },
        messages,
        tools: r
            .tools
            .iter()
            .map(|(name, description, schema, _)| ToolDef {
                name: name.clone(),
                description: description.clone(),
                parameters: schema.clone(),
            })
            .collect(),
        tool_choice: match r.tool_choice.as_ref().map(|c| c["type"].as_str()) {
            Some(Some("any")) => ToolChoice::Required,
            Some(Some("none")) => ToolChoice::None,
            Some(Some("tool")) => ToolChoice::Tool {
                name: r.tool_choice.as_ref().expect("some")["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            },
            _ => ToolChoice::Auto,
        },
        max_tokens: r.max_tokens.map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
        temperature: r.temperature,
        top_p: r.top_p,
        top_k: r.top_k,
        // Empty stop sequences would end every answer at once; the parser drops them.
        stop: r
            .stop
            .clone()
            .unwrap_or_default()
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect(),
        thinking,
        effort: r.effort.map(|e| match e {
            "minimal" => Effort::Minimal,
            "low" => Effort::Low,
            "medium" => Effort::Medium,
            _ => Effort::High,
        }),
        stream: r.stream.unwrap_or(false),
        include_usage: false,
        user_id: r.user_id.clone().filter(|u| !u.is_empty()),
        notes: Vec::new(),
        output_format: OutputFormat::Text,
    }
}
