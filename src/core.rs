//! The engine both the console and `serve` run: configuration, catalogue, account pool, upstream
//! client, signature store and event bus, and the request execution with failover across
//! accounts and models.

mod conversations;
mod dry_run;
mod execute;
mod notice;
mod plan;
mod polling;
mod quota;
mod refusals;
mod stream;
mod version;

pub use conversations::Conversation;
pub use execute::Opened;
pub use execute::human_duration;
pub use plan::{Plan, PlannedTarget};
pub use quota::LatencyBook;
pub use stream::EventStream;
pub use version::VersionGate;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::accounts::AccountPool;
use crate::auth::GoogleAuth;
use crate::capture::CaptureSink;
use crate::catalogue::Catalogue;
use crate::config::{Config, FlowConfig};
use crate::events::Bus;
use crate::routing::{self, Route};
use crate::store::CommitBarrier;
use crate::translate::antigravity::{Notices, SignatureStore};
use crate::translate::identity::IdentityRules;
use crate::translate::ir::{ChatRequest, ErrorInfo, ErrorKind, Thinking};
use crate::upstream::{self, AccountClients, AntigravityClient};

/// Shared engine state; cheap to clone (everything inside is reference-counted).
#[derive(Debug, Clone)]
pub struct Core {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    catalogue: RwLock<Catalogue>,
    accounts: AccountPool,
    auth: GoogleAuth,
    /// Each account's Cloud Code client: a connection pool per identity.
    upstreams: AccountClients,
    /// `[upstream.identity]` with the built-in list, applied to every upstream body.
    identity: IdentityRules,
    signatures: Mutex<SignatureStore>,
    bus: Bus,
    shutdown: CancellationToken,
    listen_addr: OnceLock<SocketAddr>,
    capture: OnceLock<CaptureSink>,
    /// Set when the history is durable: responses end after their row is committed.
    commit_barrier: OnceLock<CommitBarrier>,
    /// Routing flows; editable while running (the console's Routing tab).
    flows: RwLock<Vec<FlowConfig>>,
    latency: LatencyBook,
    /// Answers the Responses API can continue (`previous_response_id`) or return by id.
    conversations: Mutex<conversations::ConversationMemory>,
    /// The in-band notice phrases (built in plus `[upstream.notices]`).
    notices: Arc<Notices>,
    /// The client version the User-Agent reports.
    version: VersionGate,
    quota_polls: polling::QuotaPolls,
}

