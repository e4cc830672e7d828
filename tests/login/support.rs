//! The login test harness: a simulator, a config pointed at it with callback port 0, an
//! accounts file in a temp dir, and a reqwest client that plays the browser.

use std::path::PathBuf;
use std::time::Duration;

use anti_api_tui::accounts::AccountPool;
use anti_api_tui::auth::login::{
    self, LoginContext, LoginHandle, LoginOptions, LoginProgress, LoginPrompt,
};
use anti_api_tui::config::Config;
use anti_api_tui::events::Bus;
use anti_api_tui::simulator::{self, SimConfig, SimHandle};
use anti_api_tui::startup::point_at_simulator;
use serde_json::Value;

pub struct Harness {
    pub sim: SimHandle,
    pub config: Config,
    pub dir: tempfile::TempDir,
}

impl Harness {
    /// The browser login: no device authorization URL, any free callback port.
    pub async fn start() -> Self {
        Self::start_with(SimConfig::default(), false, |_| {}).await
    }

    /// The device grant against the simulator's `/device/code`.
    pub async fn device(sim: SimConfig) -> Self {
        Self::start_with(sim, true, |_| {}).await
    }

    pub async fn start_with(sim: SimConfig, device: bool, tweak: impl FnOnce(&mut Config)) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sim = simulator::start(listener, sim).await;
        let mut config = Config::default();
        point_at_simulator(&mut config, &sim.base_url());
        if !device {
            config.google.device_auth_url = None;
        }
        config.google.callback_ports = vec![0];
        tweak(&mut config);
        Self {
            sim,
            config,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn accounts_file(&self) -> PathBuf {
        self.dir.path().join("data").join("accounts.json")
    }

    pub fn context(&self) -> LoginContext {
        let pool = AccountPool::load(
            self.accounts_file(),
            self.config.accounts.clone(),
            Bus::new(),
        )
        .unwrap();
        let mut ctx = LoginContext::new(&self.config, pool).unwrap();
        ctx.upstream = ctx.upstream.with_onboard_poll(Duration::from_millis(10));
        ctx
    }

    pub fn login(&self, options: LoginOptions) -> LoginHandle {
        login::spawn(self.context(), options)
    }

    /// The stored accounts, checking the file is private.
    pub fn stored(&self) -> Vec<Value> {
        let path = self.accounts_file();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{} has mode {mode:o}", path.display());
        }
        let file: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        file["accounts"].as_array().cloned().unwrap_or_default()
    }
}

/// Options for tests: never a real browser, a short timeout.
pub fn options() -> LoginOptions {
    LoginOptions {
        open_browser: false,
        timeout: Duration::from_secs(20),
        ..LoginOptions::default()
    }
}

/// Reads events up to the prompt.
pub async fn prompt(handle: &mut LoginHandle) -> LoginPrompt {
    loop {
        match next(handle).await {
            Some(LoginProgress::Prompt(p)) => return p,
            Some(LoginProgress::Failed { message }) => {
                panic!("failed before the prompt: {message}")
            }
            Some(_) => {}
            None => panic!("the login ended before its prompt"),
        }
    }
}

/// Reads events up to and including the final one.
pub async fn rest(handle: &mut LoginHandle) -> Vec<LoginProgress> {
    let mut events = Vec::new();
    while let Some(event) = next(handle).await {
        let last = event.is_final();
        events.push(event);
        if last {
            break;
        }
    }
    events
}

pub async fn next(handle: &mut LoginHandle) -> Option<LoginProgress> {
    tokio::time::timeout(Duration::from_secs(30), handle.next())
        .await
        .expect("no login event within 30 s")
}

/// A browser on this machine: follows every redirect, ending on the callback page.
pub async fn browse(url: &str) -> (u16, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .unwrap();
    let resp = client.get(url).send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// A browser elsewhere (over SSH, a phone): approves at the simulated Google and returns where
/// it would go next — the localhost redirect URL that the user copies — without visiting it.
pub async fn approve_elsewhere(url: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = client.get(url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 302);
    resp.headers()["location"].to_str().unwrap().to_owned()
}

/// One query parameter of a URL.
pub fn param(url: &str, name: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map_or_else(|| panic!("{url} has no {name}"), |(_, v)| v.into_owned())
}
