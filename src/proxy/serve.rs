//! The accept loop and each connection's life: HTTP/1 and h2c on one port, the header, body and
//! idle timeouts, the connection cap (closing the longest-idle connection, shedding when all are
//! busy), accept errors that back off, and the graceful shutdown on the core's token.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, Response, header};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt as _;

use super::bodies::{ReadDeadline, Tracked};
use super::connections::{Admission, Conn, Connections, Slot};
use super::{error_response, router};
use crate::config::ServerConfig;
use crate::core::Core;
use crate::events::ProxyEvent;
use crate::translate::ir::{ApiFormat, ErrorInfo, ErrorKind};

/// Concurrent streams one HTTP/2 connection may open.
const H2_MAX_STREAMS: u32 = 128;
/// HTTP/2 keep-alive ping interval and how long an answer may take before the peer is dead.
const H2_PING: Duration = Duration::from_secs(20);
/// After a graceful close is asked, how often a connection with nothing in flight is checked
/// and dropped if it has not closed by itself (a half-sent header does not end on its own).
const CLOSE_GRACE: Duration = Duration::from_secs(1);
/// Shed connections being answered at once; beyond this a new one is simply closed.
const MAX_SHEDDING: usize = 64;
/// At most one WARN per this long for shed connections and accept errors.
const WARN_EVERY: Duration = Duration::from_secs(10);

/// The connection-level settings, from `[server]`.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_read: Duration,
    pub body_read: Duration,
    pub idle: Duration,
    pub max_connections: usize,
}

impl Limits {
    /// Zero timeouts are taken as one second: a timeout of nothing would refuse every client.
    pub fn from_config(server: &ServerConfig) -> Self {
        let secs = |s: u64| Duration::from_secs(s.max(1));
        Self {
            header_read: secs(server.header_read_timeout_s),
            body_read: secs(server.body_read_timeout_s),
            idle: secs(server.idle_timeout_s),
            max_connections: crate::descriptors::max_connections(server.max_connections),
        }
    }
}

/// Serves until `core.shutdown_token()` is cancelled; open streams then end with an error event
/// and every connection is closed gracefully before this returns.
pub async fn serve(listener: TcpListener, core: Core) -> anyhow::Result<()> {
    let addr: SocketAddr = listener.local_addr()?;
    core.set_listen_addr(addr);
    core.bus().emit(ProxyEvent::ServerListening { addr });
    let limits = Limits::from_config(&core.config().server);
    tracing::info!("listening on http://{addr}");
    tracing::info!("at most {} client connections", limits.max_connections);
    let shutdown = core.shutdown_token().clone();
    let shared = Arc::new(Shared {
        app: router(core.clone()),
        builder: http_builder(&limits),
        limits,
        shutdown: shutdown.clone(),
    });
    let conns = Connections::new(limits.max_connections);
    let tasks = TaskTracker::new();
    let shedding = Arc::new(AtomicUsize::new(0));
    let mut shed_warn = Throttle::default();
    let mut accept_warn = Throttle::default();
    let mut backoff = Duration::ZERO;
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let tcp = match accepted {
            Ok((tcp, _)) => {
                backoff = Duration::ZERO;
                tcp
            }
            Err(e) => {
                // Out of descriptors: the longest-idle connection gives one back.
                let freed = conns.evict_one();
                backoff = (backoff * 2).clamp(Duration::from_millis(10), Duration::from_secs(1));
                if let Some(more) = accept_warn.allow() {
                    tracing::warn!(
                        "accept error: {e} ({} open; closed an idle one: {freed}; {more} more \
                         errors since the last warning); backing off {backoff:?}",
                        conns.open_count()
                    );
                }
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(backoff) => continue,
                }
            }
        };
        // Small SSE writes must not wait for Nagle.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("TCP_NODELAY failed: {e}");
        }
        match conns.admit() {
            Admission::Admitted(slot) => {
                tasks.spawn(serve_connection(tcp, slot, Arc::clone(&shared)));
            }
            Admission::Full => {
                if let Some(more) = shed_warn.allow() {
                    tracing::warn!(
                        "all {} connections are busy: new connections are refused with 503 \
                         ({more} more since the last warning)",
                        conns.max()
                    );
                }
                if shedding.fetch_add(1, Ordering::AcqRel) < MAX_SHEDDING {
                    let shedding = Arc::clone(&shedding);
                    tasks.spawn(async move {
                        shed(tcp).await;
                        shedding.fetch_sub(1, Ordering::AcqRel);
                    });
                } else {
                    shedding.fetch_sub(1, Ordering::AcqRel);
                }
            }
        }
    }
    drop(listener);
    tasks.close();
    tasks.wait().await;
    core.bus().emit(ProxyEvent::ServerStopped {
        reason: "shutdown".into(),
    });
    Ok(())
}

/// What every connection task shares.
struct Shared {
    app: Router,
    builder: auto::Builder<TokioExecutor>,
    limits: Limits,
    shutdown: CancellationToken,
}

fn http_builder(limits: &Limits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(H2_MAX_STREAMS)
        .keep_alive_interval(H2_PING)
        .keep_alive_timeout(H2_PING);
    builder
}

