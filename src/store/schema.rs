//! The database file: creation with owner-only permissions, connection settings, and the schema
//! migrations keyed on `PRAGMA user_version`.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, bail};
use rusqlite::{Connection, OpenFlags};

use crate::atomic_file::{self, Visibility};

/// Each entry moves the schema one version up; never edit a released one, append instead.
const MIGRATIONS: &[&str] = &[
    // 1: requests (one row per request id, newest-first by the time-ordered id) and bodies.
    "CREATE TABLE requests (
        id            TEXT PRIMARY KEY NOT NULL,  -- UUID v7: sorts by start time
        at_ms         INTEGER NOT NULL,
        api           TEXT NOT NULL,
        path          TEXT NOT NULL,
        model         TEXT NOT NULL,
        model_routed  TEXT,
        account       TEXT,
        status        INTEGER,
        outcome       TEXT,
        stream        INTEGER NOT NULL,
        ttft_ms       INTEGER,
        duration_ms   INTEGER,
        input_tokens  INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cached_tokens INTEGER NOT NULL DEFAULT 0,
        thinking_tokens INTEGER NOT NULL DEFAULT 0,
        error         TEXT,
        has_tool      INTEGER NOT NULL DEFAULT 0,
        replay_of     TEXT,
        attempts      INTEGER NOT NULL DEFAULT 0,
        user_agent    TEXT
    ) WITHOUT ROWID;
    CREATE INDEX requests_at ON requests (at_ms);
    CREATE INDEX requests_replay_of ON requests (replay_of) WHERE replay_of IS NOT NULL;
    -- Bodies may arrive before their request row (two channels), so no foreign key.
    CREATE TABLE bodies (
        request_id TEXT NOT NULL,
        stage      TEXT NOT NULL,
        seq        INTEGER NOT NULL,
        at_ms      INTEGER NOT NULL,
        truncated  INTEGER NOT NULL,
        body       TEXT NOT NULL,
        PRIMARY KEY (request_id, stage, seq)
    );
    CREATE INDEX bodies_at ON bodies (at_ms);",
];

/// The schema version this build writes.
pub const VERSION: u32 = 1;

/// Opens (creating it 0600 in a 0700 directory) and migrates the database for the writer.
pub fn open_for_writing(path: &Path) -> anyhow::Result<Connection> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.exists()
    {
        atomic_file::create_dir(dir, Visibility::Private)?;
    }
    create_private(path)?;
    let mut conn = Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
    conn.busy_timeout(Duration::from_secs(5))?;
    // Must precede the first table: lets retention give pages back without a full VACUUM.
    conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!("history: journal mode is {mode}, not WAL");
    }
    // WAL + NORMAL survives process crashes; a power cut may lose the last commits, which is
    // fine for a log.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "journal_size_limit", 16 * 1024 * 1024)?;
    migrate(&mut conn).with_context(|| format!("migrating {}", path.display()))?;
    Ok(conn)
}

/// A read-only connection (the CLI reads while a server writes; WAL allows both).
pub fn open_read_only(path: &Path) -> anyhow::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("opening {}", path.display()))?;
    conn.busy_timeout(Duration::from_secs(5))?;
    let version = user_version(&conn)?;
    if version > VERSION {
        bail!(
            "{} has schema version {version}, newer than this build understands ({VERSION}); \
             use a newer anti-api-tui",
            path.display()
        );
    }
    Ok(conn)
}

pub fn user_version(conn: &Connection) -> anyhow::Result<u32> {
    Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
}

fn migrate(conn: &mut Connection) -> anyhow::Result<()> {
    let current = user_version(conn)?;
    if current > VERSION {
        bail!("schema version {current} is newer than this build understands ({VERSION})");
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = index + 1;
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::debug!("history: schema now at version {version}");
    }
    Ok(())
}

/// Creates the file owner-only before SQLite sees it (SQLite gives its `-wal`/`-shm` files the
/// same mode), and tightens an existing file's mode.
fn create_private(path: &Path) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("setting the mode of {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_refuses_newer_schemas() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/h.sqlite3");
        let conn = open_for_writing(&path).unwrap();
        assert_eq!(user_version(&conn).unwrap(), VERSION);
        let auto: i64 = conn
            .pragma_query_value(None, "auto_vacuum", |r| r.get(0))
            .unwrap();
        assert_eq!(auto, 2, "incremental auto-vacuum");
        drop(conn);
        // Reopening is a no-op migration.
        let conn = open_for_writing(&path).unwrap();
        conn.pragma_update(None, "user_version", VERSION + 1)
            .unwrap();
        drop(conn);
        let err = open_for_writing(&path).unwrap_err();
        assert!(format!("{err:#}").contains("newer"), "{err:#}");
        let err = open_read_only(&path).unwrap_err();
        assert!(format!("{err:#}").contains("newer"), "{err:#}");
    }

    #[cfg(unix)]
    #[test]
    fn file_and_directory_are_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/h.sqlite3");
        let _conn = open_for_writing(&path).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
    }
}
