//! The Antigravity client version the User-Agent reports: parsing and ordering, the floor below
//! which Cloud Code refuses newer models, the updater manifest's `version:` line, the cache
//! record, and the choice between the user's override, the discovered value and the floor.
//! Pure: no I/O, no clock (times are arguments).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The lowest version ever reported: below 2.9.0 Cloud Code answers 404 for newer models, and
/// the updater manifest published 2.9.1 when that was found (`CLIProxyAPI` a834917e8).
pub const FLOOR: ClientVersion = ClientVersion::new(2, 9, 1);

/// The real Antigravity Hub's updater manifest (an electron-builder `latest-*.yml`), which
/// `CLIProxyAPI` reads for the same purpose (`internal/misc/antigravity_version.go`).
pub const DEFAULT_MANIFEST_URL: &str = "https://antigravity-hub-auto-updater-974169037036.us-central1.run.app/manifest/latest-arm64-mac.yml";

/// How often the manifest is read again (`CLIProxyAPI`: every 3 h).
pub const DEFAULT_REFRESH_S: u64 = 3 * 3600;

/// A manifest larger than this is not an updater manifest.
pub const MANIFEST_MAX_BYTES: usize = 4096;

/// `MAJOR.MINOR.PATCH`, all numeric (the only shape the updater publishes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientVersion {
    major: u32,
    minor: u32,
    patch: u32,
}

impl ClientVersion {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }
}

impl fmt::Display for ClientVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an Antigravity version (expected MAJOR.MINOR.PATCH, e.g. 2.9.1)")]
pub struct BadVersion(pub String);

impl FromStr for ClientVersion {
    type Err = BadVersion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadVersion(s.to_owned());
        let mut parts = s.trim().split('.');
        let mut next = || -> Result<u32, BadVersion> {
            let part = parts.next().ok_or_else(bad)?;
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            part.parse().map_err(|_| bad())
        };
        let version = Self::new(next()?, next()?, next()?);
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(version)
    }
}

impl Serialize for ClientVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ClientVersion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The top-level `version:` of an electron-builder manifest (`version: 2.9.1`, quoted or not).
pub fn parse_manifest(text: &str) -> Result<ClientVersion, String> {
    if text.len() > MANIFEST_MAX_BYTES {
        return Err(format!(
            "the manifest is {} bytes, more than an updater manifest",
            text.len()
        ));
    }
    let value = text
        .lines()
        .find_map(|line| line.strip_prefix("version:"))
        .ok_or("the manifest has no top-level `version:`")?;
    let value = value
        .split(" #")
        .next()
        .unwrap_or_default()
        .trim()
        .trim_matches(['"', '\'']);
    value.parse().map_err(|e: BadVersion| e.to_string())
}

/// The version in an Antigravity User-Agent: `antigravity/hub/2.9.1 …`, `antigravity/2.9.1 …`.
pub fn from_user_agent(ua: &str) -> Option<ClientVersion> {
    let rest = ua.trim().strip_prefix("antigravity/")?;
    let first = rest.split_whitespace().next()?;
    let version = first.rsplit('/').next()?;
    version.parse().ok()
}

/// The real client's product-family form, with this machine's real OS and architecture in
/// Go's spelling (the real client is a Go binary): `antigravity/hub/2.9.1 linux/amd64`.
pub fn user_agent(version: &str) -> String {
    format!("antigravity/hub/{version} {}/{}", go_os(), go_arch())
}

fn go_os() -> &'static str {
    match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    }
}

fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    }
}

/// What the data directory keeps of the last successful manifest read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedVersion {
    pub version: ClientVersion,
    pub fetched_at: DateTime<Utc>,
}

/// The version to report: the user's setting wins; else the discovered one, never below `FLOOR`.
pub fn effective(user: Option<ClientVersion>, discovered: Option<ClientVersion>) -> ClientVersion {
    user.unwrap_or_else(|| discovered.map_or(FLOOR, |d| d.max(FLOOR)))
}

/// After a failed read the manifest is tried again this soon (unless the interval is shorter).
pub const RETRY_AFTER_FAILURE_S: u64 = 600;

/// When to read the manifest next after a read at `now`: `every_s` later, or sooner after a
/// failure so that a passing outage does not leave the floor in place for hours.
pub fn next_read(now: DateTime<Utc>, every_s: u64, succeeded: bool) -> DateTime<Utc> {
    let wait = if succeeded {
        every_s
    } else {
        every_s.min(RETRY_AFTER_FAILURE_S)
    };
    i64::try_from(wait)
        .ok()
        .and_then(chrono::TimeDelta::try_seconds)
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_order_and_print() {
        let v: ClientVersion = "2.10.0".parse().unwrap();
        assert!(v > FLOOR);
        assert!("2.9.0".parse::<ClientVersion>().unwrap() < FLOOR);
        assert_eq!(v.to_string(), "2.10.0");
        for bad in ["", "2.9", "2.9.1.4", "2.x.1", "v2.9.1", "2..1", "-2.9.1"] {
            assert!(bad.parse::<ClientVersion>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_manifest_version_line_is_read() {
        let yml = "version: 2.11.3\nfiles:\n  - url: Antigravity-2.11.3-arm64-mac.zip\n    \
                   version: 9.9.9\npath: Antigravity.zip\nreleaseDate: '2026-08-20T00:00:00.000Z'\n";
        assert_eq!(parse_manifest(yml).unwrap().to_string(), "2.11.3");
        assert_eq!(
            parse_manifest("version: '2.9.4' # latest\n")
                .unwrap()
                .to_string(),
            "2.9.4"
        );
        assert!(parse_manifest("files: []\n").is_err());
        assert!(parse_manifest("version: latest\n").is_err());
        assert!(parse_manifest(&"x".repeat(MANIFEST_MAX_BYTES + 1)).is_err());
    }

    #[test]
    fn the_user_agent_has_the_hub_form_and_the_real_platform() {
        let ua = user_agent("2.9.1");
        assert!(ua.starts_with("antigravity/hub/2.9.1 "), "{ua}");
        let platform = ua.rsplit(' ').next().unwrap();
        let (os, arch) = platform.split_once('/').unwrap();
        if cfg!(target_os = "linux") {
            assert_eq!(os, "linux");
        }
        if cfg!(target_arch = "x86_64") {
            assert_eq!(arch, "amd64");
        }
        assert_eq!(from_user_agent(&ua), Some(FLOOR));
        assert_eq!(
            from_user_agent("antigravity/1.15.8 linux/amd64"),
            Some(ClientVersion::new(1, 15, 8))
        );
        assert_eq!(from_user_agent("curl/8.0"), None);
    }

    #[test]
    fn the_user_wins_and_discovery_never_goes_below_the_floor() {
        let old = ClientVersion::new(2, 0, 0);
        let new = ClientVersion::new(2, 12, 0);
        assert_eq!(effective(None, None), FLOOR);
        assert_eq!(effective(None, Some(old)), FLOOR);
        assert_eq!(effective(None, Some(new)), new);
        assert_eq!(effective(Some(old), Some(new)), old);
    }

    #[test]
    fn reads_follow_the_interval_and_retry_sooner_after_a_failure() {
        let now = Utc::now();
        assert_eq!(
            next_read(now, 10_800, true),
            now + chrono::Duration::hours(3)
        );
        assert_eq!(
            next_read(now, 10_800, false),
            now + chrono::Duration::minutes(10)
        );
        assert_eq!(
            next_read(now, 120, false),
            now + chrono::Duration::minutes(2)
        );
        assert_eq!(next_read(now, u64::MAX, true), DateTime::<Utc>::MAX_UTC);
    }
}
