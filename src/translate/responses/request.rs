//! Responses API request body → IR [`ChatRequest`] plus what only this format has: the stored
//! conversation it continues, what to show of the reasoning, the tool-name map and the request
//! fields the response object echoes. Every 400 names the offending field path.

use serde_json::{Value, json};

use super::items;
use super::tools::{self, ToolNames};
use super::wire::{RawReasoning, RawRequest, RawText};
use crate::translate::ir::{ChatRequest, ErrorInfo, OutputFormat, Thinking};
use crate::translate::openai::{decode, effort, in_range, model_name, positive};
use crate::translate::structured;

const ENCRYPTED_REASONING: &str = "reasoning.encrypted_content";
/// `include` entries that name outputs of hosted tools, which never occur here: nothing to add.
const HOSTED_INCLUDES: &[&str] = &[
    "file_search_call.results",
    "web_search_call.results",
    "web_search_call.action.sources",
    "code_interpreter_call.outputs",
    "computer_call_output.output.image_url",
    "message.input_image.image_url",
];

/// What a `/v1/responses` request says beyond its IR [`ChatRequest`] (whose conversation lacks
/// the stored one `previous_response_id` names until the engine puts it in front).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResponsesContext {
    pub previous_response_id: Option<String>,
    /// Keep the response for `previous_response_id` and `GET /v1/responses/{id}` (default true).
    pub store: bool,
    /// Reasoning summaries were asked for (`reasoning.summary`): thinking text is shown.
    pub show_summary: bool,
    /// `include: ["reasoning.encrypted_content"]`: reasoning items carry the thinking back.
    pub encrypted_reasoning: bool,
    /// At most this many tool calls are answered (`parallel_tool_calls: false` is 1).
    pub max_tool_calls: Option<usize>,
    pub tool_names: ToolNames,
    pub echo: Echo,
}

/// Request fields the response object repeats, as the client sent them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Echo {
    pub instructions: Option<String>,
    pub metadata: Value,
    pub parallel_tool_calls: bool,
    pub tool_choice: Value,
    pub tools: Vec<Value>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub max_output_tokens: Option<u32>,
    pub reasoning_effort: Option<String>,
    pub reasoning_summary: Option<String>,
    pub truncation: String,
    pub service_tier: Option<String>,
    pub user: Option<String>,
    pub prompt_cache_key: Option<String>,
    /// `text` as the response object repeats it: the format asked for (structured output
    /// included) and the verbosity.
    pub text: Value,
}

/// Parses and validates a `/v1/responses` request body.
pub fn parse_request(body: &[u8]) -> Result<(ChatRequest, ResponsesContext), ErrorInfo> {
    let raw: RawRequest = decode(body)?;
    refuse_unserved(&raw)?;
    let model = model_name(raw.model)?;
    let input = raw
        .input
        .ok_or_else(|| ErrorInfo::invalid("input", "required"))?;
    let (mut system, messages) = items::convert(input)?;
    if let Some(instructions) = raw.instructions.as_ref().filter(|i| !i.is_empty()) {
        system.insert(0, instructions.clone());
    }
    if messages.is_empty() && raw.previous_response_id.is_none() {
        return Err(ErrorInfo::invalid(
            "input",
            "must contain at least one item with content",
        ));
    }
    let mut notes = Vec::new();
    let tools = tools::convert(raw.tools)?;
    notes.extend(tools.notes.iter().cloned());
    let tool_choice_echo = raw
        .tool_choice
        .as_ref()
        .map_or_else(|| Value::String("auto".into()), choice_echo);
    let tool_choice = tools::tool_choice(raw.tool_choice, &tools)?;
    let (show_summary, reasoning_effort, reasoning_summary) = reasoning(raw.reasoning.as_ref())?;
    let effort = effort(None, reasoning_effort.clone())?;
    let output_format = check_text(raw.text.as_ref(), &mut notes)?;
    let encrypted_reasoning = includes(raw.include.as_deref())?;
    let parallel_tool_calls = raw.parallel_tool_calls.unwrap_or(true);
    let max_tool_calls = match raw.max_tool_calls {
        Some(n) => Some(usize::try_from(positive(n, "max_tool_calls")?).unwrap_or(usize::MAX)),
        None => None,
    };
    let max_tool_calls = if parallel_tool_calls {
        max_tool_calls
    } else {
        Some(max_tool_calls.map_or(1, |n| n.min(1)))
    };
    let truncation = raw.truncation.unwrap_or_else(|| "disabled".into());
    match truncation.as_str() {
        "disabled" => {}
        "auto" => notes.push(
            "truncation \"auto\": the conversation is sent whole; the upstream refuses one that \
             is too long"
                .into(),
        ),
        other => {
            return Err(ErrorInfo::invalid(
                "truncation",
                format!("unknown truncation {other:?}; expected auto or disabled"),
            ));
        }
    }
    let max_tokens = raw
        .max_output_tokens
        .map(|n| positive(n, "max_output_tokens"))
        .transpose()?;
    let temperature = in_range(raw.temperature, 0.0, 2.0, "temperature")?;
    let top_p = in_range(raw.top_p, 0.0, 1.0, "top_p")?;
    let echo = Echo {
        instructions: raw.instructions,
        metadata: raw.metadata.unwrap_or(Value::Null),
        parallel_tool_calls,
        tool_choice: tool_choice_echo,
        tools: tools.defs.iter().map(tool_echo).collect(),
        temperature,
        top_p,
        max_output_tokens: max_tokens,
        reasoning_effort,
        reasoning_summary,
        truncation,
        service_tier: raw.service_tier,
        user: raw.user.clone(),
        prompt_cache_key: raw.prompt_cache_key.clone(),
        text: text_echo(raw.text.as_ref()),
    };
    let chat = ChatRequest {
        model,
        system,
        messages,
        tools: tools.defs,
        tool_choice,
        max_tokens,
        temperature,
        top_p,
        top_k: raw.top_k,
        stop: Vec::new(),
        thinking: if effort.is_some() {
            Thinking::Adaptive
        } else {
            Thinking::Off
        },
        effort,
        stream: raw.stream.unwrap_or(false),
        include_usage: true,
        // A conversation key keeps the upstream session stable across turns.
        user_id: raw
            .prompt_cache_key
            .or(raw.safety_identifier)
            .or(raw.user)
            .filter(|u| !u.is_empty()),
        notes,
        output_format,
    };
    let context = ResponsesContext {
        previous_response_id: raw.previous_response_id.filter(|p| !p.is_empty()),
        store: raw.store.unwrap_or(true),
        show_summary,
        encrypted_reasoning,
        max_tool_calls,
        tool_names: tools.names,
        echo,
    };
    Ok((chat, context))
}

