//! The loopback listener that catches Google's redirect when the browser runs on this machine:
//! the first port of `callback_ports` that binds on 127.0.0.1, `GET /oauth-callback` answering
//! a small "you can close this tab" page, and `GET /` redirecting to the authorization URL (a
//! short link for terminals that mangle long URLs). It stops when dropped.

use std::net::Ipv4Addr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::{CancellationToken, DropGuard};

use super::LoginError;
use super::authcode::{Callback, states_match};

/// The redirect path registered by Antigravity's client (protocol §1.1).
pub(crate) const CALLBACK_PATH: &str = "/oauth-callback";

/// Binds 127.0.0.1 on the first port of `ports` that is free (0 picks any free port).
pub(crate) async fn bind(ports: &[u16]) -> Result<TcpListener, LoginError> {
    for &port in ports {
        match TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await {
            Ok(listener) => return Ok(listener),
            Err(e) => tracing::debug!("login: callback port {port} is not available: {e}"),
        }
    }
    Err(LoginError::PortsBusy {
        ports: ports.to_vec(),
    })
}

/// A running listener; callbacks arrive through `next`.
pub(crate) struct Loopback {
    pub port: u16,
    callbacks: mpsc::Receiver<Callback>,
    _stop: DropGuard,
}

struct Shared {
    expected_state: String,
    auth_url: String,
    callbacks: mpsc::Sender<Callback>,
}

impl Loopback {
    pub fn start(listener: TcpListener, expected_state: String, auth_url: String) -> Self {
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
        // Only the first callback matters; a few more (reloads) are dropped, never queued forever.
        let (tx, rx) = mpsc::channel(4);
        let shared = Arc::new(Shared {
            expected_state,
            auth_url,
            callbacks: tx,
        });
        let app = Router::new()
            .route(CALLBACK_PATH, get(callback))
            .route("/", get(to_google))
            .with_state(shared);
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(stopped.cancelled_owned())
                .await;
            if let Err(e) = served {
                tracing::debug!("login: callback listener stopped: {e}");
            }
        });
        Self {
            port,
            callbacks: rx,
            _stop: stop.drop_guard(),
        }
    }

    /// `http://localhost:PORT/oauth-callback`, as sent in the authorization URL.
    pub fn redirect_uri(port: u16) -> String {
        format!("http://localhost:{port}{CALLBACK_PATH}")
    }

    /// The next redirect that carried a code or an error.
    pub async fn next(&mut self) -> Option<Callback> {
        self.callbacks.recv().await
    }
}

async fn to_google(State(shared): State<Arc<Shared>>) -> Response {
    (
        StatusCode::FOUND,
        [(header::LOCATION, shared.auth_url.clone())],
    )
        .into_response()
}

async fn callback(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let Some(received) = Callback::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    else {
        return page(
            StatusCode::BAD_REQUEST,
            "Nothing to do here",
            "This address expects Google's redirect with a code. Start the login from the terminal.",
        );
    };
    let answer = match &received {
        Callback::Refused { .. } => page(
            StatusCode::OK,
            "Sign-in not completed",
            "Google did not authorize the login. The terminal says why; you can close this tab.",
        ),
        Callback::Code { state, .. }
            if !state
                .as_deref()
                .is_some_and(|s| states_match(s, &shared.expected_state)) =>
        {
            page(
                StatusCode::BAD_REQUEST,
                "Sign-in refused",
                "This redirect does not belong to the login running in the terminal (state \
                 mismatch). Start the login again and use the newest link.",
            )
        }
        Callback::Code { .. } => page(
            StatusCode::OK,
            "Signed in",
            "anti-api-tui received the authorization. You can close this tab and go back to the \
             terminal.",
        ),
    };
    // A full queue means an earlier redirect is already being handled; this one is moot.
    let _ = shared.callbacks.try_send(received);
    answer
}

/// A small self-contained page; never echoes anything from the request.
fn page(status: StatusCode, title: &str, text: &str) -> Response {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title} · anti-api-tui</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:34em;margin:4em auto;\
         padding:0 1em;color:#222}}h1{{font-size:1.4em}}</style></head>\
         <body><h1>{title}</h1><p>{text}</p></body></html>"
    );
    (status, Html(html)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn binds_the_first_free_port_and_lists_busy_ones() {
        let busy = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let busy_port = busy.local_addr().unwrap().port();
        let err = bind(&[busy_port]).await.unwrap_err();
        assert_eq!(
            err,
            LoginError::PortsBusy {
                ports: vec![busy_port]
            }
        );
        let listener = bind(&[busy_port, 0]).await.unwrap();
        assert_ne!(listener.local_addr().unwrap().port(), busy_port);
    }

    #[test]
    fn redirect_uri_is_localhost() {
        assert_eq!(
            Loopback::redirect_uri(51121),
            "http://localhost:51121/oauth-callback"
        );
    }
}
