//! The state-reporting commands (`accounts list`, `route`, `quota`) against a data dir the
//! running instance would have written: real binary, no network.

use std::process::Command;

use anti_api_tui::accounts::{AccountPool, AccountRecord, ModelQuota};
use anti_api_tui::config::AccountsConfig;
use anti_api_tui::events::Bus;
use anti_api_tui::paths::Paths;
use serde_json::Value;

fn run(home: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_anti-api-tui"))
        .arg("--home")
        .arg(home)
        .args(args)
        .env_remove("ANTI_API_TUI_HOME")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn seeded_home() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    let pool =
        AccountPool::load(paths.accounts_file(), AccountsConfig::default(), Bus::new()).unwrap();
    let now = chrono::Utc::now();
    let mut a = AccountRecord::new("alice@example.com", "1//secret-refresh-token", now);
    a.project = Some("proj-a".into());
    a.quota.insert(
        "gemini-3-flash".into(),
        ModelQuota {
            remaining_fraction: 0.4,
            reset_time: Some(now + chrono::Duration::hours(2)),
        },
    );
    pool.upsert(a).unwrap();
    pool.upsert(AccountRecord::new("bob@example.com", "1//other", now))
        .unwrap();
    let alice = pool.snapshot()[0].id.clone();
    pool.cool(
        &alice,
        "claude-sonnet-4-6",
        now + chrono::Duration::minutes(20),
        "RATE_LIMIT_EXCEEDED",
    );
    pool.save_now().unwrap();
    (dir, alice)
}

#[test]
fn route_json_explains_skips() {
    let (home, alice) = seeded_home();
    let (ok, out, err) = run(home.path(), &["route", "claude-sonnet-4-6", "--json"]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let candidates = v["candidates"].as_array().unwrap();
    let skipped = candidates
        .iter()
        .find(|c| c["account"] == alice.as_str())
        .unwrap();
    assert_eq!(skipped["usable"], false);
    assert!(
        skipped["skipped"]
            .as_str()
            .unwrap()
            .contains("RATE_LIMIT_EXCEEDED"),
        "{skipped}"
    );
    assert!(candidates.iter().any(|c| c["usable"] == true));
    let (ok, out, _) = run(home.path(), &["route", "opus", "--json"]);
    assert!(ok);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["flow"], "opus");
    let (ok, _, err) = run(home.path(), &["route", "llama-3.3-70b"]);
    assert!(!ok);
    assert!(err.contains("unknown model 'llama-3.3-70b'"), "{err}");
    let (ok, text, err) = run(home.path(), &["route", "gpt-4o"]);
    assert!(ok, "{err}");
    assert!(
        text.contains("gpt-4o → claude-sonnet-4-6 (the default openai model)"),
        "{text}"
    );
}

#[test]
fn quota_json_has_fractions_resets_and_cooldowns() {
    let (home, _) = seeded_home();
    let (ok, out, err) = run(home.path(), &["quota", "--json"]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let alice = v
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["email"] == "alice@example.com")
        .unwrap();
    let flash = &alice["models"][0];
    assert_eq!(flash["model"], "gemini-3-flash");
    assert!((flash["remaining_fraction"].as_f64().unwrap() - 0.4).abs() < 1e-9);
    assert!(flash["reset_time"].is_string());
    assert_eq!(alice["cooldowns"][0]["reason"], "RATE_LIMIT_EXCEEDED");
    assert!(alice["cooldowns"][0]["until"].is_string());
    let (ok, text, _) = run(home.path(), &["quota"]);
    assert!(ok);
    assert!(text.contains("40%") && text.contains("resets in"), "{text}");
}

#[test]
fn accounts_list_json_never_shows_tokens() {
    let (home, _) = seeded_home();
    let (ok, out, err) = run(home.path(), &["accounts", "list", "--json"]);
    assert!(ok, "{err}");
    assert!(
        !out.contains("secret-refresh-token") && !out.contains("1//"),
        "{out}"
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    let statuses: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["cooling", "ok"]);
    for a in v.as_array().unwrap() {
        for key in ["id", "email", "status", "project"] {
            assert!(a.get(key).is_some(), "{key} missing: {a}");
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(Paths::under(home.path()).accounts_file())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
}

/// `[models.account_order]` puts bob first for gemini-3-flash: the proxy serves from bob, and
/// `route` must say so (it listed alice first while the proxy used bob).
#[test]
fn route_follows_the_configured_account_order() {
    let (home, _) = seeded_home();
    std::fs::write(
        Paths::under(home.path()).config_file,
        "[models.account_order]\n\"gemini-3-flash\" = [\"bob@example.com\"]\n",
    )
    .unwrap();
    let (ok, out, err) = run(home.path(), &["route", "gemini-3-flash", "--json"]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let usable: Vec<&str> = v["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["usable"] == true)
        .map(|c| c["email"].as_str().unwrap())
        .collect();
    assert_eq!(usable, ["bob@example.com", "alice@example.com"], "{out}");
    let (ok, text, err) = run(home.path(), &["route", "gemini-3-flash"]);
    assert!(ok, "{err}");
    assert!(
        text.contains("1. gemini-3-flash on bob@example.com, alice@example.com"),
        "{text}"
    );
    let (ok, text, _) = run(home.path(), &["route", "claude-sonnet-4-6"]);
    assert!(ok);
    assert!(
        text.contains("skips alice@example.com: cooling down, usable in 1")
            && text.contains("RATE_LIMIT_EXCEEDED"),
        "{text}"
    );
}
