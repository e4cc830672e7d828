//! The IR the documented Chat Completions translation gives for a generated request: leading
//! system messages become the system prompt, tool messages join into one user turn, empty text
//! next to tool calls is dropped, empty stop sequences are dropped.

use anti_api_tui::translate::ir::{
    Block, ChatRequest, Effort, ImageSource, Message, OutputFormat, Role, Thinking, ToolChoice,
    ToolDef, ToolResultContent,
};
use base64::Engine as _;
use serde_json::{Value, json};

use super::wire::{Content, Msg, Part, Request};

pub(super) fn blocks(c: &Content) -> Vec<Block> {
    match c {
        Content::Str(s) => vec![Block::Text { text: s.clone() }],
        Content::Parts(parts) => parts
            .iter()
            .map(|p| match p {
                Part::Text(t) | Part::Refusal(t) => Block::Text { text: t.clone() },
                Part::Image { mime, bytes, .. } => Block::Image {
                    source: ImageSource::Base64 {
                        media_type: (*mime).to_owned(),
                        data: base64::engine::general_purpose::STANDARD.encode(bytes),
                    },
                },
            })
            .collect(),
    }
}

pub(super) fn texts(c: &Content) -> Vec<String> {
    blocks(c)
        .into_iter()
        .filter_map(|b| match b {
            Block::Text { text } => Some(text),
            _ => None,
        })
        .collect()
}

/// The IR the documented translation gives for a generated request.
pub(super) fn expected(r: &Request) -> ChatRequest {
    let mut system = Vec::new();
    let mut messages: Vec<Message> = Vec::new();
    let mut leading = true;
    let mut in_tool_run = false;
    for m in &r.messages {
        let is_tool = matches!(m, Msg::Tool { .. });
        match m {
            Msg::System { content, .. } if leading => {
                system.extend(texts(content).into_iter().filter(|t| !t.is_empty()));
            }
            Msg::System { content, .. } => messages.push(Message {
                role: Role::System,
                content: blocks(content),
            }),
            Msg::User(c) => messages.push(Message {
                role: Role::User,
                content: blocks(c),
            }),
            Msg::Assistant { content, calls } => {
                let mut content: Vec<Block> = content.as_ref().map(blocks).unwrap_or_default();
                content.extend(calls.iter().map(|c| Block::ToolUse {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    input: Value::Object(c.args.clone()),
                }));
                let empty = |b: &Block| matches!(b, Block::Text { text } if text.is_empty());
                if content.iter().any(|b| !empty(b)) {
                    content.retain(|b| !empty(b));
                }
                messages.push(Message {
                    role: Role::Assistant,
                    content,
                });
            }
            Msg::Tool { id, content } => {
                let block = Block::ToolResult {
                    tool_use_id: id.clone(),
                    content: content
                        .as_ref()
                        .map(blocks)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|b| match b {
                            Block::Text { text } => ToolResultContent::Text { text },
                            Block::Image { source } => ToolResultContent::Image { source },
                            other => unreachable!("{other:?}"),
                        })
                        .collect(),
                    is_error: false,
                };
                match messages.last_mut() {
                    Some(last) if in_tool_run => last.content.push(block),
                    _ => messages.push(Message {
                        role: Role::User,
                        content: vec![block],
                    }),
                }
            }
        }
        if !matches!(m, Msg::System { .. }) {
            leading = false;
        }
        in_tool_run = is_tool;
    }
    let stop = match &r.stop {
        None => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(v) => serde_json::from_value(v.clone()).expect("a list of strings"),
    };
    let effort = match r.effort {
        Some("minimal") => Some(Effort::Minimal),
        Some("low") => Some(Effort::Low),
        Some("medium") => Some(Effort::Medium),
        Some("high") => Some(Effort::High),
        _ => None,
    };
    let tools: Vec<ToolDef> = r
        .tools
        .iter()
        .map(|(name, description, parameters)| ToolDef {
            name: name.clone(),
            description: description.clone(),
            parameters: parameters
                .clone()
                .unwrap_or_else(|| json!({"type": "object", "properties": {}})),
        })
        .collect();
    let tool_choice = match &r.tool_choice {
        None => ToolChoice::Auto,
        Some(Value::String(s)) if s == "auto" => ToolChoice::Auto,
        Some(Value::String(s)) if s == "none" => ToolChoice::None,
        Some(Value::String(_)) => ToolChoice::Required,
        Some(v) => ToolChoice::Tool {
            name: v["function"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        },
    };
    ChatRequest {
        model: r.model.clone(),
        system,
        messages,
        tools,
        tool_choice,
        max_tokens: r.max_completion_tokens.or(r.max_tokens),
        temperature: r.temperature,
        top_p: r.top_p,
        top_k: None,
        stop: stop.into_iter().filter(|s| !s.is_empty()).collect(),
        thinking: if effort.is_some() {
            Thinking::Adaptive
        } else {
            Thinking::Off
        },
        effort,
        stream: r.stream.unwrap_or(false),
        include_usage: r.include_usage.unwrap_or(false),
        user_id: r.user.clone().filter(|u| !u.is_empty()),
        notes: Vec::new(),
        output_format: OutputFormat::Text,
    }
}
