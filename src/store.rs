//! The request history: one SQLite file (`DATA/history.sqlite3`, 0600, WAL) holding a row per
//! request and, per capture mode, its redacted bodies. One std thread owns the write connection;
//! the request path only waits for it through a `CommitBarrier` (`[history] durable`).

mod barrier;
mod held;
mod ops;
mod query;
mod redact;
mod retention;
mod schema;
mod writer;

#[cfg(test)]
mod tests;

pub use crate::config::CaptureMode;
pub use barrier::CommitBarrier;
pub use query::{HistoryReader, Resolved};
pub use retention::PruneStats;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak, mpsc as std_mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use crate::capture::{CaptureSink, Stage};
use crate::config::HistoryConfig;
use crate::events::{Bus, Outcome, RequestId};
use crate::filter::Filter;
use crate::translate::client_api::ApiName;

use writer::Cmd;

/// Bodies waiting for the writer; a full queue drops bodies rather than slowing requests.
const CAPTURE_QUEUE: usize = 256;

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryOptions {
    pub capture: CaptureMode,
    /// Cap per stage body, applied at capture.
    pub max_body_bytes: usize,
    /// Rows (and their bodies) older than this are deleted.
    pub retention: Duration,
    /// Above this the oldest bodies, then the oldest rows, are deleted.
    pub max_db_bytes: u64,
}

impl HistoryOptions {
    pub fn from_config(config: &HistoryConfig) -> Self {
        Self {
            capture: config.capture,
            max_body_bytes: usize::try_from(config.max_body_kb.saturating_mul(1024))
                .unwrap_or(usize::MAX),
            retention: Duration::from_secs(config.retention_days.saturating_mul(86_400)),
            max_db_bytes: config.max_db_mb.saturating_mul(1024 * 1024),
        }
    }
}

impl Default for HistoryOptions {
    fn default() -> Self {
        Self::from_config(&HistoryConfig::default())
    }
}

/// What to list: newest first, optionally filtered, at most `limit` rows (0 = all), strictly
/// older than `before` (for paging).
#[derive(Debug, Clone, Default)]
pub struct HistoryQuery {
    pub filter: Option<Filter>,
    pub limit: usize,
    pub before: Option<RequestId>,
}

