//! `accounts import-antigravity` and the console's import key: the account a local Antigravity
//! IDE is signed in with. The IDE keeps its session in its VS Code–style state database
//! (`User/globalStorage/state.vscdb`, table `ItemTable`); it is opened strictly read-only
//! (`SQLITE_OPEN_READ_ONLY` and `query_only`, never written, a lock the IDE holds waited for),
//! the refresh token taken (`state`), and the account added like `accounts add --refresh-token`:
//! checked with Google, the email read, the project discovered.

mod state;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, types::ValueRef};

use super::login::{self, LoggedIn, LoginContext, LoginError};
use state::{IdeSession, KEYS, StateError};

/// The IDE's application folder names: `Antigravity` (the name the peers read first) and
/// `Antigravity IDE` (the 2.x distribution, per lbjlaq/Antigravity-Manager `db.rs`).
const APP_DIRS: [&str; 2] = ["Antigravity", "Antigravity IDE"];
/// How long a lock the running IDE holds is waited for.
const LOCK_WAIT: Duration = Duration::from_secs(5);

/// An imported account and where it came from.
#[derive(Debug, Clone)]
pub struct Imported {
    pub account: LoggedIn,
    pub source: PathBuf,
    /// The email the IDE shows (`antigravityAuthStatus`), when it has one.
    pub ide_email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error(
        "no Antigravity IDE install found: looked for {}. Sign in to the Antigravity IDE first, or \
         give its state database with --path FILE",
        list(looked)
    )]
    NotFound { looked: Vec<PathBuf> },
    #[error("{} does not exist", path.display())]
    NoSuchFile { path: PathBuf },
    #[error(
        "could not read the Antigravity IDE state database {}: {why}",
        path.display()
    )]
    Unreadable { path: PathBuf, why: String },
    #[error(
        "the Antigravity IDE holds {} locked and did not let go within {} s; try again in a \
         moment (or with the IDE closed)",
        path.display(),
        LOCK_WAIT.as_secs()
    )]
    Busy { path: PathBuf },
    #[error(
        "nobody is signed in to the Antigravity IDE at {}: it keeps no refresh token there \
         (under {} or {}). Sign in in the IDE, or use `anti-api-tui login`",
        path.display(),
        state::UNIFIED_KEY,
        state::LEGACY_KEY
    )]
    SignedOut { path: PathBuf },
    #[error(
        "the Antigravity IDE's account (from {}) could not be added: {error}",
        path.display()
    )]
    Add { path: PathBuf, error: LoginError },
}

fn list(paths: &[PathBuf]) -> String {
    let mut out = String::new();
    for (i, p) in paths.iter().enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        let _ = write!(out, "{sep}{}", p.display());
    }
    if out.is_empty() {
        out.push_str("nothing (no per-user config directory)");
    }
    out
}

/// Where the IDE keeps its state under `config_dir`, the platform's per-user config directory
/// (`$XDG_CONFIG_HOME` or `~/.config` on Linux, `~/Library/Application Support` on macOS,
/// `%APPDATA%` on Windows — where Electron apps keep their user data).
pub fn candidates(config_dir: &Path) -> Vec<PathBuf> {
    APP_DIRS
        .iter()
        .map(|app| {
            config_dir
                .join(app)
                .join("User")
                .join("globalStorage")
                .join("state.vscdb")
        })
        .collect()
}

/// `candidates` for this user.
pub fn default_candidates() -> Vec<PathBuf> {
    directories::BaseDirs::new()
        .map(|dirs| candidates(dirs.config_dir()))
        .unwrap_or_default()
}

/// Imports the IDE's account from `path`, or from the first install found that has one.
pub async fn import(ctx: &LoginContext, path: Option<&Path>) -> Result<Imported, ImportError> {
    let looked = match path {
        Some(p) => vec![p.to_owned()],
        None => default_candidates(),
    };
    let explicit = path.is_some();
    let (source, session) = tokio::task::spawn_blocking(move || find(&looked, explicit))
        .await
        .map_err(|e| ImportError::Unreadable {
            path: PathBuf::new(),
            why: e.to_string(),
        })??;
    let account = login::add_refresh_token(ctx, &session.refresh_token)
        .await
        .map_err(|error| ImportError::Add {
            path: source.clone(),
            error,
        })?;
    tracing::info!(
        from = %source.display(),
        key = session.key,
        "imported the Antigravity IDE's account"
    );
    Ok(Imported {
        account,
        source,
        ide_email: session.email,
    })
}

/// The first of `paths` that holds a session. Blocking (SQLite).
fn find(paths: &[PathBuf], explicit: bool) -> Result<(PathBuf, IdeSession), ImportError> {
    let mut signed_out = None;
    for path in paths {
        if !path.is_file() {
            if explicit {
                return Err(ImportError::NoSuchFile { path: path.clone() });
            }
            continue;
        }
        match read_values(path) {
            Ok(values) => match state::session(&values) {
                Ok(session) => return Ok((path.clone(), session)),
                Err(StateError::SignedOut) => {
                    signed_out.get_or_insert_with(|| path.clone());
                }
                Err(StateError::Malformed(why)) => {
                    return Err(ImportError::Unreadable {
                        path: path.clone(),
                        why: format!("an unknown layout ({why})"),
                    });
                }
            },
            Err(e) => return Err(open_error(path, &e)),
        }
    }
    match signed_out {
        Some(path) => Err(ImportError::SignedOut { path }),
        None => Err(ImportError::NotFound {
            looked: paths.to_vec(),
        }),
    }
}

/// The values of the keys `state` reads, from a read-only connection that never writes.
fn read_values(path: &Path) -> rusqlite::Result<HashMap<String, String>> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(LOCK_WAIT)?;
    conn.pragma_update(None, "query_only", true)?;
    let mut stmt = conn.prepare("SELECT key, value FROM ItemTable WHERE key IN (?1, ?2, ?3)")?;
    let rows = stmt.query_map(KEYS, |row| {
        let key: String = row.get(0)?;
        // VS Code declares `value` BLOB but writes text; take either.
        let value = match row.get_ref(1)? {
            ValueRef::Text(b) | ValueRef::Blob(b) => String::from_utf8_lossy(b).into_owned(),
            _ => String::new(),
        };
        Ok((key, value))
    })?;
    rows.collect()
}

fn open_error(path: &Path, e: &rusqlite::Error) -> ImportError {
    let busy = matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    );
    if busy {
        return ImportError::Busy {
            path: path.to_owned(),
        };
    }
    let why = match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => "it is not an SQLite database".to_owned(),
        _ if e.to_string().contains("no such table") => {
            "it has no ItemTable (not an Antigravity state database)".to_owned()
        }
        _ => e.to_string(),
    };
    ImportError::Unreadable {
        path: path.to_owned(),
        why,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_cover_both_app_names_under_the_config_dir() {
        let got = candidates(Path::new("/home/u/.config"));
        assert_eq!(
            got,
            [
                PathBuf::from("/home/u/.config/Antigravity/User/globalStorage/state.vscdb"),
                PathBuf::from("/home/u/.config/Antigravity IDE/User/globalStorage/state.vscdb"),
            ]
        );
        let msg = ImportError::NotFound { looked: got }.to_string();
        assert!(
            msg.contains("/home/u/.config/Antigravity/User/globalStorage/state.vscdb, ")
                && msg.contains("--path"),
            "{msg}"
        );
    }
}
