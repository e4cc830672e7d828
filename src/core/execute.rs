//! Sends one chat request: tries each route target on each usable account until one answers
//! with its first event, reacting to each upstream failure the way it deserves (refresh and
//! retry, re-discover the project, cool the account for this model, quarantine, or give up).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::StreamExt as _;

use super::Core;
use super::refusals::{BARE_RETRY_WAIT, refused_prompt};
use super::stream::{EventStream, continue_stream};
use crate::accounts::SkipReason;
use crate::auth::RefreshError;
use crate::capture::{Collector, Stage};
use crate::catalogue::ModelSpec;
use crate::events::{ProxyEvent, RequestId};
use crate::translate::antigravity::{
    DecodeError, StreamDecoder, UpstreamPlan, UpstreamTarget, build_request, count_tokens_body,
    session_id,
};
use crate::translate::ir::{ChatRequest, ErrorInfo, ErrorKind, StreamEvent};
use crate::upstream::classify::{FailureKind, UpstreamFailure};
use crate::upstream::{CallError, UpstreamChunks};

/// A request whose upstream answered: the first events, and the rest of the stream.
pub struct Opened {
    pub first: Vec<StreamEvent>,
    pub rest: EventStream,
    pub model_routed: String,
    pub account: String,
    /// Whether thinking is on upstream for this request.
    pub thinking: bool,
    /// What the schema cleaner changed in the client's tool schemas.
    pub schema_changes: Vec<String>,
    /// When the first event arrived (a non-streaming answer is read whole before it is served).
    pub first_event_at: std::time::Instant,
}

/// Reads a non-streaming answer to its end inside its attempt, so a stream that breaks half-way
/// can fail over like one that fails at once. The account's slot is freed when it ends.
async fn read_whole(mut opened: Opened) -> Result<Opened, ErrorInfo> {
    while let Some(next) = opened.rest.next().await {
        opened.first.push(next?);
    }
    opened.rest = Box::pin(futures::stream::empty());
    Ok(opened)
}

/// What one attempt on one account concluded.
enum Attempt {
    Served(Opened),
    /// Try the next account or model; this error is reported if none serves.
    Next(ErrorInfo),
    /// The request itself is the problem (or every account would fail alike): stop.
    Stop(ErrorInfo),
}

impl Core {
    /// Opens the upstream stream for `req`, holding back until the first event so that errors
    /// before it are real HTTP statuses. `pinned` (an account id) restricts every route target
    /// to that account.
    pub async fn open(
        &self,
        req: &ChatRequest,
        id: RequestId,
        pinned: Option<&str>,
    ) -> Result<Opened, ErrorInfo> {
        let route = self.route(req)?;
        self.ensure_client_version().await;
        let mut last_error: Option<ErrorInfo> = None;
        let mut skipped: Vec<(String, SkipReason)> = Vec::new();
        let mut attempt = 0;
        for target in &route.targets {
            let selection = self.candidates(target, pinned, Utc::now());
            skipped.extend(
                selection
                    .skipped
                    .iter()
                    .map(|(account, r)| (format!("{account} for {}", target.spec.id), r.clone())),
            );
            for account in &selection.usable {
                attempt += 1;
                match self
                    .attempt(req, &target.spec, account, id, attempt, &skipped)
                    .await
                {
                    Attempt::Served(opened) => {
                        self.poll_quota_on_use(account);
                        return Ok(opened);
                    }
                    Attempt::Stop(e) => return Err(e),
                    Attempt::Next(e) => last_error = Some(e),
                }
            }
        }
        self.capture_unserved(id, &skipped);
        let reasons: Vec<SkipReason> = skipped.into_iter().map(|(_, r)| r).collect();
        Err(last_error.unwrap_or_else(|| nobody_can_serve(&route.requested, &reasons)))
    }

