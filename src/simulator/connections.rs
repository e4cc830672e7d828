//! Which TCP connections carried which account's Cloud Code calls, so tests can prove that two
//! identities never share a connection (`SimStats::connections_by_account`).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::faults::EMAIL_DOMAIN;
use super::oauth::bearer;
use super::state::Shared;

/// Distinct connections remembered per account (enough for any test, bounded for `--demo`).
const CONNECTIONS_CAP: usize = 64;

/// Middleware on every route: a `v1internal` call with a valid token records its peer address
/// (one per client TCP connection) under the token's account.
pub(crate) async fn record(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    if request.uri().path().starts_with("/v1internal")
        && let Some(token) = bearer(request.headers())
    {
        let mut st = shared.lock();
        if let Some(name) = st.token_owner(token) {
            let seen = st
                .stats
                .connections_by_account
                .entry(format!("{name}{EMAIL_DOMAIN}"))
                .or_default();
            if seen.len() < CONNECTIONS_CAP {
                seen.insert(peer.to_string());
            }
        }
    }
    next.run(request).await
}
