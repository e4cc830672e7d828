//! What must hold after a `kill -9`: the accounts file and the config parse (with both
//! accounts and their refresh tokens intact), the history database opens read-only, and every
//! request the client saw complete is in it (`[history] durable`, the default, commits a
//! request's row before its response ends).

use std::collections::HashSet;
use std::path::Path;
use std::time::Instant;

use anti_api_tui::accounts::AccountPool;
use anti_api_tui::config::{AccountsConfig, Config};
use anti_api_tui::events::Bus;
use anti_api_tui::paths::Paths;
use anti_api_tui::store::{self, HistoryQuery, HistoryReader};

use super::traffic::Completed;

#[derive(Debug, Default)]
pub struct Report {
    pub completed: usize,
    pub recorded: usize,
    /// Temp files a killed write left beside its target.
    pub leftovers: usize,
}

pub fn after_kill(
    home: &Path,
    completed: &[Completed],
    killed_at: Instant,
) -> Result<Report, String> {
    let paths = Paths::under(home);
    let pool = AccountPool::load(paths.accounts_file(), AccountsConfig::default(), Bus::new())
        .map_err(|e| format!("accounts file: {e:#}"))?;
    let mut tokens: Vec<String> = pool
        .snapshot()
        .into_iter()
        .map(|a| a.refresh_token)
        .collect();
    tokens.sort();
    if tokens != ["sim-refresh-alice", "sim-refresh-bob"] {
        return Err(format!("accounts file lost accounts: {tokens:?}"));
    }
    Config::load(&paths.config_file).map_err(|e| format!("config: {e:#}"))?;
    let mut report = Report {
        completed: completed.len(),
        leftovers: leftovers(home) + leftovers(&paths.data_dir),
        ..Report::default()
    };
    let history = store::default_path(&paths.data_dir);
    let reader = HistoryReader::open(&history).map_err(|e| format!("history: {e:#}"))?;
    let rows = reader
        .list(&HistoryQuery::default())
        .map_err(|e| format!("history list: {e:#}"))?;
    let recorded: HashSet<&str> = rows
        .iter()
        .filter(|r| r.status == Some(200))
        .map(|r| r.model.as_str())
        .collect();
    let mut missing = Vec::new();
    for done in completed {
        if recorded.contains(done.model.as_str()) {
            report.recorded += 1;
        } else {
            missing.push(format!(
                "{} ({:?} before the kill)",
                done.model,
                killed_at.duration_since(done.at)
            ));
        }
    }
    if !missing.is_empty() {
        return Err(format!(
            "{} completed requests missing from history: {missing:?}",
            missing.len()
        ));
    }
    Ok(report)
}

fn leftovers(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .count()
    })
}
