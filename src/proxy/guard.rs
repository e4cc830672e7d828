//! `RequestGuard`: one request's record. Created when a handler starts, it reports the
//! request's life on the bus, captures its client bodies, and is the only way to end the request:
//! every ending (`reject`, `complete`, `end_stream`) emits `RequestFinished` and then awaits the
//! history's commit barrier, so no handler can answer before the request is durable. A guard
//! dropped without an ending (the client disconnected) still reports `RequestFinished`.

use std::sync::Arc;
use std::time::Instant;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use bytes::Bytes;
use chrono::Utc;

use super::error::error_response;
use crate::capture::{Collector, Stage};
use crate::core::Core;
use crate::events::{Outcome, Progress, ProxyEvent, RequestId, RequestMeta};
use crate::translate::ir::{ApiFormat, ErrorInfo, StreamEvent, Usage};

/// Who sent the request, from its headers.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub user_agent: Option<String>,
    /// `x-anti-api-replay-of: <request id>` marks a replay of an earlier request.
    pub replay_of: Option<RequestId>,
    /// `x-anti-api-account: <id or e-mail>` serves the request with that account only.
    pub account: Option<String>,
}

impl ClientInfo {
    pub fn from_headers(headers: &axum::http::HeaderMap) -> Self {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        Self {
            user_agent: text("user-agent").map(str::to_owned),
            replay_of: text(REPLAY_HEADER)
                .and_then(|v| uuid::Uuid::parse_str(v.trim()).ok())
                .map(RequestId),
            account: text(ACCOUNT_HEADER)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned),
        }
    }
}

/// The header a replay carries, naming the request it repeats.
pub const REPLAY_HEADER: &str = "x-anti-api-replay-of";

/// The header that pins a request to one of the pool's accounts (replays on another account).
pub const ACCOUNT_HEADER: &str = "x-anti-api-account";

pub struct RequestGuard {
    pub id: RequestId,
    api: ApiFormat,
    core: Core,
    started: Instant,
    ttft_ms: Option<u64>,
    usage: Usage,
    finished: bool,
    /// The streamed client response so far; handed to the history when dropped.
    collector: Option<Collector>,
}

impl RequestGuard {
    pub fn start(
        core: &Core,
        api: ApiFormat,
        path: &str,
        model: &str,
        stream: bool,
        client: &ClientInfo,
    ) -> Self {
        let id = RequestId::new();
        core.bus().emit(ProxyEvent::RequestStarted {
            meta: Arc::new(RequestMeta {
                id,
                at: Utc::now(),
                api,
                path: path.to_owned(),
                model_requested: model.to_owned(),
                stream,
                user_agent: client.user_agent.clone(),
                replay_of: client.replay_of,
            }),
        });
        Self {
            id,
            api,
            core: core.clone(),
            started: Instant::now(),
            ttft_ms: None,
            usage: Usage::default(),
            finished: false,
            collector: None,
        }
    }

    pub fn api(&self) -> ApiFormat {
        self.api
    }

    /// Keeps the body the client sent.
    pub fn record_request(&self, body: Bytes) {
        self.core
            .capture()
            .record(self.id, Stage::ClientRequest, body);
    }

    /// The first event arrived at `at` (a non-streaming answer reaches the handler whole).
    pub fn first_event_at(&mut self, at: Instant) {
        if self.ttft_ms.is_none() {
            let ttft_ms = u64::try_from(at.saturating_duration_since(self.started).as_millis())
                .unwrap_or(u64::MAX);
            self.ttft_ms = Some(ttft_ms);
            self.progress(Progress::FirstToken { ttft_ms });
        }
    }

