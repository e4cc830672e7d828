//! One stored account and the accounts file format. Token fields never appear in `Debug`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::quota::ModelQuota;

#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountRecord {
    pub id: String,
    pub email: String,
    pub refresh_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// Turned off by the user.
    #[serde(default)]
    pub disabled: bool,
    /// Why the account needs a new login (refresh token revoked or expired).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs_login: Option<String>,
    /// The upstream's message when it refused the account (terms of service); never retried
    /// automatically.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quarantined: Option<String>,
    #[serde(default)]
    pub cooldowns: Vec<Cooldown>,
    /// The upstream's last quota report, by upstream model id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub quota: BTreeMap<String, ModelQuota>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota_fetched_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for AccountRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountRecord")
            .field("id", &self.id)
            .field("status", &self.status(Utc::now()))
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cooldown {
    pub model: String,
    pub until: DateTime<Utc>,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Ok,
    Cooling,
    NeedsLogin,
    Quarantined,
    Disabled,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Cooling => "cooling",
            Self::NeedsLogin => "needs_login",
            Self::Quarantined => "quarantined",
            Self::Disabled => "disabled",
        }
    }
}

impl AccountRecord {
    pub fn new(email: &str, refresh_token: &str, now: DateTime<Utc>) -> Self {
        Self {
            id: account_id_for(email),
            email: email.to_owned(),
            refresh_token: refresh_token.to_owned(),
            access_token: None,
            expires_at: None,
            project: None,
            tier: None,
            disabled: false,
            needs_login: None,
            quarantined: None,
            cooldowns: Vec::new(),
            quota: BTreeMap::new(),
            quota_fetched_at: None,
            created_at: now,
        }
    }

    pub fn status(&self, now: DateTime<Utc>) -> AccountStatus {
        if self.disabled {
            AccountStatus::Disabled
        } else if self.quarantined.is_some() {
            AccountStatus::Quarantined
        } else if self.needs_login.is_some() {
            AccountStatus::NeedsLogin
        } else if self.cooldowns.iter().any(|c| c.until > now) {
            AccountStatus::Cooling
        } else {
            AccountStatus::Ok
        }
    }

    /// The active cooldown for `model`, if any.
    pub fn cooldown_for(&self, model: &str, now: DateTime<Utc>) -> Option<&Cooldown> {
        self.cooldowns
            .iter()
            .find(|c| c.model == model && c.until > now)
    }

    pub fn matches(&self, key: &str) -> bool {
        self.id == key || self.email.eq_ignore_ascii_case(key)
    }
}

/// A short stable id derived from the email, so the same Google account keeps its id.
pub fn account_id_for(email: &str) -> String {
    let digest = Sha256::digest(email.trim().to_ascii_lowercase().as_bytes());
    digest[..4]
        .iter()
        .fold(String::with_capacity(8), |mut id, b| {
            let _ = write!(id, "{b:02x}");
            id
        })
}

/// The on-disk shape of `accounts.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct AccountsFile {
    #[serde(default = "current_version")]
    pub version: u32,
    #[serde(default)]
    pub accounts: Vec<AccountRecord>,
}

fn current_version() -> u32 {
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_precedence_and_debug_hides_tokens() {
        let now = Utc::now();
        let mut a = AccountRecord::new("Me@Example.com", "1//secret-refresh", now);
        a.access_token = Some("ya29.secret".into());
        assert_eq!(a.id, account_id_for("me@example.com"));
        assert_eq!(a.status(now), AccountStatus::Ok);
        a.cooldowns.push(Cooldown {
            model: "m".into(),
            until: now + chrono::Duration::seconds(60),
            reason: "quota".into(),
        });
        assert_eq!(a.status(now), AccountStatus::Cooling);
        assert!(a.cooldown_for("m", now).is_some());
        assert!(a.cooldown_for("other", now).is_none());
        assert_eq!(
            a.status(now + chrono::Duration::seconds(61)),
            AccountStatus::Ok
        );
        a.needs_login = Some("revoked".into());
        assert_eq!(a.status(now), AccountStatus::NeedsLogin);
        a.disabled = true;
        assert_eq!(a.status(now), AccountStatus::Disabled);
        let dbg = format!("{a:?}");
        assert!(!dbg.contains("secret"), "{dbg}");
    }
}
