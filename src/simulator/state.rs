//! The simulator's shared state: implicit accounts, issued tokens and codes, queued faults,
//! quotas and the statistics snapshot tests read back.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::SimConfig;
use super::faults::{Fault, FaultScope};

/// How many validation messages `SimStats::rejected` keeps.
const REJECTED_CAP: usize = 100;
/// How many distinct user agents `SimStats::user_agents` keeps.
const USER_AGENT_CAP: usize = 50;

/// A snapshot of what the simulator has seen so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimStats {
    /// Every `generateContent` and `streamGenerateContent` call, rejected ones included.
    pub generate_calls: u64,
    /// The streaming subset of `generate_calls`.
    pub stream_calls: u64,
    pub count_tokens_calls: u64,
    /// `grant_type=refresh_token` requests, failed ones included.
    pub token_refreshes: u64,
    /// `grant_type=authorization_code` requests, failed ones included.
    pub code_exchanges: u64,
    pub load_code_assist_calls: u64,
    pub onboard_calls: u64,
    pub fetch_models_calls: u64,
    /// `GET /manifest/*` (the updater manifest) requests.
    pub manifest_calls: u64,
    /// SSE bodies currently being written.
    pub open_streams: u64,
    /// Validation errors (400 `INVALID_ARGUMENT`) returned to generate calls, most recent last.
    pub rejected: Vec<String>,
    /// The last generate envelope received.
    pub last_request: Option<serde_json::Value>,
    /// Generate calls per authenticated account, keyed by email (`alice@example.com`).
    pub calls_by_account: BTreeMap<String, u64>,
    /// Generate calls refused (strict mode) for an identity text in the system instruction,
    /// with the bare fake 429.
    pub identity_refusals: u64,
    /// Distinct `User-Agent` headers seen on Cloud Code calls.
    pub user_agents: Vec<String>,
    /// The client TCP connections (peer addresses) that carried each account's Cloud Code
    /// calls, keyed by email. Two accounts sharing an address shared a connection.
    pub connections_by_account: BTreeMap<String, BTreeSet<String>>,
    /// The token, device-code and userinfo requests, oldest first (at most
    /// `OAUTH_REQUEST_CAP`): how they looked on the wire, never their secrets.
    pub oauth_requests: Vec<OAuthRequestSeen>,
}

/// How many OAuth requests `SimStats::oauth_requests` keeps.
pub(crate) const OAUTH_REQUEST_CAP: usize = 200;

/// One OAuth request as the simulator received it. Values of secrets (client secret, tokens,
/// codes) are not kept, only whether they were there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OAuthRequestSeen {
    /// `token`, `device_code` or `userinfo`.
    pub endpoint: String,
    /// The HTTP version of the request, as `HTTP/1.1` or `HTTP/2.0`.
    pub http_version: String,
    pub user_agent: Option<String>,
    pub accept: Option<String>,
    /// Form field names in the order they were sent (empty for userinfo).
    pub form_keys: Vec<String>,
    /// The raw form body with every value except `grant_type` and `client_id` replaced by
    /// `*`, so tests can compare the encoding byte for byte without seeing a secret.
    pub form_shape: String,
    pub grant_type: Option<String>,
    pub client_id: Option<String>,
    pub had_client_secret: bool,
    /// The query string of the URL (userinfo's `alt=json`).
    pub query: Option<String>,
}

/// One implicit Google account, created on first use.
#[derive(Debug)]
pub(crate) struct Account {
    /// `None` until an account whose name starts with "new" is onboarded.
    pub project: Option<String>,
    pub onboard_polls: u32,
    pub revoked: bool,
    /// Quotas set through `SimHandle::set_quota`, keyed by upstream model id.
    pub quotas: HashMap<String, Quota>,
    /// Quota shown as exhausted because a `QuotaExhausted` fault fired; cleared by a success.
    pub fault_exhausted: HashMap<String, DateTime<Utc>>,
}

impl Account {
    fn new(name: &str) -> Self {
        Self {
            project: (!name.starts_with("new")).then(|| default_project(name)),
            onboard_polls: 0,
            revoked: name.contains("revoked"),
            quotas: HashMap::new(),
            fault_exhausted: HashMap::new(),
        }
    }
}