    /// Notes an event on its way to the client (first token time, live text, usage).
    pub fn observe(&mut self, event: &StreamEvent) {
        if self.ttft_ms.is_none()
            && matches!(
                event,
                StreamEvent::TextDelta { .. }
                    | StreamEvent::ThinkingDelta { .. }
                    | StreamEvent::ToolCall { .. }
            )
        {
            let ttft_ms = elapsed_ms(self.started);
            self.ttft_ms = Some(ttft_ms);
            self.progress(Progress::FirstToken { ttft_ms });
        }
        match event {
            StreamEvent::Usage { usage } | StreamEvent::Finish { usage, .. } => self.usage = *usage,
            _ => {}
        }
        if !self.bus().has_watchers() {
            return;
        }
        let progress = match event {
            StreamEvent::TextDelta { text } => Progress::Text {
                text: text.as_str().into(),
            },
            StreamEvent::ThinkingDelta { text } => Progress::Thinking {
                text: text.as_str().into(),
            },
            StreamEvent::ToolCall { name, .. } => Progress::ToolCall {
                name: name.as_str().into(),
            },
            StreamEvent::Usage { usage } => Progress::Usage { usage: *usage },
            StreamEvent::ThinkingSignature { .. } | StreamEvent::Finish { .. } => return,
        };
        self.progress(progress);
    }

    fn progress(&self, progress: Progress) {
        self.bus().emit(ProxyEvent::RequestProgress {
            id: self.id,
            progress,
        });
    }

    fn bus(&self) -> &crate::events::Bus {
        self.core.bus()
    }

    /// Adds a piece of a streamed answer to the captured client response.
    pub fn stream_piece(&mut self, piece: &[u8]) {
        if self.collector.is_none() {
            self.collector = self
                .core
                .capture()
                .collector(self.id, Stage::ClientResponse);
        }
        if let Some(collector) = self.collector.as_mut() {
            collector.push(piece);
        }
    }

    /// Ends the request with `error`, answered in the client's format (and kept as its client
    /// response) once the request's row is committed.
    pub async fn reject(mut self, error: &ErrorInfo, outcome: Outcome) -> Response {
        self.finish(outcome, error.status, Some(&error.message));
        if self.core.capture().is_enabled()
            && let Ok(bytes) = serde_json::to_vec(&self.api.error_json(error))
        {
            self.core
                .capture()
                .record(self.id, Stage::ClientResponse, bytes.into());
        }
        self.core.history_committed().await;
        error_response(self.api, error)
    }

    /// Ends the request with a complete JSON answer (the same bytes are kept as its client
    /// response), returned once the request's row is committed.
    pub async fn complete(mut self, body: Bytes) -> Response {
        self.core
            .capture()
            .record(self.id, Stage::ClientResponse, body.clone());
        self.finish(Outcome::Ok, 200, None);
        self.core.history_committed().await;
        (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response()
    }

    /// Ends a streamed answer: hands the streamed response to the history and returns once the
    /// request's row is committed, so the caller sends the stream's last bytes only after that
    /// (the client never sees an answer complete that a crash could still lose).
    pub async fn end_stream(mut self, outcome: Outcome, status: u16, error: Option<&str>) {
        self.finish(outcome, status, error);
        self.collector = None;
        self.core.history_committed().await;
    }

    /// Emits `RequestFinished`, once. Private: the endings above pair it with the commit.
    fn finish(&mut self, outcome: Outcome, status: u16, error: Option<&str>) {
        if self.finished {
            return;
        }
        self.finished = true;
        let duration_ms = elapsed_ms(self.started);
        tracing::info!(
            target: "anti_api_tui::access",
            id = %self.id,
            status,
            outcome = ?outcome,
            duration_ms,
            ttft_ms = self.ttft_ms,
            input_tokens = self.usage.input_tokens,
            output_tokens = self.usage.output_tokens,
            error = error.unwrap_or(""),
            "request finished"
        );
        self.bus().emit(ProxyEvent::RequestFinished {
            id: self.id,
            outcome,
            status,
            usage: self.usage,
            ttft_ms: self.ttft_ms,
            duration_ms,
            error: error.map(Into::into),
        });
    }
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        // Only reached without an ending when the client went away mid-request.
        self.finish(Outcome::ClientGone, 499, Some("the client disconnected"));
    }
}

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}
