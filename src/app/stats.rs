//! Traffic statistics for the header and the dashboard: per-second buckets over the last two
//! minutes (requests, errors, latency) and running token totals.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};

/// How many seconds of history the sparklines show.
pub const WINDOW_SECS: usize = 120;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bucket {
    pub second: i64,
    pub requests: u64,
    pub errors: u64,
    pub latency_sum_ms: u64,
    pub ttft_sum_ms: u64,
    pub ttft_count: u64,
}

#[derive(Debug, Clone, Default)]
pub struct Stats {
    buckets: VecDeque<Bucket>,
    pub total_requests: u64,
    pub total_errors: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub in_flight: u64,
}

impl Stats {
    fn bucket(&mut self, at: DateTime<Utc>) -> &mut Bucket {
        let second = at.timestamp();
        if self.buckets.back().is_none_or(|b| b.second < second) {
            self.buckets.push_back(Bucket {
                second,
                ..Bucket::default()
            });
            while self.buckets.len() > WINDOW_SECS {
                self.buckets.pop_front();
            }
        }
        // A late finish (clock skew between threads) lands in the newest bucket.
        self.buckets.back_mut().expect("just pushed")
    }

    pub fn started(&mut self) {
        self.in_flight += 1;
    }

    pub fn finished(
        &mut self,
        at: DateTime<Utc>,
        error: bool,
        duration_ms: u64,
        ttft: Option<u64>,
    ) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.total_requests += 1;
        self.total_errors += u64::from(error);
        let bucket = self.bucket(at);
        bucket.requests += 1;
        bucket.errors += u64::from(error);
        bucket.latency_sum_ms += duration_ms;
        if let Some(t) = ttft {
            bucket.ttft_sum_ms += t;
            bucket.ttft_count += 1;
        }
    }

    pub fn tokens(&mut self, input: u64, output: u64) {
        self.input_tokens += input;
        self.output_tokens += output;
    }

    /// One value per second for the last `secs` seconds ending at `now` (oldest first).
    pub fn series(
        &self,
        now: DateTime<Utc>,
        secs: usize,
        value: impl Fn(&Bucket) -> u64,
    ) -> Vec<u64> {
        let end = now.timestamp();
        let start = end - i64::try_from(secs).unwrap_or(0) + 1;
        let mut out = vec![0; secs];
        for b in self
            .buckets
            .iter()
            .filter(|b| b.second >= start && b.second <= end)
        {
            let slot = usize::try_from(b.second - start).unwrap_or(0);
            out[slot] = value(b);
        }
        out
    }

    /// Requests finished per second, averaged over the last five seconds.
    pub fn rate(&self, now: DateTime<Utc>) -> f64 {
        let recent: u64 = self.series(now, 5, |b| b.requests).iter().sum();
        #[allow(clippy::cast_precision_loss)] // counts far below 2^52
        let rate = recent as f64 / 5.0;
        rate
    }

    /// Share of failed requests in the last minute, in percent.
    pub fn error_rate(&self, now: DateTime<Utc>) -> f64 {
        let requests: u64 = self.series(now, 60, |b| b.requests).iter().sum();
        let errors: u64 = self.series(now, 60, |b| b.errors).iter().sum();
        if requests == 0 {
            return 0.0;
        }
        #[allow(clippy::cast_precision_loss)]
        let rate = errors as f64 * 100.0 / requests as f64;
        rate
    }
}

/// Mean latency of a bucket in milliseconds (0 when empty).
pub fn mean_latency(b: &Bucket) -> u64 {
    b.latency_sum_ms.checked_div(b.requests).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap()
    }

    #[test]
    fn rates_and_series_cover_the_recent_window() {
        let mut stats = Stats::default();
        for s in 0..5 {
            stats.started();
            stats.finished(at(s), s == 4, 100 * u64::try_from(s).unwrap(), Some(10));
        }
        assert!((stats.rate(at(4)) - 1.0).abs() < f64::EPSILON);
        assert!((stats.error_rate(at(4)) - 20.0).abs() < f64::EPSILON);
        assert_eq!(stats.series(at(4), 3, mean_latency), vec![200, 300, 400]);
        assert_eq!(stats.in_flight, 0);
        assert_eq!(stats.series(at(200), 3, |b| b.requests), vec![0, 0, 0]);
    }
}
