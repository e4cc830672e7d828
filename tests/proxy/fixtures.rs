//! Real Claude Code request bodies (captured from 2.1.197 and 2.1.330) through the proxy: the
//! simulator, which refuses what the real upstream refuses, must accept what we send.

use serde_json::{Value, json};

use super::support::Harness;

fn fixture(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/claude-code")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str::<Value>(&text).unwrap()["body"].clone()
}

#[tokio::test]
async fn first_turns_of_both_versions_are_accepted() {
    let h = Harness::start(&["alice"]).await;
    for (name, model) in [
        ("claude-code-2.1.197-p-hi.json", "claude-opus-4-8"),
        ("claude-code-2.1.330-p-hi.json", "claude-opus-5-5"),
    ] {
        let mut body = fixture(name);
        body["model"] = json!(model);
        body["max_tokens"] = json!(32000);
        let (status, events) = h.post_sse("/v1/messages?beta=true", &body).await;
        assert_eq!(status, 200, "{name}: {events:?}");
        assert_eq!(
            events.last().unwrap().0.as_deref(),
            Some("message_stop"),
            "{name}"
        );
        let upstream = h.sim.stats().last_request.unwrap();
        assert_eq!(
            upstream["model"], "claude-opus-4-6-thinking",
            "{name}: family default"
        );
        let text = upstream.to_string();
        for forbidden in [
            "cache_control",
            "$schema",
            "additionalProperties",
            "defer_loading",
            // Identity texts the gateway answers with a fake 429 (`docs/upstream.md`).
            "x-anthropic-billing-header",
            "Claude Agent SDK",
        ] {
            assert!(
                !text.contains(forbidden),
                "{name}: {forbidden} reached the upstream"
            );
        }
    }
    assert!(
        h.sim.stats().rejected.is_empty(),
        "{:?}",
        h.sim.stats().rejected
    );
}

#[tokio::test]
async fn the_tool_round_trip_with_signed_thinking_is_accepted() {
    let h = Harness::start(&["alice"]).await;
    // Turn one: Claude Code asks to run `echo hi`; the model thinks, then calls Bash.
    let mut first = fixture("claude-code-2.1.197-p-hi.json");
    first["model"] = json!("claude-sonnet-4-6");
    first["messages"] =
        json!([{"role": "user", "content": [{"type": "text", "text": "run echo hi"}]}]);
    first["stream"] = json!(false);
    let (status, answer) = h.post_json("/v1/messages?beta=true", &first).await;
    assert_eq!(status, 200, "{answer}");
    let blocks = answer["content"].as_array().unwrap();
    let thinking = blocks
        .iter()
        .find(|b| b["type"] == "thinking")
        .expect("thinking shown to Claude Code")
        .clone();
    let tool_use = blocks
        .iter()
        .find(|b| b["type"] == "tool_use")
        .expect("a Bash call")
        .clone();
    assert_eq!(tool_use["name"], "Bash");
    assert_eq!(tool_use["input"]["command"], "echo hi");

    // Turn two: the captured second request, with this conversation's real blocks in place.
    let mut second = fixture("claude-code-2.1.197-tool-roundtrip-2nd-request.json");
    second["model"] = json!("claude-sonnet-4-6");
    let messages = second["messages"].as_array_mut().unwrap();
    messages[0] = json!({"role": "user", "content": [{"type": "text", "text": "run echo hi"}]});
    messages[2]["content"] = json!([thinking, tool_use]);
    messages[3]["content"][0]["tool_use_id"] = tool_use["id"].clone();
    let (status, events) = h.post_sse("/v1/messages?beta=true", &second).await;
    assert_eq!(status, 200, "{events:?}");
    let text: String = events
        .iter()
        .filter_map(|(_, d)| d["delta"]["text"].as_str())
        .collect();
    assert!(text.contains("Tool Bash returned: hi"), "{text}");
    assert!(
        h.sim.stats().rejected.is_empty(),
        "{:?}",
        h.sim.stats().rejected
    );
    let upstream = h.sim.stats().last_request.unwrap();
    // The mid-conversation system message travelled as user-side context, in place.
    assert!(
        upstream.to_string().contains("Available agent types"),
        "mid-conversation system kept"
    );
}
