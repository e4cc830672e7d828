//! Runs one request under an injected fault and reports what the client saw (HTTP status or
//! in-band error, in its own format), which accounts the upstream saw, what the account pool did
//! to `alice`, and what the request history recorded (checked against what the client saw).

use std::time::Duration;

use anti_api_tui::capture::Stage;
use anti_api_tui::events::Outcome;
use anti_api_tui::simulator::{Fault, FaultScope};
use anti_api_tui::store::{CaptureMode, HistoryOptions, HistoryQuery, HistoryStore};
use serde_json::{Value, json};

use super::support::{Harness, parse_sse};

/// The model every row asks for.
pub const MODEL: &str = "claude-sonnet-4-6";
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
    /// The request's history row: outcome, status, accounts tried and the last one.
    pub history: String,
}

/// The outcome and status the history records for what the client saw.
pub fn recorded_as(client: Client) -> (Outcome, u16) {
    match client {
        Client::Ok => (Outcome::Ok, 200),
        Client::Status(status, _) if status >= 500 || status == 429 => {
            (Outcome::UpstreamError, status)
        }
        Client::Status(status, _) => (Outcome::Rejected, status),
        Client::InBand(kind) => (
            Outcome::UpstreamError,
            match kind {
                "rate_limit_error" => 429,
                "api_error" => 502,
                _ => 503,
            },
        ),
    }
}

pub fn describe_history(outcome: Outcome, status: u16, accounts: u32, last: &str) -> String {
    let outcome = serde_json::to_value(outcome).unwrap();
    format!(
        "{} {status}; {accounts} account{} tried, last {last}",
        outcome.as_str().unwrap(),
        if accounts == 1 { "" } else { "s" }
    )
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
    let dir = tempfile::tempdir().unwrap();
    let history = HistoryStore::open(
        &dir.path().join("history.sqlite3"),
        HistoryOptions {
            capture: CaptureMode::All,
            ..HistoryOptions::default()
        },
    )
    .unwrap();
    h.core.set_capture(history.attach(h.core.bus()));
    h.core.set_commit_barrier(history.commit_barrier());
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
    let calls = (calls("alice@example.com"), calls("bob@example.com"));
    let history = recorded(&h, &history, &client, &text, calls).await;
    Seen {
        client,
        pool: pool_of(&h),
        calls,
        history,
    }
}

/// The request's history row, checked against what the client saw: exactly one row (committed
/// before the client had its answer: no flush here), the status the client saw (or the in-band
/// error's), the outcome that goes with it, the client's error message, and the client's body
/// byte for byte.
async fn recorded(
    h: &Harness,
    history: &HistoryStore,
    client: &str,
    text: &str,
    calls: (u64, u64),
) -> String {
    let rows = history.list(HistoryQuery::default()).await.unwrap();
    assert_eq!(rows.len(), 1, "one row per request: {rows:?}");
    let row = &rows[0];
    let outcome = row
        .outcome
        .expect("finished before the client had its answer");
    let status = row.status.expect("a status");
    let ok = client == "ok";
    assert_eq!(outcome == Outcome::Ok, ok, "{client}: {row:?}");
    if ok {
        assert_eq!(status, 200);
        assert!(row.error.is_none(), "{row:?}");
    } else {
        let message = client_error_message(text).expect("an error message");
        assert_eq!(row.error.as_deref(), Some(message.as_str()), "{client}");
        if let Some(code) = client.split(' ').next().and_then(|s| s.parse::<u16>().ok())
            && !client.contains("in-band")
        {
            assert_eq!(status, code, "{client}: {row:?}");
        } else {
            assert!(
                status >= 400,
                "an in-band error is recorded with its status: {row:?}"
            );
        }
    }
    let detail = history.detail(row.id).await.unwrap().unwrap();
    let body = |stage| {
        detail
            .stages
            .iter()
            .filter(|s| s.stage == stage)
            .map(|s| s.body.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(body(Stage::ClientRequest).len(), 1);
    let response = body(Stage::ClientResponse);
    assert_eq!(response.len(), 1, "{client}");
    assert!(
        same_body(&response[0], text),
        "the stored response is what the client got:\n{}\n---\n{text}",
        response[0]
    );
    let upstream_requests = body(Stage::UpstreamRequest).len();
    assert_eq!(
        upstream_requests > 0,
        calls.0 + calls.1 > 0,
        "an upstream request is stored when one was sent"
    );
    let last = h
        .core
        .accounts()
        .snapshot()
        .into_iter()
        .find(|a| Some(&a.id) == row.account.as_ref())
        .map_or_else(
            || "none".to_owned(),
            |a| a.email.trim_end_matches("@example.com").to_owned(),
        );
    describe_history(outcome, status, row.attempts, &last)
}

/// The error message in an error body, or in the last event of a stream that ended in one.
fn client_error_message(text: &str) -> Option<String> {
    let from = |v: &Value| v["error"]["message"].as_str().map(str::to_owned);
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        return from(&value);
    }
    parse_sse(text)
        .iter()
        .rev()
        .find_map(|(_, data)| from(data))
}

/// The stored body equals the client's, as JSON when both parse (stored JSON is re-indented for
/// reading), else as text.
fn same_body(stored: &str, client: &str) -> bool {
    match (
        serde_json::from_str::<Value>(stored),
        serde_json::from_str::<Value>(client),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => stored == client,
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
