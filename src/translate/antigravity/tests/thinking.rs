//! Replayed thinking and thought signatures, per target family.

use serde_json::json;

use super::*;
use crate::catalogue::Family;
use crate::translate::antigravity::{SKIP_SIGNATURE, SignatureRecord};
use crate::translate::ir::{Thinking, ToolResultContent};

fn sig(tag: &str) -> String {
    format!("{tag}-{}", "x".repeat(64))
}

fn thinking(t: &str, signature: Option<&str>) -> Block {
    Block::Thinking {
        text: t.into(),
        signature: signature.map(str::to_owned),
    }
}

fn call(id: &str) -> Block {
    Block::ToolUse {
        id: id.into(),
        name: "Bash".into(),
        input: json!({"command": "ls"}),
    }
}

fn result(id: &str) -> Block {
    Block::ToolResult {
        tool_use_id: id.into(),
        content: vec![ToolResultContent::Text { text: "ok".into() }],
        is_error: false,
    }
}

/// user → assistant(blocks) → user(tool result for `t1`), with thinking asked for.
fn tool_loop(assistant: Vec<Block>) -> ChatRequest {
    let mut req = chat(vec![
        user("go"),
        msg(Role::Assistant, assistant),
        msg(Role::User, vec![result("t1")]),
    ]);
    req.thinking = Thinking::Budget { tokens: 2048 };
    req.max_tokens = Some(8000);
    req
}

fn model_parts(plan: &UpstreamPlan) -> &Vec<Value> {
    contents(plan)[1]["parts"].as_array().unwrap()
}

#[test]
fn signed_thinking_is_replayed_first_for_claude() {
    let s = sig("claude");
    let req = tool_loop(vec![
        text("let me look"),
        call("t1"),
        thinking("hmm", Some(&s)),
    ]);
    let plan = build(&req, CLAUDE_THINKING);
    assert!(plan.thinking);
    assert_eq!(
        *model_parts(&plan),
        vec![
            json!({"text": "hmm", "thought": true, "thoughtSignature": s}),
            json!({"text": "let me look"}),
            json!({"functionCall": {"name": "Bash", "args": {"command": "ls"}, "id": "t1"}}),
        ],
        "thinking → text → tool calls"
    );
}

#[test]
fn a_short_client_signature_is_used_as_given() {
    let req = tool_loop(vec![
        thinking("Let me think.", Some("sig_stub_abc")),
        call("t1"),
    ]);
    let plan = build(&req, CLAUDE_THINKING);
    assert_eq!(model_parts(&plan)[0]["thoughtSignature"], "sig_stub_abc");
}

#[test]
fn unsigned_thinking_is_signed_from_the_store_or_dropped() {
    let mut store = SignatureStore::default();
    store.record(
        SignatureRecord::Thinking {
            family: Family::Claude,
            text: "known".into(),
            signature: sig("k"),
        },
        0,
    );
    let mut req = chat(vec![
        user("a"),
        msg(Role::Assistant, vec![thinking("known", None), text("one")]),
        user("b"),
        msg(
            Role::Assistant,
            vec![thinking("unknown", None), text("two")],
        ),
        user("c"),
    ]);
    req.thinking = Thinking::Adaptive;
    let plan = try_build(&req, CLAUDE_THINKING, &store, 1000).unwrap();
    let c = contents(&plan);
    assert_eq!(
        c[1]["parts"][0],
        json!({"text": "known", "thought": true, "thoughtSignature": sig("k")})
    );
    assert_eq!(c[3]["parts"], json!([{"text": "two"}]));
    assert!(
        plan.notes.iter().any(|n| n.contains("unsigned")),
        "{:?}",
        plan.notes
    );
}

#[test]
fn a_signature_from_another_family_is_dropped() {
    let gemini_sig = sig("gemini");
    let mut store = SignatureStore::default();
    store.record(
        SignatureRecord::Thinking {
            family: Family::Gemini,
            text: "g".into(),
            signature: gemini_sig.clone(),
        },
        0,
    );
    let mut req = chat(vec![
        user("a"),
        msg(
            Role::Assistant,
            vec![thinking("g", Some(&gemini_sig)), text("answer")],
        ),
        user("b"),
    ]);
    req.thinking = Thinking::Adaptive;
    let plan = try_build(&req, CLAUDE_THINKING, &store, 0).unwrap();
    assert_eq!(contents(&plan)[1]["parts"], json!([{"text": "answer"}]));
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("another model family")),
        "{:?}",
        plan.notes
    );
}

