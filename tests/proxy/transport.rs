//! How the proxy talks to the upstream: one connection pool per account (two identities never
//! share a TCP connection), the endpoint order, and what a 403 does.

use serde_json::{Value, json};

use super::support::Harness;

fn ask(model: &str, text: &str, stream: bool) -> Value {
    json!({
        "model": model,
        "max_tokens": 200,
        "stream": stream,
        "messages": [{"role": "user", "content": text}],
    })
}

/// Sends `body` pinned to `account` and reads the whole answer; returns the status.
async fn post_as(h: &Harness, account: &str, path: &str, body: &Value) -> u16 {
    let response = h
        .http
        .post(format!("{}{path}", h.base))
        .header("authorization", "Bearer test")
        .header("x-anti-api-account", account)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    response.bytes().await.unwrap();
    status
}

#[tokio::test]
async fn two_accounts_never_share_an_upstream_connection() {
    let h = Harness::start(&["alice", "bob"]).await;
    // One after the other: a shared keep-alive pool would carry both on one connection.
    let calls = [
        ("alice@example.com", "/v1/messages", false),
        ("bob@example.com", "/v1/messages", true),
        ("alice@example.com", "/v1/chat/completions", true),
        ("bob@example.com", "/v1/chat/completions", false),
    ];
    for (i, (account, path, stream)) in calls.into_iter().enumerate() {
        let body = ask("gemini-3-flash", &format!("turn {i}"), stream);
        assert_eq!(
            post_as(&h, account, path, &body).await,
            200,
            "{account} {path}"
        );
    }
    let stats = h.sim.stats();
    assert_eq!(stats.calls_by_account.get("alice@example.com"), Some(&2));
    assert_eq!(stats.calls_by_account.get("bob@example.com"), Some(&2));
    let alice = &stats.connections_by_account["alice@example.com"];
    let bob = &stats.connections_by_account["bob@example.com"];
    assert!(
        alice.is_disjoint(bob),
        "alice {alice:?} and bob {bob:?} shared a connection"
    );
}
