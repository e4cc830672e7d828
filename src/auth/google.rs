//! Calls to Google's OAuth endpoints: token requests as Antigravity's Go client makes them
//! (`token_http`: sorted form, Go User-Agent, never redirected), userinfo over the shared HTTP
//! client; error bodies are summarised without echoing secrets. A refusal of
//! the OAuth client itself is remembered, so it is not asked again for every account and every
//! request until the configuration changes (a restart).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use super::refusal::{self, Refusal, Refused, Verdict};
use super::token_http;
use crate::config::GoogleConfig;

/// A successful token response.
#[derive(Clone, Deserialize)]
pub struct TokenGrant {
    pub access_token: String,
    #[serde(default)]
    pub expires_in: Option<u64>,
    #[serde(default)]
    pub refresh_token: Option<String>,
}

impl std::fmt::Debug for TokenGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenGrant")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefreshError {
    /// Google refused and trying again will not help. `Refusal::party` says who has to act:
    /// the account (a new login) or the configuration (the OAuth client settings).
    #[error("{0}")]
    Permanent(Refusal),
    /// Network trouble or a 5xx: worth trying again later.
    #[error("token refresh failed: {0}")]
    Transient(String),
}

impl RefreshError {
    /// The account's grant is dead: only a new login helps.
    pub fn account(detail: impl Into<String>) -> Self {
        Self::Permanent(Refusal::account(detail))
    }

    /// Whether the OAuth client settings, not the account, are at fault.
    pub fn is_config(&self) -> bool {
        matches!(self, Self::Permanent(r) if r.is_config())
    }
}

/// Refusals of the configured client, remembered for the life of this `GoogleAuth`: of the
/// client as a whole, and of single refresh tokens issued to another client (by hash).
#[derive(Debug, Default)]
struct Remembered {
    client: Option<Refusal>,
    tokens: HashMap<[u8; 32], Refusal>,
}

#[derive(Debug, Deserialize)]
struct OAuthErrorBody {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct GoogleAuth {
    http: reqwest::Client,
    config: GoogleConfig,
    remembered: Arc<Mutex<Remembered>>,
}

impl GoogleAuth {
    /// `http` must not follow redirects (see `upstream::http_client`).
    pub fn new(http: reqwest::Client, config: GoogleConfig) -> Self {
        Self {
            http,
            config,
            remembered: Arc::default(),
        }
    }

    pub fn config(&self) -> &GoogleConfig {
        &self.config
    }

    /// A new access token for `refresh_token`. (The order of the form here does not matter:
    /// `token_http` sends it sorted, as Go does.)
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenGrant, RefreshError> {
        if let Some(known) = self.known_refusal(Some(refresh_token)) {
            return Err(RefreshError::Permanent(known));
        }
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", self.config.client_id.as_str()),
        ];
        if let Some(secret) = self.config.secret() {
            form.push(("client_secret", secret));
        }
        let result = self.token_call(&form).await;
        self.remember(&result, Some(refresh_token));
        result
    }

    /// Exchanges an authorization code (with its PKCE verifier) for tokens.
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
    ) -> Result<TokenGrant, RefreshError> {
        if let Some(known) = self.known_refusal(None) {
            return Err(RefreshError::Permanent(known));
        }
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
            ("client_id", self.config.client_id.as_str()),
        ];
        if let Some(secret) = self.config.secret() {
            form.push(("client_secret", secret));
        }
        let result = self.token_call(&form).await;
        self.remember(&result, None);
        result
    }

    /// A refusal of the client (or of this refresh token with this client) seen before.
    fn known_refusal(&self, refresh_token: Option<&str>) -> Option<Refusal> {
        let remembered = self
            .remembered
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        remembered
            .client
            .clone()
            .or_else(|| refresh_token.and_then(|t| remembered.tokens.get(&token_key(t)).cloned()))
    }

    fn remember(&self, result: &Result<TokenGrant, RefreshError>, refresh_token: Option<&str>) {
        let Err(RefreshError::Permanent(refusal)) = result else {
            return;
        };
        let mut remembered = self
            .remembered
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match (refusal.party, refresh_token) {
            (Refused::Client, _) => {
                if remembered.client.is_none() {
                    tracing::error!("{refusal}");
                }
                remembered.client = Some(refusal.clone());
            }
            (Refused::ClientForToken, Some(token)) => {
                tracing::warn!("{refusal}");
                remembered.tokens.insert(token_key(token), refusal.clone());
            }
            _ => {}
        }
    }

    /// One token request, made as Antigravity's Go client makes it (`token_http`).
    async fn token_call(&self, form: &[(&str, &str)]) -> Result<TokenGrant, RefreshError> {
        let answer = token_http::post_form(&self.config.token_url, form, HeaderMap::new())
            .await
            .map_err(RefreshError::Transient)?;
        let (status, bytes) = (answer.status, answer.body);
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map_err(|e| RefreshError::Transient(format!("unreadable token response: {e}")));
        }
        let parsed: Option<OAuthErrorBody> = serde_json::from_slice(&bytes).ok();
        let (code, description) = parsed
            .map(|b| (b.error, b.error_description.unwrap_or_default()))
            .unwrap_or_default();
        Err(
            match refusal::classify(status.as_u16(), &code, &description) {
                Verdict::Refused(refusal) => RefreshError::Permanent(refusal),
                Verdict::Transient(detail) => RefreshError::Transient(detail),
            },
        )
    }

    /// The account's email address. Sent with `user_agent`, the one the Cloud Code calls carry
    /// (CPA `internal/auth/antigravity/auth.go` `FetchUserInfo` sends its short Antigravity
    /// User-Agent here), over the shared client like those calls.
    pub async fn email(&self, access_token: &str, user_agent: &str) -> anyhow::Result<String> {
        #[derive(Deserialize)]
        struct UserInfo {
            email: String,
        }
        let resp = self
            .http
            .get(&self.config.userinfo_url)
            .bearer_auth(access_token)
            .header(reqwest::header::USER_AGENT, user_agent)
            .timeout(Duration::from_secs(30))
            .send()
            .await?;
        if !resp.status().is_success() {
            anyhow::bail!("userinfo answered HTTP {}", resp.status());
        }
        Ok(resp.json::<UserInfo>().await?.email)
    }
}

/// What a refresh token is remembered by: its hash, never the token.
fn token_key(refresh_token: &str) -> [u8; 32] {
    Sha256::digest(refresh_token.as_bytes()).into()
}

/// A transport error in words, without the URL's query string.
pub(crate) fn describe_transport(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    match e.url() {
        Some(url) => format!(
            "{kind} ({}{})",
            url.host_str().unwrap_or(""),
            port_suffix(url)
        ),
        None => kind.to_owned(),
    }
}

fn port_suffix(url: &reqwest::Url) -> String {
    url.port().map(|p| format!(":{p}")).unwrap_or_default()
}
