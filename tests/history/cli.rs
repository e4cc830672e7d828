//! The built binary: `serve --demo` records into `DATA/demo/history.sqlite3`, `history` lists
//! it, `replay` sends a stored request again and the history links the two; failures explain
//! themselves.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anti_api_tui::events::{Bus, Outcome, ProxyEvent, RequestId, RequestMeta};
use anti_api_tui::store::{CaptureMode, HistoryOptions, HistoryStore};
use anti_api_tui::translate::ir::{ApiFormat, Usage};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_anti-api-tui");

/// A `serve --demo` child process, killed when dropped.
struct Server {
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn command(home: &Path, port: u16) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("--home").arg(home).arg("--demo");
    // The developer's own settings must not leak in.
    for var in [
        "ANTI_API_HOST",
        "ANTI_API_KEY",
        "ANTI_API_HISTORY_CAPTURE",
        "ANTI_API_TUI_HOME",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("ANTI_API_PORT", port.to_string());
    cmd
}

fn run(home: &Path, port: u16, args: &[&str]) -> Output {
    command(home, port).args(args).output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json_of(out: &Output) -> Value {
    assert!(out.status.success(), "{}\n{}", stdout(out), stderr(out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

async fn start_server(home: &Path, port: u16) -> Server {
    let log = std::fs::File::create(home.join("serve.log")).unwrap();
    let child = command(home, port)
        .args(["serve", "--port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let server = Server { child };
    let deadline = Instant::now() + Duration::from_secs(20);
    let http = reqwest::Client::new();
    while http
        .get(format!("http://127.0.0.1:{port}/health"))
        .send()
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server
}

/// Runs `history --json FILTER` until `want` holds for its rows (the server commits every
/// 250 ms or so).
async fn history_until(
    home: &Path,
    port: u16,
    filter: &[&str],
    want: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut args = vec!["history", "--json"];
        args.extend_from_slice(filter);
        let rows = json_of(&run(home, port, &args));
        let rows = rows.as_array().unwrap().clone();
        if want(&rows) {
            return rows;
        }
        assert!(
            Instant::now() < deadline,
            "history never showed it: {rows:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn history_and_replay_against_a_running_demo_server() {
    let home = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = start_server(home.path(), port).await;
    let resp = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/v1/chat/completions"))
        .json(&json!({"model": "gemini-3-flash",
                      "messages": [{"role": "user", "content": "hello from the cli test"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    let rows = history_until(home.path(), port, &[], |rows| {
        rows.len() == 1 && rows[0]["status"] == 200
    })
    .await;
    let row = &rows[0];
    let id = row["id"].as_str().unwrap().to_owned();
    assert_eq!(row["api"], "openai");
    assert_eq!(row["model"], "gemini-3-flash");
    assert_eq!(row["outcome"], "ok");
    assert!(
        row["account"].as_str().is_some_and(|a| !a.is_empty()),
        "{row}"
    );
    assert!(
        row["ttft_ms"].is_u64() && row["replay_of"].is_null(),
        "{row}"
    );

    // The table shows the id's end, which replay accepts.
    let short = &id.replace('-', "")[24..];
    let table = stdout(&run(home.path(), port, &["history"]));
    assert!(
        table.contains(short) && table.contains("gemini-3-flash"),
        "{table}"
    );
    assert!(table.lines().all(|l| l.chars().count() <= 80), "{table}");
    assert_eq!(
        json_of(&run(
            home.path(),
            port,
            &["history", "--json", "status:429"]
        )),
        json!([])
    );
    let negated = json_of(&run(
        home.path(),
        port,
        &["history", "--json", "-n", "5", "-status:429"],
    ));
    assert_eq!(negated.as_array().unwrap().len(), 1);

    let replayed = json_of(&run(home.path(), port, &["replay", short, "--json"]));
    assert_eq!(replayed["status"], 200, "{replayed}");
    assert_eq!(replayed["replay_of"], id.as_str());
    assert!(
        replayed["body"]["choices"][0]["message"]["content"].is_string(),
        "{replayed}"
    );
    let new_id = replayed["request_id"]
        .as_str()
        .expect("the new row was found")
        .to_owned();
    assert_ne!(new_id, id);
    let rows = history_until(home.path(), port, &["replay:true"], |rows| rows.len() == 1).await;
    assert_eq!(rows[0]["id"], new_id.as_str());
    assert_eq!(rows[0]["replay_of"], id.as_str());
    assert_eq!(rows[0]["status"], 200);

    // Without --json the answer itself is printed.
    let out = run(home.path(), port, &["replay", &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("\"choices\""), "{}", stdout(&out));

    drop(server);
    let out = run(home.path(), port, &["replay", &id]);
    assert!(!out.status.success());
    let expected = format!(
        "no anti-api-tui is listening on 127.0.0.1:{port}; start it with `anti-api-tui serve`"
    );
    assert!(stderr(&out).contains(&expected), "{}", stderr(&out));
}

#[test]
fn replay_and_history_explain_what_is_missing() {
    let home = tempfile::tempdir().unwrap();
    let port = free_port();
    // No history file yet.
    let out = run(home.path(), port, &["history"]);
    assert!(
        out.status.success() && stdout(&out).contains("no history yet"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        json_of(&run(home.path(), port, &["history", "--json"])),
        json!([])
    );
    let out = run(home.path(), port, &["history", "stauts:429"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("unknown key `stauts`"),
        "{}",
        stderr(&out)
    );

    // A request recorded without bodies (capture = none).
    let path = home.path().join("data/demo/history.sqlite3");
    let store = HistoryStore::open(
        &path,
        HistoryOptions {
            capture: CaptureMode::None,
            ..HistoryOptions::default()
        },
    )
    .unwrap();
    let bus = Bus::new();
    store.attach(&bus);
    let id = RequestId::new();
    bus.emit(ProxyEvent::RequestStarted {
        meta: Arc::new(RequestMeta {
            id,
            at: chrono::Utc::now(),
            api: ApiFormat::Anthropic,
            path: "/v1/messages".into(),
            model_requested: "claude-sonnet-4-6".into(),
            stream: false,
            user_agent: None,
            replay_of: None,
        }),
    });
    bus.emit(ProxyEvent::RequestFinished {
        id,
        outcome: Outcome::Ok,
        status: 200,
        usage: Usage::default(),
        ttft_ms: Some(5),
        duration_ms: 10,
        error: None,
    });
    store.flush().unwrap();
    drop(store);

    let out = run(home.path(), port, &["replay", &id.to_string()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("was not stored"), "{}", stderr(&out));
    let out = run(home.path(), port, &["replay", "0123abcd"]);
    assert!(
        stderr(&out).contains("no recorded request matches"),
        "{}",
        stderr(&out)
    );
    let out = run(home.path(), port, &["replay", "not-hex!"]);
    assert!(
        stderr(&out).contains("is not a request id"),
        "{}",
        stderr(&out)
    );
    let rows = json_of(&run(
        home.path(),
        port,
        &["history", "--json", "api:anthropic"],
    ));
    assert_eq!(rows[0]["id"], id.to_string());
}