    async fn attempt(
        &self,
        req: &ChatRequest,
        spec: &Arc<ModelSpec>,
        account: &str,
        id: RequestId,
        attempt: u32,
        skipped: &[(String, SkipReason)],
    ) -> Attempt {
        let slot = self.accounts().acquire(account).await;
        let started = std::time::Instant::now();
        let mut token = match self.token(account, false).await {
            Ok(t) => t,
            Err(e) => return Attempt::Next(e),
        };
        let mut project = match self.project(account, &token).await {
            Ok(p) => p,
            Err(e) => return Attempt::Next(e),
        };
        let upstream = match self.upstream_for(account) {
            Ok(u) => u,
            Err(e) => return Attempt::Stop(e),
        };
        let (mut refreshed, mut rediscovered, mut empty_retried) = (false, false, false);
        let (mut waited_briefly, mut bare_retried) = (false, false);
        let request_id = format!("agent-{}", uuid::Uuid::new_v4());
        let session = session_id(req);
        // A retirement notice moves the attempt to the successor (once); an in-band version
        // notice moves it to the next endpoint.
        let mut current: Arc<ModelSpec> = spec.clone();
        let mut retargeted = false;
        let (mut first_endpoint, mut served_from) = (0, 0);
        loop {
            let spec = &current;
            let plan = {
                let store = self
                    .inner
                    .signatures
                    .lock()
                    .expect("signature store poisoned");
                let target = UpstreamTarget {
                    spec,
                    project: &project,
                    request_id: &request_id,
                    session_id: &session,
                    identity: self.identity(),
                };
                match build_request(req, &target, &store, Utc::now().timestamp_millis()) {
                    Ok(plan) => plan,
                    Err(e) => return Attempt::Stop(e),
                }
            };
            // Serialized once: these bytes go upstream and into the history.
            let body = bytes::Bytes::from(
                serde_json::to_vec(&plan.body).expect("a JSON value always serializes"),
            );
            self.capture_attempt(id, attempt, account, spec, &plan, &body, skipped);
            self.bus().emit(ProxyEvent::RequestRouted {
                id,
                model_routed: spec.id.as_str().into(),
                account: account.into(),
                attempt,
            });
            let sent = upstream
                .stream_generate_from(&token, body, first_endpoint)
                .await;
            let failure = match sent {
                Ok((served, chunks)) => {
                    served_from = served;
                    let decoder = StreamDecoder::new(
                        spec.family,
                        plan.placeholder_tools.clone(),
                        &request_id,
                    )
                    .with_notices(self.notices())
                    .with_structured_tool(plan.structured_tool.clone());
                    let collector = self.capture().collector(id, Stage::UpstreamEvents);
                    match self.first_events(chunks, decoder, collector).await {
                        First::Events(first, chunks, decoder, collector, finished) => {
                            let ttft =
                                u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                            self.latency().record(&spec.id, ttft);
                            let opened = Opened {
                                first,
                                rest: continue_stream(
                                    chunks,
                                    decoder,
                                    self.clone(),
                                    slot,
                                    collector,
                                    finished,
                                ),
                                model_routed: spec.id.clone(),
                                account: account.to_owned(),
                                thinking: plan.thinking,
                                schema_changes: plan.schema_changes,
                                first_event_at: std::time::Instant::now(),
                            };
                            if req.stream {
                                return Attempt::Served(opened);
                            }
                            return match read_whole(opened).await {
                                Ok(opened) => Attempt::Served(opened),
                                // A broken connection or a stall: the client has seen nothing
                                // yet, so the next account can still answer.
                                Err(e) if e.kind == ErrorKind::Overloaded => Attempt::Next(e),
                                Err(e) => Attempt::Stop(e),
                            };
                        }
                        First::Empty if !empty_retried => {
                            empty_retried = true;
                            continue;
                        }
                        First::Empty => {
                            return Attempt::Next(ErrorInfo::new(
                                503,
                                ErrorKind::Overloaded,
                                format!("the upstream sent an empty answer for {} twice", spec.id),
                            ));
                        }
                        First::Failed(e) => return Attempt::Next(e),
                        First::Rejected(f) => f,
                    }
                }
                Err(CallError::Unreachable(why)) => {
                    return Attempt::Stop(ErrorInfo::new(
                        503,
                        ErrorKind::Overloaded,
                        format!("upstream unavailable: {why}"),
                    ));
                }
                Err(CallError::Failure(f)) => f,
            };
            match failure.kind {
                FailureKind::Unauthorized if !refreshed => {
                    refreshed = true;
                    match self.token(account, true).await {
                        Ok(t) => token = t,
                        Err(e) => return Attempt::Next(e),
                    }
                }
                FailureKind::StaleProject if !rediscovered => {
                    rediscovered = true;
                    tracing::info!(account, "project is stale; discovering it again");
                    match self.discover(account, &token).await {
                        Ok(p) => project = p,
                        Err(e) => return Attempt::Next(e),
                    }
                }
                // Once: a brief shortage clears. Twice for the same body: the gateway refuses
                // the prompt, and every account would be refused alike (`refusals.rs`).
                FailureKind::BareExhausted if !bare_retried => {
                    bare_retried = true;
                    tracing::debug!(account, "bare RESOURCE_EXHAUSTED; retrying once");
                    tokio::time::sleep(BARE_RETRY_WAIT).await;
                }
                FailureKind::BareExhausted => {
                    tracing::warn!(
                        account,
                        model = spec.id,
                        "the upstream refused this prompt (bare RESOURCE_EXHAUSTED twice); \
                         not cooling, not failing over"
                    );
                    return Attempt::Stop(refused_prompt(&failure, &spec.id));
                }
                FailureKind::ValidationRequired => {
                    return Attempt::Next(self.needs_verification(account, &failure, &spec.id));
                }
                // A short rate limit: wait it out once on the same account before moving on.
                FailureKind::RateLimited | FailureKind::Transient
                    if !waited_briefly
                        && failure.retry_after.is_none_or(|d| d <= SHORT_RATE_LIMIT) =>
                {
                    waited_briefly = true;
                    let wait = failure.retry_after.unwrap_or(SHORT_RATE_LIMIT / 3);
                    tracing::debug!(
                        account,
                        wait_ms = wait.as_millis(),
                        "short rate limit; retrying the same account"
                    );
                    tokio::time::sleep(wait + std::time::Duration::from_millis(200)).await;
                }
                FailureKind::QuotaExhausted
                | FailureKind::RateLimited
                | FailureKind::Capacity
                | FailureKind::Transient => {
                    if failure.kind == FailureKind::QuotaExhausted {
                        self.refresh_quota_soon(account);
                    }
                    let until = cooldown_until(&failure, Utc::now());
                    let reason = failure
                        .reason
                        .clone()
                        .unwrap_or_else(|| format!("{:?}", failure.kind));
                    self.accounts().cool(account, &spec.id, until, &reason);
                    return Attempt::Next(failure.client_error(&spec.id));
                }
                FailureKind::TermsOfService => {
                    self.accounts().quarantine(account, &failure.message);
                    return Attempt::Next(failure.client_error(&spec.id));
                }
                FailureKind::Unauthorized | FailureKind::Server | FailureKind::StaleProject => {
                    return Attempt::Next(failure.client_error(&spec.id));
                }
                FailureKind::VersionRejected
                    if failure.status == 200
                        && served_from + 1 < self.upstream().endpoint_count() =>
                {
                    tracing::info!(account, "in-band version notice; trying the next endpoint");
                    first_endpoint = served_from + 1;
                }
                FailureKind::VersionRejected => {
                    return Attempt::Stop(self.version_refused(&failure, &spec.id));
                }
                FailureKind::ModelRetired if !retargeted => {
                    retargeted = true;
                    match self.successor_of_retired(spec, account) {
                        Some(successor) => current = successor,
                        None => return Attempt::Stop(failure.client_error(&spec.id)),
                    }
                }
                // The model may have left the live list since it was last read.
                FailureKind::NotFound if !retargeted => {
                    retargeted = true;
                    match self.successor_after_not_found(spec, account).await {
                        Some(successor) => current = successor,
                        None => return Attempt::Stop(failure.client_error(&spec.id)),
                    }
                }
                FailureKind::BadRequest
                | FailureKind::NotFound
                | FailureKind::Forbidden
                | FailureKind::ModelRetired => {
                    return Attempt::Stop(failure.client_error(&spec.id));
                }
            }
        }
    }

