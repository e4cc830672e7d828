//! The local HTTP surface: routes and the layer stack (panic → 500, body limit, access checks);
//! `serve` (in `serve.rs`) runs the connections until the shutdown token fires.

mod access;
mod bodies;
mod chat;
mod connections;
mod context;
mod error;
mod guard;
mod models;
mod respond;
mod serve;

pub use error::error_response;
pub use guard::{ACCOUNT_HEADER, REPLAY_HEADER};
pub use serve::{Limits, serve};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse as _, Response};
use axum::routing::{get, post};
use serde_json::json;
use tower_http::catch_panic::CatchPanicLayer;

use crate::core::Core;
use crate::translate::client_api::{ApiFormat, Endpoint};
use crate::translate::ir::{ErrorInfo, ErrorKind};

pub fn router(core: Core) -> Router {
    let limit = usize::try_from(core.config().server.max_body_mb.saturating_mul(1024 * 1024))
        .unwrap_or(usize::MAX);
    client_routes(Router::new())
        .route("/v1/models", get(models::list))
        .route("/v1beta/models", get(models::gemini_list))
        .route("/v1/responses/{id}", get(context::stored_response))
        .route("/v1/models/{id}", get(models::one))
        .route("/models", get(models::list))
        .route("/health", get(models::health))
        .route("/", get(root).head(root))
        .route("/api/event_logging/batch", post(accepted))
        .route("/v1/api/event_logging/batch", post(accepted))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            core.clone(),
            access::check,
        ))
        .layer(DefaultBodyLimit::max(limit))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .with_state(core)
}

/// Claude Code's connectivity preflight.
async fn root() -> Response {
    axum::Json(json!({"status": "ok", "service": "anti-api-tui"})).into_response()
}

/// Claude Code's telemetry side calls: accepted and dropped.
async fn accepted() -> Response {
    axum::Json(json!({"status": "ok"})).into_response()
}

/// Every client API's routes, from its table (`ApiFormat::routes`).
fn client_routes(mut router: Router<Core>) -> Router<Core> {
    for api in ApiFormat::ALL {
        for route in api.routes() {
            let handler = match route.endpoint {
                Endpoint::Chat => post(
                    move |State(core): State<Core>,
                          uri: Uri,
                          headers: HeaderMap,
                          body: Result<Bytes, BytesRejection>| {
                        chat::chat(core, api, uri, headers, body)
                    },
                ),
                Endpoint::CountTokens => post(
                    move |State(core): State<Core>,
                          uri: Uri,
                          body: Result<Bytes, BytesRejection>| {
                        chat::count_tokens(core, api, uri, body)
                    },
                ),
                // `…/models/MODEL:METHOD`: the method in the path picks the handler; a GET
                // of `…/models/MODEL` describes the model.
                Endpoint::ModelCall => post(
                    move |State(core): State<Core>,
                          uri: Uri,
                          headers: HeaderMap,
                          body: Result<Bytes, BytesRejection>| async move {
                        if uri.path().ends_with(":countTokens") {
                            chat::count_tokens(core, api, uri, body).await
                        } else {
                            chat::chat(core, api, uri, headers, body).await
                        }
                    },
                )
                .get(models::gemini_one),
            };
            router = router.route(route.path, handler);
        }
    }
    router
}

/// A route the proxy does not serve: 404 in the error format of the path's clients, saying what
/// is served. Never a 5xx, which clients retry (Codex retried 28 times in 25 s).
async fn not_found(method: Method, uri: Uri) -> Response {
    let error = ErrorInfo::new(
        StatusCode::NOT_FOUND.as_u16(),
        ErrorKind::NotFound,
        ApiFormat::not_found_message(method.as_str(), uri.path()),
    );
    error_response(ApiFormat::of_path(uri.path()), &error)
}

/// A known path with the wrong method: a 405 in the path's error format (axum adds `Allow`).
async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    let error = ErrorInfo::new(
        StatusCode::METHOD_NOT_ALLOWED.as_u16(),
        ErrorKind::InvalidRequest,
        format!("{method} is not allowed on {}", uri.path()),
    );
    error_response(ApiFormat::of_path(uri.path()), &error)
}
