//! `CommitBarrier`: the request path waits on it before a response's last bytes, so the request's
//! row is committed before the client sees the request complete (a crash cannot lose it).

use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use tokio::sync::oneshot;

use super::writer::Cmd;

/// A stuck disk must not hold answers back for long; past this the response ends anyway.
const MAX_WAIT: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct CommitBarrier {
    commands: std_mpsc::Sender<Cmd>,
}

impl std::fmt::Debug for CommitBarrier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommitBarrier").finish_non_exhaustive()
    }
}

impl CommitBarrier {
    pub(super) fn new(commands: std_mpsc::Sender<Cmd>) -> Self {
        Self { commands }
    }

    /// Returns once everything reported on the bus and to the capture sink before this call is
    /// committed (waiters arriving together share one commit), the writer is gone, or after
    /// two seconds.
    pub async fn wait(&self) {
        let (reply, done) = oneshot::channel();
        if self.commands.send(Cmd::Commit { reply }).is_err() {
            return;
        }
        if tokio::time::timeout(MAX_WAIT, done).await.is_err() {
            tracing::warn!(
                "history: a commit took longer than {MAX_WAIT:?}; answering without waiting for it"
            );
        }
    }
}