/// One request as the history knows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestRow {
    pub id: RequestId,
    pub at: DateTime<Utc>,
    /// The client API, as stored: a name this build does not know is kept, not an error.
    pub api: ApiName,
    pub path: String,
    /// The model the client asked for.
    pub model: String,
    pub model_routed: Option<String>,
    pub account: Option<String>,
    pub status: Option<u16>,
    pub outcome: Option<Outcome>,
    pub stream: bool,
    pub ttft_ms: Option<u64>,
    pub duration_ms: Option<u64>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub error: Option<String>,
    pub has_tool: bool,
    pub replay_of: Option<RequestId>,
    pub attempts: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestDetail {
    pub row: RequestRow,
    /// In stage order (client request, upstream requests by attempt, upstream events, response).
    pub stages: Vec<StageBody>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageBody {
    pub stage: Stage,
    /// Redacted, and cut at the capture cap when `truncated`.
    pub body: String,
    pub truncated: bool,
    /// Arrival order within the stage (the attempt order for `upstream_request`).
    pub seq: u32,
}

/// A handle on the history; clones share one writer thread, which stops when the last is dropped.
#[derive(Clone)]
pub struct HistoryStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    options: HistoryOptions,
    commands: std_mpsc::Sender<Cmd>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for HistoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HistoryStore")
            .field("path", &self.inner.path)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

impl HistoryStore {
    /// Opens (creating, 0600) and migrates the database, prunes it, and starts the writer thread.
    /// Opening a file this process already has open returns a handle on the same writer (the
    /// first opener's options stay), so two owners never write one file from two connections.
    pub fn open(path: &Path, options: HistoryOptions) -> anyhow::Result<Self> {
        static OPEN: Mutex<Vec<(PathBuf, Weak<Inner>)>> = Mutex::new(Vec::new());
        let mut open = OPEN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        open.retain(|(_, weak)| weak.strong_count() > 0);
        let key = registry_key(path);
        if let Some(inner) = open
            .iter()
            .find(|(p, _)| *p == key)
            .and_then(|(_, weak)| weak.upgrade())
        {
            if inner.options != options {
                tracing::debug!(
                    "history: {} is already open; keeping its options",
                    key.display()
                );
            }
            return Ok(Self { inner });
        }
        let conn = schema::open_for_writing(path)?;
        let (commands, rx) = std_mpsc::channel();
        let thread = writer::spawn(conn, options.clone(), rx)
            .context("starting the history writer thread")?;
        let inner = Arc::new(Inner {
            path: path.to_owned(),
            options,
            commands,
            thread: Mutex::new(Some(thread)),
        });
        open.push((registry_key(path), Arc::downgrade(&inner)));
        Ok(Self { inner })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    pub fn options(&self) -> &HistoryOptions {
        &self.inner.options
    }

    /// Starts recording `bus`'s requests and returns the sink for `Core::set_capture` (disabled
    /// when capture is `none`). The writer thread pulls the bus itself, so `flush` sees every
    /// event emitted before it was called; a lagging bus is counted and skipped, never fatal.
    pub fn attach(&self, bus: &Bus) -> CaptureSink {
        let (sink, captures) = if self.inner.options.capture == CaptureMode::None {
            (CaptureSink::default(), None)
        } else {
            let (tx, rx) = mpsc::channel(CAPTURE_QUEUE);
            (
                CaptureSink::new(tx, self.inner.options.max_body_bytes),
                Some(rx),
            )
        };
        self.send(Cmd::Attach {
            events: bus.subscribe(),
            captures,
        });
        sink
    }

    /// Requests newest first.
    pub async fn list(&self, query: HistoryQuery) -> anyhow::Result<Vec<RequestRow>> {
        let (reply, rx) = oneshot::channel();
        self.send(Cmd::List { query, reply });
        rx.await.context("the history writer stopped")?
    }

    pub async fn detail(&self, id: RequestId) -> anyhow::Result<Option<RequestDetail>> {
        let (reply, rx) = oneshot::channel();
        self.send(Cmd::Detail { id, reply });
        rx.await.context("the history writer stopped")?
    }

    /// Blocks until every event and body sent so far is committed.
    pub fn flush(&self) -> anyhow::Result<()> {
        let (reply, rx) = std_mpsc::sync_channel(1);
        self.send(Cmd::Flush { reply });
        rx.recv().context("the history writer stopped")?
    }

    /// A handle the request path waits on so a response ends only after its row is committed.
    pub fn commit_barrier(&self) -> CommitBarrier {
        CommitBarrier::new(self.inner.commands.clone())
    }

    /// Applies retention now (it also runs at open and hourly); blocks until done.
    pub fn prune(&self) -> anyhow::Result<PruneStats> {
        let (reply, rx) = std_mpsc::sync_channel(1);
        self.send(Cmd::Prune { reply });
        rx.recv().context("the history writer stopped")?
    }

    fn send(&self, cmd: Cmd) {
        // A send only fails once the writer is gone; the reply channel then reports it.
        let _ = self.inner.commands.send(cmd);
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Commit what is pending and close the file before the handle is gone, so a store
        // reopened right after (tests, restarts) sees everything.
        let _ = self.commands.send(Cmd::Shutdown);
        let thread = self.thread.lock().ok().and_then(|mut t| t.take());
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

/// The same file however it is named (relative, through links), once it exists.
fn registry_key(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
}

/// Where `serve` keeps the history.
pub fn default_path(data_dir: &Path) -> PathBuf {
    data_dir.join("history.sqlite3")
}
