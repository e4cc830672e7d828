//! The routing plan for a model name, decided once: the route (flow, alias, family default,
//! `fast` latency order), then for each target the accounts in the order the proxy tries them
//! (`[models.account_order]`, pins, concurrency) and why each other one is skipped. The proxy
//! walks it (`Core::open`), `anti-api-tui route` prints it and the console's what-if shows it.

use std::fmt::Write as _;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::Core;
use crate::accounts::{Selection, SkipReason};
use crate::catalogue::{ModelSpec, ResolvedVia};
use crate::routing::{Route, RouteTarget};
use crate::translate::ir::ErrorInfo;

/// Where a request for one model name goes, target by target.
#[derive(Debug, Clone)]
pub struct Plan {
    pub requested: String,
    pub flow: Option<String>,
    pub via: Option<ResolvedVia>,
    pub targets: Vec<PlannedTarget>,
    /// Account id → e-mail, for showing the plan to people.
    emails: Vec<(String, String)>,
}

/// One route target and the accounts that would serve it right now.
#[derive(Debug, Clone)]
pub struct PlannedTarget {
    pub spec: Arc<ModelSpec>,
    /// The account the flow entry (or the request's account header) names.
    pub pin: Option<String>,
    pub selection: Selection,
}

impl Core {
    /// The plan for `model` as a request would meet it now. `pinned` is the request's account
    /// header (an id or e-mail): it restricts every target to that account.
    pub fn plan(
        &self,
        model: &str,
        wants_thinking: bool,
        pinned: Option<&str>,
    ) -> Result<Plan, ErrorInfo> {
        let route = self.route_name(model, wants_thinking)?;
        let now = Utc::now();
        let targets = route
            .targets
            .iter()
            .map(|target| PlannedTarget {
                spec: target.spec.clone(),
                pin: pinned.or(target.account.as_deref()).map(str::to_owned),
                selection: self.candidates(target, pinned, now),
            })
            .collect();
        Ok(Plan::new(route, targets, self))
    }

    /// The accounts for one target, in the order they are tried: the pool's choice (usable
    /// ones first, busy ones last), then `[models.account_order]` for the target's model.
    /// The proxy asks this again for each target when it reaches it, so an account that
    /// failed on an earlier target is seen as it is by then.
    pub(super) fn candidates(
        &self,
        target: &RouteTarget,
        pinned: Option<&str>,
        now: DateTime<Utc>,
    ) -> Selection {
        let mut selection = self.accounts().select_model(
            &target.spec.id,
            &target.spec.upstream,
            pinned.or(target.account.as_deref()),
            now,
        );
        self.apply_account_order(&target.spec.id, &mut selection.usable);
        selection
    }

    /// Puts the accounts configured for `model` (`[models.account_order]`) first, in that order.
    fn apply_account_order(&self, model: &str, usable: &mut [String]) {
        let Some(order) = self.config().models.account_order.get(model) else {
            return;
        };
        let snapshot = self.accounts().snapshot();
        let rank = |id: &String| {
            order
                .iter()
                .position(|key| snapshot.iter().any(|a| &a.id == id && a.matches(key)))
                .unwrap_or(usize::MAX)
        };
        usable.sort_by_key(rank);
    }
}

impl Plan {
    fn new(route: Route, targets: Vec<PlannedTarget>, core: &Core) -> Self {
        let emails = core
            .accounts()
            .snapshot()
            .into_iter()
            .map(|a| (a.id, a.email))
            .collect();
        Self {
            requested: route.requested,
            flow: route.flow,
            via: route.via,
            targets,
            emails,
        }
    }

    /// The account's e-mail (its id when the pool no longer has it).
    pub fn email<'a>(&'a self, id: &'a str) -> &'a str {
        self.emails
            .iter()
            .find(|(known, _)| known == id)
            .map_or(id, |(_, email)| email.as_str())
    }

