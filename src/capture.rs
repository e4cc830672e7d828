//! Request bodies at each stage (client request, upstream request, upstream events, client
//! response), handed from the request path to the history store without ever blocking it:
//! capped at capture time, dropped when the store falls behind.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::{Bytes, BytesMut};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::events::RequestId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The body the client sent.
    ClientRequest,
    /// What was sent upstream, with the routing decision and the schema cleaner's changes
    /// (one record per attempt).
    UpstreamRequest,
    /// The upstream's SSE payloads, one JSON per line.
    UpstreamEvents,
    /// What the client received (JSON or SSE text).
    ClientResponse,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientRequest => "client_request",
            Self::UpstreamRequest => "upstream_request",
            Self::UpstreamEvents => "upstream_events",
            Self::ClientResponse => "client_response",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Captured {
    pub id: RequestId,
    pub stage: Stage,
    pub body: Bytes,
    /// The body was longer than the cap and was cut.
    pub truncated: bool,
}

/// Where captured bodies go. Disabled (the default) costs one branch per call site.
#[derive(Debug, Clone, Default)]
pub struct CaptureSink {
    tx: Option<mpsc::Sender<Captured>>,
    max_bytes: usize,
    /// Bodies lost to a full queue (shared by clones).
    dropped: Arc<AtomicU64>,
}

impl CaptureSink {
    pub fn new(tx: mpsc::Sender<Captured>, max_bytes: usize) -> Self {
        Self {
            tx: Some(tx),
            max_bytes,
            dropped: Arc::default(),
        }
    }

    /// Bodies dropped so far because the history's writer was behind.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Queues a body; a full queue means the store is behind, and losing a body beats slowing a
    /// request — but it is counted and logged (the first time, then every 1,000th).
    fn send(&self, captured: Captured) {
        let Some(tx) = &self.tx else { return };
        if tx.try_send(captured).is_err() && !tx.is_closed() {
            let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if n == 1 || n.is_multiple_of(1000) {
                tracing::warn!(
                    dropped = n,
                    "history is behind: request bodies were not stored (the requests themselves are)"
                );
            }
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.tx.is_some()
    }

    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    pub fn record(&self, id: RequestId, stage: Stage, body: Bytes) {
        if self.tx.is_none() {
            return;
        }
        let truncated = body.len() > self.max_bytes;
        let body = if truncated {
            body.slice(..self.max_bytes)
        } else {
            body
        };
        self.send(Captured {
            id,
            stage,
            body,
            truncated,
        });
    }

    /// An accumulator for a stage written piece by piece (streams); records itself when dropped.
    pub fn collector(&self, id: RequestId, stage: Stage) -> Option<Collector> {
        self.is_enabled().then(|| Collector {
            sink: self.clone(),
            id,
            stage,
            buf: BytesMut::new(),
            truncated: false,
        })
    }
}

/// Gathers a streamed body up to the cap; hands it to the sink on drop (however the stream ends).
#[derive(Debug)]
pub struct Collector {
    sink: CaptureSink,
    id: RequestId,
    stage: Stage,
    buf: BytesMut,
    truncated: bool,
}

impl Collector {
    pub fn push(&mut self, piece: &[u8]) {
        let room = self.sink.max_bytes.saturating_sub(self.buf.len());
        if piece.len() > room {
            self.truncated = true;
        }
        self.buf.extend_from_slice(&piece[..piece.len().min(room)]);
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.sink.send(Captured {
            id: self.id,
            stage: self.stage,
            body: std::mem::take(&mut self.buf).freeze(),
            truncated: self.truncated,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bodies_are_capped_and_collectors_record_on_drop() {
        let (tx, mut rx) = mpsc::channel(8);
        let sink = CaptureSink::new(tx, 4);
        let id = RequestId::new();
        sink.record(id, Stage::ClientRequest, Bytes::from_static(b"abcdefgh"));
        let got = rx.recv().await.unwrap();
        assert_eq!(&got.body[..], b"abcd");
        assert!(got.truncated);
        {
            let mut c = sink.collector(id, Stage::ClientResponse).unwrap();
            c.push(b"ab");
            c.push(b"cdef");
        }
        let got = rx.recv().await.unwrap();
        assert_eq!(got.stage, Stage::ClientResponse);
        assert_eq!(&got.body[..], b"abcd");
        assert!(got.truncated);
        assert!(
            CaptureSink::default()
                .collector(id, Stage::ClientRequest)
                .is_none()
        );
    }

    #[tokio::test]
    async fn bodies_a_full_queue_cannot_take_are_counted() {
        let (tx, mut rx) = mpsc::channel(1);
        let sink = CaptureSink::new(tx, 64);
        let id = RequestId::new();
        for _ in 0..3 {
            sink.record(id, Stage::ClientRequest, Bytes::from_static(b"{}"));
        }
        assert_eq!(sink.dropped(), 2);
        assert!(rx.recv().await.is_some());
        sink.clone()
            .record(id, Stage::ClientResponse, Bytes::from_static(b"{}"));
        assert_eq!(sink.dropped(), 2, "room again: nothing more dropped");
        drop(rx);
        sink.record(id, Stage::ClientResponse, Bytes::from_static(b"{}"));
        assert_eq!(sink.dropped(), 2, "a closed store is not a full one");
    }
}
