//! Anthropic `/v1/messages` request bodies → IR `ChatRequest`: typed wire structs, validation,
//! and 400s that name the offending field path.

mod blocks;

use serde::Deserialize;
use serde_json::Value;

use self::blocks::{TextOr, ToolIds, message_content, system_parts};
use crate::translate::ir::{
    ChatRequest, Effort, ErrorInfo, Message, OutputFormat, Role, Thinking, ToolChoice, ToolDef,
};
use crate::translate::structured;

/// A message thread (`anthropic-beta: message-threads-…`): the request starts one, or continues
/// the one whose last answer was `previous_message_id` (whose messages it does not repeat).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Thread {
    Create,
    Continue { previous_message_id: String },
}

/// Parses a `/v1/messages` body; `max_tokens` is required. A body with a `thread` is refused
/// here (its conversation is partly stored): use [`parse_thread_request`].
pub fn parse_request(body: &[u8]) -> Result<ChatRequest, ErrorInfo> {
    match parse(body, true)? {
        (req, None) => Ok(req),
        (_, Some(_)) => Err(ErrorInfo::invalid(
            "thread",
            "message threads are only served on /v1/messages",
        )),
    }
}

/// Parses a `/v1/messages` body with its message thread, if any.
pub fn parse_thread_request(body: &[u8]) -> Result<(ChatRequest, Option<Thread>), ErrorInfo> {
    parse(body, true)
}

/// Parses a `/v1/messages/count_tokens` body: the same shape, but `max_tokens` may be absent.
pub fn parse_count_tokens(body: &[u8]) -> Result<ChatRequest, ErrorInfo> {
    match parse(body, false)? {
        (req, None) => Ok(req),
        (_, Some(_)) => Err(ErrorInfo::invalid(
            "thread",
            "count_tokens counts the messages sent; it does not read message threads",
        )),
    }
}

fn parse(
    body: &[u8],
    require_max_tokens: bool,
) -> Result<(ChatRequest, Option<Thread>), ErrorInfo> {
    // serde lets a struct be written as a positional array; a body never legitimately is one.
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(ErrorInfo::invalid(
            "body",
            "must be a JSON object, got an array",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let wire: WireRequest = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        // serde_json calls a wrong-typed enum ("role": 1) a syntax error; when the body is
        // well-formed JSON, name the field instead.
        let misfiled = (e.inner().is_syntax() || e.inner().is_eof())
            && serde_json::from_slice::<serde_json::Value>(body).is_ok();
        if misfiled {
            let field = e.path().to_string();
            return ErrorInfo::invalid(&field, "has the wrong type or an unknown value");
        }
        path_error(None, e)
    })?;
    de.end()
        .map_err(|e| ErrorInfo::invalid("body", format!("invalid JSON: {e}")))?;
    let thread = match &wire.thread {
        None => None,
        Some(t) => Some(match (t.kind.as_str(), &t.previous_message_id) {
            ("create", _) => Thread::Create,
            ("continue", Some(id)) if !id.is_empty() => Thread::Continue {
                previous_message_id: id.clone(),
            },
            ("continue", _) => {
                return Err(ErrorInfo::invalid("thread.previous_message_id", "required"));
            }
            (other, _) => {
                return Err(ErrorInfo::invalid(
                    "thread.type",
                    format!("unknown thread type {other:?}; expected create or continue"),
                ));
            }
        }),
    };
    let continuing = matches!(thread, Some(Thread::Continue { .. }));
    Ok((wire.into_ir(require_max_tokens, continuing)?, thread))
}

/// Turns a serde error into a 400. `prefix` is the path of the value that was deserialized on
/// its own (a content block), so the message still names the full field path.
fn path_error(
    prefix: Option<&str>,
    err: serde_path_to_error::Error<serde_json::Error>,
) -> ErrorInfo {
    let path = err.path().to_string();
    let inner = err.into_inner();
    if inner.is_syntax() || inner.is_eof() {
        return ErrorInfo::invalid("body", format!("invalid JSON: {inner}"));
    }
    let field = match (prefix, path.as_str()) {
        (None, ".") => "body".to_owned(),
        (None, _) => path,
        (Some(prefix), ".") => prefix.to_owned(),
        (Some(prefix), _) if path.starts_with('[') => format!("{prefix}{path}"),
        (Some(prefix), _) => format!("{prefix}.{path}"),
    };
    ErrorInfo::invalid(&field, inner)
}

/// Deserializes a value that was kept as JSON (a content block) into its typed shape, reporting
/// errors under `path`.
fn typed_at<T: serde::de::DeserializeOwned>(value: Value, path: &str) -> Result<T, ErrorInfo> {
    serde_path_to_error::deserialize(value).map_err(|e| path_error(Some(path), e))
}

