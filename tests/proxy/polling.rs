//! Quota polling is lazy: an account is polled when it serves a request and its report is stale,
//! after a quota 429, and when the console asks; never at start or on a timer, and an idle
//! account's token is not refreshed for it.

use std::time::Duration;

use anti_api_tui::simulator::{Fault, FaultScope};
use serde_json::json;

use super::support::Harness;

/// Waits (bounded) until the simulator has answered `n` `fetchAvailableModels` calls.
async fn wait_fetches(h: &Harness, n: u64) -> u64 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let seen = h.sim.stats().fetch_models_calls;
        if seen >= n || tokio::time::Instant::now() > deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn ask_as(h: &Harness, account: &str, stream: bool) {
    let body = json!({"model": "gemini-3-flash", "max_tokens": 50, "stream": stream,
                      "messages": [{"role": "user", "content": "hi"}]});
    let response = h
        .http
        .post(format!("{}/v1/messages", h.base))
        .header("authorization", "Bearer test")
        .header("x-anti-api-account", account)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.bytes().await.unwrap();
}

fn fetched(h: &Harness, email: &str) -> bool {
    h.core
        .accounts()
        .snapshot()
        .into_iter()
        .any(|a| a.matches(email) && a.quota_fetched_at.is_some())
}

#[tokio::test]
async fn an_account_is_polled_when_it_serves_and_its_report_is_stale() {
    // A 2 s interval: the jitter before a poll is at most 0.2 s.
    let h = Harness::start_with(&["alice", "bob"], |c| c.accounts.quota_refresh_s = 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        h.sim.stats().fetch_models_calls,
        0,
        "nothing is polled at start"
    );
    assert_eq!(h.sim.stats().token_refreshes, 0);

    ask_as(&h, "alice@example.com", false).await;
    assert_eq!(wait_fetches(&h, 1).await, 1);
    assert!(fetched(&h, "alice@example.com"));
    // The poll used the token the request had: one refresh, alice's; bob stays idle.
    assert_eq!(h.sim.stats().token_refreshes, 1);
    assert!(
        !fetched(&h, "bob@example.com"),
        "an idle account is not polled"
    );

    // A fresh report is not polled again.
    ask_as(&h, "alice@example.com", true).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(h.sim.stats().fetch_models_calls, 1);
    // Once it is stale, the next use polls it.
    tokio::time::sleep(Duration::from_secs(2)).await;
    ask_as(&h, "alice@example.com", false).await;
    assert_eq!(wait_fetches(&h, 2).await, 2);
    assert_eq!(h.sim.stats().token_refreshes, 1);
}

#[tokio::test]
async fn the_console_polls_stale_accounts_one_after_another_and_only_once() {
    let h = Harness::start_with(&["alice", "bob", "carol"], |c| {
        c.accounts.quota_refresh_s = 10;
    })
    .await;
    let started = tokio::time::Instant::now();
    h.core.poll_stale_quotas();
    h.core.poll_stale_quotas(); // asked twice (two tab switches): no second poll
    assert_eq!(wait_fetches(&h, 3).await, 3);
    // Staggered: three polls at least half the 1 s jitter bound apart.
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    h.core.poll_stale_quotas();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        h.sim.stats().fetch_models_calls,
        3,
        "fresh reports are not polled"
    );
}

#[tokio::test]
async fn a_quota_429_polls_the_account_at_once() {
    let h = Harness::start_with(&["alice", "bob"], |c| c.accounts.quota_refresh_s = 3600).await;
    ask_as(&h, "alice@example.com", false).await;
    assert_eq!(wait_fetches(&h, 1).await, 1);
    h.sim.inject(
        Fault::QuotaExhausted,
        1,
        FaultScope {
            model: None,
            account: Some("alice@example.com".into()),
        },
    );
    let body = json!({"model": "gemini-3-flash", "max_tokens": 50,
                      "messages": [{"role": "user", "content": "again"}]});
    let (status, _) = h.post_json("/v1/messages", &body).await;
    assert_eq!(status, 200, "bob served");
    // alice's report was fresh, but a quota 429 asks for a new one; bob's first use polls bob.
    assert_eq!(wait_fetches(&h, 3).await, 3);
}
