//! The summary of a run as Markdown: the run itself, requests per class with latency, memory
//! and descriptors against their bounds, the history check, and the first failures.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use super::client::{Outcome, Seen};
use super::ledger::Ledger;
use super::mix::Class;
use super::probe::{Descriptors, Memory, Sample};

/// How much the proxy may grow over its post-warm-up baseline, and what its descriptors may be
/// once the load has ended: no client connection, none half-closed, at most the upstream pool's
/// idle connections, and nearly as many other descriptors as before the load.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub rss_growth_kib: u64,
    pub fds_growth: usize,
    pub idle_upstream: usize,
    pub other_growth: usize,
}

/// Everything the report says about the run itself.
#[derive(Debug, Clone)]
pub struct Run {
    pub secs: u64,
    pub rate: f64,
    /// Wall time from the first request sent to the last.
    pub sending: Duration,
    /// Wall time from the first request sent to the last answer.
    pub load_wall: Duration,
    pub warm_up: Duration,
    pub settle: Duration,
    pub profile: &'static str,
    pub load_before: String,
    pub load_after: String,
    pub upstream_calls: u64,
    pub open_upstream_streams_after: u64,
    pub history_bytes: u64,
}

pub struct Report<'a> {
    pub run: Run,
    pub outcomes: &'a [Outcome],
    pub memory: Memory,
    /// By kind: idle before the load, and after the settle.
    pub descriptors: (Descriptors, Descriptors),
    /// Every sample taken during the load, oldest first.
    pub samples: &'a [Sample],
    pub bounds: Bounds,
    pub ledger: &'a Ledger,
}

