//! Drives one chat request from IR to the client: opens the upstream (errors before the first
//! event are real statuses), then either streams SSE in the client's format with keep-alive
//! pings and a terminal event on shutdown, or aggregates a complete JSON body.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use bytes::{Bytes, BytesMut};
use futures::StreamExt as _;

use super::error::error_response;
use super::guard::RequestGuard;
use crate::capture::{Collector, Stage};
use crate::core::{Core, Opened};
use crate::events::{Outcome, RequestId};
use crate::translate::ir::{
    ApiFormat, ChatRequest, ErrorInfo, ErrorKind, ResponseBuilder, StreamEvent, Thinking,
};
use crate::translate::{anthropic, openai};

/// The client-format stream encoder.
enum Encoder {
    OpenAi(openai::StreamEncoder),
    Anthropic(anthropic::StreamEncoder),
}

impl Encoder {
    fn start(&mut self, input_tokens: u64, out: &mut BytesMut) {
        match self {
            Self::OpenAi(e) => e.start(out),
            Self::Anthropic(e) => e.start(input_tokens, out),
        }
    }

    fn push(&mut self, event: &StreamEvent, out: &mut BytesMut) {
        match self {
            Self::OpenAi(e) => e.push(event, out),
            Self::Anthropic(e) => e.push(event, out),
        }
    }

    fn error(&mut self, error: &ErrorInfo, out: &mut BytesMut) {
        match self {
            Self::OpenAi(e) => e.error(error, out),
            Self::Anthropic(e) => e.error(error, out),
        }
    }

    fn is_finished(&self) -> bool {
        match self {
            Self::OpenAi(e) => e.is_finished(),
            Self::Anthropic(e) => e.is_finished(),
        }
    }

    fn pings(&self) -> bool {
        matches!(self, Self::Anthropic(_))
    }
}

pub async fn respond(
    core: Core,
    api: ApiFormat,
    req: ChatRequest,
    guard: RequestGuard,
    pinned: Option<String>,
) -> Response {
    let input_estimate = anthropic::estimate_input_tokens(&req);
    let id = guard.id;
    let opened = match core.open(&req, guard.id, pinned.as_deref()).await {
        Ok(opened) => opened,
        Err(error) => {
            let outcome = if error.status >= 500 || matches!(error.kind, ErrorKind::RateLimit) {
                Outcome::UpstreamError
            } else {
                Outcome::Rejected
            };
            guard.finish(outcome, error.status, Some(&error.message));
            return captured_error(&core, id, api, &error).await;
        }
    };
    if req.stream {
        stream_response(core, api, &req, opened, guard, input_estimate)
    } else {
        complete_response(&core, api, &req, opened, guard).await
    }
}

fn message_id(api: ApiFormat) -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    match api {
        ApiFormat::OpenAi => format!("chatcmpl-{}", &hex[..24]),
        ApiFormat::Anthropic => format!("msg_{}", &hex[..24]),
    }
}

/// Anthropic clients see thinking when they asked for it; OpenAI clients get
/// `reasoning_content` whenever the upstream thinks.
fn shows_thinking(api: ApiFormat, req: &ChatRequest, opened: &Opened) -> bool {
    match api {
        ApiFormat::Anthropic => req.thinking != Thinking::Off,
        ApiFormat::OpenAi => opened.thinking,
    }
}

async fn complete_response(
    core: &Core,
    api: ApiFormat,
    req: &ChatRequest,
    opened: Opened,
    mut guard: RequestGuard,
) -> Response {
    let show = shows_thinking(api, req, &opened);
    let mut builder = ResponseBuilder::default();
    guard.first_event_at(opened.first_event_at);
    for event in &opened.first {
        guard.observe(event);
        builder.push(event);
    }
    let mut rest = opened.rest;
    while let Some(next) = rest.next().await {
        match next {
            Ok(event) => {
                guard.observe(&event);
                builder.push(&event);
            }
            Err(error) => {
                let id = guard.id;
                guard.finish(Outcome::UpstreamError, error.status, Some(&error.message));
                return captured_error(core, id, api, &error).await;
            }
        }
    }
    let response = builder.finish();
    let id = message_id(api);
    let body = match api {
        ApiFormat::OpenAi => openai::response_json(
            &response,
            &id,
            &req.model,
            chrono::Utc::now().timestamp(),
            show,
        ),
        ApiFormat::Anthropic => anthropic::response_json(&response, &id, &req.model, show),
    };
    // Serialized once: the same bytes go to the client and to the history.
    let bytes = Bytes::from(
        serde_json::to_vec(&body).expect("serializing a Value into memory cannot fail"),
    );
    core.capture()
        .record(guard.id, Stage::ClientResponse, bytes.clone());
    guard.finish(Outcome::Ok, 200, None);
    core.history_committed().await;
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        bytes,
    )
        .into_response()
}

