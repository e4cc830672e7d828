//! The test harness: a simulator, an engine configured against it with the given accounts, and
//! the proxy serving on 127.0.0.1:0. Dropping it shuts both down.

use std::time::Duration;

use anti_api_tui::accounts::{AccountPool, AccountRecord};
use anti_api_tui::config::Config;
use anti_api_tui::core::Core;
use anti_api_tui::events::Bus;
use anti_api_tui::simulator::{self, SimConfig, SimHandle};
use anti_api_tui::startup::point_at_simulator;
use futures::StreamExt as _;
use serde_json::Value;

pub struct Harness {
    pub base: String,
    pub sim: SimHandle,
    pub core: Core,
    pub http: reqwest::Client,
}

impl Harness {
    pub async fn start(accounts: &[&str]) -> Self {
        Self::start_with(accounts, |_| {}).await
    }

    pub async fn start_with(accounts: &[&str], tweak: impl FnOnce(&mut Config)) -> Self {
        let sim_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sim = simulator::start(sim_listener, SimConfig::default()).await;
        let mut config = Config::default();
        point_at_simulator(&mut config, &sim.base_url());
        config.accounts.min_interval_ms = 0;
        config.accounts.max_concurrency = 0;
        tweak(&mut config);
        let bus = Bus::new();
        let now = chrono::Utc::now();
        let records = accounts
            .iter()
            .map(|name| {
                AccountRecord::new(
                    &format!("{name}@example.com"),
                    &format!("sim-refresh-{name}"),
                    now,
                )
            })
            .collect();
        let pool = AccountPool::in_memory(records, config.accounts.clone(), bus.clone());
        let core = Core::new(config, pool, bus).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(anti_api_tui::proxy::serve(listener, core.clone()));
        Self {
            base,
            sim,
            core,
            http: reqwest::Client::new(),
        }
    }

    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header("authorization", "Bearer test")
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let resp = self.post(path, body).await;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
        (status, value)
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .header("authorization", "Bearer test")
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
        (status, value)
    }

    /// Posts and collects the SSE body as (event name, JSON data) pairs.
    pub async fn post_sse(&self, path: &str, body: &Value) -> (u16, Vec<(Option<String>, Value)>) {
        let resp = self.post(path, body).await;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (status, parse_sse(&text))
    }

    /// Waits (bounded) until the simulator has no open stream.
    pub async fn wait_streams_closed(&self, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        while tokio::time::Instant::now() < deadline {
            if self.sim.stats().open_streams == 0 {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.core.shutdown_token().cancel();
        self.sim.shutdown();
    }
}

/// Splits an SSE body into events; `[DONE]` becomes the JSON string "[DONE]". Panics on data
/// that is not JSON (`try_parse_sse` reports it).
pub fn parse_sse(text: &str) -> Vec<(Option<String>, Value)> {
    try_parse_sse(text).unwrap_or_else(|e| panic!("{e}"))
}

/// `parse_sse`, with data that is not JSON an `Err` naming it.
pub fn try_parse_sse(text: &str) -> Result<Vec<(Option<String>, Value)>, String> {
    let mut events = Vec::new();
    for block in text.split("\n\n") {
        let mut name = None;
        let mut data = String::new();
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("event:") {
                name = Some(v.trim().to_owned());
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push_str(v.trim_start());
            }
        }
        if data.is_empty() {
            continue;
        }
        let value = if data == "[DONE]" {
            Value::String(data)
        } else {
            serde_json::from_str(&data).map_err(|e| format!("bad SSE JSON ({e}): {data}"))?
        };
        events.push((name, value));
    }
    Ok(events)
}

/// Reads a streaming response until `n` bytes arrived, then drops it (a client going away).
pub async fn read_then_drop(resp: reqwest::Response, n: usize) {
    let mut body = resp.bytes_stream();
    let mut got = 0;
    while got < n {
        match body.next().await {
            Some(Ok(chunk)) => got += chunk.len(),
            _ => break,
        }
    }
}
