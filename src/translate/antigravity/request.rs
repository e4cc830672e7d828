//! The upstream request envelope: `build_request`, `count_tokens_body` and the session id.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::contents::{Encoder, merge_turns};
use super::generation::{generation_config, wants_thinking};
use super::signatures::SignatureStore;
use super::structured::{self, StructuredOut, StructuredTool};
use super::tools::declarations;
use crate::catalogue::ModelSpec;
use crate::translate::identity::{IdentityRules, scrub_system};
use crate::translate::ir::{Block, ChatRequest, ErrorInfo, Role};

/// Where one request goes: the final model (thinking variant already chosen) and the ids the
/// caller generated.
#[derive(Debug, Clone, Copy)]
pub struct UpstreamTarget<'a> {
    pub spec: &'a ModelSpec,
    pub project: &'a str,
    pub request_id: &'a str,
    pub session_id: &'a str,
    /// Identity texts to strip from the system prompt (`[upstream.identity]`).
    pub identity: &'a IdentityRules,
}

/// The body to send plus what the translation decided, for logs and for the stream decoder.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamPlan {
    pub body: Value,
    pub upstream_model: String,
    /// Whether thinking is on in the body sent (after any signature-driven downgrade).
    pub thinking: bool,
    /// Every schema change, as `tool: path: change`.
    pub schema_changes: Vec<String>,
    /// Tools that got the placeholder `reason` property; pass to `StreamDecoder::new`.
    pub placeholder_tools: Vec<String>,
    /// Human-readable notes on anything adjusted or dropped.
    pub notes: Vec<String>,
    /// The synthetic tool emulating structured output, if any; pass to
    /// `StreamDecoder::with_structured_tool`.
    pub structured_tool: Option<StructuredTool>,
}

