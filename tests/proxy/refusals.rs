//! Refusals that are not quota, end to end against the strict simulator: identity texts in the
//! system prompt (stripped before they go upstream), a prompt the gateway refuses with a bare
//! 429 (no fan-out, no cooldown), and `403 VALIDATION_REQUIRED` (shown once, account marked).

use anti_api_tui::simulator::{Fault, FaultScope, VALIDATION_URL};
use serde_json::{Value, json};

use super::support::Harness;

const BILLING: &str = "x-anthropic-billing-header: cc_version=2.1.330.d01; cc_entrypoint=sdk-cli;";
const SDK: &str = "You are a Claude agent, built on Anthropic's Claude Agent SDK.";

/// An Anthropic body with Claude Code's system blocks.
fn anthropic(stream: bool) -> Value {
    json!({
        "model": "gemini-3-flash",
        "max_tokens": 200,
        "stream": stream,
        "system": [
            {"type": "text", "text": BILLING},
            {"type": "text", "text": SDK},
            {"type": "text", "text": "You are an agent working with the user."},
        ],
        "messages": [{"role": "user", "content": "hi"}],
    })
}

/// The same prompt as an OpenAI body (a converter in front of Claude Code sends this).
fn openai(stream: bool) -> Value {
    json!({
        "model": "gemini-3-flash",
        "stream": stream,
        "messages": [
            {"role": "system", "content": format!("{BILLING}\n{SDK}\nYou are an agent working with the user.")},
            {"role": "user", "content": "hi"},
        ],
    })
}

fn bodies() -> [(&'static str, bool, Value); 4] {
    [
        ("/v1/messages", false, anthropic(false)),
        ("/v1/messages", true, anthropic(true)),
        ("/v1/chat/completions", false, openai(false)),
        ("/v1/chat/completions", true, openai(true)),
    ]
}

async fn status_and_text(h: &Harness, path: &str, body: &Value) -> (u16, String) {
    let response = h.post(path, body).await;
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn identity_texts_are_stripped_for_both_apis_and_the_strict_gateway_answers() {
    let h = Harness::start(&["alice"]).await;
    for (path, stream, body) in bodies() {
        let (status, text) = status_and_text(&h, path, &body).await;
        assert_eq!(status, 200, "{path} stream={stream}: {text}");
        let sent = h.sim.stats().last_request.unwrap()["request"]["systemInstruction"].to_string();
        assert!(
            !sent.contains("x-anthropic-billing-header") && !sent.contains("Agent SDK"),
            "{path} stream={stream}: {sent}"
        );
        assert!(
            sent.contains("You are an agent working with the user."),
            "{sent}"
        );
    }
    let stats = h.sim.stats();
    assert_eq!(stats.identity_refusals, 0);
    assert_eq!(stats.calls_by_account.get("alice@example.com"), Some(&4));
}

#[tokio::test]
async fn a_refused_prompt_is_tried_twice_on_one_account_and_cools_nobody() {
    // With the built-in list off, Claude Code's identity reaches the strict gateway, which
    // answers the bare fake 429 every time: exactly what a not-yet-known identity text does.
    let h = Harness::start_with(&["alice", "bob", "carol"], |c| {
        c.upstream.identity.builtin = false;
    })
    .await;
    for (i, (path, stream, body)) in bodies().into_iter().enumerate() {
        let before = h.sim.stats();
        let (status, text) = status_and_text(&h, path, &body).await;
        assert_eq!(status, 400, "{path} stream={stream}: {text}");
        let error: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(error["error"]["type"], "invalid_request_error", "{text}");
        let message = error["error"]["message"].as_str().unwrap();
        for needle in [
            "refused this prompt",
            "not a quota problem",
            "[upstream.identity]",
        ] {
            assert!(message.contains(needle), "{needle}: {message}");
        }
        let after = h.sim.stats();
        assert_eq!(
            after.identity_refusals - before.identity_refusals,
            2,
            "{path}"
        );
        assert_eq!(
            after.generate_calls - before.generate_calls,
            2,
            "{path}: one retry"
        );
        let first = after.calls_by_account.get("alice@example.com");
        assert_eq!(
            first,
            Some(&(2 * (i as u64 + 1))),
            "{:?}",
            after.calls_by_account
        );
        assert_eq!(after.calls_by_account.len(), 1, "no other account tried");
    }
    for account in h.core.accounts().snapshot() {
        assert!(
            account.cooldowns.is_empty(),
            "{} cooled: {:?}",
            account.id,
            account.cooldowns
        );
    }
    assert_eq!(h.core.usable_accounts(), 3);
}

#[tokio::test]
async fn a_real_quota_429_still_fails_over() {
    let h = Harness::start(&["alice", "bob"]).await;
    h.sim.inject(
        Fault::QuotaExhausted,
        1,
        FaultScope {
            model: None,
            account: Some("alice@example.com".into()),
        },
    );
    let (status, text) = status_and_text(&h, "/v1/messages", &anthropic(false)).await;
    assert_eq!(status, 200, "{text}");
    let calls = h.sim.stats().calls_by_account;
    assert_eq!(
        (calls.get("alice@example.com"), calls.get("bob@example.com")),
        (Some(&1), Some(&1))
    );
    let alice = h
        .core
        .accounts()
        .snapshot()
        .into_iter()
        .find(|a| a.matches("alice@example.com"))
        .unwrap();
    assert_eq!(alice.cooldowns.len(), 1, "the quota 429 cooled alice");
}

#[tokio::test]
async fn validation_required_is_shown_once_and_marks_the_account() {
    // Two hosts configured: the 403 must not be replayed on the second one.
    let h = Harness::start_with(&["alice"], |c| {
        let first = c.upstream.endpoints[0].clone();
        c.upstream.endpoints.push(first);
    })
    .await;
    h.sim
        .inject(Fault::ValidationRequired, 1, FaultScope::default());
    for (path, stream, body) in bodies() {
        let before = h.sim.stats().generate_calls;
        let (status, text) = status_and_text(&h, path, &body).await;
        assert_eq!(status, 403, "{path} stream={stream}: {text}");
        assert!(
            text.contains(VALIDATION_URL),
            "{path}: the link is shown: {text}"
        );
        let calls = h.sim.stats().generate_calls - before;
        // The first request meets the 403 once (one host); later ones do not reach Google.
        let expected = u64::from(path == "/v1/messages" && !stream);
        assert_eq!(calls, expected, "{path} stream={stream}");
    }
    let alice = h.core.accounts().snapshot().remove(0);
    let mark = alice.quarantined.clone().expect("the account is marked");
    assert!(mark.contains(VALIDATION_URL), "{mark}");
    // After the user verified the account and enabled it again, it serves.
    assert!(h.core.accounts().set_disabled(&alice.id, false));
    let (status, text) = status_and_text(&h, "/v1/messages", &anthropic(false)).await;
    assert_eq!(status, 200, "{text}");
}
