//! The generate endpoints, `streamGenerateContent?alt=sse` and `generateContent`: checks the
//! envelope as the upstream does, applies queued and directive faults, then writes the scripted
//! reply (streamed as SSE, or aggregated into one JSON object).

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::Utc;
use serde_json::Value;

use super::cloudcode::{authenticate, quota_block};
use super::faults::{
    EMAIL_DOMAIN, Fault, QUOTA_RESET_DELAY, VERSION_REJECTED_TEXT, bare_resource_exhausted,
    invalid_argument, not_found, permission_denied, quota_exhausted, stale_project, status_fault,
    unauthenticated,
};
use super::gate::{self, Refusal};
use super::identity;
use super::models;
use super::script::{self, Reply, UserTurn};
use super::sse::{self, Ending, Ids};
use super::state::Shared;
use super::validate::validate;

/// `[[sim:slow]]` pacing.
const SLOW_DELAY: Duration = Duration::from_millis(150);
const USER_AGENT_PREFIX: &str = "antigravity/";

pub(crate) async fn stream_generate(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(shared, &headers, &body, true)
}

pub(crate) async fn generate(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(shared, &headers, &body, false)
}

/// A refusal that is not a validation error (auth, user agent, model, project): logged only.
fn refuse(message: &str, response: Response) -> Response {
    tracing::debug!("simulator refused a generate call: {message}");
    response
}

/// A validation error: also recorded in `SimStats::rejected`.
fn reject(shared: &Shared, message: &str, response: Response) -> Response {
    tracing::debug!("simulator rejected a generate call: {message}");
    shared.lock().record_rejection(message);
    response
}

/// A generate call that passed the envelope checks.
struct Call {
    name: String,
    envelope: Value,
    model: String,
    /// The strict gateway's in-band notice, answered instead of the reply.
    notice: Option<String>,
}