// Unknown top-level keys (context_management, service_tier, container, mcp_servers, …) are
// ignored on purpose: Claude Code sends several that have no upstream equivalent.
#[derive(Deserialize)]
#[serde(expecting = "a JSON object")]
struct WireRequest {
    model: Option<String>,
    max_tokens: Option<u64>,
    messages: Option<Vec<WireMessage>>,
    system: Option<TextOr<Value>>,
    tools: Option<Vec<WireTool>>,
    tool_choice: Option<WireToolChoice>,
    thinking: Option<WireThinking>,
    output_config: Option<WireOutputConfig>,
    /// The structured-outputs beta's spelling of `output_config.format`.
    output_format: Option<Value>,
    metadata: Option<WireMetadata>,
    stop_sequences: Option<Vec<String>>,
    temperature: Option<f64>,
    top_p: Option<f64>,
    top_k: Option<u32>,
    stream: Option<bool>,
    thread: Option<WireThread>,
}

#[derive(Deserialize)]
struct WireThread {
    #[serde(rename = "type")]
    kind: String,
    previous_message_id: Option<String>,
}

#[derive(Deserialize)]
struct WireMessage {
    role: WireRole,
    content: TextOr<Value>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum WireRole {
    User,
    Assistant,
    /// Claude Code's mid-conversation system messages (`mid-conversation-system` beta).
    System,
}

impl From<WireRole> for Role {
    fn from(role: WireRole) -> Self {
        match role {
            WireRole::User => Self::User,
            WireRole::Assistant => Self::Assistant,
            WireRole::System => Self::System,
        }
    }
}

// `defer_loading`, `cache_control` and friends are accepted and dropped.
#[derive(Deserialize)]
struct WireTool {
    #[serde(rename = "type")]
    kind: Option<String>,
    name: Option<String>,
    description: Option<String>,
    input_schema: Option<Value>,
}

#[derive(Deserialize)]
struct WireToolChoice {
    #[serde(rename = "type")]
    kind: String,
    name: Option<String>,
}

#[derive(Deserialize)]
struct WireThinking {
    #[serde(rename = "type")]
    kind: String,
    budget_tokens: Option<u32>,
}

#[derive(Deserialize)]
struct WireOutputConfig {
    effort: Option<String>,
    /// Kept raw: `translate::structured` parses it and names the bad field.
    format: Option<Value>,
}

#[derive(Deserialize)]
struct WireMetadata {
    user_id: Option<String>,
}

impl WireRequest {
    fn into_ir(self, require_max_tokens: bool, continuing: bool) -> Result<ChatRequest, ErrorInfo> {
        let model = match self.model {
            Some(m) if !m.trim().is_empty() => m,
            Some(_) => return Err(ErrorInfo::invalid("model", "must be a non-empty string")),
            None => return Err(ErrorInfo::invalid("model", "required")),
        };
        let max_tokens = match self.max_tokens {
            Some(0) => {
                return Err(ErrorInfo::invalid(
                    "max_tokens",
                    "must be a positive integer",
                ));
            }
            // Larger than any model's output limit; the upstream translator clamps anyway.
            Some(n) => Some(u32::try_from(n).unwrap_or(u32::MAX)),
            None if require_max_tokens => return Err(ErrorInfo::invalid("max_tokens", "required")),
            None => None,
        };
        let system = match self.system {
            Some(system) => system_parts(system, "system")?,
            None => Vec::new(),
        };
        let messages = convert_messages(self.messages, continuing)?;
        let tools = convert_tools(self.tools.unwrap_or_default())?;
        let tool_choice = convert_tool_choice(self.tool_choice, &tools)?;
        let thinking = convert_thinking(self.thinking)?;
        let (effort, format) = match self.output_config {
            Some(c) => (c.effort, c.format.filter(|f| !f.is_null())),
            None => (None, None),
        };
        let effort = match effort {
            Some(effort) => Some(convert_effort(&effort)?),
            None => None,
        };
        let output_format = match (format, self.output_format.filter(|f| !f.is_null())) {
            (Some(f), _) => structured::from_anthropic(&f, "output_config.format")?,
            (None, Some(f)) => structured::from_anthropic(&f, "output_format")?,
            (None, None) => OutputFormat::Text,
        };
        check_range("temperature", self.temperature, 2.0)?;
        check_range("top_p", self.top_p, 1.0)?;
        Ok(ChatRequest {
            model,
            system,
            messages,
            tools,
            tool_choice,
            max_tokens,
            temperature: self.temperature,
            top_p: self.top_p,
            top_k: self.top_k,
            // An empty stop sequence would end every answer at once (the OpenAI parser agrees).
            stop: self
                .stop_sequences
                .unwrap_or_default()
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect(),
            thinking,
            effort,
            stream: self.stream.unwrap_or(false),
            include_usage: false,
            user_id: self
                .metadata
                .and_then(|m| m.user_id)
                .filter(|id| !id.is_empty()),
            notes: Vec::new(),
            output_format,
        })
    }
}

fn convert_messages(
    messages: Option<Vec<WireMessage>>,
    continuing: bool,
) -> Result<Vec<Message>, ErrorInfo> {
    let Some(messages) = messages else {
        return Err(ErrorInfo::invalid("messages", "required"));
    };
    if messages.is_empty() {
        return Err(ErrorInfo::invalid(
            "messages",
            "must contain at least one message",
        ));
    }
    let mut tool_use_ids = if continuing {
        ToolIds::continuing()
    } else {
        ToolIds::default()
    };
    let mut out = Vec::with_capacity(messages.len());
    for (i, message) in messages.into_iter().enumerate() {
        let role = Role::from(message.role);
        let path = format!("messages[{i}].content");
        let content = message_content(message.content, role, &path, &mut tool_use_ids)?;
        out.push(Message { role, content });
    }
    Ok(out)
}

fn convert_tools(tools: Vec<WireTool>) -> Result<Vec<ToolDef>, ErrorInfo> {
    let mut out = Vec::with_capacity(tools.len());
    for (i, tool) in tools.into_iter().enumerate() {
        let parameters = match tool.input_schema {
            Some(schema @ Value::Object(_)) => schema,
            Some(_) => {
                return Err(ErrorInfo::invalid(
                    &format!("tools[{i}].input_schema"),
                    "must be a JSON object",
                ));
            }
            // Server tools (web_search_…, bash_…, text_editor_…) are the ones without a schema;
            // they run on Anthropic's side, which this proxy cannot do.
            None => match tool.kind.as_deref().filter(|kind| *kind != "custom") {
                Some(kind) => {
                    return Err(ErrorInfo::invalid(
                        &format!("tools[{i}].type"),
                        format!(
                            "server tools are not supported ('{kind}'); \
                             only custom tools with an input_schema"
                        ),
                    ));
                }
                None => {
                    return Err(ErrorInfo::invalid(
                        &format!("tools[{i}].input_schema"),
                        "required",
                    ));
                }
            },
        };
        let name = tool.name.unwrap_or_default();
        if name.trim().is_empty() {
            return Err(ErrorInfo::invalid(
                &format!("tools[{i}].name"),
                "must be a non-empty string",
            ));
        }
        out.push(ToolDef {
            name,
            description: tool.description,
            parameters,
        });
    }
    Ok(out)
}

fn convert_tool_choice(
    choice: Option<WireToolChoice>,
    tools: &[ToolDef],
) -> Result<ToolChoice, ErrorInfo> {
    let Some(choice) = choice else {
        return Ok(ToolChoice::Auto);
    };
    match choice.kind.as_str() {
        "auto" => Ok(ToolChoice::Auto),
        "any" => Ok(ToolChoice::Required),
        "none" => Ok(ToolChoice::None),
        "tool" => match choice.name {
            Some(name) if tools.iter().any(|t| t.name == name) => Ok(ToolChoice::Tool { name }),
            Some(name) => Err(ErrorInfo::invalid(
                "tool_choice.name",
                format!("no tool named '{name}' in tools"),
            )),
            None => Err(ErrorInfo::invalid(
                "tool_choice.name",
                "required when tool_choice.type is 'tool'",
            )),
        },
        other => Err(ErrorInfo::invalid(
            "tool_choice.type",
            format!("unknown tool_choice type '{other}' (expected auto, any, none or tool)"),
        )),
    }
}

fn convert_thinking(thinking: Option<WireThinking>) -> Result<Thinking, ErrorInfo> {
    let Some(thinking) = thinking else {
        return Ok(Thinking::Off);
    };
    match thinking.kind.as_str() {
        "enabled" => match thinking.budget_tokens {
            Some(tokens) => Ok(Thinking::Budget { tokens }),
            None => Err(ErrorInfo::invalid(
                "thinking.budget_tokens",
                "required when thinking.type is 'enabled'",
            )),
        },
        // `display` (e.g. "omitted") only changes what the client wants shown.
        "adaptive" => Ok(Thinking::Adaptive),
        "disabled" => Ok(Thinking::Off),
        other => Err(ErrorInfo::invalid(
            "thinking.type",
            format!("unknown thinking type '{other}' (expected enabled, adaptive or disabled)"),
        )),
    }
}

fn convert_effort(effort: &str) -> Result<Effort, ErrorInfo> {
    match effort {
        "minimal" => Ok(Effort::Minimal),
        "low" => Ok(Effort::Low),
        "medium" => Ok(Effort::Medium),
        // The upstream has no level above high.
        "high" | "max" => Ok(Effort::High),
        other => Err(ErrorInfo::invalid(
            "output_config.effort",
            format!("unknown effort '{other}' (expected minimal, low, medium, high or max)"),
        )),
    }
}

fn check_range(field: &str, value: Option<f64>, max: f64) -> Result<(), ErrorInfo> {
    match value {
        Some(v) if !(0.0..=max).contains(&v) => Err(ErrorInfo::invalid(
            field,
            format!("must be between 0 and {max}, got {v}"),
        )),
        _ => Ok(()),
    }
}