    /// Reads until the decoder produces something of the answer, so failures before it can
    /// still fail over. Usage alone (Gemini counts the prompt on its first chunk, before any
    /// text passed the notice check) is kept and does not count as the answer having begun.
    async fn first_events(
        &self,
        mut chunks: UpstreamChunks,
        mut decoder: StreamDecoder,
        mut collector: Option<Collector>,
    ) -> First {
        let mut usage_seen: Vec<StreamEvent> = Vec::new();
        loop {
            let next = chunks.next().await;
            if let Some(Ok(value)) = &next {
                collect_chunk(collector.as_mut(), value);
            }
            match next {
                Some(Ok(value)) => match decoder.push(&value) {
                    Ok(events) => {
                        self.remember_signatures(&mut decoder);
                        let begun = events
                            .iter()
                            .any(|e| !matches!(e, StreamEvent::Usage { .. }));
                        usage_seen.extend(events);
                        if begun {
                            return First::Events(usage_seen, chunks, decoder, collector, false);
                        }
                    }
                    Err(e) => return decode_failure(e),
                },
                Some(Err(e)) => {
                    return First::Failed(ErrorInfo::new(
                        503,
                        ErrorKind::Overloaded,
                        e.to_string(),
                    ));
                }
                None => {
                    return match decoder.finish() {
                        Ok(events) => {
                            self.remember_signatures(&mut decoder);
                            usage_seen.extend(events);
                            First::Events(usage_seen, chunks, decoder, collector, true)
                        }
                        Err(DecodeError::EmptyStream) => First::Empty,
                        Err(e) => decode_failure(e),
                    };
                }
            }
        }
    }

