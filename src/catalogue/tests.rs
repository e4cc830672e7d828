use super::*;

fn cat() -> Catalogue {
    Catalogue::builtin(&BTreeMap::new(), FamilyDefaults::default())
}

/// Ids Antigravity no longer serves (docs/upstream.md) and what each forwards to.
const RETIRED: [(&str, &str); 5] = [
    ("claude-sonnet-4-5", "claude-sonnet-4-6"),
    ("claude-sonnet-4-5-thinking", "claude-sonnet-4-6-thinking"),
    ("claude-opus-4-5-thinking", "claude-opus-4-6-thinking"),
    ("gemini-3-pro-high", "gemini-pro-agent"),
    ("gemini-3-pro-low", "gemini-3.1-pro-low"),
];

#[test]
fn builtin_lists_what_is_served_now() {
    let c = cat();
    for id in [
        "claude-sonnet-4-6",
        "claude-opus-4-6-thinking",
        "gemini-pro-agent",
        "gemini-3.1-pro-low",
        "gemini-3-flash",
        "gemini-3-flash-agent",
        "gpt-oss-120b",
    ] {
        assert!(c.get(id).is_some(), "{id}");
    }
    assert_eq!(
        c.get("gpt-oss-120b").unwrap().upstream,
        "gpt-oss-120b-medium"
    );
    for m in c.models() {
        if m.can_think() {
            assert!(m.budget_max < m.max_output, "{}", m.id);
            assert!(m.default_budget >= m.budget_min, "{}", m.id);
        }
    }
    for target in file_aliases().values() {
        assert!(c.get(target).is_some(), "alias target {target} is a model");
    }
}

fn file_aliases() -> BTreeMap<String, String> {
    let file: CatalogueFile = toml::from_str(BUILTIN).unwrap();
    file.aliases
}

#[test]
fn retired_ids_reach_their_successors_and_are_never_sent() {
    let c = cat();
    for (old, new) in RETIRED {
        assert!(c.get(old).is_none(), "{old} is no catalogue model");
        assert!(
            c.models().iter().all(|m| m.upstream != old),
            "{old} is never sent upstream"
        );
        let r = c.resolve(old).unwrap();
        assert_eq!(r.spec.id, new, "{old}");
        assert_ne!(r.spec.upstream, old);
    }
}

#[test]
fn aliases_and_normalisation() {
    let c = cat();
    assert_eq!(
        c.resolve("claude-sonnet-4.5").unwrap().spec.id,
        "claude-sonnet-4-6"
    );
    assert_eq!(
        c.resolve("claude-sonnet-4-5-20250929").unwrap().spec.id,
        "claude-sonnet-4-6"
    );
    assert_eq!(
        c.resolve("claude-opus-4-6").unwrap().spec.id,
        "claude-opus-4-6-thinking"
    );
    assert_eq!(
        c.resolve("gemini-3.1-pro").unwrap().spec.id,
        "gemini-pro-agent"
    );
}

#[test]
fn unknown_names_of_known_families_use_the_family_default() {
    let c = cat();
    let r = c.resolve("claude-opus-4-8").unwrap();
    assert_eq!(r.spec.id, "claude-opus-4-6-thinking");
    assert_eq!(
        r.via,
        ResolvedVia::FamilyDefault {
            family: "opus".into()
        }
    );
    assert_eq!(
        c.resolve("claude-opus-5-5").unwrap().spec.id,
        "claude-opus-4-6-thinking"
    );
    assert_eq!(
        c.resolve("claude-haiku-4-5").unwrap().spec.id,
        "claude-sonnet-4-6"
    );
    assert_eq!(
        c.resolve("claude-sonnet-4-7").unwrap().spec.id,
        "claude-sonnet-4-6"
    );
    assert_eq!(
        c.resolve("gemini-2.5-pro").unwrap().spec.id,
        "gemini-pro-agent"
    );
    assert_eq!(
        c.resolve("gemini-2.5-flash").unwrap().spec.id,
        "gemini-3-flash"
    );
}

/// The names OpenAI clients send by default (the SDK examples, Codex, aider, `llm`) reach a
/// model instead of a 400; `[models.defaults] openai / openai_small` choose which.
#[test]
fn openai_names_go_to_the_openai_defaults() {
    let c = cat();
    for big in [
        "gpt-4o",
        "gpt-4.1",
        "gpt-5",
        "gpt-5.1-codex",
        "chatgpt-4o-latest",
        "o3",
        "o1",
    ] {
        let r = c.resolve(big).unwrap();
        assert_eq!(r.spec.id, "claude-sonnet-4-6", "{big}");
        assert_eq!(
            r.via,
            ResolvedVia::FamilyDefault {
                family: "openai".into()
            },
            "{big}"
        );
    }
    for small in [
        "gpt-4o-mini",
        "gpt-5-nano",
        "gpt-3.5-turbo",
        "o4-mini",
        "codex-mini-latest",
    ] {
        assert_eq!(
            c.resolve(small).unwrap().spec.id,
            "gemini-3-flash",
            "{small}"
        );
    }
    // Not OpenAI's: a name that merely contains the letters.
    assert!(c.resolve("o3x").is_err());
    assert!(c.resolve("gpt-oss-120b").unwrap().spec.id == "gpt-oss-120b");
    let mine = FamilyDefaults {
        openai: "gemini-pro-agent".into(),
        ..FamilyDefaults::default()
    };
    let c = Catalogue::builtin(&BTreeMap::new(), mine);
    assert_eq!(c.resolve("gpt-4o").unwrap().spec.id, "gemini-pro-agent");
}

