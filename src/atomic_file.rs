//! Crash-safe file writes: write a temp file beside the target, fsync, rename. Private files are
//! created 0600 inside 0700 directories so credentials are never readable by others.

use std::fs;
use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;

/// Who may read the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// 0600 file in a 0700 directory: credentials, history.
    Private,
    /// Default permissions: config the user edits by hand.
    Normal,
}

pub fn write(path: &Path, bytes: &[u8], visibility: Visibility) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .with_context(|| format!("{} has no parent directory", path.display()))?;
    create_dir(dir, visibility)?;
    let file_name = path
        .file_name()
        .with_context(|| format!("{} has no file name", path.display()))?
        .to_string_lossy();
    remove_stale_temps(dir, &file_name);
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| -> anyhow::Result<()> {
        let mut file = open_new(&tmp, visibility)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.with_context(|| format!("writing {}", path.display()))
}

/// Temp files a process left behind when it was killed mid-write. Only old ones: a fresh one
/// may belong to another process writing the same file right now.
fn remove_stale_temps(dir: &Path, file_name: &str) {
    const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(60);
    let prefix = format!(".{file_name}.");
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE_AFTER);
        if stale && name.starts_with(&prefix) && name.ends_with(".tmp") {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Files and directories the process creates from now on are its user's only (umask 077):
/// the log files the appender rotates in, SQLite's journal files, exports. Called once at
/// start; existing files keep the modes their user gave them.
pub fn restrict_new_files() {
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}

/// Creates `dir` (and its parents). A private directory is made 0700 when this call creates
/// it; one that exists keeps the mode its user chose.
pub fn create_dir(dir: &Path, visibility: Visibility) -> anyhow::Result<()> {
    let existed = dir.is_dir();
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    #[cfg(unix)]
    if visibility == Visibility::Private && !existed {
        use std::os::unix::fs::PermissionsExt as _;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .with_context(|| format!("restricting {}", dir.display()))?;
    }
    Ok(())
}

fn open_new(path: &Path, visibility: Visibility) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if visibility == Visibility::Private {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_files_are_owner_only_and_replace_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/secret.json");
        write(&path, b"one", Visibility::Private).unwrap();
        write(&path, b"two", Visibility::Private).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            let dmode = fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(dmode, 0o700);
        }
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temp files left behind");
        // A temp file from a writer killed mid-write is cleaned up by the next write.
        let fresh = path.parent().unwrap().join(".secret.json.999998.tmp");
        fs::write(&fresh, b"in progress").unwrap();
        let stale = path.parent().unwrap().join(".secret.json.999999.tmp");
        fs::write(&stale, b"half").unwrap();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        fs::File::options()
            .write(true)
            .open(&stale)
            .unwrap()
            .set_modified(old)
            .unwrap();
        write(&path, b"three", Visibility::Private).unwrap();
        assert!(!stale.exists(), "an old temp file is a crash leftover");
        assert!(fresh.exists(), "a fresh one may be another writer's");
    }

    /// The user chose 0750 for the data dir: writing a private file into it leaves that alone.
    #[cfg(unix)]
    #[test]
    fn an_existing_directory_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        fs::create_dir(&data).unwrap();
        fs::set_permissions(&data, fs::Permissions::from_mode(0o750)).unwrap();
        write(&data.join("accounts.json"), b"{}", Visibility::Private).unwrap();
        let mode = fs::metadata(&data).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o750);
    }
}
