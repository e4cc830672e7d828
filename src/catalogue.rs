//! The model catalogue: which public model ids exist, what each sends upstream and its limits,
//! and how a name a client sends (an id, an alias, or an unknown id of a known family) resolves.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

const BUILTIN: &str = include_str!("../assets/models.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    Claude,
    Gemini,
    GptOss,
}

impl Family {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Claude => "claude",
            Self::Gemini => "gemini",
            Self::GptOss => "gpt-oss",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ThinkingMode {
    /// Never thinks; a thinking request is ignored (or moved to `thinking_variant`).
    #[default]
    Off,
    /// Thinks when the client asks.
    Optional,
    /// A thinking model: thinks even when the client does not ask.
    Always,
}

/// One public model id and everything the translators need to know about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    pub id: String,
    pub display_name: String,
    pub family: Family,
    /// The name sent as `model` in the upstream envelope.
    pub upstream: String,
    pub max_output: u32,
    #[serde(default)]
    pub context: u32,
    #[serde(default)]
    pub images: bool,
    #[serde(default)]
    pub thinking: ThinkingMode,
    /// Takes Gemini's `thinkingLevel` for adaptive thinking.
    #[serde(default)]
    pub levels: bool,
    #[serde(default)]
    pub budget_min: u32,
    #[serde(default)]
    pub budget_max: u32,
    #[serde(default)]
    pub default_budget: u32,
    /// The sibling id to use when a client asks this (non-thinking) model to think.
    #[serde(default)]
    pub thinking_variant: Option<String>,
}

impl ModelSpec {
    pub fn can_think(&self) -> bool {
        self.thinking != ThinkingMode::Off
    }

    /// Opus-class models are what the built-in `opus` route serves.
    pub fn is_opus_class(&self) -> bool {
        self.id.contains("opus")
    }
}

#[derive(Debug, Deserialize)]
struct CatalogueFile {
    models: Vec<ModelSpec>,
    #[serde(default)]
    aliases: BTreeMap<String, String>,
}

/// Which configured model each family's unknown names fall back to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FamilyDefaults {
    pub opus: String,
    pub sonnet: String,
    pub haiku: String,
    pub gemini: String,
    pub gpt_oss: String,
}

impl Default for FamilyDefaults {
    fn default() -> Self {
        Self {
            opus: "claude-opus-4-5-thinking".into(),
            sonnet: "claude-sonnet-4-5".into(),
            haiku: "claude-sonnet-4-5".into(),
            gemini: "gemini-3-flash".into(),
            gpt_oss: "gpt-oss-120b".into(),
        }
    }
}

/// How a requested name reached its model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "via", rename_all = "snake_case")]
pub enum ResolvedVia {
    Exact,
    Alias { alias: String },
    FamilyDefault { family: String },
}

#[derive(Debug, Clone)]
pub struct Resolved {
    pub spec: Arc<ModelSpec>,
    pub via: ResolvedVia,
}

#[derive(Debug, Clone)]
pub struct Catalogue {
    models: Vec<Arc<ModelSpec>>,
    aliases: BTreeMap<String, String>,
    defaults: FamilyDefaults,
}

impl Catalogue {
    /// The catalogue shipped in `assets/models.toml`, with user aliases layered on top.
    pub fn builtin(user_aliases: &BTreeMap<String, String>, defaults: FamilyDefaults) -> Self {
        let file: CatalogueFile =
            toml::from_str(BUILTIN).expect("assets/models.toml is valid (checked by a test)");
        let mut aliases = file.aliases;
        aliases.extend(user_aliases.iter().map(|(k, v)| (k.clone(), v.clone())));
        Self {
            models: file.models.into_iter().map(Arc::new).collect(),
            aliases,
            defaults,
        }
    }

    pub fn models(&self) -> &[Arc<ModelSpec>] {
        &self.models
    }

    pub fn get(&self, id: &str) -> Option<&Arc<ModelSpec>> {
        self.models.iter().find(|m| m.id == id)
    }

    /// Adds a model learned from the upstream's live list, unless the id is already known.
    pub fn insert_discovered(&mut self, spec: ModelSpec) {
        if self.get(&spec.id).is_none() && !self.aliases.contains_key(&spec.id) {
            self.models.push(Arc::new(spec));
        }
    }

    /// Adds a forwarding alias (e.g. from the upstream's `deprecatedModelIds`).
    pub fn insert_alias(&mut self, from: String, to: String) {
        if self.get(&from).is_none() {
            self.aliases.entry(from).or_insert(to);
        }
    }

