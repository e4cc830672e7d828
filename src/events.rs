//! The contract between the engine and its watchers (console, history, CLI): `ProxyEvent`s are
//! past-tense facts broadcast on a bounded bus. Cheap to clone; never carries request bodies.

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::translate::ir::{ApiFormat, Usage};

/// A request id that sorts by time (UUID v7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RequestId(pub Uuid);

impl RequestId {
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }
}

impl Default for RequestId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RequestMeta {
    pub id: RequestId,
    pub at: DateTime<Utc>,
    pub api: ApiFormat,
    pub path: String,
    pub model_requested: String,
    pub stream: bool,
    pub user_agent: Option<String>,
    /// The request this one replays (console replay, `anti-api-tui replay`).
    pub replay_of: Option<RequestId>,
}

/// Something that happened while a request was being answered.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Progress {
    FirstToken { ttft_ms: u64 },
    Text { text: Arc<str> },
    Thinking { text: Arc<str> },
    ToolCall { name: Arc<str> },
    Usage { usage: Usage },
}

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Answered completely.
    Ok,
    /// Refused: a bad request, an unknown pinned account, no logged-in account, or a 4xx the
    /// upstream gave for the request itself.
    Rejected,
    /// The upstream failed (before or after the first byte) or limits it: a 429 or 5xx. A 429
    /// because every account is cooling counts here too (the upstream's limit), with 0 attempts.
    UpstreamError,
    /// The client went away before the answer was complete.
    ClientGone,
    /// The proxy itself failed (panic, shutdown mid-stream).
    Failed,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ProxyEvent {
    ServerListening {
        addr: SocketAddr,
    },
    ServerStopped {
        reason: String,
    },
    RequestStarted {
        meta: Arc<RequestMeta>,
    },
    /// The request was sent to an account and model (again on each failover attempt).
    RequestRouted {
        id: RequestId,
        model_routed: Arc<str>,
        account: Arc<str>,
        attempt: u32,
    },
    RequestProgress {
        id: RequestId,
        progress: Progress,
    },
    RequestFinished {
        id: RequestId,
        outcome: Outcome,
        status: u16,
        usage: Usage,
        ttft_ms: Option<u64>,
        duration_ms: u64,
        error: Option<Arc<str>>,
    },
    /// An (account, model) pair stopped being used until `until`.
    AccountCooled {
        account: Arc<str>,
        model: Arc<str>,
        until: DateTime<Utc>,
        reason: Arc<str>,
    },
    /// An account's state changed (refreshed, needs login, quarantined, …).
    AccountUpdated {
        account: Arc<str>,
        status: Arc<str>,
    },
}

/// The broadcast bus. Sending never blocks and never fails when nobody listens.
#[derive(Debug, Clone)]
pub struct Bus {
    tx: broadcast::Sender<ProxyEvent>,
}

impl Bus {
    pub const CAPACITY: usize = 4096;

    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(Self::CAPACITY);
        Self { tx }
    }

    pub fn emit(&self, event: ProxyEvent) {
        // No receivers is normal (headless, no console attached).
        let _ = self.tx.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<ProxyEvent> {
        self.tx.subscribe()
    }

    pub fn has_watchers(&self) -> bool {
        self.tx.receiver_count() > 0
    }
}

impl Default for Bus {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_creation_time() {
        let a = RequestId::new();
        let b = RequestId::new();
        assert!(a < b);
    }

    #[tokio::test]
    async fn subscribers_see_events_and_sending_without_them_is_fine() {
        let bus = Bus::new();
        bus.emit(ProxyEvent::ServerStopped { reason: "x".into() });
        let mut rx = bus.subscribe();
        assert!(bus.has_watchers());
        bus.emit(ProxyEvent::ServerStopped { reason: "y".into() });
        match rx.recv().await.unwrap() {
            ProxyEvent::ServerStopped { reason } => assert_eq!(reason, "y"),
            other => panic!("{other:?}"),
        }
    }
}
