//! End to end in tmux: the real binary with `--demo` on a free port; requests sent over
//! loopback appear live, a slow stream grows in the detail view, a quota error stands out,
//! filter, replay and curl export work, `q` restores the terminal, and a restart shows the
//! history. Skipped (with a notice) only when tmux is not installed.

use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    session: String,
}

/// A tmux command on this test's own server socket, so no other tmux (or a previous session's
/// server still shutting down) can get in the way.
fn tmux() -> Command {
    let mut command = Command::new("tmux");
    command.args(["-L", &format!("aat-e2e-{}", std::process::id())]);
    command
}

impl Tmux {
    fn start(command: &str) -> Self {
        static STARTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STARTS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let session = format!("aat-e2e-{}-{n}", std::process::id());
        // The server of a just-killed last session may still be exiting: retry briefly.
        for _ in 0..20 {
            let status = tmux()
                .args([
                    "new-session",
                    "-d",
                    "-x",
                    "120",
                    "-y",
                    "35",
                    "-s",
                    &session,
                    command,
                ])
                .status()
                .unwrap();
            if status.success() {
                return Self { session };
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        panic!("tmux could not start a session");
    }

    fn capture(&self) -> String {
        let out = tmux()
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        for key in keys {
            tmux()
                .args(["send-keys", "-t", &self.session, key])
                .status()
                .unwrap();
        }
    }

    /// Polls the pane until `check` holds, up to a bounded deadline.
    fn wait_for(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.capture();
            if check(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = tmux().args(["kill-session", "-t", &self.session]).status();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn post(port: u16, body: &str) -> std::thread::JoinHandle<u16> {
    let body = body.to_owned();
    std::thread::spawn(move || {
        let out = Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "-H",
                "content-type: application/json",
            ])
            .arg(format!("http://127.0.0.1:{port}/v1/chat/completions"))
            .args(["-d", &body])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).parse().unwrap_or(0)
    })
}

#[test]
fn console_in_tmux_live_rows_stream_filter_replay_export_quit_and_history() {
    if Command::new("tmux").arg("-V").output().is_err() {
        #[allow(clippy::print_stderr)] // the skip must be visible in the test output
        {
            eprintln!("SKIPPED: tmux is not installed");
        }
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let port = free_port();
    let command = format!(
        "{} --home {} --demo --port {port}; echo CONSOLE-EXITED; sleep 60",
        env!("CARGO_BIN_EXE_anti-api-tui"),
        home.path().display()
    );
    let tmux = Tmux::start(&command);
    tmux.wait_for("the listen address", |s| {
        s.contains(&format!("127.0.0.1:{port}"))
    });

    // A quota error: stands out as 429! in the list.
    let quota = post(
        port,
        r#"{"model":"gemini-3.1-pro-low","messages":[{"role":"user","content":"[[sim:fault=quota_exhausted]] hi"}]}"#,
    );
    assert_eq!(quota.join().unwrap(), 429);
    tmux.wait_for("the 429 row", |s| s.contains("429!"));

    // A slow stream: filter to it, open it and watch the text grow.
    let slow = post(
        port,
        r#"{"model":"gpt-oss-120b","stream":true,"messages":[{"role":"user","content":"[[sim:slow]] [[sim:long]] story"}]}"#,
    );
    tmux.wait_for("the live row", |s| {
        s.contains("gpt-oss-120b") && s.contains("live")
    });
    tmux.keys(&[":", "filter model:gpt-oss", "Enter"]);
    tmux.wait_for("the filter", |s| {
        s.contains("filter: model:gpt-oss") && s.contains("1/1")
    });
    tmux.keys(&["Enter"]);
    let first = tmux.wait_for("streamed text", |s| {
        s.contains("Response") && s.contains('▌')
    });
    let grown = tmux.wait_for("more streamed text", |s| {
        s.len() > first.len() + 20 || s.trim_end().len() > first.trim_end().len() + 20
    });
    assert_ne!(first, grown);
    assert_eq!(slow.join().unwrap(), 200);
    tmux.wait_for("the finished stream", |s| {
        s.contains("/v1/chat/completions 200") && !s.contains('▌')
    });

    // Replay the request: a new linked row (↻) appears.
    tmux.keys(&["Escape", "r"]);
    tmux.wait_for("the replay", |s| {
        s.contains("replay of") && s.contains("HTTP 200")
    });
    tmux.wait_for("the replayed row", |s| s.contains("↻ gpt-oss-120b"));

    // Export as curl: a file in the data dir.
    tmux.keys(&["x"]);
    tmux.wait_for("the export", |s| s.contains("curl copied"));
    let exports = home.path().join("data/demo/exports");
    let file = std::fs::read_dir(&exports)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let curl = std::fs::read_to_string(file).unwrap();
    assert!(
        curl.starts_with("curl ") && curl.contains("gpt-oss-120b"),
        "{curl}"
    );

    // Quit: the console leaves and the shell's screen is back.
    tmux.keys(&["q"]);
    tmux.wait_for("the exit", |s| {
        s.contains("CONSOLE-EXITED") && !s.contains("1 Dashboard")
    });
    drop(tmux);

    // Restart: the history is there.
    let port = free_port();
    let command = format!(
        "{} --home {} --demo --port {port}; sleep 60",
        env!("CARGO_BIN_EXE_anti-api-tui"),
        home.path().display()
    );
    let tmux = Tmux::start(&command);
    tmux.wait_for("the listen address", |s| {
        s.contains(&format!("127.0.0.1:{port}"))
    });
    tmux.keys(&[":", "filter model:gpt-oss", "Enter"]);
    // Both gpt-oss rows of the earlier run, and only they, pass the filter. ("2/2" alone also
    // matched token counts such as "42/26" in unfiltered rows.)
    tmux.wait_for("rows from the earlier run", |s| {
        s.contains("↻ gpt-oss-120b") && s.contains("/2 of") && s.contains("2 requests shown")
    });
    tmux.keys(&["q"]);
}
