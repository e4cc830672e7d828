//! The live account pool: selection of usable accounts for a model (with the reason each other
//! account was skipped), access tokens refreshed ahead of expiry with one refresh per account at a
//! time, per-account concurrency and spacing, and cooldowns that are persisted.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::record::{AccountRecord, AccountStatus, AccountsFile, Cooldown};
use crate::atomic_file::{self, Visibility};
use crate::auth::{GoogleAuth, RefreshError};
use crate::config::AccountsConfig;
use crate::events::{Bus, ProxyEvent};

/// Why an account was not used for a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SkipReason {
    Disabled,
    NeedsLogin {
        detail: String,
    },
    Quarantined {
        detail: String,
    },
    Cooling {
        until: DateTime<Utc>,
        why: String,
    },
    /// The upstream's quota report says this model is used up on this account.
    QuotaExhausted {
        until: DateTime<Utc>,
    },
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Disabled => write!(f, "disabled"),
            Self::NeedsLogin { detail } => write!(f, "needs login ({detail})"),
            Self::Quarantined { detail } => write!(f, "quarantined: {detail}"),
            Self::Cooling { until, why } => {
                write!(f, "cooling until {} ({why})", until.to_rfc3339())
            }
            Self::QuotaExhausted { until } => {
                write!(f, "quota exhausted until {}", until.to_rfc3339())
            }
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Selection {
    /// Usable account ids, in preference order.
    pub usable: Vec<String>,
    pub skipped: Vec<(String, SkipReason)>,
    /// Usable accounts whose concurrency limit is reached right now (ordered last in `usable`).
    pub busy: Vec<String>,
}

impl Selection {
    /// The earliest moment a cooling account becomes usable again.
    pub fn earliest_reset(&self) -> Option<DateTime<Utc>> {
        self.skipped
            .iter()
            .filter_map(|(_, r)| match r {
                SkipReason::Cooling { until, .. } | SkipReason::QuotaExhausted { until } => {
                    Some(*until)
                }
                _ => None,
            })
            .min()
    }
}

/// Held while a request uses an account: a concurrency permit.
#[derive(Debug)]
pub struct Slot {
    _permit: Option<OwnedSemaphorePermit>,
}

#[derive(Debug)]
struct Runtime {
    refresh_lock: tokio::sync::Mutex<()>,
    concurrency: Option<Arc<Semaphore>>,
    next_start: tokio::sync::Mutex<tokio::time::Instant>,
}

#[derive(Debug)]
struct State {
    accounts: Vec<AccountRecord>,
    version: u64,
}

/// Shared by all requests; cheap to clone.
#[derive(Debug, Clone)]
pub struct AccountPool {
    state: Arc<Mutex<State>>,
    runtime: Arc<Mutex<HashMap<String, Arc<Runtime>>>>,
    written: Arc<Mutex<u64>>,
    path: Option<PathBuf>,
    config: AccountsConfig,
    bus: Bus,
}

