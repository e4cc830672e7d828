//! A terminal that hangs up without a signal (an SSH session dropped under a multiplexer, a
//! closed pseudo-terminal that was not the controlling one): the console notices within about a
//! second and shuts down cleanly instead of spinning on end-of-file or panicking while printing
//! to the dead terminal. Driven by `hangup.py` (Python's `pty`: no Rust pty crate here).

use std::process::Command;

#[test]
fn a_terminal_that_hangs_up_closes_the_console_cleanly() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/console/hangup.py"
        ))
        .arg(env!("CARGO_BIN_EXE_anti-api-tui"))
        .arg(home.path())
        .env_remove("ANTI_API_LOG")
        .output()
        .expect("python3 runs (the conformance suite needs it too)");
    let report = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let words: Vec<&str> = report.split_whitespace().collect();
    let ["exited", code, seconds] = words[..] else {
        panic!("the console did not exit after its terminal hung up: {report} {stderr}");
    };
    assert_eq!(code, "0", "a clean exit, not a panic (101): {report}");
    let seconds: f64 = seconds.parse().unwrap();
    assert!(seconds < 10.0, "took {seconds} s");
    let log = std::fs::read_dir(home.path().join("logs"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect::<String>();
    assert!(log.contains("the terminal went away"), "{log}");
}
