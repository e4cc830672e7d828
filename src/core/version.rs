//! Keeps the client version in the User-Agent current. The user's `[upstream]
//! antigravity_version` wins; otherwise the real client's updater manifest is read at first use
//! and then every `version_refresh_s` in the background, cached in the data directory (an
//! offline start keeps the last known value), and never taken below the floor. A failed read
//! never stops a request: it goes out with the last known version or the floor.

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::Core;
use crate::atomic_file::{self, Visibility};
use crate::client_version::{self, CachedVersion, ClientVersion, MANIFEST_MAX_BYTES};

/// How long the first request of a process without a known version waits for the manifest
/// before it goes out with the floor (the read goes on in the background).
const FIRST_READ_WAIT: Duration = Duration::from_secs(3);
/// The whole manifest read, as `CLIProxyAPI` bounds it.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The discovered version and when the manifest was last tried.
#[derive(Debug)]
pub struct VersionGate {
    http: reqwest::Client,
    state: Mutex<GateState>,
    /// Held while the manifest is read, so requests arriving together share one read.
    reading: tokio::sync::Mutex<()>,
    cache: OnceLock<PathBuf>,
}

#[derive(Debug, Default)]
struct GateState {
    known: Option<CachedVersion>,
    /// When the manifest is due again; `None` before the first read.
    next_read: Option<DateTime<Utc>>,
    warned: bool,
}

impl GateState {
    fn due(&self, now: DateTime<Utc>) -> bool {
        self.next_read.is_none_or(|at| now >= at)
    }
}

impl VersionGate {
    pub fn new(http: reqwest::Client) -> Self {
        Self {
            http,
            state: Mutex::new(GateState::default()),
            reading: tokio::sync::Mutex::new(()),
            cache: OnceLock::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().expect("version gate poisoned")
    }
}

impl Core {
    /// Keeps the discovered version in `path` (in the data directory) and starts from the value
    /// stored there, if any. Called once at start-up.
    pub fn set_version_cache(&self, path: PathBuf) {
        let gate = &self.inner.version;
        match std::fs::read_to_string(&path) {
            Ok(text) => match serde_json::from_str::<CachedVersion>(&text) {
                Ok(cached) => gate.lock().known = Some(cached),
                Err(e) => tracing::warn!("ignoring {}: {e}", path.display()),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!("cannot read {}: {e}", path.display()),
        }
        let _ = gate.cache.set(path);
        self.apply_client_version();
        if self.config().upstream.antigravity_version == Some(client_version::FLOOR) {
            // Earlier releases wrote this default into every saved config.toml.
            tracing::warn!(
                "config.toml pins antigravity_version = {} (older releases saved this default); \
                 remove it to follow the current Antigravity version",
                client_version::FLOOR
            );
        }
    }

    /// The version the User-Agent reports now.
    pub fn client_version(&self) -> ClientVersion {
        let known = self.inner.version.lock().known.as_ref().map(|k| k.version);
        client_version::effective(self.config().upstream.antigravity_version, known)
    }

    /// Whether the version comes from the manifest (no user setting, a manifest URL).
    fn discovers_version(&self) -> bool {
        let upstream = &self.config().upstream;
        upstream.antigravity_version.is_none()
            && upstream.user_agent.is_none()
            && !upstream.version_manifest_url.trim().is_empty()
    }

    /// Called before upstream calls. The first call of a process with no known version waits
    /// (briefly) for the manifest; later ones refresh it in the background when it is due.
    pub(super) async fn ensure_client_version(&self) {
        if !self.discovers_version() {
            return;
        }
        let (known, due) = {
            let st = self.inner.version.lock();
            (st.known.is_some(), st.due(Utc::now()))
        };
        if !due {
            return;
        }
        let core = self.clone();
        let read = tokio::spawn(async move { core.refresh_client_version().await });
        if !known {
            // Past the wait the request goes on with the floor; the read still finishes.
            let _ = tokio::time::timeout(FIRST_READ_WAIT, read).await;
        }
    }

    async fn refresh_client_version(&self) {
        let gate = &self.inner.version;
        let _reading = gate.reading.lock().await;
        if !gate.lock().due(Utc::now()) {
            return;
        }
        let read = tokio::time::timeout(READ_TIMEOUT, self.read_manifest()).await;
        let read = read.unwrap_or_else(|_| Err("timed out".into()));
        let every = self.config().upstream.version_refresh_s.max(60);
        gate.lock().next_read = Some(client_version::next_read(Utc::now(), every, read.is_ok()));
        match read {
            Ok(version) => self.learn_client_version(version),
            Err(why) => {
                let first = !std::mem::replace(&mut gate.lock().warned, true);
                let using = self.client_version();
                if first {
                    tracing::warn!(
                        "could not read the Antigravity version from {}: {why}; using {using}",
                        self.config().upstream.version_manifest_url
                    );
                } else {
                    tracing::debug!("Antigravity version refresh failed: {why}; using {using}");
                }
            }
        }
    }

    fn learn_client_version(&self, version: ClientVersion) {
        let cached = CachedVersion {
            version,
            fetched_at: Utc::now(),
        };
        let gate = &self.inner.version;
        let before = gate.lock().known.replace(cached.clone()).map(|k| k.version);
        if before != Some(version) {
            tracing::info!(
                "Antigravity {version} is current (updater manifest); reporting {}",
                self.client_version()
            );
        }
        if let Some(path) = gate.cache.get() {
            let written = serde_json::to_vec_pretty(&cached)
                .map_err(anyhow::Error::from)
                // Private like everything else in the data directory.
                .and_then(|bytes| atomic_file::write(path, &bytes, Visibility::Private));
            if let Err(e) = written {
                tracing::warn!(
                    "cannot keep the Antigravity version in {}: {e:#}",
                    path.display()
                );
            }
        }
        self.apply_client_version();
    }

    /// Puts the current version into the User-Agent every upstream call sends.
    fn apply_client_version(&self) {
        if self.config().upstream.user_agent.is_none() {
            let ua = self.config().user_agent_for(self.client_version());
            self.upstream().set_user_agent(ua);
        }
    }

    /// `GET` the manifest as the real updater does, and read its `version:`.
    async fn read_manifest(&self) -> Result<ClientVersion, String> {
        let url = &self.config().upstream.version_manifest_url;
        let response = self
            .inner
            .version
            .http
            .get(url)
            .header("user-agent", "electron-builder")
            .header("cache-control", "no-cache")
            .send()
            .await
            .map_err(|e| crate::auth::describe_transport(&e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("the manifest answered HTTP {}", status.as_u16()));
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| crate::auth::describe_transport(&e))?;
        if bytes.len() > MANIFEST_MAX_BYTES {
            return Err(format!("the manifest is {} bytes, too large", bytes.len()));
        }
        client_version::parse_manifest(&String::from_utf8_lossy(&bytes))
    }
}