pub(crate) fn default_project(name: &str) -> String {
    format!("sim-project-{name}")
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Quota {
    pub remaining: f64,
    pub reset_at: DateTime<Utc>,
}

#[derive(Debug)]
pub(crate) struct AccessToken {
    pub name: String,
    pub expires_at: Instant,
}

#[derive(Debug)]
pub(crate) struct AuthCode {
    pub name: String,
    pub redirect_uri: String,
    pub scope: String,
    pub challenge: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DeviceStatus {
    Pending,
    Approved(String),
    Denied,
    /// Tokens were issued; the code cannot be used again.
    Consumed,
}

#[derive(Debug)]
pub(crate) struct DeviceGrant {
    pub user_code: String,
    pub scope: String,
    pub status: DeviceStatus,
    pub expires_at: Instant,
    pub last_poll: Option<Instant>,
}

#[derive(Debug)]
pub(crate) struct QueuedFault {
    pub fault: Fault,
    pub remaining: u32,
    pub scope: FaultScope,
}

/// Everything behind the one mutex. Handlers never hold it across an `.await`.
#[derive(Debug, Default)]
pub(crate) struct State {
    counter: u64,
    pub accounts: HashMap<String, Account>,
    pub access_tokens: HashMap<String, AccessToken>,
    pub codes: HashMap<String, AuthCode>,
    pub devices: HashMap<String, DeviceGrant>,
    pub faults: Vec<QueuedFault>,
    pub stats: SimStats,
    /// Models retired during the run (`SimHandle::retire`), on top of `gate::RETIRED`.
    pub retired: Vec<RetiredModel>,
}

/// A model the upstream stopped serving during the run.
#[derive(Debug, Clone)]
pub(crate) struct RetiredModel {
    pub id: String,
    /// Listed under `deprecatedModelIds` when set.
    pub successor: Option<String>,
    /// The 200 answer generate calls get; 404 `NOT_FOUND` without one.
    pub notice: Option<String>,
}

impl State {
    /// A process-wide increasing number for ids (codes, tokens, tool calls, responses).
    pub fn next_id(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    pub fn account(&mut self, name: &str) -> &mut Account {
        self.accounts
            .entry(name.to_owned())
            .or_insert_with(|| Account::new(name))
    }

    /// Issues `sim-access-<name>-<n>`, valid for `lifetime`.
    pub fn issue_access_token(&mut self, name: &str, lifetime: Duration) -> String {
        let token = format!("sim-access-{name}-{}", self.next_id());
        self.access_tokens.insert(
            token.clone(),
            AccessToken {
                name: name.to_owned(),
                expires_at: Instant::now() + lifetime,
            },
        );
        token
    }

    /// The account an unexpired access token belongs to.
    pub fn token_owner(&self, token: &str) -> Option<String> {
        self.access_tokens
            .get(token)
            .filter(|t| t.expires_at > Instant::now())
            .map(|t| t.name.clone())
    }

    /// Revoking a grant at Google also kills the access tokens minted from it.
    pub fn revoke(&mut self, name: &str) {
        self.account(name).revoked = true;
        self.access_tokens.retain(|_, t| t.name != name);
    }

    /// Takes one use of the first queued fault whose scope matches.
    pub fn take_fault(&mut self, model: &str, account: &str) -> Option<Fault> {
        let index = self
            .faults
            .iter()
            .position(|q| q.remaining > 0 && q.scope.matches(model, account))?;
        let queued = &mut self.faults[index];
        let fault = queued.fault;
        queued.remaining -= 1;
        if queued.remaining == 0 {
            self.faults.remove(index);
        }
        Some(fault)
    }

    /// Whether a `QuotaExhausted` fault is still queued for this account and model.
    pub fn quota_fault_pending(&self, model: &str, account: &str) -> bool {
        self.faults.iter().any(|q| {
            q.fault == Fault::QuotaExhausted
                && q.scope.model.is_some()
                && q.scope.matches(model, account)
        })
    }

    pub fn record_rejection(&mut self, message: &str) {
        let rejected = &mut self.stats.rejected;
        if rejected.len() >= REJECTED_CAP {
            rejected.remove(0);
        }
        rejected.push(message.to_owned());
    }

    pub fn record_user_agent(&mut self, user_agent: &str) {
        let agents = &mut self.stats.user_agents;
        if agents.len() < USER_AGENT_CAP && !agents.iter().any(|a| a == user_agent) {
            agents.push(user_agent.to_owned());
        }
    }
}

/// What every handler shares: configuration, the state mutex and the stream gauge.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: SimConfig,
    pub base_url: String,
    chunk_delay: Mutex<Duration>,
    state: Mutex<State>,
    open_streams: AtomicU64,
    pub cancel: CancellationToken,
}

impl Shared {
    pub fn new(config: SimConfig, base_url: String) -> Self {
        Self {
            chunk_delay: Mutex::new(config.chunk_delay),
            config,
            base_url,
            state: Mutex::new(State::default()),
            open_streams: AtomicU64::new(0),
            cancel: CancellationToken::new(),
        }
    }

    /// Locks the state. A panic in another handler must not wedge the simulator, so a
    /// poisoned lock is simply taken over.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn chunk_delay(&self) -> Duration {
        *self
            .chunk_delay
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub fn set_chunk_delay(&self, delay: Duration) {
        *self
            .chunk_delay
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = delay;
    }

    pub fn token_lifetime(&self) -> Duration {
        Duration::from_secs(self.config.token_lifetime_secs)
    }

    pub fn stats(&self) -> SimStats {
        let mut stats = self.lock().stats.clone();
        stats.open_streams = self.open_streams.load(Ordering::SeqCst);
        stats
    }

    pub fn stream_opened(&self) {
        self.open_streams.fetch_add(1, Ordering::SeqCst);
    }

    pub fn stream_closed(&self) {
        self.open_streams.fetch_sub(1, Ordering::SeqCst);
    }
}