impl Core {
    pub fn new(config: Config, accounts: AccountPool, bus: Bus) -> anyhow::Result<Self> {
        let connect_timeout = Duration::from_secs(config.upstream.connect_timeout_s);
        let http = upstream::http_client(connect_timeout)?;
        let template = AntigravityClient::new(
            http.clone(),
            config.upstream.endpoints.clone(),
            config.user_agent(),
            Duration::from_secs(config.upstream.stream_idle_timeout_s.max(1)),
            Duration::from_secs(config.upstream.response_timeout_s.max(1)),
        );
        let identity = config.upstream.identity.rules();
        let catalogue = Catalogue::builtin(&config.models.aliases, config.models.defaults.clone());
        let notices = Arc::new(Notices::with_user(&config.upstream.notices));
        Ok(Self {
            inner: Arc::new(Inner {
                version: VersionGate::new(http.clone()),
                notices,
                auth: GoogleAuth::new(http, config.google.clone()),
                flows: RwLock::new(config.flows.clone()),
                config,
                catalogue: RwLock::new(catalogue),
                accounts,
                upstreams: AccountClients::new(template, connect_timeout),
                identity,
                signatures: Mutex::new(SignatureStore::default()),
                bus,
                shutdown: CancellationToken::new(),
                listen_addr: OnceLock::new(),
                capture: OnceLock::new(),
                commit_barrier: OnceLock::new(),
                latency: LatencyBook::default(),
                conversations: Mutex::default(),
                quota_polls: polling::QuotaPolls::default(),
            }),
        })
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub fn accounts(&self) -> &AccountPool {
        &self.inner.accounts
    }

    pub fn auth(&self) -> &GoogleAuth {
        &self.inner.auth
    }

    /// The Cloud Code client of `account` (an account id): its own connection pool.
    pub fn upstream_for(&self, account: &str) -> Result<Arc<AntigravityClient>, ErrorInfo> {
        self.inner.upstreams.get(account).map_err(|e| {
            ErrorInfo::new(
                503,
                ErrorKind::Overloaded,
                format!("could not set up the upstream connection for {account}: {e:#}"),
            )
        })
    }

    /// What every account's Cloud Code client shares (endpoints, the User-Agent). Calls go
    /// through `upstream_for`, never through this one's connection pool.
    pub fn upstream(&self) -> &AntigravityClient {
        self.inner.upstreams.template()
    }

    /// The identity texts removed from system prompts before they go upstream.
    pub fn identity(&self) -> &IdentityRules {
        &self.inner.identity
    }

    pub fn bus(&self) -> &Bus {
        &self.inner.bus
    }

    /// Cancelled when the process is shutting down; open streams end with an error event.
    pub fn shutdown_token(&self) -> &CancellationToken {
        &self.inner.shutdown
    }

    pub fn set_listen_addr(&self, addr: SocketAddr) {
        let _ = self.inner.listen_addr.set(addr);
    }

    pub fn listen_addr(&self) -> Option<SocketAddr> {
        self.inner.listen_addr.get().copied()
    }

    /// Sends request bodies to the history store from now on (set once, at start-up).
    pub fn set_capture(&self, sink: CaptureSink) {
        let _ = self.inner.capture.set(sink);
    }

    /// From now on `history_committed` waits for the history's writer (set once, at start-up).
    pub fn set_commit_barrier(&self, barrier: CommitBarrier) {
        let _ = self.inner.commit_barrier.set(barrier);
    }

    /// Waits until the request events reported so far are committed to the history (at once
    /// when the history is off or not durable). Called between a request's `finish` and the
    /// last bytes of its response.
    pub async fn history_committed(&self) {
        if let Some(barrier) = self.inner.commit_barrier.get() {
            barrier.wait().await;
        }
    }

    pub fn capture(&self) -> &CaptureSink {
        static DISABLED: OnceLock<CaptureSink> = OnceLock::new();
        self.inner
            .capture
            .get()
            .unwrap_or_else(|| DISABLED.get_or_init(CaptureSink::default))
    }

    pub fn catalogue(&self) -> Catalogue {
        self.inner
            .catalogue
            .read()
            .expect("catalogue poisoned")
            .clone()
    }

    /// Where a request for `req.model` would go.
    pub fn route(&self, req: &ChatRequest) -> Result<Route, ErrorInfo> {
        self.route_name(&req.model, wants_thinking(req))
    }

    /// Where a request for the model name `model` would go.
    fn route_name(&self, model: &str, wants_thinking: bool) -> Result<Route, ErrorInfo> {
        let catalogue = self.inner.catalogue.read().expect("catalogue poisoned");
        let flows = self.inner.flows.read().expect("flows poisoned");
        let mut route = routing::resolve(model, &catalogue, &flows, wants_thinking)?;
        if route.flow.as_deref() == Some("fast") {
            routing::order_by_latency(&mut route, |model| self.inner.latency.median(model));
        }
        Ok(route)
    }

    /// The configured routing flows (built-in ones are added by `routing::all_flows`).
    pub fn flows(&self) -> Vec<FlowConfig> {
        self.inner.flows.read().expect("flows poisoned").clone()
    }

    /// Replaces the flows for new requests (the caller saves `config.toml`).
    pub fn set_flows(&self, flows: Vec<FlowConfig>) {
        *self.inner.flows.write().expect("flows poisoned") = flows;
    }

    /// Keeps an answered conversation under the id its answer was given.
    pub fn remember_conversation(&self, id: String, conversation: Conversation) {
        self.inner
            .conversations
            .lock()
            .expect("conversations poisoned")
            .insert(id, conversation, Utc::now());
    }

    /// The conversation answered as `id`, while it is kept.
    pub fn conversation(&self, id: &str) -> Option<Conversation> {
        self.inner
            .conversations
            .lock()
            .expect("conversations poisoned")
            .get(id, Utc::now())
    }

    /// The thought signature the upstream gave a function call, while the store keeps it.
    pub fn tool_signature(&self, call_id: &str) -> Option<String> {
        let store = self
            .inner
            .signatures
            .lock()
            .expect("signature store poisoned");
        store
            .tool_signature(call_id, Utc::now().timestamp_millis())
            .map(str::to_owned)
    }

    /// Signatures a client sent back on its function calls (the Gemini API carries them),
    /// kept so the upstream request replays them as given.
    pub fn remember_tool_signatures(&self, signatures: &[(String, String)]) {
        self.record_signatures(signatures.iter().map(|(tool_id, signature)| {
            crate::translate::antigravity::SignatureRecord::ToolCall {
                tool_id: tool_id.clone(),
                signature: signature.clone(),
            }
        }));
    }

    /// Puts signature records into the bounded store, stamped now.
    fn record_signatures(
        &self,
        records: impl IntoIterator<Item = crate::translate::antigravity::SignatureRecord>,
    ) {
        let mut records = records.into_iter().peekable();
        if records.peek().is_none() {
            return;
        }
        let now = Utc::now().timestamp_millis();
        let mut store = self
            .inner
            .signatures
            .lock()
            .expect("signature store poisoned");
        for record in records {
            store.record(record, now);
        }
    }

    pub fn usable_accounts(&self) -> usize {
        self.inner.accounts.usable_count(Utc::now())
    }
}

/// Whether a request asks for thinking (which routes a family name to its thinking model).
pub fn wants_thinking(req: &ChatRequest) -> bool {
    req.thinking != Thinking::Off || req.effort.is_some()
}
