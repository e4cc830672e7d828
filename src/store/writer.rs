//! The writer thread: the only owner of the write connection. It pulls bus events and captured
//! bodies itself (non-blocking `try_recv`, so it never runs on or waits for the async runtime),
//! turns them into row updates, and commits them in batches.

use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::broadcast::error::TryRecvError;
use tokio::sync::{broadcast, mpsc, oneshot};

use super::held::Held;
use super::ops::{Op, apply};
use super::retention::{self, PruneStats};
use super::{CaptureMode, HistoryOptions, HistoryQuery, RequestDetail, RequestRow, query};
use crate::capture::Captured;
use crate::events::{Outcome, Progress, ProxyEvent, RequestId};

/// A batch is committed when it is this old or this large.
const BATCH_WINDOW: Duration = Duration::from_millis(250);
const BATCH_MAX: usize = 500;
/// How often the sources are polled: quickly while traffic flows, slowly when idle.
const BUSY_POLL: Duration = Duration::from_millis(20);
const IDLE_POLL: Duration = Duration::from_millis(250);
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

pub enum Cmd {
    Attach {
        events: broadcast::Receiver<ProxyEvent>,
        captures: Option<mpsc::Receiver<Captured>>,
    },
    List {
        query: HistoryQuery,
        reply: oneshot::Sender<anyhow::Result<Vec<RequestRow>>>,
    },
    Detail {
        id: RequestId,
        reply: oneshot::Sender<anyhow::Result<Option<RequestDetail>>>,
    },
    Flush {
        reply: std_mpsc::SyncSender<anyhow::Result<()>>,
    },
    /// `CommitBarrier::wait`: commit what has been reported, then reply.
    Commit {
        reply: oneshot::Sender<()>,
    },
    Prune {
        reply: std_mpsc::SyncSender<anyhow::Result<PruneStats>>,
    },
    Shutdown,
}

pub fn spawn(
    conn: Connection,
    options: HistoryOptions,
    commands: std_mpsc::Receiver<Cmd>,
) -> std::io::Result<JoinHandle<()>> {
    let mut writer = Writer {
        conn,
        held: Held::new(options.capture == CaptureMode::Errors),
        options,
        events: Vec::new(),
        captures: Vec::new(),
        batch: Vec::new(),
        batch_started: None,
        lagged: 0,
    };
    std::thread::Builder::new()
        .name("history-writer".into())
        .spawn(move || {
            // Retention at start, on this thread so opening stays quick.
            writer.prune();
            writer.run(&commands);
        })
}

struct Writer {
    conn: Connection,
    options: HistoryOptions,
    /// Every bus and capture queue attached so far (attaching twice is harmless: the row
    /// updates are idempotent, and each capture sink handed out keeps working).
    events: Vec<broadcast::Receiver<ProxyEvent>>,
    captures: Vec<mpsc::Receiver<Captured>>,
    batch: Vec<Op>,
    batch_started: Option<Instant>,
    /// Bodies waiting for their request's outcome (capture = errors).
    held: Held,
    /// Bus events lost because this writer fell behind.
    lagged: u64,
}

impl Writer {
    fn run(mut self, commands: &std_mpsc::Receiver<Cmd>) {
        let mut last_prune = Instant::now();
        let mut busy = false;
        loop {
            let poll = if busy { BUSY_POLL } else { IDLE_POLL };
            // A pending batch is committed on time even when nothing else happens.
            let wait = self
                .batch_started
                .map_or(poll, |t| poll.min(BATCH_WINDOW.saturating_sub(t.elapsed())));
            let mut next = match commands.recv_timeout(wait) {
                Ok(cmd) => Some(cmd),
                Err(std_mpsc::RecvTimeoutError::Timeout) => None,
                Err(std_mpsc::RecvTimeoutError::Disconnected) => break,
            };
            while let Some(cmd) = next.take() {
                match cmd {
                    Cmd::Shutdown => {
                        self.drain();
                        self.commit();
                        return;
                    }
                    Cmd::Commit { reply } => next = self.commit_together(reply, commands),
                    cmd => self.handle(cmd),
                }
            }
            busy = self.drain() > 0;
            if self
                .batch_started
                .is_some_and(|t| t.elapsed() >= BATCH_WINDOW)
            {
                self.commit();
            }
            if last_prune.elapsed() >= PRUNE_EVERY {
                last_prune = Instant::now();
                self.prune();
            }
        }
        self.drain();
        self.commit();
    }

