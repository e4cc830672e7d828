//! End-to-end speed and memory of the proxy (issue 5 §1), measured the way a user runs it: the
//! real release binary (`anti-api-tui serve`) in its own process, the simulator in another (this
//! binary, `sim` mode), and a keep-alive load generator in this one. Optionally `LiteLLM`'s proxy,
//! doing the same OpenAI → Gemini translation against the simulator's public Gemini route.
//!
//! `cargo bench --bench proxy` (or `scripts/bench.sh`, which also installs `LiteLLM`). The load
//! generator and the simulator share core 0, the proxy (and `LiteLLM`) get core 1 (`taskset`).
//! Every loop is bounded by a request count and a wall-clock limit; everything talks to
//! 127.0.0.1 only; child processes are stopped on exit (the simulator also exits when its stdin
//! closes).
//!
//! Environment:
//! - `BENCH_OUT` — where `proxy.md` and `proxy.json` go (default `target/bench`).
//! - `BENCH_LITELLM` — a launcher (`scripts/litellm/run.sh`) to compare against; unset skips it.
//! - `BENCH_QUICK=1` — shorter runs (a smoke test of the bench itself).
//! - `BENCH_PROXY_BIN` — the proxy binary (default: the release binary cargo built with this bench).
//! - `BENCH_STREAMS` — how many streams the held-open phase opens (default 1,000; 200 quick).
//! - `BENCH_PROXY_ENV="K=V;K=V"` — extra environment for the proxy under test (experiments).
//!
//! The proxy runs with `ANTI_API_ACCOUNT_MIN_INTERVAL_MS=0` and `ANTI_API_ACCOUNT_MAX_CONCURRENCY=0`
//! (the per-account pacing would otherwise be what is measured); everything else is default.
//! Helper modes of this binary: `sim` (the simulator) and `forward` (a bare axum + reqwest
//! forwarder, the floor the proxy is compared with).

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::too_many_lines
)]

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anti_api_tui::simulator::{self, SimConfig};
use bytes::Bytes;
use futures::StreamExt as _;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};

