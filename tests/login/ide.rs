//! `accounts import-antigravity`: the account a local Antigravity IDE is signed in with, read
//! from a fixture state database (built here with rusqlite, encoded here independently of the
//! reader) that must be byte-identical afterwards.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anti_api_tui::auth::ide::{self, ImportError};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rusqlite::Connection;

use super::binary;
use super::support::Harness;

fn varint(mut v: usize, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push(u8::try_from(v & 0x7f).unwrap() | 0x80);
        v >>= 7;
    }
    out.push(u8::try_from(v).unwrap());
}

fn bytes_field(number: usize, value: &[u8], out: &mut Vec<u8>) {
    varint(number << 3 | 2, out);
    varint(value.len(), out);
    out.extend_from_slice(value);
}

/// `OAuthTokenInfo {1: access, 2: type, 3: refresh, 4: {1: expiry}}`.
fn token_info(refresh: &str) -> Vec<u8> {
    let mut info = Vec::new();
    bytes_field(1, b"ya29.fixture-access", &mut info);
    bytes_field(2, b"Bearer", &mut info);
    bytes_field(3, refresh.as_bytes(), &mut info);
    bytes_field(4, &[0x08, 0x80, 0xde, 0xd5, 0xd5, 0x06], &mut info);
    info
}

/// The current IDEs' `antigravityUnifiedStateSync.oauthToken`.
fn unified(refresh: &str) -> String {
    let mut row = Vec::new();
    bytes_field(1, STANDARD.encode(token_info(refresh)).as_bytes(), &mut row);
    let mut entry = Vec::new();
    bytes_field(1, b"oauthTokenInfoSentinelKey", &mut entry);
    bytes_field(2, &row, &mut entry);
    let mut topic = Vec::new();
    bytes_field(1, &entry, &mut topic);
    STANDARD.encode(topic)
}

/// The older IDEs' `jetskiStateSync.agentManagerInitState` (the token info in field 6).
fn legacy(refresh: &str) -> String {
    let mut state = Vec::new();
    bytes_field(1, b"other state", &mut state);
    bytes_field(6, &token_info(refresh), &mut state);
    STANDARD.encode(state)
}

/// A VS Code–style state database with `rows` (and an unrelated row, as a real one has).
fn state_db(path: &Path, rows: &[(&str, &str)]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(
        "CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB);
         INSERT INTO ItemTable VALUES ('workbench.panel.width', '300');",
    )
    .unwrap();
    for (k, v) in rows {
        conn.execute("INSERT INTO ItemTable VALUES (?1, ?2)", [k, v])
            .unwrap();
    }
}

fn signed_in(path: &Path, name: &str) {
    state_db(
        path,
        &[
            (
                "antigravityUnifiedStateSync.oauthToken",
                &unified(&format!("sim-refresh-{name}")),
            ),
            (
                "antigravityAuthStatus",
                &format!(r#"{{"name":"{name}","email":"{name}@example.com","apiKey":"ya29.x"}}"#),
            ),
        ],
    );
}

/// Every file in the directory with its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();
    files.sort();
    files
}

#[tokio::test]
async fn the_ides_account_is_imported_and_its_database_left_untouched() {
    let h = Harness::start().await;
    let db = h.dir.path().join("ide/state.vscdb");
    signed_in(&db, "ivy");
    let before = snapshot(db.parent().unwrap());
    let done = ide::import(&h.context(), Some(&db)).await.unwrap();
    assert_eq!(done.account.email, "ivy@example.com");
    assert_eq!(done.account.project, "sim-project-ivy");
    assert_eq!(done.ide_email.as_deref(), Some("ivy@example.com"));
    assert_eq!(done.source, db);
    let stored = h.stored();
    assert_eq!(stored[0]["refresh_token"], "sim-refresh-ivy");
    // Checked with Google like `accounts add`: one refresh, with the built-in client.
    assert_eq!(h.sim.stats().token_refreshes, 1);
    assert_eq!(
        snapshot(db.parent().unwrap()),
        before,
        "the IDE's files are byte-identical, none added"
    );
}

#[tokio::test]
async fn an_older_ides_session_is_read_too() {
    let h = Harness::start().await;
    let db = h.dir.path().join("old/state.vscdb");
    state_db(
        &db,
        &[(
            "jetskiStateSync.agentManagerInitState",
            &legacy("sim-refresh-jay"),
        )],
    );
    let done = ide::import(&h.context(), Some(&db)).await.unwrap();
    assert_eq!(done.account.email, "jay@example.com");
    assert_eq!(done.ide_email, None);
}

