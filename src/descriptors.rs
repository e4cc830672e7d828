//! The process's file-descriptor budget: the soft `RLIMIT_NOFILE` raised to the hard limit at
//! start-up, and the client-connection cap derived from what is left for clients.

/// Descriptors kept back from clients whatever the limit: the listener, the history database
/// and its journal, log files, the simulator in demo mode, DNS and the runtime's own.
const RESERVED: u64 = 64;

/// The most client connections a derived cap allows, however high the limit.
const DERIVED_CAP: u64 = 65_536;

/// When the hard limit is unlimited (macOS), the soft limit is raised to this instead: the
/// kernel refuses more than `kern.maxfilesperproc` whatever the hard limit says.
const UNLIMITED_TARGET: u64 = 10_240;

/// The client-connection cap for a descriptor limit: each busy client connection may hold an
/// upstream connection too, so clients get half of what is left after the reserve (at least 16).
pub fn derived_max_connections(nofile: u64) -> usize {
    let cap = (nofile.saturating_sub(RESERVED) / 2).clamp(16, DERIVED_CAP);
    usize::try_from(cap).unwrap_or(usize::MAX)
}

/// The soft target for a (soft, hard) pair; `None` stands for unlimited.
fn target(soft: Option<u64>, hard: Option<u64>) -> Option<u64> {
    let wanted = hard.unwrap_or(UNLIMITED_TARGET);
    match soft {
        None => None,
        Some(soft) if soft >= wanted => None,
        Some(_) => Some(wanted),
    }
}

/// Raises the soft descriptor limit to the hard one; returns the soft limit now in force
/// (`None` when it is unlimited or unknown on this platform).
#[cfg(unix)]
pub fn raise_nofile_limit() -> Option<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let before = getrlimit(Resource::Nofile);
    if let Some(wanted) = target(before.current, before.maximum) {
        let raised = Rlimit {
            current: Some(wanted),
            maximum: before.maximum,
        };
        match setrlimit(Resource::Nofile, raised) {
            Ok(()) => tracing::info!(
                "descriptor limit raised from {} to {wanted}",
                before.current.unwrap_or(u64::MAX)
            ),
            Err(e) => tracing::warn!(
                "could not raise the descriptor limit from {} to {wanted}: {e}",
                before.current.unwrap_or(u64::MAX)
            ),
        }
    }
    let now = nofile_limit();
    tracing::debug!("descriptor limit: {now:?}");
    now
}

#[cfg(not(unix))]
pub fn raise_nofile_limit() -> Option<u64> {
    None
}

/// The soft descriptor limit in force (`None`: unlimited or unknown).
#[cfg(unix)]
pub fn nofile_limit() -> Option<u64> {
    rustix::process::getrlimit(rustix::process::Resource::Nofile).current
}

#[cfg(not(unix))]
pub fn nofile_limit() -> Option<u64> {
    None
}

/// The connection cap in force: the configured one, else derived from the descriptor limit.
pub fn max_connections(configured: Option<usize>) -> usize {
    configured
        .unwrap_or_else(|| derived_max_connections(nofile_limit().unwrap_or(UNLIMITED_TARGET)))
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_room_for_upstream_and_files() {
        assert_eq!(derived_max_connections(1024), 480);
        assert_eq!(derived_max_connections(256), 96);
        assert_eq!(derived_max_connections(10), 16);
        assert_eq!(derived_max_connections(u64::MAX), 65_536);
    }

    #[test]
    fn the_soft_limit_goes_up_to_the_hard_one_never_down() {
        assert_eq!(target(Some(1024), Some(4096)), Some(4096));
        assert_eq!(target(Some(4096), Some(4096)), None);
        assert_eq!(target(Some(256), None), Some(UNLIMITED_TARGET));
        assert_eq!(target(Some(20_000), None), None);
        assert_eq!(target(None, None), None);
    }

    #[test]
    fn raising_keeps_a_limit_at_least_as_high() {
        let before = nofile_limit();
        let after = raise_nofile_limit();
        assert!(after >= before || after.is_none(), "{before:?} → {after:?}");
        assert!(max_connections(None) >= 16);
        assert_eq!(max_connections(Some(8)), 8);
        assert_eq!(max_connections(Some(0)), 1);
    }
}
