//! `--demo` sample traffic: every 2–4 s a varied request to the proxy's own endpoint — both
//! APIs, streaming and not, a tool call, thinking, and now and then a simulated rate limit or a
//! slow stream — so a first look at the console is alive.

use std::time::Duration;

use rand::Rng as _;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// The sample requests, as (path, body).
pub fn samples() -> Vec<(&'static str, Value)> {
    let weather_tool = json!({
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
        }
    });
    vec![
        (
            "/v1/chat/completions",
            json!({
            "model": "gemini-3-flash", "stream": true,
            "messages": [{"role": "user", "content": "Write a haiku about terminals."}]}),
        ),
        (
            "/v1/messages",
            json!({
            "model": "claude-sonnet-4-6", "max_tokens": 512, "stream": true,
            "messages": [{"role": "user", "content": "Explain backpressure in two sentences."}]}),
        ),
        (
            "/v1/chat/completions",
            json!({
            "model": "claude-sonnet-4-6",
            "messages": [{"role": "user", "content": "What is the weather in Lisbon? [[sim:tool=get_weather {\"city\": \"Lisbon\"}]]"}],
            "tools": [weather_tool]}),
        ),
        (
            "/v1/messages",
            json!({
            "model": "claude-opus-4-6-thinking", "max_tokens": 2048, "stream": true,
            "thinking": {"type": "enabled", "budget_tokens": 1024},
            "messages": [{"role": "user", "content": "Is 1001 prime? Think it through."}]}),
        ),
        (
            "/v1/chat/completions",
            json!({
            "model": "fast",
            "messages": [{"role": "user", "content": "Name three sorting algorithms."}]}),
        ),
        (
            "/v1/chat/completions",
            json!({
            "model": "gemini-pro-agent", "stream": true,
            "messages": [{"role": "user", "content": "[[sim:slow]] [[sim:long]] Tell a short story."}]}),
        ),
        (
            "/v1/messages",
            json!({
            "model": "claude-sonnet-4-6", "max_tokens": 256,
            "messages": [{"role": "user", "content": "[[sim:fault=rate_limited]] Hello?"}]}),
        ),
    ]
}

/// Sends samples until `stop` fires. Failures are ignored: the console shows them anyway.
pub async fn run(base_url: String, stop: CancellationToken) {
    let Ok(http) = reqwest::Client::builder().no_proxy().build() else {
        return;
    };
    let samples = samples();
    let mut turn = 0usize;
    loop {
        let wait = Duration::from_millis(rand::rng().random_range(2_000..4_000));
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
        // Mostly in order, so every kind shows up early; the faults only now and then.
        let (path, body) = &samples[turn % samples.len()];
        turn += 1;
        let request = http
            .post(format!("{base_url}{path}"))
            .header("content-type", "application/json")
            .header("anthropic-version", "2023-06-01")
            .header("user-agent", "anti-api-tui demo traffic")
            .json(body);
        tokio::spawn(async move {
            if let Ok(response) = request.send().await {
                let _ = response.bytes().await;
            }
        });
    }
}