#[tokio::test]
async fn a_signed_out_ide_an_unreadable_file_and_a_missing_one_say_so() {
    let h = Harness::start().await;
    let out = h.dir.path().join("out/state.vscdb");
    state_db(&out, &[("antigravityAuthStatus", "null")]);
    let err = ide::import(&h.context(), Some(&out)).await.unwrap_err();
    assert_eq!(err, ImportError::SignedOut { path: out.clone() });
    let msg = err.to_string();
    assert!(msg.contains("nobody is signed in") && msg.contains(&out.display().to_string()));
    assert!(msg.contains("anti-api-tui login"), "{msg}");

    let junk = h.dir.path().join("junk.vscdb");
    std::fs::write(
        &junk,
        b"this is not sqlite, not at all, not even close to it....",
    )
    .unwrap();
    let err = ide::import(&h.context(), Some(&junk)).await.unwrap_err();
    assert!(matches!(err, ImportError::Unreadable { .. }), "{err:?}");
    assert!(err.to_string().contains("not an SQLite database"), "{err}");

    let no_table = h.dir.path().join("empty.vscdb");
    Connection::open(&no_table)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    let err = ide::import(&h.context(), Some(&no_table))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no ItemTable"), "{err}");

    let missing = h.dir.path().join("nowhere/state.vscdb");
    let err = ide::import(&h.context(), Some(&missing)).await.unwrap_err();
    assert_eq!(err, ImportError::NoSuchFile { path: missing });
    assert_eq!(h.sim.stats().token_refreshes, 0);
    assert!(!h.accounts_file().exists());
}

#[tokio::test]
async fn a_lock_the_ide_holds_is_waited_for() {
    let h = Harness::start().await;
    let db = h.dir.path().join("busy/state.vscdb");
    signed_in(&db, "kim");
    // The IDE writing: an exclusive lock, released after a moment.
    let holder = Connection::open(&db).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(400));
        holder.execute_batch("COMMIT").unwrap();
    });
    let started = std::time::Instant::now();
    let done = ide::import(&h.context(), Some(&db)).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "read through the lock after {:?}",
        started.elapsed()
    );
    assert_eq!(done.account.email, "kim@example.com");
    release.join().unwrap();
}

#[tokio::test]
async fn a_token_google_refuses_is_not_imported() {
    let h = Harness::start().await;
    let db = h.dir.path().join("revoked/state.vscdb");
    // The simulator's revoked accounts: a token Google will not refresh.
    signed_in(&db, "revoked-lee");
    let err = ide::import(&h.context(), Some(&db)).await.unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, ImportError::Add { .. }) && msg.contains(&db.display().to_string()),
        "{msg}"
    );
    assert!(msg.contains("invalid_grant"), "{msg}");
    assert!(!h.accounts_file().exists());
}

/// The command as a user runs it: no `--path`, the install found under the home's config dir.
fn cli(home: &Path, base: &str, args: &[&str]) -> binary::Output {
    let mut cmd = binary::against_simulator(&home.join("anti"), base);
    cmd.env("HOME", home)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("APPDATA")
        .arg("accounts")
        .args(args);
    binary::run(cmd, Duration::from_secs(60))
}

#[tokio::test]
async fn the_command_finds_the_install_or_says_where_it_looked() {
    let h = Harness::start().await;
    let home = tempfile::tempdir().unwrap();
    let base = h.sim.base_url();
    let (home_path, b) = (home.path().to_owned(), base.clone());
    let none = tokio::task::spawn_blocking(move || cli(&home_path, &b, &["import-antigravity"]))
        .await
        .unwrap();
    assert!(none.status.is_some_and(|s| !s.success()));
    assert!(
        none.stderr.contains("no Antigravity IDE install found")
            && none
                .stderr
                .contains(".config/Antigravity/User/globalStorage/state.vscdb"),
        "{}",
        none.stderr
    );
    let db = home
        .path()
        .join(".config/Antigravity/User/globalStorage/state.vscdb");
    signed_in(&db, "max");
    let (home_path, b) = (home.path().to_owned(), base.clone());
    let found = tokio::task::spawn_blocking(move || cli(&home_path, &b, &["import-antigravity"]))
        .await
        .unwrap();
    assert!(
        found.status.is_some_and(|s| s.success()),
        "{}",
        found.stderr
    );
    assert!(
        found
            .stdout
            .starts_with("imported max@example.com from the Antigravity IDE ("),
        "{}",
        found.stdout
    );
    assert!(!found.stdout.contains("sim-refresh"), "{}", found.stdout);
    let (home_path, b) = (home.path().to_owned(), base);
    let listed = tokio::task::spawn_blocking(move || cli(&home_path, &b, &["list", "--json"]))
        .await
        .unwrap();
    assert!(
        listed.stdout.contains("max@example.com"),
        "{}",
        listed.stdout
    );
}
