//! Interactive Google login, shared by `anti-api-tui login` and the console's Accounts tab: a
//! browser login (authorization code + PKCE, caught on loopback or pasted back) or the RFC 8628
//! device grant, then the common end — email, Cloud Code project, stored account. Progress is
//! reported as `LoginProgress` events on a channel; pasted text comes in on another.

mod authcode;
mod browser;
mod device;
mod error;
mod loopback;
mod progress;

#[cfg(test)]
mod tests;

use std::time::Duration;

use chrono::Utc;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub use authcode::SCOPES;
pub use device::GOOGLE_DEVICE_AUTH_URL;
pub use error::{LoginError, OWN_CLIENT_HELP};
pub use progress::{LoggedIn, LoginMethod, LoginProgress, LoginPrompt, render_qr};

use crate::accounts::{AccountPool, AccountRecord};
use crate::auth::{GoogleAuth, TokenGrant};
use crate::config::{Config, GoogleConfig};
use crate::upstream::{self, AntigravityClient};

/// How long a login waits for the user by default (as Antigravity does).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
/// The longest wait honoured; longer timeouts are cut to it (and clock arithmetic stays sane).
pub const MAX_TIMEOUT: Duration = Duration::from_secs(86_400);

/// What a login talks to and where it stores the account.
#[derive(Debug, Clone)]
pub struct LoginContext {
    /// Must not follow redirects (see `upstream::http_client`).
    pub http: reqwest::Client,
    pub google: GoogleConfig,
    pub upstream: AntigravityClient,
    /// The pool the account is stored in; the engine's own pool makes it usable at once.
    pub accounts: AccountPool,
}

impl LoginContext {
    pub fn new(config: &Config, accounts: AccountPool) -> anyhow::Result<Self> {
        let http = upstream::http_client(Duration::from_secs(config.upstream.connect_timeout_s))?;
        let upstream = AntigravityClient::new(
            http.clone(),
            config.upstream.endpoints.clone(),
            config.user_agent(),
            Duration::from_secs(config.upstream.stream_idle_timeout_s),
            Duration::from_secs(config.upstream.response_timeout_s),
        );
        Ok(Self {
            http,
            google: config.google.clone(),
            upstream,
            accounts,
        })
    }
}

#[derive(Debug, Clone)]
pub struct LoginOptions {
    /// Use the device grant even when no device authorization URL is configured (Google's own
    /// endpoint is then used).
    pub device: bool,
    /// Try to start the desktop's browser on the authorization URL (never waited for).
    pub open_browser: bool,
    /// How long to wait for the user (at most `MAX_TIMEOUT`).
    pub timeout: Duration,
    /// Preselects the Google account on the consent page (`login_hint`).
    pub login_hint: Option<String>,
    /// Polls the device endpoint at this interval instead of the server's (tests use 0 to
    /// provoke `slow_down`).
    pub device_poll_interval_secs: Option<u64>,
}

impl Default for LoginOptions {
    fn default() -> Self {
        Self {
            device: false,
            open_browser: true,
            timeout: DEFAULT_TIMEOUT,
            login_hint: None,
            device_poll_interval_secs: None,
        }
    }
}

impl LoginOptions {
    /// The timeout actually used.
    pub fn wait(&self) -> Duration {
        self.timeout.min(MAX_TIMEOUT)
    }

    /// The device grant when asked for or when a device authorization URL is configured.
    pub fn method(&self, google: &GoogleConfig) -> LoginMethod {
        if self.device || google.device_auth_url.is_some() {
            LoginMethod::Device
        } else {
            LoginMethod::Browser
        }
    }
}

/// Sends progress, ignoring a receiver that went away (nobody watching is not an error).
#[derive(Debug, Clone)]
pub(crate) struct Reporter(mpsc::UnboundedSender<LoginProgress>);

impl Reporter {
    pub fn send(&self, event: LoginProgress) {
        let _ = self.0.send(event);
    }
}