    /// Records what one attempt sent upstream, with the cleaner's changes and the notes.
    /// `body` is `plan.body` as sent; it is spliced in as it is, not copied into a new tree.
    fn capture_attempt(
        &self,
        id: RequestId,
        attempt: u32,
        account: &str,
        spec: &ModelSpec,
        plan: &UpstreamPlan,
        body: &[u8],
        skipped: &[(String, SkipReason)],
    ) {
        /// The record's fields before `body`, in the order they are stored.
        #[derive(serde::Serialize)]
        struct Record<'a> {
            attempt: u32,
            skipped: serde_json::Value,
            account: &'a str,
            model: &'a str,
            upstream_model: &'a str,
            thinking: bool,
            schema_changes: &'a [String],
            notes: &'a [String],
        }
        if !self.capture().is_enabled() {
            return;
        }
        let record = Record {
            attempt,
            skipped: skipped_json(skipped),
            account,
            model: &spec.id,
            upstream_model: &plan.upstream_model,
            thinking: plan.thinking,
            schema_changes: &plan.schema_changes,
            notes: &plan.notes,
        };
        let Ok(mut bytes) = serde_json::to_vec(&record) else {
            return;
        };
        // `{…}` → `{…,"body":BODY}`
        bytes.pop();
        bytes.reserve(body.len() + 9);
        bytes.extend_from_slice(b",\"body\":");
        bytes.extend_from_slice(body);
        bytes.push(b'}');
        self.capture()
            .record(id, Stage::UpstreamRequest, bytes.into());
    }

    /// When no account was tried, the routing decision is still worth keeping.
    fn capture_unserved(&self, id: RequestId, skipped: &[(String, SkipReason)]) {
        if !self.capture().is_enabled() {
            return;
        }
        let record =
            serde_json::json!({ "attempt": 0, "skipped": skipped_json(skipped), "body": null });
        if let Ok(bytes) = serde_json::to_vec(&record) {
            self.capture()
                .record(id, Stage::UpstreamRequest, bytes.into());
        }
    }

    pub(super) fn remember_signatures(&self, decoder: &mut StreamDecoder) {
        self.record_signatures(decoder.take_signatures());
    }

    async fn token(&self, account: &str, force: bool) -> Result<String, ErrorInfo> {
        self.accounts()
            .access_token(account, self.auth(), force)
            .await
            .map_err(|e| match e {
                RefreshError::Permanent(_) => {
                    ErrorInfo::new(401, ErrorKind::Authentication, e.to_string())
                }
                RefreshError::Transient(_) => {
                    ErrorInfo::new(503, ErrorKind::Overloaded, e.to_string())
                }
            })
    }

    async fn project(&self, account: &str, token: &str) -> Result<String, ErrorInfo> {
        match self.accounts().get(account).and_then(|a| a.project) {
            Some(p) => Ok(p),
            None => self.discover(account, token).await,
        }
    }

    async fn discover(&self, account: &str, token: &str) -> Result<String, ErrorInfo> {
        match self.upstream_for(account)?.discover_project(token).await {
            Ok(info) => {
                self.accounts()
                    .set_project(account, &info.project, info.tier.as_deref());
                Ok(info.project)
            }
            Err(CallError::Failure(f)) if f.kind == FailureKind::ValidationRequired => {
                Err(self.needs_verification(account, &f, "requests"))
            }
            Err(CallError::Failure(f)) => Err(f.client_error("")),
            Err(CallError::Unreachable(why)) => Err(ErrorInfo::new(
                503,
                ErrorKind::Overloaded,
                format!("could not find the account's Cloud Code project: {why}"),
            )),
        }
    }

    /// The upstream's token count for the request, or a local estimate when it cannot answer.
    pub async fn count_tokens(&self, req: &ChatRequest, estimate: u64) -> Result<u64, ErrorInfo> {
        let route = self.route(req)?;
        let Some(target) = route.targets.first() else {
            return Ok(estimate);
        };
        let selection = self.candidates(target, None, Utc::now());
        let Some(account) = selection.usable.first() else {
            return Ok(estimate);
        };
        let Ok(token) = self.token(account, false).await else {
            return Ok(estimate);
        };
        let body = count_tokens_body(req, &target.spec, self.identity());
        let Ok(upstream) = self.upstream_for(account) else {
            return Ok(estimate);
        };
        match upstream.count_tokens(&token, &body).await {
            Ok(n) => Ok(n),
            Err(e) => {
                tracing::debug!("countTokens failed ({e}); answering with a local estimate");
                Ok(estimate)
            }
        }
    }
}

