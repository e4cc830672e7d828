//! The Chat Completions request parser: arbitrary bytes, arbitrary JSON and near-valid bodies
//! never panic and fail with a 400 naming a field; generated valid requests parse to exactly the
//! IR the documented translation gives, and the upstream body built from it keeps their meaning.

use anti_api_tui::translate::ir::{
    Block, ChatRequest, Effort, ErrorInfo, ErrorKind, ImageSource, Message, Role, Thinking,
    ToolChoice, ToolDef, ToolResultContent,
};
use anti_api_tui::translate::openai::parse_request;
use base64::Engine as _;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::common::{config, error_field, ident, json, json_with_keys, mutate, text};
use super::meaning::{MODELS, check_upstream};

const KEYS: &[&str] = &[
    "model",
    "messages",
    "role",
    "content",
    "tools",
    "tool_calls",
    "tool_call_id",
    "function",
    "name",
    "arguments",
    "type",
    "text",
    "image_url",
    "url",
    "stop",
    "max_tokens",
    "stream",
    "tool_choice",
    "system",
    "user",
    "assistant",
    "tool",
];

/// Every parse failure is a 400 whose message starts with the field it is about.
fn check_failure(result: &Result<ChatRequest, ErrorInfo>) -> Result<(), TestCaseError> {
    if let Err(e) = result {
        prop_assert_eq!(e.status, 400);
        prop_assert_eq!(e.kind, ErrorKind::InvalidRequest);
        prop_assert!(
            error_field(&e.message).is_some(),
            "no field named: {:?}",
            e.message
        );
    }
    Ok(())
}

