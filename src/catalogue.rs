//! The model catalogue: which public model ids exist, what each sends upstream and its limits,
//! and how a name a client sends (an id, an alias, or an unknown id of a known family) resolves.

use std::collections::{BTreeMap, BTreeSet};
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
    /// Gemini names with `pro` in them (`gemini-3-pro-preview`, `gemini-2.5-pro` …).
    pub gemini_pro: String,
    pub gemini: String,
    pub gpt_oss: String,
    /// OpenAI's own names that tools send by default (`gpt-4o`, `gpt-5`, `o3`, `codex-mini` …).
    pub openai: String,
    /// OpenAI's small ones (names with `mini` or `nano` in them, `gpt-3.5-turbo`).
    pub openai_small: String,
}

impl Default for FamilyDefaults {
    fn default() -> Self {
        Self {
            opus: "claude-opus-4-6-thinking".into(),
            sonnet: "claude-sonnet-4-6".into(),
            haiku: "claude-sonnet-4-6".into(),
            gemini_pro: "gemini-pro-agent".into(),
            gemini: "gemini-3-flash".into(),
            gpt_oss: "gpt-oss-120b".into(),
            openai: "claude-sonnet-4-6".into(),
            openai_small: "gemini-3-flash".into(),
        }
    }
}

/// How a requested name reached its model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "via", rename_all = "snake_case")]
pub enum ResolvedVia {
    Exact,
    Alias {
        alias: String,
    },
    FamilyDefault {
        family: String,
    },
    /// The upstream retired `retired` (its `deprecatedModelIds`, a retirement notice, or no
    /// account's live list carrying it): the request goes to its successor.
    Successor {
        retired: String,
    },
}

#[derive(Debug, Clone)]
pub struct Resolved {
    pub spec: Arc<ModelSpec>,
    pub via: ResolvedVia,
}

/// Forwarding chains longer than this are a loop in the upstream's data; they stop here.
const MAX_FORWARDS: usize = 8;

