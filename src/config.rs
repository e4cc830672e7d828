//! Typed configuration: `config.toml` with a default for every key, environment overrides,
//! warnings for unknown keys, and atomic saves.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use crate::atomic_file::{self, Visibility};
use crate::catalogue::FamilyDefaults;
use crate::client_version::{self, ClientVersion};
use crate::translate::antigravity::NoticeKind;
use crate::translate::identity::IdentityConfig;

pub const DEFAULT_PORT: u16 = 8964;

/// The public "installed application" client of Antigravity.
pub const ANTIGRAVITY_CLIENT_ID: &str =
    "1071006060591-tmhssin2h21lcre235vtolojh4g403ep.apps.googleusercontent.com";
/// The secret of `ANTIGRAVITY_CLIENT_ID`. Google's token endpoint refuses this client without it
/// (`invalid_request: client_secret is missing.`). Installed-app secrets are not confidential
/// (Google's OAuth guide for installed apps says so) and every peer ships this one; it is still
/// kept out of logs, `Debug` and history like any credential.
pub const ANTIGRAVITY_CLIENT_SECRET: &str = "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";

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    pub server: ServerConfig,
    pub upstream: UpstreamConfig,
    pub google: GoogleConfig,
    pub accounts: AccountsConfig,
    pub models: ModelsConfig,
    pub flows: Vec<FlowConfig>,
    pub history: HistoryConfig,
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerConfig {
    pub host: String,
    pub port: u16,
    /// When set, every request must carry it (`Authorization: Bearer` or `x-api-key`).
    /// Required for a non-loopback bind.
    pub api_key: Option<String>,
    /// Request body limit in MiB.
    pub max_body_mb: u64,
    /// Seconds between Anthropic `ping` events while a stream is idle.
    pub ping_interval_s: u64,
    /// HTTP/1: seconds a client has to send a request's whole header block, counted from when
    /// the connection is ready for it (so also between requests on a kept-alive connection).
    pub header_read_timeout_s: u64,
    /// The longest pause, in seconds, between two pieces of a request body; a body that stops
    /// short (a `Content-Length` larger than what is sent) ends with a 408.
    pub body_read_timeout_s: u64,
    /// A connection with no request in flight for this many seconds is closed (HTTP/1 and
    /// HTTP/2). A streaming answer is a request in flight: it is never cut.
    pub idle_timeout_s: u64,
    /// Open client connections at most; unset, derived from the descriptor limit (leaving room
    /// for upstream connections, the history database and logs). At the cap the longest-idle
    /// connection is closed to make room; when every one is busy the new one gets a 503.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<usize>,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field("max_body_mb", &self.max_body_mb)
            .field("ping_interval_s", &self.ping_interval_s)
            .field("header_read_timeout_s", &self.header_read_timeout_s)
            .field("body_read_timeout_s", &self.body_read_timeout_s)
            .field("idle_timeout_s", &self.idle_timeout_s)
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: DEFAULT_PORT,
            api_key: None,
            max_body_mb: 32,
            ping_interval_s: 15,
            header_read_timeout_s: 30,
            body_read_timeout_s: 30,
            idle_timeout_s: 60,
            max_connections: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UpstreamConfig {
    /// Cloud Code base URLs, tried in order for every `v1internal` call.
    pub endpoints: Vec<String>,
    /// The Antigravity client version reported in the User-Agent (the upstream gates on it).
    /// Unset (the default), it is read from `version_manifest_url` and never below 2.9.1; set,
    /// it wins and nothing is fetched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub antigravity_version: Option<ClientVersion>,
    /// The real client's updater manifest, whose `version:` is the current client version
    /// (empty: never fetched).
    pub version_manifest_url: String,
    /// How often the manifest is read again.
    pub version_refresh_s: u64,
    /// Replaces the whole User-Agent when set.
    pub user_agent: Option<String>,
    /// Extra phrases that mark an answer as an in-band notice rather than the model's text:
    /// `"<phrase>" = "retired"` or `"version"` (`*` stands for a model name).
    pub notices: BTreeMap<String, NoticeKind>,
    /// No upstream byte for this long ends a stream with an error.
    pub stream_idle_timeout_s: u64,
    pub connect_timeout_s: u64,
    /// Time allowed until the upstream's response headers arrive.
    pub response_timeout_s: u64,
    /// Identity texts removed from system prompts before they go upstream.
    pub identity: IdentityConfig,
}

impl Default for UpstreamConfig {
    fn default() -> Self {
        Self {
            // daily, then prod, as CPA generates; the sandbox host is what proxies use.
            endpoints: vec![
                "https://daily-cloudcode-pa.googleapis.com".into(),
                "https://cloudcode-pa.googleapis.com".into(),
            ],
            antigravity_version: None,
            version_manifest_url: client_version::DEFAULT_MANIFEST_URL.into(),
            version_refresh_s: client_version::DEFAULT_REFRESH_S,
            user_agent: None,
            notices: BTreeMap::new(),
            stream_idle_timeout_s: 120,
            connect_timeout_s: 10,
            response_timeout_s: 120,
            identity: IdentityConfig::default(),
        }
    }
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GoogleConfig {
    pub auth_url: String,
    pub token_url: String,
    pub userinfo_url: String,
    /// RFC 8628 device authorization endpoint; enables `login --device` when set.
    pub device_auth_url: Option<String>,
    pub client_id: String,
    /// The secret sent with `client_id`; read it through `GoogleConfig::secret`, which never
    /// pairs the built-in Antigravity secret with another client id.
    pub client_secret: Option<String>,
    /// Loopback callback ports tried in order for the login redirect.
    pub callback_ports: Vec<u16>,
}

impl std::fmt::Debug for GoogleConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoogleConfig")
            .field("auth_url", &self.auth_url)
            .field("token_url", &self.token_url)
            .field("userinfo_url", &self.userinfo_url)
            .field("device_auth_url", &self.device_auth_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .finish_non_exhaustive()
    }
}

impl Default for GoogleConfig {
    fn default() -> Self {
        Self {
            auth_url: "https://accounts.google.com/o/oauth2/v2/auth".into(),
            token_url: "https://oauth2.googleapis.com/token".into(),
            userinfo_url: "https://www.googleapis.com/oauth2/v2/userinfo?alt=json".into(),
            device_auth_url: None,
            client_id: ANTIGRAVITY_CLIENT_ID.into(),
            client_secret: Some(ANTIGRAVITY_CLIENT_SECRET.into()),
            callback_ports: (51121..=51131).collect(),
        }
    }
}

impl GoogleConfig {
    /// The client secret to send. An id and its secret belong together: a client id of your
    /// own never gets the built-in Antigravity secret (which it would have through the
    /// defaults when only `client_id` is set), and an empty secret means none.
    pub fn secret(&self) -> Option<&str> {
        let secret = self
            .client_secret
            .as_deref()
            .filter(|s| !s.trim().is_empty())?;
        let foreign =
            secret == ANTIGRAVITY_CLIENT_SECRET && self.client_id != ANTIGRAVITY_CLIENT_ID;
        (!foreign).then_some(secret)
    }

    /// Whether this is the built-in Antigravity client.
    pub fn is_antigravity_client(&self) -> bool {
        self.client_id == ANTIGRAVITY_CLIENT_ID
    }

    /// What is odd about the client settings, for the start-up log: an own client id without a
    /// secret works only for client types Google lets go without one.
    pub fn warnings(&self) -> Vec<String> {
        if self.is_antigravity_client() || self.secret().is_some() {
            return Vec::new();
        }
        vec![format!(
            "[google] client_id is set to your own client ({}) without a client_secret: token \
             requests go without one (the built-in Antigravity secret belongs to the built-in \
             client id only). Set client_secret under [google] in config.toml or \
             ANTI_API_GOOGLE_CLIENT_SECRET if Google answers \"client_secret is missing\"",
            self.client_id
        )]
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountsConfig {
    /// Minimum spacing between request starts on one account (0 = none).
    pub min_interval_ms: u64,
    /// Requests in flight per account (0 = unlimited).
    pub max_concurrency: u32,
    /// Refresh access tokens this long before they expire.
    pub refresh_margin_s: u64,
    /// A quota report older than this is polled again when the account serves a request or the
    /// console shows quota (never on a timer: idle accounts are not polled).
    pub quota_refresh_s: u64,
}

impl Default for AccountsConfig {
    fn default() -> Self {
        Self {
            min_interval_ms: 250,
            max_concurrency: 4,
            refresh_margin_s: 300,
            quota_refresh_s: 300,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelsConfig {
    /// Extra names for catalogue models, e.g. `"gpt-4o" = "gemini-3-flash"`.
    pub aliases: BTreeMap<String, String>,
    /// Where unknown ids of a known family go (`claude-opus-*` → `opus`, …).
    pub defaults: FamilyDefaults,
    /// Account order per model id (ids or emails); unlisted accounts follow, in file order.
    pub account_order: BTreeMap<String, Vec<String>>,
}

/// Which request bodies the history keeps (metadata is always kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CaptureMode {
    /// Every request's bodies: the detail view and `replay` work for any request.
    #[default]
    All,
    /// Only the bodies of requests that did not end well.
    Errors,
    /// No bodies at all.
    None,
}

impl std::str::FromStr for CaptureMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "all" => Ok(Self::All),
            "errors" => Ok(Self::Errors),
            "none" => Ok(Self::None),
            _ => Err("expected all, errors or none".into()),
        }
    }
}

/// The request history (`DATA/history.sqlite3`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HistoryConfig {
    pub capture: CaptureMode,
    /// Cap per stored body (client request, upstream request, upstream events, client response).
    pub max_body_kb: u64,
    /// Requests older than this are deleted.
    pub retention_days: u64,
    /// Above this size the oldest bodies, then the oldest requests, are deleted.
    pub max_db_mb: u64,
    /// A response ends only once its request's row is committed, so a crash never loses a
    /// request the client saw complete (one small commit per request, shared under load).
    pub durable: bool,
}

impl Default for HistoryConfig {
    fn default() -> Self {
        Self {
            capture: CaptureMode::All,
            max_body_kb: 256,
            retention_days: 14,
            max_db_mb: 200,
            durable: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowConfig {
    pub name: String,
    pub entries: Vec<FlowEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowEntry {
    pub model: String,
    /// An account id or email; any usable account when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

impl Config {
    /// Reads `path` (defaults when it does not exist) and returns warnings for unknown keys.
    pub fn load(path: &Path) -> anyhow::Result<(Self, Vec<String>)> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Self::default(), vec![]));
            }
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        Self::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<(Self, Vec<String>)> {
        let raw: toml::Table = toml::from_str(text)?;
        let config: Self = toml::Value::Table(raw.clone()).try_into()?;
        let known = toml::Value::try_from(Self::default())?;
        let known_now = toml::Value::try_from(&config)?;
        let mut warnings = Vec::new();
        unknown_keys(
            &toml::Value::Table(raw),
            &known,
            &known_now,
            "",
            &mut warnings,
        );
        Ok((config, warnings))
    }

    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let text = toml::to_string_pretty(self)?;
        atomic_file::write(path, text.as_bytes(), Visibility::Normal)
    }

    /// Applies the `ANTI_API_*` environment variables over the file's values.
    pub fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        let get = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        if let Some(v) = get("ANTI_API_HOST") {
            self.server.host = v;
        }
        if let Some(v) = get("ANTI_API_PORT") {
            self.server.port = parse_env("ANTI_API_PORT", &v)?;
        }
        if let Some(v) = get("ANTI_API_KEY") {
            self.server.api_key = Some(v);
        }
        if let Some(v) = get("ANTI_API_MAX_BODY_MB") {
            self.server.max_body_mb = parse_env("ANTI_API_MAX_BODY_MB", &v)?;
        }
        if let Some(v) = get("ANTI_API_HEADER_READ_TIMEOUT_S") {
            self.server.header_read_timeout_s = parse_env("ANTI_API_HEADER_READ_TIMEOUT_S", &v)?;
        }
        if let Some(v) = get("ANTI_API_BODY_READ_TIMEOUT_S") {
            self.server.body_read_timeout_s = parse_env("ANTI_API_BODY_READ_TIMEOUT_S", &v)?;
        }
        if let Some(v) = get("ANTI_API_IDLE_TIMEOUT_S") {
            self.server.idle_timeout_s = parse_env("ANTI_API_IDLE_TIMEOUT_S", &v)?;
        }
        if let Some(v) = get("ANTI_API_MAX_CONNECTIONS") {
            self.server.max_connections = Some(parse_env("ANTI_API_MAX_CONNECTIONS", &v)?);
        }
        if let Some(v) = get("ANTI_API_ANTIGRAVITY_ENDPOINTS") {
            self.upstream.endpoints = v
                .split(',')
                .map(|s| s.trim().trim_end_matches('/').to_owned())
                .filter(|s| !s.is_empty())
                .collect();
        }
        if let Some(v) = get("ANTI_API_ANTIGRAVITY_VERSION") {
            self.upstream.antigravity_version =
                Some(parse_env("ANTI_API_ANTIGRAVITY_VERSION", &v)?);
        }
        if let Some(v) = env("ANTI_API_ANTIGRAVITY_MANIFEST_URL") {
            // Set but empty turns the fetch off.
            v.trim().clone_into(&mut self.upstream.version_manifest_url);
        }
        if let Some(v) = get("ANTI_API_STREAM_IDLE_TIMEOUT_S") {
            self.upstream.stream_idle_timeout_s = parse_env("ANTI_API_STREAM_IDLE_TIMEOUT_S", &v)?;
        }
        if let Some(v) = get("ANTI_API_GOOGLE_AUTH_URL") {
            self.google.auth_url = v;
        }
        if let Some(v) = get("ANTI_API_GOOGLE_TOKEN_URL") {
            self.google.token_url = v;
        }
        if let Some(v) = get("ANTI_API_GOOGLE_USERINFO_URL") {
            self.google.userinfo_url = v;
        }
        if let Some(v) = get("ANTI_API_GOOGLE_DEVICE_AUTH_URL") {
            self.google.device_auth_url = Some(v);
        }
        if let Some(v) = get("ANTI_API_GOOGLE_CLIENT_ID") {
            self.google.client_id = v;
        }
        if let Some(v) = get("ANTI_API_GOOGLE_CLIENT_SECRET") {
            self.google.client_secret = Some(v);
        }
        if let Some(v) = get("ANTI_API_ACCOUNT_MIN_INTERVAL_MS") {
            self.accounts.min_interval_ms = parse_env("ANTI_API_ACCOUNT_MIN_INTERVAL_MS", &v)?;
        }
        if let Some(v) = get("ANTI_API_ACCOUNT_MAX_CONCURRENCY") {
            self.accounts.max_concurrency = parse_env("ANTI_API_ACCOUNT_MAX_CONCURRENCY", &v)?;
        }
        if let Some(v) = get("ANTI_API_HISTORY_CAPTURE") {
            self.history.capture = parse_env("ANTI_API_HISTORY_CAPTURE", &v)?;
        }
        if let Some(v) = get("ANTI_API_HISTORY_DURABLE") {
            self.history.durable = parse_env("ANTI_API_HISTORY_DURABLE", &v)?;
        }
        Ok(())
    }

    /// The User-Agent sent to Cloud Code before any version is discovered: the configured
    /// version, else the floor (`antigravity/hub/<version> <os>/<arch>`).
    pub fn user_agent(&self) -> String {
        self.user_agent_for(client_version::effective(
            self.upstream.antigravity_version,
            None,
        ))
    }

    /// The User-Agent for `version`, unless `[upstream] user_agent` replaces it.
    pub fn user_agent_for(&self, version: ClientVersion) -> String {
        match &self.upstream.user_agent {
            Some(ua) => ua.clone(),
            None => client_version::user_agent(&version.to_string()),
        }
    }
}

fn parse_env<T: std::str::FromStr>(name: &str, value: &str) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    value
        .trim()
        .parse()
        .map_err(|e| anyhow::anyhow!("{name}={value:?} is not valid: {e}"))
}

