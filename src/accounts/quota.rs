//! Per-model quota as the upstream reports it (`fetchAvailableModels`): the remaining fraction
//! and the reset time, plus the models and forwarding aliases the answer reveals. Pure parsing.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ModelQuota {
    /// 0.0 (exhausted) to 1.0 (full).
    pub remaining_fraction: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_time: Option<DateTime<Utc>>,
}

impl ModelQuota {
    /// Out of quota until a reset that has not come yet.
    pub fn exhausted_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.remaining_fraction > 0.0 {
            return None;
        }
        self.reset_time.filter(|t| *t > now)
    }
}

/// A model the upstream offers, as described in its list.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferedModel {
    pub upstream: String,
    pub display_name: Option<String>,
    pub max_output: Option<u32>,
    pub images: bool,
    pub thinking: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AvailableModels {
    /// Keyed by upstream model id.
    pub quotas: BTreeMap<String, ModelQuota>,
    pub offered: Vec<OfferedModel>,
    /// (old id, new id) forwarding pairs from `deprecatedModelIds`.
    pub deprecated: Vec<(String, String)>,
}

/// Reads a `fetchAvailableModels` answer. A `resetTime` without `remainingFraction` means the
/// quota is exhausted.
pub fn parse_available_models(value: &Value) -> AvailableModels {
    let mut out = AvailableModels::default();
    if let Some(models) = value.get("models").and_then(Value::as_object) {
        for (id, info) in models {
            let quota = info.get("quotaInfo");
            let reset_time = quota
                .and_then(|q| q.get("resetTime"))
                .and_then(Value::as_str)
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.with_timezone(&Utc));
            let fraction = quota
                .and_then(|q| q.get("remainingFraction"))
                .and_then(Value::as_f64);
            if quota.is_some() {
                let remaining_fraction = match (fraction, reset_time) {
                    (Some(f), _) => f.clamp(0.0, 1.0),
                    (None, Some(_)) => 0.0,
                    (None, None) => 1.0,
                };
                out.quotas.insert(
                    id.clone(),
                    ModelQuota {
                        remaining_fraction,
                        reset_time,
                    },
                );
            }
            out.offered.push(OfferedModel {
                upstream: id.clone(),
                display_name: info
                    .get("displayName")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                max_output: info
                    .get("maxOutputTokens")
                    .and_then(Value::as_u64)
                    .and_then(|n| u32::try_from(n).ok()),
                images: info
                    .get("supportsImages")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                thinking: info
                    .get("supportsThinking")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            });
        }
    }
    if let Some(deprecated) = value.get("deprecatedModelIds").and_then(Value::as_object) {
        for (old, info) in deprecated {
            if let Some(new) = info.get("newModelId").and_then(Value::as_str) {
                out.deprecated.push((old.clone(), new.to_owned()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_quota_models_and_forwarding() {
        let v = json!({
            "models": {
                "gemini-3-flash": {"displayName": "Gemini 3 Flash", "maxOutputTokens": 65536,
                    "supportsImages": true, "supportsThinking": true,
                    "quotaInfo": {"remainingFraction": 0.25, "resetTime": "2026-02-01T12:00:00Z"}},
                "claude-sonnet-4-6": {"quotaInfo": {"resetTime": "2026-02-01T12:00:00Z"}},
                "tab_flash": {}
            },
            "deprecatedModelIds": {"old": {"newModelId": "gemini-3-flash"}}
        });
        let a = parse_available_models(&v);
        assert!((a.quotas["gemini-3-flash"].remaining_fraction - 0.25).abs() < 1e-9);
        assert!(
            a.quotas["claude-sonnet-4-6"].remaining_fraction.abs() < 1e-9,
            "reset without fraction is exhausted"
        );
        assert!(!a.quotas.contains_key("tab_flash"));
        assert_eq!(a.offered.len(), 3);
        let flash = a
            .offered
            .iter()
            .find(|m| m.upstream == "gemini-3-flash")
            .unwrap();
        assert_eq!(flash.max_output, Some(65536));
        assert!(flash.thinking && flash.images);
        assert_eq!(
            a.deprecated,
            vec![("old".to_string(), "gemini-3-flash".to_string())]
        );
    }

    #[test]
    fn exhausted_only_until_the_reset() {
        let now = Utc::now();
        let q = ModelQuota {
            remaining_fraction: 0.0,
            reset_time: Some(now + chrono::Duration::minutes(5)),
        };
        assert!(q.exhausted_until(now).is_some());
        assert!(
            q.exhausted_until(now + chrono::Duration::minutes(6))
                .is_none()
        );
        let ok = ModelQuota {
            remaining_fraction: 0.5,
            reset_time: None,
        };
        assert!(ok.exhausted_until(now).is_none());
    }
}
