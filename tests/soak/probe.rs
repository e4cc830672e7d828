//! The proxy process from the outside: resident memory (`VmRSS` in `/proc/PID/status`) and open
//! file descriptors (entries of `/proc/PID/fd`), sampled at a fixed interval, and the machine's
//! load average for the report.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Since the load started.
    pub at: Duration,
    pub rss_kib: u64,
    pub fds: usize,
}

pub fn sample(pid: u32, since: Instant) -> Sample {
    Sample {
        at: since.elapsed(),
        rss_kib: rss_kib(pid),
        fds: fd_count(pid),
    }
}

/// Samples every `every` until `stop` is set.
pub async fn watch(
    pid: u32,
    since: Instant,
    every: Duration,
    stop: Arc<AtomicBool>,
) -> Vec<Sample> {
    let mut samples = Vec::new();
    let mut ticks = tokio::time::interval(every);
    while !stop.load(Ordering::SeqCst) {
        ticks.tick().await;
        samples.push(sample(pid, since));
    }
    samples
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count)
}

/// The 1-minute load average, as `/proc/loadavg` spells it.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// What the samples say against the bounds.
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    pub rss_min_kib: u64,
    pub rss_baseline_kib: u64,
    pub rss_max_kib: u64,
    pub rss_end_kib: u64,
    pub fds_baseline: usize,
    pub fds_max: usize,
    pub fds_end: usize,
}

impl Memory {
    /// `baseline_at`: the end of the warm-up; the first sample at or after it is the baseline,
    /// and maxima are taken over the samples after it. `end` is taken after the settle.
    pub fn of(samples: &[Sample], baseline_at: Duration, end: Sample) -> Self {
        let after: Vec<&Sample> = samples.iter().filter(|s| s.at >= baseline_at).collect();
        let baseline = after.first().copied().copied().unwrap_or(end);
        Self {
            rss_min_kib: samples.iter().map(|s| s.rss_kib).min().unwrap_or(0),
            rss_baseline_kib: baseline.rss_kib,
            rss_max_kib: after.iter().map(|s| s.rss_kib).max().unwrap_or(0),
            rss_end_kib: end.rss_kib,
            fds_baseline: baseline.fds,
            fds_max: after.iter().map(|s| s.fds).max().unwrap_or(0),
            fds_end: end.fds,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_memory_and_descriptors() {
        let s = sample(std::process::id(), Instant::now());
        assert!(s.rss_kib > 1024, "{s:?}");
        assert!(s.fds >= 3, "{s:?}");
    }

    #[test]
    fn the_baseline_is_the_first_sample_after_the_warm_up() {
        let at = |secs, rss_kib, fds| Sample {
            at: Duration::from_secs(secs),
            rss_kib,
            fds,
        };
        let samples = [at(0, 10, 5), at(1, 50, 40), at(2, 20, 9), at(3, 30, 12)];
        let m = Memory::of(&samples, Duration::from_secs(2), at(9, 25, 8));
        assert_eq!(
            (m.rss_min_kib, m.rss_baseline_kib, m.rss_max_kib),
            (10, 20, 30)
        );
        assert_eq!(
            (m.fds_baseline, m.fds_max, m.fds_end, m.rss_end_kib),
            (9, 12, 8, 25)
        );
    }
}
