//! Upstream provider clients: the Antigravity (Cloud Code `v1internal`) HTTP client, its SSE
//! stream and the classification of its failures.

mod antigravity;
pub mod classify;
mod sse;

pub use antigravity::{AntigravityClient, CallError, ProjectInfo};
pub use sse::{StreamError, UpstreamChunks, json_events_from};

use std::time::Duration;

/// Idle upstream connections kept per host. There are a handful of hosts (the Cloud Code
/// endpoints, Google's OAuth), so this is what stays open once a burst is over: without a cap
/// every connection of a burst (1,000 for 1,000 streams) stays idle, buffers and all.
const POOL_MAX_IDLE_PER_HOST: usize = 32;
/// How long an idle connection is kept for the next request.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The one HTTP client the process uses for every upstream and OAuth call: connect timeout,
/// no redirects (token endpoints must not be redirected), small-packet friendly, a small idle pool.
pub fn http_client(connect_timeout: Duration) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .tcp_nodelay(true)
        .pool_max_idle_per_host(POOL_MAX_IDLE_PER_HOST)
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .build()?)
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

    #[tokio::test]
    async fn a_burst_leaves_only_a_small_idle_pool() {
        let (url, open) = counting_server().await;
        let client = http_client(Duration::from_secs(5)).unwrap();
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