#[test]
fn defaults_saved_with_retired_ids_still_resolve() {
    let old = FamilyDefaults {
        opus: "claude-opus-4-5-thinking".into(),
        sonnet: "claude-sonnet-4-5".into(),
        haiku: "claude-sonnet-4-5".into(),
        ..FamilyDefaults::default()
    };
    let c = Catalogue::builtin(&BTreeMap::new(), old);
    assert_eq!(
        c.resolve("claude-haiku-4-5").unwrap().spec.id,
        "claude-sonnet-4-6"
    );
    assert_eq!(
        c.resolve("claude-opus-4-8").unwrap().spec.id,
        "claude-opus-4-6-thinking"
    );
}

#[test]
fn upstream_forwards_override_builtin_ids() {
    let mut c = cat();
    c.forward(
        "claude-sonnet-4-6".into(),
        "claude-opus-4-6-thinking".into(),
    );
    let r = c.resolve("claude-sonnet-4-6").unwrap();
    assert_eq!(r.spec.id, "claude-opus-4-6-thinking");
    assert_eq!(
        r.via,
        ResolvedVia::Successor {
            retired: "claude-sonnet-4-6".into()
        }
    );
    // The thinking id shares the retired upstream id, and an old alias chains through.
    assert_eq!(
        c.resolve("claude-sonnet-4-6-thinking").unwrap().spec.id,
        "claude-opus-4-6-thinking"
    );
    assert_eq!(
        c.resolve("claude-sonnet-4-5").unwrap().spec.id,
        "claude-opus-4-6-thinking"
    );
    assert!(
        c.served().all(|m| m.upstream != "claude-sonnet-4-6"),
        "a retired model is not offered to clients"
    );
    // An upstream forward also wins over a shipped alias.
    c.forward("gemini-3-pro-high".into(), "gemini-3-flash".into());
    assert_eq!(
        c.resolve("gemini-3-pro-high").unwrap().spec.id,
        "gemini-3-flash"
    );
}

#[test]
fn forwards_to_unknown_ids_and_loops_are_ignored() {
    let mut c = cat();
    c.forward("gemini-3-flash".into(), "gemini-9-nothing".into());
    assert_eq!(
        c.resolve("gemini-3-flash").unwrap().spec.id,
        "gemini-3-flash"
    );
    c.forward("gemini-3-flash".into(), "gemini-3.1-flash-lite".into());
    c.forward("gemini-3.1-flash-lite".into(), "gemini-3-flash".into());
    assert_eq!(
        c.resolve("gemini-3-flash").unwrap().spec.id,
        "gemini-3.1-flash-lite",
        "the second forward would loop and is dropped"
    );
    assert_eq!(
        c.resolve("gemini-3.1-flash-lite").unwrap().spec.id,
        "gemini-3.1-flash-lite"
    );
}

#[test]
fn models_no_live_list_carries_go_to_the_family_default() {
    let mut c = cat();
    let ids = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<BTreeSet<_>>();
    c.set_live("a", ids(&["gemini-3-flash", "gemini-pro-agent"]));
    let r = c.resolve("gemini-3.1-pro-low").unwrap();
    assert_eq!(r.spec.id, "gemini-pro-agent");
    assert_eq!(
        r.via,
        ResolvedVia::Successor {
            retired: "gemini-3.1-pro-low".into()
        }
    );
    assert_eq!(
        c.resolve("gemini-3.7-flash-high").unwrap().spec.id,
        "gemini-3-flash"
    );
    // The lists are merged: one account carrying the model is enough.
    c.set_live("b", ids(&["gemini-3.7-flash-high"]));
    assert_eq!(
        c.resolve("gemini-3.7-flash-high").unwrap().spec.id,
        "gemini-3.7-flash-high"
    );
    let served: Vec<&str> = c.served().map(|m| m.id.as_str()).collect();
    assert!(served.contains(&"gemini-3-flash") && !served.contains(&"gemini-3.1-pro-low"));
    // With nothing better listed, the model is still tried (the lists may lag).
    assert_eq!(
        c.resolve("claude-sonnet-4-6").unwrap().spec.id,
        "claude-sonnet-4-6"
    );
}

#[test]
fn unknown_names_list_what_exists() {
    let err = cat().resolve("llama-3.3-70b").unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("model: unknown model 'llama-3.3-70b'"),
        "{msg}"
    );
    assert!(msg.contains("claude-sonnet-4-6"), "{msg}");
    assert!(!msg.contains("claude-sonnet-4-5"), "{msg}");
}

#[test]
fn user_aliases_override() {
    let mut a = BTreeMap::new();
    a.insert("gpt-4o".to_string(), "gemini-3-flash".to_string());
    let c = Catalogue::builtin(&a, FamilyDefaults::default());
    assert_eq!(c.resolve("gpt-4o").unwrap().spec.id, "gemini-3-flash");
}
