//! Drives one chat request from IR to the client: opens the upstream (errors before the first
//! event are real statuses), then either streams SSE in the client's format with keep-alive
//! pings and a terminal event on shutdown, or aggregates a complete JSON body.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use bytes::{Bytes, BytesMut};
use futures::StreamExt as _;
use tokio_util::sync::CancellationToken;

use super::context;
use super::guard::RequestGuard;
use crate::core::{Core, Opened};
use crate::events::Outcome;
use crate::translate::anthropic::estimate_input_tokens;
use crate::translate::client_api::{ApiFormat, Context, Reply, SignatureLookup, StreamEncoder};
use crate::translate::ir::{ChatRequest, ErrorInfo, ErrorKind, ResponseBuilder, StreamEvent};

pub async fn respond(
    core: Core,
    req: ChatRequest,
    context: Context,
    guard: RequestGuard,
    pinned: Option<String>,
) -> Response {
    let api = guard.api();
    let input_estimate = estimate_input_tokens(&req);
    let opened = match core.open(&req, guard.id, pinned.as_deref()).await {
        Ok(opened) => opened,
        Err(error) => {
            let outcome = if error.status >= 500 || matches!(error.kind, ErrorKind::RateLimit) {
                Outcome::UpstreamError
            } else {
                Outcome::Rejected
            };
            return guard.reject(&error, outcome).await;
        }
    };
    // The upstream's own prompt count when its first events carry one (Gemini's do), so
    // `message_start` and the final usage agree; the local estimate otherwise.
    let input_estimate = opened
        .first
        .iter()
        .find_map(|event| match event {
            StreamEvent::Usage { usage } if usage.prompt_tokens() > 0 => Some(usage.input_tokens),
            _ => None,
        })
        .unwrap_or(input_estimate);
    let lookup = core.clone();
    let reply = Reply {
        id: api.response_id(&uuid::Uuid::new_v4().simple().to_string()),
        created: chrono::Utc::now().timestamp(),
        show_thinking: api.shows_thinking(&req, &context, opened.thinking),
        input_estimate,
        // Only the Gemini API hands call signatures to its clients.
        signatures: (api == ApiFormat::Gemini)
            .then(|| Arc::new(move |id: &str| lookup.tool_signature(id)) as SignatureLookup),
    };
    if req.stream {
        stream_response(&core, req, context, reply, opened, guard)
    } else {
        complete_response(&core, &req, &context, &reply, opened, guard).await
    }
}

async fn complete_response(
    core: &Core,
    req: &ChatRequest,
    context: &Context,
    reply: &Reply,
    opened: Opened,
    mut guard: RequestGuard,
) -> Response {
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
            Err(error) => return guard.reject(&error, Outcome::UpstreamError).await,
        }
    }
    let response = builder.finish();
    let body = guard.api().response_json(req, context, &response, reply);
    // Serialized once: the same bytes go to the client and to the history.
    let bytes = Bytes::from(
        serde_json::to_vec(&body).expect("serializing a Value into memory cannot fail"),
    );
    context::remember(core, req, context, &reply.id, &response, bytes.clone());
    guard.complete(bytes).await
}

/// How a stream ends, decided while encoding its last piece and carried out (with the commit)
/// before that piece is sent.
struct Ending {
    outcome: Outcome,
    status: u16,
    error: Option<String>,
}

struct StreamState {
    core: Core,
    req: ChatRequest,
    context: Context,
    reply_id: String,
    /// The answer so far, for formats that keep it (`conversation::keeps`).
    kept: Option<ResponseBuilder>,
    pending: VecDeque<StreamEvent>,
    rest: crate::core::EventStream,
    encoder: StreamEncoder,
    /// `None` once the request has ended.
    guard: Option<RequestGuard>,
    ending: Option<Ending>,
    shutdown: CancellationToken,
    ping_every: Duration,
    done: bool,
}

fn stream_response(
    core: &Core,
    req: ChatRequest,
    context: Context,
    reply: Reply,
    opened: Opened,
    mut guard: RequestGuard,
) -> Response {
    let mut encoder = guard.api().stream_encoder(&req, &context, &reply);
    let mut head = BytesMut::new();
    encoder.start(&mut head);
    guard.stream_piece(&head);
    let state = StreamState {
        core: core.clone(),
        kept: context::keeps(&context).then(ResponseBuilder::default),
        req,
        context,
        reply_id: reply.id,
        pending: opened.first.into(),
        rest: opened.rest,
        encoder,
        guard: Some(guard),
        ending: None,
        shutdown: core.shutdown_token().clone(),
        ping_every: Duration::from_secs(core.config().server.ping_interval_s.max(1)),
        done: false,
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
    } else {
        let shutdown = s.shutdown.clone();
        let pings = s.encoder.has_keep_alive();
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
            () = tokio::time::sleep(s.ping_every), if pings => {
                s.encoder.keep_alive(&mut out);
            }
        }
    }
    settle(&mut s, &out).await;
    if out.is_empty() && s.done {
        return None;
    }
    Some((Ok(out.freeze()), s))
}

/// Adds a piece to the captured client response; when the piece ends the answer, ends the
/// request first (which waits for its commit), so the client never sees an answer complete
/// that a crash could still lose.
async fn settle(s: &mut StreamState, out: &[u8]) {
    if let Some(guard) = s.guard.as_mut() {
        guard.stream_piece(out);
    }
    if let Some(ending) = s.ending.take()
        && let Some(guard) = s.guard.take()
    {
        guard
            .end_stream(ending.outcome, ending.status, ending.error.as_deref())
            .await;
    }
}

fn emit(s: &mut StreamState, event: &StreamEvent, out: &mut BytesMut) {
    if let Some(guard) = s.guard.as_mut() {
        guard.observe(event);
    }
    s.encoder.push(event, out);
    if let Some(kept) = s.kept.as_mut() {
        kept.push(event);
    }
    if matches!(event, StreamEvent::Finish { .. }) {
        if let Some(kept) = s.kept.take() {
            let response = kept.finish();
            let body = s.encoder.final_body().unwrap_or_default();
            context::remember(&s.core, &s.req, &s.context, &s.reply_id, &response, body);
        }
        s.done = true;
        s.ending.get_or_insert(Ending {
            outcome: Outcome::Ok,
            status: 200,
            error: None,
        });
    }
}

fn fail(s: &mut StreamState, error: &ErrorInfo, outcome: Outcome, out: &mut BytesMut) {
    s.encoder.error(error, out);
    s.done = true;
    s.ending.get_or_insert(Ending {
        outcome,
        status: error.status,
        error: Some(error.message.clone()),
    });
}
