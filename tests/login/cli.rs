//! `anti-api-tui --demo login` as a user runs it: the binary prints the prompt, takes the
//! redirect URL pasted on stdin, and stores the account under the demo data directory.

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::support::approve_elsewhere;

struct Cli {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Cli {
    fn start(home: &std::path::Path, args: &[&str]) -> Self {
        // Any free callback port, never the real 51121–51131.
        std::fs::write(home.join("config.toml"), "[google]\ncallback_ports = [0]\n").unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_anti-api-tui"));
        command
            .arg("--home")
            .arg(home)
            .args(["--demo", "login", "--no-browser"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("ANTI_API_") {
                command.env_remove(key);
            }
        }
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The first line (from now on) that satisfies `pred`.
    fn wait_for(&mut self, pred: impl Fn(&str) -> bool) -> String {
        loop {
            match self.lines.recv_timeout(Duration::from_secs(30)) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if pred(&line) {
                        return line;
                    }
                }
                Err(e) => panic!("{e}; output so far:\n{}", self.seen.join("\n")),
            }
        }
    }

    fn finish(mut self) -> (bool, String) {
        let output = self.child.wait_with_output().unwrap();
        self.seen.extend(self.lines.try_iter());
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}

#[tokio::test]
async fn login_prints_the_prompt_takes_a_pasted_redirect_and_stores_the_account() {
    let home = tempfile::tempdir().unwrap();
    let mut cli = Cli::start(home.path(), &["--timeout", "60"]);
    let url = cli
        .wait_for(|l| l.trim_start().starts_with("http") && l.contains("/o/oauth2/v2/auth?"))
        .trim()
        .to_owned();
    cli.wait_for(|l| l.starts_with("Short link"));
    // The QR code is drawn in half blocks.
    cli.wait_for(|l| l.contains('▀') || l.contains('▄'));
    cli.wait_for(|l| l.contains("ssh -L"));
    let redirect = approve_elsewhere(&url).await;
    let stdin = cli.child.stdin.as_mut().unwrap();
    writeln!(stdin, "{redirect}").unwrap();
    stdin.flush().unwrap();
    let last = cli.wait_for(|l| l.starts_with("logged in as"));
    assert!(
        last.starts_with("logged in as sim-user@example.com (account ")
            && last.ends_with(", project sim-project-sim-user)"),
        "{last}"
    );
    let (ok, stderr) = cli.finish();
    assert!(ok, "{stderr}");
    let stored = home.path().join("data/demo/accounts.json");
    let text = std::fs::read_to_string(&stored).unwrap();
    assert!(text.contains("sim-project-sim-user"), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&stored).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    assert!(
        !home.path().join("data/accounts.json").exists(),
        "demo stays apart"
    );
}

#[tokio::test]
async fn login_that_times_out_exits_with_the_reason() {
    let home = tempfile::tempdir().unwrap();
    let cli = Cli::start(home.path(), &["--timeout", "1"]);
    let (ok, stderr) = cli.finish();
    assert!(!ok);
    assert!(
        stderr.contains("error: the login timed out after 1 s"),
        "{stderr}"
    );
}
