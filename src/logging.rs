//! Tracing setup: a daily-rolling log file always; stderr as well when headless; and, while the
//! console owns the terminal, an in-app buffer for its Logs tab instead of stderr. Returns the
//! guard that flushes the file writer on drop.

use std::fmt::Write as _;
use std::path::Path;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tracing::field::{Field, Visit};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer};

/// Where log lines go besides the file.
#[derive(Debug)]
pub enum LogOutput {
    /// Headless runs and CLI commands.
    Stderr,
    /// Only the file (short CLI commands that print their own output).
    FileOnly,
    /// The console's Logs tab; never the terminal.
    Console(mpsc::Sender<LogLine>),
}

/// One formatted log event for the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub at: DateTime<Utc>,
    pub level: tracing::Level,
    pub target: String,
    pub message: String,
}

/// How many lines may wait for the console before new ones are dropped.
pub const CONSOLE_BACKLOG: usize = 4096;

/// A channel for `LogOutput::Console`.
pub fn console_channel() -> (mpsc::Sender<LogLine>, mpsc::Receiver<LogLine>) {
    mpsc::channel(CONSOLE_BACKLOG)
}

pub fn init(log_dir: &Path, output: LogOutput) -> anyhow::Result<WorkerGuard> {
    crate::atomic_file::create_dir(log_dir, crate::atomic_file::Visibility::Private)?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("anti-api-tui")
        .filename_suffix("log")
        .max_log_files(7)
        .build(log_dir)?;
    let (file_writer, guard) = tracing_appender::non_blocking(appender);
    let filter =
        || EnvFilter::try_from_env("ANTI_API_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let file_layer = tracing_subscriber::fmt::layer()
        .with_writer(file_writer)
        .with_ansi(false)
        .with_filter(filter());
    let (stderr_layer, console_layer) = match output {
        LogOutput::Stderr => (
            Some(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                    .with_target(false)
                    .with_filter(filter()),
            ),
            None,
        ),
        LogOutput::FileOnly => (None, None),
        LogOutput::Console(tx) => (None, Some(ConsoleLayer { tx }.with_filter(filter()))),
    };
    tracing_subscriber::registry()
        .with(file_layer)
        .with(stderr_layer)
        .with(console_layer)
        .try_init()?;
    Ok(guard)
}

/// Hands each event to the console without ever blocking the thread that logged it.
struct ConsoleLayer {
    tx: mpsc::Sender<LogLine>,
}

impl<S: tracing::Subscriber> Layer<S> for ConsoleLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let mut visitor = MessageVisitor::default();
        event.record(&mut visitor);
        let meta = event.metadata();
        // A full backlog drops the line: the file still has it.
        let _ = self.tx.try_send(LogLine {
            at: Utc::now(),
            level: *meta.level(),
            target: meta.target().to_owned(),
            message: visitor.text,
        });
    }
}

#[derive(Default)]
struct MessageVisitor {
    text: String,
}

impl Visit for MessageVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.text.insert_str(0, value);
        } else {
            let _ = write!(self.text, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.text.insert_str(0, &format!("{value:?}"));
        } else {
            let _ = write!(self.text, " {}={value:?}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_layer_formats_message_and_fields() {
        let (tx, mut rx) = console_channel();
        let subscriber = tracing_subscriber::registry().with(ConsoleLayer { tx });
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(account = "a1", "cooling down");
        });
        let line = rx.try_recv().unwrap();
        assert_eq!(line.level, tracing::Level::WARN);
        assert_eq!(line.message, "cooling down account=a1");
    }
}
