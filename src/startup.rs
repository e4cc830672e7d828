//! The explicit start-up order shared by `serve` and the console: configuration (file, env,
//! flags) → bind checks → account pool → the simulator in demo mode → core → listener.

use std::net::{IpAddr, SocketAddr};

use anyhow::Context as _;
use tokio::net::{TcpListener, TcpSocket};

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
    for warning in config.google.warnings() {
        tracing::warn!("{warning}");
    }
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
    crate::descriptors::raise_nofile_limit();
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
    let listener = listen(addr).with_context(|| {
        format!("cannot listen on {addr} (is another proxy running? try --port)")
    })?;
    let core = Core::new(config, accounts, bus)?;
    core.set_version_cache(paths.data_dir.join("antigravity-version.json"));
    let history = open_history(paths, &core);
    Ok(Engine {
        core,
        listener,
        simulator,
        history,
    })
}

/// Connections the kernel may hold for the proxy before it accepts them. `TcpListener::bind`
/// listens with std's 128: a burst of clients beyond that (1,000 streams opened at once) has
/// its SYNs dropped, and each dropped client waits a whole second before trying again.
const LISTEN_BACKLOG: u32 = 1024;

/// The proxy's listener: bound like `TcpListener::bind` (with `SO_REUSEADDR`, as std does on
/// Unix, so a restarted proxy can bind while old connections linger), with a deeper backlog.
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
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
    config.upstream.version_manifest_url = format!("{base}/manifest/latest-arm64-mac.yml");
    config.google.auth_url = format!("{base}/o/oauth2/v2/auth");
    config.google.token_url = format!("{base}/token");
    config.google.userinfo_url = format!("{base}/oauth2/v2/userinfo?alt=json");
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

    /// 600 clients connecting at once, before the proxy accepts any of them, all get through
    /// at once: none waits out a dropped SYN (a backlog of 128 would drop all but 129).
    #[tokio::test]
    async fn a_burst_of_connections_fits_in_the_backlog() {
        let listener = listen(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
        let addr = listener.local_addr().unwrap();
        let burst = 600;
        let connects = (0..burst).map(|_| {
            tokio::spawn(tokio::time::timeout(
                std::time::Duration::from_millis(500),
                tokio::net::TcpStream::connect(addr),
            ))
        });
        let mut connected = Vec::with_capacity(burst);
        for connect in connects.collect::<Vec<_>>() {
            if let Ok(Ok(stream)) = connect.await.unwrap() {
                connected.push(stream);
            }
        }
        assert_eq!(connected.len(), burst, "connections that had to wait");
        // And they are really queued for this listener.
        let (first, _) = listener.accept().await.unwrap();
        assert!(
            connected
                .iter()
                .any(|c| c.local_addr().unwrap() == first.peer_addr().unwrap())
        );
    }

    #[tokio::test]
    async fn the_listener_refuses_a_port_in_use() {
        let taken = listen(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
        let err = listen(taken.local_addr().unwrap()).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    }
}
