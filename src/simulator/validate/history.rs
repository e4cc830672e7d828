//! Conversation history checks: functionCall/functionResponse pairing and thought signatures,
//! with the messages Claude (through Antigravity) and Gemini 3 answer.

use serde_json::{Value, json};

use super::{Rejection, parts_of, role_of};
use crate::simulator::models::{Style, is_gemini3};
use crate::simulator::sign::{self, SENTINEL};

const THINKING_FIRST: &str = "When `thinking` is enabled, a final `assistant` message must start \
     with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). \
     We recommend you include thinking blocks from previous turns. To avoid this requirement, \
     disable `thinking`. Please consult our documentation at \
     https://docs.claude.com/en/docs/build-with-claude/extended-thinking";

fn calls(content: &Value) -> Vec<&Value> {
    parts_of(content)
        .iter()
        .filter_map(|p| p.get("functionCall"))
        .collect()
}

fn responses(content: &Value) -> Vec<&Value> {
    parts_of(content)
        .iter()
        .filter_map(|p| p.get("functionResponse"))
        .collect()
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Gemini wants a user turn before every function call turn (`CLIProxyAPI` #4959, AM PR #3396,
/// gemini-cli #11814 quote the message), and a conversation that opens with the user
/// (hermes-agent #55427 reports the alternation message for a text-only model-first history).
pub(super) fn check_gemini_turn_order(contents: &[Value]) -> Result<(), Rejection> {
    for (i, content) in contents.iter().enumerate() {
        if role_of(content) != "model" {
            continue;
        }
        let after_user = i
            .checked_sub(1)
            .is_some_and(|p| role_of(&contents[p]) == "user");
        if !calls(content).is_empty() && !after_user {
            return Err(Rejection::plain(
                "Please ensure that function call turn comes immediately after a user turn or \
                 after a function response turn.",
            ));
        }
        if i == 0 {
            return Err(Rejection::plain(
                "Please ensure that multiturn requests alternate between user and model.",
            ));
        }
    }
    Ok(())
}

/// Every functionResponse answers a functionCall of the model turn just before it (same id, same
/// name), and every call of a model turn that is followed by another turn is answered.
pub(super) fn check_pairing(style: Style, contents: &[Value]) -> Result<(), Rejection> {
    for (i, content) in contents.iter().enumerate() {
        let answers = responses(content);
        if role_of(content) == "model" {
            let made = calls(content);
            let next = contents.get(i + 1);
            if !made.is_empty() && next.is_some_and(|n| responses(n).is_empty()) {
                return Err(count_mismatch(style, i, &made));
            }
            continue;
        }
        if answers.is_empty() {
            continue;
        }
        let made: Vec<&Value> = i
            .checked_sub(1)
            .map(|p| &contents[p])
            .filter(|p| role_of(p) == "model")
            .map(calls)
            .unwrap_or_default();
        for (j, answer) in answers.iter().enumerate() {
            let id = str_field(answer, "id");
            let call = match id {
                Some(id) => made.iter().find(|c| str_field(c, "id") == Some(id)),
                None => made.get(j),
            };
            let Some(call) = call else {
                return Err(match style {
                    Style::Claude => Rejection::claude(format!(
                        "messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result` \
                         blocks: {}. Each `tool_result` block must have a corresponding `tool_use` \
                         block in the previous message.",
                        id.unwrap_or("(none)")
                    )),
                    _ => Rejection::plain(
                        "Please ensure that function response turn comes immediately after a \
                         function call turn.",
                    ),
                });
            };
            let (want, got) = (str_field(call, "name"), str_field(answer, "name"));
            if want != got {
                return Err(Rejection::plain(format!(
                    "contents[{i}].parts[{j}].functionResponse.name: `{}` does not match the \
                     functionCall name `{}`.",
                    got.unwrap_or_default(),
                    want.unwrap_or_default()
                )));
            }
        }
        if answers.len() != made.len() {
            return Err(count_mismatch(style, i.saturating_sub(1), &made));
        }
    }
    Ok(())
}

fn count_mismatch(style: Style, model_turn: usize, made: &[&Value]) -> Rejection {
    match style {
        Style::Claude => {
            let ids: Vec<&str> = made.iter().filter_map(|c| str_field(c, "id")).collect();
            Rejection::claude(format!(
                "messages.{model_turn}: `tool_use` ids were found without `tool_result` blocks \
                 immediately after: {}. Each `tool_use` block must have a corresponding \
                 `tool_result` block in the next message.",
                ids.join(", ")
            ))
        }
        _ => Rejection::plain(
            "Please ensure that the number of function response parts is equal to the number of \
             function call parts of the function call turn.",
        ),
    }
}

fn signature(part: &Value) -> Option<&str> {
    part.get("thoughtSignature")
        .or_else(|| part.get("thought_signature"))
        .and_then(Value::as_str)
}

fn is_thought(part: &Value) -> bool {
    part.get("thought")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// Claude: every thought part carries the signature of its text; the sentinel is refused; with
/// thinking on, a final model turn that calls tools must open with a signed thought.
pub(super) fn check_claude_signatures(contents: &[Value], thinking: bool) -> Result<(), Rejection> {
    for (i, content) in contents.iter().enumerate() {
        for (j, part) in parts_of(content).iter().enumerate() {
            let sig = signature(part);
            if sig == Some(SENTINEL) {
                return Err(bad_signature(i, j));
            }
            if !is_thought(part) {
                continue;
            }
            let text = str_field(part, "text").unwrap_or_default();
            match sig {
                None | Some("") => {
                    return Err(Rejection::claude(format!(
                        "messages.{i}.content.{j}.thinking.signature: Field required"
                    )));
                }
                Some(s) if !sign::verify("claude", text, s) => return Err(bad_signature(i, j)),
                Some(_) => {}
            }
        }
    }
    if !thinking {
        return Ok(());
    }
    let Some((i, last)) = contents
        .iter()
        .enumerate()
        .rev()
        .find(|(_, c)| role_of(c) == "model")
    else {
        return Ok(());
    };
    if calls(last).is_empty() {
        return Ok(());
    }
    let first = parts_of(last).first();
    if first.is_some_and(is_thought) {
        return Ok(());
    }
    let found = match first {
        Some(p) if p.get("functionCall").is_some() => "tool_use",
        Some(p) if p.get("text").is_some() => "text",
        _ => "image",
    };
    Err(Rejection::claude(format!(
        "messages.{i}.content.0.type: Expected `thinking` or `redacted_thinking`, but found \
         `{found}`. {THINKING_FIRST}"
    )))
}

fn bad_signature(i: usize, j: usize) -> Rejection {
    Rejection::claude(format!(
        "messages.{i}.content.{j}: Invalid `signature` in `thinking` block"
    ))
}

/// Gemini 3: the first functionCall of every model turn needs a sibling thoughtSignature (a
/// valid one or the sentinel); later parallel calls may omit it, but a present one must be valid.
pub(super) fn check_gemini_signatures(model: &str, contents: &[Value]) -> Result<(), Rejection> {
    if !is_gemini3(model) {
        return Ok(());
    }
    for (i, content) in contents.iter().enumerate() {
        if role_of(content) != "model" {
            continue;
        }
        let mut first = true;
        for (j, part) in parts_of(content).iter().enumerate() {
            let Some(call) = part.get("functionCall") else {
                continue;
            };
            let name = str_field(call, "name").unwrap_or_default();
            match signature(part) {
                None | Some("") if first => {
                    return Err(Rejection::plain(format!(
                        "Function call is missing a thought_signature in functionCall parts. This \
                         is required for tools to work correctly, and missing thought_signature \
                         may lead to degraded model performance. Additional data, function call \
                         `default_api:{name}` , position {}. Please refer to \
                         https://ai.google.dev/gemini-api/docs/thought-signatures for more details.",
                        i + 1
                    )));
                }
                None | Some("" | SENTINEL) => {}
                Some(s) => {
                    // A client may drop an empty `args`; the simulator signed it as `{}`.
                    let args = call.get("args").cloned().unwrap_or_else(|| json!({}));
                    if !sign::verify("gemini", &sign::call_text(name, &args), s) {
                        return Err(Rejection::plain(format!(
                            "Thought signature is not valid. (contents[{i}].parts[{j}])"
                        )));
                    }
                }
            }
            first = false;
        }
    }
    Ok(())
}
