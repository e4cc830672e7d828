//! `GET /v1/models` (the catalogue plus routing entries, in a shape both SDK families read) and
//! `GET /health`.

use axum::extract::{Path, State};
use axum::response::{IntoResponse as _, Response};
use serde_json::{Value, json};

use super::error_response;
use crate::core::Core;
use crate::routing::all_flows;
use crate::translate::ir::{ApiFormat, ErrorInfo, ErrorKind};

/// A fixed creation date for catalogue entries (the upstream does not say).
const CREATED: i64 = 1_763_942_400; // 2025-11-24T00:00:00Z

/// `GET /v1/models/{id}`: one entry of the list, or a 404 naming what exists.
pub async fn one(State(core): State<Core>, Path(id): Path<String>) -> Response {
    let list = model_entries(&core);
    if let Some(entry) = list.into_iter().find(|m| m["id"] == id.as_str()) {
        axum::Json(entry).into_response()
    } else {
        let error = ErrorInfo::new(
            404,
            ErrorKind::NotFound,
            format!("no model named '{id}' (see GET /v1/models)"),
        );
        error_response(ApiFormat::OpenAi, &error)
    }
}

pub async fn list(State(core): State<Core>) -> Response {
    let data = model_entries(&core);
    let first = data.first().and_then(|d| d.get("id")).cloned();
    let last = data.last().and_then(|d| d.get("id")).cloned();
    axum::Json(json!({
        "object": "list",
        "data": data,
        "has_more": false,
        "first_id": first,
        "last_id": last,
    }))
    .into_response()
}

fn model_entries(core: &Core) -> Vec<Value> {
    let catalogue = core.catalogue();
    let created_at = chrono::DateTime::from_timestamp(CREATED, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let entry = |id: &str, display: &str, owner: &str| -> Value {
        json!({
            "id": id,
            "object": "model",
            "type": "model",
            "created": CREATED,
            "created_at": created_at,
            "owned_by": owner,
            "display_name": display,
        })
    };
    let mut data: Vec<Value> = catalogue
        .served()
        .map(|m| entry(&m.id, &m.display_name, "antigravity"))
        .collect();
    for flow in all_flows(&core.flows()) {
        if catalogue.get(&flow.name).is_none() {
            data.push(entry(
                &flow.name,
                &format!("Route: {}", flow.name),
                "routing",
            ));
        }
    }
    data
}

pub async fn health(State(core): State<Core>) -> Response {
    axum::Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "listen": core.listen_addr().map(|a| a.to_string()),
        "usable_accounts": core.usable_accounts(),
    }))
    .into_response()
}

/// `GET /v1beta/models`: the catalogue in the public Gemini API's shape (its SDKs list models
/// this way; every family is reachable through it).
pub async fn gemini_list(State(core): State<Core>) -> Response {
    let catalogue = core.catalogue();
    let models: Vec<Value> = catalogue
        .models()
        .iter()
        .map(|spec| crate::translate::gemini::model_json(spec))
        .collect();
    axum::Json(json!({ "models": models })).into_response()
}

/// `GET /v1beta/models/{model}`: one model, found the way a request for it would resolve it.
pub async fn gemini_one(State(core): State<Core>, Path(call): Path<String>) -> Response {
    let name = call.strip_prefix("models/").unwrap_or(&call);
    match core.catalogue().resolve(name) {
        Ok(resolved) => {
            let mut entry = crate::translate::gemini::model_json(&resolved.spec);
            // The name asked for, so clients that compare names find theirs.
            entry["name"] = Value::String(format!("models/{name}"));
            axum::Json(entry).into_response()
        }
        Err(e) => error_response(
            ApiFormat::Gemini,
            &ErrorInfo::new(404, ErrorKind::NotFound, e.to_string()),
        ),
    }
}