impl Report<'_> {
    pub fn failures(&self) -> Vec<String> {
        self.outcomes
            .iter()
            .filter_map(|o| match &o.seen {
                Seen::Expected => None,
                Seen::Failure(why) => {
                    Some(format!("{} ({}): {why}", o.plan.model(), o.plan.class()))
                }
            })
            .collect()
    }

    pub fn rss_ok(&self) -> bool {
        self.memory.rss_max_kib <= self.memory.rss_baseline_kib + self.bounds.rss_growth_kib
    }

    pub fn fds_ok(&self) -> bool {
        self.memory.fds_max <= self.memory.fds_baseline + self.bounds.fds_growth
    }

    pub fn fds_after_ok(&self) -> bool {
        let (idle, settled) = self.descriptors;
        settled.clients == 0
            && settled.close_wait == 0
            && settled.upstream <= self.bounds.idle_upstream
            && settled.other <= idle.other + self.bounds.other_growth
    }

    pub fn markdown(&self) -> String {
        let mut out = String::new();
        self.write_run(&mut out);
        self.write_classes(&mut out);
        self.write_memory(&mut out);
        self.write_history(&mut out);
        out
    }

    fn write_run(&self, out: &mut String) {
        let r = &self.run;
        let sent = self.outcomes.len();
        let achieved = count_f64(sent.saturating_sub(1)) / r.sending.as_secs_f64().max(0.001);
        let _ = writeln!(out, "### Run\n");
        let _ = writeln!(out, "| what | value |\n| --- | --- |");
        let _ = writeln!(
            out,
            "| load | {} s at {} req/s open loop: {sent} requests sent in {:.1} s ({achieved:.1} req/s), \
             the last answer after {:.1} s |",
            r.secs,
            r.rate,
            r.sending.as_secs_f64(),
            r.load_wall.as_secs_f64()
        );
        let _ = writeln!(out, "| build | {} |", r.profile);
        let _ = writeln!(
            out,
            "| warm-up / settle | {:.0} s / {:.0} s |",
            r.warm_up.as_secs_f64(),
            r.settle.as_secs_f64()
        );
        let _ = writeln!(
            out,
            "| machine load (1-min average) before / after | {} / {} |",
            r.load_before, r.load_after
        );
        let _ = writeln!(out, "| upstream generate calls | {} |", r.upstream_calls);
        let _ = writeln!(
            out,
            "| upstream streams open after the settle | {} |",
            r.open_upstream_streams_after
        );
        let _ = writeln!(
            out,
            "| history database (with WAL) | {:.1} MiB |\n",
            mib(r.history_bytes / 1024)
        );
    }

    fn write_classes(&self, out: &mut String) {
        let mut classes: BTreeMap<Class, Vec<&Outcome>> = BTreeMap::new();
        for o in self.outcomes {
            classes.entry(o.plan.class()).or_default().push(o);
        }
        let _ = writeln!(out, "### Requests\n");
        let _ = writeln!(
            out,
            "| class | sent | as expected | failures | p50 ms | p99 ms |\n| --- | --- | --- | --- | --- | --- |"
        );
        for (class, outcomes) in &classes {
            row(out, &class.to_string(), outcomes);
        }
        let all: Vec<&Outcome> = self.outcomes.iter().collect();
        row(out, "**all**", &all);
        let _ = writeln!(
            out,
            "\nLatency is send to the last byte (to the first chunk for \"client gone\").\n"
        );
        let failures = self.failures();
        if !failures.is_empty() {
            let _ = writeln!(out, "Failures ({}; the first 20):\n", failures.len());
            for f in failures.iter().take(20) {
                let _ = writeln!(out, "- {f}");
            }
            out.push('\n');
        }
    }

    fn write_memory(&self, out: &mut String) {
        let m = &self.memory;
        let b = &self.bounds;
        let verdict = |ok: bool| if ok { "ok" } else { "**exceeded**" };
        let _ = writeln!(out, "### Proxy process\n");
        let _ = writeln!(
            out,
            "| what | min | baseline | max | end | bound | |\n| --- | --- | --- | --- | --- | --- | --- |"
        );
        let _ = writeln!(
            out,
            "| RSS (MiB) | {:.1} | {:.1} | {:.1} | {:.1} | max ≤ baseline + {:.0} | {} |",
            mib(m.rss_min_kib),
            mib(m.rss_baseline_kib),
            mib(m.rss_max_kib),
            mib(m.rss_end_kib),
            mib(b.rss_growth_kib),
            verdict(self.rss_ok())
        );
        let _ = writeln!(
            out,
            "| open fds | — | {} | {} | {} | max ≤ baseline + {} | {} |\n",
            m.fds_baseline,
            m.fds_max,
            m.fds_end,
            b.fds_growth,
            verdict(self.fds_ok())
        );
        let (idle, settled) = self.descriptors;
        let _ = writeln!(
            out,
            "| descriptors | before the load | after the settle | bound after |\n| --- | --- | --- | --- |"
        );
        let _ = writeln!(
            out,
            "| client connections | {} | {} | 0 |\n\
             | upstream connections | {} | {} | ≤ {} (the idle pool) |\n\
             | of those, half-closed (`CLOSE_WAIT`) | {} | {} | 0 |\n\
             | other (files, listener, pipes, epoll) | {} | {} | ≤ {} |\n",
            idle.clients,
            settled.clients,
            idle.upstream,
            settled.upstream,
            b.idle_upstream,
            idle.close_wait,
            settled.close_wait,
            idle.other,
            settled.other,
            idle.other + b.other_growth
        );
        if !self.fds_after_ok() {
            let _ = writeln!(
                out,
                "**Descriptors left after the load exceed the bounds.**\n"
            );
        }
        let after = self
            .outcomes
            .iter()
            .filter(|o| {
                let sent_at =
                    count_f64(usize::try_from(o.plan.n).unwrap_or(usize::MAX)) / self.run.rate;
                sent_at >= self.run.warm_up.as_secs_f64()
            })
            .count();
        let growth = m.rss_max_kib.saturating_sub(m.rss_baseline_kib);
        let _ = writeln!(
            out,
            "RSS growth after the warm-up: {:.1} MiB over {after} requests ({:.0} bytes per request).\n",
            mib(growth),
            mib(growth) * 1024.0 * 1024.0 / count_f64(after.max(1))
        );
        self.write_timeline(out);
    }

    /// RSS and descriptors at each tenth of the load, so a trend shows.
    fn write_timeline(&self, out: &mut String) {
        let secs = self.run.secs;
        let picks: Vec<(u64, &Sample)> = (0..=10)
            .filter_map(|tenth| {
                let at = Duration::from_millis(secs * 1000 * tenth / 10);
                let sample = self.samples.iter().find(|s| s.at >= at)?;
                Some((tenth, sample))
            })
            .collect();
        let _ = write!(out, "| at |");
        for (tenth, sample) in &picks {
            let _ = write!(out, " {}% ({:.0} s) |", tenth * 10, sample.at.as_secs_f64());
        }
        let _ = write!(out, "\n| --- |");
        for _ in &picks {
            let _ = write!(out, " --- |");
        }
        let _ = write!(out, "\n| RSS (MiB) |");
        for (_, sample) in &picks {
            let _ = write!(out, " {:.1} |", mib(sample.rss_kib));
        }
        let _ = write!(out, "\n| open fds |");
        for (_, sample) in &picks {
            let _ = write!(out, " {} |", sample.fds);
        }
        out.push_str("\n\n");
    }

    fn write_history(&self, out: &mut String) {
        let l = self.ledger;
        let _ = writeln!(out, "### History\n");
        let _ = writeln!(
            out,
            "{} rows; {} of {} requests found exactly once with the expected API, stream flag, \
             status and outcome; {} problems.\n",
            l.rows,
            l.matched,
            self.outcomes.len(),
            l.problems.len()
        );
        let _ = writeln!(
            out,
            "Injected 429s: {} after upstream attempts ({} attempts: the proxy waits a short rate \
             limit out once, then cools the account for the model and tries the next), {} from \
             the proxy alone while every account was cooling down for the model.\n",
            l.upstream_429, l.attempts_429, l.cooling_429
        );
        for p in l.problems.iter().take(20) {
            let _ = writeln!(out, "- {p}");
        }
    }
}

fn row(out: &mut String, name: &str, outcomes: &[&Outcome]) {
    let failures = outcomes.iter().filter(|o| o.seen != Seen::Expected).count();
    let mut ms: Vec<f64> = outcomes
        .iter()
        .map(|o| o.latency.as_secs_f64() * 1000.0)
        .collect();
    ms.sort_by(f64::total_cmp);
    let _ = writeln!(
        out,
        "| {name} | {} | {} | {failures} | {:.1} | {:.1} |",
        outcomes.len(),
        outcomes.len() - failures,
        percentile(&ms, 0.50),
        percentile(&ms, 0.99)
    );
}

/// Nearest rank on sorted values; 0 when empty.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * count_f64(sorted.len())).ceil();
    let index = sorted
        .iter()
        .enumerate()
        .map(|(i, _)| i)
        .find(|&i| count_f64(i + 1) >= rank)
        .unwrap_or(sorted.len() - 1);
    sorted[index]
}

fn count_f64(n: usize) -> f64 {
    f64::from(u32::try_from(n).unwrap_or(u32::MAX))
}

fn mib(kib: u64) -> f64 {
    f64::from(u32::try_from(kib).unwrap_or(u32::MAX)) / 1024.0
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert!((percentile(&v, 0.5) - 50.0).abs() < f64::EPSILON);
        assert!((percentile(&v, 0.99) - 99.0).abs() < f64::EPSILON);
        assert!((percentile(&[7.0], 0.99) - 7.0).abs() < f64::EPSILON);
        assert!(percentile(&[], 0.5).abs() < f64::EPSILON);
    }
}
