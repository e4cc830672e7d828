//! `anti-api-tui route MODEL [--json]`: where a request for MODEL would go right now — the
//! engine's `Plan`, the same one the proxy walks and the console's what-if shows.
#![allow(clippy::print_stdout)] // a CLI command's output is its job

use crate::accounts::AccountPool;
use crate::cli::ServeArgs;
use crate::core::Core;
use crate::events::Bus;
use crate::paths::Paths;
use crate::startup;

pub fn run(paths: &Paths, model: &str, as_json: bool) -> anyhow::Result<()> {
    let config = startup::load_config(paths, &ServeArgs::default())?;
    let pool = AccountPool::load(paths.accounts_file(), config.accounts.clone(), Bus::new())?;
    let core = Core::new(config, pool, Bus::new())?;
    let plan = core
        .plan(model, false, None)
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    if as_json {
        println!("{}", serde_json::to_string_pretty(&plan.to_json())?);
        return Ok(());
    }
    for line in plan.describe() {
        println!("{line}");
    }
    Ok(())
}