/// Features of the API that need OpenAI's servers: a 400 naming them, never a silent accept.
fn refuse_unserved(raw: &RawRequest) -> Result<(), ErrorInfo> {
    if raw.background == Some(true) {
        return Err(ErrorInfo::invalid(
            "background",
            "background responses are not served; send the request without it",
        ));
    }
    if raw.conversation.as_ref().is_some_and(|c| !c.is_null()) {
        return Err(ErrorInfo::invalid(
            "conversation",
            "the Conversations API is not served; use previous_response_id or send the whole input",
        ));
    }
    if raw.prompt.as_ref().is_some_and(|p| !p.is_null()) {
        return Err(ErrorInfo::invalid(
            "prompt",
            "stored prompt templates are not served; send instructions and input",
        ));
    }
    if raw.top_logprobs.is_some_and(|n| n > 0) {
        return Err(ErrorInfo::invalid(
            "top_logprobs",
            "log probabilities are not available",
        ));
    }
    Ok(())
}

/// `(show the summary, effort, summary)` from `reasoning`.
fn reasoning(
    raw: Option<&RawReasoning>,
) -> Result<(bool, Option<String>, Option<String>), ErrorInfo> {
    let Some(raw) = raw else {
        return Ok((false, None, None));
    };
    let (summary, field) = match (&raw.summary, &raw.generate_summary) {
        (Some(s), _) => (Some(s.clone()), "reasoning.summary"),
        (None, Some(s)) => (Some(s.clone()), "reasoning.generate_summary"),
        (None, None) => (None, "reasoning.summary"),
    };
    let show = match summary.as_deref() {
        None | Some("none") => false,
        Some("auto" | "concise" | "detailed") => true,
        Some(other) => {
            return Err(ErrorInfo::invalid(
                field,
                format!("unknown summary {other:?}; expected auto, concise, detailed or none"),
            ));
        }
    };
    // `xhigh` is the newest level; the upstream's highest is `high`.
    let effort = raw
        .effort
        .clone()
        .map(|e| if e == "xhigh" { "high".to_owned() } else { e });
    Ok((show, effort, summary))
}

/// The `text` object the response repeats: the client's format (or plain text) and verbosity.
fn text_echo(text: Option<&RawText>) -> Value {
    let format = text
        .and_then(|t| t.format.clone())
        .filter(|f| !f.is_null())
        .unwrap_or_else(|| json!({"type": "text"}));
    let verbosity = text
        .and_then(|t| t.verbosity.clone())
        .unwrap_or_else(|| "medium".into());
    json!({"format": format, "verbosity": verbosity})
}

/// `text`: the structured-output format it asks for, and a note for a verbosity not honoured.
fn check_text(text: Option<&RawText>, notes: &mut Vec<String>) -> Result<OutputFormat, ErrorInfo> {
    let Some(text) = text else {
        return Ok(OutputFormat::Text);
    };
    let format = match text.format.as_ref().filter(|v| !v.is_null()) {
        Some(format) => structured::from_responses(format, "text.format")?,
        None => OutputFormat::Text,
    };
    if let Some(verbosity) = text.verbosity.as_deref().filter(|v| *v != "medium") {
        notes.push(format!(
            "text.verbosity {verbosity:?}: the upstream has no verbosity control; answered at its \
             own length"
        ));
    }
    Ok(format)
}

/// Whether encrypted reasoning is asked for; other entries must be ones that add nothing here.
fn includes(include: Option<&[String]>) -> Result<bool, ErrorInfo> {
    let mut encrypted = false;
    for (i, entry) in include.into_iter().flatten().enumerate() {
        match entry.as_str() {
            ENCRYPTED_REASONING => encrypted = true,
            e if HOSTED_INCLUDES.contains(&e) => {}
            other => {
                return Err(ErrorInfo::invalid(
                    &format!("include[{i}]"),
                    format!("{other:?} cannot be included; supported: {ENCRYPTED_REASONING}"),
                ));
            }
        }
    }
    Ok(encrypted)
}

fn choice_echo(raw: &super::wire::StrOr<super::wire::RawToolChoice>) -> Value {
    match raw {
        super::wire::StrOr::Str(mode) => Value::String(mode.clone()),
        super::wire::StrOr::Other(obj) => {
            let mut v = serde_json::json!({"type": obj.kind});
            if let Some(name) = &obj.name {
                v["name"] = Value::String(name.clone());
            }
            v
        }
    }
}

fn tool_echo(def: &crate::translate::ir::ToolDef) -> Value {
    serde_json::json!({
        "type": "function",
        "name": def.name,
        "description": def.description,
        "parameters": def.parameters,
        "strict": false,
    })
}
