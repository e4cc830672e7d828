//! A full run as a user would do it, against a simulator in this process: `accounts add` twice,
//! `serve` (debug logging, log file under the temp home), traffic on both APIs with faults
//! (failover, refresh, stale project, terms of service, revoked grant, a cut stream), the
//! exports, then SIGTERM. Afterwards: credential files are 0600 in 0700 directories, and no
//! token, refresh token, e-mail or project id is in any log, error message or export.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::time::Duration;

use anti_api_tui::simulator::{self, Fault, FaultScope, SimConfig, SimHandle};
use serde_json::{Value, json};

use super::binary::{self, Server, command};

/// What must never be shown: the simulator's refresh and access tokens, the OAuth client secret
/// (the built-in one is sent with every token request), the project ids.
const SECRETS: [&str; 4] = ["sim-refresh-", "sim-access-", "GOCSPX-", "sim-project-"];
/// What must not be logged either: the accounts' e-mail addresses.
const IDENTITY: &str = "@example.com";

fn cli(home: &Path, sim: &SimHandle) -> std::process::Command {
    let base = sim.base_url();
    let mut cmd = command(home);
    cmd.env(
        "ANTI_API_GOOGLE_AUTH_URL",
        format!("{base}/o/oauth2/v2/auth"),
    )
    .env("ANTI_API_GOOGLE_TOKEN_URL", format!("{base}/token"))
    .env(
        "ANTI_API_GOOGLE_USERINFO_URL",
        format!("{base}/oauth2/v2/userinfo"),
    )
    .env("ANTI_API_ANTIGRAVITY_ENDPOINTS", &base)
    .env(
        "ANTI_API_ANTIGRAVITY_MANIFEST_URL",
        format!("{base}/manifest/latest-arm64-mac.yml"),
    )
    .env("ANTI_API_ACCOUNT_MIN_INTERVAL_MS", "0")
    .env("ANTI_API_LOG", "debug");
    cmd
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A client that keeps everything it saw (status, headers, body) for the grep.
struct Client {
    http: reqwest::Client,
    base: String,
    seen: Vec<String>,
}

impl Client {
    async fn post(&mut self, path: &str, body: Value) -> u16 {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let headers = format!("{:?}", resp.headers());
        let text = resp.text().await.unwrap_or_default();
        self.seen
            .push(format!("{path} -> {status}\n{headers}\n{text}"));
        status
    }

    async fn get(&mut self, path: &str) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let text = resp.text().await.unwrap();
        self.seen.push(format!("{path}\n{text}"));
    }

    fn last(&self) -> &str {
        self.seen.last().map_or("", String::as_str)
    }
}

fn ask(model: &str, text: &str, stream: bool) -> Value {
    json!({"model": model, "max_tokens": 64, "stream": stream,
           "messages": [{"role": "user", "content": text}]})
}

