//! SIGTERM during 50 open streams, on the real binary (`serve --demo`): every stream ends with a
//! terminal event in its own format (Anthropic `event: error` or `message_stop`, OpenAI an
//! error chunk or `[DONE]`), none is cut silently, and the process exits by itself.

use std::time::Duration;

use futures::StreamExt as _;
use serde_json::json;

use super::binary::{Server, command};
use super::support::parse_sse;

const STREAMS: usize = 50;

/// Reads the first chunk (the stream is open), signals on `opened`, then reads to the end.
async fn hold_stream(
    http: reqwest::Client,
    url: String,
    anthropic: bool,
    opened: tokio::sync::mpsc::Sender<()>,
) -> Result<String, String> {
    let body = json!({
        "model": "gemini-3-flash", "max_tokens": 500, "stream": true,
        "messages": [{"role": "user", "content": "a slow long one [[sim:slow]] [[sim:long]]"}],
    });
    let path = if anthropic {
        "/v1/messages"
    } else {
        "/v1/chat/completions"
    };
    let resp = http
        .post(format!("{url}{path}"))
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("no response: {e}"))?;
    if resp.status() != 200 {
        return Err(format!("status {}", resp.status()));
    }
    let mut chunks = resp.bytes_stream();
    let mut text = String::new();
    let mut announced = false;
    while let Some(chunk) = chunks.next().await {
        match chunk {
            Ok(bytes) => text.push_str(&String::from_utf8_lossy(&bytes)),
            Err(e) => return Err(format!("cut: {e} after {text:?}")),
        }
        if !announced {
            announced = true;
            let _ = opened.send(()).await;
        }
    }
    Ok(text)
}

/// How a stream ended: "error", "complete", or what was wrong.
fn ending(anthropic: bool, text: &str) -> Result<&'static str, String> {
    let events = parse_sse(text);
    let Some((name, last)) = events.last() else {
        return Err("no events".into());
    };
    match (anthropic, name.as_deref()) {
        (true, Some("error")) if last["error"]["type"].is_string() => Ok("error"),
        (true, Some("message_stop")) => Ok("complete"),
        (false, _) if last == "[DONE]" => Ok("complete"),
        (false, _) if last["error"]["message"].is_string() => Ok("error"),
        _ => Err(format!("no terminal event; last is {name:?} {last}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_ends_50_open_streams_with_terminal_events_and_exits() {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = command(home.path());
    cmd.args(["--demo", "serve", "--port", "0"])
        .env("ANTI_API_ACCOUNT_MAX_CONCURRENCY", "0")
        .env("ANTI_API_ACCOUNT_MIN_INTERVAL_MS", "0");
    let mut server = Server::start(cmd);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let (opened_tx, mut opened) = tokio::sync::mpsc::channel(STREAMS);
    let tasks: Vec<_> = (0..STREAMS)
        .map(|i| {
            let anthropic = i % 2 == 0;
            let task = hold_stream(
                http.clone(),
                server.base.clone(),
                anthropic,
                opened_tx.clone(),
            );
            (anthropic, tokio::spawn(task))
        })
        .collect();
    drop(opened_tx);
    for n in 0..STREAMS {
        tokio::time::timeout(Duration::from_secs(30), opened.recv())
            .await
            .unwrap_or_else(|_| panic!("only {n} of {STREAMS} streams opened"))
            .unwrap_or_else(|| panic!("a stream failed before opening: {}", server.stderr()));
    }
    let status = tokio::task::block_in_place(|| server.terminate(Duration::from_secs(15)));
    let mut endings = std::collections::BTreeMap::new();
    let mut problems = Vec::new();
    for (anthropic, task) in tasks {
        let text = tokio::time::timeout(Duration::from_secs(15), task)
            .await
            .expect("every stream ends")
            .unwrap();
        match text.and_then(|t| ending(anthropic, &t)) {
            Ok(end) => *endings.entry(end).or_insert(0) += 1,
            Err(why) => problems.push(why),
        }
    }
    assert!(
        problems.is_empty(),
        "{} streams without a terminal event: {problems:#?}",
        problems.len()
    );
    assert!(
        endings.get("error").copied().unwrap_or(0) > 0,
        "{endings:?}"
    );
    let status = status.expect("the process exits after SIGTERM");
    assert!(status.success(), "{status:?}: {}", server.stderr());
    assert!(
        server.stderr().contains("shutting down"),
        "{}",
        server.stderr()
    );
}

/// A client that never finishes sending its body holds a graceful shutdown open; a second
/// SIGTERM ends the process at once instead of waiting for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sigterm_ends_a_shutdown_that_waits_for_a_stuck_client() {
    use tokio::io::AsyncWriteExt as _;

    let home = tempfile::tempdir().unwrap();
    let mut cmd = command(home.path());
    cmd.args(["--demo", "serve", "--port", "0"]);
    let mut server = Server::start(cmd);
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut stuck = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stuck
        .write_all(
            b"POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\n\
              content-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"model\":",
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.signal("TERM");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        server.running(),
        "the first SIGTERM waits for the request in progress"
    );
    server.signal("TERM");
    let status = tokio::task::block_in_place(|| server.wait(Duration::from_secs(5)));
    let status = status.expect("the second SIGTERM ends the process");
    assert_eq!(status.code(), Some(1), "{}", server.stderr());
    assert!(
        server.stderr().contains("another signal during shutdown"),
        "{}",
        server.stderr()
    );
    drop(stuck);
}
