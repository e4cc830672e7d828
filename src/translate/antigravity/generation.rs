//! The upstream `generationConfig`: output limits, sampling, stop sequences and thinking.

use serde_json::{Map, Value, json};

use crate::catalogue::{Family, ModelSpec, ThinkingMode};
use crate::translate::ir::{ChatRequest, Effort, Thinking};

/// Whether this request thinks: thinking models always do; optional ones when the client asks.
pub(super) fn wants_thinking(req: &ChatRequest, spec: &ModelSpec, notes: &mut Vec<String>) -> bool {
    let asked = !matches!(req.thinking, Thinking::Off) || req.effort.is_some();
    match spec.thinking {
        ThinkingMode::Always => {
            if !asked {
                notes.push(format!(
                    "{} is a thinking model; it thinks even though the client did not ask",
                    spec.id
                ));
            }
            true
        }
        ThinkingMode::Optional => asked,
        ThinkingMode::Off => {
            if asked {
                notes.push(format!(
                    "{} cannot think; the thinking request is ignored",
                    spec.id
                ));
            }
            false
        }
    }
}

/// Builds `generationConfig` for the final thinking decision (which may have been turned off
/// for signature reasons after `wants_thinking`).
pub(super) fn generation_config(
    req: &ChatRequest,
    spec: &ModelSpec,
    thinking: bool,
    notes: &mut Vec<String>,
) -> Value {
    let mut cfg = Map::new();
    // Only Claude needs an explicit limit; other families do better with their own default,
    // unless the client asked for one.
    let mut max_out = match req.max_tokens {
        Some(n) => {
            if n > spec.max_output {
                notes.push(format!(
                    "max_tokens {n} capped to {} for {}",
                    spec.max_output, spec.id
                ));
            }
            Some(n.min(spec.max_output))
        }
        None if spec.family == Family::Claude => Some(spec.max_output),
        None => None,
    };
    let mut thinking_config = None;
    if thinking {
        match thinking_choice(req, spec) {
            Choice::Level(level) => {
                if let Some(max) = max_out.as_mut() {
                    let raised = max
                        .saturating_add(level_allowance(level))
                        .min(spec.max_output);
                    notes.push(format!(
                        "maxOutputTokens raised from {max} to {raised}: the {level} thinking \
                         allowance comes on top of the client's limit"
                    ));
                    *max = raised;
                }
                thinking_config = Some(json!({"includeThoughts": true, "thinkingLevel": level}));
            }
            Choice::Budget(mut budget) => {
                // The upstream requires room for an answer after the thinking.
                if let Some(max) = max_out.as_mut()
                    && *max <= budget
                {
                    let raised = budget.saturating_add(8192).min(spec.max_output);
                    notes.push(format!(
                        "maxOutputTokens raised from {max} to {raised} to exceed the thinking budget"
                    ));
                    *max = raised;
                    if *max <= budget {
                        budget = max.saturating_sub(1);
                        notes.push(format!("thinking budget lowered to {budget}"));
                    }
                }
                thinking_config = Some(json!({"includeThoughts": true, "thinkingBudget": budget}));
            }
        }
    }
    if let Some(max) = max_out {
        cfg.insert("maxOutputTokens".into(), json!(max));
    }
    if let Some(t) = req.temperature {
        cfg.insert("temperature".into(), json!(t));
    }
    if let Some(p) = req.top_p {
        cfg.insert("topP".into(), json!(p));
    }
    if let Some(k) = req.top_k {
        cfg.insert("topK".into(), json!(k));
    }
    if !req.stop.is_empty() {
        cfg.insert("stopSequences".into(), json!(req.stop));
    }
    if let Some(tc) = thinking_config {
        cfg.insert("thinkingConfig".into(), tc);
    }
    Value::Object(cfg)
}

/// Thinking tokens a level may spend before the answer. Gemini pays thinking out of
/// `maxOutputTokens`, so a client's small limit would go to thinking and leave an empty answer;
/// the client's limit is the answer's and this allowance is added to it. The values are
/// `CLIProxyAPI`'s level → budget map (`internal/thinking/convert.go`).
fn level_allowance(level: &str) -> u32 {
    match level {
        "minimal" => 512,
        "low" => 1024,
        "medium" => 8192,
        _ => 24_576,
    }
}

enum Choice {
    Budget(u32),
    Level(&'static str),
}

fn thinking_choice(req: &ChatRequest, spec: &ModelSpec) -> Choice {
    if let Thinking::Budget { tokens } = req.thinking {
        return Choice::Budget(clamp_budget(tokens, spec));
    }
    if spec.levels {
        return Choice::Level(level(req.effort, spec));
    }
    let default = if spec.default_budget > 0 {
        spec.default_budget
    } else {
        8192
    };
    let budget = match req.effort {
        None => default,
        Some(Effort::Minimal) => spec.budget_min.max(1024),
        Some(Effort::Low) => 4096,
        Some(Effort::Medium) => 10_000,
        Some(Effort::High) => default.max(16_000),
    };
    Choice::Budget(clamp_budget(budget, spec))
}

/// Gemini 3 levels. Pro models only know `low` and `high`, so the in-between efforts round to
/// the nearest level they accept.
fn level(effort: Option<Effort>, spec: &ModelSpec) -> &'static str {
    let two_levels = spec.upstream.contains("-pro");
    match effort {
        Some(Effort::Minimal) if two_levels => "low",
        Some(Effort::Minimal) => "minimal",
        Some(Effort::Low) => "low",
        Some(Effort::Medium) if two_levels => "high",
        Some(Effort::Medium) => "medium",
        Some(Effort::High) | None => "high",
    }
}

fn clamp_budget(tokens: u32, spec: &ModelSpec) -> u32 {
    let hi = if spec.budget_max > 0 {
        spec.budget_max
    } else {
        spec.max_output.saturating_sub(1)
    };
    tokens.clamp(spec.budget_min.min(hi), hi)
}