/// The traffic: every kind of answer the proxy gives, good and bad.
async fn traffic(base: &str, sim: &SimHandle) -> Vec<String> {
    let mut c = Client {
        http: reqwest::Client::new(),
        base: base.to_owned(),
        seen: Vec::new(),
    };
    let alice = || FaultScope {
        model: None,
        account: Some("alice".into()),
    };
    for stream in [false, true] {
        for path in ["/v1/messages", "/v1/chat/completions"] {
            assert_eq!(c.post(path, ask("gemini-3-flash", "hi", stream)).await, 200);
        }
    }
    let count = c.post(
        "/v1/messages/count_tokens",
        ask("claude-sonnet-4-6", "hi", false),
    );
    assert_eq!(count.await, 200, "{}", c.last());
    // Failover, forced refresh, stale project, a short rate limit.
    sim.inject(Fault::QuotaExhausted, 1, alice());
    sim.inject(Fault::Unauthorized, 1, FaultScope::default());
    sim.inject(Fault::StaleProject, 1, FaultScope::default());
    sim.inject(Fault::RateLimited, 1, FaultScope::default());
    for i in 0..4 {
        let status = c.post(
            "/v1/messages",
            ask("claude-sonnet-4-6", &format!("n{i}"), false),
        );
        assert_eq!(status.await, 200, "{}", c.last());
    }
    // Errors, each scoped to its own model so that no leftover hits a later request: server
    // errors on every attempt, cut streams, an upstream 400.
    let on = |model: &str| FaultScope {
        model: Some(model.into()),
        account: None,
    };
    sim.inject(Fault::ServerError, 8, on("gemini-pro-agent"));
    let status = c.post("/v1/chat/completions", ask("gemini-pro-agent", "x", false));
    assert_eq!(status.await, 503, "{}", c.last());
    sim.inject(Fault::DisconnectMidStream, 2, on("gemini-3.1-pro-low"));
    for path in ["/v1/messages", "/v1/chat/completions"] {
        assert_eq!(
            c.post(path, ask("gemini-3.1-pro-low", "x", true)).await,
            200
        );
    }
    sim.inject(Fault::BadRequest, 1, on("gpt-oss-120b"));
    let status = c.post("/v1/messages", ask("gpt-oss-120b", "x", false));
    assert_eq!(status.await, 400, "{}", c.last());
    // Refused by the proxy itself.
    c.post("/v1/messages", ask("nope", "x", false)).await;
    c.post("/v1/chat/completions", json!({"messages": 5})).await;
    // Accounts in trouble: one quarantined, then the other one's grant revoked.
    sim.inject(Fault::TermsOfService, 1, alice());
    c.post("/v1/messages", ask("gemini-3-flash", "tos", false))
        .await;
    sim.revoke("bob");
    let status = c
        .post(
            "/v1/messages",
            ask("claude-opus-4-6-thinking", "gone", false),
        )
        .await;
    assert!(status >= 400, "{}", c.last());
    c.get("/v1/models").await;
    c.get("/health").await;
    c.seen
}

fn leaks<'a>(text: &str, needles: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut found = Vec::new();
    for needle in needles {
        for line in text.lines().filter(|l| l.contains(needle)) {
            found.push(format!(
                "`{needle}` in: {}",
                line.chars().take(300).collect::<String>()
            ));
        }
    }
    found
}

