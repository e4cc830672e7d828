//! Accounts that stay usable: failover across three accounts, cooldowns that survive a restart,
//! quota reports that skip exhausted models and reveal new ones, and the `fast`/`opus`/custom
//! routes.

use std::time::Duration;

use anti_api_tui::accounts::{AccountPool, AccountRecord, SkipReason};
use anti_api_tui::config::{AccountsConfig, FlowConfig, FlowEntry};
use anti_api_tui::events::Bus;
use anti_api_tui::simulator::{Fault, FaultScope};
use serde_json::{Value, json};

use super::support::Harness;

fn ask(model: &str) -> Value {
    json!({"model": model, "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]})
}

fn only(account: &str) -> FaultScope {
    FaultScope {
        model: None,
        account: Some(format!("{account}@example.com")),
    }
}

#[tokio::test]
async fn three_accounts_fail_over_in_order_and_all_cooling_is_a_429() {
    let h = Harness::start(&["a1", "a2", "a3"]).await;
    h.sim.inject(Fault::QuotaExhausted, 1, only("a1"));
    h.sim.inject(Fault::RateLimited, 2, only("a2"));
    let (status, body) = h
        .post_json("/v1/messages", &ask("claude-opus-4-6-thinking"))
        .await;
    assert_eq!(status, 200, "{body}");
    let calls = h.sim.stats().calls_by_account;
    assert_eq!(calls.get("a1@example.com"), Some(&1));
    assert_eq!(
        calls.get("a2@example.com"),
        Some(&2),
        "a short rate limit is retried once on the same account"
    );
    assert_eq!(calls.get("a3@example.com"), Some(&1));
    // Now everyone is cooling for that model.
    h.sim.inject(Fault::QuotaExhausted, 1, only("a3"));
    let (status, _) = h
        .post_json("/v1/messages", &ask("claude-opus-4-6-thinking"))
        .await;
    assert_eq!(status, 429);
    let resp = h
        .post("/v1/messages", &ask("claude-opus-4-6-thinking"))
        .await;
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().contains_key("retry-after"));
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("earliest resets at"),
        "{body}"
    );
}

#[tokio::test]
async fn cooldowns_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("accounts.json");
    let now = chrono::Utc::now();
    let pool = AccountPool::load(path.clone(), AccountsConfig::default(), Bus::new()).unwrap();
    pool.upsert(AccountRecord::new("x@example.com", "sim-refresh-x", now))
        .unwrap();
    let id = pool.snapshot()[0].id.clone();
    pool.cool(
        &id,
        "gemini-3-flash",
        now + chrono::Duration::minutes(30),
        "QUOTA_EXHAUSTED",
    );
    pool.save_now().unwrap();
    drop(pool);
    let reloaded = AccountPool::load(path, AccountsConfig::default(), Bus::new()).unwrap();
    let selection = reloaded.select("gemini-3-flash", None, chrono::Utc::now());
    assert!(selection.usable.is_empty());
    assert!(
        matches!(&selection.skipped[0].1, SkipReason::Cooling { why, .. } if why == "QUOTA_EXHAUSTED")
    );
    assert_eq!(
        reloaded
            .select("claude-sonnet-4-6", None, chrono::Utc::now())
            .usable,
        vec![id]
    );
}

