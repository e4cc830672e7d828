//! Where the proxy listens: loopback by default; any other address is refused at start-up
//! unless an API key is set, whichever way the host is given (flag, environment, config file).

use std::time::Duration;

use anti_api_tui::config::Config;
use anti_api_tui::startup::check_bind;

use super::binary::{self, command};

#[test]
fn loopback_is_the_default() {
    let config = Config::default();
    assert_eq!(config.server.host, "127.0.0.1");
    assert_eq!(config.server.api_key, None);
    assert!(check_bind(&config).unwrap().ip().is_loopback());
}

/// Runs `serve` with the given extra arguments, environment and config file; it must exit
/// (quickly, without listening) with a message that says how to allow it.
fn assert_refused(args: &[&str], env: &[(&str, &str)], config_toml: Option<&str>) {
    let home = tempfile::tempdir().unwrap();
    if let Some(text) = config_toml {
        std::fs::write(home.path().join("config.toml"), text).unwrap();
    }
    let mut cmd = command(home.path());
    cmd.arg("serve").args(args);
    for (key, value) in env {
        cmd.env(key, value);
    }
    let out = binary::run(cmd, Duration::from_secs(20));
    let status = out
        .status
        .unwrap_or_else(|| panic!("{args:?} {env:?}: still running, so it listened"));
    assert!(!status.success(), "{args:?} {env:?}: exited 0");
    assert!(
        out.stderr.contains("refusing to listen on") && out.stderr.contains("ANTI_API_KEY"),
        "{args:?} {env:?}: {}",
        out.stderr
    );
    assert!(!out.stderr.contains("listening on http"), "{}", out.stderr);
}

#[test]
fn a_non_loopback_bind_is_refused_without_an_api_key() {
    assert_refused(&["--host", "0.0.0.0", "--port", "0"], &[], None);
    assert_refused(&["--host", "::", "--port", "0"], &[], None);
    // A documentation address: refused before any attempt to bind it.
    assert_refused(&["--host", "192.0.2.7", "--port", "0"], &[], None);
    assert_refused(&["--port", "0"], &[("ANTI_API_HOST", "0.0.0.0")], None);
    // An empty key is no key, from the environment or the file.
    assert_refused(
        &["--port", "0"],
        &[("ANTI_API_HOST", "0.0.0.0"), ("ANTI_API_KEY", "")],
        None,
    );
    assert_refused(
        &["--port", "0"],
        &[],
        Some("[server]\nhost = \"0.0.0.0\"\napi_key = \"\"\n"),
    );
}

#[test]
fn the_bind_check_accepts_loopback_spellings_and_keyed_public_binds() {
    let mut config = Config::default();
    for host in ["127.0.0.1", "localhost", "::1", "[::1]", "127.8.9.10"] {
        config.server.host = host.into();
        let addr = check_bind(&config).unwrap_or_else(|e| panic!("{host}: {e}"));
        assert!(addr.ip().is_loopback(), "{host}");
    }
    for host in ["0.0.0.0", "::", "10.1.2.3", "192.168.1.1"] {
        config.server.host = host.into();
        config.server.api_key = None;
        assert!(check_bind(&config).is_err(), "{host} without a key");
        config.server.api_key = Some("k".into());
        assert!(check_bind(&config).is_ok(), "{host} with a key");
    }
    config.server.api_key = None;
    config.server.host = "localhost.evil.example".into();
    assert!(
        check_bind(&config).is_err(),
        "names other than localhost are refused"
    );
}