#[tokio::test]
async fn a_full_run_keeps_credentials_private_and_out_of_logs_errors_and_exports() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim = simulator::start(listener, SimConfig::default()).await;
    let home = tempfile::tempdir().unwrap();
    let home = home.path();

    for name in ["alice", "bob"] {
        let mut add = cli(home, &sim);
        add.args([
            "accounts",
            "add",
            "--refresh-token",
            &format!("sim-refresh-{name}"),
        ]);
        let out = tokio::task::spawn_blocking(move || binary::run(add, Duration::from_secs(30)))
            .await
            .unwrap();
        assert!(out.status.is_some_and(|s| s.success()), "{}", out.stderr);
        assert!(
            out.stdout.contains(&format!("<{name}@example.com>")),
            "{}",
            out.stdout
        );
    }
    let data = home.join("data");
    let accounts = data.join("accounts.json");
    assert_eq!(mode(&data), 0o700, "data dir");
    assert_eq!(mode(&accounts), 0o600, "accounts.json");
    let stored: Value = serde_json::from_slice(&std::fs::read(&accounts).unwrap()).unwrap();
    assert_eq!(stored["accounts"][0]["refresh_token"], "sim-refresh-alice");

    let mut serve = cli(home, &sim);
    serve.args(["serve", "--port", "0"]);
    let mut server = Server::start(serve);
    assert!(
        server.base.starts_with("http://127.0.0.1:"),
        "loopback by default: {}",
        server.base
    );
    let seen = traffic(&server.base, &sim).await;
    let status = server
        .terminate(Duration::from_secs(15))
        .expect("exits after SIGTERM");
    assert!(status.success(), "{status:?}");

    // Still private after the server rewrote them (cooldowns, tokens, quarantine, needs_login).
    assert_eq!(mode(&accounts), 0o600);
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&home.join("logs")), 0o700, "log dir");
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let temp = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("tmp"));
        assert!(!temp, "temp file left behind: {name}");
        if path.is_file() {
            assert_eq!(mode(&path), 0o600, "{name}");
        }
    }
    if std::env::var_os("SCENARIO_DUMP").is_some() {
        std::fs::write("/tmp/scenario-seen.txt", seen.join("\n----\n")).unwrap();
        std::fs::write("/tmp/scenario-stderr.txt", server.stderr()).unwrap();
    }
    let stored: Value = serde_json::from_slice(&std::fs::read(&accounts).unwrap()).unwrap();
    let by_email = |email: &str| {
        stored["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["email"] == email)
            .unwrap()
            .clone()
    };
    assert!(
        by_email("alice@example.com")["quarantined"].is_string(),
        "{stored}"
    );
    assert!(
        by_email("bob@example.com")["needs_login"].is_string(),
        "{stored}"
    );

    let mut problems = Vec::new();
    let mut log_text = server.stderr();
    let mut log_files = 0;
    for entry in std::fs::read_dir(home.join("logs")).unwrap() {
        let path = entry.unwrap().path();
        // Owner-only like everything else (it was 0644 inside the 0700 dir).
        assert_eq!(mode(&path), 0o600, "{}", path.display());
        log_text.push_str(&std::fs::read_to_string(&path).unwrap());
        log_files += 1;
    }
    assert!(
        log_files >= 1 && log_text.contains("request finished"),
        "the log file was written"
    );
    assert!(
        log_text.contains("quarantined") && log_text.contains("access token refreshed"),
        "debug log covers the faults"
    );
    problems.extend(
        leaks(&log_text, SECRETS.into_iter().chain([IDENTITY]))
            .into_iter()
            .map(|l| format!("log: {l}")),
    );
    for exchange in &seen {
        problems.extend(
            leaks(exchange, SECRETS.into_iter().chain([IDENTITY]))
                .into_iter()
                .map(|l| format!("response: {l}")),
        );
    }
    // Exports: the account list (e-mail and project are its point, tokens never are), the
    // quota and route reports and, where present, the request history.
    for args in [
        &["accounts", "list", "--json"][..],
        &["quota", "--json"],
        &["route", "claude-sonnet-4-6", "--json"],
        &["history", "--json"],
    ] {
        let mut cmd = cli(home, &sim);
        cmd.args(args);
        let out = tokio::task::spawn_blocking(move || binary::run(cmd, Duration::from_secs(30)))
            .await
            .unwrap();
        assert!(
            out.status.is_some_and(|s| s.success()),
            "{args:?}: {}",
            out.stderr
        );
        let export: Value = serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?} is not JSON ({e}): {}", out.stdout));
        if args[0] == "history" {
            // Every chat request (count_tokens and GETs are not chat requests), even after
            // the shutdown.
            let chats = seen
                .iter()
                .filter(|e| {
                    e.starts_with("/v1/messages ->") || e.starts_with("/v1/chat/completions ->")
                })
                .count();
            let rows = export.as_array().map_or(0, Vec::len);
            assert!(
                rows >= chats,
                "{rows} history rows for {chats} chat requests"
            );
        }
        let needles = if args[0] == "accounts" {
            &SECRETS[..3]
        } else {
            &SECRETS[..]
        };
        problems.extend(
            leaks(&out.stdout, needles.iter().copied())
                .into_iter()
                .map(|l| format!("{args:?}: {l}")),
        );
        problems.extend(
            leaks(&out.stderr, SECRETS)
                .into_iter()
                .map(|l| format!("{args:?} stderr: {l}")),
        );
    }
    // The history database stores bodies, redacted: no token or project id in its pages.
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("history")
        {
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            problems.extend(
                leaks(&text, SECRETS)
                    .into_iter()
                    .map(|l| format!("{}: {l}", path.display())),
            );
        }
    }
    assert!(
        problems.is_empty(),
        "{} leaks:\n{}",
        problems.len(),
        problems.join("\n")
    );
    sim.shutdown();
}
