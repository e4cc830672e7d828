//! Heavy mixed traffic for the kill tests: workers loop over both APIs, streaming and not, each
//! request under a model name of its own (`claude-haiku-dur-…`, which the Claude family default
//! serves) so the history can be checked request by request; a side task injects the faults
//! that make the server rewrite `accounts.json` (token refreshes, project re-discovery).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anti_api_tui::simulator::{Fault, FaultScope, SimHandle};
use serde_json::{Value, json};

use super::support::parse_sse;

/// A request the client saw complete, and when.
#[derive(Debug, Clone)]
pub struct Completed {
    pub model: String,
    pub at: Instant,
}

/// Runs `workers` clients against `base` until `stop` is set or the server goes away.
pub async fn drive(
    base: String,
    iteration: usize,
    workers: usize,
    stop: Arc<AtomicBool>,
) -> Vec<Completed> {
    let http = reqwest::Client::new();
    let tasks: Vec<_> = (0..workers)
        .map(|w| {
            let (http, base, stop) = (http.clone(), base.clone(), stop.clone());
            tokio::spawn(async move {
                let mut done = Vec::new();
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    n += 1;
                    let model = format!("claude-haiku-dur-{iteration}-{w}-{n}");
                    let anthropic = (w + n) % 2 == 0;
                    let stream = (w / 2 + n) % 2 == 0;
                    match one(&http, &base, &model, anthropic, stream).await {
                        Some(true) => done.push(Completed {
                            model,
                            at: Instant::now(),
                        }),
                        Some(false) => {}
                        None => break,
                    }
                }
                done
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all
}

/// Sends requests one after another until one completes, for at most `bound`; the request that
/// completed, or `None` when none did in time.
pub async fn first_complete(base: &str, bound: Duration) -> Option<Completed> {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + bound;
    let mut n = 0;
    while Instant::now() < deadline {
        n += 1;
        let model = format!("claude-haiku-dur-check-{n}");
        if one(&http, base, &model, n % 2 == 0, false).await == Some(true) {
            return Some(Completed {
                model,
                at: Instant::now(),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// `Some(true)`: a complete answer; `Some(false)`: an error answer; `None`: no server.
async fn one(
    http: &reqwest::Client,
    base: &str,
    model: &str,
    anthropic: bool,
    stream: bool,
) -> Option<bool> {
    let body = json!({"model": model, "max_tokens": 64, "stream": stream,
                      "messages": [{"role": "user", "content": "durability"}]});
    let path = if anthropic {
        "/v1/messages"
    } else {
        "/v1/chat/completions"
    };
    let resp = http
        .post(format!("{base}{path}"))
        .json(&body)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .ok()?;
    let status = resp.status();
    let text = resp.text().await.ok()?;
    if status != 200 {
        return Some(false);
    }
    if !stream {
        let value: Value = serde_json::from_str(&text).ok()?;
        return Some(value.get("error").is_none());
    }
    let events = parse_sse(&text);
    Some(
        events.last().is_some_and(|(name, data)| {
            name.as_deref() == Some("message_stop") || data == "[DONE]"
        }),
    )
}

/// Every 40 ms, a fault that makes the server write the accounts file.
pub async fn provoke_account_writes(sim: SimHandle, stop: Arc<AtomicBool>) {
    let faults = [Fault::Unauthorized, Fault::StaleProject, Fault::RateLimited];
    let mut i = 0;
    while !stop.load(Ordering::SeqCst) {
        sim.inject(faults[i % faults.len()], 1, FaultScope::default());
        i += 1;
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
}
