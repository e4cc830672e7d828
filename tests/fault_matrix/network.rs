//! Faults below HTTP: a refused connection, a name that does not resolve, TLS against a
//! plain-HTTP port, an upstream that accepts and never answers; and clients that leave before
//! or during an answer (the upstream request must end with them).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::AsyncReadExt as _;

use super::support::{Harness, read_then_drop};

fn ask(stream: bool, text: &str) -> Value {
    json!({"model": "claude-sonnet-4-6", "max_tokens": 100, "stream": stream,
           "messages": [{"role": "user", "content": text}]})
}

/// Accepts connections, reads what is sent, never answers; counts connections the other side
/// closed.
struct BlackHole {
    url: String,
    accepted: Arc<AtomicUsize>,
    closed: Arc<AtomicUsize>,
}

impl BlackHole {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let accepted = Arc::new(AtomicUsize::new(0));
        let closed = Arc::new(AtomicUsize::new(0));
        let (a, c) = (accepted.clone(), closed.clone());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                a.fetch_add(1, Ordering::SeqCst);
                let c = c.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    while matches!(socket.read(&mut buf).await, Ok(n) if n > 0) {}
                    c.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
        Self {
            url,
            accepted,
            closed,
        }
    }

    /// Waits (bounded) until every accepted connection was closed by the proxy.
    async fn all_closed(&self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            let accepted = self.accepted.load(Ordering::SeqCst);
            if accepted > 0 && self.closed.load(Ordering::SeqCst) == accepted {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }
}

/// A port nothing listens on (bound, then released).
async fn closed_port_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

/// One request on each API with the upstream endpoints replaced (`endpoints` gets the
/// simulator's URL); the status, error type and time of each.
async fn with_endpoints(
    endpoints: impl FnOnce(&str) -> Vec<String>,
    timeout_s: u64,
) -> Vec<(u16, String, Duration)> {
    let h = Harness::start_with(&["alice"], |c| {
        c.upstream.endpoints = endpoints(&c.upstream.endpoints[0]);
        c.upstream.response_timeout_s = timeout_s;
        c.upstream.connect_timeout_s = timeout_s;
    })
    .await;
    let one = |path: &'static str| {
        let h = &h;
        async move {
            let started = Instant::now();
            let (status, body) = h.post_json(path, &ask(false, "hi")).await;
            let kind = body["error"]["type"].as_str().unwrap_or("ok").to_owned();
            (status, kind, started.elapsed())
        }
    };
    let (anthropic, openai) = tokio::join!(one("/v1/messages"), one("/v1/chat/completions"));
    let out = vec![anthropic, openai];
    let account = &h.core.accounts().snapshot()[0];
    assert!(account.quarantined.is_none() && account.needs_login.is_none());
    out
}

fn assert_unavailable(results: &[(u16, String, Duration)], bound: Duration, what: &str) {
    for (status, kind, took) in results {
        assert_eq!(*status, 503, "{what}: {kind}");
        assert_eq!(kind, "overloaded_error", "{what}");
        assert!(*took < bound, "{what}: took {took:?}");
    }
}

#[tokio::test]
async fn a_refused_connection_is_a_503() {
    let closed = closed_port_url().await;
    let results = with_endpoints(|_| vec![closed], 5).await;
    assert_unavailable(&results, Duration::from_secs(5), "connection refused");
}

#[tokio::test]
async fn a_refused_endpoint_falls_back_to_the_next() {
    let closed = closed_port_url().await;
    let h = Harness::start_with(&["alice"], |c| {
        c.upstream.endpoints = vec![closed, c.upstream.endpoints[0].clone()];
    })
    .await;
    for path in ["/v1/messages", "/v1/chat/completions"] {
        let (status, body) = h.post_json(path, &ask(false, "hi")).await;
        assert_eq!(status, 200, "{body}");
    }
}

#[tokio::test]
async fn an_unresolvable_endpoint_is_a_503() {
    let results = with_endpoints(|_| vec!["http://nonexistent.invalid".into()], 5).await;
    assert_unavailable(&results, Duration::from_secs(10), "DNS failure");
}

#[tokio::test]
async fn a_tls_failure_is_a_503() {
    // TLS spoken to the simulator's plain-HTTP port: the handshake fails.
    let results = with_endpoints(|sim| vec![sim.replace("http://", "https://")], 5).await;
    assert_unavailable(&results, Duration::from_secs(5), "TLS failure");
}

#[tokio::test]
async fn slow_headers_time_out_as_a_503() {
    let hole = BlackHole::start().await;
    let url = hole.url.clone();
    let results = with_endpoints(|_| vec![url], 1).await;
    // Project discovery and the generate call may each wait out the 1 s timeout.
    assert_unavailable(&results, Duration::from_secs(6), "slow headers");
    assert!(hole.accepted.load(Ordering::SeqCst) >= 2);
    assert!(
        hole.all_closed(Duration::from_secs(10)).await,
        "timed-out calls are closed"
    );
}

#[tokio::test]
async fn a_client_leaving_before_the_first_byte_ends_the_upstream_call() {
    let hole = BlackHole::start().await;
    let url = hole.url.clone();
    let h = Harness::start_with(&["alice"], |c| c.upstream.endpoints = vec![url]).await;
    for (path, stream) in [("/v1/messages", true), ("/v1/chat/completions", false)] {
        let sent = h
            .http
            .post(format!("{}{path}", h.base))
            .json(&ask(stream, "hi"))
            .timeout(Duration::from_millis(300))
            .send()
            .await;
        assert!(sent.is_err(), "nothing can answer");
    }
    assert!(
        hole.all_closed(Duration::from_secs(10)).await,
        "upstream calls still open after the clients left: accepted {}, closed {}",
        hole.accepted.load(Ordering::SeqCst),
        hole.closed.load(Ordering::SeqCst)
    );
}

#[tokio::test]
async fn a_client_leaving_mid_answer_ends_the_upstream_stream() {
    let h = Harness::start(&["alice"]).await;
    h.sim.set_chunk_delay(Duration::from_millis(50));
    for path in ["/v1/messages", "/v1/chat/completions"] {
        // Streaming: read a little, then go away.
        let resp = h.post(path, &ask(true, "long [[sim:long]]")).await;
        assert_eq!(resp.status(), 200);
        read_then_drop(resp, 300).await;
        assert!(
            h.wait_streams_closed(Duration::from_secs(10)).await,
            "{path}: upstream stream still open"
        );
        // Not streaming: give up while the proxy is still collecting the answer.
        let gave_up = h
            .http
            .post(format!("{}{path}", h.base))
            .json(&ask(false, "long [[sim:long]]"))
            .timeout(Duration::from_millis(400))
            .send()
            .await;
        assert!(gave_up.is_err());
        assert!(
            h.wait_streams_closed(Duration::from_secs(10)).await,
            "{path}: upstream stream still open after a non-streaming client left"
        );
    }
    assert_eq!(h.sim.stats().stream_calls, 4);
}