    /// Every (model, account) candidate in the order the proxy tries them, then the skipped
    /// ones with their reason; a target no account matches is one entry with no account.
    pub fn to_json(&self) -> Value {
        let mut candidates = Vec::new();
        for target in &self.targets {
            let (model, upstream) = (&target.spec.id, &target.spec.upstream);
            for account in &target.selection.usable {
                candidates.push(json!({
                    "model": model, "upstream": upstream, "account": account,
                    "email": self.email(account), "usable": true,
                    "busy": target.selection.busy.contains(account),
                }));
            }
            for (account, why) in &target.selection.skipped {
                candidates.push(json!({
                    "model": model, "upstream": upstream, "account": account,
                    "email": self.email(account), "usable": false,
                    "skipped": why.to_string(), "reason": why,
                }));
            }
            if target.selection.usable.is_empty() && target.selection.skipped.is_empty() {
                candidates.push(json!({
                    "model": model, "upstream": upstream, "account": null, "usable": false,
                    "skipped": no_account_text(target.pin.as_deref()),
                }));
            }
        }
        json!({
            "requested": self.requested,
            "flow": self.flow,
            "via": self.via,
            "candidates": candidates,
        })
    }

    /// The plan for people: how the name resolved, then each target with the accounts that
    /// would serve it in order and the ones skipped, with the reason in words.
    pub fn describe(&self) -> Vec<String> {
        let mut lines = vec![self.heading()];
        if self.flow.as_deref() == Some("fast") {
            lines.push("(fast: ordered by the median time to first token measured so far)".into());
        }
        for (n, target) in self.targets.iter().enumerate() {
            let mut line = format!("{}. {}", n + 1, target.spec.id);
            if let Some(pin) = &target.pin {
                let _ = write!(line, " (only {})", self.email(pin));
            }
            let usable: Vec<&str> = target
                .selection
                .usable
                .iter()
                .map(|id| self.email(id))
                .collect();
            if usable.is_empty() {
                line.push_str(" — no account can serve it");
            } else {
                let _ = write!(line, " on {}", usable.join(", "));
            }
            lines.push(line);
            for (account, why) in &target.selection.skipped {
                lines.push(format!(
                    "     skips {}: {}",
                    self.email(account),
                    reason_text(why)
                ));
            }
            if target.selection.usable.is_empty() && target.selection.skipped.is_empty() {
                lines.push(format!("     {}", no_account_text(target.pin.as_deref())));
            }
        }
        lines
    }

    fn heading(&self) -> String {
        let name = &self.requested;
        match (&self.flow, &self.via, self.targets.first()) {
            (Some(flow), _, _) => {
                format!("{name} → flow '{flow}' ({} targets)", self.targets.len())
            }
            (None, Some(via), Some(first)) => {
                let model = &first.spec.id;
                match via {
                    ResolvedVia::Exact => format!("{name}: a catalogue model"),
                    ResolvedVia::Alias { alias } => format!("{name} → {model} (alias {alias})"),
                    ResolvedVia::FamilyDefault { family } => {
                        format!("{name} → {model} (the default {family} model)")
                    }
                    ResolvedVia::Successor { retired } => {
                        format!("{name} → {model} (successor of the retired {retired})")
                    }
                }
            }
            _ => name.clone(),
        }
    }
}

fn no_account_text(pin: Option<&str>) -> String {
    format!("no account matches ({})", pin.unwrap_or("any account"))
}

/// A skip reason in words, with a relative time where there is one.
fn reason_text(why: &SkipReason) -> String {
    let until = |t: &DateTime<Utc>| {
        let secs = (*t - Utc::now()).num_seconds().max(0);
        match secs {
            0 => "any moment".to_owned(),
            s if s < 60 => format!("in {s}s"),
            s if s < 3600 => format!("in {}m", s / 60),
            s => format!("in {}h{:02}m", s / 3600, (s % 3600) / 60),
        }
    };
    match why {
        SkipReason::Disabled => "turned off".into(),
        SkipReason::NeedsLogin { detail } => format!("needs a new login ({detail})"),
        SkipReason::Quarantined { detail } => format!("quarantined: {detail}"),
        SkipReason::Cooling { until: t, why } => {
            format!("cooling down, usable {} ({why})", until(t))
        }
        SkipReason::QuotaExhausted { until: t } => format!("quota used up, resets {}", until(t)),
    }
}
