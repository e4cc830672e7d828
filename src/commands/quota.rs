//! `anti-api-tui quota [--json]`: each account's remaining quota per model and reset countdown,
//! with active cooldowns, from the data dir (which the running instance keeps current).
#![allow(clippy::print_stdout)] // a CLI command's output is its job

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::accounts::AccountPool;
use crate::catalogue::Catalogue;
use crate::cli::ServeArgs;
use crate::core::human_duration;
use crate::events::Bus;
use crate::paths::Paths;
use crate::startup;

pub fn run(paths: &Paths, as_json: bool) -> anyhow::Result<()> {
    let config = startup::load_config(paths, &ServeArgs::default())?;
    let pool = AccountPool::load(paths.accounts_file(), config.accounts.clone(), Bus::new())?;
    let catalogue = Catalogue::builtin(&config.models.aliases, config.models.defaults.clone());
    let now = Utc::now();
    let accounts = pool.snapshot();
    // Upstream id → the public name users know it by.
    let public: BTreeMap<&str, &str> = catalogue
        .models()
        .iter()
        .map(|m| (m.upstream.as_str(), m.id.as_str()))
        .collect();
    if as_json {
        let items: Vec<_> = accounts
            .iter()
            .map(|a| {
                json!({
                    "account": a.id,
                    "email": a.email,
                    "status": a.status(now).as_str(),
                    "fetched_at": a.quota_fetched_at,
                    "models": a.quota.iter().map(|(upstream, q)| json!({
                        "model": public.get(upstream.as_str()).copied().unwrap_or(upstream),
                        "upstream": upstream,
                        "remaining_fraction": q.remaining_fraction,
                        "reset_time": q.reset_time,
                    })).collect::<Vec<_>>(),
                    "cooldowns": a.cooldowns.iter().filter(|c| c.until > now).map(|c| json!({
                        "model": c.model, "until": c.until, "reason": c.reason,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&items)?);
        return Ok(());
    }
    if accounts.is_empty() {
        println!("no accounts; add one with `anti-api-tui login`");
        return Ok(());
    }
    for a in &accounts {
        println!("{} <{}>  {}", a.id, a.email, a.status(now).as_str());
        match a.quota_fetched_at {
            Some(at) => println!("  quota as of {} ago", ago(at, now)),
            None => println!(
                "  no quota report yet (the running proxy fetches it at start and every 5 minutes)"
            ),
        }
        for (upstream, q) in &a.quota {
            let name = public.get(upstream.as_str()).copied().unwrap_or(upstream);
            let reset = q.reset_time.map_or_else(String::new, |t| {
                if t > now {
                    format!("resets in {}", until(t, now))
                } else {
                    "reset passed".into()
                }
            });
            println!(
                "  {name:<30} {:>4.0}%  {}  {reset}",
                q.remaining_fraction * 100.0,
                bar(q.remaining_fraction)
            );
        }
        for c in a.cooldowns.iter().filter(|c| c.until > now) {
            println!(
                "  cooling {:<22} until {} (in {}): {}",
                c.model,
                c.until.to_rfc3339(),
                until(c.until, now),
                c.reason
            );
        }
    }
    Ok(())
}

fn bar(fraction: f64) -> String {
    // Ten cells; the clamp keeps the count within 0..=10.
    let filled = [0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95]
        .iter()
        .filter(|step| fraction >= **step)
        .count();
    format!("[{}{}]", "#".repeat(filled), ".".repeat(10 - filled))
}

fn until(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    human_duration(u64::try_from((t - now).num_seconds().max(0)).unwrap_or(0))
}

fn ago(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    human_duration(u64::try_from((now - t).num_seconds().max(0)).unwrap_or(0))
}
