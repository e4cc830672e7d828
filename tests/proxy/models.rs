//! Models and notices are data, and the version gate: retired ids reach their successors, the
//! live list's `deprecatedModelIds` and omissions are honoured, in-band 200 notices never reach
//! the client as an answer, and the client version is discovered from the updater manifest.

use std::time::Duration;

use anti_api_tui::translate::antigravity::NoticeKind;
use serde_json::{Value, json};

use super::support::{Harness, parse_sse};

/// The four ways a client asks: (path, streaming).
const WAYS: [(&str, bool); 4] = [
    ("/v1/messages", false),
    ("/v1/messages", true),
    ("/v1/chat/completions", false),
    ("/v1/chat/completions", true),
];

fn body(path: &str, model: &str, stream: bool, text: &str) -> Value {
    let mut b = json!({"model": model, "stream": stream,
        "messages": [{"role": "user", "content": text}]});
    if path == "/v1/messages" {
        b["max_tokens"] = json!(256);
    }
    b
}

/// Asks one way and returns the status and the answer's text (or the error's message).
async fn ask(h: &Harness, (path, stream): (&str, bool), model: &str, text: &str) -> (u16, String) {
    let resp = h.post(path, &body(path, model, stream, text)).await;
    let status = resp.status().as_u16();
    let raw = resp.text().await.unwrap();
    if status != 200 {
        let v: Value = serde_json::from_str(&raw).unwrap_or_else(|e| panic!("{e}: {raw}"));
        return (
            status,
            v["error"]["message"].as_str().unwrap_or("").to_owned(),
        );
    }
    if !stream {
        let v: Value = serde_json::from_str(&raw).unwrap();
        let text = v["content"][0]["text"]
            .as_str()
            .or_else(|| v["choices"][0]["message"]["content"].as_str())
            .unwrap_or_default();
        return (status, text.to_owned());
    }
    let mut out = String::new();
    for (name, data) in parse_sse(&raw) {
        if name.as_deref() == Some("error") {
            out.push_str("[error] ");
            out.push_str(data["error"]["message"].as_str().unwrap_or_default());
        }
        if let Some(t) = data["delta"]["text"].as_str() {
            out.push_str(t);
        }
        if let Some(t) = data["choices"][0]["delta"]["content"].as_str() {
            out.push_str(t);
        }
    }
    (status, out)
}

/// Reads every account's live list now.
async fn refresh_all(h: &Harness) {
    for account in h.core.accounts().snapshot() {
        h.core.refresh_quota(&account.id).await.unwrap();
    }
}

