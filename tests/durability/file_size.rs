//! Under `ulimit -f`: the first history write past the limit used to raise SIGXFSZ and kill the
//! process without a word, leaving the client waiting on the commit barrier with nothing. Now
//! the signal is caught, the write fails with EFBIG like on a full disk: the history stops with
//! a warning and every request is still answered.

use std::process::Command;
use std::time::Duration;

use super::binary::{self, Server};

/// 1 MiB (bash counts `ulimit -f` in KiB): the history passes it within a few dozen requests.
const LIMIT_KIB: u32 = 1024;

#[tokio::test]
async fn past_the_file_size_limit_history_stops_and_serving_goes_on() {
    let home = tempfile::tempdir().unwrap();
    let inner = binary::command(home.path());
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(format!("ulimit -f {LIMIT_KIB} && exec \"$0\" \"$@\""))
        .arg(inner.get_program())
        .args(inner.get_args())
        .args(["--demo", "serve", "--port", "0"]);
    for (key, value) in inner.get_envs() {
        match value {
            Some(v) => cmd.env(key, v),
            None => cmd.env_remove(key),
        };
    }
    let mut server = Server::start(cmd);
    let http = reqwest::Client::new();
    // 40 KiB of prompt each, kept in the history with its answer: ~5 MiB in all.
    let prompt = "the quick brown fox jumps over the lazy dog ".repeat(930);
    for n in 0..120 {
        let response = http
            .post(format!("{}/v1/chat/completions", server.base))
            .json(&serde_json::json!({
                "model": "gemini-3-flash",
                "messages": [{"role": "user", "content": format!("{n}: {prompt}")}],
            }))
            .timeout(Duration::from_secs(60))
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "request {n} got no answer ({e}); stderr:\n{}",
                    server.stderr()
                )
            });
        assert_eq!(response.status(), 200, "request {n}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(
            body["choices"][0]["message"]["content"].is_string(),
            "{body}"
        );
    }
    assert!(server.running(), "the process survived the limit");
    let log = server.stderr();
    assert!(
        log.contains("history: could not write"),
        "the history said it stopped writing:\n{log}"
    );
    assert!(server.terminate(Duration::from_secs(30)).is_some());
}
