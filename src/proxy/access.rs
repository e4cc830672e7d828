//! Who may talk to the proxy: when bound to loopback, only requests whose `Host` or HTTP/2
//! `:authority` (and `Origin`, if any) are loopback names (DNS-rebinding guard); when an API key is set, only requests that
//! carry it (`Authorization: Bearer`, `x-api-key`, or as Gemini clients send it `x-goog-api-key`
//! or `?key=`; compared in constant time).

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use subtle::ConstantTimeEq as _;

use super::error_response;
use crate::core::Core;
use crate::translate::ir::{ApiFormat, ErrorInfo, ErrorKind};

pub async fn check(State(core): State<Core>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let headers = request.headers();
    let bound_to_loopback = core.listen_addr().is_none_or(|a| a.ip().is_loopback());
    if bound_to_loopback {
        // HTTP/1 names the target in `Host` (or an absolute URI), HTTP/2 in `:authority`,
        // which arrives as the URI's authority: every one given must be loopback.
        let host_ok = headers
            .get(header::HOST)
            .map(|v| v.to_str().ok())
            .is_none_or(|v| v.is_some_and(is_loopback_authority))
            && request
                .uri()
                .authority()
                .is_none_or(|a| is_loopback_authority(a.as_str()));
        let origin_ok = headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|o| {
                let authority = o.split("://").nth(1).unwrap_or(o);
                is_loopback_authority(authority)
            });
        if !host_ok || !origin_ok {
            let error = ErrorInfo::new(
                403,
                ErrorKind::Permission,
                "this proxy listens on loopback and only answers requests addressed to localhost",
            );
            return error_response(ApiFormat::of_path(&path), &error);
        }
    }
    if let Some(expected) = core.config().server.api_key.as_deref()
        && path != "/health"
        && path != "/"
    {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .or_else(|| headers.get("x-api-key").and_then(|v| v.to_str().ok()))
            .or_else(|| headers.get("x-goog-api-key").and_then(|v| v.to_str().ok()))
            .map(str::to_owned)
            .or_else(|| query_key(request.uri().query()))
            .unwrap_or_default();
        let matches: bool = presented.as_bytes().ct_eq(expected.as_bytes()).into();
        if !matches {
            let error = ErrorInfo::new(
                401,
                ErrorKind::Authentication,
                "missing or wrong API key: send it as `Authorization: Bearer <key>`, `x-api-key: <key>` \
                 or (Gemini clients) `x-goog-api-key: <key>` / `?key=<key>`",
            );
            return error_response(ApiFormat::of_path(&path), &error);
        }
    }
    next.run(request).await
}

/// The `key` query parameter the Gemini API takes, percent-decoded.
fn query_key(query: Option<&str>) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(name, _)| name == "key")
        .map(|(_, value)| value.into_owned())
}

/// `localhost`, `127.x.x.x` or `[::1]`, with or without a port.
fn is_loopback_authority(authority: &str) -> bool {
    let host = if let Some(rest) = authority.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::{is_loopback_authority, query_key};

    #[test]
    fn the_key_query_parameter_is_read_and_decoded() {
        assert_eq!(query_key(Some("alt=sse&key=a%2Bb")).as_deref(), Some("a+b"));
        assert_eq!(query_key(Some("alt=sse")), None);
        assert_eq!(query_key(None), None);
    }

    #[test]
    fn loopback_names() {
        for ok in [
            "localhost",
            "localhost:8964",
            "127.0.0.1:1",
            "127.1.2.3",
            "[::1]:8964",
            "[::1]",
        ] {
            assert!(is_loopback_authority(ok), "{ok}");
        }
        for bad in [
            "evil.com",
            "evil.com:8964",
            "10.0.0.1:80",
            "localhost.evil.com",
            "[::2]",
        ] {
            assert!(!is_loopback_authority(bad), "{bad}");
        }
    }
}
