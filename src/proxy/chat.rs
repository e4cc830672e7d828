//! The handlers every client API shares: a chat route (read the body, parse it with the format's
//! parser, hand the IR to `respond`) and a token-count route. Which format a route speaks is an
//! argument (`proxy::router` registers each format's routes from `client_api`).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse as _, Response};

use super::context;
use super::error::{body_error, error_response};
use super::guard::{ACCOUNT_HEADER, ClientInfo, RequestGuard};
use super::respond::respond;
use crate::core::Core;
use crate::events::Outcome;
use crate::translate::anthropic::estimate_input_tokens;
use crate::translate::client_api::{ApiFormat, Inbound, Parsed};
use crate::translate::ir::{ErrorInfo, ErrorKind};

/// A chat request in `api`'s wire format.
pub async fn chat(
    core: Core,
    api: ApiFormat,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let client = ClientInfo::from_headers(&headers);
    let path = api.history_path(uri.path());
    let path = path.as_str();
    let body = match read(&core, body) {
        Ok(body) => body,
        Err(error) => {
            let guard = RequestGuard::start(&core, api, path, "", false, &client);
            return guard.reject(&error, Outcome::Rejected).await;
        }
    };
    let inbound = Inbound {
        path: uri.path(),
        query: uri.query(),
        body: &body,
    };
    let Parsed {
        chat: mut req,
        context,
    } = match api.parse(&inbound) {
        Ok(parsed) => parsed,
        Err(error) => {
            tracing::info!(
                api = api.as_str(),
                status = error.status,
                "rejected request: {}",
                error.message
            );
            let guard = RequestGuard::start(&core, api, path, "", false, &client);
            guard.record_request(body);
            return guard.reject(&error, Outcome::Rejected).await;
        }
    };
    let guard = RequestGuard::start(&core, api, path, &req.model, req.stream, &client);
    guard.record_request(body);
    if let Err(error) = context::prepare(&core, &mut req, &context) {
        return guard.reject(&error, Outcome::Rejected).await;
    }
    let pinned = match client
        .account
        .as_deref()
        .map(|key| pinned_account(&core, key))
    {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(error)) => return guard.reject(&error, Outcome::Rejected).await,
    };
    respond(core, req, context, guard, pinned).await
}

/// A token count in `api`'s format: upstream when it can, else the local estimate. Not a request
/// of its own in the history (nothing is generated).
pub async fn count_tokens(
    core: Core,
    api: ApiFormat,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(count) = api.count_tokens() else {
        let message = ApiFormat::not_found_message("POST", uri.path());
        return error_response(api, &ErrorInfo::new(404, ErrorKind::NotFound, message));
    };
    let parsed = read(&core, body).and_then(|body| {
        (count.parse)(&Inbound {
            path: uri.path(),
            query: uri.query(),
            body: &body,
        })
    });
    let req = match parsed {
        Ok(req) => req,
        Err(e) => return error_response(api, &e),
    };
    match core.count_tokens(&req, estimate_input_tokens(&req)).await {
        Ok(n) => axum::Json((count.answer)(n)).into_response(),
        Err(e) => error_response(api, &e),
    }
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
