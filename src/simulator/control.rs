//! The `/__sim/*` control API, so tests that run the real binary can drive the simulator over
//! HTTP exactly as in-process tests drive `SimHandle`.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::SimHandle;
use super::faults::{Fault, FaultScope};
use super::state::Shared;

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, serde_json::Error> {
    serde_json::from_slice(body)
}

fn bad_request(err: &serde_json::Error) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": err.to_string() })),
    )
        .into_response()
}

fn ok() -> Response {
    Json(json!({ "ok": true })).into_response()
}

fn handle(shared: Arc<Shared>) -> SimHandle {
    SimHandle { shared }
}

#[derive(Deserialize)]
struct FaultRequest {
    fault: Fault,
    #[serde(default = "one")]
    times: u32,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    account: Option<String>,
}

fn one() -> u32 {
    1
}

/// `POST /__sim/faults {"fault":"quota_exhausted","times":1,"model":null,"account":null}`
pub(crate) async fn faults(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let req: FaultRequest = match parse(&body) {
        Ok(req) => req,
        Err(err) => return bad_request(&err),
    };
    handle(shared).inject(
        req.fault,
        req.times,
        FaultScope {
            model: req.model,
            account: req.account,
        },
    );
    ok()
}

/// `GET /__sim/stats`
pub(crate) async fn stats(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.stats()).into_response()
}

#[derive(Deserialize)]
struct NameRequest {
    name: String,
}

/// `POST /__sim/revoke {"name"}`
pub(crate) async fn revoke(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    match parse::<NameRequest>(&body) {
        Ok(req) => {
            handle(shared).revoke(&req.name);
            ok()
        }
        Err(err) => bad_request(&err),
    }
}

#[derive(Deserialize)]
struct QuotaRequest {
    name: String,
    model: String,
    remaining_fraction: f64,
    #[serde(default)]
    reset_in_secs: f64,
}

/// `POST /__sim/quota {"name","model","remaining_fraction","reset_in_secs"}`
pub(crate) async fn quota(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let req: QuotaRequest = match parse(&body) {
        Ok(req) => req,
        Err(err) => return bad_request(&err),
    };
    let reset_in = Duration::try_from_secs_f64(req.reset_in_secs).unwrap_or_default();
    handle(shared).set_quota(&req.name, &req.model, req.remaining_fraction, reset_in);
    ok()
}

#[derive(Deserialize)]
struct ProjectRequest {
    name: String,
    project: String,
}

/// `POST /__sim/project {"name","project"}`
pub(crate) async fn project(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    match parse::<ProjectRequest>(&body) {
        Ok(req) => {
            handle(shared).set_project(&req.name, &req.project);
            ok()
        }
        Err(err) => bad_request(&err),
    }
}

#[derive(Deserialize)]
struct DelayRequest {
    ms: u64,
}

/// `POST /__sim/chunk_delay {"ms"}`
pub(crate) async fn chunk_delay(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    match parse::<DelayRequest>(&body) {
        Ok(req) => {
            shared.set_chunk_delay(Duration::from_millis(req.ms));
            ok()
        }
        Err(err) => bad_request(&err),
    }
}
