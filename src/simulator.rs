//! An in-process fake Google (OAuth + Cloud Code `v1internal`, plus the public Gemini `v1beta`
//! generate routes) for `--demo`, tests and benchmarks.
//!
//! It is deterministic, refuses what the real upstream refuses (so translation bugs show up in
//! tests), and injects every documented failure on demand. Accounts are implicit: the refresh
//! token `sim-refresh-<name>` belongs to `<name>@example.com`.

mod cloudcode;
mod connections;
mod control;
mod device;
mod faults;
mod gate;
mod generate;
mod identity;
mod models;
mod oauth;
mod oauth_client;
mod public;
mod script;
mod sign;
mod sse;
mod state;
mod validate;

#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use axum::serve::ListenerExt as _;
use tokio::net::TcpListener;

pub use faults::{Fault, FaultScope, UnknownFault, VALIDATION_URL};
pub use state::{OAuthRequestSeen, SimStats};

use state::{Quota, Shared};

/// The shape of `cloudaicompanionProject` in `loadCodeAssist` answers; the upstream uses both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProjectForm {
    /// `"cloudaicompanionProject": "sim-project-<name>"`
    #[default]
    String,
    /// `"cloudaicompanionProject": {"id": "sim-project-<name>", "name": "…"}`
    Object,
}

#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Pause between SSE events; 0 for tests, about 40 ms for `--demo`.
    pub chunk_delay: Duration,
    /// `expires_in` of issued access tokens; generate calls refuse them afterwards.
    pub token_lifetime_secs: u64,
    pub project_form: ProjectForm,
    /// How long a device code stays valid (`expires_in` of `/device/code`).
    pub device_code_lifetime: Duration,
    /// Refuse what today's real gateway refuses beyond plain schema validation (client identity
    /// texts answered with a fake 429, retired model ids, in-band 200 notices, Gemini's schema
    /// and turn-order rules, tool images seen only when nested, thinking that eats a small
    /// output limit, a missing OAuth client secret; `docs/upstream.md`). On by default:
    /// tests, `--demo`, the conformance suite and the benchmarks all face the strict upstream.
    /// `SimConfig::lenient()` turns it off, for tests of the proxy's own fallbacks only.
    pub strict: bool,
}

impl SimConfig {
    /// The simulator without the strict gateway rules (see `strict`).
    pub fn lenient() -> Self {
        Self {
            strict: false,
            ..Self::default()
        }
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            chunk_delay: Duration::ZERO,
            token_lifetime_secs: 3599,
            project_form: ProjectForm::String,
            device_code_lifetime: Duration::from_secs(300),
            strict: true,
        }
    }
}

/// Starts the simulator on `listener` and returns a handle to drive it. The server runs until
/// `SimHandle::shutdown` (or the runtime ends).
pub async fn start(listener: TcpListener, config: SimConfig) -> SimHandle {
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    let base_url = format!("http://127.0.0.1:{port}");
    let shared = Arc::new(Shared::new(config, base_url));
    let app = router(shared.clone());
    // Streams are written chunk by chunk; Nagle would batch them and hide pacing bugs.
    let listener = listener.tap_io(|tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!("simulator: TCP_NODELAY failed: {err}");
        }
    });
    let cancel = shared.cancel.clone();
    let server = tokio::spawn(async move {
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move { cancel.cancelled().await })
            .await;
        if let Err(err) = served {
            tracing::warn!("simulator stopped: {err}");
        }
    });
    // Give the server task a chance to start polling before callers connect (the listener is
    // already bound, so connections would queue anyway; this just keeps first calls snappy).
    tokio::task::yield_now().await;
    drop(server);
    SimHandle { shared }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/o/oauth2/v2/auth", get(oauth::authorize))
        .route("/token", post(oauth::token))
        .route("/device/code", post(device::device_code))
        .route("/device", get(device::approve))
        .route("/oauth2/v2/userinfo", get(oauth::userinfo))
        .route("/oauth2/v1/userinfo", get(oauth::userinfo))
        .route(
            "/v1internal:loadCodeAssist",
            post(cloudcode::load_code_assist),
        )
        .route("/v1internal:onboardUser", post(cloudcode::onboard_user))
        .route(
            "/v1internal:fetchAvailableModels",
            post(cloudcode::fetch_available_models),
        )
        .route("/v1internal:countTokens", post(cloudcode::count_tokens))
        .route(
            "/v1internal:streamGenerateContent",
            post(generate::stream_generate),
        )
        .route("/v1internal:generateContent", post(generate::generate))
        // Public Gemini (`v1beta`): `MODEL:generateContent` / `MODEL:streamGenerateContent`.
        .route("/v1beta/models/{*rest}", post(public::models_call))
        .route("/manifest/{file}", get(gate::manifest))
        .route("/__sim/faults", post(control::faults))
        .route("/__sim/stats", get(control::stats))
        .route("/__sim/revoke", post(control::revoke))
        .route("/__sim/quota", post(control::quota))
        .route("/__sim/project", post(control::project))
        .route("/__sim/chunk_delay", post(control::chunk_delay))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            connections::record,
        ))
        .with_state(shared)
}

