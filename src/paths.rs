//! Where config, data and logs live: `--home DIR` / `ANTI_API_TUI_HOME`, else the platform
//! directories. The only user of `directories`; tests point everything at a tempdir.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub config_file: PathBuf,
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
}

impl Paths {
    /// Everything under one root: `ROOT/config.toml`, `ROOT/data`, `ROOT/logs`.
    pub fn under(root: &Path) -> Self {
        Self {
            config_file: root.join("config.toml"),
            data_dir: root.join("data"),
            log_dir: root.join("logs"),
        }
    }

    /// `home` (from `--home` or `ANTI_API_TUI_HOME`) wins; otherwise the platform directories.
    pub fn resolve(home: Option<&Path>) -> anyhow::Result<Self> {
        if let Some(root) = home {
            return Ok(Self::under(root));
        }
        let dirs = directories::ProjectDirs::from("dev", "anti-api-tui", "anti-api-tui")
            .context("cannot determine a home directory; pass --home DIR")?;
        let data_dir = dirs.data_local_dir().to_path_buf();
        Ok(Self {
            config_file: dirs.config_dir().join("config.toml"),
            log_dir: data_dir.join("logs"),
            data_dir,
        })
    }

    /// A separate data directory for `--demo`, so demo accounts and history never mix with real ones.
    #[must_use]
    pub fn for_demo(&self) -> Self {
        Self {
            config_file: self.config_file.clone(),
            data_dir: self.data_dir.join("demo"),
            log_dir: self.log_dir.clone(),
        }
    }

    pub fn accounts_file(&self) -> PathBuf {
        self.data_dir.join("accounts.json")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_puts_everything_under_one_root() {
        let p = Paths::resolve(Some(Path::new("/tmp/x"))).unwrap();
        assert_eq!(p.config_file, Path::new("/tmp/x/config.toml"));
        assert_eq!(p.accounts_file(), Path::new("/tmp/x/data/accounts.json"));
        assert_eq!(p.for_demo().data_dir, Path::new("/tmp/x/data/demo"));
    }
}
