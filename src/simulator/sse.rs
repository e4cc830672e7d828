//! Writes replies as the upstream's SSE: `data: {"response":…,"traceId":…}` events, paced by the
//! chunk delay, with the framing quirks clients must tolerate (CRLF on every third event, one
//! event split over two `data:` lines), and the disconnect/stall endings faults need.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use futures::stream;
use serde_json::{Value, json};

use super::script::Reply;
use super::state::Shared;

/// How long a disconnecting body waits after its last frame before failing.
const DISCONNECT_GRACE: Duration = Duration::from_millis(50);

/// How a body ends once its frames are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    Complete,
    /// Abort the body with an error, so the connection is cut mid-response.
    Disconnect,
    /// Never finish (until the simulator shuts down).
    Stall,
}

/// Identifies one reply on the wire.
pub(crate) struct Ids<'a> {
    pub model: &'a str,
    pub response_id: &'a str,
    pub trace_id: &'a str,
}

/// One event's JSON payload.
pub(crate) fn payload(
    parts: &[Value],
    finish: Option<&str>,
    usage: Option<&Value>,
    ids: &Ids<'_>,
) -> Value {
    let mut candidate = json!({ "content": { "role": "model", "parts": parts } });
    if let Some(reason) = finish {
        candidate["finishReason"] = json!(reason);
    }
    let mut response = json!({ "candidates": [candidate] });
    if let Some(usage) = usage {
        response["usageMetadata"] = usage.clone();
    }
    response["modelVersion"] = json!(ids.model);
    response["responseId"] = json!(ids.response_id);
    json!({ "response": response, "traceId": ids.trace_id })
}

/// The SSE frames of a reply; finish reason and the full usage ride on the last event. On a
/// Gemini model earlier events carry the prompt's count already, as Gemini's streams do on
/// every chunk; Claude's and GPT-OSS's report usage only at the end.
pub(crate) fn frames(reply: &Reply, ids: &Ids<'_>) -> Vec<Bytes> {
    let last = reply.events.len().saturating_sub(1);
    let prompt = &reply.usage["promptTokenCount"];
    let early = ids
        .model
        .starts_with("gemini")
        .then(|| json!({"promptTokenCount": prompt, "totalTokenCount": prompt}));
    // The second event (or the only one) is split over two `data:` lines.
    let split_at = usize::from(reply.events.len() > 1);
    reply
        .events
        .iter()
        .enumerate()
        .map(|(i, parts)| {
            let end = i == last;
            let json = payload(
                parts,
                end.then_some(reply.finish),
                if end {
                    Some(&reply.usage)
                } else {
                    early.as_ref()
                },
                ids,
            );
            frame(&json, i, i == split_at)
        })
        .collect()
}

/// Frames one event. Every third event uses CRLF line endings; a split event puts the
/// `"traceId"` member on a second `data:` line (with no space after the colon), which is still
/// valid JSON once the lines are joined with "\n".
pub(crate) fn frame(json: &Value, index: usize, split: bool) -> Bytes {
    let eol = if index % 3 == 2 { "\r\n" } else { "\n" };
    let data = json.to_string();
    // `,"traceId":` cannot occur inside a JSON string (its quotes would be escaped), so this
    // finds the structural comma between the two top-level members.
    let cut = split
        .then(|| data.rfind(",\"traceId\":"))
        .flatten()
        .map(|i| i + 1);
    let text = match cut {
        Some(i) => format!("data: {}{eol}data:{}{eol}{eol}", &data[..i], &data[i..]),
        None => format!("data: {data}{eol}{eol}"),
    };
    Bytes::from(text)
}

/// Counts a body in `SimStats::open_streams` while it exists; hyper drops the body when the
/// client goes away, so disconnects are counted too.
struct OpenStream(Arc<Shared>);

impl OpenStream {
    fn new(shared: Arc<Shared>) -> Self {
        shared.stream_opened();
        Self(shared)
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.0.stream_closed();
    }
}

struct Feed {
    frames: VecDeque<Bytes>,
    delay: Duration,
    ending: Ending,
    started: bool,
    done: bool,
    guard: OpenStream,
}

/// A response body that writes `frames` `delay` apart, then ends as `ending` says.
pub(crate) fn body(
    shared: Arc<Shared>,
    frames: Vec<Bytes>,
    delay: Duration,
    ending: Ending,
) -> Body {
    let feed = Feed {
        frames: frames.into(),
        delay,
        ending,
        started: false,
        done: false,
        guard: OpenStream::new(shared),
    };
    Body::from_stream(stream::unfold(feed, next))
}

async fn next(mut feed: Feed) -> Option<(Result<Bytes, std::io::Error>, Feed)> {
    if feed.done {
        return None;
    }
    let cancel = feed.guard.0.cancel.clone();
    if let Some(frame) = feed.frames.pop_front() {
        if feed.started && !feed.delay.is_zero() {
            tokio::select! {
                () = tokio::time::sleep(feed.delay) => {}
                () = cancel.cancelled() => return Some(abort(feed, "simulator shut down")),
            }
        }
        feed.started = true;
        return Some((Ok(frame), feed));
    }
    match feed.ending {
        Ending::Complete => None,
        Ending::Disconnect => {
            // hyper drops its unflushed buffer when a body fails, so let the frames reach the
            // client first: the fault is "some data, then a cut", not "no response".
            tokio::select! {
                () = tokio::time::sleep(DISCONNECT_GRACE) => {}
                () = cancel.cancelled() => {}
            }
            Some(abort(feed, "simulated disconnect"))
        }
        Ending::Stall => {
            cancel.cancelled().await;
            Some(abort(feed, "simulator shut down"))
        }
    }
}

fn abort(mut feed: Feed, why: &str) -> (Result<Bytes, std::io::Error>, Feed) {
    feed.done = true;
    (Err(std::io::Error::other(why.to_owned())), feed)
}

/// Folds a reply into the single JSON object `generateContent` returns: consecutive text of the
/// same kind is joined, a signature-only part moves onto the thought before it, and empty text
/// deltas disappear.
pub(crate) fn aggregate(reply: &Reply, ids: &Ids<'_>) -> Value {
    let mut parts: Vec<Value> = Vec::new();
    for part in reply.events.iter().flatten() {
        let text = part.get("text").and_then(Value::as_str);
        let thought = part
            .get("thought")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let signature = part.get("thoughtSignature");
        match (text, parts.last_mut()) {
            (Some(""), Some(prev)) if thought => {
                if let Some(sig) = signature {
                    prev["thoughtSignature"] = sig.clone();
                }
            }
            (Some(""), _) if signature.is_none() => {}
            (Some(t), Some(prev))
                if signature.is_none()
                    && prev.get("functionCall").is_none()
                    && prev
                        .get("thought")
                        .and_then(Value::as_bool)
                        .unwrap_or(false)
                        == thought =>
            {
                let joined = format!("{}{t}", prev["text"].as_str().unwrap_or_default());
                prev["text"] = Value::String(joined);
            }
            _ => parts.push(part.clone()),
        }
    }
    payload(&parts, Some(reply.finish), Some(&reply.usage), ids)
}
