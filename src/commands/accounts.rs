//! `anti-api-tui accounts add|list|remove|enable|disable`: manage stored accounts. `add` checks
//! the refresh token with Google, reads the email and finds the Cloud Code project first.
#![allow(clippy::print_stdout)] // a CLI command's output is its job

use std::time::Duration;

use chrono::Utc;
use serde_json::json;

use crate::accounts::{AccountPool, AccountRecord};
use crate::auth::GoogleAuth;
use crate::cli::{AccountsCommand, ServeArgs};
use crate::events::Bus;
use crate::paths::Paths;
use crate::startup;
use crate::upstream::{self, AntigravityClient};

pub async fn run(paths: &Paths, command: &AccountsCommand) -> anyhow::Result<()> {
    let config = startup::load_config(paths, &ServeArgs::default())?;
    let pool = AccountPool::load(paths.accounts_file(), config.accounts.clone(), Bus::new())?;
    match command {
        AccountsCommand::Add { refresh_token } => {
            let http =
                upstream::http_client(Duration::from_secs(config.upstream.connect_timeout_s))?;
            let auth = GoogleAuth::new(http.clone(), config.google.clone());
            let grant = auth.refresh(refresh_token.trim()).await?;
            let email = auth.email(&grant.access_token).await?;
            let client = AntigravityClient::new(
                http,
                config.upstream.endpoints.clone(),
                config.user_agent(),
                Duration::from_secs(config.upstream.stream_idle_timeout_s),
                Duration::from_secs(config.upstream.response_timeout_s),
            );
            let project = client
                .discover_project(&grant.access_token)
                .await
                .map_err(|e| {
                    anyhow::anyhow!("could not find the account's Cloud Code project: {e}")
                })?;
            let now = Utc::now();
            let mut record = AccountRecord::new(
                &email,
                grant
                    .refresh_token
                    .as_deref()
                    .unwrap_or(refresh_token.trim()),
                now,
            );
            record.access_token = Some(grant.access_token);
            record.expires_at = Some(
                now + chrono::Duration::seconds(
                    i64::try_from(grant.expires_in.unwrap_or(3599)).unwrap_or(3599),
                ),
            );
            record.project = Some(project.project.clone());
            record.tier = project.tier;
            let id = record.id.clone();
            pool.upsert(record)?;
            println!("added account {id} <{email}> (project {})", project.project);
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
