//! The proxy process from the outside: resident memory (`VmRSS` in `/proc/PID/status`) and open
//! file descriptors (entries of `/proc/PID/fd`), sampled at a fixed interval; what its sockets
//! are (client connections, upstream connections, half-closed ones) from `/proc/PID/net/tcp*`;
//! and the machine's load average for the report.

use std::collections::HashMap;
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

/// The proxy's descriptors by what they are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Descriptors {
    /// Connections accepted on the proxy's port (the listener itself not counted).
    pub clients: usize,
    /// Connections to the simulator's port (the upstream pool).
    pub upstream: usize,
    /// Of those two, the ones whose peer has closed and the proxy has not (`CLOSE_WAIT`): the
    /// classic leak.
    pub close_wait: usize,
    /// Everything else: files (history database, WAL, logs), the listener, pipes, epoll.
    pub other: usize,
}

/// Classifies the open descriptors of `pid`; `proxy_port` is where it listens, `upstream_port`
/// where its upstream is.
pub fn descriptors(pid: u32, proxy_port: u16, upstream_port: u16) -> Descriptors {
    const LISTEN: u8 = 0x0A;
    const CLOSE_WAIT: u8 = 0x08;
    let mut table = HashMap::new();
    for file in ["tcp", "tcp6"] {
        let text = std::fs::read_to_string(format!("/proc/{pid}/net/{file}")).unwrap_or_default();
        table.extend(text.lines().skip(1).filter_map(tcp_entry));
    }
    let mut d = Descriptors::default();
    let links = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read_link(e.path()).ok());
    for link in links {
        let inode = link
            .to_str()
            .and_then(|l| l.strip_prefix("socket:["))
            .and_then(|l| l.strip_suffix(']'))
            .and_then(|i| i.parse::<u64>().ok());
        let Some(&(local, remote, state)) = inode.and_then(|i| table.get(&i)) else {
            d.other += 1;
            continue;
        };
        if local == proxy_port && state != LISTEN {
            d.clients += 1;
        } else if remote == upstream_port {
            d.upstream += 1;
        } else {
            d.other += 1;
            continue;
        }
        d.close_wait += usize::from(state == CLOSE_WAIT);
    }
    d
}

/// `(inode, (local port, remote port, state))` of a `/proc/net/tcp` line.
fn tcp_entry(line: &str) -> Option<(u64, (u16, u16, u8))> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let port = |addr: &str| u16::from_str_radix(addr.rsplit_once(':')?.1, 16).ok();
    let local = port(fields.get(1)?)?;
    let remote = port(fields.get(2)?)?;
    let state = u8::from_str_radix(fields.get(3)?, 16).ok()?;
    let inode = fields.get(9)?.parse().ok()?;
    Some((inode, (local, remote, state)))
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
    fn a_connection_is_told_from_the_listener_and_the_upstream() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let upstream = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let (port, upstream_port) = (
            listener.local_addr().unwrap().port(),
            upstream.local_addr().unwrap().port(),
        );
        let pid = std::process::id();
        let before = descriptors(pid, port, upstream_port);
        // This process holds both ends of each connection: to its "proxy" port as a client
        // and as the accepted side, and to its "upstream" port.
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        let outgoing = std::net::TcpStream::connect(upstream.local_addr().unwrap()).unwrap();
        let during = descriptors(pid, port, upstream_port);
        assert_eq!(during.clients, before.clients + 1, "{during:?}");
        assert_eq!(during.upstream, before.upstream + 1, "{during:?}");
        // The client leaves; the accepted side, still open, is half-closed.
        drop(client);
        std::thread::sleep(Duration::from_millis(50));
        let after = descriptors(pid, port, upstream_port);
        assert_eq!(after.close_wait, before.close_wait + 1, "{after:?}");
        drop((accepted, outgoing));
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
