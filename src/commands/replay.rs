//! `anti-api-tui replay ID [--json]`: sends a recorded request's client body again to the
//! running instance (marked with `x-anti-api-replay-of`, so the history links the two) and
//! prints the answer as it arrives.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a CLI command's output is its job

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use anyhow::{Context as _, bail};
use futures::StreamExt as _;
use serde_json::{Value, json};

use crate::capture::Stage;
use crate::cli::{ReplayArgs, ServeArgs};
use crate::commands::history::{open_reader, short_id};
use crate::config::{CaptureMode, Config};
use crate::events::RequestId;
use crate::paths::Paths;
use crate::proxy::{ACCOUNT_HEADER, REPLAY_HEADER};
use crate::startup;
use crate::store::{HistoryQuery, HistoryReader, Resolved};

/// How long `--json` waits for the new request to show up in the history (its writer commits
/// about every 250 ms).
const FIND_NEW_ROW_FOR: Duration = Duration::from_secs(3);

pub async fn run(
    paths: &Paths,
    args: &ReplayArgs,
    demo: bool,
    address: &ServeArgs,
) -> anyhow::Result<()> {
    let config = startup::load_config(paths, address)?;
    let data = if demo {
        paths.for_demo()
    } else {
        paths.clone()
    };
    let reader = open_reader(&data.data_dir)?;
    let id = match reader.resolve(&args.id)? {
        Resolved::One(id) => id,
        Resolved::None => {
            bail!(
                "no recorded request matches {:?} (see `anti-api-tui history`)",
                args.id
            )
        }
        Resolved::Ambiguous(ids) => bail!(
            "{:?} matches several requests ({}…); give more of the id",
            args.id,
            ids.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let detail = reader
        .detail(id)?
        .with_context(|| format!("request {id} disappeared from the history"))?;
    let Some(body) = detail
        .stages
        .iter()
        .find(|s| s.stage == Stage::ClientRequest)
    else {
        bail!(
            "the client request of {id} was not stored, so it cannot be replayed ({}; bodies \
             are also pruned, oldest first, when the history outgrows max_db_mb)",
            match config.history.capture {
                CaptureMode::All => "[history] capture = \"all\" keeps every body",
                CaptureMode::Errors =>
                    "[history] capture = \"errors\" keeps only failed requests' bodies",
                CaptureMode::None => "[history] capture = \"none\" keeps no bodies",
            }
        );
    };
    if body.truncated {
        bail!(
            "the client request of {id} was cut at max_body_kb ({} KiB) when it was stored, so \
             it cannot be replayed; raise [history] max_body_kb to keep bodies this large",
            config.history.max_body_kb
        );
    }
    let addr = target(&config);
    let path = if detail.row.path.starts_with('/') {
        detail.row.path.clone()
    } else {
        format!("/{}", detail.row.path)
    };
    let http = reqwest::Client::builder()
        .no_proxy()
        .connect_timeout(Duration::from_secs(5))
        .build()?;
    let mut request = http
        .post(format!("http://{addr}{path}"))
        .header("content-type", "application/json")
        .header(REPLAY_HEADER, id.to_string())
        .body(body.body.clone());
    for (name, value) in detail.row.api.replay_headers() {
        request = request.header(*name, *value);
    }
    if let Some(account) = &args.account {
        request = request.header(ACCOUNT_HEADER, account);
    }
    if let Some(key) = config.server.api_key.as_deref().filter(|k| !k.is_empty()) {
        request = request.bearer_auth(key).header("x-api-key", key);
    }
    let sent_after = RequestId::new();
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) if e.is_connect() => {
            bail!("no anti-api-tui is listening on {addr}; start it with `anti-api-tui serve`")
        }
        Err(e) => return Err(e).with_context(|| format!("replaying to {addr}")),
    };
    let status = response.status();
    if args.json {
        let is_sse = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("event-stream"));
        let text = response.text().await?;
        let body = if is_sse {
            Value::String(text)
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        let new_id = find_replay(&reader, id, sent_after).await;
        let out = json!({
            "replay_of": id,
            "request_id": new_id,
            "status": status.as_u16(),
            "body": body,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        eprintln!(
            "replaying {} ({} {}) to {addr}: HTTP {status}",
            short_id(id),
            detail.row.model,
            path
        );
        let mut stream = response.bytes_stream();
        let mut stdout = std::io::stdout();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.context("the response broke off")?;
            let written = stdout.write_all(&chunk).and_then(|()| stdout.flush());
            // Piped into `head`: the reader has seen enough, which is not an error.
            if written
                .as_ref()
                .is_err_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return Ok(());
            }
            written?;
        }
        let _ = writeln!(stdout);
    }
    if !status.is_success() {
        bail!("the replay was answered with HTTP {status}");
    }
    Ok(())
}

/// Where the running instance listens: the configured address, with a wildcard bind reached
/// through loopback.
fn target(config: &Config) -> String {
    let host = config.server.host.trim_matches(['[', ']']);
    let ip = if host.eq_ignore_ascii_case("localhost") {
        Some(IpAddr::V4(Ipv4Addr::LOCALHOST))
    } else {
        host.parse::<IpAddr>().ok()
    };
    match ip {
        Some(IpAddr::V4(v4)) if v4.is_unspecified() => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), config.server.port).to_string()
        }
        Some(IpAddr::V6(v6)) if v6.is_unspecified() => {
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), config.server.port).to_string()
        }
        Some(ip) => SocketAddr::new(ip, config.server.port).to_string(),
        None => format!("{host}:{}", config.server.port),
    }
}

/// The history row the replay created, once the server's writer has committed it.
async fn find_replay(
    reader: &HistoryReader,
    original: RequestId,
    sent_after: RequestId,
) -> Option<RequestId> {
    let deadline = tokio::time::Instant::now() + FIND_NEW_ROW_FOR;
    loop {
        let rows = reader
            .list(&HistoryQuery {
                limit: 100,
                ..HistoryQuery::default()
            })
            .ok()?;
        let found = rows
            .iter()
            .find(|r| r.replay_of == Some(original) && r.id > sent_after);
        if let Some(row) = found {
            return Some(row.id);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_and_named_hosts_are_reached_on_loopback() {
        let mut c = Config::default();
        assert_eq!(target(&c), "127.0.0.1:8964");
        c.server.host = "0.0.0.0".into();
        c.server.port = 9000;
        assert_eq!(target(&c), "127.0.0.1:9000");
        c.server.host = "::".into();
        assert_eq!(target(&c), "[::1]:9000");
        c.server.host = "localhost".into();
        assert_eq!(target(&c), "127.0.0.1:9000");
        c.server.host = "[::1]".into();
        assert_eq!(target(&c), "[::1]:9000");
    }
}
