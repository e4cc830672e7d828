//! Running the real binary: one-shot commands with a deadline, and `serve` as a child process
//! whose address is read from its log and whose stderr is kept for inspection.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// The binary pointed at a simulator at `base` (token, userinfo, Cloud Code and updater
/// manifest URLs), with per-account pacing off so a test's load is not queued behind the 250 ms
/// spacing.
pub fn against_simulator(home: &Path, base: &str) -> Command {
    let mut cmd = command(home);
    cmd.env("ANTI_API_GOOGLE_TOKEN_URL", format!("{base}/token"))
        .env(
            "ANTI_API_GOOGLE_USERINFO_URL",
            format!("{base}/oauth2/v2/userinfo"),
        )
        .env("ANTI_API_ANTIGRAVITY_ENDPOINTS", base)
        .env(
            "ANTI_API_ANTIGRAVITY_MANIFEST_URL",
            format!("{base}/manifest/latest-arm64-mac.yml"),
        )
        .env("ANTI_API_ACCOUNT_MIN_INTERVAL_MS", "0")
        .env("ANTI_API_ACCOUNT_MAX_CONCURRENCY", "0");
    cmd
}

/// `accounts add --refresh-token sim-refresh-NAME` for each name, through `make` (a command
/// already pointed at the simulator, which knows those tokens); panics on a failure.
pub async fn add_accounts(make: impl Fn() -> Command, names: &[&str]) {
    for name in names {
        let mut add = make();
        add.args([
            "accounts",
            "add",
            "--refresh-token",
            &format!("sim-refresh-{name}"),
        ]);
        let out = tokio::task::spawn_blocking(move || run(add, Duration::from_secs(60)))
            .await
            .unwrap();
        assert!(out.status.is_some_and(|s| s.success()), "{}", out.stderr);
    }
}

/// The binary with `--home HOME` and none of the caller's `ANTI_API_*` settings.
pub fn command(home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_anti-api-tui"));
    command.arg("--home").arg(home);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("ANTI_API_") {
            command.env_remove(key);
        }
    }
    command
}

pub struct Output {
    /// `None` when it had to be killed at the deadline.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs to completion, or kills it after `deadline`.
pub fn run(mut command: Command, deadline: Duration) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = drain(child.stdout.take().unwrap());
    let stderr = drain(child.stderr.take().unwrap());
    let status = wait_until(&mut child, deadline);
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

fn drain(mut pipe: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Polls (every 10 ms) until the child exits or `deadline` passes.
pub fn wait_until(child: &mut Child, deadline: Duration) -> Option<ExitStatus> {
    let end = Instant::now() + deadline;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if Instant::now() >= end {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `anti-api-tui serve` in the background; killed (SIGKILL) on drop if still running.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`, from its "listening on" log line.
    pub base: String,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Spawns `command` (a `serve` with `--port 0`) and waits for it to listen.
    pub fn start(mut command: Command) -> Self {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pipe = child.stderr.take().unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let kept = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if let Some(at) = line.find("listening on http://") {
                    let _ = tx.send(line[at + "listening on ".len()..].trim().to_owned());
                }
                let mut kept = kept.lock().unwrap();
                kept.push_str(&line);
                kept.push('\n');
            }
        });
        let Ok(base) = rx.recv_timeout(Duration::from_secs(30)) else {
            let _ = child.kill();
            panic!("serve did not start: {}", stderr.lock().unwrap());
        };
        Self {
            child,
            base,
            stderr,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything it wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends a signal with `kill(1)`.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .unwrap();
        assert!(status.success(), "kill -{name} failed");
    }

    /// SIGTERM, then waits (bounded) for the exit.
    pub fn terminate(&mut self, deadline: Duration) -> Option<ExitStatus> {
        self.signal("TERM");
        wait_until(&mut self.child, deadline)
    }

    /// Waits (bounded) for the process to exit by itself.
    pub fn wait(&mut self, deadline: Duration) -> Option<ExitStatus> {
        wait_until(&mut self.child, deadline)
    }

    /// SIGKILL, and reaps it.
    pub fn kill9(&mut self) {
        self.signal("KILL");
        let _ = self.child.wait();
    }

    pub fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
