//! The generated Messages request: its model (system, messages, content blocks, tools, thinking)
//! and the JSON body it is sent as.

use anti_api_tui::translate::ir::Role;
use base64::Engine as _;
use serde_json::{Map, Value, json};

#[derive(Debug, Clone)]
pub(super) enum Image {
    Base64 { mime: &'static str, bytes: Vec<u8> },
    Url(String),
}

#[derive(Debug, Clone)]
pub(super) enum ResultPart {
    Text(String),
    Image(Image),
}

#[derive(Debug, Clone)]
pub(super) enum ResultContent {
    Absent,
    Str(String),
    Parts(Vec<ResultPart>),
}

#[derive(Debug, Clone)]
pub(super) enum Blk {
    Text(String),
    Image(Image),
    ToolUse {
        id: String,
        name: String,
        /// `None`: the key is left out.
        input: Option<Map<String, Value>>,
    },
    ToolResult {
        id: String,
        content: ResultContent,
        is_error: Option<bool>,
    },
    Thinking {
        text: String,
        signature: Option<String>,
    },
    Redacted(String),
}

#[derive(Debug, Clone)]
pub(super) enum Content {
    Str(String),
    Blocks(Vec<Blk>),
}

#[derive(Debug, Clone)]
pub(super) struct Msg {
    pub(super) role: Role,
    pub(super) content: Content,
}

#[derive(Debug, Clone)]
pub(super) struct Request {
    pub(super) model: String,
    pub(super) max_tokens: Option<u64>,
    pub(super) system: Option<Result<String, Vec<String>>>,
    pub(super) messages: Vec<Msg>,
    pub(super) tools: Vec<(String, Option<String>, Value, bool)>,
    pub(super) tool_choice: Option<Value>,
    pub(super) thinking: Option<Value>,
    pub(super) effort: Option<&'static str>,
    pub(super) user_id: Option<String>,
    pub(super) stop: Option<Vec<String>>,
    pub(super) temperature: Option<f64>,
    pub(super) top_p: Option<f64>,
    pub(super) top_k: Option<u32>,
    pub(super) stream: Option<bool>,
}

pub(super) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub(super) fn image_json(image: &Image) -> Value {
    match image {
        Image::Base64 { mime, bytes } => json!({
            "type": "image",
            "source": {"type": "base64", "media_type": mime, "data": b64(bytes)},
        }),
        Image::Url(url) => json!({"type": "image", "source": {"type": "url", "url": url}}),
    }
}

pub(super) fn block_json(b: &Blk) -> Value {
    match b {
        Blk::Text(t) => json!({"type": "text", "text": t, "cache_control": {"type": "ephemeral"}}),
        Blk::Image(i) => image_json(i),
        Blk::ToolUse { id, name, input } => {
            let mut v = json!({"type": "tool_use", "id": id, "name": name});
            if let Some(input) = input {
                v["input"] = Value::Object(input.clone());
            }
            v
        }
        Blk::ToolResult {
            id,
            content,
            is_error,
        } => {
            let mut v = json!({"type": "tool_result", "tool_use_id": id});
            match content {
                ResultContent::Absent => {}
                ResultContent::Str(s) => v["content"] = Value::from(s.as_str()),
                ResultContent::Parts(parts) => {
                    v["content"] = parts
                        .iter()
                        .map(|p| match p {
                            ResultPart::Text(t) => json!({"type": "text", "text": t}),
                            ResultPart::Image(i) => image_json(i),
                        })
                        .collect();
                }
            }
            if let Some(e) = is_error {
                v["is_error"] = Value::from(*e);
            }
            v
        }
        Blk::Thinking { text, signature } => {
            let mut v = json!({"type": "thinking", "thinking": text});
            if let Some(s) = signature {
                v["signature"] = Value::from(s.as_str());
            }
            v
        }
        Blk::Redacted(data) => json!({"type": "redacted_thinking", "data": data}),
    }
}

pub(super) fn body(r: &Request) -> Value {
    let messages: Vec<Value> = r
        .messages
        .iter()
        .map(|m| {
            let role = match m.role {
                Role::User => "user",
                Role::Assistant => "assistant",
                Role::System => "system",
            };
            let content = match &m.content {
                Content::Str(s) => Value::from(s.as_str()),
                Content::Blocks(blocks) => blocks.iter().map(block_json).collect(),
            };
            json!({"role": role, "content": content})
        })
        .collect();
    let mut b = json!({"model": r.model, "messages": messages});
    if let Some(n) = r.max_tokens {
        b["max_tokens"] = Value::from(n);
    }
    match &r.system {
        None => {}
        Some(Ok(s)) => b["system"] = Value::from(s.as_str()),
        Some(Err(parts)) => {
            b["system"] = parts
                .iter()
                .map(|t| json!({"type": "text", "text": t}))
                .collect();
        }
    }
    if !r.tools.is_empty() {
        b["tools"] = r
            .tools
            .iter()
            .map(|(name, description, schema, custom)| {
                let mut t = json!({"name": name, "input_schema": schema});
                if let Some(d) = description {
                    t["description"] = Value::from(d.as_str());
                }
                if *custom {
                    t["type"] = Value::from("custom");
                }
                t
            })
            .collect();
    }
    let optional: [(&str, Option<Value>); 8] = [
        ("tool_choice", r.tool_choice.clone()),
        ("thinking", r.thinking.clone()),
        ("stop_sequences", r.stop.clone().map(Value::from)),
        ("temperature", r.temperature.map(Value::from)),
        ("top_p", r.top_p.map(Value::from)),
        ("top_k", r.top_k.map(Value::from)),
        ("stream", r.stream.map(Value::from)),
        ("output_config", r.effort.map(|e| json!({"effort": e}))),
    ];
    for (key, value) in optional {
        if let Some(v) = value {
            b[key] = v;
        }
    }
    if let Some(u) = &r.user_id {
        b["metadata"] = json!({"user_id": u});
    }
    b
}
