//! Turns an upstream `text/event-stream` body into a stream of JSON payloads with an idle
//! timeout, using a real SSE parser (CRLF, multi-line `data:`, comments).

use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use eventsource_stream::Eventsource as _;
use futures::{Stream, StreamExt as _};

#[derive(Debug, Clone, thiserror::Error)]
pub enum StreamError {
    #[error("the upstream sent nothing for {0} s; the stream was ended")]
    Idle(u64),
    #[error("the upstream connection broke mid-stream: {0}")]
    Transport(String),
    #[error("the upstream sent an unreadable event: {0}")]
    Malformed(String),
}

/// One JSON payload per SSE event; ends when the upstream closes the body.
pub type UpstreamChunks =
    Pin<Box<dyn Stream<Item = Result<serde_json::Value, StreamError>> + Send>>;

pub fn json_events(response: reqwest::Response, idle: Duration) -> UpstreamChunks {
    json_events_from(response.bytes_stream(), idle)
}

/// [`json_events`] over any byte stream, however it is chunked (the property tests feed it
/// arbitrary splits and garbage).
pub fn json_events_from<S, B, E>(bytes: S, idle: Duration) -> UpstreamChunks
where
    S: Stream<Item = Result<B, E>> + Send + 'static,
    B: Into<Bytes>,
    E: std::fmt::Display + Send + 'static,
{
    let events = guard_edges(bytes).eventsource();
    let stream = futures::stream::unfold(Some(Box::pin(events)), move |state| async move {
        let mut events = state?;
        loop {
            let next = match tokio::time::timeout(idle, events.next()).await {
                Err(_) => return Some((Err(StreamError::Idle(idle.as_secs())), None)),
                Ok(None) => return None,
                Ok(Some(next)) => next,
            };
            match next {
                Err(e) => return Some((Err(StreamError::Transport(e.to_string())), None)),
                Ok(event) => {
                    let data = event.data.trim();
                    if data.is_empty() || data == "[DONE]" {
                        continue;
                    }
                    let item = serde_json::from_str(data)
                        .map_err(|e| StreamError::Malformed(e.to_string()));
                    return Some((item, Some(events)));
                }
            }
        }
    });
    Box::pin(stream)
}

/// The UTF-8 byte-order mark an event stream may start with.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// What [`guard_edges`] knows about the two ends of the stream.
struct Edges<S> {
    inner: Pin<Box<S>>,
    /// Leading bytes kept while they may still be (part of) a byte-order mark; `None` once
    /// the start is settled.
    held: Option<Vec<u8>>,
    /// Whether the last byte passed on was a CR.
    ends_in_cr: bool,
    done: bool,
}

/// Hands the SSE parser a stream whose edges it cannot get wrong. `eventsource-stream` 0.2.3
/// panics on a body that starts with a byte-order mark (it slices the 3-byte character at
/// byte 1), and drops the last event of a body whose lines end in a lone CR (it waits for an LF
/// that never comes). So the mark is dropped here, as the SSE spec says, even when split across
/// chunks; the stream starts with an empty line (which dispatches nothing), so the parser never
/// looks for a mark itself and a second one is an ordinary character, again as the spec has it;
/// and a final CR gets its LF (CR LF is one line end, so nothing else changes).
fn guard_edges<S, B, E>(bytes: S) -> impl Stream<Item = Result<Bytes, E>> + Send + 'static
where
    S: Stream<Item = Result<B, E>> + Send + 'static,
    B: Into<Bytes>,
    E: Send + 'static,
{
    let edges = Edges {
        inner: Box::pin(bytes),
        held: Some(Vec::new()),
        ends_in_cr: false,
        done: false,
    };
    let body = futures::stream::unfold(edges, |mut state| async move {
        if state.done {
            return None;
        }
        loop {
            match state.inner.next().await {
                Some(Ok(chunk)) => {
                    let chunk: Bytes = chunk.into();
                    if let Some(&last) = chunk.last() {
                        state.ends_in_cr = last == b'\r';
                    }
                    let Some(mut held) = state.held.take() else {
                        return Some((Ok(chunk), state));
                    };
                    held.extend_from_slice(&chunk);
                    if held.len() < BOM.len() && BOM.starts_with(&held) {
                        state.held = Some(held);
                        continue;
                    }
                    let rest = if held.starts_with(BOM) {
                        held.split_off(BOM.len())
                    } else {
                        held
                    };
                    return Some((Ok(Bytes::from(rest)), state));
                }
                Some(Err(e)) => return Some((Err(e), state)),
                None => {
                    state.done = true;
                    // Held bytes are a partial mark, so never end in a CR.
                    let tail = match state.held.take().filter(|b| !b.is_empty()) {
                        Some(held) => Bytes::from(held),
                        None if state.ends_in_cr => Bytes::from_static(b"\n"),
                        None => return None,
                    };
                    return Some((Ok(tail), state));
                }
            }
        }
    });
    futures::stream::once(async { Ok(Bytes::from_static(b"\n")) }).chain(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(chunks: &[&[u8]]) -> Vec<Result<serde_json::Value, String>> {
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            chunks.iter().map(|c| Ok(c.to_vec())).collect();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(
            json_events_from(futures::stream::iter(chunks), Duration::from_secs(5))
                .map(|r| r.map_err(|e| e.to_string()))
                .collect(),
        )
    }

    #[test]
    fn a_leading_byte_order_mark_is_dropped_even_when_split() {
        // Found by the property tests: eventsource-stream panicked on a leading BOM.
        let want = vec![Ok(serde_json::json!({"a": 1}))];
        assert_eq!(read(&[b"\xEF\xBB\xBFdata: {\"a\":1}\n\n"]), want);
        assert_eq!(read(&[b"\xEF", b"\xBB", b"\xBFdata: {\"a\":1}\n\n"]), want);
        assert_eq!(read(&[b"\xEF\xBB\xBF"]), vec![]);
        // A second mark is part of the first field's name, so that field is ignored.
        assert_eq!(
            read(&[b"\xEF\xBB\xBF\xEF\xBB\xBFdata: {\"a\":1}\n\ndata: {\"a\":1}\n\n"]),
            want
        );
    }

    #[test]
    fn the_last_event_of_a_stream_of_lone_crs_is_kept() {
        // Found by the property tests: the parser waited for an LF after the final CR.
        let want = vec![
            Ok(serde_json::json!({"a": 1})),
            Ok(serde_json::json!({"b": 2})),
        ];
        assert_eq!(read(&[b"data: {\"a\":1}\r\rdata: {\"b\":2}\r\r"]), want);
        assert_eq!(
            read(&[b"data: {\"a\":1}\r\rdata: {\"b\":2}\r", b"\r", b""]),
            want
        );
    }

    #[test]
    fn a_lone_partial_mark_is_passed_on_as_bytes() {
        // Not UTF-8 on its own: the reader reports it rather than hanging or panicking.
        let items = read(&[b"\xEF\xBB"]);
        assert_eq!(items.len(), 1);
        assert!(items[0].is_err());
    }
}