struct StreamState {
    pending: VecDeque<StreamEvent>,
    rest: crate::core::EventStream,
    encoder: Encoder,
    guard: Option<RequestGuard>,
    core: Core,
    ping_every: Duration,
    done: bool,
    collector: Option<Collector>,
}

fn stream_response(
    core: Core,
    api: ApiFormat,
    req: &ChatRequest,
    opened: Opened,
    guard: RequestGuard,
    input_estimate: u64,
) -> Response {
    let show = shows_thinking(api, req, &opened);
    let id = message_id(api);
    let mut encoder = match api {
        ApiFormat::OpenAi => Encoder::OpenAi(openai::StreamEncoder::new(
            id,
            req.model.clone(),
            chrono::Utc::now().timestamp(),
            req.include_usage,
            show,
        )),
        ApiFormat::Anthropic => {
            Encoder::Anthropic(anthropic::StreamEncoder::new(id, req.model.clone(), show))
        }
    };
    let mut head = BytesMut::new();
    encoder.start(input_estimate, &mut head);
    let mut collector = core.capture().collector(guard.id, Stage::ClientResponse);
    if let Some(c) = collector.as_mut() {
        c.push(&head);
    }
    let state = StreamState {
        pending: opened.first.into(),
        rest: opened.rest,
        encoder,
        guard: Some(guard),
        ping_every: Duration::from_secs(core.config().server.ping_interval_s.max(1)),
        core,
        done: false,
        collector,
    };
    let head = futures::stream::once(async move { Ok::<Bytes, Infallible>(head.freeze()) });
    let body = head.chain(futures::stream::unfold(state, next_chunk));
    let mut response = Response::new(Body::from_stream(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// One encoded piece of the SSE body per call; `None` ends the body.
async fn next_chunk(mut s: StreamState) -> Option<(Result<Bytes, Infallible>, StreamState)> {
    if s.done {
        return None;
    }
    let mut out = BytesMut::new();
    if let Some(event) = s.pending.pop_front() {
        emit(&mut s, &event, &mut out);
        keep(&mut s, &out).await;
        return Some((Ok(out.freeze()), s));
    }
    let shutdown = s.core.shutdown_token().clone();
    let pings = s.encoder.pings();
    tokio::select! {
        biased;
        () = shutdown.cancelled() => {
            let error = ErrorInfo::new(503, ErrorKind::Overloaded, "the proxy is shutting down; the answer was cut short");
            fail(&mut s, &error, Outcome::Failed, &mut out);
        }
        next = s.rest.next() => match next {
            Some(Ok(event)) => emit(&mut s, &event, &mut out),
            Some(Err(error)) => fail(&mut s, &error, Outcome::UpstreamError, &mut out),
            None => {
                if !s.encoder.is_finished() {
                    let error = ErrorInfo::new(502, ErrorKind::Api, "the upstream ended the answer without finishing it");
                    fail(&mut s, &error, Outcome::UpstreamError, &mut out);
                }
                s.done = true;
            }
        },
        () = tokio::time::sleep(s.ping_every), if pings => anthropic::StreamEncoder::ping(&mut out),
    }
    keep(&mut s, &out).await;
    if out.is_empty() && s.done {
        return None;
    }
    Some((Ok(out.freeze()), s))
}

/// Adds a piece to the captured client response. Once the answer is over, hands the whole
/// response to the history and waits for the request's commit, so the client never sees an
/// answer complete that a crash could still lose.
async fn keep(s: &mut StreamState, out: &[u8]) {
    if let Some(c) = s.collector.as_mut() {
        c.push(out);
    }
    if s.done {
        s.collector = None;
        s.core.history_committed().await;
    }
}

/// An error response, also kept as the request's client response; returned once the request's
/// row is committed.
async fn captured_error(core: &Core, id: RequestId, api: ApiFormat, error: &ErrorInfo) -> Response {
    if core.capture().is_enabled() {
        let body = match api {
            ApiFormat::OpenAi => openai::error_json(error),
            ApiFormat::Anthropic => anthropic::error_json(error),
        };
        if let Ok(bytes) = serde_json::to_vec(&body) {
            core.capture()
                .record(id, Stage::ClientResponse, bytes.into());
        }
    }
    core.history_committed().await;
    error_response(api, error)
}

fn emit(s: &mut StreamState, event: &StreamEvent, out: &mut BytesMut) {
    if let Some(guard) = s.guard.as_mut() {
        guard.observe(event);
    }
    s.encoder.push(event, out);
    if matches!(event, StreamEvent::Finish { .. }) {
        s.done = true;
        if let Some(guard) = s.guard.take() {
            guard.finish(Outcome::Ok, 200, None);
        }
    }
}

fn fail(s: &mut StreamState, error: &ErrorInfo, outcome: Outcome, out: &mut BytesMut) {
    s.encoder.error(error, out);
    s.done = true;
    if let Some(guard) = s.guard.take() {
        guard.finish(outcome, error.status, Some(&error.message));
    }
}
