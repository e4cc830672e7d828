//! Deterministic scripted replies: what the simulated model "says" to a request, as the parts
//! of each SSE event, plus the finish reason and usage.

mod budget;
mod directives;
mod seen;
mod structured;
mod tools;

use std::fmt::Write as _;

use serde_json::{Value, json};

pub(crate) use directives::Directives;

use super::models::Style;
use super::sign;

const THOUGHT_CHUNKS: [&str; 2] = ["Let me think", " about this."];
const TEXT_CHUNKS: usize = 6;
const LONG_CHUNKS: usize = 60;
const ECHO_LIMIT: usize = 120;
const RESULT_LIMIT: usize = 200;

/// What the last user turn says, with directives taken out.
#[derive(Debug, Default)]
pub(crate) struct UserTurn {
    pub directives: Directives,
    /// The turn's text parts, directives removed, each trimmed.
    pub texts: Vec<String>,
    /// Each functionResponse part, with the images the model saw in it.
    pub tool_results: Vec<seen::ToolResult>,
}

impl UserTurn {
    /// Reads the last `user` content of a request; `strict` is `SimConfig::strict` (which tool
    /// images the model sees).
    pub fn of(request: &Value, strict: bool) -> Self {
        let parts = request
            .get("contents")
            .and_then(Value::as_array)
            .and_then(|c| {
                c.iter()
                    .rev()
                    .find(|c| c.get("role").and_then(Value::as_str) == Some("user"))
            })
            .and_then(|c| c.get("parts"))
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        let mut turn = Self::default();
        for part in parts {
            if let Some(text) = part.get("text").and_then(Value::as_str) {
                let (d, cleaned) = directives::parse(&strip_reminders(text));
                merge(&mut turn.directives, d);
                turn.texts.push(cleaned);
            }
        }
        turn.tool_results = seen::tool_results(parts, strict);
        turn
    }