/// Core of the load generator and the simulator; the proxy under test gets the other one.
const LOAD_CORE: usize = 0;
const PROXY_CORE: usize = 1;
const SIM_ACCOUNT: &str = "bench";
const EXPECT: &str = "Hello from the Antigravity simulator";
const LITELLM_KEY: &str = "sk-bench";

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.first().map(String::as_str) {
        Some("sim") => return sim_main(),
        Some("forward") => return forward_main(&args[1..]),
        _ => {}
    }
    if args
        .iter()
        .any(|a| a == "--list" || a.starts_with("--format"))
    {
        // `cargo bench -- --list` style probes: nothing to list.
        return;
    }
    let settings = Settings::from_env();
    let pinned = pin_self(&settings);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let report = rt.block_on(orchestrate(&settings, pinned));
    match report {
        Ok(report) => {
            std::fs::create_dir_all(&settings.out_dir).expect("out dir");
            std::fs::write(settings.out_dir.join("proxy.md"), &report.markdown).expect("write");
            std::fs::write(
                settings.out_dir.join("proxy.json"),
                serde_json::to_string_pretty(&report.json).expect("json"),
            )
            .expect("write");
            println!("{}", report.markdown);
            println!(
                "results written to {}",
                settings.out_dir.join("proxy.md").display()
            );
        }
        Err(e) => {
            eprintln!("proxy bench failed: {e}");
            std::process::exit(1);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// settings, processes, /proc

struct Settings {
    /// Cores this process could use at start (before pinning itself to one).
    cores: usize,
    proxy_bin: PathBuf,
    out_dir: PathBuf,
    litellm: Option<PathBuf>,
    quick: bool,
}

impl Settings {
    fn from_env() -> Self {
        let proxy_bin = std::env::var_os("BENCH_PROXY_BIN").map_or_else(
            || PathBuf::from(env!("CARGO_BIN_EXE_anti-api-tui")),
            PathBuf::from,
        );
        let out_dir = std::env::var_os("BENCH_OUT").map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench"),
            PathBuf::from,
        );
        let litellm = std::env::var_os("BENCH_LITELLM")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1");
        Self {
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            proxy_bin,
            out_dir,
            litellm,
            quick,
        }
    }
}

/// Pins this process (all threads; there is one yet) to `LOAD_CORE`. Children inherit it.
fn pin_self(settings: &Settings) -> bool {
    if settings.cores < 2 {
        return false;
    }
    Command::new("taskset")
        .args(["-a", "-c", "-p", &LOAD_CORE.to_string()])
        .arg(std::process::id().to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A command on `core` (through `taskset`, which execs it: the pid stays the program's).
fn on_core(pinned: bool, core: usize, program: &Path) -> Command {
    if pinned {
        let mut cmd = Command::new("taskset");
        cmd.arg("-c").arg(core.to_string()).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

/// A child process that is stopped (SIGTERM, then SIGKILL) when dropped.
struct Proc {
    child: Child,
}

impl Proc {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// The pid and its descendants (for `LiteLLM`, whose launcher may fork).
fn tree(pid: u32) -> Vec<u32> {
    let mut out = vec![pid];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        if let Ok(tasks) = std::fs::read_dir(format!("/proc/{p}/task")) {
            for task in tasks.flatten() {
                let children =
                    std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
                out.extend(
                    children
                        .split_whitespace()
                        .filter_map(|c| c.parse::<u32>().ok()),
                );
            }
        }
        i += 1;
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// User + system CPU seconds of a process tree, from `/proc/PID/stat`.
fn cpu_secs(pid: u32, ticks: f64) -> f64 {
    tree(pid)
        .into_iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/stat")).ok())
        .filter_map(|stat| {
            // Fields after the command name (which may hold spaces) start at index 2 = state.
            let rest = &stat[stat.rfind(')')? + 2..];
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let utime: f64 = fields.get(11)?.parse().ok()?;
            let stime: f64 = fields.get(12)?.parse().ok()?;
            Some((utime + stime) / ticks)
        })
        .sum()
}

/// Resident set size of a process tree in KiB (`VmRSS`).
fn rss_kib(pid: u32) -> u64 {
    tree(pid)
        .into_iter()
        .map(|p| status_field(p, "VmRSS:"))
        .sum()
}

fn status_field(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count)
}

/// `TcpExt: ListenOverflows` (connections dropped because an accept queue was full).
fn listen_overflows() -> u64 {
    let text = std::fs::read_to_string("/proc/net/netstat").unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("TcpExt:")).collect();
    let [names, values] = lines.as_slice() else {
        return 0;
    };
    names
        .split_whitespace()
        .zip(values.split_whitespace())
        .find(|(n, _)| *n == "ListenOverflows")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Polls a TCP connect until it succeeds; the time from `since`.
fn wait_listening(port: u16, since: Instant, limit: Duration) -> Result<Duration, String> {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    while since.elapsed() < limit {
        if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(50)).is_ok() {
            return Ok(since.elapsed());
        }
        std::thread::sleep(Duration::from_micros(250));
    }
    Err(format!("nothing listening on {port} after {limit:?}"))
}

// ---------------------------------------------------------------------------------------------
// the simulator subprocess

fn sim_main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        // A deep accept queue: `TcpListener::bind` listens with std's backlog of 128, and the
        // simulator must not be the one dropping SYNs when 1,000 streams open at once.
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket
            .bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
            .expect("bind");
        let listener = socket.listen(4096).expect("listen");
        let handle = simulator::start(listener, SimConfig::default()).await;
        println!("{}", handle.base_url());
        // Until the parent closes our stdin (it exited or is done), at most an hour.
        let stdin_closed = tokio::task::spawn_blocking(|| {
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
        });
        tokio::select! {
            _ = stdin_closed => {}
            () = tokio::time::sleep(Duration::from_secs(3600)) => {}
        }
        handle.shutdown();
    });
}

fn start_sim(pinned: bool) -> Result<(Proc, String), String> {
    start_helper(pinned, LOAD_CORE, &["sim"])
}

/// Runs this binary in a helper mode on `core`; it prints its base URL on the first line and
/// exits when its stdin closes.
fn start_helper(pinned: bool, core: usize, args: &[&str]) -> Result<(Proc, String), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut cmd = on_core(pinned, core, &exe);
    let mut child = cmd
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("{args:?}: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let base = line.trim().to_owned();
    if !base.starts_with("http://") {
        return Err(format!("{args:?} said {line:?}"));
    }
    Ok((Proc { child }, base))
}

/// The floor of any HTTP proxy on this stack: an axum server whose one route replays a fixed
/// upstream request with reqwest (same client settings as the proxy) and returns the upstream
/// body as it is. No parsing, no translation, no logging, no history.
/// Arguments: upstream URL, bearer token, User-Agent, file holding the upstream body.
fn forward_main(args: &[String]) {
    #[derive(Clone)]
    struct Fwd {
        client: reqwest::Client,
        url: String,
        headers: HeaderMap,
        body: Bytes,
    }
    async fn forward(
        axum::extract::State(f): axum::extract::State<Fwd>,
    ) -> axum::response::Response {
        use axum::response::IntoResponse as _;
        let sent = f
            .client
            .post(&f.url)
            .headers(f.headers.clone())
            .body(f.body.clone())
            .send()
            .await;
        match sent {
            Ok(resp) => {
                let status = resp.status().as_u16();
                match resp.bytes().await {
                    Ok(body) => (
                        axum::http::StatusCode::from_u16(status)
                            .unwrap_or(axum::http::StatusCode::BAD_GATEWAY),
                        body,
                    )
                        .into_response(),
                    Err(e) => (axum::http::StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
                }
            }
            Err(e) => (axum::http::StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
        }
    }
    let [url, token, ua, body_file] = args else {
        eprintln!("usage: forward URL TOKEN USER_AGENT BODY_FILE");
        std::process::exit(2);
    };
    let state = Fwd {
        client: reqwest::Client::builder()
            .no_proxy()
            .tcp_nodelay(true)
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(90))
            .build()
            .expect("client"),
        url: url.clone(),
        headers: headers(&[
            ("authorization", &format!("Bearer {token}")),
            ("user-agent", ua),
        ]),
        body: Bytes::from(std::fs::read(body_file).expect("body file")),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        use axum::serve::ListenerExt as _;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = axum::Router::new()
            .route("/forward", axum::routing::post(forward))
            .with_state(state);
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        println!("http://{addr}");
        let stdin_closed = tokio::task::spawn_blocking(|| {
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
        });
        tokio::select! {
            served = axum::serve(listener, app).into_future() => { let _ = served; }
            _ = stdin_closed => {}
            () = tokio::time::sleep(Duration::from_secs(3600)) => {}
        }
    });
}

// ---------------------------------------------------------------------------------------------
// the proxy subprocess

struct ProxySetup {
    bin: PathBuf,
    home: PathBuf,
    sim: String,
    pinned: bool,
}

impl ProxySetup {
    fn command(&self, core: Option<usize>) -> Command {
        let mut cmd = match core {
            Some(c) => on_core(self.pinned, c, &self.bin),
            None => Command::new(&self.bin),
        };
        let sim = &self.sim;
        cmd.arg("--home")
            .arg(&self.home)
            .env("ANTI_API_ANTIGRAVITY_ENDPOINTS", sim)
            .env(
                "ANTI_API_GOOGLE_AUTH_URL",
                format!("{sim}/o/oauth2/v2/auth"),
            )
            .env("ANTI_API_GOOGLE_TOKEN_URL", format!("{sim}/token"))
            .env(
                "ANTI_API_GOOGLE_USERINFO_URL",
                format!("{sim}/oauth2/v2/userinfo"),
            )
            .env(
                "ANTI_API_GOOGLE_DEVICE_AUTH_URL",
                format!("{sim}/device/code"),
            )
            // The per-account pacing (250 ms, 4 at once) would measure the pool, not the proxy.
            .env("ANTI_API_ACCOUNT_MIN_INTERVAL_MS", "0")
            .env("ANTI_API_ACCOUNT_MAX_CONCURRENCY", "0")
            .env_remove("ANTI_API_KEY")
            .env_remove("ANTI_API_HOST")
            .env_remove("ANTI_API_PORT")
            .env_remove("ANTI_API_TUI_HOME")
            .env_remove("ANTI_API_LOG");
        // `BENCH_PROXY_ENV="K=V;K=V"`: extra environment for the proxy (experiments, e.g.
        // allocator tunables).
        if let Ok(extra) = std::env::var("BENCH_PROXY_ENV") {
            for pair in extra.split(';').filter(|p| !p.is_empty()) {
                if let Some((k, v)) = pair.split_once('=') {
                    cmd.env(k, v);
                }
            }
        }
        cmd
    }

    fn add_account(&self) -> Result<(), String> {
        let out = self
            .command(None)
            .args(["accounts", "add", "--refresh-token"])
            .arg(format!("sim-refresh-{SIM_ACCOUNT}"))
            .output()
            .map_err(|e| format!("{}: {e}", self.bin.display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "accounts add failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    /// Starts `serve` on a free port; returns it with the time to a listening socket.
    fn serve(&self) -> Result<(Proc, u16, Duration), String> {
        self.serve_with(&[])
    }

    fn serve_with(&self, env: &[(&str, &str)]) -> Result<(Proc, u16, Duration), String> {
        let port = free_port();
        let log =
            std::fs::File::create(self.home.join("serve.stderr")).map_err(|e| e.to_string())?;
        let started = Instant::now();
        let child = self
            .command(Some(PROXY_CORE))
            .envs(env.iter().copied())
            .args(["serve", "--port", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("{}: {e}", self.bin.display()))?;
        let proc = Proc { child };
        let took = wait_listening(port, started, Duration::from_secs(20))?;
        Ok((proc, port, took))
    }
}

/// How long it takes just to spawn and reap `true` through `taskset`: the floor of any start-up.
fn spawn_floor(pinned: bool) -> Duration {
    let mut cmd = on_core(pinned, PROXY_CORE, Path::new("true"));
    let started = Instant::now();
    let _ = cmd.status();
    started.elapsed()
}

// ---------------------------------------------------------------------------------------------
// the load generator

#[derive(Clone)]
struct Target {
    name: &'static str,
    url: String,
    body: Bytes,
    headers: HeaderMap,
    /// A substring every successful response body contains (checked on unary calls).
    expect: &'static str,
    wire: Wire,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Wire {
    /// Cloud Code `v1internal` SSE (`{"response": …}`) or public Gemini SSE.
    Upstream,
    OpenAi,
    Anthropic,
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    map.insert(
        reqwest::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    for (k, v) in pairs {
        map.insert(
            HeaderName::from_bytes(k.as_bytes()).expect("header name"),
            HeaderValue::from_str(v).expect("header value"),
        );
    }
    map
}

fn load_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .tcp_nodelay(true)
        .http1_only()
        .pool_max_idle_per_host(4096)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}

async fn once(client: &reqwest::Client, t: &Target) -> Result<Duration, String> {
    let started = Instant::now();
    let resp = client
        .post(&t.url)
        .headers(t.headers.clone())
        .body(t.body.clone())
        .send()
        .await
        .map_err(|e| format!("{}: {e}", t.name))?;
    let status = resp.status();
    let body = resp.bytes().await.map_err(|e| format!("{}: {e}", t.name))?;
    let took = started.elapsed();
    if !status.is_success() {
        let text = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
        return Err(format!("{}: {status}: {text}", t.name));
    }
    if !t.expect.is_empty() && !contains(&body, t.expect.as_bytes()) {
        let text = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
        return Err(format!("{}: unexpected body: {text}", t.name));
    }
    Ok(took)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[derive(Default)]
struct Run {
    latencies: Vec<Duration>,
    errors: u64,
    first_error: Option<String>,
    wall: Duration,
}

impl Run {
    fn rps(&self) -> f64 {
        self.latencies.len() as f64 / self.wall.as_secs_f64().max(1e-9)
    }

    fn merge(&mut self, other: Self) {
        self.latencies.extend(other.latencies);
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        self.wall += other.wall;
    }
}

/// `clients` keep-alive loops, `max_requests` in total or until `max_wall`.
async fn closed_loop(
    client: &reqwest::Client,
    t: &Target,
    clients: usize,
    max_requests: usize,
    max_wall: Duration,
) -> Run {
    let issued = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + max_wall;
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let (client, t, issued) = (client.clone(), t.clone(), issued.clone());
        tasks.push(tokio::spawn(async move {
            let mut run = Run::default();
            while Instant::now() < deadline && issued.fetch_add(1, Ordering::Relaxed) < max_requests
            {
                match once(&client, &t).await {
                    Ok(d) => run.latencies.push(d),
                    Err(e) => {
                        run.errors += 1;
                        run.first_error.get_or_insert(e);
                    }
                }
            }
            run
        }));
    }
    let mut total = Run::default();
    for task in tasks {
        if let Ok(run) = task.await {
            total.merge(run);
        }
    }
    total.wall = started.elapsed();
    total
}

/// One streamed response: when headers came, when each content event came (from the send),
/// and whether the stream ended with its terminal event.
struct Trace {
    chunks: Vec<Duration>,
    terminal: bool,
}

async fn stream_once(client: &reqwest::Client, t: &Target) -> Result<Trace, String> {
    let started = Instant::now();
    let resp = client
        .post(&t.url)
        .headers(t.headers.clone())
        .body(t.body.clone())
        .send()
        .await
        .map_err(|e| format!("{}: {e}", t.name))?;
    let status = resp.status();
    if !status.is_success() {
        let text = resp.text().await.unwrap_or_default();
        return Err(format!("{}: {status}: {text}", t.name));
    }
    let mut body = resp.bytes_stream();
    let mut buf: Vec<u8> = Vec::new();
    let mut trace = Trace {
        chunks: Vec::new(),
        terminal: false,
    };
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| format!("{}: {e}", t.name))?;
        let at = started.elapsed();
        // JSON never holds a raw CR, so dropping them normalises CRLF framing.
        buf.extend(chunk.iter().filter(|b| **b != b'\r'));
        while let Some(end) = buf.windows(2).position(|w| w == b"\n\n") {
            let event: Vec<u8> = buf.drain(..end + 2).collect();
            let (content, terminal) = classify(&event, t.wire);
            if content {
                trace.chunks.push(at);
            }
            trace.terminal |= terminal;
        }
    }
    Ok(trace)
}

/// (carries model text, ends the stream) for one SSE event.
fn classify(event: &[u8], wire: Wire) -> (bool, bool) {
    let text = String::from_utf8_lossy(event);
    let mut name = "";
    let mut data = String::new();
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("event:") {
            name = v.trim();
        } else if let Some(v) = line.strip_prefix("data:") {
            if !data.is_empty() {
                data.push('\n');
            }
            data.push_str(v.strip_prefix(' ').unwrap_or(v));
        }
    }
    match wire {
        Wire::OpenAi if data == "[DONE]" => (false, true),
        Wire::OpenAi => {
            let v: Value = serde_json::from_str(&data).unwrap_or(Value::Null);
            let content = v
                .pointer("/choices/0/delta/content")
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty());
            (content, false)
        }
        Wire::Anthropic => {
            let v: Value = serde_json::from_str(&data).unwrap_or(Value::Null);
            let content = name == "content_block_delta"
                && v.pointer("/delta/type").and_then(Value::as_str) == Some("text_delta");
            (content, name == "message_stop")
        }
        Wire::Upstream => {
            let v: Value = serde_json::from_str(&data).unwrap_or(Value::Null);
            let response = v.get("response").unwrap_or(&v);
            let candidate = response.pointer("/candidates/0");
            let content = candidate
                .and_then(|c| c.pointer("/content/parts"))
                .and_then(Value::as_array)
                .is_some_and(|parts| {
                    parts.iter().any(|p| {
                        p.get("thought").is_none()
                            && p.get("text")
                                .and_then(Value::as_str)
                                .is_some_and(|s| !s.is_empty())
                    })
                });
            let terminal = candidate.is_some_and(|c| c.get("finishReason").is_some());
            (content, terminal)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// statistics and formatting

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn sorted(mut v: Vec<Duration>) -> Vec<Duration> {
    v.sort_unstable();
    v
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1e3)
}

fn signed_ms(a: Duration, b: Duration) -> String {
    format!("{:+.3}", (a.as_secs_f64() - b.as_secs_f64()) * 1e3)
}

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

fn median_f(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Waits (at most 30 s) until the process tree is idle (under 2% of a core over 500 ms), so work
/// it deferred (the history writer's inserts) lands in the measurement that caused it and does
/// not disturb the next one. Returns how long that took.
async fn quiesce(pid: u32, ticks: f64) -> Duration {
    let started = Instant::now();
    loop {
        let a = cpu_secs(pid, ticks);
        tokio::time::sleep(Duration::from_millis(500)).await;
        if cpu_secs(pid, ticks) - a <= 0.01 || started.elapsed() > Duration::from_secs(30) {
            return started.elapsed();
        }
    }
}

/// CPU seconds used since `before`, read once the process is idle again.
async fn cpu_since(pid: u32, ticks: f64, before: f64) -> f64 {
    let idle_wait = quiesce(pid, ticks).await;
    // The quiet 500 ms windows themselves cost (nearly) nothing; subtract none.
    let _ = idle_wait;
    cpu_secs(pid, ticks) - before
}

/// Peak RSS of a pid while a future runs (sampled every 50 ms).
async fn with_peak_rss<F: Future>(pid: u32, fut: F) -> (F::Output, u64) {
    let peak = Arc::new(AtomicUsize::new(0));
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                peak.fetch_max(rss_kib(pid) as usize, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let out = fut.await;
    sampler.abort();
    peak.fetch_max(rss_kib(pid) as usize, Ordering::Relaxed);
    (out, peak.load(Ordering::Relaxed) as u64)
}

// ---------------------------------------------------------------------------------------------
// the run

struct Report {
    markdown: String,
    json: Value,
}

struct Ctx {
    client: reqwest::Client,
    ticks: f64,
    quick: bool,
    sim: String,
    json: serde_json::Map<String, Value>,
    md: String,
    problems: Vec<String>,
}

impl Ctx {
    fn note_errors(&mut self, what: &str, run: &Run) {
        if run.errors > 0 {
            self.problems.push(format!(
                "{what}: {} errors, first: {}",
                run.errors,
                run.first_error.as_deref().unwrap_or("?")
            ));
        }
    }

    async fn sim_post(&self, path: &str, body: &Value) -> Result<Value, String> {
        let resp = self
            .client
            .post(format!("{}{path}", self.sim))
            .json(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        resp.json().await.map_err(|e| e.to_string())
    }

    async fn sim_stats(&self) -> Result<Value, String> {
        let resp = self
            .client
            .get(format!("{}/__sim/stats", self.sim))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        resp.json().await.map_err(|e| e.to_string())
    }

    async fn set_chunk_delay(&self, ms: u64) -> Result<(), String> {
        self.sim_post("/__sim/chunk_delay", &json!({ "ms": ms }))
            .await
            .map(|_| ())
    }

    /// The envelope the simulator received last (what a proxy sent upstream).
    async fn last_upstream_request(&self) -> Result<Value, String> {
        self.sim_stats()
            .await?
            .get("last_request")
            .cloned()
            .filter(|v| !v.is_null())
            .ok_or_else(|| "the simulator saw no generate call".to_owned())
    }
}

async fn orchestrate(settings: &Settings, pinned: bool) -> Result<Report, String> {
    let run_started = Instant::now();
    let (sim_proc, sim) = start_sim(pinned)?;
    let home = tempfile::Builder::new()
        .prefix("anti-api-bench-")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let setup = ProxySetup {
        bin: settings.proxy_bin.clone(),
        home: home.path().to_path_buf(),
        sim: sim.clone(),
        pinned,
    };
    setup.add_account()?;
    let mut ctx = Ctx {
        client: load_client(),
        ticks: clock_ticks(),
        quick: settings.quick,
        sim: sim.clone(),
        json: serde_json::Map::new(),
        md: String::new(),
        problems: Vec::new(),
    };
    machine_header(&mut ctx, settings, pinned);

    // --- start-up time to a listening socket -------------------------------------------------
    let startups = if ctx.quick { 3 } else { 10 };
    let mut times = Vec::new();
    let mut floors = Vec::new();
    let mut proxy = None;
    for i in 0..startups {
        floors.push(spawn_floor(pinned));
        let (mut p, port, took) = setup.serve()?;
        times.push(took);
        if i + 1 == startups {
            proxy = Some((p, port));
        } else {
            p.stop();
        }
    }
    let (mut proxy, port) = proxy.ok_or("no proxy")?;
    let pid = proxy.pid();
    let times = sorted(times);
    let floors = sorted(floors);
    // Idle: after the start-up quota refresh has come and gone.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_idle_start = rss_kib(pid);
    let fds_idle_start = fd_count(pid);

    // --- targets ---------------------------------------------------------------------------
    let base = format!("http://127.0.0.1:{port}");
    let (openai, anthropic) = proxy_targets(&base);
    // The direct baselines replay exactly what the proxy sent upstream for each.
    let token = sim_token(&ctx).await?;
    once(&ctx.client, &openai).await?;
    let (direct_openai, _) = direct_target(&ctx, "direct (gemini-3-flash)", &token).await?;
    once(&ctx.client, &anthropic).await?;
    let (direct_anthropic, _) = direct_target(&ctx, "direct (claude-sonnet-4-6)", &token).await?;
    // Warm-up: connections, caches, the allocator's arenas.
    let warm = if ctx.quick { 50 } else { 300 };
    for t in [&openai, &anthropic, &direct_openai, &direct_anthropic] {
        let run = closed_loop(&ctx.client, t, 8, warm, Duration::from_secs(20)).await;
        ctx.note_errors(&format!("warm-up {}", t.name), &run);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_idle_warm = rss_kib(pid);

    // --- start-up table ---
    let _ = writeln!(
        ctx.md,
        "\n### Start-up to a listening socket\n\n\
         `anti-api-tui serve` (release) from `spawn` to the first accepted TCP connect, {startups} \
         starts; the floor is spawning `true` the same way (through `taskset`).\n\n\
         | | median | max |\n| --- | --- | --- |\n\
         | anti-api-tui serve | {} ms | {} ms |\n| floor (`taskset … true`) | {} ms | {} ms |",
        ms(percentile(&times, 50.0)),
        ms(percentile(&times, 100.0)),
        ms(percentile(&floors, 50.0)),
        ms(percentile(&floors, 100.0)),
    );
    ctx.json.insert(
        "startup_ms".into(),
        json!({"median": percentile(&times, 50.0).as_secs_f64() * 1e3,
               "max": percentile(&times, 100.0).as_secs_f64() * 1e3,
               "floor_median": percentile(&floors, 50.0).as_secs_f64() * 1e3}),
    );

    // --- latency and CPU per request ----------------------------------------------------------
    quiesce(pid, ctx.ticks).await;
    latency_phase(
        &mut ctx,
        pid,
        &[
            (&direct_openai, &openai, "OpenAI → gemini-3-flash"),
            (
                &direct_anthropic,
                &anthropic,
                "Anthropic → claude-sonnet-4-6",
            ),
        ],
    )
    .await;

    // --- throughput ----------------------------------------------------------------------------
    let ((), rss_load) = with_peak_rss(
        pid,
        throughput_phase(
            &mut ctx,
            pid,
            &[&direct_openai, &openai, &direct_anthropic, &anthropic],
        ),
    )
    .await;

    // --- streaming: added delay on a paced stream ---------------------------------------------
    let stream_openai = streaming(&openai);
    let stream_anthropic = streaming(&anthropic);
    let stream_direct_openai = direct_streaming(&direct_openai);
    let stream_direct_anthropic = direct_streaming(&direct_anthropic);
    quiesce(pid, ctx.ticks).await;
    paced_phase(
        &mut ctx,
        &[
            (
                &stream_direct_openai,
                &stream_openai,
                "OpenAI → gemini-3-flash",
            ),
            (
                &stream_direct_anthropic,
                &stream_anthropic,
                "Anthropic → claude-sonnet-4-6",
            ),
        ],
    )
    .await?;

    // --- 1,000 concurrent streams --------------------------------------------------------------
    quiesce(pid, ctx.ticks).await;
    let (held, rss_streams) = with_peak_rss(
        pid,
        held_streams_phase(&mut ctx, pid, &stream_openai, &stream_anthropic),
    )
    .await;
    held?;

    // --- memory --------------------------------------------------------------------------------
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_after = rss_kib(pid);
    let hwm = status_field(pid, "VmHWM:");
    // Close the load generator's idle keep-alive connections, then wait (bounded) for the
    // proxy's own idle upstream connections to time out (reqwest's pool: 90 s).
    ctx.client = load_client();
    let settle_limit = Duration::from_secs(if ctx.quick { 5 } else { 120 });
    let settle = Instant::now();
    while settle.elapsed() < settle_limit && fd_count(pid) > fds_idle_start + 2 {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let drained_after = settle.elapsed();
    let fds_drained = fd_count(pid);
    let rss_drained = rss_kib(pid);
    let _ = writeln!(
        ctx.md,
        "\n### Memory (RSS of the proxy process)\n\n\
         | idle after start | idle after warm-up | peak under request load (≤ 64 clients) | \
         peak with {held} open streams | 3 s after the load | after connections closed | VmHWM |\n\
         | --- | --- | --- | --- | --- | --- | --- |\n\
         | {} MiB | {} MiB | {} MiB | {} MiB | {} MiB | {} MiB ({:+.1} MiB vs idle after start; \
         {fds_drained} fds vs {fds_idle_start}, after {} s) | {} MiB |",
        mib(rss_idle_start),
        mib(rss_idle_warm),
        mib(rss_load),
        mib(rss_streams),
        mib(rss_after),
        mib(rss_drained),
        (rss_drained as f64 - rss_idle_start as f64) / 1024.0,
        drained_after.as_secs(),
        mib(hwm),
        held = held_streams(ctx.quick),
    );
    ctx.json.insert(
        "rss_kib".into(),
        json!({"idle_start": rss_idle_start, "idle_warm": rss_idle_warm, "load_peak": rss_load,
               "streams_peak": rss_streams, "after_3s": rss_after, "after_drained": rss_drained,
               "drained_after_s": drained_after.as_secs_f64(), "fds_idle_start": fds_idle_start,
               "fds_drained": fds_drained, "hwm": hwm}),
    );

    // --- where the CPU goes ----------------------------------------------------------------------
    quiesce(pid, ctx.ticks).await;
    attribution_phase(&mut ctx, &setup, &direct_openai, &token).await?;

    // --- LiteLLM side by side --------------------------------------------------------------
    if let Some(launcher) = &settings.litellm {
        litellm_phase(&mut ctx, pinned, launcher, &openai, pid).await?;
    }

    proxy.stop();
    drop(sim_proc);
    let mut md = String::new();
    let _ = writeln!(
        md,
        "<!-- written by benches/proxy.rs in {:.0} s -->",
        run_started.elapsed().as_secs_f64()
    );
    md.push_str(&ctx.md);
    if !ctx.problems.is_empty() {
        let _ = writeln!(md, "\n### Problems seen during the run\n");
        for p in &ctx.problems {
            let _ = writeln!(md, "- {p}");
        }
    }
    ctx.json
        .insert("problems".into(), json!(ctx.problems.clone()));
    ctx.json.insert(
        "run_seconds".into(),
        json!(run_started.elapsed().as_secs_f64()),
    );
    Ok(Report {
        markdown: md,
        json: Value::Object(ctx.json),
    })
}

fn machine_header(ctx: &mut Ctx, settings: &Settings, pinned: bool) {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_default();
    let cores = settings.cores;
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let date = Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let _ = writeln!(
        ctx.md,
        "Run {date}; {cores} cores ({cpu}), Linux {}; pinning: {}; {}.",
        kernel.trim(),
        if pinned {
            "load generator + simulator on core 0, proxy (and LiteLLM) on core 1"
        } else {
            "none (fewer than 2 cores or no taskset)"
        },
        if settings.quick {
            "QUICK mode (short runs, for checking the bench only)"
        } else {
            "full runs"
        },
    );
    ctx.json.insert(
        "machine".into(),
        json!({"date": date, "cores": cores, "cpu": cpu, "kernel": kernel.trim(),
               "pinned": pinned, "quick": settings.quick}),
    );
}

async fn sim_token(ctx: &Ctx) -> Result<String, String> {
    let resp = ctx
        .client
        .post(format!("{}/token", ctx.sim))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=refresh_token&refresh_token=sim-refresh-{SIM_ACCOUNT}"
        ))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let body: Value = resp.json().await.map_err(|e| e.to_string())?;
    body["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no access token: {body}"))
}

/// A direct call to the simulator replaying the proxy's last upstream request (same body, same
/// User-Agent), non-streaming from the client's point of view (the proxy itself always streams
/// upstream and aggregates).
async fn direct_target(
    ctx: &Ctx,
    name: &'static str,
    token: &str,
) -> Result<(Target, String), String> {
    let envelope = ctx.last_upstream_request().await?;
    let stats = ctx.sim_stats().await?;
    let ua = stats["user_agents"]
        .as_array()
        .and_then(|a| a.last())
        .and_then(Value::as_str)
        .unwrap_or("antigravity/bench")
        .to_owned();
    let target = Target {
        name,
        url: format!("{}/v1internal:streamGenerateContent?alt=sse", ctx.sim),
        body: Bytes::from(envelope.to_string()),
        headers: headers(&[
            ("authorization", &format!("Bearer {token}")),
            ("user-agent", &ua),
        ]),
        // Upstream text comes in pieces; the finish reason only on a complete answer.
        expect: "finishReason",
        wire: Wire::Upstream,
    };
    Ok((target, ua))
}

/// The two non-streaming client requests, against a proxy at `base`.
fn proxy_targets(base: &str) -> (Target, Target) {
    let openai = Target {
        name: "openai",
        url: format!("{base}/v1/chat/completions"),
        body: Bytes::from(
            json!({"model": "gemini-3-flash",
                   "messages": [{"role": "user", "content": "hello"}]})
            .to_string(),
        ),
        headers: headers(&[("authorization", "Bearer bench")]),
        expect: EXPECT,
        wire: Wire::OpenAi,
    };
    let anthropic = Target {
        name: "anthropic",
        url: format!("{base}/v1/messages"),
        body: Bytes::from(
            json!({"model": "claude-sonnet-4-6", "max_tokens": 1024,
                   "messages": [{"role": "user", "content": "hello"}]})
            .to_string(),
        ),
        headers: headers(&[("x-api-key", "bench"), ("anthropic-version", "2023-06-01")]),
        expect: EXPECT,
        wire: Wire::Anthropic,
    };
    (openai, anthropic)
}

/// Where the proxy's CPU goes, by switching parts off: the same requests through proxies started
/// with history capture off, then also with the per-request log line off, and through the
/// bare forwarder (`forward` mode: HTTP in, the same upstream call, HTTP out).
async fn attribution_phase(
    ctx: &mut Ctx,
    setup: &ProxySetup,
    direct_openai: &Target,
    token: &str,
) -> Result<(), String> {
    let (n1, n8, warm) = if ctx.quick {
        (200, 800, 100)
    } else {
        (1500, 4000, 300)
    };
    let _ = writeln!(
        ctx.md,
        "\n### Where the proxy's CPU goes\n\n\
         The same non-streaming requests ({n1} at 1 client, {n8} at 8) through fresh proxies \
         with parts switched off, and through a bare forwarder built on the same stack (axum + \
         reqwest, same client settings: HTTP in, replay the same upstream request, return the \
         upstream body; no parsing, translation, log line or history). CPU per request from \
         /proc/PID/stat.\n\n\
         | configuration | OpenAI, 1 client | OpenAI, 8 clients | Anthropic, 1 client | \
         Anthropic, 8 clients | OpenAI p50 / p99 at 1 client | OpenAI req/s at 8 clients |\n\
         | --- | --- | --- | --- | --- | --- | --- |"
    );
    let configs: [(&str, &[(&str, &str)]); 3] = [
        ("default (`history.capture = all`, log `info`)", &[]),
        (
            "`ANTI_API_HISTORY_CAPTURE=none`",
            &[("ANTI_API_HISTORY_CAPTURE", "none")],
        ),
        (
            "capture none + `ANTI_API_LOG=warn` (no access log line)",
            &[
                ("ANTI_API_HISTORY_CAPTURE", "none"),
                ("ANTI_API_LOG", "warn"),
            ],
        ),
    ];
    let mut rows = Vec::new();
    let measure = async |ctx: &mut Ctx, pid: u32, t: &Target, clients: usize, n: usize| {
        let before = cpu_secs(pid, ctx.ticks);
        let run = closed_loop(&ctx.client, t, clients, n, Duration::from_secs(60)).await;
        let cpu = cpu_since(pid, ctx.ticks, before).await;
        ctx.note_errors(&format!("{} x{clients}", t.name), &run);
        let per = cpu / run.latencies.len().max(1) as f64 * 1e6;
        let rps = run.rps();
        let lat = sorted(run.latencies);
        (per, rps, (percentile(&lat, 50.0), percentile(&lat, 99.0)))
    };
    for (label, env) in configs {
        let (mut p, port, _) = setup.serve_with(env)?;
        let pid = p.pid();
        let (o, a) = proxy_targets(&format!("http://127.0.0.1:{port}"));
        for t in [&o, &a] {
            let run = closed_loop(&ctx.client, t, 8, warm, Duration::from_secs(30)).await;
            ctx.note_errors(&format!("warm-up {label}"), &run);
        }
        let (o1, _, p50) = measure(ctx, pid, &o, 1, n1).await;
        let (o8, rps, _) = measure(ctx, pid, &o, 8, n8).await;
        let (a1, _, _) = measure(ctx, pid, &a, 1, n1).await;
        let (a8, _, _) = measure(ctx, pid, &a, 8, n8).await;
        let _ = writeln!(
            ctx.md,
            "| {label} | {o1:.0} µs | {o8:.0} µs | {a1:.0} µs | {a8:.0} µs | {} / {} ms | {rps:.0} |",
            ms(p50.0),
            ms(p50.1)
        );
        rows.push(
            json!({"config": label, "openai_c1_us": o1, "openai_c8_us": o8,
            "anthropic_c1_us": a1, "anthropic_c8_us": a8, "openai_c8_rps": rps,
            "openai_c1_p50_ms": p50.0.as_secs_f64() * 1e3,
            "openai_c1_p99_ms": p50.1.as_secs_f64() * 1e3}),
        );
        p.stop();
    }
    // The bare forwarder, replaying the OpenAI request's upstream body.
    let body_file = setup.home.join("upstream-openai.json");
    std::fs::write(&body_file, &direct_openai.body).map_err(|e| e.to_string())?;
    let ua = direct_openai
        .headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("antigravity/bench")
        .to_owned();
    let (mut fwd, base) = start_helper(
        setup.pinned,
        PROXY_CORE,
        &[
            "forward",
            &direct_openai.url,
            token,
            &ua,
            &body_file.to_string_lossy(),
        ],
    )?;
    let t = Target {
        name: "forwarder",
        url: format!("{base}/forward"),
        body: Bytes::new(),
        headers: headers(&[]),
        expect: "finishReason",
        wire: Wire::Upstream,
    };
    let pid = fwd.pid();
    let run = closed_loop(&ctx.client, &t, 8, warm, Duration::from_secs(30)).await;
    ctx.note_errors("warm-up forwarder", &run);
    let (f1, _, p50) = measure(ctx, pid, &t, 1, n1).await;
    let (f8, rps, _) = measure(ctx, pid, &t, 8, n8).await;
    let d = closed_loop(&ctx.client, direct_openai, 1, n1, Duration::from_secs(30)).await;
    let dl = sorted(d.latencies);
    let (d50, d99) = (percentile(&dl, 50.0), percentile(&dl, 99.0));
    let _ = writeln!(
        ctx.md,
        "| bare forwarder (axum + reqwest, no work) | {f1:.0} µs | {f8:.0} µs | — | — | {} / {} ms \
         | {rps:.0} |\n| (direct to the simulator, no proxy) | — | — | — | — | {} / {} ms | — |",
        ms(p50.0),
        ms(p50.1),
        ms(d50),
        ms(d99),
    );
    rows.push(
        json!({"config": "forwarder", "openai_c1_us": f1, "openai_c8_us": f8,
        "openai_c8_rps": rps, "openai_c1_p50_ms": p50.0.as_secs_f64() * 1e3,
        "openai_c1_p99_ms": p50.1.as_secs_f64() * 1e3,
        "direct_c1_p50_ms": d50.as_secs_f64() * 1e3, "direct_c1_p99_ms": d99.as_secs_f64() * 1e3}),
    );
    fwd.stop();
    ctx.json
        .insert("cpu_attribution".into(), Value::Array(rows));
    Ok(())
}

fn streaming(t: &Target) -> Target {
    let mut body: Value = serde_json::from_slice(&t.body).expect("json");
    body["stream"] = json!(true);
    Target {
        body: Bytes::from(body.to_string()),
        ..t.clone()
    }
}

fn direct_streaming(t: &Target) -> Target {
    t.clone()
}

/// The same request with `text` as the user message (directives steer the simulator).
fn with_text(t: &Target, text: &str) -> Target {
    let mut body: Value = serde_json::from_slice(&t.body).expect("json");
    match t.wire {
        Wire::Upstream => {
            body["request"]["contents"][0]["parts"][0]["text"] = json!(text);
        }
        Wire::OpenAi | Wire::Anthropic => {
            body["messages"][0]["content"] = json!(text);
        }
    }
    Target {
        body: Bytes::from(body.to_string()),
        ..t.clone()
    }
}

async fn latency_phase(ctx: &mut Ctx, pid: u32, pairs: &[(&Target, &Target, &str)]) {
    let rounds = if ctx.quick { 1 } else { 3 };
    let _ = writeln!(
        ctx.md,
        "\n### Non-streaming: added latency and CPU per request\n\n\
         Closed loop, keep-alive; \"direct\" replays the proxy's own upstream request (same body, \
         same headers) straight to the simulator, so the difference is what the proxy adds. \
         Rounds alternate direct and proxied ({rounds} rounds). CPU is the proxy process's \
         utime+stime over all proxied requests of the row (/proc/PID/stat).\n\n\
         | API | clients | requests | direct p50 / p99 (ms) | proxied p50 / p99 (ms) | \
         added p50 / p99 (ms) | proxy CPU per request |\n\
         | --- | --- | --- | --- | --- | --- | --- |"
    );
    let mut rows = Vec::new();
    for &clients in &[1usize, 8] {
        for (direct, proxied, label) in pairs {
            let per_round = match (ctx.quick, clients) {
                (true, 1) => 200,
                (true, _) => 800,
                (false, 1) => 700,
                (false, _) => 2400,
            };
            let mut d = Run::default();
            let mut p = Run::default();
            let mut cpu = 0.0;
            for _ in 0..rounds {
                let run = closed_loop(
                    &ctx.client,
                    direct,
                    clients,
                    per_round,
                    Duration::from_secs(30),
                )
                .await;
                ctx.note_errors(direct.name, &run);
                d.merge(run);
                let before = cpu_secs(pid, ctx.ticks);
                let run = closed_loop(
                    &ctx.client,
                    proxied,
                    clients,
                    per_round,
                    Duration::from_secs(30),
                )
                .await;
                cpu += cpu_since(pid, ctx.ticks, before).await;
                ctx.note_errors(proxied.name, &run);
                p.merge(run);
            }
            let n = p.latencies.len();
            let ds = sorted(d.latencies);
            let ps = sorted(p.latencies);
            let (d50, d99, p50, p99) = (
                percentile(&ds, 50.0),
                percentile(&ds, 99.0),
                percentile(&ps, 50.0),
                percentile(&ps, 99.0),
            );
            let cpu_us = cpu / n.max(1) as f64 * 1e6;
            let _ = writeln!(
                ctx.md,
                "| {label} | {clients} | {n} | {} / {} | {} / {} | {} / {} | {cpu_us:.0} µs |",
                ms(d50),
                ms(d99),
                ms(p50),
                ms(p99),
                signed_ms(p50, d50),
                signed_ms(p99, d99),
            );
            rows.push(json!({"api": label, "clients": clients, "requests": n,
                "direct_p50_ms": d50.as_secs_f64()*1e3, "direct_p99_ms": d99.as_secs_f64()*1e3,
                "proxied_p50_ms": p50.as_secs_f64()*1e3, "proxied_p99_ms": p99.as_secs_f64()*1e3,
                "cpu_us_per_request": cpu_us}));
        }
    }
    ctx.json.insert("latency".into(), Value::Array(rows));
}

async fn throughput_phase(ctx: &mut Ctx, pid: u32, targets: &[&Target]) {
    let wall = if ctx.quick {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(4)
    };
    let _ = writeln!(
        ctx.md,
        "\n### Throughput (non-streaming requests per second)\n\n\
         Closed loop for {} s per cell. The load generator and the simulator share one core, so \
         \"direct\" is the ceiling of the rig itself; the proxy's own core use during the cell is \
         shown beside (100% = the proxy saturates its core). CPU per request includes work the \
         proxy finished after the cell (the history writer catching up): it is read once the \
         proxy is idle again.\n\n\
         | clients | target | req/s | vs direct | proxy CPU during the cell (of 1 core) | proxy CPU per request |\n\
         | --- | --- | --- | --- | --- | --- |",
        wall.as_secs()
    );
    let mut rows = Vec::new();
    for &clients in &[1usize, 8, 64] {
        let mut direct_rps = 0.0;
        for t in targets {
            let before = cpu_secs(pid, ctx.ticks);
            let run = closed_loop(&ctx.client, t, clients, usize::MAX, wall).await;
            let in_window = cpu_secs(pid, ctx.ticks) - before;
            let cpu = cpu_since(pid, ctx.ticks, before).await;
            ctx.note_errors(&format!("{} x{clients}", t.name), &run);
            let rps = run.rps();
            let is_direct = t.wire == Wire::Upstream;
            if is_direct {
                direct_rps = rps;
                let _ = writeln!(ctx.md, "| {clients} | {} | {rps:.0} | — | — | — |", t.name);
            } else {
                let util = in_window / run.wall.as_secs_f64() * 100.0;
                let per = cpu / run.latencies.len().max(1) as f64 * 1e6;
                let _ = writeln!(
                    ctx.md,
                    "| {clients} | {} (proxied) | {rps:.0} | {:.2}× | {util:.0}% | {per:.0} µs |",
                    t.name,
                    rps / direct_rps.max(1e-9),
                );
            }
            rows.push(json!({"clients": clients, "target": t.name, "rps": rps,
                "proxy_cpu_s": if is_direct { Value::Null } else { json!(cpu) },
                "requests": run.latencies.len(), "errors": run.errors}));
        }
    }
    ctx.json.insert("throughput".into(), Value::Array(rows));
}

/// Per content-event index: the median arrival offset over runs.
fn per_chunk_medians(traces: &[Trace]) -> Vec<Duration> {
    let len = traces.iter().map(|t| t.chunks.len()).min().unwrap_or(0);
    (0..len)
        .map(|i| {
            let v = sorted(traces.iter().map(|t| t.chunks[i]).collect());
            percentile(&v, 50.0)
        })
        .collect()
}

async fn paced_phase(ctx: &mut Ctx, pairs: &[(&Target, &Target, &str)]) -> Result<(), String> {
    let pace_ms = 25;
    let runs = if ctx.quick { 5 } else { 25 };
    ctx.set_chunk_delay(pace_ms).await?;
    let _ = writeln!(
        ctx.md,
        "\n### Streaming: delay added to a paced stream\n\n\
         The simulator paces its events {pace_ms} ms apart; {runs} streams per row, direct and \
         proxied alternating. Each content event's arrival is timed from the request's send; \
         \"added\" is the proxied median minus the direct median for the same event index \
         (first token = first text event; per chunk = over all later events).\n\n\
         | API | events | first token: direct / proxied (ms) | added to first token | \
         added per chunk: median / max (ms) | gaps (median, ms): direct / proxied |\n\
         | --- | --- | --- | --- | --- | --- |"
    );
    let mut rows = Vec::new();
    for (direct, proxied, label) in pairs {
        let mut dt = Vec::new();
        let mut pt = Vec::new();
        for _ in 0..runs {
            for (t, out) in [(direct, &mut dt), (proxied, &mut pt)] {
                match stream_once(&ctx.client, t).await {
                    Ok(trace) if trace.terminal && !trace.chunks.is_empty() => out.push(trace),
                    Ok(_) => ctx.problems.push(format!(
                        "{}: a stream ended without its terminal event",
                        t.name
                    )),
                    Err(e) => ctx.problems.push(e),
                }
            }
        }
        let dm = per_chunk_medians(&dt);
        let pm = per_chunk_medians(&pt);
        let n = dm.len().min(pm.len());
        if n == 0 {
            return Err(format!("{label}: no complete streams"));
        }
        if dm.len() != pm.len() {
            ctx.problems.push(format!(
                "{label}: {} text events direct vs {} proxied; compared the first {n}",
                dm.len(),
                pm.len()
            ));
        }
        let added: Vec<f64> = (1..n)
            .map(|i| pm[i].as_secs_f64() - dm[i].as_secs_f64())
            .collect();
        let first_added = pm[0].as_secs_f64() - dm[0].as_secs_f64();
        let gaps = |m: &[Duration]| {
            median_f(
                m.windows(2)
                    .map(|w| w[1].checked_sub(w[0]).unwrap().as_secs_f64())
                    .collect(),
            )
        };
        let max_added = added.iter().copied().fold(f64::MIN, f64::max);
        let _ = writeln!(
            ctx.md,
            "| {label} | {n} | {} / {} | {:+.3} ms | {:+.3} / {:+.3} | {:.3} / {:.3} |",
            ms(dm[0]),
            ms(pm[0]),
            first_added * 1e3,
            median_f(added.clone()) * 1e3,
            if added.is_empty() {
                0.0
            } else {
                max_added * 1e3
            },
            gaps(&dm[..n]) * 1e3,
            gaps(&pm[..n]) * 1e3,
        );
        rows.push(json!({"api": label, "events": n, "pace_ms": pace_ms,
            "first_token_added_ms": first_added * 1e3,
            "per_chunk_added_median_ms": median_f(added.clone()) * 1e3,
            "per_chunk_added_max_ms": if added.is_empty() { 0.0 } else { max_added * 1e3 }}));
    }
    ctx.set_chunk_delay(0).await?;
    ctx.json.insert("paced_stream".into(), Value::Array(rows));
    Ok(())
}

/// How many streams the held-open phase opens (`BENCH_STREAMS` overrides).
fn held_streams(quick: bool) -> usize {
    std::env::var("BENCH_STREAMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 200 } else { 1000 })
}

async fn held_streams_phase(
    ctx: &mut Ctx,
    pid: u32,
    openai: &Target,
    anthropic: &Target,
) -> Result<(), String> {
    let total = held_streams(ctx.quick);
    // 60 text events 150 ms apart: each stream lasts about 9 s, long enough to hold them all.
    let text = "hold this open [[sim:slow]] [[sim:long]]";
    let targets = [with_text(openai, text), with_text(anthropic, text)];
    // Its own client: its 1,000 connections close when the phase ends.
    let client = load_client();
    let fds_before = fd_count(pid);
    let rss_before = rss_kib(pid);
    let overflows_before = listen_overflows();
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total);
    for i in 0..total {
        let (client, t) = (client.clone(), targets[i % 2].clone());
        tasks.push(tokio::spawn(async move {
            let r = stream_once(&client, &t).await;
            (r, started.elapsed())
        }));
    }
    // Watch the open count on both sides while they run.
    let mut peak_open = 0;
    let mut peak_fds = 0;
    let mut all_open_at = None;
    let watch_deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < watch_deadline && !tasks.iter().all(tokio::task::JoinHandle::is_finished)
    {
        let open = ctx
            .sim_stats()
            .await
            .ok()
            .and_then(|s| s["open_streams"].as_u64())
            .unwrap_or(0);
        peak_open = peak_open.max(open);
        peak_fds = peak_fds.max(fd_count(pid));
        if all_open_at.is_none() && open >= total as u64 {
            all_open_at = Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut ok = 0;
    let mut first_tokens = Vec::new();
    let mut events = Vec::new();
    for task in tasks {
        match task.await {
            Ok((Ok(trace), _)) if trace.terminal => {
                ok += 1;
                first_tokens.push(trace.chunks.first().copied().unwrap_or_default());
                events.push(trace.chunks.len() as f64);
            }
            Ok((Ok(_), _)) => ctx
                .problems
                .push("a held stream ended without its terminal event".into()),
            Ok((Err(e), _)) => ctx.problems.push(format!("held stream: {e}")),
            Err(e) => ctx.problems.push(format!("held stream task: {e}")),
        }
    }
    let wall = started.elapsed();
    // The proxy must have let go of every upstream stream.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let open_after = ctx.sim_stats().await?["open_streams"]
        .as_u64()
        .unwrap_or(u64::MAX);
    let fds_after = fd_count(pid);
    let overflows = listen_overflows().saturating_sub(overflows_before);
    let first = sorted(first_tokens);
    let _ = writeln!(
        ctx.md,
        "\n### {total} concurrent streams held open at once\n\n\
         Half OpenAI, half Anthropic, each 60 text events 150 ms apart (about 9 s), all started \
         together.\n\n\
         | completed with terminal event | peak open upstream streams (simulator) | all open after | \
         first token p50 / p99 | proxy fds before / peak / after | open upstream after | \
         listen-queue overflows (host) | RSS before |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- |\n\
         | {ok} / {total} | {peak_open} | {} | {} / {} ms | {fds_before} / {peak_fds} / {fds_after} | \
         {open_after} | {overflows} | {} MiB |",
        all_open_at.map_or_else(|| "never".to_owned(), |d| format!("{} ms", ms(d))),
        ms(percentile(&first, 50.0)),
        ms(percentile(&first, 99.0)),
        mib(rss_before),
    );
    ctx.json.insert(
        "held_streams".into(),
        json!({"total": total, "completed": ok, "peak_open_upstream": peak_open,
               "all_open_after_ms": all_open_at.map(|d| d.as_secs_f64() * 1e3),
               "wall_s": wall.as_secs_f64(), "fds_before": fds_before, "fds_peak": peak_fds,
               "fds_after": fds_after, "open_upstream_after": open_after,
               "listen_overflows": overflows,
               "events_per_stream_median": median_f(events)}),
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// LiteLLM

async fn litellm_phase(
    ctx: &mut Ctx,
    pinned: bool,
    launcher: &Path,
    anti_openai: &Target,
    anti_pid: u32,
) -> Result<(), String> {
    let port = free_port();
    let started = Instant::now();
    let mut cmd = if pinned {
        let mut c = Command::new("taskset");
        c.arg("-c").arg(PROXY_CORE.to_string()).arg("bash");
        c
    } else {
        Command::new("bash")
    };
    let log = std::fs::File::create(ctx_log_path("litellm.log")).map_err(|e| e.to_string())?;
    let child = cmd
        .arg(launcher)
        .arg(port.to_string())
        .arg(&ctx.sim)
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .spawn()
        .map_err(|e| format!("{}: {e}", launcher.display()))?;
    let mut lite = Proc { child };
    let lpid = lite.pid();
    let listening = wait_listening(port, started, Duration::from_secs(180))?;
    let base = format!("http://127.0.0.1:{port}");
    let target = Target {
        name: "litellm",
        url: format!("{base}/v1/chat/completions"),
        body: anti_openai.body.clone(),
        headers: headers(&[("authorization", &format!("Bearer {LITELLM_KEY}"))]),
        expect: EXPECT,
        wire: Wire::OpenAi,
    };
    // Ready = the first completion through it.
    let ready_deadline = Instant::now() + Duration::from_secs(60);
    let ready = loop {
        match once(&ctx.client, &target).await {
            Ok(_) => break started.elapsed(),
            Err(e) if Instant::now() > ready_deadline => {
                return Err(format!("LiteLLM never answered: {e}"));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    let envelope = ctx.last_upstream_request().await?;
    let direct = Target {
        name: "direct public Gemini",
        url: format!("{}/v1beta/models/gemini-3-flash:generateContent", ctx.sim),
        body: Bytes::from(envelope["request"].to_string()),
        headers: headers(&[("x-goog-api-key", "sim-key")]),
        // Upstream text comes in pieces; the finish reason only on a complete answer.
        expect: "finishReason",
        wire: Wire::Upstream,
    };
    let warm = if ctx.quick { 30 } else { 200 };
    let run = closed_loop(&ctx.client, &target, 8, warm, Duration::from_secs(60)).await;
    ctx.note_errors("warm-up litellm", &run);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let lite_idle = rss_kib(lpid);

    // Latency: LiteLLM and our proxy against their own direct baselines.
    let _ = writeln!(
        ctx.md,
        "\n### Side by side with LiteLLM proxy\n\n\
         LiteLLM (`litellm[proxy]`, see `scripts/litellm/`) on the same core the proxy had, \
         translating the same OpenAI request to Gemini through the simulator's public \
         `v1beta` route; anti-api-tui serves the same request through `v1internal`. Both run \
         one process with their default logging. Cells alternate between the two. \
         LiteLLM start-up: listening after {} ms, first completion after {} ms.\n\n\
         | clients | LiteLLM req/s | anti-api-tui req/s | ratio | LiteLLM CPU/req | \
         anti-api-tui CPU/req | ratio | LiteLLM p50 / p99 (ms) | anti-api-tui p50 / p99 (ms) |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ms(listening),
        ms(ready),
    );
    let wall = if ctx.quick {
        Duration::from_secs(2)
    } else {
        Duration::from_secs(6)
    };
    let mut rows = Vec::new();
    let mut lite_peak = lite_idle;
    for &clients in &[1usize, 8, 64] {
        let before = cpu_secs(lpid, ctx.ticks);
        let (lrun, peak) = with_peak_rss(
            lpid,
            closed_loop(&ctx.client, &target, clients, usize::MAX, wall),
        )
        .await;
        let lcpu = cpu_since(lpid, ctx.ticks, before).await;
        lite_peak = lite_peak.max(peak);
        ctx.note_errors(&format!("litellm x{clients}"), &lrun);
        let before = cpu_secs(anti_pid, ctx.ticks);
        let arun = closed_loop(&ctx.client, anti_openai, clients, usize::MAX, wall).await;
        let acpu = cpu_since(anti_pid, ctx.ticks, before).await;
        ctx.note_errors(&format!("anti-api-tui x{clients}"), &arun);
        let (lr, ar) = (lrun.rps(), arun.rps());
        let lper = lcpu / lrun.latencies.len().max(1) as f64 * 1e6;
        let aper = acpu / arun.latencies.len().max(1) as f64 * 1e6;
        let ls = sorted(lrun.latencies);
        let as_ = sorted(arun.latencies);
        let _ = writeln!(
            ctx.md,
            "| {clients} | {lr:.0} | {ar:.0} | {:.1}× | {lper:.0} µs | {aper:.0} µs | {:.1}× less | \
             {} / {} | {} / {} |",
            ar / lr.max(1e-9),
            lper / aper.max(1e-9),
            ms(percentile(&ls, 50.0)),
            ms(percentile(&ls, 99.0)),
            ms(percentile(&as_, 50.0)),
            ms(percentile(&as_, 99.0)),
        );
        rows.push(
            json!({"clients": clients, "litellm_rps": lr, "anti_rps": ar,
            "litellm_cpu_us": lper, "anti_cpu_us": aper,
            "litellm_p50_ms": percentile(&ls, 50.0).as_secs_f64() * 1e3,
            "anti_p50_ms": percentile(&as_, 50.0).as_secs_f64() * 1e3}),
        );
    }
    // LiteLLM's own added latency over its upstream call, single client.
    let n = if ctx.quick { 100 } else { 400 };
    let d = closed_loop(&ctx.client, &direct, 1, n, Duration::from_secs(30)).await;
    let l = closed_loop(&ctx.client, &target, 1, n, Duration::from_secs(60)).await;
    ctx.note_errors("direct public gemini", &d);
    let (ds, ls) = (sorted(d.latencies), sorted(l.latencies));
    let _ = writeln!(
        ctx.md,
        "\nLiteLLM's added latency at 1 client: direct public Gemini p50 {} ms, through LiteLLM \
         {} ms ({} ms added). LiteLLM RSS: {} MiB idle after warm-up, {} MiB peak under load \
         (anti-api-tui: see Memory).",
        ms(percentile(&ds, 50.0)),
        ms(percentile(&ls, 50.0)),
        signed_ms(percentile(&ls, 50.0), percentile(&ds, 50.0)),
        mib(lite_idle),
        mib(lite_peak),
    );
    ctx.json.insert(
        "litellm".into(),
        json!({"rows": rows, "startup_listening_ms": listening.as_secs_f64() * 1e3,
               "startup_ready_ms": ready.as_secs_f64() * 1e3, "rss_idle_kib": lite_idle,
               "rss_peak_kib": lite_peak}),
    );
    lite.stop();
    Ok(())
}

fn ctx_log_path(name: &str) -> PathBuf {
    let dir = std::env::var_os("BENCH_OUT").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench"),
        PathBuf::from,
    );
    let _ = std::fs::create_dir_all(&dir);
    dir.join(name)
}
