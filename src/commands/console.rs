//! `anti-api-tui` with no subcommand: the engine starts as `serve` would, the proxy serves in
//! the background, and the console runs in the terminal until the user quits; quitting (or
//! SIGTERM/SIGHUP) stops both. `--demo` adds gentle sample traffic.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::app::{self, ConsoleOptions, demo_traffic};
use crate::cli::ServeArgs;
use crate::logging::LogLine;
use crate::paths::Paths;
use crate::signals::Signals;
use crate::startup;

/// How long quitting may take (open streams end at once; history is committed per request).
const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(10);

pub async fn run_tui(
    paths: &Paths,
    args: &ServeArgs,
    demo: bool,
    logs: Option<mpsc::Receiver<LogLine>>,
) -> anyhow::Result<()> {
    let config = startup::load_config(paths, args)?;
    let paths = if demo {
        paths.for_demo()
    } else {
        paths.clone()
    };
    let engine = startup::start(&paths, config, demo).await?;
    let core = engine.core.clone();
    // Opened and recording from the bus by `startup` (as for `serve`).
    let history = engine.history.clone();
    // Subscribed before serving starts, so the console sees `ServerListening`.
    let bus = core.bus().subscribe();
    let addr = engine.listener.local_addr()?;
    let server = tokio::spawn(crate::proxy::serve(engine.listener, core.clone()));
    let stop = CancellationToken::new();
    if demo {
        let base = format!("http://127.0.0.1:{}", addr.port());
        tokio::spawn(demo_traffic::run(base, stop.child_token()));
    }
    tokio::spawn(quit_on_signal(stop.clone()));
    let result = app::run(
        core.clone(),
        ConsoleOptions {
            demo,
            history: history.clone(),
            logs,
            data_dir: paths.data_dir.clone(),
            config_file: paths.config_file.clone(),
            bus,
            stop: stop.clone(),
        },
    )
    .await;
    stop.cancel();
    tracing::info!("console closed: stopping the proxy");
    core.shutdown_token().cancel();
    let serve_result = server.await;
    if let Some(sim) = engine.simulator {
        sim.shutdown();
    }
    if let Some(store) = history {
        // Everything seen so far is on disk before the process ends.
        let _ = tokio::task::spawn_blocking(move || store.flush()).await;
    }
    result?;
    serve_result??;
    Ok(())
}

/// A signal quits the console; once quitting (by a signal or by the user), another signal or a
/// shutdown longer than `SHUTDOWN_DEADLINE` exits at once — the terminal may be gone already.
async fn quit_on_signal(stop: CancellationToken) {
    let Some(mut signals) = Signals::install() else {
        return;
    };
    tokio::select! {
        () = signals.next() => stop.cancel(),
        () = stop.cancelled() => {}
    }
    signals.force_exit_if_stuck(SHUTDOWN_DEADLINE);
}