#[derive(Debug, Clone)]
pub struct Catalogue {
    models: Vec<Arc<ModelSpec>>,
    aliases: BTreeMap<String, String>,
    defaults: FamilyDefaults,
    /// Retired id (public or upstream) → successor id, learnt from the upstream. Unlike
    /// `aliases` these win over built-in ids: the upstream knows better than the shipped list.
    forwards: BTreeMap<String, String>,
    /// The upstream ids each account's live list (`fetchAvailableModels`) carries. A model is
    /// live when any account lists it; with no list yet, every model is.
    live: BTreeMap<String, BTreeSet<String>>,
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
            forwards: BTreeMap::new(),
            live: BTreeMap::new(),
        }
    }

    pub fn models(&self) -> &[Arc<ModelSpec>] {
        &self.models
    }

    /// The models a client can be served as themselves: not retired by the upstream (no
    /// forward on their id or upstream id) and carried by some live list (or no list yet).
    pub fn served(&self) -> impl Iterator<Item = &Arc<ModelSpec>> {
        self.models.iter().filter(|m| {
            !self.forwards.contains_key(&m.id)
                && !self.forwards.contains_key(&m.upstream)
                && self.is_live(&m.upstream)
        })
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

    /// Forwards a retired id to its successor (from the upstream's `deprecatedModelIds`, or a
    /// retirement notice), overriding a built-in model of that id. `to` must be a catalogue id;
    /// a forward that would loop back is ignored.
    pub fn forward(&mut self, from: String, to: String) {
        if from == to || self.get(&to).is_none() {
            return;
        }
        let mut next = to.as_str();
        for _ in 0..MAX_FORWARDS {
            match self.forwards.get(next) {
                Some(n) if *n == from => return,
                Some(n) => next = n,
                None => break,
            }
        }
        self.forwards.insert(from, to);
    }

    /// Records the upstream ids one account's live list carries (replacing its last list).
    pub fn set_live(&mut self, account: &str, upstream_ids: BTreeSet<String>) {
        self.live.insert(account.to_owned(), upstream_ids);
    }

    /// Whether some account's live list carries `upstream` (true while no list is known).
    pub fn is_live(&self, upstream: &str) -> bool {
        self.live.is_empty() || self.live.values().any(|ids| ids.contains(upstream))
    }

    /// Resolves a client's model name: a learnt forward, exact id, alias, normalised spelling,
    /// then family default; a model the upstream retired or no longer lists is replaced by its
    /// successor (or its family default) so that it is never sent upstream.
    pub fn resolve(&self, requested: &str) -> Result<Resolved, UnknownModel> {
        let name = requested.trim();
        let Some(found) = self.lookup(name) else {
            return Err(UnknownModel {
                requested: requested.to_owned(),
                available: self.models.iter().map(|m| m.id.clone()).collect(),
            });
        };
        Ok(self.current(found))
    }

    fn lookup(&self, name: &str) -> Option<Resolved> {
        let found = |spec: &Arc<ModelSpec>, via| Resolved {
            spec: spec.clone(),
            via,
        };
        // What the upstream says about a name wins over the shipped aliases.
        for candidate in [name.to_owned(), normalise(name)] {
            if let Some(successor) = self.follow(&candidate) {
                return Some(found(
                    successor,
                    ResolvedVia::Successor { retired: candidate },
                ));
            }
        }
        if let Some(spec) = self.get(name) {
            return Some(found(spec, ResolvedVia::Exact));
        }
        let alias = || ResolvedVia::Alias {
            alias: name.to_owned(),
        };
        for candidate in [name.to_owned(), normalise(name)] {
            if let Some(spec) = self.get(&candidate) {
                return Some(found(spec, alias()));
            }
            if let Some(spec) = self.aliases.get(&candidate).and_then(|t| self.get(t)) {
                return Some(found(spec, alias()));
            }
        }
        let (family, target) = self.family_default(name)?;
        let spec = self.get(target).or_else(|| {
            // A default saved in config.toml may name a since-retired id.
            self.aliases.get(target).and_then(|t| self.get(t))
        })?;
        Some(found(
            spec,
            ResolvedVia::FamilyDefault {
                family: family.to_owned(),
            },
        ))
    }

    /// Replaces a found model the upstream retired (a forward on its id or its upstream id) or
    /// no longer lists (its family default, when that one is listed).
    fn current(&self, found: Resolved) -> Resolved {
        let mut resolved = found;
        let retired_id = [&resolved.spec.id, &resolved.spec.upstream]
            .into_iter()
            .find(|id| self.forwards.contains_key(id.as_str()))
            .cloned();
        if let Some(retired) = retired_id
            && let Some(successor) = self.follow(&retired)
        {
            resolved = Resolved {
                spec: successor.clone(),
                via: ResolvedVia::Successor { retired },
            };
        }
        if self.is_live(&resolved.spec.upstream) {
            return resolved;
        }
        let fallback = self
            .family_default(&resolved.spec.id)
            .and_then(|(_, target)| self.get(target))
            .filter(|d| d.id != resolved.spec.id && self.is_live(&d.upstream));
        match fallback {
            Some(spec) => Resolved {
                via: ResolvedVia::Successor {
                    retired: resolved.spec.id.clone(),
                },
                spec: spec.clone(),
            },
            // Nothing better is listed: the lists may lag, so the model is still tried.
            None => resolved,
        }
    }

    /// The end of the forwarding chain from `id`.
    fn follow(&self, id: &str) -> Option<&Arc<ModelSpec>> {
        let mut at = id;
        for _ in 0..MAX_FORWARDS {
            match self.forwards.get(at) {
                Some(next) => at = next,
                None => break,
            }
        }
        (at != id).then(|| self.get(at)).flatten()
    }

    /// The family default for a name, without looking at whether it is live or retired.
    pub fn default_for(&self, name: &str) -> Option<&Arc<ModelSpec>> {
        let (_, target) = self.family_default(name)?;
        self.get(target)
            .or_else(|| self.aliases.get(target).and_then(|t| self.get(t)))
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
            if lower.contains("pro") {
                return Some(("gemini_pro", &d.gemini_pro));
            }
            return Some(("gemini", &d.gemini));
        }
        if lower.starts_with("gpt-oss") {
            return Some(("gpt-oss", &d.gpt_oss));
        }
        if is_openai_name(&lower) {
            if ["mini", "nano", "3.5"].iter().any(|s| lower.contains(s)) {
                return Some(("openai_small", &d.openai_small));
            }
            return Some(("openai", &d.openai));
        }
        None
    }
}

/// OpenAI's model names (lower-cased): `gpt-4o`, `gpt-5.1-codex`, `chatgpt-4o-latest`, `o1`,
/// `o3-mini`, `o4-mini`, `codex-mini-latest`.
fn is_openai_name(lower: &str) -> bool {
    let reasoning = ["o1", "o3", "o4"]
        .iter()
        .any(|p| lower == *p || lower.strip_prefix(p).is_some_and(|r| r.starts_with('-')));
    reasoning
        || ["gpt-", "chatgpt-", "codex-"]
            .iter()
            .any(|p| lower.starts_with(p))
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
mod tests;
