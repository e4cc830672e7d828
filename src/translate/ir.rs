//! The internal representation every wire format meets at: one request shape, one response
//! shape and one stream-event vocabulary, so N client formats and M upstreams never meet pairwise.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Re-exported so `ir::ApiFormat` keeps working; the table itself is `translate::client_api`.
pub use super::client_api::ApiFormat;

/// A chat request in client-neutral form, produced by the OpenAI and Anthropic parsers.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ChatRequest {
    /// The model name exactly as the client sent it (echoed back in responses).
    pub model: String,
    /// Leading system prompt parts, in order (Anthropic `system`, OpenAI leading system/developer).
    pub system: Vec<String>,
    /// The conversation. `Role::System` entries are system messages *inside* the conversation
    /// (Claude Code's mid-conversation system messages, OpenAI system messages after the first turn).
    pub messages: Vec<Message>,
    pub tools: Vec<ToolDef>,
    pub tool_choice: ToolChoice,
    pub max_tokens: Option<u32>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub top_k: Option<u32>,
    pub stop: Vec<String>,
    pub thinking: Thinking,
    /// Reasoning effort (OpenAI `reasoning_effort`, Anthropic `output_config.effort`).
    pub effort: Option<Effort>,
    pub stream: bool,
    /// OpenAI `stream_options.include_usage`.
    pub include_usage: bool,
    /// A client-supplied conversation/user identifier (Anthropic `metadata.user_id`, OpenAI `user`),
    /// used to keep the upstream session id stable.
    pub user_id: Option<String>,
    /// What the client parser left out or could not honour (hosted tools, hints the upstream
    /// has no control for): shown in the request's inspector with the upstream plan's notes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The requested answer format (OpenAI `response_format`, Responses `text.format`, Anthropic
    /// `output_config.format`, Gemini `responseMimeType`/`responseSchema`).
    #[serde(default, skip_serializing_if = "OutputFormat::is_text")]
    pub output_format: OutputFormat,
}

/// What the answer's text must be. Parsed by `translate::structured`, honoured upstream by
/// `translate::antigravity::structured` (generation config or a forced tool call).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutputFormat {
    /// Free text: no constraint.
    #[default]
    Text,
    /// Any JSON object (OpenAI `json_object`, Gemini `application/json` without a schema).
    JsonObject,
    /// JSON matching `schema` (a JSON schema as the client sent it, cleaned only upstream).
    JsonSchema {
        name: String,
        schema: Value,
        /// OpenAI `strict`; the upstream has no stricter mode, so it is recorded, not switched.
        strict: bool,
        /// OpenAI's `description` of the format: what the answer is for.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    },
}

