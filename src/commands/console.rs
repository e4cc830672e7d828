//! `anti-api-tui` with no subcommand: the engine starts as `serve` would, the proxy serves in
//! the background, and the console runs in the terminal until the user quits; quitting (or
//! SIGTERM/SIGHUP) stops both. `--demo` adds gentle sample traffic.

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::app::{self, ConsoleOptions, demo_traffic};
use crate::cli::ServeArgs;
use crate::logging::LogLine;
use crate::paths::Paths;
use crate::startup;

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

async fn quit_on_signal(stop: CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = hup.recv() => {}
            () = stop.cancelled() => return,
        }
        stop.cancel();
    }
    #[cfg(not(unix))]
    {
        let _ = stop;
    }
}
