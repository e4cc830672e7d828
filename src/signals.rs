//! Process signals for `serve` and the console: the first SIGINT, SIGTERM or SIGHUP asks for a
//! clean shutdown; once it is under way, another signal — or a shutdown that outlasts its
//! deadline — ends the process at once, so a stuck shutdown can always be stopped.

use std::time::Duration;

/// The signals that stop the process, registered once.
pub struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hup: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

/// SIGXFSZ on Linux and macOS.
#[cfg(unix)]
const SIGXFSZ: i32 = 25;

/// Catches SIGXFSZ for the rest of the process and never acts on it (tokio keeps a handler
/// installed once registered): past `ulimit -f` a write then fails with EFBIG — the history
/// stops with a warning, as on a full disk — instead of the process dying without a word.
pub fn survive_file_size_limit() {
    #[cfg(unix)]
    if let Err(e) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::from_raw(SIGXFSZ))
    {
        tracing::debug!("could not catch SIGXFSZ: {e}");
    }
}

impl Signals {
    /// `None` when the handlers cannot be installed (the process then stops on signals the
    /// default way, at once).
    pub fn install() -> Option<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Some(Self {
                term: signal(SignalKind::terminate()).ok()?,
                hup: signal(SignalKind::hangup()).ok()?,
                int: signal(SignalKind::interrupt()).ok()?,
            })
        }
        #[cfg(not(unix))]
        {
            Some(Self {})
        }
    }

    /// The next stopping signal.
    pub async fn next(&mut self) {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => {}
                _ = self.hup.recv() => {}
                _ = self.int.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }

    /// Call when a clean shutdown begins: from then on the next signal, or `deadline` passing,
    /// exits the process with status 1 (answers already given are in the history: it commits
    /// each request before its answer ends).
    pub fn force_exit_if_stuck(mut self, deadline: Duration) {
        tokio::spawn(async move {
            tokio::select! {
                () = self.next() => {
                    tracing::warn!("another signal during shutdown: exiting now");
                }
                () = tokio::time::sleep(deadline) => {
                    tracing::warn!("shutdown took longer than {deadline:?}: exiting now");
                }
            }
            std::process::exit(1);
        });
    }
}
