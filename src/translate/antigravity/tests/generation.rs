//! `generationConfig`: limits, sampling, stop sequences and the thinking decision.

use serde_json::json;

use super::*;
use crate::translate::ir::{Effort, Thinking};

fn gen_config(req: &ChatRequest, model: &str) -> (Value, UpstreamPlan) {
    let plan = build(req, model);
    (plan.body["request"]["generationConfig"].clone(), plan)
}

fn asking(thinking: Thinking, effort: Option<Effort>, max: Option<u32>) -> ChatRequest {
    let mut req = chat(vec![user("hi")]);
    req.thinking = thinking;
    req.effort = effort;
    req.max_tokens = max;
    req
}

#[test]
fn max_output_is_capped_defaulted_for_claude_and_omitted_otherwise() {
    let mut req = chat(vec![user("hi")]);
    let (cfg, _) = gen_config(&req, CLAUDE);
    assert_eq!(cfg["maxOutputTokens"], 64000, "Claude default = spec limit");
    let (cfg, _) = gen_config(&req, GEMINI_FLASH);
    assert!(
        cfg.get("maxOutputTokens").is_none(),
        "non-Claude: omitted when not asked"
    );
    let (cfg, _) = gen_config(&req, GPT_OSS);
    assert!(cfg.get("maxOutputTokens").is_none());

    req.max_tokens = Some(100_000);
    let (cfg, plan) = gen_config(&req, GPT_OSS);
    assert_eq!(cfg["maxOutputTokens"], 32768, "capped to the model limit");
    assert!(
        plan.notes.iter().any(|n| n.contains("capped")),
        "{:?}",
        plan.notes
    );
    req.max_tokens = Some(500);
    let (cfg, _) = gen_config(&req, GEMINI_FLASH);
    assert_eq!(cfg["maxOutputTokens"], 500);
}

#[test]
fn sampling_and_the_clients_own_stop_sequences_pass_through() {
    let mut req = chat(vec![user("hi")]);
    req.temperature = Some(0.5);
    req.top_p = Some(0.9);
    req.top_k = Some(40);
    req.stop = vec!["END".into()];
    req.max_tokens = Some(1000);
    let (cfg, _) = gen_config(&req, CLAUDE);
    assert_eq!(
        cfg,
        json!({"maxOutputTokens": 1000, "temperature": 0.5, "topP": 0.9, "topK": 40, "stopSequences": ["END"]})
    );
    let (cfg, _) = gen_config(&chat(vec![user("hi")]), CLAUDE);
    assert!(
        cfg.get("stopSequences").is_none(),
        "never an invented [DONE]"
    );
}

#[test]
fn budgets_are_clamped_to_the_model_range() {
    let (cfg, plan) = gen_config(
        &asking(Thinking::Budget { tokens: 100 }, None, Some(20_000)),
        CLAUDE_THINKING,
    );
    assert!(plan.thinking);
    assert_eq!(
        cfg["thinkingConfig"],
        json!({"includeThoughts": true, "thinkingBudget": 1024})
    );
    let (cfg, _) = gen_config(
        &asking(Thinking::Budget { tokens: 1_000_000 }, None, None),
        CLAUDE_THINKING,
    );
    assert_eq!(cfg["thinkingConfig"]["thinkingBudget"], 63999);
    assert_eq!(cfg["maxOutputTokens"], 64000);
}

#[test]
fn max_output_is_raised_above_the_budget_then_the_budget_lowered() {
    let (cfg, plan) = gen_config(
        &asking(Thinking::Budget { tokens: 10_000 }, None, Some(4_000)),
        CLAUDE_THINKING,
    );
    assert_eq!(cfg["maxOutputTokens"], 18_192);
    assert_eq!(cfg["thinkingConfig"]["thinkingBudget"], 10_000);
    assert!(
        plan.notes.iter().any(|n| n.contains("raised")),
        "{:?}",
        plan.notes
    );

    let (cfg, _) = gen_config(
        &asking(Thinking::Budget { tokens: 63_999 }, None, Some(64_000)),
        CLAUDE_THINKING,
    );
    assert_eq!(cfg["maxOutputTokens"], 64_000);
    assert_eq!(cfg["thinkingConfig"]["thinkingBudget"], 63_999);

    let mut spec_max = asking(Thinking::Budget { tokens: 63_999 }, None, Some(63_999));
    spec_max.max_tokens = Some(63_999);
    let (cfg, _) = gen_config(&spec_max, CLAUDE_THINKING);
    assert_eq!(
        cfg["maxOutputTokens"], 64_000,
        "raised as far as the model allows"
    );
    assert_eq!(cfg["thinkingConfig"]["thinkingBudget"], 63_999);
}

#[test]
fn the_budget_is_lowered_when_the_limit_cannot_rise() {
    // A budget-only model whose output limit equals the budget ceiling.
    let mut spec = spec(CLAUDE_THINKING);
    spec.budget_max = 64_000;
    let target = UpstreamTarget {
        spec: &spec,
        project: "p",
        request_id: "r",
        session_id: "-1",
        identity: &crate::translate::identity::IdentityRules::default(),
    };
    let req = asking(Thinking::Budget { tokens: 64_000 }, None, None);
    let plan = build_request(&req, &target, &SignatureStore::default(), 0).unwrap();
    let cfg = &plan.body["request"]["generationConfig"];
    assert_eq!(cfg["maxOutputTokens"], 64_000);
    assert_eq!(cfg["thinkingConfig"]["thinkingBudget"], 63_999);
}

