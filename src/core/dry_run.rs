//! The dry run, an engine operation: translates a client request as the proxy would now (the
//! route, its first target, the upstream body) without sending anything. The account's project
//! and the request id are placeholders.

use std::fmt::Write as _;

use super::Core;
use crate::translate::antigravity::{SignatureStore, UpstreamTarget, build_request, session_id};
use crate::translate::client_api::{ApiFormat, Inbound};

impl Core {
    /// The dry run as text: the route, then the upstream body for the first target (project
    /// shown as "(project)"), or the error the proxy would answer with.
    pub fn dry_run(&self, api: ApiFormat, inbound: &Inbound<'_>, now_ms: i64) -> String {
        let req = match api.parse_request(inbound) {
            Ok(req) => req,
            Err(e) => return format!("the client request does not parse: {}", e.message),
        };
        let route = match self.route(&req) {
            Ok(route) => route,
            Err(e) => return format!("no route for {:?}: {}", req.model, e.message),
        };
        let Some(target) = route.targets.first() else {
            return format!("{:?} routes to no model", req.model);
        };
        let mut out = format!(
            "route {} → {}",
            req.model,
            route
                .targets
                .iter()
                .map(|t| t.spec.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        if let Some(flow) = &route.flow {
            let _ = write!(out, " (flow {flow})");
        }
        let session = session_id(&req);
        let target = UpstreamTarget {
            spec: &target.spec,
            project: "(project)",
            request_id: "(request id)",
            session_id: &session,
            identity: self.identity(),
        };
        match build_request(&req, &target, &SignatureStore::default(), now_ms) {
            Ok(plan) => {
                let _ = write!(out, "\nupstream model {}", plan.upstream_model);
                for note in plan.notes.iter().chain(&plan.schema_changes) {
                    let _ = write!(out, "\nnote: {note}");
                }
                out.push_str("\n\n");
                out.push_str(
                    &serde_json::to_string_pretty(&plan.body).unwrap_or_else(|e| e.to_string()),
                );
            }
            Err(e) => {
                let _ = write!(out, "\n\ntranslation failed: {}", e.message);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::AccountPool;
    use crate::config::Config;
    use crate::events::Bus;

    fn core() -> Core {
        let config = Config::default();
        let bus = Bus::new();
        let pool = AccountPool::in_memory(Vec::new(), config.accounts.clone(), bus.clone());
        Core::new(config, pool, bus).unwrap()
    }

    #[test]
    fn dry_run_translates_an_openai_request_without_a_project() {
        let body = r#"{"model":"gemini-3-flash","messages":[{"role":"user","content":"hi"}]}"#;
        let text = core().dry_run(ApiFormat::OpenAi, &Inbound::body(body.as_bytes()), 0);
        assert!(text.starts_with("route gemini-3-flash → "), "{text}");
        assert!(text.contains("gemini-3-flash"), "{text}");
        assert!(text.contains("\"(project)\""), "{text}");
        assert!(text.contains("hi"), "{text}");
    }

    #[test]
    fn dry_run_shows_the_identity_texts_it_removes() {
        let body = r#"{"model":"gemini-3-flash","max_tokens":64,
            "system":[{"type":"text","text":"x-anthropic-billing-header: cc_version=2.1.330.d01;"},
                      {"type":"text","text":"Be brief."}],
            "messages":[{"role":"user","content":"hello"}]}"#;
        let text = core().dry_run(ApiFormat::Anthropic, &Inbound::body(body.as_bytes()), 0);
        assert!(
            text.contains("note: identity: removed the line \"x-anthropic-billing-header"),
            "{text}"
        );
        let sent = text.split_once("\n\n").map_or("", |(_, body)| body);
        assert!(!sent.contains("x-anthropic-billing-header"), "{sent}");
        assert!(sent.contains("Be brief."), "{sent}");
    }

    #[test]
    fn dry_run_reads_anthropic_requests_and_reports_errors() {
        let body = r#"{"model":"claude-sonnet-4-6","max_tokens":64,
            "messages":[{"role":"user","content":"hello"}]}"#;
        let text = core().dry_run(ApiFormat::Anthropic, &Inbound::body(body.as_bytes()), 0);
        assert!(text.contains("\"(project)\""), "{text}");
        assert!(text.contains("claude-sonnet-4-6"), "{text}");
        let bad = core().dry_run(ApiFormat::Anthropic, &Inbound::body(b"{}"), 0);
        assert!(
            bad.starts_with("the client request does not parse"),
            "{bad}"
        );
        let unknown = r#"{"model":"no-such-model","messages":[{"role":"user","content":"x"}]}"#;
        let text = core().dry_run(ApiFormat::OpenAi, &Inbound::body(unknown.as_bytes()), 0);
        assert!(text.starts_with("no route for"), "{text}");
    }
}