/// One connection, until it ends, is idle too long, is asked to make room, or the proxy stops.
async fn serve_connection(tcp: TcpStream, slot: Slot, shared: Arc<Shared>) {
    let conn = Arc::clone(&slot.conn);
    let service = {
        let conn = Arc::clone(&conn);
        let shared = Arc::clone(&shared);
        hyper::service::service_fn(move |request: Request<Incoming>| {
            handle(Arc::clone(&shared), Arc::clone(&conn), request)
        })
    };
    let connection = shared
        .builder
        .serve_connection(TokioIo::new(tcp), service)
        .into_owned();
    tokio::pin!(connection);
    let mut closing = false;
    loop {
        let wait = if closing {
            CLOSE_GRACE
        } else {
            idle_wait(&conn, &shared.limits)
        };
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!("client connection ended: {e}");
                }
                break;
            }
            () = shared.shutdown.cancelled(), if !closing => {
                closing = true;
                connection.as_mut().graceful_shutdown();
            }
            () = conn.close_requested().cancelled(), if !closing => {
                tracing::debug!("closing an idle connection to make room");
                closing = true;
                connection.as_mut().graceful_shutdown();
            }
            () = tokio::time::sleep(wait) => {
                if closing {
                    if conn.idle_for().is_some() {
                        break; // nothing in flight and still open: drop it
                    }
                } else if conn.idle_for().is_some_and(|idle| idle >= idle_limit(&conn, &shared.limits)) {
                    closing = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
    drop(slot);
}

/// How long a connection may stay with nothing in flight: until its first request starts, no
/// longer than a header may take (this also bounds HTTP/2's and the protocol sniff's wait).
fn idle_limit(conn: &Conn, limits: &Limits) -> Duration {
    if conn.served_any() {
        limits.idle
    } else {
        limits.idle.min(limits.header_read)
    }
}

/// Until the connection could next be idle too long.
fn idle_wait(conn: &Conn, limits: &Limits) -> Duration {
    let limit = idle_limit(conn, limits);
    conn.idle_for()
        .map_or(limit, |idle| limit.saturating_sub(idle))
        .max(Duration::from_millis(50))
}

/// One request: in flight until its response body is sent; its body bounded by the read
/// timeout, which ends it with a 408 in the route's format.
async fn handle(
    shared: Arc<Shared>,
    conn: Arc<Conn>,
    request: Request<Incoming>,
) -> Result<Response<Tracked>, Infallible> {
    let in_flight = conn.begin();
    let timed_out = Arc::new(AtomicBool::new(false));
    let path = request.uri().path().to_owned();
    let pause = shared.limits.body_read;
    let request = request.map(|b| Body::new(ReadDeadline::new(b, pause, Arc::clone(&timed_out))));
    let response = match shared.app.clone().oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let response = if timed_out.load(Ordering::Acquire) {
        body_timeout_response(&path, pause)
    } else {
        response
    };
    Ok(response.map(|body| Tracked::new(body, in_flight)))
}

fn body_timeout_response(path: &str, pause: Duration) -> Response<Body> {
    let error = ErrorInfo::new(
        408,
        ErrorKind::InvalidRequest,
        format!(
            "the request body stopped arriving: nothing for {} s (body_read_timeout_s under \
             [server]); send the whole body the Content-Length announces",
            pause.as_secs()
        ),
    );
    let mut response = error_response(ApiFormat::of_path(path), &error);
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// A connection refused because every slot is busy: a short 503 with `Connection: close`, the
/// write side shut, and whatever the client had sent read away (briefly) so the close is clean.
async fn shed(mut tcp: TcpStream) {
    const BODY: &str = r#"{"error":{"type":"overloaded_error","message":"the proxy is at its connection limit (max_connections under [server]); retry shortly"}}"#;
    let reply = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{BODY}",
        BODY.len()
    );
    let bounded = async {
        tcp.write_all(reply.as_bytes()).await?;
        tcp.shutdown().await?;
        let mut sink = [0u8; 4096];
        let mut total = 0;
        while total < 64 * 1024 {
            match tcp.read(&mut sink).await? {
                0 => break,
                n => total += n,
            }
        }
        Ok::<_, std::io::Error>(())
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), bounded).await;
}

/// Lets one warning through per `WARN_EVERY`, counting the ones held back.
#[derive(Default)]
struct Throttle {
    last: Option<Instant>,
    held: u64,
}

impl Throttle {
    /// `Some(held back since the last one)` when a warning may be logged now.
    fn allow(&mut self) -> Option<u64> {
        let now = Instant::now();
        if self
            .last
            .is_some_and(|last| now.duration_since(last) < WARN_EVERY)
        {
            self.held += 1;
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.held))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_are_rate_limited_and_count_what_they_held_back() {
        let mut throttle = Throttle::default();
        assert_eq!(throttle.allow(), Some(0));
        assert_eq!(throttle.allow(), None);
        assert_eq!(throttle.allow(), None);
        throttle.last = Some(Instant::now().checked_sub(WARN_EVERY).unwrap());
        assert_eq!(throttle.allow(), Some(2));
    }

    #[test]
    fn zero_timeouts_are_one_second_and_the_cap_is_taken_as_set() {
        let server = ServerConfig {
            header_read_timeout_s: 0,
            max_connections: Some(8),
            ..ServerConfig::default()
        };
        let limits = Limits::from_config(&server);
        assert_eq!(limits.header_read, Duration::from_secs(1));
        assert_eq!(limits.body_read, Duration::from_secs(30));
        assert_eq!(limits.max_connections, 8);
    }
}