/// A session id stable across the turns of one conversation (it helps upstream caching): from
/// the client's user/conversation id when given, else from the first user message's text.
/// Shaped like the peers' ids: `-` followed by digits.
pub fn session_id(req: &ChatRequest) -> String {
    let seed = if let Some(user) = req.user_id.as_deref().filter(|u| !u.is_empty()) {
        format!("user:{user}")
    } else {
        let first = req.messages.iter().find(|m| m.role == Role::User);
        let text = first
            .map(|m| {
                m.content
                    .iter()
                    .filter_map(|b| match b {
                        Block::Text { text } => Some(text.as_str()),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default();
        format!("text:{text}")
    };
    let hash = Sha256::digest(seed.as_bytes());
    let mut first8 = [0u8; 8];
    first8.copy_from_slice(&hash[..8]);
    format!("-{}", u64::from_be_bytes(first8) & (u64::MAX >> 1))
}

pub fn build_request(
    req: &ChatRequest,
    target: &UpstreamTarget,
    signatures: &SignatureStore,
    now_ms: i64,
) -> Result<UpstreamPlan, ErrorInfo> {
    let spec = target.spec;
    let mut notes = req.notes.clone();
    let mut enc = Encoder::new(spec.family, &spec.id, Some(signatures));
    enc.now_ms = now_ms;
    enc.images = spec.images;
    enc.thinking = wants_thinking(req, spec, &mut notes);
    let mut turns = merge_turns(&req.messages);
    enc.secure_tool_loop(&mut turns);
    let contents = enc.encode(&turns)?;
    let thinking = enc.thinking;
    notes.append(&mut enc.notes);

    let mut tools = declarations(req, spec.family, thinking);
    notes.append(&mut tools.notes);
    let mut format = structured::plan(req, spec.family, thinking);
    notes.append(&mut format.notes);
    tools.schema_changes.append(&mut format.schema_changes);
    let mut inner = Map::new();
    inner.insert("contents".into(), Value::Array(contents));
    let mut system = system_instruction(req, target.identity, &mut notes);
    if let Some(line) = format.instruction.take() {
        let system = system.get_or_insert_with(|| json!({"role": "user", "parts": []}));
        if let Some(parts) = system["parts"].as_array_mut() {
            parts.push(json!({"text": line}));
        }
    }
    if let Some(system) = system {
        inner.insert("systemInstruction".into(), system);
    }
    let mut generation = generation_config(req, spec, thinking, &mut notes);
    if let Some(cfg) = generation.as_object_mut() {
        cfg.append(&mut format.generation);
    }
    inner.insert("generationConfig".into(), generation);
    splice_structured_tool(&mut tools.tools, &mut tools.tool_config, &mut format);
    if let Some(t) = tools.tools {
        inner.insert("tools".into(), t);
    }
    if let Some(tc) = tools.tool_config {
        inner.insert("toolConfig".into(), tc);
    }
    inner.insert("sessionId".into(), Value::from(target.session_id));

    // Built in place: `json!` would deep-copy the whole request through `to_value`.
    let mut envelope = Map::new();
    envelope.insert("model".into(), Value::from(spec.upstream.as_str()));
    envelope.insert("userAgent".into(), Value::from("antigravity"));
    envelope.insert("requestType".into(), Value::from("agent"));
    envelope.insert("project".into(), Value::from(target.project));
    envelope.insert("requestId".into(), Value::from(target.request_id));
    envelope.insert("request".into(), Value::Object(inner));
    let mut body = Value::Object(envelope);
    let stripped = strip_cache_control(&mut body);
    if stripped > 0 {
        notes.push(format!("{stripped} cache_control field(s) stripped"));
    }
    Ok(UpstreamPlan {
        body,
        upstream_model: spec.upstream.clone(),
        thinking,
        schema_changes: tools.schema_changes,
        placeholder_tools: tools.placeholder_tools,
        notes,
        structured_tool: format.tool,
    })
}

/// Adds the synthetic structured-output function to the declarations and puts its calling
/// config in place of the one the client's tool choice gave.
fn splice_structured_tool(
    tools: &mut Option<Value>,
    tool_config: &mut Option<Value>,
    format: &mut StructuredOut,
) {
    let Some(decl) = format.declaration.take() else {
        return;
    };
    let tools = tools.get_or_insert_with(|| json!([{"functionDeclarations": []}]));
    if let Some(decls) = tools
        .pointer_mut("/0/functionDeclarations")
        .and_then(Value::as_array_mut)
    {
        decls.push(decl);
    }
    if let Some(config) = format.calling_config.take() {
        *tool_config = Some(json!({"functionCallingConfig": config}));
    }
}

/// The `countTokens` body: `{"request": {contents, systemInstruction?, tools?}}` with no model or
/// project. Lenient: what a real request would refuse (URL images) is skipped, not an error.
pub fn count_tokens_body(req: &ChatRequest, spec: &ModelSpec, identity: &IdentityRules) -> Value {
    let mut enc = Encoder::new(spec.family, &spec.id, None);
    enc.lenient = true;
    enc.images = spec.images;
    let turns = merge_turns(&req.messages);
    // Lenient mode has no error paths; an empty list is the safe fallback regardless.
    let contents = enc.encode(&turns).unwrap_or_default();
    let mut inner = Map::new();
    inner.insert("contents".into(), Value::Array(contents));
    if let Some(system) = system_instruction(req, identity, &mut Vec::new()) {
        inner.insert("systemInstruction".into(), system);
    }
    if let Some(t) = declarations(req, spec.family, false).tools {
        inner.insert("tools".into(), t);
    }
    let mut body = Value::Object(Map::from_iter([("request".into(), Value::Object(inner))]));
    strip_cache_control(&mut body);
    body
}

/// The client's own system prompt (no injected identity), without the identity texts the
/// gateway refuses; what was removed is noted.
fn system_instruction(
    req: &ChatRequest,
    identity: &IdentityRules,
    notes: &mut Vec<String>,
) -> Option<Value> {
    let (system, mut removed) = scrub_system(&req.system, identity);
    notes.append(&mut removed);
    let parts: Vec<Value> = system
        .into_iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| json!({"text": s}))
        .collect();
    (!parts.is_empty()).then(|| json!({"role": "user", "parts": parts}))
}

/// Removes every `cache_control` key anywhere: upstream Claude answers "Extra inputs are not
/// permitted" to it. A final safety net; nothing upstream ever needs the key.
fn strip_cache_control(value: &mut Value) -> usize {
    match value {
        Value::Object(map) => {
            let mut n = usize::from(map.remove("cache_control").is_some());
            n += map.values_mut().map(strip_cache_control).sum::<usize>();
            n
        }
        Value::Array(items) => items.iter_mut().map(strip_cache_control).sum(),
        _ => 0,
    }
}
