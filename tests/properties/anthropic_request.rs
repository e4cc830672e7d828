//! The Anthropic Messages request parser: arbitrary bytes, arbitrary JSON and near-valid bodies
//! never panic and fail with a 400 naming a field; generated valid requests (system string or
//! blocks, `text`/`image`/`tool_use`/`tool_result`/`thinking` blocks, tools, thinking config) parse to
//! exactly the IR the documented translation gives, and the upstream body keeps their meaning.

use anti_api_tui::translate::anthropic::{parse_count_tokens, parse_request};
use anti_api_tui::translate::ir::{
    Block, ChatRequest, Effort, ErrorInfo, ErrorKind, ImageSource, Message, Role, Thinking,
    ToolChoice, ToolDef, ToolResultContent,
};
use base64::Engine as _;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::common::{config, error_field, ident, json, json_with_keys, mutate, text};
use super::meaning::{MODELS, check_upstream};

const KEYS: &[&str] = &[
    "model",
    "max_tokens",
    "messages",
    "role",
    "content",
    "system",
    "type",
    "text",
    "image",
    "source",
    "base64",
    "media_type",
    "data",
    "tool_use",
    "tool_result",
    "tool_use_id",
    "id",
    "name",
    "input",
    "thinking",
    "signature",
    "tools",
    "input_schema",
    "tool_choice",
    "user",
    "assistant",
];

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
enum Image {
    Base64 { mime: &'static str, bytes: Vec<u8> },
    Url(String),
}

#[derive(Debug, Clone)]
enum ResultPart {
    Text(String),
    Image(Image),
}

#[derive(Debug, Clone)]
enum ResultContent {
    Absent,
    Str(String),
    Parts(Vec<ResultPart>),
}

#[derive(Debug, Clone)]
enum Blk {
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
enum Content {
    Str(String),
    Blocks(Vec<Blk>),
}

#[derive(Debug, Clone)]
struct Msg {
    role: Role,
    content: Content,
}

#[derive(Debug, Clone)]
struct Request {
    model: String,
    max_tokens: Option<u64>,
    system: Option<Result<String, Vec<String>>>,
    messages: Vec<Msg>,
    tools: Vec<(String, Option<String>, Value, bool)>,
    tool_choice: Option<Value>,
    thinking: Option<Value>,
    effort: Option<&'static str>,
    user_id: Option<String>,
    stop: Option<Vec<String>>,
    temperature: Option<f64>,
    top_p: Option<f64>,
    top_k: Option<u32>,
    stream: Option<bool>,
}

fn image() -> impl Strategy<Value = Image> {
    prop_oneof![
        4 => (
            prop::sample::select(&["image/png", "image/gif", "image/jpeg"][..]),
            prop::collection::vec(any::<u8>(), 1..90),
        )
            .prop_map(|(mime, bytes)| Image::Base64 { mime, bytes }),
        1 => "https://[a-z]{1,8}\\.example/[a-z]{0,8}\\.png".prop_map(Image::Url),
    ]
}

fn result_content() -> impl Strategy<Value = ResultContent> {
    prop_oneof![
        Just(ResultContent::Absent),
        text().prop_map(ResultContent::Str),
        prop::collection::vec(
            prop_oneof![
                3 => text().prop_map(ResultPart::Text),
                1 => image().prop_map(ResultPart::Image),
            ],
            0..3,
        )
        .prop_map(ResultContent::Parts),
    ]
}

fn user_block() -> impl Strategy<Value = Blk> {
    prop_oneof![3 => text().prop_map(Blk::Text), 1 => image().prop_map(Blk::Image)]
}

fn thinking_block() -> impl Strategy<Value = Blk> {
    prop_oneof![
        3 => (text(), prop_oneof![
            Just(None),
            Just(Some(String::new())),
            "[A-Za-z0-9+/]{8,40}".prop_map(Some),
        ])
            .prop_map(|(text, signature)| Blk::Thinking { text, signature }),
        1 => "[A-Za-z0-9+/]{4,20}".prop_map(Blk::Redacted),
    ]
}

fn assistant_block() -> impl Strategy<Value = Blk> {
    prop_oneof![
        4 => text().prop_map(Blk::Text),
        1 => image().prop_map(Blk::Image),
        1 => thinking_block(),
    ]
}

fn content(block: BoxedStrategy<Blk>) -> impl Strategy<Value = Content> {
    prop_oneof![
        text().prop_map(Content::Str),
        prop::collection::vec(block, 0..4).prop_map(Content::Blocks),
    ]
}

#[derive(Debug, Clone)]
enum Step {
    User(Content),
    Assistant(Content),
    System(Content),
    /// An assistant turn (thinking, text, then calls) and the user turn answering every call,
    /// in any order, possibly followed by more user blocks.
    ToolRound {
        before: Vec<Blk>,
        calls: Vec<(String, Option<Map<String, Value>>)>,
        answers: Vec<(usize, ResultContent, Option<bool>)>,
        after: Vec<Blk>,
    },
}

fn args() -> impl Strategy<Value = Option<Map<String, Value>>> {
    prop::option::of(
        prop::collection::vec((ident(), json()), 0..4).prop_map(|kv| kv.into_iter().collect()),
    )
}

fn step() -> impl Strategy<Value = Step> {
    let round = (
        prop::collection::vec(assistant_block(), 0..3),
        prop::collection::vec((ident(), args()), 1..4),
        prop::collection::vec((result_content(), prop::option::of(any::<bool>())), 4),
        prop::collection::vec(user_block(), 0..2),
    )
        .prop_flat_map(|(before, calls, answers, after)| {
            let answers: Vec<(usize, ResultContent, Option<bool>)> = answers
                .into_iter()
                .take(calls.len())
                .enumerate()
                .map(|(i, (c, e))| (i, c, e))
                .collect();
            (
                Just(before),
                Just(calls),
                Just(answers).prop_shuffle(),
                Just(after),
            )
        })
        .prop_map(|(before, calls, answers, after)| Step::ToolRound {
            before,
            calls,
            answers,
            after,
        });
    prop_oneof![
        3 => content(user_block().boxed()).prop_map(Step::User),
        2 => content(assistant_block().boxed()).prop_map(Step::Assistant),
        1 => content(text().prop_map(Blk::Text).boxed()).prop_map(Step::System),
        2 => round,
    ]
}

fn messages() -> impl Strategy<Value = Vec<Msg>> {
    prop::collection::vec(step(), 1..7).prop_map(|steps| {
        let mut out = Vec::new();
        for (r, step) in steps.into_iter().enumerate() {
            match step {
                Step::User(content) => out.push(Msg {
                    role: Role::User,
                    content,
                }),
                Step::Assistant(content) => out.push(Msg {
                    role: Role::Assistant,
                    content,
                }),
                Step::System(content) => out.push(Msg {
                    role: Role::System,
                    content,
                }),
                Step::ToolRound {
                    mut before,
                    calls,
                    answers,
                    after,
                } => {
                    let ids: Vec<String> =
                        (0..calls.len()).map(|i| format!("toolu_{r}_{i}")).collect();
                    before.extend(calls.into_iter().zip(&ids).map(|((name, input), id)| {
                        Blk::ToolUse {
                            id: id.clone(),
                            name,
                            input,
                        }
                    }));
                    out.push(Msg {
                        role: Role::Assistant,
                        content: Content::Blocks(before),
                    });
                    let mut blocks: Vec<Blk> = answers
                        .into_iter()
                        .map(|(i, content, is_error)| Blk::ToolResult {
                            id: ids[i].clone(),
                            content,
                            is_error,
                        })
                        .collect();
                    blocks.extend(after);
                    out.push(Msg {
                        role: Role::User,
                        content: Content::Blocks(blocks),
                    });
                }
            }
        }
        out
    })
}

fn request() -> impl Strategy<Value = Request> {
    let tools = prop::collection::vec(
        (
            ident(),
            prop::option::of(text()),
            prop_oneof![
                Just(json!({"type": "object", "properties": {}})),
                json().prop_map(|v| json!({"type": "object", "properties": {"x": v}})),
            ],
            any::<bool>(),
        ),
        0..4,
    );
    (
        ("[a-z][a-z0-9.-]{0,30}", prop::option::of(1u64..)),
        prop::option::of(prop_oneof![
            text().prop_map(Ok),
            prop::collection::vec(text(), 0..3).prop_map(Err),
        ]),
        messages(),
        tools,
        any::<(u8, usize)>(),
        (
            prop_oneof![
                Just(None),
                Just(Some(json!({"type": "disabled"}))),
                Just(Some(json!({"type": "adaptive", "display": "omitted"}))),
                any::<u32>().prop_map(|b| Some(json!({"type": "enabled", "budget_tokens": b}))),
            ],
            prop::option::of(prop::sample::select(
                &["minimal", "low", "medium", "high", "max"][..],
            )),
            prop::option::of(text()),
        ),
        (
            prop::option::of(prop::collection::vec(text(), 0..4)),
            prop::option::of(0.0f64..=2.0),
            prop::option::of(0.0f64..=1.0),
            prop::option::of(any::<u32>()),
            prop::option::of(any::<bool>()),
        ),
    )
        .prop_map(
            |((model, max_tokens), system, messages, tools, (choice, pick), think, sampling)| {
                let (thinking, effort, user_id) = think;
                let (stop, temperature, top_p, top_k, stream) = sampling;
                let tool_choice = match (choice % 5, tools.is_empty()) {
                    (1, _) => Some(json!({"type": "auto"})),
                    (2, _) => Some(json!({"type": "any"})),
                    (3, _) => Some(json!({"type": "none"})),
                    (4, false) => {
                        Some(json!({"type": "tool", "name": tools[pick % tools.len()].0}))
                    }
                    _ => None,
                };
                Request {
                    model,
                    max_tokens,
                    system,
                    messages,
                    tools,
                    tool_choice,
                    thinking,
                    effort,
                    user_id,
                    stop,
                    temperature,
                    top_p,
                    top_k,
                    stream,
                }
            },
        )
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn image_json(image: &Image) -> Value {
    match image {
        Image::Base64 { mime, bytes } => json!({
            "type": "image",
            "source": {"type": "base64", "media_type": mime, "data": b64(bytes)},
        }),
        Image::Url(url) => json!({"type": "image", "source": {"type": "url", "url": url}}),
    }
}

fn block_json(b: &Blk) -> Value {
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

fn body(r: &Request) -> Value {
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

fn image_source(image: &Image) -> ImageSource {
    match image {
        Image::Base64 { mime, bytes } => ImageSource::Base64 {
            media_type: (*mime).to_owned(),
            data: b64(bytes),
        },
        Image::Url(url) => ImageSource::Url { url: url.clone() },
    }
}

fn ir_block(b: &Blk) -> Block {
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

fn expected(r: &Request) -> ChatRequest {
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
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn arbitrary_bytes_fail_cleanly(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        check_failure(&parse_request(&bytes))?;
        check_failure(&parse_count_tokens(&bytes))?;
    }

    #[test]
    fn arbitrary_json_fails_cleanly(value in json_with_keys(KEYS)) {
        let bytes = serde_json::to_vec(&value).expect("serializable");
        check_failure(&parse_request(&bytes))?;
    }

    #[test]
    fn near_valid_requests_fail_cleanly(
        req in request(),
        path in prop::collection::vec(any::<usize>(), 0..7),
        replacement in json_with_keys(KEYS),
        delete in any::<bool>(),
    ) {
        let mut value = body(&req);
        mutate(&mut value, &path, replacement, delete);
        let bytes = serde_json::to_vec(&value).expect("serializable");
        check_failure(&parse_request(&bytes))?;
        check_failure(&parse_count_tokens(&bytes))?;
    }

    #[test]
    fn valid_requests_parse_to_the_documented_ir(req in request()) {
        let bytes = serde_json::to_vec(&body(&req)).expect("serializable");
        let parsed = if req.max_tokens.is_some() {
            parse_request(&bytes)
        } else {
            let refused = parse_request(&bytes);
            prop_assert!(
                refused.as_ref().is_err_and(|e| e.message.starts_with("max_tokens: ")),
                "max_tokens is required: {:?}",
                refused
            );
            parse_count_tokens(&bytes)
        };
        prop_assert!(parsed.is_ok(), "a valid request was refused: {:?}", parsed.err());
        prop_assert_eq!(parsed.expect("checked"), expected(&req));
    }

    #[test]
    fn valid_requests_keep_their_meaning_upstream(
        req in request(),
        model in prop::sample::select(MODELS),
    ) {
        let bytes = serde_json::to_vec(&body(&req)).expect("serializable");
        let parsed = parse_count_tokens(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        if let Err(why) = check_upstream(&parsed, model) {
            prop_assert!(false, "{}", why);
        }
    }
}