impl AccountPool {
    /// Loads the accounts file (an absent file is an empty pool).
    pub fn load(path: PathBuf, config: AccountsConfig, bus: Bus) -> anyhow::Result<Self> {
        let file = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice::<AccountsFile>(&bytes)
                .with_context(|| format!("{} is not a valid accounts file", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => AccountsFile::default(),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        Ok(Self::build(file.accounts, Some(path), config, bus))
    }

    /// A pool that never touches the disk (tests, demo).
    pub fn in_memory(accounts: Vec<AccountRecord>, config: AccountsConfig, bus: Bus) -> Self {
        Self::build(accounts, None, config, bus)
    }

    fn build(
        accounts: Vec<AccountRecord>,
        path: Option<PathBuf>,
        config: AccountsConfig,
        bus: Bus,
    ) -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                accounts,
                version: 0,
            })),
            runtime: Arc::default(),
            written: Arc::default(),
            path,
            config,
            bus,
        }
    }

    pub fn snapshot(&self) -> Vec<AccountRecord> {
        self.lock().accounts.clone()
    }

    pub fn get(&self, id: &str) -> Option<AccountRecord> {
        self.lock().accounts.iter().find(|a| a.id == id).cloned()
    }

    /// Accounts with status ok or cooling for some model (logged in and allowed).
    pub fn usable_count(&self, now: DateTime<Utc>) -> usize {
        self.lock()
            .accounts
            .iter()
            .filter(|a| matches!(a.status(now), AccountStatus::Ok | AccountStatus::Cooling))
            .count()
    }

    /// Adds or replaces (same email) an account and persists.
    pub fn upsert(&self, record: AccountRecord) -> anyhow::Result<()> {
        {
            let mut state = self.lock();
            if let Some(existing) = state.accounts.iter_mut().find(|a| a.id == record.id) {
                let created_at = existing.created_at;
                *existing = record;
                existing.created_at = created_at;
            } else {
                state.accounts.push(record);
            }
            state.version += 1;
        }
        self.save_now()
    }

    pub fn remove(&self, key: &str) -> anyhow::Result<Option<AccountRecord>> {
        let removed = {
            let mut state = self.lock();
            let pos = state.accounts.iter().position(|a| a.matches(key));
            let removed = pos.map(|p| state.accounts.remove(p));
            state.version += 1;
            removed
        };
        if removed.is_some() {
            self.save_now()?;
        }
        Ok(removed)
    }

    /// Which accounts may serve `model` now, in order (optionally only `only`), and why the
    /// others may not.
    pub fn select(&self, model: &str, only: Option<&str>, now: DateTime<Utc>) -> Selection {
        self.select_model(model, model, only, now)
    }

    /// `select` for a catalogue model: cooldowns are kept per public id, quota per upstream id.
    /// Accounts at their concurrency limit come last.
    pub fn select_model(
        &self,
        model: &str,
        upstream: &str,
        only: Option<&str>,
        now: DateTime<Utc>,
    ) -> Selection {
        let mut selection = self.select_inner(model, upstream, only, now);
        let runtime = self.runtime.lock().expect("runtime map poisoned");
        let busy: Vec<String> = selection
            .usable
            .iter()
            .filter(|id| {
                runtime
                    .get(*id)
                    .and_then(|r| r.concurrency.as_ref())
                    .is_some_and(|s| s.available_permits() == 0)
            })
            .cloned()
            .collect();
        selection.usable.sort_by_key(|id| busy.contains(id));
        selection.busy = busy;
        selection
    }

    fn select_inner(
        &self,
        model: &str,
        upstream: &str,
        only: Option<&str>,
        now: DateTime<Utc>,
    ) -> Selection {
        let state = self.lock();
        let mut selection = Selection::default();
        for account in &state.accounts {
            if only.is_some_and(|key| !account.matches(key)) {
                continue;
            }
            let reason = if account.disabled {
                Some(SkipReason::Disabled)
            } else if let Some(detail) = &account.quarantined {
                Some(SkipReason::Quarantined {
                    detail: detail.clone(),
                })
            } else if let Some(detail) = &account.needs_login {
                Some(SkipReason::NeedsLogin {
                    detail: detail.clone(),
                })
            } else {
                account
                    .cooldown_for(model, now)
                    .map(|c| SkipReason::Cooling {
                        until: c.until,
                        why: c.reason.clone(),
                    })
                    .or_else(|| {
                        account
                            .quota
                            .get(upstream)
                            .and_then(|q| q.exhausted_until(now))
                            .map(|until| SkipReason::QuotaExhausted { until })
                    })
            };
            match reason {
                Some(r) => selection.skipped.push((account.id.clone(), r)),
                None => selection.usable.push(account.id.clone()),
            }
        }
        selection
    }

    /// A valid access token for the account, refreshing it first when it expires within the
    /// margin (or when `force`). Concurrent callers share one refresh.
    pub async fn access_token(
        &self,
        id: &str,
        auth: &GoogleAuth,
        force: bool,
    ) -> Result<String, RefreshError> {
        let runtime = self.runtime(id);
        let stale_token = self.get(id).and_then(|a| a.access_token);
        let _guard = runtime.refresh_lock.lock().await;
        let record = self
            .get(id)
            .ok_or_else(|| RefreshError::account("the account was removed"))?;
        let margin =
            chrono::Duration::seconds(i64::try_from(self.config.refresh_margin_s).unwrap_or(300));
        let fresh = record
            .expires_at
            .is_some_and(|exp| exp - margin > Utc::now());
        // A forced refresh is skipped when another caller refreshed while we waited.
        let refreshed_meanwhile = force && record.access_token != stale_token;
        if let Some(token) = &record.access_token
            && ((fresh && !force) || refreshed_meanwhile)
        {
            return Ok(token.clone());
        }
        match auth.refresh(&record.refresh_token).await {
            Ok(grant) => {
                let expires_at = Utc::now()
                    + chrono::Duration::seconds(
                        i64::try_from(grant.expires_in.unwrap_or(3599)).unwrap_or(3599),
                    );
                self.update(id, |a| {
                    a.access_token = Some(grant.access_token.clone());
                    a.expires_at = Some(expires_at);
                    if let Some(rt) = &grant.refresh_token {
                        a.refresh_token.clone_from(rt);
                    }
                    a.needs_login = None;
                });
                tracing::info!(account = id, "access token refreshed");
                Ok(grant.access_token)
            }
            // A refused OAuth client is the configuration's fault, not the account's: the
            // account keeps its state and works again once the client settings are fixed.
            Err(e) if e.is_config() => Err(e),
            Err(RefreshError::Permanent(refusal)) => {
                self.update(id, |a| a.needs_login = Some(refusal.detail.clone()));
                self.bus.emit(ProxyEvent::AccountUpdated {
                    account: id.into(),
                    status: "needs_login".into(),
                });
                tracing::warn!(account = id, "refresh token refused; account needs login");
                Err(RefreshError::Permanent(refusal))
            }
            Err(e) => Err(e),
        }
    }

    /// Waits for a concurrency slot and the minimum spacing since the previous start.
    pub async fn acquire(&self, id: &str) -> Slot {
        let runtime = self.runtime(id);
        let permit = match &runtime.concurrency {
            Some(sem) => sem.clone().acquire_owned().await.ok(),
            None => None,
        };
        if self.config.min_interval_ms > 0 {
            let mut next = runtime.next_start.lock().await;
            let now = tokio::time::Instant::now();
            if *next > now {
                tokio::time::sleep_until(*next).await;
            }
            *next =
                tokio::time::Instant::now() + Duration::from_millis(self.config.min_interval_ms);
        }
        Slot { _permit: permit }
    }

    /// Stops using (account, model) until `until`.
    pub fn cool(&self, id: &str, model: &str, until: DateTime<Utc>, reason: &str) {
        self.update(id, |a| {
            a.cooldowns
                .retain(|c| c.model != model && c.until > Utc::now());
            a.cooldowns.push(Cooldown {
                model: model.to_owned(),
                until,
                reason: reason.to_owned(),
            });
        });
        tracing::info!(account = id, model, until = %until.to_rfc3339(), reason, "account cooling");
        self.bus.emit(ProxyEvent::AccountCooled {
            account: id.into(),
            model: model.into(),
            until,
            reason: reason.into(),
        });
    }

    pub fn quarantine(&self, id: &str, message: &str) {
        self.update(id, |a| a.quarantined = Some(message.to_owned()));
        tracing::warn!(account = id, "account quarantined by the upstream");
        self.bus.emit(ProxyEvent::AccountUpdated {
            account: id.into(),
            status: "quarantined".into(),
        });
    }

    /// Stores the upstream's latest quota report for the account.
    pub fn set_quota(
        &self,
        id: &str,
        quota: std::collections::BTreeMap<String, super::ModelQuota>,
    ) {
        self.update(id, |a| {
            a.quota = quota;
            a.quota_fetched_at = Some(Utc::now());
        });
        self.bus.emit(ProxyEvent::AccountUpdated {
            account: id.into(),
            status: "quota".into(),
        });
    }

    pub fn set_project(&self, id: &str, project: &str, tier: Option<&str>) {
        self.update(id, |a| {
            a.project = Some(project.to_owned());
            if let Some(t) = tier {
                a.tier = Some(t.to_owned());
            }
        });
    }

    pub fn set_disabled(&self, key: &str, disabled: bool) -> bool {
        let id = self
            .lock()
            .accounts
            .iter()
            .find(|a| a.matches(key))
            .map(|a| a.id.clone());
        if let Some(id) = &id {
            self.update(id, |a| {
                a.disabled = disabled;
                // Enabling is the user saying "try it again": after verifying the account at
                // Google's link, or after an appeal.
                if !disabled {
                    a.quarantined = None;
                }
            });
        }
        id.is_some()
    }

    fn update(&self, id: &str, change: impl FnOnce(&mut AccountRecord)) {
        {
            let mut state = self.lock();
            let Some(account) = state.accounts.iter_mut().find(|a| a.id == id) else {
                return;
            };
            change(account);
            state.version += 1;
        }
        self.save_in_background();
    }

    fn runtime(&self, id: &str) -> Arc<Runtime> {
        let mut map = self.runtime.lock().expect("runtime map poisoned");
        map.entry(id.to_owned())
            .or_insert_with(|| {
                Arc::new(Runtime {
                    refresh_lock: tokio::sync::Mutex::new(()),
                    concurrency: (self.config.max_concurrency > 0)
                        .then(|| Arc::new(Semaphore::new(self.config.max_concurrency as usize))),
                    next_start: tokio::sync::Mutex::new(tokio::time::Instant::now()),
                })
            })
            .clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("account state poisoned")
    }

    fn file_snapshot(&self) -> (u64, Vec<u8>) {
        let state = self.lock();
        let file = AccountsFile {
            version: 1,
            accounts: state.accounts.clone(),
        };
        let bytes = serde_json::to_vec_pretty(&file).expect("accounts serialise");
        (state.version, bytes)
    }

    /// Writes now (CLI paths, where the caller wants to know it worked).
    pub fn save_now(&self) -> anyhow::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let (version, bytes) = self.file_snapshot();
        let mut written = self.written.lock().expect("save lock poisoned");
        if *written > version {
            return Ok(());
        }
        atomic_file::write(path, &bytes, Visibility::Private)?;
        *written = version;
        Ok(())
    }

    /// Writes off the async runtime; an older snapshot never overwrites a newer one.
    fn save_in_background(&self) {
        if self.path.is_none() {
            return;
        }
        let pool = self.clone();
        let save = move || {
            if let Err(e) = pool.save_now() {
                tracing::error!("saving accounts failed: {e:#}");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn_blocking(save);
            }
            Err(_) => save(),
        }
    }
}
