//! Thinking that eats the output limit. On Gemini 3 a `thinkingLevel` call's thinking is paid
//! out of `maxOutputTokens` before the answer, so a small limit gives an empty or cut answer with
//! `finishReason: MAX_TOKENS` (`CLIProxyAPI` deletes the limit for every non-Claude model for this
//! reason). The simulator charges each level a fixed thinking cost, then cuts the answer to what
//! is left at the chars/4 rate its usage figures use.

use serde_json::{Value, json};

use super::Reply;

/// Thinking tokens each level spends in the simulator: plausible sizes for a short answer,
/// smaller than what real thinking can take.
fn thinking_cost(level: &str) -> Option<u64> {
    match level.to_ascii_lowercase().as_str() {
        "minimal" => Some(200),
        "low" => Some(800),
        "medium" => Some(3000),
        "high" => Some(10_000),
        _ => None,
    }
}

/// Applies the limit to a Gemini reply when the request sets both a thinking level and
/// `maxOutputTokens`; leaves any other reply alone.
pub(super) fn spend(reply: &mut Reply, request: &Value) {
    let config = request.get("generationConfig");
    let level = config
        .and_then(|c| c.pointer("/thinkingConfig/thinkingLevel"))
        .and_then(Value::as_str)
        .and_then(thinking_cost);
    let max = config
        .and_then(|c| c.get("maxOutputTokens"))
        .and_then(Value::as_u64);
    let (Some(cost), Some(max)) = (level, max) else {
        return;
    };
    let mut left_chars = max.saturating_sub(cost).saturating_mul(4);
    let mut cut = false;
    for event in &mut reply.events {
        event.retain_mut(|part| {
            if part.get("thought").and_then(Value::as_bool) == Some(true) {
                return true;
            }
            let (chars, text) = match part.get("text").and_then(Value::as_str) {
                Some(t) => (t.chars().count(), Some(t.to_owned())),
                None => (part.to_string().chars().count(), None),
            };
            let chars = u64::try_from(chars).unwrap_or(u64::MAX);
            if chars <= left_chars {
                left_chars -= chars;
                return true;
            }
            cut = true;
            let keep = usize::try_from(left_chars).unwrap_or(usize::MAX);
            left_chars = 0;
            match text {
                // A tool call is all or nothing; text is cut where the limit falls.
                Some(t) if keep > 0 => {
                    part["text"] = Value::from(t.chars().take(keep).collect::<String>());
                    true
                }
                _ => false,
            }
        });
    }
    if !cut {
        return;
    }
    reply.events.retain(|e| !e.is_empty());
    if reply.events.is_empty() {
        // The last event still carries the finish reason and usage.
        reply.events.push(Vec::new());
    }
    reply.finish = "MAX_TOKENS";
    let thoughts = cost.min(max);
    let mut usage = super::usage(request, &reply.events);
    let prompt = usage["promptTokenCount"].as_u64().unwrap_or(0);
    let candidates = usage["candidatesTokenCount"].as_u64().unwrap_or(0);
    usage["thoughtsTokenCount"] = json!(thoughts);
    usage["totalTokenCount"] = json!(prompt + candidates + thoughts);
    reply.usage = usage;
}
