//! Clients that never finish, against `proxy::serve` on port 0 with every timeout at ~1 s:
//! a slowloris header and an idle keep-alive connection are closed, a body that stops short
//! gets a 408 in the route's format, a stream longer than every timeout is not cut, at the
//! connection cap idle connections make room for `/health` and busy ones shed the newcomer
//! with a 503, and over h2c the same idle close and the DNS-rebinding guard on `:authority`.

use std::time::{Duration, Instant};

use axum::http::Request;
use futures::StreamExt as _;
use http_body_util::{BodyExt as _, Empty};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::support::Harness;

/// Generous: the machine is loaded; what is asserted is that it happens, not how fast.
const WITHIN: Duration = Duration::from_secs(30);

async fn harness(max_connections: Option<usize>, idle_s: u64) -> Harness {
    Harness::start_with(&["alice"], |c| {
        c.server.header_read_timeout_s = 1;
        c.server.body_read_timeout_s = 1;
        c.server.idle_timeout_s = idle_s;
        c.server.max_connections = max_connections;
    })
    .await
}

fn addr(h: &Harness) -> String {
    h.base.trim_start_matches("http://").to_owned()
}

/// Reads until the peer closes; `None` if it is still open after `WITHIN`.
async fn read_to_close(tcp: &mut TcpStream) -> Option<Vec<u8>> {
    let mut all = Vec::new();
    let deadline = Instant::now() + WITHIN;
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_millis(500), tcp.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return Some(all),
            Ok(Ok(n)) => all.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }
    None
}

/// The status and JSON body of a raw HTTP/1 response.
fn parse_response(raw: &[u8]) -> (u16, String, Value) {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (
        status,
        head.to_ascii_lowercase(),
        serde_json::from_str(body).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn a_slowloris_header_is_closed() {
    let h = harness(None, 60).await;
    let mut tcp = TcpStream::connect(addr(&h)).await.unwrap();
    let request = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let started = Instant::now();
    let mut closed = false;
    // One byte every 200 ms, far faster than any per-byte timer: only a whole-header deadline
    // ends it.
    'trickle: for byte in request.iter().cycle() {
        if started.elapsed() > WITHIN {
            break;
        }
        if tcp.write_all(&[*byte]).await.is_err() {
            closed = true;
            break;
        }
        let mut buf = [0u8; 512];
        if let Ok(Ok(0) | Err(_)) =
            tokio::time::timeout(Duration::from_millis(200), tcp.read(&mut buf)).await
        {
            closed = true;
            break 'trickle;
        }
    }
    assert!(closed, "a header trickling for {WITHIN:?} is still open");
    // The proxy itself is fine.
    assert_eq!(h.get_json("/health").await.0, 200);
}

#[tokio::test]
async fn a_body_shorter_than_its_content_length_gets_408_in_the_routes_format() {
    let h = harness(None, 60).await;
    for (path, anthropic) in [("/v1/messages", true), ("/v1/chat/completions", false)] {
        let mut tcp = TcpStream::connect(addr(&h)).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Content-Length: 100\r\n\r\n{{\"model\":"
        );
        tcp.write_all(head.as_bytes()).await.unwrap();
        let raw = read_to_close(&mut tcp).await.expect("still open");
        let (status, head, body) = parse_response(&raw);
        assert_eq!(status, 408, "{path}: {}", String::from_utf8_lossy(&raw));
        assert!(head.contains("connection: close"), "{head}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("body_read_timeout_s"), "{body}");
        if anthropic {
            assert_eq!(body["type"], "error", "{body}");
            assert_eq!(body["error"]["type"], "invalid_request_error", "{body}");
        } else {
            assert!(body["error"]["type"].is_string(), "{body}");
            assert!(body.get("type").is_none(), "OpenAI shape: {body}");
        }
    }
}

#[tokio::test]
async fn a_slow_body_whose_pauses_stay_under_the_timeout_is_read() {
    let h = harness(None, 60).await;
    let body = json!({"model": "gemini-3-flash", "max_tokens": 20,
                      "messages": [{"role": "user", "content": "hi"}]})
    .to_string()
    .into_bytes();
    // Ten pieces 300 ms apart: longer in all than the 1 s timeout, never a 1 s pause.
    let pieces: Vec<Vec<u8>> = body
        .chunks(body.len().div_ceil(10))
        .map(<[u8]>::to_vec)
        .collect();
    let stream = futures::stream::iter(pieces).then(|piece| async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        Ok::<_, std::io::Error>(piece)
    });
    let resp = h
        .http
        .post(format!("{}/v1/messages", h.base))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let h = harness(None, 1).await;
    let mut tcp = TcpStream::connect(addr(&h)).await.unwrap();
    tcp.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let raw = read_to_close(&mut tcp)
        .await
        .expect("an idle connection stayed open");
    let (status, head, _) = parse_response(&raw);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&raw));
    assert!(
        !head.contains("connection: close"),
        "it was kept alive first: {head}"
    );
}

