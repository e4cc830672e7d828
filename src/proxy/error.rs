//! The one place errors become HTTP responses, in the client's own format (the body from
//! `ApiFormat::error_json`), with `Retry-After` for rate limits.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};

use crate::translate::ir::{ApiFormat, ErrorInfo, ErrorKind};

pub fn error_response(api: ApiFormat, error: &ErrorInfo) -> Response {
    let body = api.error_json(error);
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, axum::Json(body)).into_response();
    if let Some(secs) = error.retry_after_secs
        && let Ok(value) = HeaderValue::from_str(&secs.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// A handler panic: logged, answered 500 in a shape both client families read.
#[allow(clippy::needless_pass_by_value)] // the signature `CatchPanicLayer::custom` requires
pub fn panic_response(payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = detail, "a request handler panicked");
    let error = ErrorInfo::new(
        500,
        ErrorKind::Api,
        "internal error in the proxy (see its log)",
    );
    error_response(ApiFormat::Anthropic, &error)
}

/// The error for a request body the extractor could not read (too large, broken connection).
pub fn body_error(limit_mb: u64, status: StatusCode) -> ErrorInfo {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ErrorInfo::new(
            413,
            ErrorKind::RequestTooLarge,
            format!(
                "request body is larger than the limit of {limit_mb} MiB (raise it with ANTI_API_MAX_BODY_MB)"
            ),
        )
    } else {
        ErrorInfo::new(
            400,
            ErrorKind::InvalidRequest,
            "the request body could not be read",
        )
    }
}
