//! End-to-end tests of the simulator over loopback HTTP with reqwest, plus the small harness
//! they share.

mod cloudcode;
mod faults;
mod gemini_rules;
mod oauth;
mod public;
mod stream;
mod validation;

use serde_json::{Value, json};

use super::{SimConfig, SimHandle, start};

pub(super) const UA: &str = "antigravity/hub/2.10.0 linux/amd64";

pub(super) struct Sim {
    pub handle: SimHandle,
    pub http: reqwest::Client,
    pub base: String,
}

pub(super) async fn sim() -> Sim {
    sim_with(SimConfig::default()).await
}

pub(super) async fn sim_with(config: SimConfig) -> Sim {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let handle = start(listener, config).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Sim {
        base: handle.base_url(),
        handle,
        http,
    }
}

pub(super) fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// The generate envelope a proxy sends for account `name`.
pub(super) fn envelope(name: &str, model: &str, request: &Value) -> Value {
    json!({
        "model": model,
        "userAgent": "antigravity",
        "requestType": "agent",
        "project": format!("sim-project-{name}"),
        "requestId": "agent-test",
        "request": request,
    })
}

/// A one-turn request.
pub(super) fn ask(text: &str) -> Value {
    json!({ "contents": [{ "role": "user", "parts": [{ "text": text }] }] })
}

/// Splits an SSE body the way the spec says: events end at a blank line (LF or CRLF), and
/// several `data:` lines join with "\n".
pub(super) fn parse_sse(raw: &str) -> Vec<Value> {
    let normalised = raw.replace("\r\n", "\n");
    normalised
        .split("\n\n")
        .filter_map(|block| {
            let data: Vec<&str> = block
                .lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(|d| d.strip_prefix(' ').unwrap_or(d))
                .collect();
            (!data.is_empty()).then(|| serde_json::from_str(&data.join("\n")).unwrap())
        })
        .collect()
}

/// All parts of all events, in order.
pub(super) fn parts(events: &[Value]) -> Vec<Value> {
    events
        .iter()
        .flat_map(|e| {
            e["response"]["candidates"][0]["content"]["parts"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

/// The concatenated non-thought text of some parts.
pub(super) fn text_of(parts: &[Value]) -> String {
    parts
        .iter()
        .filter(|p| p.get("thought").is_none())
        .filter_map(|p| p["text"].as_str())
        .collect()
}

impl Sim {
    pub async fn post_form(&self, path: &str, pairs: &[(&str, &str)]) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(pairs))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap())
    }

    /// An access token for account `name` from the refresh grant.
    pub async fn token(&self, name: &str) -> String {
        let refresh = format!("sim-refresh-{name}");
        let (status, body) = self
            .post_form(
                "/token",
                &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn call(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("user-agent", UA)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn call_json(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        let resp = self.call(path, token, body).await;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    /// A non-streaming generate call for `name`.
    pub async fn generate(&self, name: &str, model: &str, request: Value) -> (u16, Value) {
        let token = self.token(name).await;
        self.call_json(
            "/v1internal:generateContent",
            &token,
            &envelope(name, model, &request),
        )
        .await
    }

    /// A streaming generate call for `name`: status, parsed events and the raw body.
    pub async fn stream(
        &self,
        name: &str,
        model: &str,
        request: Value,
    ) -> (u16, Vec<Value>, String) {
        let token = self.token(name).await;
        let resp = self
            .call(
                "/v1internal:streamGenerateContent?alt=sse",
                &token,
                &envelope(name, model, &request),
            )
            .await;
        let status = resp.status().as_u16();
        let raw = resp.text().await.unwrap();
        let events = if status == 200 {
            parse_sse(&raw)
        } else {
            vec![serde_json::from_str(&raw).unwrap()]
        };
        (status, events, raw)
    }
}
