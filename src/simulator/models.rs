//! The models the simulated upstream serves (the built-in catalogue's upstream ids plus one the
//! catalogue does not know; the lenient simulator also still serves the retired ids), their
//! limits, and how each family behaves in replies.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use super::gate::RETIRED;
use crate::catalogue::{Catalogue, FamilyDefaults, ThinkingMode};

/// A model only the simulator knows, so "new upstream models appear" can be tested.
pub(crate) const EXTRA_MODEL: &str = "gemini-3.5-flash-sim";

/// How a model family behaves on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// Tool calls carry `toolu_` ids; thinking ends with a signature-only part.
    Claude,
    /// Tool calls have no id and carry a sibling `thoughtSignature`.
    Gemini,
    /// Tool calls carry ids; no signatures.
    GptOss,
}

impl Style {
    pub fn of(model: &str) -> Self {
        if model.starts_with("claude") {
            Self::Claude
        } else if model.starts_with("gpt-oss") {
            Self::GptOss
        } else {
            Self::Gemini
        }
    }

    /// The family name mixed into thought signatures.
    pub fn signature_family(self) -> &'static str {
        match self {
            Self::Claude => "claude",
            Self::Gemini | Self::GptOss => "gemini",
        }
    }

    /// The largest `maxOutputTokens` the upstream accepts.
    pub fn max_output(self) -> u64 {
        match self {
            Self::Claude => 64_000,
            Self::Gemini => 65_536,
            Self::GptOss => 32_768,
        }
    }
}

/// Gemini 3 models (Gemini 3.1 Pro is served as `gemini-pro-agent`) insist on thought
/// signatures on replayed function calls.
pub(crate) fn is_gemini3(model: &str) -> bool {
    model.starts_with("gemini-3") || model == "gemini-pro-agent"
}

#[derive(Debug, Clone)]
pub(crate) struct SimModel {
    pub id: String,
    pub display_name: String,
    pub max_output: u32,
    pub context: u32,
    pub images: bool,
    pub thinking: bool,
    pub thinking_budget: u32,
}

struct Registry {
    models: Vec<SimModel>,
    /// Retired ids, shaped like their successors (served by the lenient simulator only).
    retired: Vec<SimModel>,
    /// Public catalogue id → upstream id, for fault scopes and quotas given by public id.
    public_to_upstream: BTreeMap<String, String>,
}

static REGISTRY: LazyLock<Registry> = LazyLock::new(|| {
    let catalogue = Catalogue::builtin(&BTreeMap::new(), FamilyDefaults::default());
    let mut models: Vec<SimModel> = Vec::new();
    let mut public_to_upstream = BTreeMap::new();
    for spec in catalogue.models() {
        public_to_upstream.insert(spec.id.clone(), spec.upstream.clone());
        if models.iter().any(|m| m.id == spec.upstream) {
            continue;
        }
        models.push(SimModel {
            id: spec.upstream.clone(),
            display_name: spec.display_name.clone(),
            max_output: spec.max_output,
            context: spec.context,
            images: spec.images,
            thinking: spec.thinking != ThinkingMode::Off,
            thinking_budget: spec.default_budget,
        });
    }
    models.push(SimModel {
        id: EXTRA_MODEL.to_owned(),
        display_name: "Gemini 3.5 Flash (Simulator)".to_owned(),
        max_output: 65_536,
        context: 1_048_576,
        images: true,
        thinking: true,
        thinking_budget: 4096,
    });
    let retired = RETIRED
        .iter()
        .filter_map(|(id, name, successor, _)| {
            let like = models.iter().find(|m| m.id == *successor)?;
            Some(SimModel {
                id: (*id).to_owned(),
                display_name: (*name).to_owned(),
                ..like.clone()
            })
        })
        .collect();
    Registry {
        models,
        retired,
        public_to_upstream,
    }
});

/// What `fetchAvailableModels` lists: today's models (strict), or those plus the retired ids.
pub(crate) fn listed(strict: bool) -> impl Iterator<Item = &'static SimModel> {
    let retired: &[SimModel] = if strict { &[] } else { &REGISTRY.retired };
    REGISTRY.models.iter().chain(retired)
}

/// Whether generate calls for `model` are served (strict: not the retired ids).
pub(crate) fn is_known(model: &str, strict: bool) -> bool {
    listed(strict).any(|m| m.id == model)
}

/// Maps a public catalogue id to its upstream id; anything else is returned unchanged.
pub(crate) fn to_upstream(model: &str) -> String {
    REGISTRY
        .public_to_upstream
        .get(model)
        .cloned()
        .unwrap_or_else(|| model.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_has_catalogue_upstreams_and_the_extra_model() {
        assert!(is_known("claude-sonnet-4-6", true));
        assert!(is_known("gpt-oss-120b-medium", true));
        assert!(!is_known("gpt-oss-120b", true));
        assert!(is_known(EXTRA_MODEL, true));
        assert!(!is_known("claude-sonnet-4-5", true), "retired");
        assert!(
            is_known("claude-sonnet-4-5", false),
            "lenient still serves it"
        );
        assert_eq!(listed(false).count(), listed(true).count() + RETIRED.len());
        assert_eq!(to_upstream("gpt-oss-120b"), "gpt-oss-120b-medium");
        assert_eq!(to_upstream("whatever"), "whatever");
    }
}
