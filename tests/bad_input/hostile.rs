//! Hostile tool schemas that are valid JSON but expensive to clean: a `$ref` chain thousands of
//! links long (recursion depth) and a `$ref` diamond whose inlining doubles per level (a schema
//! "billion laughs"). They run against the real binary in a child process with a memory cap, so
//! a crash or a runaway costs that process, not the test runner or the machine.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::binary::Server;
use super::runner::{Api, PER_REQUEST};

/// Far more than a bounded cleaner needs, even in a debug build.
const HOSTILE_BOUND: Duration = Duration::from_secs(5);

/// A `serve --demo` child on a free loopback port, its address space capped at 1 GiB so that a
/// runaway allocation aborts it quickly; killed on drop.
pub struct DemoServer {
    server: Server,
    _home: tempfile::TempDir,
}

impl DemoServer {
    pub fn start() -> Self {
        let home = tempfile::tempdir().unwrap();
        let mut command = Command::new("sh");
        command
            .args(["-c", "ulimit -v 1048576; exec \"$0\" \"$@\""])
            .arg(env!("CARGO_BIN_EXE_anti-api-tui"))
            .arg("--home")
            .arg(home.path())
            .args(["--demo", "serve", "--port", "0"]);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("ANTI_API_") {
                command.env_remove(key);
            }
        }
        command.env("ANTI_API_ACCOUNT_MIN_INTERVAL_MS", "0");
        Self {
            server: Server::start(command),
            _home: home,
        }
    }

    pub fn base(&self) -> &str {
        &self.server.base
    }

    /// "running", or how it ended and the last words of its stderr.
    pub fn state(&mut self) -> String {
        let deadline = Instant::now() + Duration::from_secs(1);
        while self.server.running() {
            if Instant::now() >= deadline {
                return "running".into();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let stderr = self.server.stderr();
        let last: Vec<&str> = stderr.lines().rev().take(2).collect();
        format!("exited: {last:?}")
    }
}

/// `{"x": {"$ref": "#/$defs/d0"}}` where `d_i` refers to `d_{i+1}` `fan_out` times, each
/// reference `depth` objects deep inside `d_i`.
pub fn ref_schema(links: usize, fan_out: usize, depth: usize) -> Value {
    let mut defs = Map::new();
    for i in 0..links {
        let next = json!({"$ref": format!("#/$defs/d{}", i + 1)});
        let properties: Map<String, Value> = (0..fan_out)
            .map(|k| (format!("p{k}"), next.clone()))
            .collect();
        let mut def = json!({"type": "object", "properties": properties});
        for _ in 1..depth {
            def = json!({"type": "object", "properties": {"a": def}});
        }
        defs.insert(format!("d{i}"), def);
    }
    defs.insert(format!("d{links}"), json!({"type": "string"}));
    json!({
        "type": "object",
        "properties": {"x": {"$ref": "#/$defs/d0"}},
        "$defs": defs,
    })
}

pub fn with_tool_schema(api: Api, schema: &Value) -> Vec<u8> {
    api.with(|v| {
        v["tools"] = match api {
            Api::OpenAi => {
                json!([{"type": "function", "function": {"name": "t", "parameters": schema}}])
            }
            Api::Anthropic => json!([{"name": "t", "input_schema": schema}]),
            Api::Responses => json!([{"type": "function", "name": "t", "parameters": schema}]),
            Api::Gemini => json!([{"functionDeclarations": [{"name": "t", "parameters": schema}]}]),
        };
    })
}

/// Posts `body`; the answer must come within the per-request bound, not be a 5xx, and the
/// server must still be alive and serving afterwards.
pub async fn survives(server: &mut DemoServer, api: Api, body: Vec<u8>) -> Result<u16, String> {
    let http = reqwest::Client::new();
    let answer = http
        .post(format!("{}{}", server.base(), api.path()))
        .header("content-type", "application/json")
        .timeout(HOSTILE_BOUND)
        .body(body)
        .send()
        .await;
    let status = match answer {
        Ok(resp) => resp.status().as_u16(),
        Err(e) => return Err(format!("no answer ({e}); the server: {}", server.state())),
    };
    if status >= 500 {
        return Err(format!("status {status}"));
    }
    let good = http
        .post(format!("{}{}", server.base(), api.path()))
        .json(&api.good())
        .timeout(PER_REQUEST)
        .send()
        .await
        .map_err(|e| format!("status {status}, then the server stopped serving: {e}"))?;
    if !good.status().is_success() {
        return Err(format!(
            "status {status}, then a good request got {}",
            good.status()
        ));
    }
    Ok(status)
}
