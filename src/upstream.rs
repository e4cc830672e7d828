//! Upstream provider clients: the Antigravity (Cloud Code `v1internal`) HTTP client, its SSE
//! stream and the classification of its failures.

mod antigravity;
pub mod classify;
mod sse;

pub use antigravity::{AntigravityClient, CallError, ProjectInfo};
pub use sse::{StreamError, UpstreamChunks, json_events_from};

use std::time::Duration;

/// The one HTTP client the process uses for every upstream and OAuth call: connect timeout,
/// no redirects (token endpoints must not be redirected), small-packet friendly.
pub fn http_client(connect_timeout: Duration) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .tcp_nodelay(true)
        .pool_idle_timeout(Duration::from_secs(90))
        .build()?)
}