/// Authentication, user agent, JSON and model checks, in the upstream's order.
fn admit(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Result<Call, Box<Response>> {
    let Some(name) = authenticate(shared, headers) else {
        return Err(Box::new(refuse(
            "invalid or expired access token",
            unauthenticated(),
        )));
    };
    *shared
        .lock()
        .stats
        .calls_by_account
        .entry(format!("{name}{EMAIL_DOMAIN}"))
        .or_default() += 1;
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !ua.starts_with(USER_AGENT_PREFIX) {
        let message = format!(
            "The caller does not have permission (User-Agent {ua:?} is not an Antigravity client)"
        );
        return Err(Box::new(refuse(&message, permission_denied(&message))));
    }
    let envelope: Value = serde_json::from_slice(body).map_err(|err| {
        let message = format!("Invalid JSON payload received. {err}");
        Box::new(reject(shared, &message, invalid_argument(&message)))
    })?;
    shared.lock().stats.last_request = Some(envelope.clone());
    let model = envelope
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut notice = None;
    let retired_now = shared
        .lock()
        .retired
        .iter()
        .find(|r| r.id == model)
        .cloned();
    if let Some(retired) = retired_now {
        let Some(text) = retired.notice else {
            let message = format!("model {model:?} was retired during the run");
            return Err(Box::new(refuse(&message, not_found())));
        };
        notice = Some(text);
    } else if shared.config.strict {
        match gate::refusal(&model, ua) {
            Some(Refusal::NotFound) => {
                let message = format!("retired model {model:?}");
                return Err(Box::new(refuse(&message, not_found())));
            }
            Some(Refusal::Notice(text)) => notice = Some(text),
            None => {}
        }
    }
    if notice.is_none() && !models::is_known(&model, shared.config.strict) {
        return Err(Box::new(refuse(
            &format!("unknown model {model:?}"),
            not_found(),
        )));
    }
    Ok(Call {
        name,
        envelope,
        model,
        notice,
    })
}

fn handle(shared: Arc<Shared>, headers: &HeaderMap, body: &[u8], streaming: bool) -> Response {
    {
        let mut st = shared.lock();
        st.stats.generate_calls += 1;
        st.stats.stream_calls += u64::from(streaming);
    }
    let Call {
        name,
        envelope,
        model,
        notice,
    } = match admit(&shared, headers, body) {
        Ok(call) => call,
        Err(response) => return *response,
    };
    let project = envelope
        .get("project")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let request = envelope.get("request").cloned().unwrap_or(Value::Null);
    let turn = UserTurn::of(&request, shared.config.strict);

    let (fault, blocked, number) = {
        let mut st = shared.lock();
        let current = st.account(&name).project.clone();
        if current.as_deref() != Some(project) {
            drop(st);
            let message = format!("project {project:?} is not the account's current project");
            return refuse(&message, stale_project(project));
        }
        let fault = turn
            .directives
            .fault
            .or_else(|| st.take_fault(&model, &name));
        if fault == Some(Fault::QuotaExhausted) {
            let reset =
                Utc::now() + chrono::Duration::from_std(QUOTA_RESET_DELAY).unwrap_or_default();
            st.account(&name)
                .fault_exhausted
                .insert(model.clone(), reset);
        }
        let blocked = quota_block(&mut st, &name, &model);
        (fault, blocked, st.next_id())
    };
    if let Some(response) = fault.and_then(|f| status_fault(f, &model, project)) {
        return response;
    }
    if let Some(delay) = blocked {
        return quota_exhausted(&model, delay);
    }
    if shared.config.strict
        && let Some(text) = identity::flagged(&request)
    {
        shared.lock().stats.identity_refusals += 1;
        return refuse(
            &format!("identity text {text:?} in the system instruction"),
            bare_resource_exhausted(),
        );
    }
    if let Err(rejection) = validate(&model, &envelope, shared.config.strict) {
        return reject(
            &shared,
            &rejection.message,
            invalid_argument(&rejection.wire()),
        );
    }
    shared.lock().account(&name).fault_exhausted.remove(&model);

    let reply = match (fault, &notice) {
        (_, Some(text)) => script::plain(&request, text),
        (Some(Fault::VersionRejected), None) => script::plain(&request, VERSION_REJECTED_TEXT),
        (Some(Fault::DisconnectMidStream), None) => {
            let said = turn.texts.join("\n");
            script::plain(&request, &script::greeting(&model, &said, false))
        }
        _ => script::reply(&model, &request, &turn, number, shared.config.strict),
    };
    let response_id = format!("sim-resp-{number}");
    let trace_id = format!("sim-trace-{number:08x}");
    let ids = Ids {
        model: &model,
        response_id: &response_id,
        trace_id: &trace_id,
    };
    let delay = if turn.directives.slow {
        SLOW_DELAY
    } else {
        shared.chunk_delay()
    };
    if streaming {
        stream_response(shared, &reply, &ids, fault, delay)
    } else {
        unary_response(shared, &reply, &ids, fault)
    }
}

fn stream_response(
    shared: Arc<Shared>,
    reply: &Reply,
    ids: &Ids<'_>,
    fault: Option<Fault>,
    delay: Duration,
) -> Response {
    let mut frames = sse::frames(reply, ids);
    let ending = match fault {
        Some(Fault::DisconnectMidStream) => {
            frames.truncate(2);
            Ending::Disconnect
        }
        Some(Fault::Stall) => {
            frames.truncate(1);
            Ending::Stall
        }
        Some(Fault::EmptyStream) => {
            frames.clear();
            Ending::Complete
        }
        _ => Ending::Complete,
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/event-stream")],
        sse::body(shared, frames, delay, ending),
    )
        .into_response()
}

fn unary_response(
    shared: Arc<Shared>,
    reply: &Reply,
    ids: &Ids<'_>,
    fault: Option<Fault>,
) -> Response {
    let json = sse::aggregate(reply, ids);
    let (frames, ending) = match fault {
        Some(Fault::DisconnectMidStream) => {
            let text = json.to_string();
            let half = Bytes::copy_from_slice(&text.as_bytes()[..text.len() / 2]);
            (vec![half], Ending::Disconnect)
        }
        Some(Fault::Stall) => (Vec::new(), Ending::Stall),
        Some(Fault::EmptyStream) => (Vec::new(), Ending::Complete),
        _ => return Json(json).into_response(),
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        sse::body(shared, frames, Duration::ZERO, ending),
    )
        .into_response()
}