/// Drives a running simulator. Cheap to clone. Methods taking an account `name` accept the
/// name (`alice`) or the email (`alice@example.com`).
#[derive(Clone, Debug)]
pub struct SimHandle {
    shared: Arc<Shared>,
}

impl SimHandle {
    /// `http://127.0.0.1:PORT`; serves both the OAuth and the `v1internal` paths.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// Queues `fault` for the next `times` generate calls that match `scope`.
    pub fn inject(&self, fault: Fault, times: u32, scope: FaultScope) {
        let scope = FaultScope {
            model: scope.model.as_deref().map(models::to_upstream),
            account: scope.account,
        };
        self.shared.lock().faults.push(state::QueuedFault {
            fault,
            remaining: times,
            scope,
        });
    }

    pub fn stats(&self) -> SimStats {
        self.shared.stats()
    }

    /// From now on the account's refresh token fails with `invalid_grant`, and the access
    /// tokens already issued to it stop working (as when a user revokes access at Google).
    pub fn revoke(&self, name: &str) {
        self.shared.lock().revoke(faults::account_name(name));
    }

    /// Moves the account to another project; calls naming the old one get a stale-project 404.
    pub fn set_project(&self, name: &str, project: &str) {
        self.shared
            .lock()
            .account(faults::account_name(name))
            .project = Some(project.to_owned());
    }

    /// Sets what `fetchAvailableModels` reports for the account and model. A fraction of 0 also
    /// makes generate calls answer 429 `QUOTA_EXHAUSTED` until the reset time passes.
    pub fn set_quota(&self, name: &str, model: &str, remaining_fraction: f64, reset_in: Duration) {
        let reset_at =
            chrono::Utc::now() + chrono::Duration::from_std(reset_in).unwrap_or_default();
        self.shared
            .lock()
            .account(faults::account_name(name))
            .quotas
            .insert(
                models::to_upstream(model),
                Quota {
                    remaining: remaining_fraction.clamp(0.0, 1.0),
                    reset_at,
                },
            );
    }

    /// From now on the upstream no longer serves `model` (a public or upstream id):
    /// `fetchAvailableModels` drops it (and lists it under `deprecatedModelIds` when a
    /// `successor` is given), and generate calls for it get `notice` as a 200 answer, or 404
    /// `NOT_FOUND` without one. Applies in lenient mode too.
    pub fn retire(&self, model: &str, successor: Option<&str>, notice: Option<&str>) {
        self.shared.lock().retired.push(state::RetiredModel {
            id: models::to_upstream(model),
            successor: successor.map(models::to_upstream),
            notice: notice.map(str::to_owned),
        });
    }

    pub fn set_chunk_delay(&self, d: Duration) {
        self.shared.set_chunk_delay(d);
    }

    /// Stops accepting connections and ends open (including stalled) streams.
    pub fn shutdown(&self) {
        self.shared.cancel.cancel();
    }
}