/// Runs one login to the end. Every event goes to `progress`, the last one being `Done` or
/// `Failed`; `pasted` takes redirect URLs or codes typed by the user (browser login only).
pub async fn login(
    ctx: &LoginContext,
    options: &LoginOptions,
    progress: mpsc::UnboundedSender<LoginProgress>,
    mut pasted: mpsc::Receiver<String>,
) -> Result<LoggedIn, LoginError> {
    let reporter = Reporter(progress);
    let result = async {
        let grant = match options.method(&ctx.google) {
            LoginMethod::Browser => {
                browser::authorize(ctx, options, &reporter, &mut pasted).await?
            }
            LoginMethod::Device => device::authorize(ctx, options, &reporter).await?,
        };
        // Without one the account would stop working within the hour.
        if grant.refresh_token.is_none() {
            return Err(LoginError::NoRefreshToken);
        }
        reporter.send(LoginProgress::Discovering);
        complete(ctx, grant, None).await
    }
    .await;
    match &result {
        Ok(done) => reporter.send(LoginProgress::Done(done.clone())),
        Err(e) => reporter.send(LoginProgress::Failed {
            message: e.to_string(),
        }),
    }
    result
}

/// Adds the account a refresh token belongs to, as `accounts add --refresh-token` and the IDE
/// import do: the token is checked with Google (a refresh), then `complete`.
pub async fn add_refresh_token(
    ctx: &LoginContext,
    refresh_token: &str,
) -> Result<LoggedIn, LoginError> {
    let refresh_token = refresh_token.trim();
    let auth = GoogleAuth::new(ctx.http.clone(), ctx.google.clone());
    let grant = auth
        .refresh(refresh_token)
        .await
        .map_err(LoginError::Refresh)?;
    complete(ctx, grant, Some(refresh_token)).await
}

/// The end of every login (and of `add_refresh_token`): reads the email, finds the
/// Cloud Code project and stores the account. `known_refresh` is the refresh token to keep when
/// the grant does not carry a new one.
pub async fn complete(
    ctx: &LoginContext,
    grant: TokenGrant,
    known_refresh: Option<&str>,
) -> Result<LoggedIn, LoginError> {
    let refresh = grant
        .refresh_token
        .clone()
        .or_else(|| known_refresh.map(str::to_owned))
        .ok_or(LoginError::NoRefreshToken)?;
    let auth = GoogleAuth::new(ctx.http.clone(), ctx.google.clone());
    let email = auth
        .email(&grant.access_token, &ctx.upstream.user_agent())
        .await
        .map_err(|e| LoginError::Userinfo(format!("{e:#}")))?;
    let project = ctx
        .upstream
        .discover_project(&grant.access_token)
        .await
        .map_err(|e| LoginError::Project(e.to_string()))?;
    let now = Utc::now();
    let mut record = AccountRecord::new(&email, &refresh, now);
    let lifetime = i64::try_from(grant.expires_in.unwrap_or(3599)).unwrap_or(3599);
    record.access_token = Some(grant.access_token);
    record.expires_at = Some(now + chrono::Duration::seconds(lifetime));
    record.project = Some(project.project.clone());
    record.tier.clone_from(&project.tier);
    let account_id = record.id.clone();
    ctx.accounts
        .upsert(record)
        .map_err(|e| LoginError::Store(format!("{e:#}")))?;
    Ok(LoggedIn {
        account_id,
        email,
        project: project.project,
        tier: project.tier,
    })
}

/// A login running in its own task. Dropping the handle cancels it (and frees its port).
pub struct LoginHandle {
    progress: mpsc::UnboundedReceiver<LoginProgress>,
    paste: mpsc::Sender<String>,
    task: JoinHandle<Result<LoggedIn, LoginError>>,
}

/// Starts a login in the background; read its events with `next` and feed pasted text through
/// `paste_sender`.
pub fn spawn(ctx: LoginContext, options: LoginOptions) -> LoginHandle {
    let (progress_tx, progress) = mpsc::unbounded_channel();
    let (paste, pasted) = mpsc::channel(8);
    let task = tokio::spawn(async move { login(&ctx, &options, progress_tx, pasted).await });
    LoginHandle {
        progress,
        paste,
        task,
    }
}

impl LoginHandle {
    /// Where pasted text (a redirect URL or a bare code) goes.
    pub fn paste_sender(&self) -> mpsc::Sender<String> {
        self.paste.clone()
    }

    /// The next event; `None` once the login is over and every event was read.
    pub async fn next(&mut self) -> Option<LoginProgress> {
        self.progress.recv().await
    }

    /// The next event if one is waiting (for a render loop).
    pub fn try_next(&mut self) -> Option<LoginProgress> {
        self.progress.try_recv().ok()
    }

    /// Stops the login; the listener closes and no account is stored.
    pub fn cancel(&self) {
        self.task.abort();
    }

    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Waits for the login to end.
    pub async fn outcome(mut self) -> Result<LoggedIn, LoginError> {
        (&mut self.task).await.unwrap_or(Err(LoginError::Cancelled))
    }
}

impl Drop for LoginHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}
