//! The generated Chat Completions request: its model (messages, parts, tool calls, sampling)
//! and the JSON body it is sent as.

use base64::Engine as _;
use serde_json::{Map, Value, json};

#[derive(Debug, Clone)]
pub(super) enum Part {
    Text(String),
    Refusal(String),
    /// Image bytes, how the data URL is spelled (upper-case prefix, wrapped base64) and whether
    /// `image_url` is the bare string.
    Image {
        mime: &'static str,
        bytes: Vec<u8>,
        shouting: bool,
        wrapped: bool,
        bare: bool,
    },
}

#[derive(Debug, Clone)]
pub(super) enum Content {
    Str(String),
    Parts(Vec<Part>),
}

#[derive(Debug, Clone)]
pub(super) struct Call {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) args: Map<String, Value>,
}

#[derive(Debug, Clone)]
pub(super) enum Msg {
    System {
        developer: bool,
        content: Content,
    },
    User(Content),
    Assistant {
        content: Option<Content>,
        calls: Vec<Call>,
    },
    Tool {
        id: String,
        content: Option<Content>,
    },
}

#[derive(Debug, Clone)]
pub(super) struct Request {
    pub(super) model: String,
    pub(super) messages: Vec<Msg>,
    pub(super) tools: Vec<(String, Option<String>, Option<Value>)>,
    pub(super) tool_choice: Option<Value>,
    pub(super) max_tokens: Option<u32>,
    pub(super) max_completion_tokens: Option<u32>,
    pub(super) temperature: Option<f64>,
    pub(super) top_p: Option<f64>,
    pub(super) stop: Option<Value>,
    pub(super) stream: Option<bool>,
    pub(super) include_usage: Option<bool>,
    pub(super) effort: Option<&'static str>,
    pub(super) user: Option<String>,
}

pub(super) fn data_url(mime: &str, bytes: &[u8], shouting: bool, wrapped: bool) -> String {
    let mut data = base64::engine::general_purpose::STANDARD.encode(bytes);
    if wrapped {
        data = data
            .as_bytes()
            .chunks(16)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("\n");
    }
    if shouting {
        format!("DATA:{};BASE64,{data}", mime.to_uppercase())
    } else {
        format!("data:{mime};base64,{data}")
    }
}

pub(super) fn content_json(c: &Content) -> Value {
    match c {
        Content::Str(s) => Value::from(s.as_str()),
        Content::Parts(parts) => Value::Array(
            parts
                .iter()
                .map(|p| match p {
                    Part::Text(t) => json!({"type": "text", "text": t}),
                    Part::Refusal(t) => json!({"type": "refusal", "refusal": t}),
                    Part::Image {
                        mime,
                        bytes,
                        shouting,
                        wrapped,
                        bare,
                    } => {
                        let url = data_url(mime, bytes, *shouting, *wrapped);
                        if *bare {
                            json!({"type": "image_url", "image_url": url})
                        } else {
                            json!({"type": "image_url", "image_url": {"url": url, "detail": "low"}})
                        }
                    }
                })
                .collect(),
        ),
    }
}

pub(super) fn body(r: &Request) -> Value {
    let messages: Vec<Value> = r
        .messages
        .iter()
        .map(|m| match m {
            Msg::System { developer, content } => json!({
                "role": if *developer { "developer" } else { "system" },
                "content": content_json(content),
            }),
            Msg::User(c) => json!({"role": "user", "content": content_json(c)}),
            Msg::Assistant { content, calls } => {
                let mut m = json!({"role": "assistant"});
                m["content"] = content.as_ref().map_or(Value::Null, content_json);
                if !calls.is_empty() {
                    m["tool_calls"] = calls
                        .iter()
                        .map(|c| {
                            let arguments = if c.args.is_empty() {
                                String::new()
                            } else {
                                Value::Object(c.args.clone()).to_string()
                            };
                            json!({
                                "id": c.id,
                                "type": "function",
                                "function": {"name": c.name, "arguments": arguments},
                            })
                        })
                        .collect();
                }
                m
            }
            Msg::Tool { id, content } => {
                let mut m = json!({"role": "tool", "tool_call_id": id});
                if let Some(c) = content {
                    m["content"] = content_json(c);
                }
                m
            }
        })
        .collect();
    let mut b = json!({"model": r.model, "messages": messages});
    if !r.tools.is_empty() {
        b["tools"] = r
            .tools
            .iter()
            .map(|(name, description, parameters)| {
                let mut f = json!({"name": name});
                if let Some(d) = description {
                    f["description"] = Value::from(d.as_str());
                }
                if let Some(p) = parameters {
                    f["parameters"] = p.clone();
                }
                json!({"type": "function", "function": f})
            })
            .collect();
    }
    let optional: [(&str, Option<Value>); 9] = [
        ("tool_choice", r.tool_choice.clone()),
        ("max_tokens", r.max_tokens.map(Value::from)),
        (
            "max_completion_tokens",
            r.max_completion_tokens.map(Value::from),
        ),
        ("temperature", r.temperature.map(Value::from)),
        ("top_p", r.top_p.map(Value::from)),
        ("stop", r.stop.clone()),
        ("stream", r.stream.map(Value::from)),
        ("reasoning_effort", r.effort.map(Value::from)),
        ("user", r.user.clone().map(Value::from)),
    ];
    for (key, value) in optional {
        if let Some(v) = value {
            b[key] = v;
        }
    }
    if let Some(include) = r.include_usage {
        b["stream_options"] = json!({"include_usage": include});
    }
    b
}
