//! Chat Completions request body → IR [`ChatRequest`]: decoding, sampling parameters,
//! tools and tool choice. Every 400 names the offending field path.

use serde_json::{Value, json};

use super::messages;
use super::wire::{RawFunctionDef, RawName, RawRequest, RawTool, RawToolChoice, StrOr};
use crate::translate::ir::{
    ChatRequest, Effort, ErrorInfo, OutputFormat, Thinking, ToolChoice, ToolDef,
};
use crate::translate::structured;

/// The Chat Completions API's own limit on stop sequences.
const MAX_STOP_SEQUENCES: usize = 4;
/// Longer names are certainly not model ids; this keeps error messages and logs bounded.
const MAX_MODEL_LEN: usize = 256;

/// Parses and validates a `/v1/chat/completions` request body.
pub fn parse_request(body: &[u8]) -> Result<ChatRequest, ErrorInfo> {
    let raw: RawRequest = decode(body)?;

    let model = model_name(raw.model)?;
    let raw_messages = raw
        .messages
        .ok_or_else(|| ErrorInfo::invalid("messages", "required"))?;
    if raw_messages.is_empty() {
        return Err(ErrorInfo::invalid(
            "messages",
            "must contain at least one message",
        ));
    }
    if raw.n.is_some_and(|n| n != 1) {
        return Err(ErrorInfo::invalid("n", "only 1 is supported"));
    }
    if raw.logprobs == Some(true) {
        return Err(ErrorInfo::invalid("logprobs", "not supported"));
    }
    let output_format = match raw.response_format.as_ref().filter(|v| !v.is_null()) {
        Some(format) => structured::from_chat_completions(format, "response_format")?,
        None => OutputFormat::Text,
    };

    let (system, messages) = messages::convert(raw_messages)?;
    let tools = tools(raw.tools, raw.functions)?;
    let tool_choice = tool_choice(raw.tool_choice, raw.function_call, &tools)?;
    let effort = effort(raw.reasoning_effort, raw.reasoning.and_then(|r| r.effort))?;
    let stream = raw.stream.unwrap_or(false);

    Ok(ChatRequest {
        model,
        system,
        messages,
        tools,
        tool_choice,
        // The newer name wins when a client sends both.
        max_tokens: match raw.max_completion_tokens {
            Some(n) => Some(positive(n, "max_completion_tokens")?),
            None => raw
                .max_tokens
                .map(|n| positive(n, "max_tokens"))
                .transpose()?,
        },
        temperature: in_range(raw.temperature, 0.0, 2.0, "temperature")?,
        top_p: in_range(raw.top_p, 0.0, 1.0, "top_p")?,
        top_k: raw.top_k,
        stop: stop(raw.stop)?,
        thinking: if effort.is_some() {
            Thinking::Adaptive
        } else {
            Thinking::Off
        },
        effort,
        stream,
        include_usage: raw
            .stream_options
            .and_then(|o| o.include_usage)
            .unwrap_or(false),
        // `prompt_cache_key` is OpenAI's newer, dedicated knob for the same stability.
        user_id: raw.user.or(raw.prompt_cache_key).filter(|u| !u.is_empty()),
        notes: Vec::new(),
        output_format,
    })
}

/// The `model` field of an OpenAI-format body: present, non-empty, of a bounded length.
pub(crate) fn model_name(model: Option<String>) -> Result<String, ErrorInfo> {
    let model = model.ok_or_else(|| ErrorInfo::invalid("model", "required"))?;
    if model.trim().is_empty() {
        return Err(ErrorInfo::invalid("model", "must be a non-empty string"));
    }
    if model.len() > MAX_MODEL_LEN {
        return Err(ErrorInfo::invalid(
            "model",
            format!("must be at most {MAX_MODEL_LEN} characters"),
        ));
    }
    Ok(model)
}

/// Decodes the body into the typed shape; type errors name the field path, syntax errors the
/// position. Shared by the OpenAI formats (Chat Completions and Responses).
pub(crate) fn decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ErrorInfo> {
    // serde would read a struct from an array positionally; a body must be an object.
    let starts_as_object = body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{');
    if !starts_as_object {
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
                Err(e) => ErrorInfo::invalid("body", format!("invalid JSON: {e}")),
                Ok(_) => ErrorInfo::invalid("body", "must be a JSON object"),
            },
        );
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let raw = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ErrorInfo::invalid("body", format!("invalid JSON: {inner}"));
        }
        let field = if path == "." { "body" } else { path.as_str() };
        ErrorInfo::invalid(field, without_position(&inner))
    })?;
    // Trailing garbage after the object is a syntax error too.
    de.end()
        .map_err(|e| ErrorInfo::invalid("body", format!("invalid JSON: {e}")))?;
    Ok(raw)
}

/// `serde_json` appends " at line L column C" to data errors; the field path says more.
fn without_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    match text.strip_suffix(&suffix) {
        Some(stripped) => stripped.to_owned(),
        None => text,
    }
}

pub(crate) fn positive(n: i64, field: &str) -> Result<u32, ErrorInfo> {
    if n <= 0 {
        return Err(ErrorInfo::invalid(field, "must be a positive integer"));
    }
    u32::try_from(n).map_err(|_| ErrorInfo::invalid(field, "is too large"))
}

pub(crate) fn in_range(
    value: Option<f64>,
    min: f64,
    max: f64,
    field: &str,
) -> Result<Option<f64>, ErrorInfo> {
    match value {
        Some(v) if !(min..=max).contains(&v) => Err(ErrorInfo::invalid(
            field,
            format!("must be between {min} and {max}"),
        )),
        _ => Ok(value),
    }
}

