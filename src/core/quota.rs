//! Keeping the live picture current: each account's quota from `fetchAvailableModels` (when it
//! is polled: `polling.rs`), models the upstream offers merged into the catalogue, and the recent
//! time to first token per model that the `fast` route orders by.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use super::Core;
use crate::accounts::{OfferedModel, parse_available_models};
use crate::catalogue::{Family, ModelSpec, ThinkingMode};
use crate::upstream::CallError;

/// How many recent first-token times per model feed the median.
const TTFT_WINDOW: usize = 20;

/// Recent time-to-first-event per model, measured by this proxy.
#[derive(Debug, Default)]
pub struct LatencyBook {
    samples: Mutex<HashMap<String, VecDeque<u64>>>,
}

impl LatencyBook {
    pub fn record(&self, model: &str, ms: u64) {
        let mut samples = self.samples.lock().expect("latency book poisoned");
        let ring = samples.entry(model.to_owned()).or_default();
        if ring.len() == TTFT_WINDOW {
            ring.pop_front();
        }
        ring.push_back(ms);
    }

    pub fn median(&self, model: &str) -> Option<u64> {
        let samples = self.samples.lock().expect("latency book poisoned");
        let ring = samples.get(model)?;
        let mut sorted: Vec<u64> = ring.iter().copied().collect();
        sorted.sort_unstable();
        sorted.get(sorted.len() / 2).copied()
    }
}

impl Core {
    /// Asks the upstream for one account's quota and models, and stores the answer.
    pub async fn refresh_quota(&self, account: &str) -> anyhow::Result<()> {
        self.ensure_client_version().await;
        let token = self
            .accounts()
            .access_token(account, self.auth(), false)
            .await?;
        let upstream = self.upstream_for(account)?;
        let project = match self.accounts().get(account).and_then(|a| a.project) {
            Some(p) => p,
            None => upstream.discover_project(&token).await?.project,
        };
        let answer = upstream
            .fetch_available_models(&token, &project)
            .await
            .map_err(|e| match e {
                CallError::Failure(f) => anyhow::anyhow!("{}", f.message),
                CallError::Unreachable(why) => anyhow::anyhow!(why),
            })?;
        let available = parse_available_models(&answer);
        self.merge_offered(account, &available.offered, &available.deprecated);
        self.accounts().set_quota(account, available.quotas);
        Ok(())
    }

    /// New upstream models join the catalogue; deprecated ids forward to their successors (even
    /// built-in ones); the list is remembered as what this account is served.
    fn merge_offered(
        &self,
        account: &str,
        offered: &[OfferedModel],
        deprecated: &[(String, String)],
    ) {
        let mut catalogue = self.inner.catalogue.write().expect("catalogue poisoned");
        for model in offered {
            let known = catalogue
                .models()
                .iter()
                .any(|m| m.upstream == model.upstream);
            let retired = deprecated.iter().any(|(old, _)| *old == model.upstream);
            if known || retired || !is_chat_model(&model.upstream) {
                continue;
            }
            tracing::info!(model = model.upstream, "the upstream offers a new model");
            catalogue.insert_discovered(spec_for(model));
        }
        for (old, new) in deprecated {
            let target = catalogue
                .models()
                .iter()
                .find(|m| m.id == *new)
                .or_else(|| catalogue.models().iter().find(|m| m.upstream == *new))
                .map(|m| m.id.clone());
            if let Some(target) = target {
                catalogue.forward(old.clone(), target);
            }
        }
        // An answer that lists nothing says nothing about what is served.
        if !offered.is_empty() {
            let live = offered
                .iter()
                .map(|m| m.upstream.clone())
                .filter(|id| !deprecated.iter().any(|(old, _)| old == id))
                .collect();
            catalogue.set_live(account, live);
        }
    }

    pub fn latency(&self) -> &LatencyBook {
        &self.inner.latency
    }
}

/// Internal ids (autocomplete, tab models) are not chat models.
fn is_chat_model(id: &str) -> bool {
    !(id.starts_with("tab_") || id.starts_with("chat_") || id.contains("image"))
}

fn spec_for(model: &OfferedModel) -> ModelSpec {
    let family = if model.upstream.starts_with("claude") {
        Family::Claude
    } else if model.upstream.starts_with("gpt-oss") {
        Family::GptOss
    } else {
        Family::Gemini
    };
    let max_output = model.max_output.unwrap_or(match family {
        Family::Claude => 64_000,
        Family::GptOss => 32_768,
        Family::Gemini => 65_536,
    });
    let (budget_min, budget_max) = match family {
        Family::Claude => (1024, max_output.saturating_sub(1)),
        _ => (128, 32_768.min(max_output.saturating_sub(1))),
    };
    ModelSpec {
        id: model.upstream.clone(),
        display_name: model
            .display_name
            .clone()
            .unwrap_or_else(|| model.upstream.clone()),
        family,
        upstream: model.upstream.clone(),
        max_output,
        context: 0,
        images: model.images,
        thinking: if model.thinking {
            ThinkingMode::Optional
        } else {
            ThinkingMode::Off
        },
        levels: family == Family::Gemini && model.upstream.starts_with("gemini-3"),
        budget_min,
        budget_max,
        default_budget: budget_min.max(4096).min(budget_max),
        thinking_variant: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_recent_samples() {
        let book = LatencyBook::default();
        assert_eq!(book.median("m"), None);
        for ms in [300, 100, 200] {
            book.record("m", ms);
        }
        assert_eq!(book.median("m"), Some(200));
        for _ in 0..TTFT_WINDOW {
            book.record("m", 50);
        }
        assert_eq!(book.median("m"), Some(50), "old samples age out");
    }

    #[test]
    fn offered_models_become_specs() {
        let spec = spec_for(&OfferedModel {
            upstream: "gemini-3.5-flash-sim".into(),
            display_name: Some("Gemini 3.5 Flash".into()),
            max_output: Some(65_536),
            images: true,
            thinking: true,
        });
        assert_eq!(spec.family, Family::Gemini);
        assert!(spec.can_think() && spec.levels);
        assert!(spec.budget_max < spec.max_output);
        assert!(!is_chat_model("tab_flash_lite_preview"));
    }
}
