//! `anti-api-tui accounts add|import-antigravity|list|remove|enable|disable`: manage stored
//! accounts. `add` checks the refresh token with Google, reads the email and finds the Cloud Code
//! project first; `import-antigravity` does the same with the token a local Antigravity IDE is
//! signed in with.
#![allow(clippy::print_stdout)] // a CLI command's output is its job

use chrono::Utc;
use serde_json::json;

use crate::accounts::{AccountPool, AccountRecord};
use crate::auth::ide;
use crate::auth::login::{self, LoginContext};
use crate::cli::{AccountsCommand, ServeArgs};
use crate::events::Bus;
use crate::paths::Paths;
use crate::startup;

pub async fn run(paths: &Paths, command: &AccountsCommand) -> anyhow::Result<()> {
    let config = startup::load_config(paths, &ServeArgs::default())?;
    let pool = AccountPool::load(paths.accounts_file(), config.accounts.clone(), Bus::new())?;
    match command {
        AccountsCommand::Add { refresh_token } => {
            let ctx = LoginContext::new(&config, pool)?;
            let added = login::add_refresh_token(&ctx, refresh_token).await?;
            println!(
                "added account {} <{}> (project {})",
                added.account_id, added.email, added.project
            );
        }
        AccountsCommand::ImportAntigravity { path } => {
            let ctx = LoginContext::new(&config, pool)?;
            let done = ide::import(&ctx, path.as_deref()).await?;
            println!(
                "imported {} from the Antigravity IDE ({}): account {}, project {}",
                done.account.email,
                done.source.display(),
                done.account.account_id,
                done.account.project
            );
        }
        AccountsCommand::List { json } => {
            let now = Utc::now();
            let accounts = pool.snapshot();
            if *json {
                let items: Vec<_> = accounts.iter().map(|a| summary(a, now)).collect();
                println!("{}", serde_json::to_string_pretty(&items)?);
            } else if accounts.is_empty() {
                println!(
                    "no accounts; add one with `anti-api-tui accounts add --refresh-token TOKEN`"
                );
            } else {
                println!(
                    "{:<10} {:<32} {:<12} {:<24} TIER",
                    "ID", "EMAIL", "STATUS", "PROJECT"
                );
                for a in &accounts {
                    println!(
                        "{:<10} {:<32} {:<12} {:<24} {}",
                        a.id,
                        a.email,
                        a.status(now).as_str(),
                        a.project.as_deref().unwrap_or("-"),
                        a.tier.as_deref().unwrap_or("-")
                    );
                }
            }
        }
        AccountsCommand::Remove { id } => match pool.remove(id)? {
            Some(a) => println!("removed account {} <{}>", a.id, a.email),
            None => anyhow::bail!("no account matches {id:?} (see `anti-api-tui accounts list`)"),
        },
        AccountsCommand::Disable { id } | AccountsCommand::Enable { id } => {
            let disable = matches!(command, AccountsCommand::Disable { .. });
            if !pool.set_disabled(id, disable) {
                anyhow::bail!("no account matches {id:?} (see `anti-api-tui accounts list`)");
            }
            pool.save_now()?;
            println!(
                "account {id} {}",
                if disable { "disabled" } else { "enabled" }
            );
        }
    }
    Ok(())
}

/// What `accounts list --json` shows: no tokens, ever.
fn summary(a: &AccountRecord, now: chrono::DateTime<Utc>) -> serde_json::Value {
    json!({
        "id": a.id,
        "email": a.email,
        "status": a.status(now).as_str(),
        "project": a.project,
        "tier": a.tier,
        "needs_login": a.needs_login,
        "quarantined": a.quarantined,
        "cooldowns": a.cooldowns.iter().filter(|c| c.until > now).collect::<Vec<_>>(),
        "created_at": a.created_at,
    })
}
