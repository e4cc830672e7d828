//! Refuses generate requests the real upstream refuses (400 `INVALID_ARGUMENT`), with messages
//! shaped like the real ones, so translation bugs fail tests instead of production.

mod history;
mod schema;

use serde_json::{Value, json};

use super::models::Style;

/// A refusal. Claude-side refusals reach clients double-encoded, as Anthropic's JSON inside the
/// Google error message; the rest are plain Google messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejection {
    /// The readable message (what `SimStats::rejected` records).
    pub message: String,
    claude: bool,
}

impl Rejection {
    pub(crate) fn plain(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            claude: false,
        }
    }

    pub(crate) fn claude(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            claude: true,
        }
    }

    /// The `error.message` sent on the wire.
    pub(crate) fn wire(&self) -> String {
        if self.claude {
            json!({
                "type": "error",
                "error": { "type": "invalid_request_error", "message": self.message },
                "request_id": "req_vrtx_simulator",
            })
            .to_string()
        } else {
            self.message.clone()
        }
    }
}

pub(super) fn parts_of(content: &Value) -> &[Value] {
    content
        .get("parts")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

pub(super) fn role_of(content: &Value) -> &str {
    content
        .get("role")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// Checks a generate envelope for `model` (an upstream id). `strict` adds the rules of today's
/// real gateway beyond schema validation (`SimConfig::strict`).
pub(crate) fn validate(model: &str, envelope: &Value, strict: bool) -> Result<(), Rejection> {
    let style = Style::of(model);
    if let Some(path) = find_key(envelope, "cache_control", "") {
        let (parent, _) = path.rsplit_once('.').unwrap_or(("", &path));
        return Err(match style {
            Style::Claude => Rejection::claude(format!("{path}: Extra inputs are not permitted")),
            _ => Rejection::plain(format!(
                "Invalid JSON payload received. Unknown name \"cache_control\" at '{parent}': \
                 Cannot find field."
            )),
        });
    }
    let Some(request) = envelope.get("request").filter(|r| r.is_object()) else {
        return Err(Rejection::plain(
            "* GenerateContentRequest: request is not specified",
        ));
    };
    let contents = check_contents(style, request)?;
    check_system(style, request)?;
    schema::check_tools(style, request, strict)?;
    let thinking = check_generation_config(style, model, request)?;
    if strict && style == Style::Gemini {
        history::check_gemini_turn_order(contents)?;
    }
    history::check_pairing(style, contents)?;
    match style {
        Style::Claude => history::check_claude_signatures(contents, thinking)?,
        Style::Gemini => history::check_gemini_signatures(model, contents)?,
        Style::GptOss => {}
    }
    Ok(())
}

/// The dotted path of the first `key` anywhere in `v`.
fn find_key(v: &Value, key: &str, path: &str) -> Option<String> {
    match v {
        Value::Object(map) => map.iter().find_map(|(k, child)| {
            let here = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if k == key {
                Some(here)
            } else {
                find_key(child, key, &here)
            }
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, child)| find_key(child, key, &format!("{path}[{i}]"))),
        _ => None,
    }
}

fn check_contents(style: Style, request: &Value) -> Result<&[Value], Rejection> {
    let contents = request
        .get("contents")
        .and_then(Value::as_array)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| {
            Rejection::plain("* GenerateContentRequest.contents: contents is not specified")
        })?;
    for (i, content) in contents.iter().enumerate() {
        if !matches!(role_of(content), "user" | "model") {
            return Err(Rejection::plain(format!(
                "Please use a valid role: user, model. (contents[{i}].role = {})",
                content.get("role").unwrap_or(&Value::Null)
            )));
        }
        let parts = parts_of(content);
        if parts.is_empty() {
            return Err(Rejection::plain(format!(
                "* GenerateContentRequest.contents[{i}].parts: contents.parts must not be empty."
            )));
        }
        if style == Style::Claude
            && let Some(j) = parts.iter().position(is_empty_text)
        {
            return Err(Rejection::claude(format!(
                "messages.{i}.content.{j}: text content blocks must be non-empty"
            )));
        }
    }
    Ok(contents)
}

/// `{"text": ""}` that is not a thought (a signed empty thought is a signature carrier).
fn is_empty_text(part: &Value) -> bool {
    part.get("text").and_then(Value::as_str) == Some("")
        && !part
            .get("thought")
            .and_then(Value::as_bool)
            .unwrap_or(false)
        && part.get("functionCall").is_none()
}

fn check_system(style: Style, request: &Value) -> Result<(), Rejection> {
    let Some(system) = request.get("systemInstruction") else {
        return Ok(());
    };
    if style == Style::Claude && parts_of(system).iter().any(is_empty_text) {
        return Err(Rejection::claude(
            "system: text content blocks must be non-empty",
        ));
    }
    Ok(())
}

fn int_field(v: &Value, camel: &str, snake: &str) -> Option<i64> {
    v.get(camel)
        .or_else(|| v.get(snake))
        .and_then(Value::as_i64)
}

/// Output and thinking limits. Returns whether thinking is configured.
fn check_generation_config(style: Style, model: &str, request: &Value) -> Result<bool, Rejection> {
    let Some(config) = request.get("generationConfig") else {
        return Ok(false);
    };
    let limit = style.max_output();
    let max = int_field(config, "maxOutputTokens", "max_output_tokens");
    if let Some(max) = max
        && (max < 1 || max.unsigned_abs() > limit)
    {
        return Err(match style {
            Style::Claude => Rejection::claude(format!(
                "max_tokens: {max} > {limit}, which is the maximum allowed number of output \
                 tokens for {model}"
            )),
            _ => Rejection::plain(format!(
                "Unable to submit request because it has a maxOutputTokens value of {max} but \
                 the supported range is from 1 (inclusive) to {} (exclusive). Update the value \
                 and try again.",
                limit + 1
            )),
        });
    }
    let Some(thinking) = config
        .get("thinkingConfig")
        .or_else(|| config.get("thinking_config"))
    else {
        return Ok(false);
    };
    let budget = int_field(thinking, "thinkingBudget", "thinking_budget");
    if let (Some(budget), Some(max)) = (budget, max)
        && budget >= max
    {
        return Err(match style {
            Style::Claude => Rejection::claude(
                "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our \
                 documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size",
            ),
            _ => Rejection::plain(format!(
                "The thinking budget ({budget}) must be less than maxOutputTokens ({max})."
            )),
        });
    }
    if style == Style::Claude
        && let Some(budget) = budget
        && (1..1024).contains(&budget)
    {
        return Err(Rejection::claude(
            "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
        ));
    }
    // A zero budget switches thinking off.
    Ok(budget != Some(0))
}
