//! Calls to Google's OAuth endpoints (token, userinfo) over the shared HTTP client. Token calls
//! never follow redirects; error bodies are summarised without echoing secrets.

use std::time::Duration;

use serde::Deserialize;

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

#[derive(Debug, Clone, thiserror::Error)]
pub enum RefreshError {
    /// The refresh token is dead (revoked, expired, wrong client): only a new login helps.
    #[error("Google refused the refresh token ({0}); log in again with `anti-api-tui login`")]
    Permanent(String),
    /// Network trouble or a 5xx: worth trying again later.
    #[error("token refresh failed: {0}")]
    Transient(String),
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
}

impl GoogleAuth {
    /// `http` must not follow redirects (see `upstream::http_client`).
    pub fn new(http: reqwest::Client, config: GoogleConfig) -> Self {
        Self { http, config }
    }

    pub fn config(&self) -> &GoogleConfig {
        &self.config
    }

    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenGrant, RefreshError> {
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", self.config.client_id.as_str()),
        ];
        if let Some(secret) = self.config.secret() {
            form.push(("client_secret", secret));
        }
        self.token_call(&form).await
    }

    /// Exchanges an authorization code (with its PKCE verifier) for tokens.
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
    ) -> Result<TokenGrant, RefreshError> {
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
        self.token_call(&form).await
    }

    async fn token_call(&self, form: &[(&str, &str)]) -> Result<TokenGrant, RefreshError> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let resp = self
            .http
            .post(&self.config.token_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .timeout(Duration::from_secs(30))
            .body(body)
            .send()
            .await
            .map_err(|e| RefreshError::Transient(describe_transport(&e)))?;
        let status = resp.status();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| RefreshError::Transient(describe_transport(&e)))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map_err(|e| RefreshError::Transient(format!("unreadable token response: {e}")));
        }
        let parsed: Option<OAuthErrorBody> = serde_json::from_slice(&bytes).ok();
        let (code, description) = parsed
            .map(|b| (b.error, b.error_description.unwrap_or_default()))
            .unwrap_or_default();
        let summary = if description.is_empty() {
            format!("HTTP {status} {code}")
        } else {
            format!("{code}: {description}")
        };
        let permanent = matches!(
            code.as_str(),
            "invalid_grant" | "invalid_client" | "unauthorized_client"
        ) || status == reqwest::StatusCode::UNAUTHORIZED;
        if permanent {
            Err(RefreshError::Permanent(summary))
        } else {
            Err(RefreshError::Transient(summary))
        }
    }

    /// The account's email address.
    pub async fn email(&self, access_token: &str) -> anyhow::Result<String> {
        #[derive(Deserialize)]
        struct UserInfo {
            email: String,
        }
        let resp = self
            .http
            .get(&self.config.userinfo_url)
            .bearer_auth(access_token)
            .timeout(Duration::from_secs(30))
            .send()
            .await?;
        if !resp.status().is_success() {
            anyhow::bail!("userinfo answered HTTP {}", resp.status());
        }
        Ok(resp.json::<UserInfo>().await?.email)
    }
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