fn stop(raw: Option<StrOr<Vec<String>>>) -> Result<Vec<String>, ErrorInfo> {
    let stops = match raw {
        None => Vec::new(),
        Some(StrOr::Str(s)) => vec![s],
        Some(StrOr::Other(list)) => list,
    };
    if stops.len() > MAX_STOP_SEQUENCES {
        return Err(ErrorInfo::invalid(
            "stop",
            format!("at most {MAX_STOP_SEQUENCES} stop sequences are allowed"),
        ));
    }
    // An empty stop sequence would end every answer at once.
    Ok(stops.into_iter().filter(|s| !s.is_empty()).collect())
}

pub(crate) fn effort(
    top_level: Option<String>,
    nested: Option<String>,
) -> Result<Option<Effort>, ErrorInfo> {
    let (value, field) = match (top_level, nested) {
        (Some(v), _) => (v, "reasoning_effort"),
        (None, Some(v)) => (v, "reasoning.effort"),
        (None, None) => return Ok(None),
    };
    match value.as_str() {
        "none" => Ok(None),
        "minimal" => Ok(Some(Effort::Minimal)),
        "low" => Ok(Some(Effort::Low)),
        "medium" => Ok(Some(Effort::Medium)),
        "high" => Ok(Some(Effort::High)),
        other => Err(ErrorInfo::invalid(
            field,
            format!("unknown effort {other:?}; expected none, minimal, low, medium or high"),
        )),
    }
}

fn tools(
    tools: Option<Vec<RawTool>>,
    functions: Option<Vec<RawFunctionDef>>,
) -> Result<Vec<ToolDef>, ErrorInfo> {
    let mut defs = Vec::new();
    for (i, tool) in tools.into_iter().flatten().enumerate() {
        if let Some(kind) = tool.kind.as_deref().filter(|k| *k != "function") {
            return Err(ErrorInfo::invalid(
                &format!("tools[{i}].type"),
                format!("unsupported tool type {kind:?}; only \"function\" tools are supported"),
            ));
        }
        let function = tool
            .function
            .ok_or_else(|| ErrorInfo::invalid(&format!("tools[{i}].function"), "required"))?;
        defs.push(tool_def(function, &format!("tools[{i}].function"), &defs)?);
    }
    for (i, function) in functions.into_iter().flatten().enumerate() {
        defs.push(tool_def(function, &format!("functions[{i}]"), &defs)?);
    }
    Ok(defs)
}

fn tool_def(f: RawFunctionDef, path: &str, earlier: &[ToolDef]) -> Result<ToolDef, ErrorInfo> {
    if f.name.is_empty() {
        return Err(ErrorInfo::invalid(
            &format!("{path}.name"),
            "must not be empty",
        ));
    }
    if earlier.iter().any(|d| d.name == f.name) {
        return Err(ErrorInfo::invalid(
            &format!("{path}.name"),
            format!("duplicate tool name {:?}", f.name),
        ));
    }
    let parameters = match f.parameters {
        None => json!({"type": "object", "properties": {}}),
        Some(schema @ Value::Object(_)) => schema,
        Some(_) => {
            return Err(ErrorInfo::invalid(
                &format!("{path}.parameters"),
                "must be a JSON schema object",
            ));
        }
    };
    Ok(ToolDef {
        name: f.name,
        description: f.description,
        parameters,
    })
}

fn tool_choice(
    choice: Option<StrOr<RawToolChoice>>,
    legacy: Option<StrOr<RawName>>,
    tools: &[ToolDef],
) -> Result<ToolChoice, ErrorInfo> {
    let (parsed, field) = match (choice, legacy) {
        (Some(StrOr::Str(mode)), _) => (mode_choice(&mode, "tool_choice")?, "tool_choice"),
        (Some(StrOr::Other(obj)), _) => (named_choice(obj)?, "tool_choice"),
        (None, Some(StrOr::Str(mode))) => (mode_choice(&mode, "function_call")?, "function_call"),
        (None, Some(StrOr::Other(RawName { name }))) => {
            (ToolChoice::Tool { name }, "function_call")
        }
        (None, None) => return Ok(ToolChoice::Auto),
    };
    match &parsed {
        ToolChoice::Tool { name } if !tools.iter().any(|t| t.name == *name) => {
            let name_field = if field == "tool_choice" {
                "tool_choice.function.name"
            } else {
                "function_call.name"
            };
            Err(ErrorInfo::invalid(
                name_field,
                format!("no tool named {name:?} in tools"),
            ))
        }
        ToolChoice::Required if tools.is_empty() => Err(ErrorInfo::invalid(
            field,
            "\"required\" needs at least one tool in tools",
        )),
        _ => Ok(parsed),
    }
}

fn mode_choice(mode: &str, field: &str) -> Result<ToolChoice, ErrorInfo> {
    match mode {
        "auto" => Ok(ToolChoice::Auto),
        "none" => Ok(ToolChoice::None),
        "required" => Ok(ToolChoice::Required),
        other => Err(ErrorInfo::invalid(
            field,
            format!("unknown tool choice {other:?}; expected auto, none, required or an object"),
        )),
    }
}

fn named_choice(obj: RawToolChoice) -> Result<ToolChoice, ErrorInfo> {
    if let Some(kind) = obj.kind.as_deref().filter(|k| *k != "function") {
        return Err(ErrorInfo::invalid(
            "tool_choice.type",
            format!("unsupported tool choice type {kind:?}; only \"function\" is supported"),
        ));
    }
    obj.function
        .map(|f| f.name)
        .or(obj.name)
        .map(|name| ToolChoice::Tool { name })
        .ok_or_else(|| ErrorInfo::invalid("tool_choice.function", "required"))
}

#[cfg(test)]
mod tests;
