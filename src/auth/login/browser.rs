//! The browser login (authorization code + PKCE): bind the callback listener, show the URL, open
//! a browser when asked, then take whichever comes first — the redirect caught on loopback or
//! a redirect URL / code the user pasted (the SSH case) — and exchange the code.

use std::process::{Command, Stdio};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

use super::authcode::{Callback, Pkce, authorization_url, random_state};
use super::loopback::{self, Loopback};
use super::progress::{LoginMethod, LoginProgress, LoginPrompt, render_qr};
use super::{LoginContext, LoginError, LoginOptions, Reporter};
use crate::auth::{GoogleAuth, TokenGrant};

/// Runs the browser login up to the token grant.
pub(crate) async fn authorize(
    ctx: &LoginContext,
    options: &LoginOptions,
    progress: &Reporter,
    pasted: &mut mpsc::Receiver<String>,
) -> Result<TokenGrant, LoginError> {
    let listener = loopback::bind(&ctx.google.callback_ports).await?;
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    let redirect_uri = Loopback::redirect_uri(port);
    let pkce = Pkce::random();
    let state = random_state();
    let url = authorization_url(
        &ctx.google,
        &redirect_uri,
        &state,
        &pkce,
        options.login_hint.as_deref(),
    )?;
    let mut server = Loopback::start(listener, state.clone(), url.clone());
    let deadline = Instant::now() + options.wait();
    progress.send(LoginProgress::Prompt(LoginPrompt {
        method: LoginMethod::Browser,
        qr: render_qr(&url),
        local_url: Some(format!("http://localhost:{}/", server.port)),
        url: url.clone(),
        user_code: None,
        expires_at: Utc::now() + options.wait(),
        accepts_paste: true,
    }));
    if options.open_browser && open_browser(&url) {
        progress.send(LoginProgress::BrowserOpened);
    }

    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut paste_open = true;
    let received = loop {
        tokio::select! {
            received = server.next() => match received {
                Some(received) => break received,
                None => return Err(LoginError::Config("the callback listener stopped".into())),
            },
            text = pasted.recv(), if paste_open => match text {
                // Whoever fed the paste channel is gone; the listener may still get the redirect.
                None => paste_open = false,
                Some(text) => match Callback::from_pasted(&text) {
                    Ok(received) => break received,
                    Err(reason) => progress.send(LoginProgress::PasteIgnored { reason }),
                },
            },
            _ = ticks.tick() => progress.send(LoginProgress::Waiting {
                remaining_secs: deadline.saturating_duration_since(Instant::now()).as_secs(),
            }),
            () = tokio::time::sleep_until(deadline) => {
                return Err(LoginError::TimedOut { secs: options.wait().as_secs() });
            }
        }
    };
    let code = received.accept(&state)?;
    drop(server);
    progress.send(LoginProgress::Exchanging);
    let auth = GoogleAuth::new(ctx.http.clone(), ctx.google.clone());
    auth.exchange_code(&code, &redirect_uri, &pkce.verifier)
        .await
        .map_err(LoginError::from_exchange)
}

/// Starts the desktop's browser on `url` without waiting for it; false when there is no way to.
/// On Linux and the BSDs only with a graphical session, so that `xdg-open` over SSH never starts
/// a text browser inside the terminal.
fn open_browser(url: &str) -> bool {
    let mut command = if cfg!(target_os = "macos") {
        Command::new("open")
    } else if cfg!(windows) {
        // Not `cmd /c start`: cmd would split the URL at every `&`.
        let mut c = Command::new("rundll32");
        c.arg("url.dll,FileProtocolHandler");
        c
    } else if ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
    {
        Command::new("xdg-open")
    } else {
        return false;
    };
    let spawned = command
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    match spawned {
        Ok(mut child) => {
            // Reap it off the async threads; its exit status does not matter.
            std::thread::spawn(move || child.wait());
            true
        }
        Err(e) => {
            tracing::debug!("login: could not start a browser: {e}");
            false
        }
    }
}