/// Maps whose keys are the user's own (model names, texts): nothing below them to check.
const FREE_FORM_MAPS: &[&str] = &[
    "models.aliases",
    "models.account_order",
    "upstream.identity.replace",
    "upstream.notices",
];

/// Keys present in the file that neither the defaults nor the parsed config know about.
fn unknown_keys(
    raw: &toml::Value,
    known: &toml::Value,
    known_now: &toml::Value,
    prefix: &str,
    out: &mut Vec<String>,
) {
    match raw {
        toml::Value::Table(table) => {
            for (key, value) in table {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                let a = known.as_table().and_then(|t| t.get(key));
                let b = known_now.as_table().and_then(|t| t.get(key));
                match (a, b) {
                    (None, None) => out.push(format!("unknown config key `{path}` (ignored)")),
                    (a, b) => {
                        let reference = b.or(a).expect("one side is Some");
                        // Maps with free-form keys (aliases) have nothing to check below them.
                        if !FREE_FORM_MAPS.contains(&path.as_str()) {
                            unknown_keys(value, reference, reference, &path, out);
                        }
                    }
                }
            }
        }
        toml::Value::Array(items) => {
            if let Some(first_known) = known_now.as_array().and_then(|a| a.first()) {
                for (i, item) in items.iter().enumerate() {
                    unknown_keys(
                        item,
                        first_known,
                        first_known,
                        &format!("{prefix}[{i}]"),
                        out,
                    );
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_defaults() {
        let (c, w) = Config::parse("").unwrap();
        assert_eq!(c, Config::default());
        assert!(w.is_empty());
        assert_eq!(c.server.port, 8964);
        assert_eq!(c.server.host, "127.0.0.1");
    }

    #[test]
    fn unknown_keys_are_warned_known_ones_are_not() {
        let text = r#"
            [server]
            port = 9000
            colour = "blue"
            [models.aliases]
            "gpt-4o" = "gemini-3-flash"
            [[flows]]
            name = "mine"
            entries = [{ model = "gemini-3-flash", acount = "x" }]
        "#;
        let (c, w) = Config::parse(text).unwrap();
        assert_eq!(c.server.port, 9000);
        assert_eq!(c.flows[0].name, "mine");
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w.iter().any(|x| x.contains("`server.colour`")), "{w:?}");
        assert!(
            w.iter().any(|x| x.contains("`flows[0].entries[0].acount`")),
            "{w:?}"
        );
    }

    #[test]
    fn identity_lists_parse_without_warnings() {
        let text = r#"
            [upstream.identity]
            remove = ["You are Codex."]
            replace = { "<system-conventions>" = "<conventions>", "Codex" = "the assistant" }
            colour = 1
        "#;
        let (c, w) = Config::parse(text).unwrap();
        assert!(c.upstream.identity.builtin);
        assert_eq!(c.upstream.identity.remove, vec!["You are Codex."]);
        assert_eq!(c.upstream.identity.replace["Codex"], "the assistant");
        assert_eq!(
            w,
            vec!["unknown config key `upstream.identity.colour` (ignored)"]
        );
    }

    #[test]
    fn endpoints_default_to_daily_then_prod() {
        let endpoints = Config::default().upstream.endpoints;
        assert_eq!(
            endpoints,
            vec![
                "https://daily-cloudcode-pa.googleapis.com",
                "https://cloudcode-pa.googleapis.com"
            ]
        );
    }

    #[test]
    fn env_overrides_file_values() {
        let mut c = Config::default();
        let env = |k: &str| match k {
            "ANTI_API_PORT" => Some("1234".to_string()),
            "ANTI_API_ANTIGRAVITY_ENDPOINTS" => Some("http://a/, http://b".to_string()),
            "ANTI_API_ACCOUNT_MAX_CONCURRENCY" => Some("0".to_string()),
            "ANTI_API_HISTORY_CAPTURE" => Some("Errors".to_string()),
            _ => None,
        };
        c.apply_env(env).unwrap();
        assert_eq!(c.server.port, 1234);
        assert_eq!(c.upstream.endpoints, vec!["http://a", "http://b"]);
        assert_eq!(c.accounts.max_concurrency, 0);
        assert_eq!(c.history.capture, CaptureMode::Errors);
        let bad = |k: &str| (k == "ANTI_API_PORT").then(|| "lots".to_string());
        let err = c.apply_env(bad).unwrap_err().to_string();
        assert!(err.contains("ANTI_API_PORT"), "{err}");
    }

    #[test]
    fn history_section_parses_and_rejects_unknown_modes() {
        let text = "[history]\ncapture = \"errors\"\nmax_body_kb = 64\nretention_days = 3\n";
        let (c, w) = Config::parse(text).unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(c.history.capture, CaptureMode::Errors);
        assert_eq!((c.history.max_body_kb, c.history.retention_days), (64, 3));
        assert_eq!(c.history.max_db_mb, 200);
        assert_eq!(Config::default().history.capture, CaptureMode::All);
        assert!(Config::parse("[history]\ncapture = \"some\"\n").is_err());
        let bad = |k: &str| (k == "ANTI_API_HISTORY_CAPTURE").then(|| "most".to_string());
        let err = Config::default().apply_env(bad).unwrap_err().to_string();
        assert!(err.contains("all, errors or none"), "{err}");
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let mut c = Config::default();
        c.server.api_key = Some("hunter2".into());
        c.google.client_secret = Some("GOCSPX-secret".into());
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("hunter2") && !dbg.contains("GOCSPX"), "{dbg}");
        // The built-in secret is a credential like any other.
        let dbg = format!("{:?}", Config::default());
        assert!(!dbg.contains(ANTIGRAVITY_CLIENT_SECRET), "{dbg}");
    }

    #[test]
    fn the_builtin_client_comes_with_its_secret_and_only_with_it() {
        let (c, w) = Config::parse("").unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(c.google.client_id, ANTIGRAVITY_CLIENT_ID);
        assert_eq!(c.google.secret(), Some(ANTIGRAVITY_CLIENT_SECRET));
        assert!(c.google.warnings().is_empty());
        // An own client id in the file without a secret: no Antigravity secret, a warning.
        let (own, w) = Config::parse("[google]\nclient_id = \"mine.apps\"\n").unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(own.google.secret(), None);
        let warned = own.google.warnings().join(" ");
        assert!(
            warned.contains("mine.apps") && warned.contains("client_secret"),
            "{warned}"
        );
        // The same through the environment.
        let mut env_own = Config::default();
        env_own
            .apply_env(|k| (k == "ANTI_API_GOOGLE_CLIENT_ID").then(|| "env.apps".to_string()))
            .unwrap();
        assert_eq!(env_own.google.secret(), None);
        // An own pair is used as it is; so is an own secret for the built-in id.
        let (pair, _) =
            Config::parse("[google]\nclient_id = \"mine.apps\"\nclient_secret = \"s3\"\n").unwrap();
        assert_eq!(pair.google.secret(), Some("s3"));
        assert!(pair.google.warnings().is_empty());
        let mut env_secret = Config::default();
        env_secret
            .apply_env(|k| (k == "ANTI_API_GOOGLE_CLIENT_SECRET").then(|| "other".to_string()))
            .unwrap();
        assert_eq!(env_secret.google.secret(), Some("other"));
        // An empty secret means none (and is what a test of the refusal uses).
        let (empty, _) = Config::parse("[google]\nclient_secret = \"\"\n").unwrap();
        assert_eq!(empty.google.secret(), None);
    }

    #[test]
    fn the_client_version_is_optional_validated_and_never_saved_by_default() {
        let c = Config::default();
        assert_eq!(c.upstream.antigravity_version, None);
        let text = toml::to_string_pretty(&c).unwrap();
        assert!(!text.contains("antigravity_version"), "{text}");
        assert!(
            c.user_agent().starts_with("antigravity/hub/2.9.1 "),
            "{}",
            c.user_agent()
        );

        let (c, w) = Config::parse(
            "[upstream]\nantigravity_version = \"2.12.0\"\n[upstream.notices]\n\"please reinstall *\" = \"version\"\n",
        )
        .unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(
            c.upstream.antigravity_version,
            Some(ClientVersion::new(2, 12, 0))
        );
        assert_eq!(
            c.upstream.notices.get("please reinstall *"),
            Some(&NoticeKind::Version)
        );
        assert!(c.user_agent().starts_with("antigravity/hub/2.12.0 "));
        let err = Config::parse("[upstream]\nantigravity_version = \"latest\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("antigravity_version") || err.contains("MAJOR.MINOR.PATCH"),
            "{err}"
        );
        assert!(Config::parse("[upstream.notices]\n\"x\" = \"gone\"\n").is_err());

        let mut c = Config::default();
        let env = |k: &str| match k {
            "ANTI_API_ANTIGRAVITY_VERSION" => Some("2.10.1".to_string()),
            "ANTI_API_ANTIGRAVITY_MANIFEST_URL" => Some(String::new()),
            _ => None,
        };
        c.apply_env(env).unwrap();
        assert_eq!(
            c.upstream.antigravity_version,
            Some(ClientVersion::new(2, 10, 1))
        );
        assert_eq!(c.upstream.version_manifest_url, "");
        let bad = |k: &str| (k == "ANTI_API_ANTIGRAVITY_VERSION").then(|| "new".to_string());
        let err = c.apply_env(bad).unwrap_err().to_string();
        assert!(err.contains("ANTI_API_ANTIGRAVITY_VERSION"), "{err}");
        c.upstream.user_agent = Some("mine/1.0".into());
        assert_eq!(c.user_agent(), "mine/1.0");
    }

    #[test]
    fn save_and_load_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let mut c = Config::default();
        c.flows.push(FlowConfig {
            name: "f".into(),
            entries: vec![FlowEntry {
                model: "gemini-3-flash".into(),
                account: None,
            }],
        });
        c.save(&path).unwrap();
        let (back, warnings) = Config::load(&path).unwrap();
        assert_eq!(back, c);
        assert!(warnings.is_empty(), "{warnings:?}");
    }
}
