//! Upstream provider clients: the Antigravity (Cloud Code `v1internal`) HTTP client, its SSE
//! stream and the classification of its failures.

mod antigravity;
pub mod classify;
mod pools;
mod sse;

pub use antigravity::{AntigravityClient, CallError, ProjectInfo};
pub use pools::AccountClients;
pub use sse::{StreamError, UpstreamChunks, json_events_from};

use std::time::Duration;

/// Idle upstream connections kept per host. There are a handful of hosts (the Cloud Code
/// endpoints, Google's OAuth), so this is what stays open once a burst is over: without a cap
/// every connection of a burst (1,000 for 1,000 streams) stays idle, buffers and all.
const POOL_MAX_IDLE_PER_HOST: usize = 32;
/// How long an idle connection is kept for the next request.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The HTTP client for Google's OAuth endpoints (token refresh, code exchange, userinfo) and
/// logins: connect timeout, no redirects (token endpoints must not be redirected),
/// small-packet friendly, a small idle pool, gzip accepted.
///
/// Shared by all accounts: the OAuth host is not the Cloud Code API that serves and meters the
/// accounts' requests, and every refresh names its account in the body anyway.
pub fn http_client(connect_timeout: Duration) -> anyhow::Result<reqwest::Client> {
    Ok(builder(connect_timeout).build()?)
}

/// The HTTP client (and so the connection pool) of one account's Cloud Code calls. Shaped like
/// the native client's Go transport: HTTP/1.1 only (TLS offers ALPN `http/1.1`, never `h2`, so
/// no connection is multiplexed), header names in Go's canonical Title-Case, and
/// `Accept-Encoding: gzip`. One per account, so two identities never share a connection
/// (`AccountClients`).
pub fn account_http_client(connect_timeout: Duration) -> anyhow::Result<reqwest::Client> {
    Ok(builder(connect_timeout)
        .http1_only()
        .http1_title_case_headers()
        .build()?)
}

fn builder(connect_timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .tcp_nodelay(true)
        .pool_max_idle_per_host(POOL_MAX_IDLE_PER_HOST)
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .gzip(true)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    use super::*;

    /// A keep-alive HTTP/1.1 server answering every request with an empty 200; counts the
    /// connections open on its side.
    async fn counting_server() -> (String, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let open = Arc::new(AtomicUsize::new(0));
        let counter = open.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let counter = counter.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 1024];
                    while let Ok(n @ 1..) = socket.read(&mut chunk).await {
                        buf.extend_from_slice(&chunk[..n]);
                        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            buf.drain(..end + 4);
                            let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
                            if socket.write_all(answer).await.is_err() {
                                break;
                            }
                        }
                    }
                    counter.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        (url, open)
    }

    /// Answers one request with an empty 200 and hands back the raw request head it read.
    async fn recording_server() -> (String, tokio::sync::oneshot::Receiver<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1internal:x", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut head = Vec::new();
            let mut chunk = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = socket.read(&mut chunk).await.unwrap();
                if n == 0 {
                    break;
                }
                head.extend_from_slice(&chunk[..n]);
            }
            let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
            socket.write_all(answer).await.unwrap();
            let _ = tx.send(String::from_utf8_lossy(&head).into_owned());
        });
        (url, rx)
    }

    #[tokio::test]
    async fn account_clients_speak_http1_with_go_header_casing_and_gzip() {
        let (url, head) = recording_server().await;
        let client = account_http_client(Duration::from_secs(5)).unwrap();
        let response = client
            .post(&url)
            .header("user-agent", "antigravity/test")
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(response.version(), reqwest::Version::HTTP_11);
        let head = head.await.unwrap();
        assert!(
            head.starts_with("POST /v1internal:x HTTP/1.1\r\n"),
            "{head}"
        );
        for line in [
            "User-Agent: antigravity/test\r\n",
            "Content-Type: application/json\r\n",
            "Accept-Encoding: gzip\r\n",
        ] {
            assert!(head.contains(line), "{line:?} missing from:\n{head}");
        }
        assert!(!head.contains("user-agent:"), "lower-case names:\n{head}");
    }

    #[tokio::test]
    async fn the_oauth_client_accepts_gzip_too() {
        let (url, head) = recording_server().await;
        let client = http_client(Duration::from_secs(5)).unwrap();
        client.get(&url).send().await.unwrap();
        let head = head.await.unwrap().to_ascii_lowercase();
        assert!(head.contains("accept-encoding: gzip\r\n"), "{head}");
    }

    #[tokio::test]
    async fn a_burst_leaves_only_a_small_idle_pool() {
        for client in [
            http_client(Duration::from_secs(5)).unwrap(),
            account_http_client(Duration::from_secs(5)).unwrap(),
        ] {
            burst_leaves_a_small_pool(client).await;
        }
    }

    async fn burst_leaves_a_small_pool(client: reqwest::Client) {
        let (url, open) = counting_server().await;
        let burst = POOL_MAX_IDLE_PER_HOST * 4;
        // Hold every connection until all of the burst has been answered, so each request
        // needs its own connection.
        let barrier = Arc::new(tokio::sync::Barrier::new(burst));
        let calls = (0..burst).map(|_| {
            let (client, url, barrier) = (client.clone(), url.clone(), barrier.clone());
            tokio::spawn(async move {
                let response = client.get(&url).send().await.unwrap();
                barrier.wait().await;
                response.bytes().await.unwrap();
            })
        });
        for call in calls.collect::<Vec<_>>() {
            call.await.unwrap();
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while open.load(Ordering::SeqCst) > POOL_MAX_IDLE_PER_HOST
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let left = open.load(Ordering::SeqCst);
        assert!(
            (1..=POOL_MAX_IDLE_PER_HOST).contains(&left),
            "{left} of {burst} connections still open after the burst"
        );
    }
}