#[test]
fn adaptive_thinking_uses_levels_where_the_model_has_them() {
    for (effort, want) in [
        (None, "high"),
        (Some(Effort::Minimal), "minimal"),
        (Some(Effort::Low), "low"),
        (Some(Effort::Medium), "medium"),
        (Some(Effort::High), "high"),
    ] {
        let (cfg, _) = gen_config(&asking(Thinking::Adaptive, effort, None), GEMINI_FLASH);
        assert_eq!(
            cfg["thinkingConfig"],
            json!({"includeThoughts": true, "thinkingLevel": want}),
            "{effort:?}"
        );
    }
    // Gemini 3 Pro only knows low and high.
    let (cfg, _) = gen_config(
        &asking(Thinking::Adaptive, Some(Effort::Medium), None),
        GEMINI_PRO,
    );
    assert_eq!(cfg["thinkingConfig"]["thinkingLevel"], "high");
    let (cfg, _) = gen_config(
        &asking(Thinking::Off, Some(Effort::Minimal), None),
        GEMINI_PRO,
    );
    assert_eq!(cfg["thinkingConfig"]["thinkingLevel"], "low");
}

#[test]
fn an_explicit_budget_wins_over_levels() {
    let (cfg, _) = gen_config(
        &asking(Thinking::Budget { tokens: 5000 }, None, None),
        GEMINI_FLASH,
    );
    assert_eq!(
        cfg["thinkingConfig"],
        json!({"includeThoughts": true, "thinkingBudget": 5000})
    );
}

#[test]
fn effort_picks_a_budget_for_budget_only_models() {
    for (effort, want) in [
        (None, 16_000),
        (Some(Effort::Minimal), 1024),
        (Some(Effort::Low), 4096),
        (Some(Effort::Medium), 10_000),
        (Some(Effort::High), 16_000),
    ] {
        let (cfg, _) = gen_config(
            &asking(Thinking::Adaptive, effort, Some(32_000)),
            CLAUDE_THINKING,
        );
        assert_eq!(cfg["thinkingConfig"]["thinkingBudget"], want, "{effort:?}");
    }
}

#[test]
fn optional_models_think_only_when_asked() {
    let (cfg, plan) = gen_config(&chat(vec![user("hi")]), GEMINI_FLASH);
    assert!(!plan.thinking);
    assert!(cfg.get("thinkingConfig").is_none());
    let (cfg, plan) = gen_config(
        &asking(Thinking::Off, Some(Effort::Low), None),
        GEMINI_FLASH,
    );
    assert!(plan.thinking, "an effort alone asks for thinking");
    assert_eq!(cfg["thinkingConfig"]["thinkingLevel"], "low");
}

#[test]
fn thinking_models_always_think() {
    let (cfg, plan) = gen_config(&chat(vec![user("hi")]), CLAUDE_THINKING);
    assert!(plan.thinking);
    assert_eq!(cfg["thinkingConfig"]["thinkingBudget"], 16_000);
    assert!(
        plan.notes.iter().any(|n| n.contains("thinking model")),
        "{:?}",
        plan.notes
    );
}

#[test]
fn models_that_cannot_think_ignore_the_request() {
    let (cfg, plan) = gen_config(&asking(Thinking::Adaptive, None, None), GPT_OSS);
    assert!(!plan.thinking);
    assert!(cfg.get("thinkingConfig").is_none());
    assert!(
        plan.notes.iter().any(|n| n.contains("cannot think")),
        "{:?}",
        plan.notes
    );
}

#[test]
fn thinking_levels_get_their_allowance_on_top_of_the_clients_limit() {
    for (effort, level, allowance) in [
        (Effort::Minimal, "minimal", 512),
        (Effort::Low, "low", 1024),
        (Effort::Medium, "medium", 8192),
        (Effort::High, "high", 24_576),
    ] {
        let (cfg, plan) = gen_config(
            &asking(Thinking::Adaptive, Some(effort), Some(100)),
            GEMINI_FLASH,
        );
        assert_eq!(cfg["thinkingConfig"]["thinkingLevel"], level);
        assert_eq!(cfg["maxOutputTokens"], 100 + allowance, "{level}");
        assert!(
            plan.notes.iter().any(|n| n.contains("thinking allowance")),
            "{:?}",
            plan.notes
        );
    }
    let (cfg, _) = gen_config(
        &asking(Thinking::Adaptive, Some(Effort::High), Some(60_000)),
        GEMINI_FLASH,
    );
    assert_eq!(cfg["maxOutputTokens"], 65_536, "capped to the model limit");
    let (cfg, _) = gen_config(&asking(Thinking::Adaptive, None, None), GEMINI_FLASH);
    assert!(
        cfg.get("maxOutputTokens").is_none(),
        "no client limit, none sent"
    );
    let (cfg, _) = gen_config(&asking(Thinking::Off, None, Some(100)), GEMINI_FLASH);
    assert_eq!(
        cfg["maxOutputTokens"], 100,
        "without thinking the limit is the client's"
    );
}