    fn handle(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Attach { events, captures } => {
                self.drain();
                self.events.push(events);
                self.captures.extend(captures);
            }
            Cmd::List { query, reply } => {
                self.catch_up();
                let _ = reply.send(query::list(&self.conn, &query));
            }
            Cmd::Detail { id, reply } => {
                self.catch_up();
                let _ = reply.send(query::detail(&self.conn, id));
            }
            Cmd::Flush { reply } => {
                self.drain();
                let _ = reply.send(self.commit_checked());
            }
            Cmd::Prune { reply } => {
                self.catch_up();
                let _ = reply.send(Ok(self.prune()));
            }
            Cmd::Shutdown | Cmd::Commit { .. } => {}
        }
    }

    /// Group commit: every barrier already queued behind `first` shares one commit. Returns the
    /// first other command found in the queue, to be handled next.
    fn commit_together(
        &mut self,
        first: oneshot::Sender<()>,
        commands: &std_mpsc::Receiver<Cmd>,
    ) -> Option<Cmd> {
        let mut waiting = vec![first];
        let mut other = None;
        while let Ok(cmd) = commands.try_recv() {
            match cmd {
                Cmd::Commit { reply } => waiting.push(reply),
                cmd => {
                    other = Some(cmd);
                    break;
                }
            }
        }
        self.catch_up();
        for reply in waiting {
            let _ = reply.send(());
        }
        other
    }

    /// Everything sent before now, committed (a failed commit is logged and its batch lost).
    fn catch_up(&mut self) {
        self.drain();
        self.commit();
    }

    /// Pulls what the sources hold now; returns how many items came in.
    fn drain(&mut self) -> usize {
        let mut n = 0;
        let mut sources = std::mem::take(&mut self.events);
        sources.retain_mut(|rx| {
            loop {
                match rx.try_recv() {
                    Ok(event) => {
                        n += 1;
                        self.on_event(event);
                    }
                    Err(TryRecvError::Lagged(missed)) => {
                        self.lagged += missed;
                        tracing::warn!(
                            missed,
                            total = self.lagged,
                            "history fell behind the event bus; some request updates are lost"
                        );
                    }
                    Err(TryRecvError::Empty) => break true,
                    Err(TryRecvError::Closed) => break false,
                }
            }
        });
        self.events = sources;
        let mut sources = std::mem::take(&mut self.captures);
        sources.retain_mut(|rx| {
            loop {
                match rx.try_recv() {
                    Ok(captured) => {
                        n += 1;
                        if let Some(captured) = self.held.on_body(captured) {
                            self.push(Op::Body(captured));
                        }
                    }
                    Err(mpsc::error::TryRecvError::Empty) => break true,
                    Err(mpsc::error::TryRecvError::Disconnected) => break false,
                }
            }
        });
        self.captures = sources;
        n
    }

    fn on_event(&mut self, event: ProxyEvent) {
        let op = match event {
            ProxyEvent::RequestStarted { meta } => Op::Started(meta),
            ProxyEvent::RequestRouted {
                id,
                model_routed,
                account,
                attempt,
            } => Op::Routed {
                id,
                model: model_routed,
                account,
                attempt,
            },
            ProxyEvent::RequestProgress { id, progress } => match progress {
                Progress::FirstToken { ttft_ms } => Op::FirstToken { id, ttft_ms },
                Progress::Usage { usage } => Op::Usage { id, usage },
                Progress::ToolCall { .. } => Op::Tool { id },
                // Live text is the console's business; the stored response has it all.
                Progress::Text { .. } | Progress::Thinking { .. } => return,
            },
            ProxyEvent::RequestFinished {
                id,
                outcome,
                status,
                usage,
                ttft_ms,
                duration_ms,
                error,
            } => {
                for body in self.held.on_finished(id, outcome != Outcome::Ok) {
                    self.push(Op::Body(body));
                }
                Op::Finished {
                    id,
                    outcome,
                    status,
                    usage,
                    ttft_ms,
                    duration_ms,
                    error,
                }
            }
            _ => return,
        };
        self.push(op);
    }

    fn push(&mut self, op: Op) {
        self.batch_started.get_or_insert_with(Instant::now);
        self.batch.push(op);
        if self.batch.len() >= BATCH_MAX {
            self.commit();
        }
    }

    fn commit(&mut self) {
        if let Err(e) = self.commit_checked() {
            // A full disk or a locked file must not stop the proxy; the batch is lost.
            tracing::warn!("history: could not write {e:#}");
        }
    }

    fn commit_checked(&mut self) -> anyhow::Result<()> {
        self.batch_started = None;
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        let tx = self.conn.transaction()?;
        for op in batch {
            apply(&tx, op)?;
        }
        tx.commit()?;
        Ok(())
    }

    fn prune(&mut self) -> PruneStats {
        let options = &self.options;
        match retention::prune(&self.conn, options.retention, options.max_db_bytes) {
            Ok(stats) => {
                if stats.rows + stats.bodies > 0 {
                    tracing::info!(
                        rows = stats.rows,
                        bodies = stats.bodies,
                        bytes = stats.bytes_after,
                        "history pruned"
                    );
                }
                stats
            }
            Err(e) => {
                tracing::warn!("history: pruning failed: {e}");
                PruneStats::default()
            }
        }
    }
}