#[test]
fn a_tool_loop_missing_its_thinking_gets_the_remembered_block() {
    let mut store = SignatureStore::default();
    store.record(
        SignatureRecord::ToolThinking {
            tool_id: "t1".into(),
            family: Family::Claude,
            text: "plan".into(),
            signature: sig("p"),
        },
        0,
    );
    let req = tool_loop(vec![call("t1")]);
    let plan = try_build(&req, CLAUDE_THINKING, &store, 10).unwrap();
    assert!(plan.thinking);
    assert_eq!(
        model_parts(&plan)[0],
        json!({"text": "plan", "thought": true, "thoughtSignature": sig("p")})
    );
    assert!(plan.body["request"]["generationConfig"]["thinkingConfig"].is_object());
    assert!(
        plan.notes.iter().any(|n| n.contains("re-injected")),
        "{:?}",
        plan.notes
    );
}

#[test]
fn a_tool_loop_without_any_signature_turns_thinking_off() {
    let req = tool_loop(vec![thinking("no sig", None), call("t1")]);
    let plan = build(&req, CLAUDE_THINKING);
    assert!(!plan.thinking);
    assert!(
        plan.body["request"]["generationConfig"]
            .get("thinkingConfig")
            .is_none()
    );
    let parts = model_parts(&plan);
    assert_eq!(parts.len(), 1, "no invented thinking: {parts:?}");
    assert!(parts[0].get("functionCall").is_some());
    assert!(
        plan.notes.iter().any(|n| n.contains("thinking disabled")),
        "{:?}",
        plan.notes
    );
}

#[test]
fn an_earlier_unsigned_tool_turn_does_not_matter() {
    // Only the last assistant turn must open with signed thinking.
    let mut req = chat(vec![
        user("go"),
        msg(Role::Assistant, vec![call("t0")]),
        msg(Role::User, vec![result("t0")]),
        msg(Role::Assistant, vec![text("done")]),
        user("thanks"),
    ]);
    req.thinking = Thinking::Adaptive;
    let plan = build(&req, CLAUDE_THINKING);
    assert!(plan.thinking);
}

#[test]
fn thinking_is_not_replayed_when_thinking_is_off() {
    let s = sig("c");
    let req = chat(vec![
        user("a"),
        msg(Role::Assistant, vec![thinking("t", Some(&s)), text("x")]),
        user("b"),
    ]);
    let plan = build(&req, CLAUDE);
    assert_eq!(contents(&plan)[1]["parts"], json!([{"text": "x"}]));
}

#[test]
fn gemini_drops_thinking_and_signs_every_call() {
    let mut store = SignatureStore::default();
    store.record(
        SignatureRecord::ToolCall {
            tool_id: "known".into(),
            signature: "gsig".into(),
        },
        0,
    );
    let req = chat(vec![
        user("go"),
        msg(
            Role::Assistant,
            vec![thinking("t", Some(&sig("g"))), call("known"), call("lost")],
        ),
        msg(Role::User, vec![result("known"), result("lost")]),
    ]);
    let plan = try_build(&req, GEMINI_FLASH, &store, 0).unwrap();
    let parts = model_parts(&plan);
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0]["thoughtSignature"], "gsig");
    assert_eq!(parts[1]["thoughtSignature"], SKIP_SIGNATURE);
    assert!(parts.iter().all(|p| p.get("thought").is_none()));
}

#[test]
fn gpt_oss_drops_thinking_and_adds_no_signatures() {
    let req = chat(vec![
        user("go"),
        msg(
            Role::Assistant,
            vec![thinking("t", Some(&sig("x"))), call("c")],
        ),
        msg(Role::User, vec![result("c")]),
    ]);
    let plan = build(&req, GPT_OSS);
    assert_eq!(
        *model_parts(&plan),
        vec![json!({"functionCall": {"name": "Bash", "args": {"command": "ls"}, "id": "c"}})]
    );
}

#[test]
fn claude_never_gets_the_skip_sentinel() {
    let req = tool_loop(vec![call("t1")]);
    let plan = build(&req, CLAUDE_THINKING);
    assert!(!plan.body.to_string().contains(SKIP_SIGNATURE));
}