impl OutputFormat {
    pub fn is_text(&self) -> bool {
        matches!(self, Self::Text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: Vec<Block>,
}

/// One content block. Tool results live in user messages, tool uses in assistant messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Text {
        text: String,
    },
    Image {
        source: ImageSource,
    },
    Thinking {
        text: String,
        /// The upstream's signature, when the client sent one back.
        signature: Option<String>,
    },
    RedactedThinking {
        data: String,
    },
    ToolUse {
        id: String,
        name: String,
        /// Always a JSON object.
        input: Value,
    },
    ToolResult {
        tool_use_id: String,
        content: Vec<ToolResultContent>,
        is_error: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ImageSource {
    Base64 { media_type: String, data: String },
    Url { url: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToolResultContent {
    Text { text: String },
    Image { source: ImageSource },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolDef {
    pub name: String,
    pub description: Option<String>,
    /// The JSON schema as the client sent it (cleaned only on the way upstream).
    pub parameters: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToolChoice {
    #[default]
    Auto,
    None,
    /// OpenAI `required`, Anthropic `any`.
    Required,
    Tool {
        name: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Thinking {
    #[default]
    Off,
    /// Anthropic `{type: enabled, budget_tokens}`.
    Budget { tokens: u32 },
    /// Anthropic `{type: adaptive}`; the effort (if any) sits in `ChatRequest::effort`.
    Adaptive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Effort {
    Minimal,
    Low,
    Medium,
    High,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    #[default]
    EndTurn,
    MaxTokens,
    StopSequence,
    ToolUse,
    ContentFilter,
}

impl StopReason {
    pub fn anthropic(self) -> &'static str {
        match self {
            Self::EndTurn => "end_turn",
            // Anthropic's own name for an answer stopped by a safety filter.
            Self::ContentFilter => "refusal",
            Self::MaxTokens => "max_tokens",
            Self::StopSequence => "stop_sequence",
            Self::ToolUse => "tool_use",
        }
    }

    pub fn openai(self) -> &'static str {
        match self {
            Self::EndTurn | Self::StopSequence => "stop",
            Self::MaxTokens => "length",
            Self::ToolUse => "tool_calls",
            Self::ContentFilter => "content_filter",
        }
    }
}

/// Token accounting in Anthropic terms: `input_tokens` excludes cached tokens,
/// `output_tokens` includes thinking tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cached_input_tokens: u64,
    pub thinking_tokens: u64,
}

impl Usage {
    /// OpenAI `prompt_tokens` counts cached tokens too.
    pub fn prompt_tokens(&self) -> u64 {
        self.input_tokens.saturating_add(self.cached_input_tokens)
    }
}

/// A complete (aggregated) answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ChatResponse {
    /// Only `Text`, `Thinking`, `RedactedThinking` and `ToolUse` blocks appear here.
    pub content: Vec<Block>,
    pub stop_reason: StopReason,
    pub usage: Usage,
}

/// One step of a streamed answer. Upstream decoders produce these; client encoders consume them.
/// Thinking text always precedes its signature; a tool call arrives complete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    TextDelta {
        text: String,
    },
    ThinkingDelta {
        text: String,
    },
    /// Closes the current thinking block with the upstream's signature.
    ThinkingSignature {
        signature: String,
    },
    ToolCall {
        id: String,
        name: String,
        /// The complete arguments object.
        arguments: Value,
    },
    /// Usage known so far (may arrive several times; the last one wins).
    Usage {
        usage: Usage,
    },
    /// The last event of a successful stream.
    Finish {
        stop_reason: StopReason,
        usage: Usage,
    },
}

/// The id of the first tool result that answers no earlier tool use, if any (a conversation
/// joined from stored turns and new messages is checked once it is whole).
pub fn unanswered_tool_result(messages: &[Message]) -> Option<&str> {
    let mut calls: Vec<&str> = Vec::new();
    for block in messages.iter().flat_map(|m| &m.content) {
        match block {
            Block::ToolUse { id, .. } => calls.push(id),
            Block::ToolResult { tool_use_id, .. } if !calls.contains(&tool_use_id.as_str()) => {
                return Some(tool_use_id);
            }
            _ => {}
        }
    }
    None
}

/// Folds stream events into a complete response: non-streaming is "stream and aggregate".
#[derive(Debug, Default)]
pub struct ResponseBuilder {
    response: ChatResponse,
    finished: bool,
}

impl ResponseBuilder {
    pub fn push(&mut self, event: &StreamEvent) {
        let content = &mut self.response.content;
        match event {
            StreamEvent::TextDelta { text } => match content.last_mut() {
                Some(Block::Text { text: existing }) => existing.push_str(text),
                _ => content.push(Block::Text { text: text.clone() }),
            },
            StreamEvent::ThinkingDelta { text } => match content.last_mut() {
                Some(Block::Thinking {
                    text: existing,
                    signature: None,
                }) => existing.push_str(text),
                _ => content.push(Block::Thinking {
                    text: text.clone(),
                    signature: None,
                }),
            },
            StreamEvent::ThinkingSignature { signature } => match content.last_mut() {
                Some(Block::Thinking {
                    signature: slot, ..
                }) if slot.is_none() => {
                    *slot = Some(signature.clone());
                }
                _ => content.push(Block::Thinking {
                    text: String::new(),
                    signature: Some(signature.clone()),
                }),
            },
            StreamEvent::ToolCall {
                id,
                name,
                arguments,
            } => content.push(Block::ToolUse {
                id: id.clone(),
                name: name.clone(),
                input: arguments.clone(),
            }),
            StreamEvent::Usage { usage } => self.response.usage = *usage,
            StreamEvent::Finish { stop_reason, usage } => {
                self.response.stop_reason = *stop_reason;
                self.response.usage = *usage;
                self.finished = true;
            }
        }
    }

    pub fn is_finished(&self) -> bool {
        self.finished
    }

    pub fn finish(self) -> ChatResponse {
        self.response
    }
}

/// Error categories shared by both client formats; `error.rs` in the proxy renders them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    InvalidRequest,
    Authentication,
    /// The proxy has no logged-in account to serve with (a 401 like a bad key, but the fix is
    /// `anti-api-tui login`, not the client's key).
    LoginRequired,
    Permission,
    NotFound,
    RequestTooLarge,
    RateLimit,
    Api,
    Overloaded,
}

impl ErrorKind {
    /// The Anthropic `error.type` name.
    pub fn anthropic_type(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request_error",
            Self::Authentication | Self::LoginRequired => "authentication_error",
            Self::Permission => "permission_error",
            Self::NotFound => "not_found_error",
            Self::RequestTooLarge => "request_too_large",
            Self::RateLimit => "rate_limit_error",
            Self::Api => "api_error",
            Self::Overloaded => "overloaded_error",
        }
    }

    /// The OpenAI `error.type` name.
    pub fn openai_type(self) -> &'static str {
        match self {
            Self::InvalidRequest | Self::NotFound | Self::RequestTooLarge => {
                "invalid_request_error"
            }
            Self::Authentication | Self::LoginRequired => "authentication_error",
            Self::Permission => "permission_error",
            Self::RateLimit => "rate_limit_error",
            Self::Api => "api_error",
            Self::Overloaded => "overloaded_error",
        }
    }
}

