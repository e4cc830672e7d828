//! When account quotas are polled (`fetchAvailableModels`): lazily, never on a timer. An account
//! is polled when it serves a request and its report is older than `quota_refresh_s`, after a
//! quota 429, and when the console shows quota; always after a random delay, one account after
//! another, one poll per account at a time. The real IDE polls its one account while it is open
//! (`docs/upstream.md` "Background polling"): polling every account at start and every 300 s
//! made idle accounts look busy, refreshed their tokens around the clock and linked them in time.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng as _;

use super::Core;
use crate::accounts::AccountStatus;

/// The accounts with a poll under way (or waiting for its delay).
#[derive(Debug, Default)]
pub(super) struct QuotaPolls {
    in_flight: Mutex<HashSet<String>>,
}

impl QuotaPolls {
    /// Claims `account`; `false` when a poll for it is already under way.
    fn claim(&self, account: &str) -> bool {
        self.lock().insert(account.to_owned())
    }

    fn release(&self, account: &str) {
        self.lock().remove(account);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whether a report fetched at `fetched` is due at `now`.
pub(super) fn is_stale(
    fetched: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    interval: Duration,
) -> bool {
    let interval = chrono::Duration::from_std(interval).unwrap_or(chrono::Duration::MAX);
    fetched.is_none_or(|at| now.signed_duration_since(at) >= interval)
}

/// The largest random delay before a poll: a tenth of the interval, at most 5 s.
fn max_jitter(interval: Duration) -> Duration {
    (interval / 10).min(Duration::from_secs(5))
}

/// The delays (from now) of polls one after another: the first within `max`, each next one
/// between half of `max` and `max` after the previous. `fractions` are random numbers in [0, 1).
fn stagger(max: Duration, fractions: impl IntoIterator<Item = f64>) -> Vec<Duration> {
    let mut at = Duration::ZERO;
    fractions
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            let f = f.clamp(0.0, 1.0);
            at += if i == 0 {
                max.mul_f64(f)
            } else {
                max.mul_f64(0.5 + f / 2.0)
            };
            at
        })
        .collect()
}

impl Core {
    /// A report older than this is polled again when the account is used or shown.
    fn quota_interval(&self) -> Duration {
        Duration::from_secs(self.config().accounts.quota_refresh_s.max(1))
    }

    /// `account` just served a request: poll its quota when the last report is stale. Its
    /// access token is fresh, so the poll costs no token refresh.
    pub(super) fn poll_quota_on_use(&self, account: &str) {
        let interval = self.quota_interval();
        let fetched = self
            .accounts()
            .get(account)
            .and_then(|a| a.quota_fetched_at);
        if is_stale(fetched, Utc::now(), interval) {
            let delay = max_jitter(interval).mul_f64(rand::rng().random::<f64>());
            self.spawn_poll(account, delay, true);
        }
    }

    /// After a quota 429: poll soon, whatever the age of the last report.
    pub(super) fn refresh_quota_soon(&self, account: &str) {
        let delay = max_jitter(self.quota_interval()).mul_f64(rand::rng().random::<f64>());
        self.spawn_poll(account, delay, false);
    }

    /// The console shows quota: poll the usable accounts whose report is stale, staggered.
    /// Asked for by the console when it shows the accounts or the dashboard, never on a timer.
    pub fn poll_stale_quotas(&self) {
        let now = Utc::now();
        let interval = self.quota_interval();
        let due: Vec<String> = self
            .accounts()
            .snapshot()
            .into_iter()
            .filter(|a| matches!(a.status(now), AccountStatus::Ok | AccountStatus::Cooling))
            .filter(|a| is_stale(a.quota_fetched_at, now, interval))
            .map(|a| a.id)
            .collect();
        let mut rng = rand::rng();
        let fractions: Vec<f64> = due.iter().map(|_| rng.random::<f64>()).collect();
        for (account, delay) in due.iter().zip(stagger(max_jitter(interval), fractions)) {
            self.spawn_poll(account, delay, true);
        }
    }

    /// Polls `account` after `delay` (and, when `only_if_stale`, only if its report is still
    /// stale then), unless a poll for it is already under way. Ends early on shutdown.
    fn spawn_poll(&self, account: &str, delay: Duration, only_if_stale: bool) {
        if !self.inner.quota_polls.claim(account) {
            return;
        }
        let core = self.clone();
        let account = account.to_owned();
        tokio::spawn(async move {
            let shutdown = core.shutdown_token().clone();
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = tokio::time::sleep(delay) => {
                    let fetched = core.accounts().get(&account).and_then(|a| a.quota_fetched_at);
                    let due = !only_if_stale || is_stale(fetched, Utc::now(), core.quota_interval());
                    if due && let Err(e) = core.refresh_quota(&account).await {
                        tracing::debug!(account, "quota poll failed: {e:#}");
                    }
                }
            }
            core.inner.quota_polls.release(&account);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_is_stale_once_the_interval_has_passed() {
        let now = Utc::now();
        let interval = Duration::from_secs(300);
        assert!(is_stale(None, now, interval));
        assert!(!is_stale(
            Some(now - chrono::Duration::seconds(299)),
            now,
            interval
        ));
        assert!(is_stale(
            Some(now - chrono::Duration::seconds(300)),
            now,
            interval
        ));
        assert!(!is_stale(Some(now), now, Duration::MAX));
    }

    #[test]
    fn jitter_is_a_tenth_of_the_interval_capped() {
        assert_eq!(max_jitter(Duration::from_secs(300)), Duration::from_secs(5));
        assert_eq!(max_jitter(Duration::from_secs(10)), Duration::from_secs(1));
    }

    #[test]
    fn staggered_polls_are_spread_and_ordered() {
        let max = Duration::from_secs(4);
        let delays = stagger(max, [0.5, 0.0, 1.0]);
        assert_eq!(
            delays,
            vec![
                Duration::from_secs(2),
                Duration::from_secs(4),
                Duration::from_secs(8)
            ]
        );
        // However the dice fall, two polls are at least half the bound apart.
        let delays = stagger(max, [0.9, 0.0, 0.3, 0.0]);
        for pair in delays.windows(2) {
            assert!(
                pair[1].checked_sub(pair[0]).unwrap() >= max / 2,
                "{delays:?}"
            );
        }
        assert!(stagger(max, []).is_empty());
    }
}