fn last_model(h: &Harness) -> String {
    h.sim.stats().last_request.unwrap()["model"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn retired_ids_a_client_still_uses_reach_their_successors() {
    let h = Harness::start(&["alice"]).await;
    for (old, new) in [
        ("claude-sonnet-4-5", "claude-sonnet-4-6"),
        ("claude-sonnet-4-5-thinking", "claude-sonnet-4-6"),
        ("claude-opus-4-5-thinking", "claude-opus-4-6-thinking"),
        ("gemini-3-pro-high", "gemini-pro-agent"),
        ("gemini-3-pro-low", "gemini-3.1-pro-low"),
    ] {
        for way in WAYS {
            let (status, text) = ask(&h, way, old, "hi").await;
            assert_eq!(status, 200, "{old} {way:?}: {text}");
            assert!(
                text.contains("Hello from the Antigravity simulator"),
                "{text}"
            );
            assert_eq!(last_model(&h), new, "{old} is never sent upstream");
        }
    }
    // Claude Code's default names go to today's models too.
    for (name, upstream) in [
        ("claude-opus-4-8", "claude-opus-4-6-thinking"),
        ("claude-haiku-4-5-20251001", "claude-sonnet-4-6"),
    ] {
        let (status, _) = ask(&h, WAYS[0], name, "hi").await;
        assert_eq!(status, 200);
        assert_eq!(last_model(&h), upstream);
    }
}

#[tokio::test]
async fn deprecated_ids_in_the_live_list_override_builtin_ids() {
    let h = Harness::start(&["alice"]).await;
    h.sim
        .retire("gemini-3.1-flash-lite", Some("gemini-3-flash"), None);
    refresh_all(&h).await;
    for way in WAYS {
        let (status, text) = ask(&h, way, "gemini-3.1-flash-lite", "hi").await;
        assert_eq!(status, 200, "{way:?}: {text}");
        assert_eq!(last_model(&h), "gemini-3-flash");
    }
    // `/v1/models` no longer offers it.
    let (_, listed) = h.get_json("/v1/models").await;
    let ids: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert!(ids.contains(&"gemini-3-flash"), "{ids:?}");
    assert!(!ids.contains(&"gemini-3.1-flash-lite"), "{ids:?}");
}

#[tokio::test]
async fn a_model_no_live_list_carries_goes_to_its_family_default() {
    let h = Harness::start(&["alice", "bob"]).await;
    h.sim.retire("gemini-3.7-flash-high", None, None);
    refresh_all(&h).await;
    let calls = h.sim.stats().generate_calls;
    let (status, text) = ask(&h, WAYS[2], "gemini-3.7-flash-high", "hi").await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(last_model(&h), "gemini-3-flash");
    assert_eq!(
        h.sim.stats().generate_calls,
        calls + 1,
        "no call for the model that is gone"
    );
}

#[tokio::test]
async fn a_retirement_notice_is_never_an_answer_and_the_successor_is_learnt() {
    let notice = "Gemini 3.1 Flash Lite is no longer available. Please switch to Gemini 3 Flash \
                  in the latest version of Antigravity.";
    for way in WAYS {
        let h = Harness::start(&["alice"]).await;
        // The live list has not been read since: only the answer says the model is gone.
        h.sim.retire("gemini-3.1-flash-lite", None, Some(notice));
        let (status, text) = ask(&h, way, "gemini-3.1-flash-lite", "hi").await;
        assert_eq!(status, 200, "{way:?}: {text}");
        assert!(!text.contains("no longer available"), "{way:?}: {text}");
        assert!(text.contains("(gemini-3-flash)"), "{way:?}: {text}");
        assert_eq!(
            h.sim.stats().generate_calls,
            2,
            "the notice, then the successor"
        );
        // Learnt: the next request goes to the successor at once.
        let (status, _) = ask(&h, way, "gemini-3.1-flash-lite", "again").await;
        assert_eq!(status, 200);
        assert_eq!(h.sim.stats().generate_calls, 3);
        assert_eq!(last_model(&h), "gemini-3-flash");
    }
}

#[tokio::test]
async fn a_retired_model_without_successor_is_a_404_naming_it() {
    let h = Harness::start(&["alice"]).await;
    h.sim.retire(
        "gemini-3-flash",
        None,
        Some("Gemini 3 Flash is no longer available."),
    );
    for way in WAYS {
        let (status, message) = ask(&h, way, "gemini-3-flash", "hi").await;
        assert_eq!(status, 404, "{way:?}: {message}");
        assert!(
            message.contains("gemini-3-flash") && message.contains("no longer available"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn user_phrases_extend_the_notice_table() {
    let h = Harness::start_with(&["alice"], |c| {
        c.upstream.notices.insert(
            "Hello from the Antigravity simulator (gemini-3.1-flash-lite)".into(),
            NoticeKind::Retired,
        );
        c.upstream.notices.insert(
            "hello from the antigravity simulator (gpt-oss-120b-medium)".into(),
            NoticeKind::Version,
        );
    })
    .await;
    let (status, text) = ask(&h, WAYS[1], "gemini-3.1-flash-lite", "hi").await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("(gemini-3-flash)"), "{text}");
    let (status, message) = ask(&h, WAYS[3], "gpt-oss-120b", "hi").await;
    assert_eq!(status, 503, "{message}");
}

#[tokio::test]
async fn a_version_notice_tries_the_next_endpoint_then_says_what_to_change() {
    // Below the gateway's floor: every endpoint answers the "no longer supported" notice.
    let h = Harness::start_with(&["alice"], |c| {
        let sim = c.upstream.endpoints[0].clone();
        c.upstream.endpoints = vec![sim.clone(), sim];
        c.upstream.antigravity_version = Some("2.8.0".parse().unwrap());
    })
    .await;
    for (i, way) in WAYS.into_iter().enumerate() {
        let (status, message) = ask(&h, way, "gemini-3-flash", "hi").await;
        assert_eq!(status, 503, "{way:?}: {message}");
        assert!(
            message.contains("no longer supported")
                && message.contains("antigravity_version")
                && message.contains("ANTI_API_ANTIGRAVITY_VERSION")
                && message.contains("2.8.0"),
            "{message}"
        );
        assert_eq!(
            h.sim.stats().generate_calls,
            2 * (i as u64 + 1),
            "one try per endpoint, no other account or model"
        );
    }
}

#[tokio::test]
async fn a_model_newer_than_the_floor_needs_the_discovered_version() {
    // The manifest cannot be read: the floor is reported, and the newest model refuses it.
    let h = Harness::start_with(&["alice"], |c| {
        c.upstream.version_manifest_url = "http://127.0.0.1:9/manifest/latest-arm64-mac.yml".into();
    })
    .await;
    for way in WAYS {
        let (status, message) = ask(&h, way, "gemini-3.7-flash-high", "hi").await;
        assert_eq!(status, 503, "{way:?}: {message}");
        assert!(
            message.contains("not available on this version"),
            "{message}"
        );
    }
    // A failed read never blocks serving: other models answer with the floor.
    let (status, _) = ask(&h, WAYS[0], "gemini-3-flash", "hi").await;
    assert_eq!(status, 200);
    assert!(
        h.sim
            .stats()
            .user_agents
            .iter()
            .all(|ua| ua.starts_with("antigravity/hub/2.9.1 ")),
        "{:?}",
        h.sim.stats().user_agents
    );

    // With the manifest (the harness points it at the simulator) the same request is served.
    let h = Harness::start(&["alice"]).await;
    for way in WAYS {
        let (status, text) = ask(&h, way, "gemini-3.7-flash-high", "hi").await;
        assert_eq!(status, 200, "{way:?}: {text}");
    }
    let seen = h.sim.stats();
    assert_eq!(seen.manifest_calls, 1, "read once, then only when due");
    assert!(
        seen.user_agents
            .iter()
            .all(|ua| ua.starts_with("antigravity/hub/2.10.0 ")),
        "{:?}",
        seen.user_agents
    );
}

#[tokio::test]
async fn the_discovered_version_is_kept_for_an_offline_start() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("antigravity-version.json");
    let h = Harness::start(&["alice"]).await;
    h.core.set_version_cache(cache.clone());
    let (status, _) = ask(&h, WAYS[0], "gemini-3-flash", "hi").await;
    assert_eq!(status, 200);
    let kept: Value = serde_json::from_str(&std::fs::read_to_string(&cache).unwrap()).unwrap();
    assert_eq!(kept["version"], "2.10.0");
    drop(h);

    // Offline: the manifest is unreachable, the kept version is reported at once.
    let h = Harness::start_with(&["alice"], |c| {
        c.upstream.version_manifest_url = "http://127.0.0.1:9/manifest/latest-arm64-mac.yml".into();
    })
    .await;
    h.core.set_version_cache(cache);
    let started = std::time::Instant::now();
    let (status, text) = ask(&h, WAYS[0], "gemini-3.7-flash-high", "hi").await;
    assert_eq!(status, 200, "{text}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "not held up by the failed read"
    );
    assert_eq!(h.core.client_version().to_string(), "2.10.0");
}

#[tokio::test]
async fn the_configured_version_wins_and_nothing_is_fetched() {
    let h = Harness::start_with(&["alice"], |c| {
        c.upstream.antigravity_version = Some("2.11.4".parse().unwrap());
    })
    .await;
    let (status, _) = ask(&h, WAYS[2], "gemini-3-flash", "hi").await;
    assert_eq!(status, 200);
    let seen = h.sim.stats();
    assert_eq!(seen.manifest_calls, 0);
    assert!(
        seen.user_agents
            .iter()
            .all(|ua| ua.starts_with("antigravity/hub/2.11.4 ")),
        "{:?}",
        seen.user_agents
    );
}

#[tokio::test]
async fn a_404_for_a_model_the_list_has_since_dropped_goes_to_the_successor() {
    for (successor, expected) in [
        (Some("gemini-3-flash-agent"), "gemini-3-flash-agent"),
        (None, "gemini-3-flash"),
    ] {
        let h = Harness::start(&["alice"]).await;
        // Retired after the proxy last read the list: the first call meets the 404.
        h.sim.retire("gemini-3.1-flash-lite", successor, None);
        let (status, text) = ask(&h, WAYS[3], "gemini-3.1-flash-lite", "hi").await;
        assert_eq!(status, 200, "{successor:?}: {text}");
        assert_eq!(last_model(&h), expected);
        assert_eq!(
            h.sim.stats().generate_calls,
            2,
            "the 404, then the successor"
        );
    }
    // A 404 the list does not explain stays a 404 (the model may not be on the tier).
    let h = Harness::start(&["alice"]).await;
    h.sim.retire("gemini-3.1-flash-lite", None, None);
    h.sim.retire("gemini-3-flash", None, None);
    let (status, message) = ask(&h, WAYS[0], "gemini-3.1-flash-lite", "hi").await;
    assert_eq!(status, 404, "{message}");
}
