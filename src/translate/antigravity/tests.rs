//! Tests for the request builder: shared helpers here, one rule per test in the submodules.

mod contents;
mod fixtures;
mod generation;
mod thinking;
mod tools;

use std::collections::BTreeMap;

use serde_json::Value;

use super::{SignatureStore, UpstreamPlan, UpstreamTarget, build_request};
use crate::catalogue::{Catalogue, FamilyDefaults, ModelSpec};
use crate::translate::identity::IdentityRules;
use crate::translate::ir::{Block, ChatRequest, ErrorInfo, Message, Role};

const CLAUDE: &str = "claude-sonnet-4-6";
const CLAUDE_THINKING: &str = "claude-opus-4-6-thinking";
const GEMINI_FLASH: &str = "gemini-3-flash";
const GEMINI_PRO: &str = "gemini-pro-agent";
const GPT_OSS: &str = "gpt-oss-120b";

fn spec(id: &str) -> ModelSpec {
    let cat = Catalogue::builtin(&BTreeMap::new(), FamilyDefaults::default());
    cat.get(id)
        .expect("model in the built-in catalogue")
        .as_ref()
        .clone()
}

fn try_build(
    req: &ChatRequest,
    model: &str,
    store: &SignatureStore,
    now_ms: i64,
) -> Result<UpstreamPlan, ErrorInfo> {
    let spec = spec(model);
    let target = UpstreamTarget {
        spec: &spec,
        project: "proj-1",
        request_id: "agent-req-1",
        session_id: "-42",
        identity: &IdentityRules::default(),
    };
    build_request(req, &target, store, now_ms)
}

fn build(req: &ChatRequest, model: &str) -> UpstreamPlan {
    try_build(req, model, &SignatureStore::default(), 0).expect("request builds")
}

fn contents(plan: &UpstreamPlan) -> &Vec<Value> {
    plan.body["request"]["contents"]
        .as_array()
        .expect("contents array")
}

fn text(t: &str) -> Block {
    Block::Text { text: t.into() }
}

fn msg(role: Role, content: Vec<Block>) -> Message {
    Message { role, content }
}

fn user(t: &str) -> Message {
    msg(Role::User, vec![text(t)])
}

fn chat(messages: Vec<Message>) -> ChatRequest {
    ChatRequest {
        model: "client-model".into(),
        messages,
        ..ChatRequest::default()
    }
}

/// Every key anywhere in a JSON value, for "appears nowhere" assertions.
fn all_keys(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                out.push(k.clone());
                all_keys(v, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| all_keys(v, out)),
        _ => {}
    }
}

/// Every `text` part anywhere in the contents.
fn text_parts(plan: &UpstreamPlan) -> Vec<&str> {
    contents(plan)
        .iter()
        .flat_map(|c| c["parts"].as_array().into_iter().flatten())
        .filter_map(|p| p.get("text").and_then(Value::as_str))
        .collect()
}