/// A client-visible error: the HTTP status, the category and a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    pub status: u16,
    pub kind: ErrorKind,
    pub message: String,
    /// Seconds the client should wait (`Retry-After`), for rate limits.
    pub retry_after_secs: Option<u64>,
}

impl ErrorInfo {
    pub fn new(status: u16, kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            message: message.into(),
            retry_after_secs: None,
        }
    }

    /// A 400 whose message names the offending field.
    pub fn invalid(field: &str, problem: impl std::fmt::Display) -> Self {
        Self::new(
            400,
            ErrorKind::InvalidRequest,
            format!("{field}: {problem}"),
        )
    }
}

impl std::fmt::Display for ErrorInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.message)
    }
}

impl std::error::Error for ErrorInfo {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_merges_deltas_into_blocks() {
        let mut b = ResponseBuilder::default();
        for ev in [
            StreamEvent::ThinkingDelta { text: "a".into() },
            StreamEvent::ThinkingDelta { text: "b".into() },
            StreamEvent::ThinkingSignature {
                signature: "sig".into(),
            },
            StreamEvent::TextDelta { text: "x".into() },
            StreamEvent::TextDelta { text: "y".into() },
            StreamEvent::ToolCall {
                id: "t1".into(),
                name: "f".into(),
                arguments: serde_json::json!({"k": 1}),
            },
            StreamEvent::Finish {
                stop_reason: StopReason::ToolUse,
                usage: Usage {
                    input_tokens: 3,
                    output_tokens: 4,
                    ..Usage::default()
                },
            },
        ] {
            b.push(&ev);
        }
        assert!(b.is_finished());
        let r = b.finish();
        assert_eq!(r.content.len(), 3);
        assert_eq!(
            r.content[0],
            Block::Thinking {
                text: "ab".into(),
                signature: Some("sig".into())
            }
        );
        assert_eq!(r.content[1], Block::Text { text: "xy".into() });
        assert_eq!(r.stop_reason, StopReason::ToolUse);
        assert_eq!(r.usage.output_tokens, 4);
    }

    #[test]
    fn prompt_tokens_saturate() {
        let usage = Usage {
            input_tokens: u64::MAX,
            cached_input_tokens: 3,
            ..Usage::default()
        };
        assert_eq!(usage.prompt_tokens(), u64::MAX);
    }

    #[test]
    fn stop_reasons_map_to_both_formats() {
        assert_eq!(StopReason::MaxTokens.openai(), "length");
        assert_eq!(StopReason::MaxTokens.anthropic(), "max_tokens");
        assert_eq!(StopReason::ToolUse.openai(), "tool_calls");
        assert_eq!(StopReason::ContentFilter.openai(), "content_filter");
        assert_eq!(StopReason::ContentFilter.anthropic(), "refusal");
    }
}
