//! The chat handlers: OpenAI `/v1/chat/completions`, Anthropic `/v1/messages` and
//! `/v1/messages/count_tokens`. Parse the wire format, then hand the IR to `respond`.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::response::{IntoResponse as _, Response};
use serde_json::json;

use super::error::{body_error, error_response};
use super::guard::{ACCOUNT_HEADER, ClientInfo, RequestGuard};
use super::respond::respond;
use crate::capture::Stage;
use crate::core::Core;
use crate::events::Outcome;
use crate::translate::ir::{ApiFormat, ChatRequest, ErrorInfo, ErrorKind};
use crate::translate::{anthropic, openai};

pub async fn chat_completions(
    State(core): State<Core>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    handle(
        core,
        ApiFormat::OpenAi,
        "/v1/chat/completions",
        &headers,
        body,
        openai::parse_request,
    )
    .await
}

pub async fn messages(
    State(core): State<Core>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    handle(
        core,
        ApiFormat::Anthropic,
        "/v1/messages",
        &headers,
        body,
        anthropic::parse_request,
    )
    .await
}

pub async fn count_tokens(
    State(core): State<Core>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let api = ApiFormat::Anthropic;
    let req = match read(&core, body).and_then(|b| anthropic::parse_count_tokens(&b)) {
        Ok(req) => req,
        Err(e) => return error_response(api, &e),
    };
    let estimate = anthropic::estimate_input_tokens(&req);
    match core.count_tokens(&req, estimate).await {
        Ok(n) => axum::Json(json!({ "input_tokens": n })).into_response(),
        Err(e) => error_response(api, &e),
    }
}

async fn handle(
    core: Core,
    api: ApiFormat,
    path: &str,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    parse: fn(&[u8]) -> Result<ChatRequest, ErrorInfo>,
) -> Response {
    let client = ClientInfo::from_headers(headers);
    let body = match read(&core, body) {
        Ok(body) => body,
        Err(error) => {
            let guard = RequestGuard::start(core.bus(), api, path, "", false, &client);
            guard.finish(Outcome::Rejected, error.status, Some(&error.message));
            core.history_committed().await;
            return error_response(api, &error);
        }
    };
    let req = match parse(&body) {
        Ok(req) => req,
        Err(error) => {
            tracing::info!(
                api = api.as_str(),
                status = error.status,
                "rejected request: {}",
                error.message
            );
            let guard = RequestGuard::start(core.bus(), api, path, "", false, &client);
            core.capture().record(guard.id, Stage::ClientRequest, body);
            guard.finish(Outcome::Rejected, error.status, Some(&error.message));
            core.history_committed().await;
            return error_response(api, &error);
        }
    };
    let guard = RequestGuard::start(core.bus(), api, path, &req.model, req.stream, &client);
    core.capture().record(guard.id, Stage::ClientRequest, body);
    let pinned = match client
        .account
        .as_deref()
        .map(|key| pinned_account(&core, key))
    {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(error)) => {
            guard.finish(Outcome::Rejected, error.status, Some(&error.message));
            core.history_committed().await;
            return error_response(api, &error);
        }
    };
    respond(core, api, req, guard, pinned).await
}

/// The id of the account `x-anti-api-account` names (by id or e-mail).
fn pinned_account(core: &Core, key: &str) -> Result<String, ErrorInfo> {
    core.accounts()
        .snapshot()
        .into_iter()
        .find(|a| a.matches(key))
        .map(|a| a.id)
        .ok_or_else(|| {
            ErrorInfo::new(
                400,
                ErrorKind::InvalidRequest,
                format!("{ACCOUNT_HEADER}: no account {key:?} (see `anti-api-tui accounts list`)"),
            )
        })
}

fn read(core: &Core, body: Result<Bytes, BytesRejection>) -> Result<Bytes, ErrorInfo> {
    body.map_err(|rejection| body_error(core.config().server.max_body_mb, rejection.status()))
}
