//! Sends one planned request and classifies what came back: the expected answer for its kind
//! (a complete text, tool call, thinking or tool-result answer; a 429 in the API's error format;
//! a stream the client left after its first chunk), or a failure with a reason.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::mix::{Api, Kind, Planned};
use super::support::try_parse_sse;

/// No request may take longer (the injected 429s take about 2 s: a short rate-limit wait and
/// a second call on each of three accounts).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What the client saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// The answer its kind asks for (status 200; the 429; or the first chunk, then gone).
    Expected,
    /// Anything else, with what it was.
    Failure(String),
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub plan: Planned,
    pub seen: Seen,
    /// Send to the last byte read (to the first chunk for a disconnect).
    pub latency: Duration,
}

pub async fn run(http: &reqwest::Client, base: &str, plan: Planned) -> Outcome {
    let started = Instant::now();
    let seen = match tokio::time::timeout(REQUEST_TIMEOUT, exchange(http, base, &plan)).await {
        Ok(Ok(())) => Seen::Expected,
        Ok(Err(why)) => Seen::Failure(why),
        Err(_) => Seen::Failure(format!("no complete answer within {REQUEST_TIMEOUT:?}")),
    };
    Outcome {
        plan,
        seen,
        latency: started.elapsed(),
    }
}

async fn exchange(http: &reqwest::Client, base: &str, plan: &Planned) -> Result<(), String> {
    let mut resp = http
        .post(format!("{base}{}", plan.api.path()))
        .json(&plan.body())
        .send()
        .await
        .map_err(|e| format!("send: {e}"))?;
    let status = resp.status().as_u16();
    if plan.kind == Kind::Disconnect {
        if status != 200 {
            let text = resp.text().await.unwrap_or_default();
            return Err(format!("status {status} before the disconnect: {text}"));
        }
        // The first chunk, then the connection goes (dropping a response mid-body closes it).
        return match resp.chunk().await {
            Ok(Some(chunk)) if !chunk.is_empty() => Ok(()),
            Ok(_) => Err("the stream ended before its first chunk".into()),
            Err(e) => Err(format!("reading the first chunk: {e}")),
        };
    }
    let text = resp.text().await.map_err(|e| format!("body: {e}"))?;
    if plan.kind == Kind::Upstream429 {
        return check_429(plan.api, status, &text);
    }
    if status != 200 {
        return Err(format!("status {status}: {}", cut(&text)));
    }
    let found = if plan.stream {
        stream_parts(plan.api, &text)?
    } else {
        body_parts(plan.api, &text)?
    };
    found
        .check(plan.kind)
        .map_err(|why| format!("{why}: {}", cut(&text)))
}

/// A 429 whose body is the API's error object with the rate-limit type.
fn check_429(api: Api, status: u16, text: &str) -> Result<(), String> {
    if status != 429 {
        return Err(format!("expected 429, got {status}: {}", cut(text)));
    }
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("429 body not JSON ({e}): {text}"))?;
    let kind = match api {
        Api::OpenAi => value.pointer("/error/type"),
        Api::Anthropic => value
            .pointer("/error/type")
            .filter(|_| value["type"] == "error"),
    };
    if kind.and_then(Value::as_str) == Some("rate_limit_error") {
        Ok(())
    } else {
        Err(format!("429 without a rate_limit_error: {}", cut(text)))
    }
}

/// What an answer contained.
#[derive(Debug, Default)]
struct Parts {
    /// All text, joined.
    text: String,
    thinking: bool,
    tool_call: bool,
}

impl Parts {
    fn check(&self, kind: Kind) -> Result<(), &'static str> {
        let text = !self.text.is_empty();
        // The simulator answers a tool result with "Tool <name> returned: <result>".
        let echo = self.text.contains("Tool get_weather returned: sunny");
        let ok = match kind {
            Kind::Text => text && !self.tool_call,
            Kind::ToolCall => self.tool_call,
            Kind::ToolResult => echo && !self.tool_call,
            Kind::Thinking => self.thinking && text,
            Kind::Upstream429 | Kind::Disconnect => false,
        };
        if ok {
            Ok(())
        } else {
            Err("the answer lacks what its kind asks for")
        }
    }

    fn add_text(&mut self, text: &str) {
        self.text.push_str(text);
    }
}

fn body_parts(api: Api, text: &str) -> Result<Parts, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
    let mut parts = Parts::default();
    match api {
        Api::OpenAi => {
            let message = &value["choices"][0]["message"];
            parts.add_text(message["content"].as_str().unwrap_or_default());
            parts.thinking = message["reasoning_content"]
                .as_str()
                .is_some_and(|t| !t.is_empty());
            parts.tool_call = message["tool_calls"]
                .as_array()
                .is_some_and(|c| !c.is_empty());
        }
        Api::Anthropic => {
            for block in value["content"].as_array().into_iter().flatten() {
                match block["type"].as_str() {
                    Some("text") => parts.add_text(block["text"].as_str().unwrap_or_default()),
                    Some("thinking") => parts.thinking = true,
                    Some("tool_use") => parts.tool_call = true,
                    _ => {}
                }
            }
        }
    }
    Ok(parts)
}

fn stream_parts(api: Api, text: &str) -> Result<Parts, String> {
    let events = try_parse_sse(text)?;
    let mut parts = Parts::default();
    let mut joined = String::new();
    for (name, data) in &events {
        if name.as_deref() == Some("error") || data.get("error").is_some() {
            return Err(format!("in-band error: {data}"));
        }
        match api {
            Api::OpenAi => {
                let delta = &data["choices"][0]["delta"];
                joined.push_str(delta["content"].as_str().unwrap_or_default());
                parts.thinking |= delta["reasoning_content"]
                    .as_str()
                    .is_some_and(|t| !t.is_empty());
                parts.tool_call |= delta["tool_calls"].as_array().is_some();
            }
            Api::Anthropic => match data["type"].as_str() {
                Some("content_block_start") => match data["content_block"]["type"].as_str() {
                    Some("thinking") => parts.thinking = true,
                    Some("tool_use") => parts.tool_call = true,
                    _ => {}
                },
                Some("content_block_delta") => {
                    joined.push_str(data["delta"]["text"].as_str().unwrap_or_default());
                }
                _ => {}
            },
        }
    }
    let ended = events.last().is_some_and(|(name, data)| match api {
        Api::OpenAi => data == "[DONE]",
        Api::Anthropic => name.as_deref() == Some("message_stop"),
    });
    if !ended {
        return Err("the stream has no terminal event".into());
    }
    parts.add_text(&joined);
    Ok(parts)
}

fn cut(text: &str) -> String {
    text.chars().take(300).collect()
}