/// A 60-chunk answer paced 150 ms apart (~9 s) against 1 s header, body and idle timeouts.
async fn slow_stream(h: &Harness) -> reqwest::Response {
    let body = json!({"model": "gemini-3-flash", "max_tokens": 500, "stream": true,
        "messages": [{"role": "user", "content": "a slow long one [[sim:slow]] [[sim:long]]"}]});
    let resp = h.post("/v1/messages", &body).await;
    assert_eq!(resp.status(), 200);
    resp
}

#[tokio::test]
async fn a_stream_longer_than_every_timeout_is_not_cut() {
    let h = harness(None, 1).await;
    let started = Instant::now();
    let text = slow_stream(&h)
        .await
        .text()
        .await
        .expect("the stream was cut");
    assert!(
        started.elapsed() > Duration::from_secs(3),
        "not long enough to prove anything"
    );
    let events = super::support::parse_sse(&text);
    assert_eq!(
        events.last().and_then(|(name, _)| name.as_deref()),
        Some("message_stop"),
        "{text}"
    );
}

#[tokio::test]
async fn at_the_cap_idle_connections_make_room_for_health() {
    let h = harness(Some(8), 60).await;
    let mut idle = Vec::new();
    for _ in 0..8 {
        idle.push(TcpStream::connect(addr(&h)).await.unwrap());
    }
    for round in 0..4 {
        let fresh = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        let resp = fresh
            .get(format!("{}/health", h.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "round {round}");
    }
    // Room was made by closing idle ones.
    let mut closed = 0;
    for tcp in &mut idle {
        let mut buf = [0u8; 16];
        if let Ok(Ok(0) | Err(_)) =
            tokio::time::timeout(Duration::from_millis(100), tcp.read(&mut buf)).await
        {
            closed += 1;
        }
    }
    assert!(closed >= 1, "no idle connection was closed");
}

#[tokio::test]
async fn with_every_connection_busy_a_new_one_is_shed_cleanly() {
    let h = harness(Some(2), 60).await;
    let first = slow_stream(&h).await;
    let second = slow_stream(&h).await;
    let mut tcp = TcpStream::connect(addr(&h)).await.unwrap();
    tcp.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let raw = read_to_close(&mut tcp)
        .await
        .expect("a shed connection stayed open");
    let (status, head, body) = parse_response(&raw);
    assert_eq!(status, 503, "{}", String::from_utf8_lossy(&raw));
    assert!(head.contains("connection: close"), "{head}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("max_connections"),
        "{body}"
    );
    // The busy streams were not disturbed, and once they end there is room again.
    for resp in [first, second] {
        let text = resp.text().await.expect("a busy stream was cut");
        assert!(text.contains("message_stop"), "{text}");
    }
    let deadline = Instant::now() + WITHIN;
    loop {
        let fresh = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        if let Ok(resp) = fresh.get(format!("{}/health", h.base)).send().await
            && resp.status() == 200
        {
            break;
        }
        assert!(Instant::now() < deadline, "no room after the streams ended");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An h2c (prior knowledge) connection to the proxy: its sender and the connection's task.
async fn h2c(
    h: &Harness,
) -> (
    hyper::client::conn::http2::SendRequest<Empty<bytes::Bytes>>,
    tokio::task::JoinHandle<Result<(), hyper::Error>>,
) {
    let tcp = TcpStream::connect(addr(h)).await.unwrap();
    let (sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .unwrap();
    (sender, tokio::spawn(conn))
}

async fn h2_get(
    sender: &mut hyper::client::conn::http2::SendRequest<Empty<bytes::Bytes>>,
    uri: &str,
) -> (u16, Value) {
    let request = Request::get(uri).body(Empty::new()).unwrap();
    let resp = sender.send_request(request).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn the_rebinding_guard_checks_the_h2c_authority() {
    let h = harness(None, 60).await;
    let (mut sender, _conn) = h2c(&h).await;
    let (status, body) = h2_get(&mut sender, "http://evil.com/v1/models").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["type"], "permission_error", "{body}");
    let (status, body) = h2_get(&mut sender, "http://localhost.evil.com:8964/health").await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = h2_get(&mut sender, &format!("{}/v1/models", h.base)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["data"].is_array(), "{body}");
}

#[tokio::test]
async fn an_idle_h2c_connection_is_closed() {
    let h = harness(None, 1).await;
    let (mut sender, conn) = h2c(&h).await;
    assert_eq!(
        h2_get(&mut sender, &format!("{}/health", h.base)).await.0,
        200
    );
    let ended = tokio::time::timeout(WITHIN, conn).await;
    assert!(ended.is_ok(), "an idle h2c connection stayed open");
    assert!(sender.is_closed() || sender.ready().await.is_err());
}
