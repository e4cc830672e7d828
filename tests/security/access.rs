//! Who may use a running proxy: the API key on every route of both APIs (Bearer and
//! `x-api-key`), the DNS-rebinding guard on `Host` and `Origin`, and the body size limit.

use reqwest::Method;
use serde_json::{Value, json};

use super::support::Harness;

const KEY: &str = "s3cret-key-0123456789";

/// Every route that serves a client, with a body it accepts.
fn routes() -> Vec<(Method, &'static str, Option<Value>)> {
    let messages = json!({"model": "gemini-3-flash", "max_tokens": 20,
                          "messages": [{"role": "user", "content": "hi"}]});
    let chat = json!({"model": "gemini-3-flash", "messages": [{"role": "user", "content": "hi"}]});
    vec![
        (Method::POST, "/v1/chat/completions", Some(chat.clone())),
        (Method::POST, "/chat/completions", Some(chat)),
        (Method::POST, "/v1/messages", Some(messages.clone())),
        (Method::POST, "/v1/messages/count_tokens", Some(messages)),
        (Method::GET, "/v1/models", None),
        (Method::GET, "/v1/models/gemini-3-flash", None),
    ]
}

async fn send(
    h: &Harness,
    (method, path, body): &(Method, &'static str, Option<Value>),
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let mut request = h.http.request(method.clone(), format!("{}{path}", h.base));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let resp = request.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The error type, from either format.
fn error_type(path: &str, body: &Value) -> String {
    if path.contains("messages") {
        assert_eq!(body["type"], "error", "{path}: {body}");
    }
    body["error"]["type"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn an_api_key_when_set_is_required_on_every_route() {
    let h = Harness::start_with(&["alice"], |c| c.server.api_key = Some(KEY.into())).await;
    let wrong = [
        vec![],
        vec![("authorization", "Bearer wrong")],
        vec![("authorization", "Bearer ")],
        vec![("authorization", "Bearer s3cret-key-012345678")],
        vec![("authorization", "Bearer s3cret-key-01234567890")],
        vec![("authorization", "Bearer S3CRET-KEY-0123456789")],
        vec![("authorization", "Basic czNjcmV0LWtleS0wMTIzNDU2Nzg5")],
        vec![("authorization", KEY)],
        vec![("x-api-key", "wrong")],
        vec![("x-api-key", "")],
        vec![("api-key", KEY)],
    ];
    let bearer = format!("Bearer {KEY}");
    let right = [
        vec![("authorization", bearer.as_str())],
        vec![("x-api-key", KEY)],
    ];
    for route in routes() {
        for headers in &wrong {
            let (status, body) = send(&h, &route, headers).await;
            assert_eq!(status, 401, "{} with {headers:?}: {body}", route.1);
            assert_eq!(error_type(route.1, &body), "authentication_error", "{body}");
            assert!(!body.to_string().contains(KEY), "the key is never echoed");
        }
        for headers in &right {
            let (status, body) = send(&h, &route, headers).await;
            assert_eq!(status, 200, "{} with {headers:?}: {body}", route.1);
        }
    }
    // Refused requests never reached the upstream: one generate call per accepted chat request.
    assert_eq!(h.sim.stats().generate_calls, 6);
    // Liveness probes stay open.
    for path in ["/health", "/"] {
        let resp = h
            .http
            .get(format!("{}{path}", h.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{path}");
    }
}

/// The newer formats: the Responses API (OpenAI's envelope) and the Gemini API, whose clients
/// send the key as `x-goog-api-key` or `?key=` (Google's envelope).
#[tokio::test]
async fn the_key_guards_the_responses_and_gemini_routes_too() {
    let h = Harness::start_with(&["alice"], |c| c.server.api_key = Some(KEY.into())).await;
    let gemini = json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]});
    let responses = json!({"model": "gemini-3-flash", "input": "hi"});
    let routes = [
        (
            Method::POST,
            "/v1/responses".to_owned(),
            Some(responses.clone()),
        ),
        (
            Method::POST,
            "/v1/responses/input_tokens".to_owned(),
            Some(responses),
        ),
        (
            Method::POST,
            "/v1beta/models/gemini-3-flash:generateContent".to_owned(),
            Some(gemini.clone()),
        ),
        (
            Method::POST,
            "/v1beta/models/gemini-3-flash:countTokens".to_owned(),
            Some(gemini),
        ),
        (Method::GET, "/v1beta/models".to_owned(), None),
    ];
    let call = |method: &Method,
                path: &str,
                query: Option<&str>,
                header: Option<(&str, &str)>,
                body: &Option<Value>| {
        let url = match query {
            Some(q) => format!("{}{path}?{q}", h.base),
            None => format!("{}{path}", h.base),
        };
        let mut request = h.http.request(method.clone(), url);
        if let Some((name, value)) = header {
            request = request.header(name, value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send()
    };
    let good_query = format!("key={KEY}");
    for (method, path, body) in &routes {
        let gemini_route = path.starts_with("/v1beta");
        for (query, header) in [
            (None, None),
            (Some("key=wrong"), None),
            (None, Some(("x-goog-api-key", "wrong"))),
        ] {
            let resp = call(method, path, query, header, body).await.unwrap();
            assert_eq!(resp.status(), 401, "{path} {query:?} {header:?}");
            let value: Value = resp.json().await.unwrap();
            if gemini_route {
                assert_eq!(value["error"]["status"], "UNAUTHENTICATED", "{value}");
            } else {
                assert_eq!(value["error"]["type"], "authentication_error", "{value}");
            }
            assert!(!value.to_string().contains(KEY));
        }
        for (query, header) in [
            (Some(good_query.as_str()), None),
            (None, Some(("x-goog-api-key", KEY))),
        ] {
            let resp = call(method, path, query, header, body).await.unwrap();
            assert_eq!(resp.status(), 200, "{path} {query:?} {header:?}");
        }
    }
}

#[tokio::test]
async fn foreign_host_and_origin_headers_are_refused_on_loopback() {
    let h = Harness::start(&["alice"]).await;
    let port = h.base.rsplit(':').next().unwrap().to_owned();
    let refused_hosts = [
        "evil.example".to_owned(),
        format!("evil.example:{port}"),
        format!("localhost.evil.example:{port}"),
        format!("127.0.0.1.nip.io:{port}"),
        "10.0.0.1".to_owned(),
        format!("[::2]:{port}"),
    ];
    let refused_origins = [
        "https://evil.example",
        "http://localhost.evil.example",
        "http://127.0.0.1.evil.example:8964",
        "null",
    ];
    for route in routes() {
        for host in &refused_hosts {
            let (status, body) = send(&h, &route, &[("host", host)]).await;
            assert_eq!(status, 403, "{} Host {host}: {body}", route.1);
            assert_eq!(error_type(route.1, &body), "permission_error");
        }
        for origin in refused_origins {
            let (status, body) = send(&h, &route, &[("origin", origin)]).await;
            assert_eq!(status, 403, "{} Origin {origin}: {body}", route.1);
        }
    }
    assert_eq!(
        h.sim.stats().generate_calls,
        0,
        "refused before the upstream"
    );
    let allowed_hosts = [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        "LOCALHOST".to_owned(),
    ];
    let route = &routes()[2];
    for host in &allowed_hosts {
        let (status, body) = send(&h, route, &[("host", host)]).await;
        assert_eq!(status, 200, "Host {host}: {body}");
    }
    for origin in [
        "http://localhost:3000",
        "http://127.0.0.1:5173",
        "http://[::1]:8080",
    ] {
        let (status, body) = send(&h, route, &[("origin", origin)]).await;
        assert_eq!(status, 200, "Origin {origin}: {body}");
    }
}

#[tokio::test]
async fn the_body_limit_is_exact_and_holds_for_chunked_bodies() {
    let h = Harness::start_with(&["alice"], |c| c.server.max_body_mb = 1).await;
    let limit = 1024 * 1024;
    for path in [
        "/v1/messages",
        "/v1/chat/completions",
        "/v1/messages/count_tokens",
    ] {
        for (size, chunked, expected) in [
            (limit, false, 400),
            (limit + 1, false, 413),
            (limit + 1, true, 413),
            (8 * limit, true, 413),
        ] {
            // Whitespace: valid JSON filler is not needed to hit the limit.
            let body = vec![b' '; size];
            let request = h
                .http
                .post(format!("{}{path}", h.base))
                .header("content-type", "application/json");
            let request = if chunked {
                let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
                    body.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
                request.body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
            } else {
                request.body(body)
            };
            let resp = request.send().await.unwrap();
            assert_eq!(resp.status(), expected, "{path} {size} chunked={chunked}");
            let body: Value = resp.json().await.unwrap();
            assert!(body["error"]["message"].is_string(), "{body}");
        }
    }
}
