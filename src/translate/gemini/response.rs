//! IR → public Gemini API bodies: the `GenerateContentResponse` (whole, or one stream chunk), usage
//! metadata, finish reasons, the Google error body, and the model list entries.

use serde_json::{Value, json};

use crate::catalogue::ModelSpec;
use crate::translate::ir::{Block, ChatResponse, ErrorInfo, ErrorKind, StopReason, Usage};

/// What every body of one answer shares.
#[derive(Debug, Clone)]
pub struct AnswerMeta {
    /// The model name as the client sent it (`modelVersion`).
    pub model: String,
    pub response_id: String,
    pub show_thoughts: bool,
}

/// The thought signature the upstream gave a function call, by the call's id.
pub trait CallSignatures {
    fn signature(&self, call_id: &str) -> Option<String>;
}

impl<F: Fn(&str) -> Option<String>> CallSignatures for F {
    fn signature(&self, call_id: &str) -> Option<String> {
        self(call_id)
    }
}

/// The non-streaming body.
pub fn response_json(
    resp: &ChatResponse,
    meta: &AnswerMeta,
    signatures: &impl CallSignatures,
) -> Value {
    let mut parts = Vec::new();
    for block in &resp.content {
        match block {
            Block::Text { text } => parts.push(json!({"text": text})),
            Block::Thinking { text, signature } if meta.show_thoughts => {
                parts.push(thought_part(text, signature.as_deref()));
            }
            Block::ToolUse { id, name, input } => {
                parts.push(call_part(name, input, signatures.signature(id).as_deref()));
            }
            Block::Thinking { .. }
            | Block::RedactedThinking { .. }
            | Block::ToolResult { .. }
            | Block::Image { .. } => {}
        }
    }
    chunk_json(meta, parts, Some((resp.stop_reason, &resp.usage)))
}

/// One body: the candidate's parts, and on the last one the finish reason and usage.
pub fn chunk_json(
    meta: &AnswerMeta,
    parts: Vec<Value>,
    end: Option<(StopReason, &Usage)>,
) -> Value {
    let mut candidate = json!({
        "content": {"role": "model", "parts": Value::Array(parts)},
        "index": 0,
    });
    let mut body = json!({
        "candidates": [],
        "modelVersion": meta.model,
        "responseId": meta.response_id,
    });
    if let Some((stop, usage)) = end {
        candidate["finishReason"] = finish_reason(stop).into();
        body["usageMetadata"] = usage_json(usage);
    }
    body["candidates"] = json!([candidate]);
    body
}

pub fn thought_part(text: &str, signature: Option<&str>) -> Value {
    let mut part = json!({"text": text, "thought": true});
    if let Some(sig) = signature {
        part["thoughtSignature"] = sig.into();
    }
    part
}

pub fn call_part(name: &str, args: &Value, signature: Option<&str>) -> Value {
    let mut part = json!({"functionCall": {"name": name, "args": args}});
    if let Some(sig) = signature {
        part["thoughtSignature"] = sig.into();
    }
    part
}

pub fn finish_reason(stop: StopReason) -> &'static str {
    match stop {
        StopReason::EndTurn | StopReason::StopSequence | StopReason::ToolUse => "STOP",
        StopReason::MaxTokens => "MAX_TOKENS",
        StopReason::ContentFilter => "SAFETY",
    }
}

/// Gemini counts thoughts apart from the candidates.
pub fn usage_json(usage: &Usage) -> Value {
    let prompt = usage.prompt_tokens();
    let thoughts = usage.thinking_tokens.min(usage.output_tokens);
    let candidates = usage.output_tokens - thoughts;
    let mut v = json!({
        "promptTokenCount": prompt,
        "candidatesTokenCount": candidates,
        "totalTokenCount": prompt.saturating_add(usage.output_tokens),
    });
    if thoughts > 0 {
        v["thoughtsTokenCount"] = thoughts.into();
    }
    if usage.cached_input_tokens > 0 {
        v["cachedContentTokenCount"] = usage.cached_input_tokens.into();
    }
    v
}

/// `{"error": {code, message, status}}`, Google's error body.
pub fn error_json(err: &ErrorInfo) -> Value {
    json!({"error": {"code": err.status, "message": err.message, "status": rpc_status(err.kind)}})
}

fn rpc_status(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidRequest | ErrorKind::RequestTooLarge => "INVALID_ARGUMENT",
        ErrorKind::Authentication | ErrorKind::LoginRequired => "UNAUTHENTICATED",
        ErrorKind::Permission => "PERMISSION_DENIED",
        ErrorKind::NotFound => "NOT_FOUND",
        ErrorKind::RateLimit => "RESOURCE_EXHAUSTED",
        ErrorKind::Api => "INTERNAL",
        ErrorKind::Overloaded => "UNAVAILABLE",
    }
}

/// One entry of `GET /v1beta/models`.
pub fn model_json(spec: &ModelSpec) -> Value {
    json!({
        "name": format!("models/{}", spec.id),
        "baseModelId": spec.id,
        "version": spec.upstream,
        "displayName": spec.display_name,
        "inputTokenLimit": spec.context,
        "outputTokenLimit": spec.max_output,
        "supportedGenerationMethods": ["generateContent", "streamGenerateContent", "countTokens"],
        "thinking": spec.can_think(),
    })
}
