//! The public Gemini API shape (`generativelanguage` `v1beta`): `POST
//! /v1beta/models/{model}:generateContent` and `:streamGenerateContent` (`?alt=sse`), keyed by an
//! API key (`x-goog-api-key` or `?key=`). Same scripted replies as `v1internal`, but the body is
//! the bare `GenerateContentRequest` and answers carry no `{"response": …}` wrapper.
//!
//! It exists so third-party proxies that speak public Gemini (the `gemini/` provider of `LiteLLM`) can
//! be benchmarked against the same upstream as this proxy.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};

use super::faults::{invalid_argument, not_found, permission_denied};
use super::models;
use super::script::{self, UserTurn};
use super::sse::{self, Ending, Ids};
use super::state::Shared;
use super::validate::validate;

/// `[[sim:slow]]` pacing, as on `v1internal`.
const SLOW_DELAY: Duration = Duration::from_millis(150);

/// `POST /v1beta/models/{*rest}` where `rest` is `MODEL:generateContent` or
/// `MODEL:streamGenerateContent` (the router cannot match a `:` suffix inside a segment).
pub(crate) async fn models_call(
    State(shared): State<Arc<Shared>>,
    Path(rest): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some((model, method)) = rest.rsplit_once(':') else {
        return not_found();
    };
    let streaming = match method {
        "generateContent" => false,
        "streamGenerateContent" => true,
        _ => return not_found(),
    };
    // Without `alt=sse` the public API streams one JSON array; only SSE is simulated.
    if streaming && query.get("alt").map(String::as_str) != Some("sse") {
        return invalid_argument("The simulator streams only with alt=sse.");
    }
    {
        let mut st = shared.lock();
        st.stats.generate_calls += 1;
        st.stats.stream_calls += u64::from(streaming);
    }
    let key = headers
        .get("x-goog-api-key")
        .and_then(|v| v.to_str().ok())
        .or(query.get("key").map(String::as_str))
        .unwrap_or_default();
    if key.is_empty() {
        return permission_denied(
            "Method doesn't allow unregistered callers (callers without established identity). \
             Please use API Key or other form of API consumer identity to call this API.",
        );
    }
    // Public ids (`models/gemini-3-flash` style prefixes included) map to the simulator's.
    let model = models::to_upstream(model.strip_prefix("models/").unwrap_or(model));
    if !models::is_known(&model, shared.config.strict) {
        return not_found();
    }
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => return invalid_argument("Invalid JSON payload received. Expected an object."),
        Err(err) => return invalid_argument(&format!("Invalid JSON payload received. {err}")),
    };
    let envelope = json!({ "model": model, "request": request });
    shared.lock().stats.last_request = Some(envelope.clone());
    if let Err(rejection) = validate(&model, &envelope, shared.config.strict) {
        shared.lock().record_rejection(&rejection.message);
        return invalid_argument(&rejection.wire());
    }
    let request = &envelope["request"];
    let turn = UserTurn::of(request, shared.config.strict);
    let number = shared.lock().next_id();
    let reply = script::reply(&model, request, &turn, number, shared.config.strict);
    let response_id = format!("sim-resp-{number}");
    let ids = Ids {
        model: &model,
        response_id: &response_id,
        trace_id: "",
    };
    if !streaming {
        return Json(unwrap(sse::aggregate(&reply, &ids))).into_response();
    }
    let last = reply.events.len().saturating_sub(1);
    let frames = reply
        .events
        .iter()
        .enumerate()
        .map(|(i, parts)| {
            let end = i == last;
            let payload = unwrap(sse::payload(
                parts,
                end.then_some(reply.finish),
                end.then_some(&reply.usage),
                &ids,
            ));
            // The public API frames events with CRLF.
            Bytes::from(format!("data: {payload}\r\n\r\n"))
        })
        .collect();
    let delay = if turn.directives.slow {
        SLOW_DELAY
    } else {
        shared.chunk_delay()
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/event-stream")],
        sse::body(shared, frames, delay, Ending::Complete),
    )
        .into_response()
}

/// `{"response": R, "traceId": …}` → `R`.
fn unwrap(mut payload: Value) -> Value {
    payload
        .get_mut("response")
        .map(Value::take)
        .unwrap_or(payload)
}
