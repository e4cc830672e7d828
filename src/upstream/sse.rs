//! Turns an upstream `text/event-stream` body into a stream of JSON payloads with an idle
//! timeout, using a real SSE parser (CRLF, multi-line `data:`, comments).

use std::pin::Pin;
use std::time::Duration;

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
    let events = response.bytes_stream().eventsource();
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
