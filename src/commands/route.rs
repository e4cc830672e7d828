//! `anti-api-tui route MODEL [--json]`: where a request for MODEL would go right now — the flow or
//! alias it resolves through, each (model, account) candidate in order, and why any is skipped.
#![allow(clippy::print_stdout)] // a CLI command's output is its job

use chrono::Utc;
use serde_json::json;

use crate::accounts::AccountPool;
use crate::catalogue::Catalogue;
use crate::cli::ServeArgs;
use crate::events::Bus;
use crate::paths::Paths;
use crate::routing;
use crate::startup;

pub fn run(paths: &Paths, model: &str, as_json: bool) -> anyhow::Result<()> {
    let config = startup::load_config(paths, &ServeArgs::default())?;
    let pool = AccountPool::load(paths.accounts_file(), config.accounts.clone(), Bus::new())?;
    let catalogue = Catalogue::builtin(&config.models.aliases, config.models.defaults.clone());
    let route = routing::resolve(model, &catalogue, &config.flows, false)
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let now = Utc::now();
    let mut candidates = Vec::new();
    for target in &route.targets {
        let selection = pool.select_model(
            &target.spec.id,
            &target.spec.upstream,
            target.account.as_deref(),
            now,
        );
        for account in &selection.usable {
            candidates.push(json!({"model": target.spec.id, "upstream": target.spec.upstream, "account": account, "usable": true}));
        }
        for (account, why) in &selection.skipped {
            candidates.push(json!({"model": target.spec.id, "upstream": target.spec.upstream, "account": account, "usable": false, "skipped": why.to_string(), "reason": why}));
        }
        if selection.usable.is_empty() && selection.skipped.is_empty() {
            let who = target.account.as_deref().unwrap_or("any account");
            candidates.push(json!({"model": target.spec.id, "upstream": target.spec.upstream, "account": null, "usable": false, "skipped": format!("no account matches ({who})")}));
        }
    }
    if as_json {
        let out = json!({
            "requested": model,
            "flow": route.flow,
            "via": route.via,
            "candidates": candidates,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    match (&route.flow, &route.via) {
        (Some(flow), _) => println!("{model} → flow '{flow}'"),
        (None, Some(via)) => println!(
            "{model} → {} ({})",
            route.targets[0].spec.id,
            serde_json::to_value(via)?["via"].as_str().unwrap_or("")
        ),
        (None, None) => println!("{model}"),
    }
    if route.flow.as_deref() == Some("fast") {
        println!(
            "  (the running proxy orders `fast` by the median time to first token it measured)"
        );
    }
    for (i, c) in candidates.iter().enumerate() {
        let account = c["account"].as_str().unwrap_or("-");
        match c["skipped"].as_str() {
            None => println!(
                "  {:>2}. {:<28} on {account}",
                i + 1,
                c["model"].as_str().unwrap_or("")
            ),
            Some(why) => println!(
                "   -  {:<28} on {account}: skipped, {why}",
                c["model"].as_str().unwrap_or("")
            ),
        }
    }
    Ok(())
}
