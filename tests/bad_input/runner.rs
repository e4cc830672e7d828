//! The corpus runner: a case is a raw HTTP request (method, path, content type, body bytes) and
//! the answer it must get: its 4xx status, the route's error format and the field it names.

use std::time::Duration;

use bytes::Bytes;
use reqwest::Method;
use serde_json::{Value, json};

pub const OA: &str = "/v1/chat/completions";
pub const AN: &str = "/v1/messages";
pub const CT: &str = "/v1/messages/count_tokens";
pub const RS: &str = "/v1/responses";
pub const GM: &str = "/v1beta/models/gemini-3-flash:generateContent";

/// A generous bound: every case is answered in milliseconds; only a hang reaches it.
pub const PER_REQUEST: Duration = Duration::from_secs(10);

/// Which error format a route's clients read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    OpenAi,
    Anthropic,
    /// The Responses API: the OpenAI error envelope.
    Responses,
    /// The public Gemini API: Google's `{"error": {code, message, status}}`.
    Gemini,
}

impl Api {
    pub fn of(path: &str) -> Self {
        if path.starts_with("/v1beta/") {
            Self::Gemini
        } else if path.starts_with("/v1/responses") {
            Self::Responses
        } else if path.contains("messages") {
            Self::Anthropic
        } else {
            Self::OpenAi
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            Self::OpenAi => OA,
            Self::Anthropic => AN,
            Self::Responses => RS,
            Self::Gemini => GM,
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            Self::OpenAi => "openai",
            Self::Anthropic => "anthropic",
            Self::Responses => "responses",
            Self::Gemini => "gemini",
        }
    }

    /// A request the route accepts; cases break one thing in it.
    pub fn good(self) -> Value {
        match self {
            Self::OpenAi => json!({
                "model": "gemini-3-flash",
                "messages": [{"role": "user", "content": "hi"}],
            }),
            Self::Anthropic => json!({
                "model": "gemini-3-flash",
                "max_tokens": 50,
                "messages": [{"role": "user", "content": "hi"}],
            }),
            Self::Responses => json!({"model": "gemini-3-flash", "input": "hi"}),
            Self::Gemini => json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}),
        }
    }

    /// `good()` with one change, serialized.
    pub fn with(self, change: impl FnOnce(&mut Value)) -> Vec<u8> {
        let mut body = self.good();
        change(&mut body);
        serde_json::to_vec(&body).unwrap()
    }
}

pub struct Case {
    pub name: String,
    pub method: Method,
    pub path: &'static str,
    pub content_type: Option<&'static str>,
    pub body: Vec<u8>,
    /// Sent with chunked transfer encoding (no Content-Length).
    pub chunked: bool,
    pub status: u16,
    /// Text the error message must contain: the field path, where there is one.
    pub names: Option<String>,
}

impl Case {
    /// A JSON POST expected to get a 400.
    pub fn post(name: impl Into<String>, path: &'static str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            name: name.into(),
            method: Method::POST,
            path,
            content_type: Some("application/json"),
            body: body.into(),
            chunked: false,
            status: 400,
            names: None,
        }
    }

    /// The same case on one API's main route (`name` gets the API as a prefix).
    pub fn on(api: Api, name: &str, body: impl Into<Vec<u8>>) -> Self {
        Self::post(format!("{}/{name}", api.tag()), api.path(), body)
    }

    #[must_use]
    pub fn names(mut self, field: impl Into<String>) -> Self {
        self.names = Some(field.into());
        self
    }

    #[must_use]
    pub fn status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    #[must_use]
    pub fn content_type(mut self, content_type: Option<&'static str>) -> Self {
        self.content_type = content_type;
        self
    }

    #[must_use]
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    #[must_use]
    pub fn chunked(mut self) -> Self {
        self.chunked = true;
        self
    }
}

/// Sends one case and checks the answer; `Err` says what was wrong.
pub async fn check(http: &reqwest::Client, base: &str, case: &Case) -> Result<(), String> {
    let mut request = http
        .request(case.method.clone(), format!("{base}{}", case.path))
        .timeout(PER_REQUEST);
    if let Some(content_type) = case.content_type {
        request = request.header("content-type", content_type);
    }
    request = if case.chunked {
        let chunks: Vec<Result<Bytes, std::io::Error>> = case
            .body
            .chunks(64 * 1024)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        request.body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
    } else {
        request.body(case.body.clone())
    };
    let response = request
        .send()
        .await
        .map_err(|e| format!("no answer (hang or dropped connection): {e}"))?;
    let status = response.status().as_u16();
    let allow = response.headers().get("allow").cloned();
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("status {status}, body cut: {e}"))?;
    let text = String::from_utf8_lossy(&body);
    if !(400..500).contains(&status) {
        return Err(format!("status {status} is not a 4xx: {text}"));
    }
    if status != case.status {
        return Err(format!("status {status}, expected {}: {text}", case.status));
    }
    if status == 405 {
        // The methods that would work, besides the error body checked below.
        match allow {
            Some(allow)
                if allow
                    .to_str()
                    .is_ok_and(|a| a.contains("POST") || a.contains("GET")) => {}
            other => return Err(format!("405 without a useful Allow header: {other:?}")),
        }
    }
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| format!("status {status}, not JSON ({e}): {text}"))?;
    let message = error_message(Api::of(case.path), status, &value)?;
    if let Some(field) = &case.names
        && !message.contains(field.as_str())
    {
        return Err(format!("message does not name `{field}`: {message}"));
    }
    Ok(())
}

/// Checks the route's error envelope and returns its message.
fn error_message(api: Api, status: u16, value: &Value) -> Result<String, String> {
    let error = &value["error"];
    if api == Api::Gemini {
        let expected = match status {
            401 => "UNAUTHENTICATED",
            403 => "PERMISSION_DENIED",
            404 => "NOT_FOUND",
            429 => "RESOURCE_EXHAUSTED",
            _ => "INVALID_ARGUMENT",
        };
        return match (
            error["code"].as_u64(),
            error["status"].as_str(),
            error["message"].as_str(),
        ) {
            (Some(code), Some(rpc), Some(message))
                if code == u64::from(status) && rpc == expected && !message.is_empty() =>
            {
                Ok(message.to_owned())
            }
            _ => Err(format!(
                "not Google's error format (expected {expected}): {value}"
            )),
        };
    }
    let kind = error["type"].as_str();
    let message = error["message"].as_str();
    let expected_kind = match (api, status) {
        (Api::Anthropic, 413) => "request_too_large",
        (Api::Anthropic, 404) => "not_found_error",
        (_, 401) => "authentication_error",
        (_, 403) => "permission_error",
        _ => "invalid_request_error",
    };
    let envelope_ok = match api {
        Api::OpenAi | Api::Responses => value.get("type").is_none(),
        Api::Gemini => unreachable!("checked above"),
        Api::Anthropic => value["type"] == "error",
    };
    match (envelope_ok, kind, message) {
        (true, Some(kind), Some(message)) if kind == expected_kind && !message.is_empty() => {
            Ok(message.to_owned())
        }
        _ => Err(format!(
            "not the {api:?} error format (expected type {expected_kind}): {value}"
        )),
    }
}