    fn text(&self) -> String {
        self.texts
            .iter()
            .filter(|t| !t.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Drops `<system-reminder>…</system-reminder>` blocks (Claude Code adds them to user turns);
/// they would otherwise name tools and drown the echoed prompt.
fn strip_reminders(text: &str) -> String {
    const OPEN: &str = "<system-reminder>";
    const CLOSE: &str = "</system-reminder>";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        // An unclosed reminder runs to the end of the text.
        let Some(end) = rest[start..].find(CLOSE) else {
            return out;
        };
        rest = &rest[start + end + CLOSE.len()..];
    }
    out.push_str(rest);
    out
}

fn merge(into: &mut Directives, d: Directives) {
    into.fault = d.fault.or(into.fault);
    into.slow |= d.slow;
    into.long |= d.long;
    into.finish = d.finish.or(into.finish);
    into.tool = d.tool.or(into.tool.take());
}

/// A reply: the parts of each SSE event in order. The last event carries the finish reason and
/// usage.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub events: Vec<Vec<Value>>,
    pub finish: &'static str,
    pub usage: Value,
}

/// Builds the scripted reply. `call_number` makes tool-call ids unique; `strict` is
/// `SimConfig::strict` (Gemini thinking then spends the output limit, as real thinking does).
pub(crate) fn reply(
    model: &str,
    request: &Value,
    turn: &UserTurn,
    call_number: u64,
    strict: bool,
) -> Reply {
    let style = Style::of(model);
    let thinking = include_thoughts(request);
    let mut events: Vec<Vec<Value>> = Vec::new();
    let thought_text = THOUGHT_CHUNKS.concat();
    if thinking {
        for chunk in THOUGHT_CHUNKS {
            events.push(vec![json!({ "text": chunk, "thought": true })]);
        }
        if style == Style::Claude {
            let sig = sign::sign(style.signature_family(), &thought_text);
            events.push(vec![
                json!({ "thought": true, "thoughtSignature": sig, "text": "" }),
            ]);
        }
    }
    let d = &turn.directives;
    let text_refs: Vec<&str> = turn.texts.iter().map(String::as_str).collect();
    // `toolConfig.functionCallingConfig.mode: NONE` forbids calls, as upstream.
    let calls_allowed = request
        .pointer("/toolConfig/functionCallingConfig/mode")
        .and_then(serde_json::Value::as_str)
        != Some("NONE");
    // A forced choice (`mode: ANY`) is honoured first, even after a tool result.
    let answered: Vec<&str> = turn.tool_results.iter().map(|r| r.name.as_str()).collect();
    let forced = structured::forced_call(request, &text_refs, &answered);
    let call = if forced.is_some() {
        forced
    } else if calls_allowed && turn.tool_results.is_empty() && !tools::declared(request).is_empty()
    {
        d.tool
            .clone()
            .or_else(|| tools::choose(request, &text_refs))
    } else {
        None
    };
    if let Some((name, args)) = call {
        let mut part = json!({ "functionCall": { "name": name, "args": args } });
        if style == Style::Gemini {
            let sig = sign::sign(style.signature_family(), &sign::call_text(&name, &args));
            part["thoughtSignature"] = Value::String(sig);
        } else {
            part["functionCall"]["id"] = Value::String(format!("toolu_sim_{call_number}"));
        }
        events.push(vec![part]);
    } else {
        let json = structured::json_text(request, &greeting(model, &turn.text(), false));
        let text = if let Some(json) = json {
            json
        } else if turn.tool_results.is_empty() {
            greeting(model, &turn.text(), d.long)
        } else {
            turn.tool_results
                .iter()
                .map(|r| {
                    format!(
                        "Tool {} returned: {}{}",
                        r.name,
                        truncate(&r.result, RESULT_LIMIT),
                        seen::seen_note(r.images)
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        let pieces = if d.long { LONG_CHUNKS } else { TEXT_CHUNKS };
        for (i, chunk) in split_chunks(&text, pieces).into_iter().enumerate() {
            let mut part = json!({ "text": chunk });
            if i == 0 && thinking && style == Style::Gemini {
                let sig = sign::sign(style.signature_family(), &thought_text);
                part["thoughtSignature"] = Value::String(sig);
            }
            events.push(vec![part]);
        }
    }
    // Claude streams end with an empty text delta carrying the finish reason, as upstream does.
    if style == Style::Claude {
        events.push(vec![json!({ "text": "" })]);
    }
    let finish = d.finish.unwrap_or("STOP");
    let usage = usage(request, &events);
    let mut reply = Reply {
        events,
        finish,
        usage,
    };
    if strict && style == Style::Gemini {
        budget::spend(&mut reply, request);
    }
    reply
}

/// A plain text reply (no thinking, no tools), used by the fault scripts.
pub(crate) fn plain(request: &Value, text: &str) -> Reply {
    let events: Vec<Vec<Value>> = split_chunks(text, TEXT_CHUNKS)
        .into_iter()
        .map(|c| vec![json!({ "text": c })])
        .collect();
    let usage = usage(request, &events);
    Reply {
        events,
        finish: "STOP",
        usage,
    }
}

pub(crate) fn greeting(model: &str, said: &str, long: bool) -> String {
    let mut text = format!(
        "Hello from the Antigravity simulator ({model}). You said: {}",
        truncate(said, ECHO_LIMIT)
    );
    if long {
        for i in 1..=LONG_CHUNKS {
            let _ = write!(text, " Simulated line {i}.");
        }
    }
    text
}

fn include_thoughts(request: &Value) -> bool {
    let Some(cfg) = request
        .get("generationConfig")
        .and_then(|g| g.get("thinkingConfig").or_else(|| g.get("thinking_config")))
    else {
        return false;
    };
    cfg.get("includeThoughts")
        .or_else(|| cfg.get("include_thoughts"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

fn truncate(s: &str, limit: usize) -> String {
    s.chars().take(limit).collect()
}

/// Splits at spaces into at most `pieces` chunks; every chunk after the first starts with the
/// space, so clients that drop whitespace-only or whitespace-leading deltas are caught.
pub(crate) fn split_chunks(text: &str, pieces: usize) -> Vec<String> {
    let spaces: Vec<usize> = text.match_indices(' ').map(|(i, _)| i).collect();
    let pieces = pieces.min(spaces.len() + 1).max(1);
    let mut cuts: Vec<usize> = (1..pieces)
        .map(|k| spaces[k * spaces.len() / pieces])
        .collect();
    cuts.dedup();
    let mut chunks = Vec::with_capacity(pieces);
    let mut start = 0;
    for cut in cuts {
        chunks.push(text[start..cut].to_owned());
        start = cut;
    }
    chunks.push(text[start..].to_owned());
    chunks
}

/// Token usage from the chars/4 heuristic: prompt from the request, output from the parts.
fn usage(request: &Value, events: &[Vec<Value>]) -> Value {
    let (mut thought_chars, mut output_chars) = (0usize, 0usize);
    for part in events.iter().flatten() {
        let thought = part
            .get("thought")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let chars = part.get("text").and_then(Value::as_str).map_or_else(
            || {
                part.get("functionCall")
                    .map_or(0, |c| c.to_string().chars().count())
            },
            |t| t.chars().count(),
        );
        if thought {
            thought_chars += chars;
        } else {
            output_chars += chars;
        }
    }
    let prompt = estimate_tokens(request);
    let candidates = as_tokens(output_chars);
    let thoughts = as_tokens(thought_chars);
    let mut usage = json!({
        "promptTokenCount": prompt,
        "candidatesTokenCount": candidates,
        "totalTokenCount": prompt + candidates + thoughts,
        "cachedContentTokenCount": 0,
    });
    if thoughts > 0 {
        usage["thoughtsTokenCount"] = json!(thoughts);
    }
    usage
}

/// The chars/4 estimate of a JSON value, at least 1.
pub(crate) fn estimate_tokens(v: &Value) -> u64 {
    as_tokens(v.to_string().chars().count()).max(1)
}

fn as_tokens(chars: usize) -> u64 {
    u64::try_from(chars / 4).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_rejoin_and_lead_with_spaces() {
        let text = "Hello from the Antigravity simulator (m). You said: hi there";
        let chunks = split_chunks(text, 6);
        assert_eq!(chunks.len(), 6);
        assert_eq!(chunks.concat(), text);
        assert!(chunks[1..].iter().all(|c| c.starts_with(' ')));
        assert_eq!(split_chunks("one", 6), vec!["one"]);
        assert_eq!(split_chunks(&greeting("m", "x", true), 60).len(), 60);
    }

    #[test]
    fn system_reminders_are_not_part_of_the_prompt() {
        let request = json!({"contents": [{"role": "user", "parts": [
            {"text": "<system-reminder>\nUse TodoWrite.\n</system-reminder>"},
            {"text": "a <system-reminder>x</system-reminder>b"},
        ]}]});
        let turn = UserTurn::of(&request, true);
        assert_eq!(turn.text(), "a b");
    }
}
