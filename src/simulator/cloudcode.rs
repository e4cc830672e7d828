//! Cloud Code `v1internal` account endpoints: `loadCodeAssist`, `onboardUser`,
//! `fetchAvailableModels` and `countTokens`. Generation lives in `generate.rs`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::{Duration as ChronoDuration, Utc};
use serde_json::{Map, Value, json};

use super::ProjectForm;
use super::faults::{QUOTA_RESET_DELAY, invalid_argument, rfc3339, unauthenticated};
use super::gate::RETIRED;
use super::models;
use super::oauth::bearer;
use super::script::estimate_tokens;
use super::state::{Shared, State as SimState, default_project};

/// Records the user agent and resolves the bearer token to its account.
pub(crate) fn authenticate(shared: &Shared, headers: &HeaderMap) -> Option<String> {
    let mut st = shared.lock();
    if let Some(ua) = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
    {
        st.record_user_agent(ua);
    }
    bearer(headers).and_then(|t| st.token_owner(t))
}

fn project_value(form: ProjectForm, project: &str) -> Value {
    match form {
        ProjectForm::String => json!(project),
        ProjectForm::Object => {
            json!({ "id": project, "name": format!("Simulated project {project}") })
        }
    }
}

fn tier(id: &str, name: &str, is_default: bool) -> Value {
    json!({
        "id": id,
        "name": name,
        "description": format!("{name} (simulated)"),
        "isDefault": is_default,
        "userDefinedCloudaicompanionProject": id != "free-tier",
    })
}

/// `POST /v1internal:loadCodeAssist`. Accounts named `new…` have no project until onboarded.
pub(crate) async fn load_code_assist(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
) -> Response {
    shared.lock().stats.load_code_assist_calls += 1;
    let Some(name) = authenticate(&shared, &headers) else {
        return unauthenticated();
    };
    let project = shared.lock().account(&name).project.clone();
    let mut body = json!({
        "allowedTiers": [
            tier("free-tier", "Gemini Code Assist for individuals", project.is_none()),
            tier("standard-tier", "Gemini Code Assist", project.is_some()),
        ],
        "paidTier": { "id": "g1-pro-tier", "name": "Google AI Pro" },
        "gcpManaged": false,
    });
    if let Some(project) = project {
        body["cloudaicompanionProject"] = project_value(shared.config.project_form, &project);
        body["currentTier"] = tier("standard-tier", "Gemini Code Assist", true);
    }
    Json(body).into_response()
}

/// `POST /v1internal:onboardUser`: a long-running operation that is done on the second poll.
pub(crate) async fn onboard_user(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.lock().stats.onboard_calls += 1;
    let Some(name) = authenticate(&shared, &headers) else {
        return unauthenticated();
    };
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if request
        .get("tierId")
        .or_else(|| request.get("tier_id"))
        .is_none()
    {
        return invalid_argument("* OnboardUserRequest.tier_id: tier_id is required");
    }
    let mut st = shared.lock();
    let account = st.account(&name);
    let operation = format!("operations/sim-onboard-{name}");
    if account.project.is_none() {
        account.onboard_polls += 1;
        if account.onboard_polls < 2 {
            return Json(json!({ "name": operation, "done": false })).into_response();
        }
        account.project = Some(default_project(&name));
    }
    let project = account.project.clone().unwrap_or_default();
    Json(json!({
        "name": operation,
        "done": true,
        "response": {
            "@type": "type.googleapis.com/google.internal.cloud.code.v1internal.OnboardUserResponse",
            "cloudaicompanionProject": {
                "id": project,
                "name": format!("Simulated project {project}"),
            },
        },
    }))
    .into_response()
}

/// `POST /v1internal:fetchAvailableModels`: the model list with this account's quotas.
pub(crate) async fn fetch_available_models(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
) -> Response {
    shared.lock().stats.fetch_models_calls += 1;
    let Some(name) = authenticate(&shared, &headers) else {
        return unauthenticated();
    };
    let strict = shared.config.strict;
    let mut st = shared.lock();
    let mut list = Map::new();
    let retired_now = st.retired.clone();
    for model in models::listed(strict) {
        if retired_now.iter().any(|r| r.id == model.id) {
            continue;
        }
        let mut entry = json!({
            "displayName": model.display_name,
            "maxTokens": model.context,
            "maxOutputTokens": model.max_output,
            "supportsImages": model.images,
            "supportsThinking": model.thinking,
            "recommended": true,
            "quotaInfo": quota_info(&mut st, &name, &model.id),
        });
        if model.thinking {
            entry["thinkingBudget"] = json!(model.thinking_budget);
        }
        list.insert(model.id.clone(), entry);
    }
    let mut deprecated = Map::new();
    deprecated.insert(
        "gemini-2.5-pro".into(),
        json!({ "newModelId": "gemini-pro-agent" }),
    );
    if strict {
        for (id, _, successor, _) in RETIRED {
            deprecated.insert((*id).into(), json!({ "newModelId": successor }));
        }
    }
    for retired in &retired_now {
        if let Some(successor) = &retired.successor {
            deprecated.insert(retired.id.clone(), json!({ "newModelId": successor }));
        }
    }
    Json(json!({
        "models": list,
        "deprecatedModelIds": deprecated,
        "webSearchModelIds": ["gemini-3-flash"],
    }))
    .into_response()
}

fn quota_info(st: &mut SimState, name: &str, model: &str) -> Value {
    let now = Utc::now();
    let pending = st.quota_fault_pending(model, name);
    let account = st.account(name);
    let exhausted_until = account
        .fault_exhausted
        .get(model)
        .copied()
        .filter(|t| *t > now)
        .or_else(|| {
            pending.then(|| now + ChronoDuration::from_std(QUOTA_RESET_DELAY).unwrap_or_default())
        });
    if let Some(reset) = exhausted_until {
        return json!({ "remainingFraction": 0.0, "resetTime": rfc3339(reset) });
    }
    match account.quotas.get(model) {
        Some(q) if q.reset_at > now => {
            json!({ "remainingFraction": q.remaining, "resetTime": rfc3339(q.reset_at) })
        }
        _ => {
            json!({ "remainingFraction": 1.0, "resetTime": rfc3339(now + ChronoDuration::hours(5)) })
        }
    }
}

/// When the account's quota for `model` (set through `set_quota`) is used up: the delay until
/// it resets.
pub(crate) fn quota_block(
    st: &mut SimState,
    name: &str,
    model: &str,
) -> Option<std::time::Duration> {
    let now = Utc::now();
    let quota = st.account(name).quotas.get(model).copied()?;
    if quota.remaining > 0.0 || quota.reset_at <= now {
        return None;
    }
    (quota.reset_at - now).to_std().ok()
}

/// `POST /v1internal:countTokens` → `{"totalTokens": N}` (chars/4 of the request).
pub(crate) async fn count_tokens(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.lock().stats.count_tokens_calls += 1;
    if authenticate(&shared, &headers).is_none() {
        return unauthenticated();
    }
    let Ok(envelope) = serde_json::from_slice::<Value>(&body) else {
        return invalid_argument("Invalid JSON payload received.");
    };
    let request = envelope.get("request").unwrap_or(&envelope);
    Json(json!({ "totalTokens": estimate_tokens(request) })).into_response()
}