#[allow(clippy::large_enum_variant)] // built once per attempt and moved straight out
enum First {
    /// The first events; `true` when the upstream already finished.
    Events(
        Vec<StreamEvent>,
        UpstreamChunks,
        StreamDecoder,
        Option<Collector>,
        bool,
    ),
    Empty,
    Failed(ErrorInfo),
    Rejected(UpstreamFailure),
}

/// Appends one upstream payload (as a JSON line) to the capture, when capturing.
pub(super) fn collect_chunk(collector: Option<&mut Collector>, value: &serde_json::Value) {
    if let Some(c) = collector
        && let Ok(line) = serde_json::to_vec(value)
    {
        c.push(&line);
        c.push(b"\n");
    }
}

/// A rate limit this short is waited out on the same account once.
const SHORT_RATE_LIMIT: std::time::Duration = std::time::Duration::from_secs(3);

fn skipped_json(skipped: &[(String, SkipReason)]) -> serde_json::Value {
    skipped
        .iter()
        .map(|(who, why)| serde_json::json!({ "candidate": who, "why": why.to_string() }))
        .collect()
}

fn decode_failure(e: DecodeError) -> First {
    match e {
        DecodeError::VersionRejected { message } => {
            First::Rejected(UpstreamFailure::version_rejected(message))
        }
        DecodeError::ModelRetired { message } => {
            First::Rejected(UpstreamFailure::model_retired(message))
        }
        DecodeError::EmptyStream => First::Empty,
        DecodeError::Malformed { message } => First::Failed(ErrorInfo::new(
            503,
            ErrorKind::Overloaded,
            format!("the upstream sent an unreadable answer: {message}"),
        )),
    }
}

