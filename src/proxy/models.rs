//! `GET /v1/models` (the catalogue plus routing entries, in a shape both SDK families read) and
//! `GET /health`.

use axum::extract::State;
use axum::response::{IntoResponse as _, Response};
use serde_json::{Value, json};

use crate::core::Core;
use crate::routing::all_flows;

/// A fixed creation date for catalogue entries (the upstream does not say).
const CREATED: i64 = 1_763_942_400; // 2025-11-24T00:00:00Z

pub async fn list(State(core): State<Core>) -> Response {
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
        .models()
        .iter()
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

pub async fn health(State(core): State<Core>) -> Response {
    axum::Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "listen": core.listen_addr().map(|a| a.to_string()),
        "usable_accounts": core.usable_accounts(),
    }))
    .into_response()
}
