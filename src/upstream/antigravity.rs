//! The Cloud Code `v1internal` client: every call tries the configured endpoints in order,
//! with the Antigravity User-Agent; failures are classified once, here.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use serde_json::{Value, json};

use super::classify::{FailureKind, UpstreamFailure, classify};
use super::sse::{UpstreamChunks, json_events};
use crate::auth::describe_transport;

#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    /// The upstream answered with an error.
    #[error("{}", .0.message)]
    Failure(UpstreamFailure),
    /// No endpoint could be reached.
    #[error("no upstream endpoint could be reached: {0}")]
    Unreachable(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectInfo {
    pub project: String,
    pub tier: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AntigravityClient {
    http: reqwest::Client,
    endpoints: Vec<String>,
    /// Shared by the clones, so a newly discovered client version reaches every caller.
    user_agent: Arc<RwLock<String>>,
    idle_timeout: Duration,
    response_timeout: Duration,
    onboard_poll: Duration,
}

impl AntigravityClient {
    pub fn new(
        http: reqwest::Client,
        endpoints: Vec<String>,
        user_agent: String,
        idle_timeout: Duration,
        response_timeout: Duration,
    ) -> Self {
        Self {
            http,
            endpoints: endpoints
                .into_iter()
                .map(|e| e.trim_end_matches('/').to_owned())
                .collect(),
            user_agent: Arc::new(RwLock::new(user_agent)),
            idle_timeout,
            response_timeout,
            onboard_poll: Duration::from_secs(2),
        }
    }

    /// The same settings over another HTTP client (another connection pool).
    #[must_use]
    pub fn with_http(&self, http: reqwest::Client) -> Self {
        Self {
            http,
            ..self.clone()
        }
    }

    /// How long to wait between `onboardUser` polls.
    #[must_use]
    pub fn with_onboard_poll(mut self, every: Duration) -> Self {
        self.onboard_poll = every;
        self
    }

    pub fn user_agent(&self) -> String {
        self.user_agent
            .read()
            .expect("user agent lock poisoned")
            .clone()
    }

    /// Sends `user_agent` from now on (a newly discovered client version).
    pub fn set_user_agent(&self, user_agent: String) {
        *self.user_agent.write().expect("user agent lock poisoned") = user_agent;
    }

    pub fn endpoint_count(&self) -> usize {
        self.endpoints.len()
    }

    /// `streamGenerateContent?alt=sse`: the open event stream, or the classified failure.
    /// `body` is the serialized envelope (the caller keeps the same bytes for the history).
    pub async fn stream_generate(
        &self,
        token: &str,
        body: Bytes,
    ) -> Result<UpstreamChunks, CallError> {
        Ok(self.stream_generate_from(token, body, 0).await?.1)
    }

    /// `stream_generate` starting at endpoint `first` (after one answered with an in-band
    /// version notice); also says which endpoint answered.
    pub async fn stream_generate_from(
        &self,
        token: &str,
        body: Bytes,
        first: usize,
    ) -> Result<(usize, UpstreamChunks), CallError> {
        let (served, response) = self
            .post_with_fallback(token, "streamGenerateContent?alt=sse", body, true, first)
            .await?;
        Ok((served, json_events(response, self.idle_timeout)))
    }

    /// `countTokens`: the upstream's token count for a request.
    pub async fn count_tokens(&self, token: &str, body: &Value) -> Result<u64, CallError> {
        let value = self.json_call(token, "countTokens", body).await?;
        value
            .get("totalTokens")
            .and_then(Value::as_u64)
            .ok_or_else(|| {
                CallError::Unreachable("countTokens answered without totalTokens".into())
            })
    }

    /// `fetchAvailableModels`: the live model list with per-model quota.
    pub async fn fetch_available_models(
        &self,
        token: &str,
        project: &str,
    ) -> Result<Value, CallError> {
        self.json_call(
            token,
            "fetchAvailableModels",
            &json!({ "project": project }),
        )
        .await
    }

    /// Finds the account's Cloud AI Companion project, onboarding the account when it has none.
    pub async fn discover_project(&self, token: &str) -> Result<ProjectInfo, CallError> {
        let loaded = self
            .json_call(
                token,
                "loadCodeAssist",
                &json!({"metadata": {"ideType": "ANTIGRAVITY"}}),
            )
            .await?;
        let tier = loaded
            .pointer("/paidTier/id")
            .or_else(|| loaded.pointer("/currentTier/id"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        if let Some(project) = project_of(&loaded) {
            return Ok(ProjectInfo { project, tier });
        }
        let tier_id = onboarding_tier(&loaded);
        let body = json!({"tierId": tier_id, "metadata": {"ideType": "ANTIGRAVITY"}});
        for _ in 0..5 {
            let op = self.json_call(token, "onboardUser", &body).await?;
            if op.get("done").and_then(Value::as_bool) == Some(true) {
                let project = op.get("response").and_then(project_of).ok_or_else(|| {
                    CallError::Unreachable("onboarding finished without a project".into())
                })?;
                return Ok(ProjectInfo {
                    project,
                    tier: Some(tier_id),
                });
            }
            tokio::time::sleep(self.onboard_poll).await;
        }
        Err(CallError::Unreachable(
            "the account's project is still being set up by Google; try again in a minute".into(),
        ))
    }

    async fn json_call(&self, token: &str, method: &str, body: &Value) -> Result<Value, CallError> {
        let body = Bytes::from(serde_json::to_vec(body).expect("a JSON value always serializes"));
        let (_, response) = self
            .post_with_fallback(token, method, body, false, 0)
            .await?;
        let bytes = response
            .bytes()
            .await
            .map_err(|e| CallError::Unreachable(describe_transport(&e)))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| CallError::Unreachable(format!("{method} answered unreadable JSON: {e}")))
    }

    /// POSTs to each endpoint in turn. Errors tied to the account or the request (429, 401,
    /// 400, any 403, a stale project) return at once; others move on to the next endpoint, and
    /// the most telling failure is reported when all fail. Starts at endpoint `first`; answers
    /// with the index of the endpoint that answered.
    async fn post_with_fallback(
        &self,
        token: &str,
        method: &str,
        body: Bytes,
        streaming: bool,
        first: usize,
    ) -> Result<(usize, reqwest::Response), CallError> {
        let mut worst: Option<UpstreamFailure> = None;
        let mut unreachable = Vec::new();
        let user_agent = self.user_agent();
        for (index, endpoint) in self.endpoints.iter().enumerate().skip(first) {
            let url = format!("{endpoint}/v1internal:{method}");
            let mut request = self
                .http
                .post(&url)
                .bearer_auth(token)
                .header("user-agent", &user_agent)
                .header("content-type", "application/json")
                .body(body.clone());
            if streaming {
                request = request.header("accept", "text/event-stream");
            }
            let sent = tokio::time::timeout(self.response_timeout, request.send()).await;
            let response = match sent {
                Err(_) => {
                    unreachable.push(format!("{} timed out", host_of(endpoint)));
                    continue;
                }
                Ok(Err(e)) => {
                    unreachable.push(describe_transport(&e));
                    continue;
                }
                Ok(Ok(r)) => r,
            };
            let status = response.status();
            if status.is_success() {
                return Ok((index, response));
            }
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let bytes = response.bytes().await.unwrap_or_default();
            let failure = classify(status.as_u16(), retry_after.as_deref(), &bytes, Utc::now());
            tracing::debug!(endpoint = host_of(endpoint), status = status.as_u16(), kind = ?failure.kind, "upstream call failed");
            if !tries_next_endpoint(failure.kind) {
                return Err(CallError::Failure(failure));
            }
            if worst
                .as_ref()
                .is_none_or(|w| rank(failure.status) > rank(w.status))
            {
                worst = Some(failure);
            }
        }
        match worst {
            Some(failure) => Err(CallError::Failure(failure)),
            None => Err(CallError::Unreachable(unreachable.join("; "))),
        }
    }
}

/// Only endpoint-local trouble is worth another endpoint. A 403 is about the account (a ban,
/// a verification, a disabled API), and every host would say the same: replaying it on the
/// other hosts only shows Google the refused identity again.
fn tries_next_endpoint(kind: FailureKind) -> bool {
    matches!(
        kind,
        FailureKind::Server
            | FailureKind::Capacity
            | FailureKind::NotFound
            | FailureKind::VersionRejected
    )
}

/// Which failure to report when every endpoint failed.
fn rank(status: u16) -> u8 {
    match status {
        529 => 70,
        500..=599 => 60,
        429 => 50,
        403 => 45,
        408 => 40,
        404 => 10,
        _ => 0,
    }
}

fn host_of(endpoint: &str) -> &str {
    endpoint
        .split("://")
        .nth(1)
        .unwrap_or(endpoint)
        .split('/')
        .next()
        .unwrap_or(endpoint)
}

/// `cloudaicompanionProject` as a string or an `{id}` object (`projectId`/`project` also seen).
fn project_of(value: &Value) -> Option<String> {
    let field = value
        .get("cloudaicompanionProject")
        .or_else(|| value.get("projectId"))
        .or_else(|| value.get("project"))?;
    let id = match field {
        Value::String(s) => s.as_str(),
        Value::Object(o) => o.get("id").and_then(Value::as_str)?,
        _ => return None,
    };
    (!id.trim().is_empty()).then(|| id.to_owned())
}

/// The default allowed tier, else the first, else the current one, else the free tier.
fn onboarding_tier(loaded: &Value) -> String {
    let allowed = loaded.get("allowedTiers").and_then(Value::as_array);
    allowed
        .and_then(|tiers| {
            tiers
                .iter()
                .find(|t| t.get("isDefault").and_then(Value::as_bool) == Some(true))
                .or_else(|| tiers.first())
        })
        .and_then(|t| t.get("id"))
        .or_else(|| loaded.pointer("/currentTier/id"))
        .and_then(Value::as_str)
        .unwrap_or("free-tier")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_in_both_forms() {
        assert_eq!(
            project_of(&json!({"cloudaicompanionProject": "p-1"})).as_deref(),
            Some("p-1")
        );
        assert_eq!(
            project_of(&json!({"cloudaicompanionProject": {"id": "p-2", "name": "x"}})).as_deref(),
            Some("p-2")
        );
        assert_eq!(project_of(&json!({"cloudaicompanionProject": ""})), None);
        assert_eq!(project_of(&json!({})), None);
    }

    #[test]
    fn onboarding_prefers_the_default_tier() {
        let v = json!({"allowedTiers": [{"id": "a"}, {"id": "b", "isDefault": true}]});
        assert_eq!(onboarding_tier(&v), "b");
        assert_eq!(onboarding_tier(&json!({"currentTier": {"id": "c"}})), "c");
        assert_eq!(onboarding_tier(&json!({})), "free-tier");
    }

    #[test]
    fn a_403_is_never_replayed_on_another_host() {
        for kind in [
            FailureKind::Forbidden,
            FailureKind::TermsOfService,
            FailureKind::ValidationRequired,
        ] {
            assert!(!tries_next_endpoint(kind), "{kind:?}");
        }
        assert!(tries_next_endpoint(FailureKind::Server));
    }

    #[test]
    fn endpoint_failures_rank_server_errors_first() {
        assert!(rank(529) > rank(503));
        assert!(rank(503) > rank(429));
        assert!(rank(429) > rank(404));
        assert_eq!(
            host_of("https://daily-cloudcode-pa.googleapis.com/"),
            "daily-cloudcode-pa.googleapis.com"
        );
    }
}
