//! `anti-api-tui serve`: the proxy headless, until SIGINT/SIGTERM; open streams then end with a
//! terminal error event instead of being cut.

use std::time::Duration;

use crate::cli::ServeArgs;
use crate::paths::Paths;
use crate::startup;

pub async fn run(paths: &Paths, args: &ServeArgs, demo: bool) -> anyhow::Result<()> {
    let config = startup::load_config(paths, args)?;
    let paths = if demo {
        paths.for_demo()
    } else {
        paths.clone()
    };
    let engine = startup::start(&paths, config, demo).await?;
    let core = engine.core.clone();
    let usable = core.usable_accounts();
    if usable == 0 {
        tracing::warn!(
            "no usable account yet: requests will get 401 until you log in (`anti-api-tui accounts add --refresh-token …`)"
        );
    }
    let token = core.shutdown_token().clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down: ending open streams");
        token.cancel();
    });
    let served = crate::proxy::serve(engine.listener, core).await;
    if let Some(sim) = engine.simulator {
        sim.shutdown();
    }
    // Give the file logger a moment; the guard in main flushes the rest.
    tokio::time::sleep(Duration::from_millis(10)).await;
    served
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