#[derive(Debug, Clone)]
enum Part {
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
enum Content {
    Str(String),
    Parts(Vec<Part>),
}

#[derive(Debug, Clone)]
struct Call {
    id: String,
    name: String,
    args: Map<String, Value>,
}

#[derive(Debug, Clone)]
enum Msg {
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
struct Request {
    model: String,
    messages: Vec<Msg>,
    tools: Vec<(String, Option<String>, Option<Value>)>,
    tool_choice: Option<Value>,
    max_tokens: Option<u32>,
    max_completion_tokens: Option<u32>,
    temperature: Option<f64>,
    top_p: Option<f64>,
    stop: Option<Value>,
    stream: Option<bool>,
    include_usage: Option<bool>,
    effort: Option<&'static str>,
    user: Option<String>,
}

fn text_part() -> impl Strategy<Value = Part> {
    prop_oneof![
        4 => text().prop_map(Part::Text),
        1 => text().prop_map(Part::Refusal),
    ]
}

fn image_part() -> impl Strategy<Value = Part> {
    (
        prop::sample::select(&["image/png", "image/jpeg", "image/webp"][..]),
        prop::collection::vec(any::<u8>(), 1..120),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(mime, bytes, shouting, wrapped, bare)| Part::Image {
            mime,
            bytes,
            shouting,
            wrapped,
            bare,
        })
}

fn text_content() -> impl Strategy<Value = Content> {
    prop_oneof![
        text().prop_map(Content::Str),
        prop::collection::vec(text().prop_map(Part::Text), 0..3).prop_map(Content::Parts),
    ]
}

fn rich_content() -> impl Strategy<Value = Content> {
    prop_oneof![
        text().prop_map(Content::Str),
        prop::collection::vec(prop_oneof![2 => text_part(), 1 => image_part()], 0..4).prop_map(
            |parts| {
                // Refusal parts belong to assistant messages; elsewhere they are plain text.
                Content::Parts(
                    parts
                        .into_iter()
                        .map(|p| match p {
                            Part::Refusal(t) => Part::Text(t),
                            other => other,
                        })
                        .collect(),
                )
            }
        ),
    ]
}

fn assistant_content() -> impl Strategy<Value = Content> {
    prop_oneof![
        text().prop_map(Content::Str),
        prop::collection::vec(text_part(), 0..3).prop_map(Content::Parts),
    ]
}

/// Tool arguments: an object of JSON values.
fn args() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((ident(), json()), 0..4).prop_map(|kv| kv.into_iter().collect())
}

/// One step of a conversation; a tool round is an assistant turn with calls, then the tool
/// messages answering them in any order.
#[derive(Debug, Clone)]
enum Step {
    System(bool, Content),
    User(Content),
    Assistant(Option<Content>),
    ToolRound {
        content: Option<Content>,
        calls: Vec<(String, Map<String, Value>)>,
        answers: Vec<(usize, Option<Content>)>,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let round = (
        prop::option::of(assistant_content()),
        prop::collection::vec((ident(), args()), 1..4),
        prop::collection::vec(prop::option::of(rich_content()), 4),
    )
        .prop_flat_map(|(content, calls, answers)| {
            let n = calls.len();
            let answers: Vec<(usize, Option<Content>)> =
                answers.into_iter().take(n).enumerate().collect();
            (Just(content), Just(calls), Just(answers).prop_shuffle())
        })
        .prop_map(|(content, calls, answers)| Step::ToolRound {
            content,
            calls,
            answers,
        });
    prop_oneof![
        1 => (any::<bool>(), text_content()).prop_map(|(d, c)| Step::System(d, c)),
        3 => rich_content().prop_map(Step::User),
        2 => prop::option::of(assistant_content()).prop_map(Step::Assistant),
        2 => round,
    ]
}

fn messages() -> impl Strategy<Value = Vec<Msg>> {
    (
        prop::collection::vec((any::<bool>(), text_content()), 0..3),
        rich_content(),
        prop::collection::vec(step(), 0..7),
    )
        .prop_map(|(leading, first_user, steps)| {
            let mut out: Vec<Msg> = leading
                .into_iter()
                .map(|(developer, content)| Msg::System { developer, content })
                .collect();
            out.push(Msg::User(first_user));
            for (r, step) in steps.into_iter().enumerate() {
                match step {
                    Step::System(developer, content) => {
                        out.push(Msg::System { developer, content });
                    }
                    Step::User(c) => out.push(Msg::User(c)),
                    Step::Assistant(content) => out.push(Msg::Assistant {
                        content,
                        calls: Vec::new(),
                    }),
                    Step::ToolRound {
                        content,
                        calls,
                        answers,
                    } => {
                        let calls: Vec<Call> = calls
                            .into_iter()
                            .enumerate()
                            .map(|(i, (name, args))| Call {
                                id: format!("call_{r}_{i}"),
                                name,
                                args,
                            })
                            .collect();
                        let ids: Vec<String> = calls.iter().map(|c| c.id.clone()).collect();
                        out.push(Msg::Assistant { content, calls });
                        for (i, content) in answers {
                            out.push(Msg::Tool {
                                id: ids[i].clone(),
                                content,
                            });
                        }
                    }
                }
            }
            out
        })
}

fn tools() -> impl Strategy<Value = Vec<(String, Option<String>, Option<Value>)>> {
    let schema = prop_oneof![
        Just(None),
        Just(Some(json!({"type": "object", "properties": {}}))),
        json().prop_map(|v| Some(json!({"type": "object", "properties": {"x": v}}))),
    ];
    prop::collection::vec((ident(), prop::option::of(text()), schema), 0..4).prop_map(|tools| {
        let mut seen = std::collections::HashSet::new();
        tools
            .into_iter()
            .filter(|(name, _, _)| seen.insert(name.clone()))
            .collect()
    })
}

fn request() -> impl Strategy<Value = Request> {
    (
        "[a-z][a-z0-9.-]{0,30}",
        messages(),
        tools(),
        any::<(u8, usize)>(),
        (
            prop::option::of(1u32..),
            prop::option::of(1u32..),
            prop::option::of(0.0f64..=2.0),
            prop::option::of(0.0f64..=1.0),
        ),
        prop_oneof![
            Just(None),
            text().prop_map(|s| Some(Value::from(s))),
            prop::collection::vec(text(), 0..=4).prop_map(|v| Some(json!(v))),
        ],
        (
            prop::option::of(any::<bool>()),
            prop::option::of(any::<bool>()),
            prop::option::of(prop::sample::select(
                &["none", "minimal", "low", "medium", "high"][..],
            )),
            prop::option::of(text()),
        ),
    )
        .prop_map(
            |(model, messages, tools, (choice, pick), sampling, stop, flags)| {
                let (max_tokens, max_completion_tokens, temperature, top_p) = sampling;
                let (stream, include_usage, effort, user) = flags;
                let tool_choice = match (choice % 5, tools.is_empty()) {
                    (1, _) => Some(json!("auto")),
                    (2, _) => Some(json!("none")),
                    (3, false) => Some(json!("required")),
                    (4, false) => Some(json!({
                        "type": "function",
                        "function": {"name": tools[pick % tools.len()].0},
                    })),
                    _ => None,
                };
                Request {
                    model,
                    messages,
                    tools,
                    tool_choice,
                    max_tokens,
                    max_completion_tokens,
                    temperature,
                    top_p,
                    stop,
                    stream,
                    include_usage,
                    effort,
                    user,
                }
            },
        )
}

fn data_url(mime: &str, bytes: &[u8], shouting: bool, wrapped: bool) -> String {
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

fn content_json(c: &Content) -> Value {
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

fn body(r: &Request) -> Value {
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

fn blocks(c: &Content) -> Vec<Block> {
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

fn texts(c: &Content) -> Vec<String> {
    blocks(c)
        .into_iter()
        .filter_map(|b| match b {
            Block::Text { text } => Some(text),
            _ => None,
        })
        .collect()
}

/// The IR the documented translation gives for a generated request.
fn expected(r: &Request) -> ChatRequest {
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
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn arbitrary_bytes_fail_cleanly(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        check_failure(&parse_request(&bytes))?;
    }

    #[test]
    fn arbitrary_json_fails_cleanly(value in json_with_keys(KEYS)) {
        let bytes = serde_json::to_vec(&value).expect("serializable");
        check_failure(&parse_request(&bytes))?;
    }

    #[test]
    fn near_valid_requests_fail_cleanly(
        req in request(),
        path in prop::collection::vec(any::<usize>(), 0..6),
        replacement in json_with_keys(KEYS),
        delete in any::<bool>(),
    ) {
        let mut value = body(&req);
        mutate(&mut value, &path, replacement, delete);
        let bytes = serde_json::to_vec(&value).expect("serializable");
        check_failure(&parse_request(&bytes))?;
    }

    #[test]
    fn valid_requests_parse_to_the_documented_ir(req in request()) {
        let bytes = serde_json::to_vec(&body(&req)).expect("serializable");
        let parsed = parse_request(&bytes);
        prop_assert!(parsed.is_ok(), "a valid request was refused: {:?}", parsed.err());
        prop_assert_eq!(parsed.expect("checked"), expected(&req));
    }

    #[test]
    fn valid_requests_keep_their_meaning_upstream(
        req in request(),
        model in prop::sample::select(MODELS),
    ) {
        let bytes = serde_json::to_vec(&body(&req)).expect("serializable");
        let parsed = parse_request(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        if let Err(why) = check_upstream(&parsed, model) {
            prop_assert!(false, "{}", why);
        }
    }
}