/// Until when (account, model) rests: the upstream's own reset time, else a default per kind.
fn cooldown_until(failure: &UpstreamFailure, now: DateTime<Utc>) -> DateTime<Utc> {
    if let Some(at) = failure.reset_at {
        return at.max(now + chrono::Duration::seconds(1));
    }
    if let Some(after) = failure.retry_after {
        let ms = i64::try_from(after.as_millis())
            .unwrap_or(i64::MAX / 2)
            .max(1000);
        return now + chrono::Duration::milliseconds(ms);
    }
    let secs = match failure.kind {
        FailureKind::QuotaExhausted => 60,
        FailureKind::RateLimited => 30,
        FailureKind::Capacity => 15,
        _ => 10,
    };
    now + chrono::Duration::seconds(secs)
}

/// The error when no account was even tried: nobody logged in, everyone cooling, or refused.
fn nobody_can_serve(requested: &str, skipped: &[SkipReason]) -> ErrorInfo {
    let earliest = skipped
        .iter()
        .filter_map(|r| match r {
            SkipReason::Cooling { until, .. } | SkipReason::QuotaExhausted { until } => {
                Some(*until)
            }
            _ => None,
        })
        .min();
    if let Some(until) = earliest {
        let now = Utc::now();
        let secs = u64::try_from((until - now).num_seconds().max(1)).unwrap_or(1);
        let why = skipped
            .iter()
            .find_map(|r| match r {
                SkipReason::Cooling { why, .. } => Some(why.as_str()),
                SkipReason::QuotaExhausted { .. } => Some("quota exhausted"),
                _ => None,
            })
            .unwrap_or("rate limited");
        let mut e = ErrorInfo::new(
            429,
            ErrorKind::RateLimit,
            format!(
                "every account is cooling down for {requested} ({why}); the earliest resets at {} (in {})",
                until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                human_duration(secs)
            ),
        );
        e.retry_after_secs = Some(secs);
        return e;
    }
    if let Some(detail) = skipped.iter().find_map(|r| match r {
        SkipReason::Quarantined { detail } => Some(detail),
        _ => None,
    }) && !skipped
        .iter()
        .any(|r| matches!(r, SkipReason::NeedsLogin { .. }))
    {
        return ErrorInfo::new(
            403,
            ErrorKind::Permission,
            format!("the upstream refused every account; it said: {detail}"),
        );
    }
    ErrorInfo::new(
        401,
        ErrorKind::LoginRequired,
        "the proxy has no logged-in Google account that can serve this request (your API key is fine); log in with `anti-api-tui login` (or `anti-api-tui accounts add --refresh-token …`)",
    )
}

pub fn human_duration(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m {s}s"),
        _ => format!("{h}h {m}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nobody_logged_in_is_a_401_that_says_how_to_log_in() {
        let e = nobody_can_serve("m", &[]);
        assert_eq!(e.status, 401);
        assert!(e.message.contains("anti-api-tui login"));
    }

    #[test]
    fn all_cooling_is_a_429_with_the_earliest_reset() {
        let now = Utc::now();
        let skipped = vec![
            SkipReason::Cooling {
                until: now + chrono::Duration::seconds(600),
                why: "QUOTA_EXHAUSTED".into(),
            },
            SkipReason::Cooling {
                until: now + chrono::Duration::seconds(90),
                why: "QUOTA_EXHAUSTED".into(),
            },
        ];
        let e = nobody_can_serve("gemini-3-flash", &skipped);
        assert_eq!(e.status, 429);
        let secs = e.retry_after_secs.unwrap();
        assert!((85..=90).contains(&secs), "{secs}");
        assert!(
            e.message.contains("gemini-3-flash") && e.message.contains("QUOTA_EXHAUSTED"),
            "{}",
            e.message
        );
    }

    #[test]
    fn durations_read_like_a_person_wrote_them() {
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(125), "2m 5s");
        assert_eq!(human_duration(4570), "1h 16m");
    }
}
