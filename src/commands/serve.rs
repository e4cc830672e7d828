//! `anti-api-tui serve`: the proxy headless, until SIGINT/SIGTERM; open streams then end with a
//! terminal error event instead of being cut.

use std::time::Duration;

use crate::cli::ServeArgs;
use crate::paths::Paths;
use crate::signals::Signals;
use crate::startup;

/// Open streams end at once on shutdown; this bounds waiting for clients that do not go away.
const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(15);

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
        let Some(mut signals) = Signals::install() else {
            return;
        };
        signals.next().await;
        tracing::info!("shutting down: ending open streams (a second signal exits at once)");
        token.cancel();
        signals.force_exit_if_stuck(SHUTDOWN_DEADLINE);
    });
    let served = crate::proxy::serve(engine.listener, core).await;
    if let Some(sim) = engine.simulator {
        sim.shutdown();
    }
    // Give the file logger a moment; the guard in main flushes the rest.
    tokio::time::sleep(Duration::from_millis(10)).await;
    served
}
