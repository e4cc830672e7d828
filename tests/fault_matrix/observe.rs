//! Runs one request under an injected fault and reports what the client saw (HTTP status or
//! in-band error, in its own format), which accounts the upstream saw, and what the account
//! pool did to `alice`.

use std::time::Duration;

use anti_api_tui::simulator::{Fault, FaultScope};
use serde_json::{Value, json};

use super::support::{Harness, parse_sse};

/// The model every row asks for.
pub const MODEL: &str = "claude-sonnet-4-5";
/// Queued uses of a "persistent" fault: more than any request makes.
pub const PERSISTENT: u32 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    OpenAi,
    Anthropic,
}

impl Api {
    pub fn path(self) -> &'static str {
        match self {
            Self::OpenAi => "/v1/chat/completions",
            Self::Anthropic => "/v1/messages",
        }
    }
}

/// What the client got. Error types are the Anthropic names; OpenAI's are derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    /// A complete answer (`message_stop` / `[DONE]` when streaming).
    Ok,
    /// An HTTP error status with that error type.
    Status(u16, &'static str),
    /// Headers said 200, then the stream ended with an error event of that type.
    InBand(&'static str),
}

/// What happened to `alice` in the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pool {
    Nothing,
    /// Cooling for the model, with this reason.
    Cooling(&'static str),
    Quarantined,
}

/// The OpenAI `error.type` for an Anthropic one.
pub fn openai_type(anthropic: &str) -> &str {
    match anthropic {
        "not_found_error" | "request_too_large" => "invalid_request_error",
        other => other,
    }
}

/// One observation, with owned strings for comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub client: String,
    pub pool: String,
    /// Generate calls the upstream saw per account (alice, bob).
    pub calls: (u64, u64),
}

pub fn describe_client(client: Client, api: Api) -> String {
    match (client, api) {
        (Client::Ok, _) => "ok".into(),
        (Client::Status(s, t), Api::Anthropic) => format!("{s} {t}"),
        (Client::Status(s, t), Api::OpenAi) => format!("{s} {}", openai_type(t)),
        (Client::InBand(t), Api::Anthropic) => format!("200 then in-band {t}"),
        (Client::InBand(t), Api::OpenAi) => format!("200 then in-band {}", openai_type(t)),
    }
}

pub fn describe_pool(pool: Pool) -> String {
    match pool {
        Pool::Nothing => "nothing".into(),
        Pool::Cooling(reason) => format!("cooling ({reason})"),
        Pool::Quarantined => "quarantined".into(),
    }
}

/// A proxy with `accounts`, the fault queued `times` (on alice only when `only_alice`), one
/// request; what came of it.
pub async fn observe(
    fault: Fault,
    times: u32,
    only_alice: bool,
    accounts: &[&str],
    api: Api,
    stream: bool,
) -> Seen {
    let h = Harness::start_with(accounts, |c| c.upstream.stream_idle_timeout_s = 1).await;
    let scope = FaultScope {
        model: None,
        account: only_alice.then(|| "alice".to_owned()),
    };
    h.sim.inject(fault, times, scope);
    let body = json!({
        "model": MODEL, "max_tokens": 100, "stream": stream,
        "messages": [{"role": "user", "content": "hello"}],
    });
    let resp = tokio::time::timeout(Duration::from_secs(20), h.post(api.path(), &body))
        .await
        .expect("answered in time");
    let status = resp.status().as_u16();
    let text = tokio::time::timeout(Duration::from_secs(20), resp.text())
        .await
        .expect("body in time")
        .unwrap();
    let client = if status != 200 {
        let value: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        if api == Api::Anthropic {
            assert_eq!(value["type"], "error", "{value}");
        }
        format!("{status} {}", value["error"]["type"].as_str().unwrap())
    } else if stream {
        stream_end(api, &text)
    } else {
        let answer: Value = serde_json::from_str(&text).unwrap();
        assert!(answer.get("error").is_none(), "{answer}");
        "ok".into()
    };
    let upstream = h.sim.stats();
    let calls = |who: &str| upstream.calls_by_account.get(who).copied().unwrap_or(0);
    Seen {
        client,
        pool: pool_of(&h),
        calls: (calls("alice@example.com"), calls("bob@example.com")),
    }
}

/// "ok" for a stream that finished, "200 then in-band TYPE" for one that ended in an error.
fn stream_end(api: Api, text: &str) -> String {
    let events = parse_sse(text);
    let (name, last) = events.last().expect("at least one event");
    match api {
        Api::Anthropic if name.as_deref() == Some("message_stop") => "ok".into(),
        Api::OpenAi if last == "[DONE]" => "ok".into(),
        _ => {
            assert!(
                !events
                    .iter()
                    .any(|(n, d)| n.as_deref() == Some("message_stop") || d == "[DONE]"),
                "no normal end before an error: {text}"
            );
            let kind = last["error"]["type"]
                .as_str()
                .unwrap_or_else(|| panic!("{text}"));
            format!("200 then in-band {kind}")
        }
    }
}

fn pool_of(h: &Harness) -> String {
    let alice = h
        .core
        .accounts()
        .snapshot()
        .into_iter()
        .find(|a| a.email == "alice@example.com")
        .unwrap();
    if alice.quarantined.is_some() {
        return "quarantined".into();
    }
    if alice.needs_login.is_some() {
        return "needs_login".into();
    }
    let now = chrono::Utc::now();
    match alice
        .cooldowns
        .iter()
        .find(|c| c.until > now && c.model == MODEL)
    {
        Some(c) => format!("cooling ({})", c.reason),
        None => "nothing".into(),
    }
}
