//! The explicit start-up order shared by `serve` and the console: configuration (file, env,
//! flags) → bind checks → account pool → the simulator in demo mode → core → listener.

use std::net::{IpAddr, SocketAddr};

use anyhow::Context as _;
use tokio::net::TcpListener;

use crate::accounts::{AccountPool, AccountRecord};
use crate::cli::ServeArgs;
use crate::config::Config;
use crate::core::Core;
use crate::events::Bus;
use crate::paths::Paths;
use crate::simulator::{self, SimConfig, SimHandle};
use crate::store::{self, HistoryOptions, HistoryStore};

/// A running engine, not yet serving.
pub struct Engine {
    pub core: Core,
    pub listener: TcpListener,
    /// The in-process simulator (demo mode only); dropping it keeps it running until shutdown.
    pub simulator: Option<SimHandle>,
    /// The request history, recording from the bus; `None` when the file could not be opened
    /// (the proxy then runs without history rather than not at all).
    pub history: Option<HistoryStore>,
}

/// Loads `config.toml`, then the environment, then command-line flags; logs unknown keys.
pub fn load_config(paths: &Paths, args: &ServeArgs) -> anyhow::Result<Config> {
    let (mut config, warnings) = Config::load(&paths.config_file)?;
    for warning in warnings {
        tracing::warn!("{}: {warning}", paths.config_file.display());
    }
    config.apply_env(|k| std::env::var(k).ok())?;
    if let Some(host) = &args.host {
        config.server.host.clone_from(host);
    }
    if let Some(port) = args.port {
        config.server.port = port;
    }
    Ok(config)
}

/// Refuses to listen beyond loopback without an API key.
pub fn check_bind(config: &Config) -> anyhow::Result<SocketAddr> {
    let host = if config.server.host.eq_ignore_ascii_case("localhost") {
        "127.0.0.1"
    } else {
        config.server.host.as_str()
    };
    let ip: IpAddr = host
        .trim_matches(['[', ']'])
        .parse()
        .with_context(|| format!("host {:?} is not an IP address", config.server.host))?;
    if !ip.is_loopback() && config.server.api_key.as_deref().is_none_or(str::is_empty) {
        anyhow::bail!(
            "refusing to listen on {ip}: anyone who can reach it could use your accounts. \
             Set an API key first (ANTI_API_KEY or `api_key` under [server] in config.toml), \
             or listen on 127.0.0.1"
        );
    }
    Ok(SocketAddr::new(ip, config.server.port))
}

pub async fn start(paths: &Paths, mut config: Config, demo: bool) -> anyhow::Result<Engine> {
    let addr = check_bind(&config)?;
    let bus = Bus::new();
    let (accounts, simulator) = if demo {
        let sim_listener = TcpListener::bind("127.0.0.1:0").await?;
        let sim = simulator::start(
            sim_listener,
            SimConfig {
                chunk_delay: std::time::Duration::from_millis(40),
                ..SimConfig::default()
            },
        )
        .await;
        point_at_simulator(&mut config, &sim.base_url());
        let demo_account =
            AccountRecord::new("demo@example.com", "sim-refresh-demo", chrono::Utc::now());
        let pool = AccountPool::in_memory(vec![demo_account], config.accounts.clone(), bus.clone());
        tracing::info!("demo mode: simulated upstream at {}", sim.base_url());
        (pool, Some(sim))
    } else {
        let pool = AccountPool::load(paths.accounts_file(), config.accounts.clone(), bus.clone())?;
        (pool, None)
    };
    let listener = TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen on {addr} (is another proxy running? try --port)")
    })?;
    let core = Core::new(config, accounts, bus)?;
    core.spawn_quota_refresher(std::time::Duration::from_secs(
        core.config().accounts.quota_refresh_s,
    ));
    let history = open_history(paths, &core);
    Ok(Engine {
        core,
        listener,
        simulator,
        history,
    })
}

/// Opens `DATA/history.sqlite3` and connects it to the bus and the capture hooks.
fn open_history(paths: &Paths, core: &Core) -> Option<HistoryStore> {
    let path = store::default_path(&paths.data_dir);
    let options = HistoryOptions::from_config(&core.config().history);
    match HistoryStore::open(&path, options) {
        Ok(history) => {
            core.set_capture(history.attach(core.bus()));
            if core.config().history.durable {
                core.set_commit_barrier(history.commit_barrier());
            }
            Some(history)
        }
        Err(e) => {
            tracing::warn!("request history is off: {e:#}");
            None
        }
    }
}

/// Every upstream URL pointed at the simulator.
pub fn point_at_simulator(config: &mut Config, base: &str) {
    config.upstream.endpoints = vec![base.to_owned()];
    config.google.auth_url = format!("{base}/o/oauth2/v2/auth");
    config.google.token_url = format!("{base}/token");
    config.google.userinfo_url = format!("{base}/oauth2/v2/userinfo");
    config.google.device_auth_url = Some(format!("{base}/device/code"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_loopback_bind_needs_an_api_key() {
        let mut c = Config::default();
        assert!(check_bind(&c).unwrap().ip().is_loopback());
        c.server.host = "0.0.0.0".into();
        let err = check_bind(&c).unwrap_err().to_string();
        assert!(
            err.contains("refusing to listen on 0.0.0.0") && err.contains("ANTI_API_KEY"),
            "{err}"
        );
        c.server.api_key = Some("k".into());
        assert!(check_bind(&c).is_ok());
        c.server.host = "localhost".into();
        assert!(check_bind(&c).unwrap().ip().is_loopback());
    }
}