    /// Resolves a client's model name: exact id, alias, normalised spelling, then family default.
    pub fn resolve(&self, requested: &str) -> Result<Resolved, UnknownModel> {
        let name = requested.trim();
        if let Some(spec) = self.get(name) {
            return Ok(Resolved {
                spec: spec.clone(),
                via: ResolvedVia::Exact,
            });
        }
        for candidate in [name.to_owned(), normalise(name)] {
            if let Some(spec) = self.get(&candidate) {
                return Ok(Resolved {
                    spec: spec.clone(),
                    via: ResolvedVia::Alias {
                        alias: name.to_owned(),
                    },
                });
            }
            if let Some(spec) = self.aliases.get(&candidate).and_then(|t| self.get(t)) {
                return Ok(Resolved {
                    spec: spec.clone(),
                    via: ResolvedVia::Alias {
                        alias: name.to_owned(),
                    },
                });
            }
        }
        if let Some((family, target)) = self.family_default(name)
            && let Some(spec) = self.get(target)
        {
            return Ok(Resolved {
                spec: spec.clone(),
                via: ResolvedVia::FamilyDefault {
                    family: family.to_owned(),
                },
            });
        }
        Err(UnknownModel {
            requested: requested.to_owned(),
            available: self.models.iter().map(|m| m.id.clone()).collect(),
        })
    }

    fn family_default(&self, name: &str) -> Option<(&'static str, &str)> {
        let lower = name.to_ascii_lowercase();
        let d = &self.defaults;
        if lower.starts_with("claude") {
            if lower.contains("opus") {
                return Some(("opus", &d.opus));
            }
            if lower.contains("sonnet") {
                return Some(("sonnet", &d.sonnet));
            }
            if lower.contains("haiku") {
                return Some(("haiku", &d.haiku));
            }
            return None;
        }
        if lower.starts_with("gemini") {
            return Some(("gemini", &d.gemini));
        }
        if lower.starts_with("gpt-oss") {
            return Some(("gpt-oss", &d.gpt_oss));
        }
        None
    }
}

/// Dots to dashes and a trailing `-YYYYMMDD` date stripped: `claude-sonnet-4.5-20250929`
/// becomes `claude-sonnet-4-5`.
fn normalise(name: &str) -> String {
    let mut s = name.to_ascii_lowercase().replace('.', "-");
    if let Some((head, tail)) = s.rsplit_once('-')
        && tail.len() == 8
        && tail.bytes().all(|b| b.is_ascii_digit())
    {
        s = head.to_owned();
    }
    s
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("model: unknown model '{requested}'; available models: {}", available.join(", "))]
pub struct UnknownModel {
    pub requested: String,
    pub available: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat() -> Catalogue {
        Catalogue::builtin(&BTreeMap::new(), FamilyDefaults::default())
    }

    #[test]
    fn builtin_parses_and_seed_ids_exist() {
        let c = cat();
        for id in [
            "claude-sonnet-4-5",
            "claude-sonnet-4-5-thinking",
            "claude-opus-4-5-thinking",
            "gemini-3-flash",
            "gemini-3-pro-high",
        ] {
            assert!(c.get(id).is_some(), "{id}");
        }
        for m in c.models() {
            if m.can_think() {
                assert!(m.budget_max < m.max_output, "{}", m.id);
                assert!(m.default_budget >= m.budget_min, "{}", m.id);
            }
        }
    }

    #[test]
    fn aliases_and_normalisation() {
        let c = cat();
        assert_eq!(
            c.resolve("claude-sonnet-4.5").unwrap().spec.id,
            "claude-sonnet-4-5"
        );
        assert_eq!(
            c.resolve("claude-sonnet-4-5-20250929").unwrap().spec.id,
            "claude-sonnet-4-5"
        );
        assert_eq!(
            c.resolve("claude-opus-4-6").unwrap().spec.id,
            "claude-opus-4-6-thinking"
        );
    }

    #[test]
    fn unknown_names_of_known_families_use_the_family_default() {
        let c = cat();
        let r = c.resolve("claude-opus-4-8").unwrap();
        assert_eq!(r.spec.id, "claude-opus-4-5-thinking");
        assert_eq!(
            r.via,
            ResolvedVia::FamilyDefault {
                family: "opus".into()
            }
        );
        assert_eq!(
            c.resolve("claude-opus-5-5").unwrap().spec.id,
            "claude-opus-4-5-thinking"
        );
        assert_eq!(
            c.resolve("claude-haiku-4-5").unwrap().spec.id,
            "claude-sonnet-4-5"
        );
    }

    #[test]
    fn unknown_names_list_what_exists() {
        let err = cat().resolve("gpt-4o").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("model: unknown model 'gpt-4o'"), "{msg}");
        assert!(msg.contains("claude-sonnet-4-5"), "{msg}");
    }

    #[test]
    fn user_aliases_override() {
        let mut a = BTreeMap::new();
        a.insert("gpt-4o".to_string(), "gemini-3-flash".to_string());
        let c = Catalogue::builtin(&a, FamilyDefaults::default());
        assert_eq!(c.resolve("gpt-4o").unwrap().spec.id, "gemini-3-flash");
    }
}