#[tokio::test]
async fn quota_reports_skip_exhausted_models_and_reveal_new_ones() {
    let h = Harness::start(&["q1", "q2"]).await;
    h.sim
        .set_quota("q1", "gemini-3-flash", 0.0, Duration::from_secs(3600));
    for account in h.core.accounts().snapshot() {
        h.core.refresh_quota(&account.id).await.unwrap();
    }
    let q1 = h
        .core
        .accounts()
        .snapshot()
        .into_iter()
        .find(|a| a.email.starts_with("q1"))
        .unwrap();
    assert!(q1.quota["gemini-3-flash"].remaining_fraction.abs() < 1e-9);
    let calls_before = h
        .sim
        .stats()
        .calls_by_account
        .get("q1@example.com")
        .copied()
        .unwrap_or(0);
    let (status, _) = h.post_json("/v1/messages", &ask("gemini-3-flash")).await;
    assert_eq!(status, 200, "q2 serves");
    assert_eq!(
        h.sim
            .stats()
            .calls_by_account
            .get("q1@example.com")
            .copied()
            .unwrap_or(0),
        calls_before,
        "q1 skipped by its quota report"
    );
    // The upstream's extra model and its forwarding alias are usable now.
    let models: Value = h
        .http
        .get(format!("{}/v1/models", h.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        models["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == "gemini-3.5-flash-sim"),
        "{models}"
    );
    let (status, body) = h
        .post_json("/v1/chat/completions", &ask("gemini-3.5-flash-sim"))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = h
        .post_json("/v1/chat/completions", &ask("gemini-2.5-pro"))
        .await;
    assert_eq!(status, 200, "deprecated id forwards");
    assert_eq!(
        h.sim.stats().last_request.unwrap()["model"],
        "gemini-pro-agent"
    );
}

#[tokio::test]
async fn opus_route_serves_an_opus_model() {
    let h = Harness::start(&["alice"]).await;
    let (status, body) = h.post_json("/v1/messages", &ask("opus")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["model"], "opus", "the client's name is echoed");
    let upstream = h.sim.stats().last_request.unwrap();
    assert!(
        upstream["model"].as_str().unwrap().contains("opus"),
        "{upstream}"
    );
}

#[tokio::test]
async fn fast_follows_the_measured_fastest_model() {
    let h = Harness::start(&["alice"]).await;
    // Before any data, the static order's first model serves.
    let (status, _) = h.post_json("/v1/messages", &ask("route:fast")).await;
    assert_eq!(status, 200);
    assert_eq!(
        h.sim.stats().last_request.unwrap()["model"],
        "gemini-3-flash"
    );
    // Measurements say another candidate answers faster.
    for _ in 0..3 {
        h.core.latency().record("gemini-3-flash", 900);
        h.core.latency().record("claude-sonnet-4-6", 50);
    }
    let (status, _) = h.post_json("/v1/messages", &ask("fast")).await;
    assert_eq!(status, 200);
    assert_eq!(
        h.sim.stats().last_request.unwrap()["model"],
        "claude-sonnet-4-6"
    );
}

#[tokio::test]
async fn custom_flows_by_prefix_and_bare_name_with_pinned_accounts() {
    let h = Harness::start_with(&["alice", "bob"], |c| {
        c.flows.push(FlowConfig {
            name: "mine".into(),
            entries: vec![FlowEntry {
                model: "gpt-oss-120b".into(),
                account: Some("bob@example.com".into()),
            }],
        });
    })
    .await;
    for name in ["route:mine", "mine"] {
        let (status, body) = h.post_json("/v1/chat/completions", &ask(name)).await;
        assert_eq!(status, 200, "{name}: {body}");
        assert_eq!(
            h.sim.stats().last_request.unwrap()["model"],
            "gpt-oss-120b-medium"
        );
    }
    assert_eq!(
        h.sim.stats().calls_by_account.get("bob@example.com"),
        Some(&2)
    );
    assert_eq!(
        h.sim.stats().calls_by_account.get("alice@example.com"),
        None
    );
}

#[tokio::test]
async fn a_configured_account_order_per_model_is_followed() {
    let h = Harness::start_with(&["first", "second"], |c| {
        c.models.account_order.insert(
            "claude-sonnet-4-6".into(),
            vec!["second@example.com".into()],
        );
    })
    .await;
    // The plan the CLI and the console show names the account the proxy then uses.
    let plan = h.core.plan("claude-sonnet-4-6", false, None).unwrap();
    assert_eq!(
        plan.email(&plan.targets[0].selection.usable[0]),
        "second@example.com"
    );
    assert!(plan.describe()[1].contains("on second@example.com, first@example.com"));
    let (status, _) = h.post_json("/v1/messages", &ask("claude-sonnet-4-6")).await;
    assert_eq!(status, 200);
    assert_eq!(
        h.sim.stats().calls_by_account.get("second@example.com"),
        Some(&1)
    );
    let (status, _) = h.post_json("/v1/messages", &ask("gemini-3-flash")).await;
    assert_eq!(status, 200);
    assert_eq!(
        h.sim.stats().calls_by_account.get("first@example.com"),
        Some(&1),
        "other models keep file order"
    );
}

#[tokio::test]
async fn the_account_header_pins_a_request_to_one_account() {
    let h = Harness::start(&["a1", "a2"]).await;
    let send = |account: &'static str| {
        h.http
            .post(format!("{}/v1/chat/completions", h.base))
            .header("x-anti-api-account", account)
            .json(&ask("gemini-3-flash"))
            .send()
    };
    // By e-mail and by id, always the named account, never the first in order.
    for _ in 0..3 {
        assert_eq!(send("a2@example.com").await.unwrap().status(), 200);
    }
    let a2 = h
        .core
        .accounts()
        .snapshot()
        .into_iter()
        .find(|a| a.email == "a2@example.com")
        .unwrap()
        .id;
    let by_id = h
        .http
        .post(format!("{}/v1/chat/completions", h.base))
        .header("x-anti-api-account", &a2)
        .json(&ask("gemini-3-flash"))
        .send()
        .await
        .unwrap();
    assert_eq!(by_id.status(), 200);
    let calls = h.sim.stats().calls_by_account;
    assert_eq!(calls.get("a2@example.com"), Some(&4));
    assert_eq!(calls.get("a1@example.com"), None);
    // A pinned account that fails is not replaced by another one.
    h.sim.inject(Fault::QuotaExhausted, 1, only("a2"));
    assert_eq!(send("a2@example.com").await.unwrap().status(), 429);
    assert_eq!(h.sim.stats().calls_by_account.get("a1@example.com"), None);
    // An unknown account is the client's mistake, named in its error format.
    let resp = send("nobody@example.com").await.unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("x-anti-api-account"), "{message}");
    assert!(message.contains("nobody@example.com"), "{message}");
}
