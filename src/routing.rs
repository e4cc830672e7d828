//! Pure routing decisions: a requested name (model id, alias, `route:<flow>` or a bare flow
//! name) becomes an ordered list of (model, optional pinned account) targets.

use std::sync::Arc;

use serde::Serialize;

use crate::catalogue::{Catalogue, ModelSpec, ResolvedVia};
use crate::config::{FlowConfig, FlowEntry};
use crate::translate::ir::ErrorInfo;

/// One place a request may be sent: a model, on any usable account or a pinned one.
#[derive(Debug, Clone, Serialize)]
pub struct RouteTarget {
    pub spec: Arc<ModelSpec>,
    pub account: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Route {
    pub requested: String,
    /// The flow the name selected, if any.
    pub flow: Option<String>,
    /// How a plain model name was resolved (exact, alias, family default).
    pub via: Option<ResolvedVia>,
    pub targets: Vec<RouteTarget>,
}

/// The flows every install has; a configured flow of the same name replaces them.
pub fn builtin_flows() -> Vec<FlowConfig> {
    let flow = |name: &str, models: &[&str]| FlowConfig {
        name: name.into(),
        entries: models
            .iter()
            .map(|m| FlowEntry {
                model: (*m).into(),
                account: None,
            })
            .collect(),
    };
    vec![
        flow(
            "fast",
            &["gemini-3-flash", "claude-sonnet-4-6", "gemini-3.1-pro-low"],
        ),
        flow("opus", &["claude-opus-4-6-thinking"]),
    ]
}

/// Configured flows first, then the built-in ones they do not replace.
pub fn all_flows(configured: &[FlowConfig]) -> Vec<FlowConfig> {
    let mut flows = configured.to_vec();
    for builtin in builtin_flows() {
        if !flows.iter().any(|f| f.name == builtin.name) {
            flows.push(builtin);
        }
    }
    flows
}

/// Resolves `name`. `wants_thinking` moves a non-thinking model to its thinking sibling.
pub fn resolve(
    name: &str,
    catalogue: &Catalogue,
    configured: &[FlowConfig],
    wants_thinking: bool,
) -> Result<Route, ErrorInfo> {
    let trimmed = name.trim();
    let flows = all_flows(configured);
    let explicit_flow = trimmed
        .get(..6)
        .filter(|p| p.eq_ignore_ascii_case("route:"))
        .map(|_| trimmed[6..].trim());
    let direct = catalogue.resolve(trimmed);
    // A model id or alias wins over a flow of the same name; a flow wins over a family default.
    let names_a_model = matches!(
        &direct,
        Ok(r) if matches!(r.via, ResolvedVia::Exact | ResolvedVia::Alias { .. } | ResolvedVia::Successor { .. })
    );
    let flow_name = explicit_flow
        .or_else(|| (!names_a_model && flows.iter().any(|f| f.name == trimmed)).then_some(trimmed));
    if let Some(flow_name) = flow_name {
        let flow = flows.iter().find(|f| f.name == flow_name).ok_or_else(|| {
            ErrorInfo::invalid(
                "model",
                format!(
                    "no routing flow named '{flow_name}'; flows: {}",
                    flows
                        .iter()
                        .map(|f| f.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
        let mut targets = Vec::new();
        for entry in &flow.entries {
            let resolved = catalogue.resolve(&entry.model).map_err(|e| {
                ErrorInfo::invalid(
                    "model",
                    format!("flow '{flow_name}' names an unknown model: {e}"),
                )
            })?;
            targets.push(RouteTarget {
                spec: thinking_sibling(resolved.spec, catalogue, wants_thinking),
                account: entry.account.clone(),
            });
        }
        if targets.is_empty() {
            return Err(ErrorInfo::invalid(
                "model",
                format!("flow '{flow_name}' has no entries"),
            ));
        }
        return Ok(Route {
            requested: name.to_owned(),
            flow: Some(flow_name.to_owned()),
            via: None,
            targets,
        });
    }
    let resolved = direct.map_err(|e| {
        let flows: Vec<_> = flows.iter().map(|f| f.name.as_str()).collect();
        ErrorInfo::invalid(
            "model",
            format!(
                "{}; routes: {}",
                e.to_string().trim_start_matches("model: "),
                flows.join(", ")
            ),
        )
    })?;
    Ok(Route {
        requested: name.to_owned(),
        flow: None,
        via: Some(resolved.via),
        targets: vec![RouteTarget {
            spec: thinking_sibling(resolved.spec, catalogue, wants_thinking),
            account: None,
        }],
    })
}

/// Measured targets first, fastest median first; unmeasured ones keep their static order after.
pub fn order_by_latency(route: &mut Route, median_ms: impl Fn(&str) -> Option<u64>) {
    let mut keyed: Vec<(Option<u64>, usize, RouteTarget)> = route
        .targets
        .drain(..)
        .enumerate()
        .map(|(i, t)| (median_ms(&t.spec.id), i, t))
        .collect();
    keyed.sort_by_key(|(median, i, _)| (median.is_none(), *median, *i));
    route.targets = keyed.into_iter().map(|(_, _, t)| t).collect();
}

fn thinking_sibling(
    spec: Arc<ModelSpec>,
    catalogue: &Catalogue,
    wants_thinking: bool,
) -> Arc<ModelSpec> {
    if wants_thinking
        && !spec.can_think()
        && let Some(variant) = spec
            .thinking_variant
            .as_deref()
            .and_then(|v| catalogue.get(v))
    {
        return variant.clone();
    }
    spec
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::catalogue::FamilyDefaults;

    fn cat() -> Catalogue {
        Catalogue::builtin(&BTreeMap::new(), FamilyDefaults::default())
    }

    #[test]
    fn models_flows_and_prefixes() {
        let c = cat();
        let r = resolve("claude-sonnet-4-6", &c, &[], false).unwrap();
        assert_eq!(r.targets[0].spec.id, "claude-sonnet-4-6");
        assert!(r.flow.is_none());
        let r = resolve("route:opus", &c, &[], false).unwrap();
        assert_eq!(r.flow.as_deref(), Some("opus"));
        assert!(r.targets.iter().all(|t| t.spec.is_opus_class()));
        let r = resolve("fast", &c, &[], false).unwrap();
        assert_eq!(r.flow.as_deref(), Some("fast"));
        let err = resolve("route:nope", &c, &[], false).unwrap_err();
        assert!(
            err.message.contains("no routing flow named 'nope'"),
            "{}",
            err.message
        );
    }

    #[test]
    fn configured_flows_replace_builtins_and_pin_accounts() {
        let flows = vec![FlowConfig {
            name: "fast".into(),
            entries: vec![FlowEntry {
                model: "gpt-oss-120b".into(),
                account: Some("me@example.com".into()),
            }],
        }];
        let r = resolve("fast", &cat(), &flows, false).unwrap();
        assert_eq!(r.targets.len(), 1);
        assert_eq!(r.targets[0].spec.id, "gpt-oss-120b");
        assert_eq!(r.targets[0].account.as_deref(), Some("me@example.com"));
    }

    #[test]
    fn fast_prefers_the_measured_fastest() {
        let mut r = resolve("fast", &cat(), &[], false).unwrap();
        let static_order: Vec<String> = r.targets.iter().map(|t| t.spec.id.clone()).collect();
        let slowest_first = static_order[0].clone();
        let quick = static_order[1].clone();
        order_by_latency(&mut r, |m| {
            if m == quick {
                Some(80)
            } else if m == slowest_first {
                Some(900)
            } else {
                None
            }
        });
        let ids: Vec<&str> = r.targets.iter().map(|t| t.spec.id.as_str()).collect();
        assert_eq!(ids[0], quick);
        assert_eq!(ids[1], slowest_first);
        assert_eq!(ids[2], static_order[2]);
    }

    #[test]
    fn thinking_requests_for_a_retired_id_reach_a_model_that_thinks() {
        let r = resolve("claude-sonnet-4-5", &cat(), &[], true).unwrap();
        assert_eq!(r.targets[0].spec.id, "claude-sonnet-4-6");
        assert!(r.targets[0].spec.can_think());
        let r = resolve("claude-sonnet-4-5-thinking", &cat(), &[], false).unwrap();
        assert_eq!(r.targets[0].spec.id, "claude-sonnet-4-6-thinking");
    }

    #[test]
    fn builtin_flows_name_only_current_models() {
        let c = cat();
        for flow in builtin_flows() {
            for entry in flow.entries {
                assert!(c.get(&entry.model).is_some(), "{}", entry.model);
            }
        }
    }

    #[test]
    fn unknown_names_list_models_and_routes() {
        let err = resolve("llama-3.3-70b", &cat(), &[], false).unwrap_err();
        assert_eq!(err.status, 400);
        assert!(
            err.message
                .starts_with("model: unknown model 'llama-3.3-70b'"),
            "{}",
            err.message
        );
        assert!(
            err.message.contains("routes: fast, opus"),
            "{}",
            err.message
        );
    }
}
