//! The Models, Accounts, Routing and Logs tabs: selection, account actions with confirmation,
//! the login prompt, flow editing and the what-if, and the log buffer.

use super::super::action::Action;
use super::super::effect::Effect;
use super::super::state::{
    AppState, Confirm, FieldPurpose, LogLevel, LoginState, MAX_LOG_LINES, Overlay, Tab,
};
use super::fields;
use crate::app::row_filter;
use crate::app::state::matcher;
use crate::auth::login::LoginProgress;
use crate::config::{FlowConfig, FlowEntry};
use crate::logging::LogLine;

pub fn apply(state: &mut AppState, action: Action) -> Vec<Effect> {
    match action {
        Action::AccountsLoaded(accounts) => {
            let relabelled = state.accounts.len() != accounts.len()
                || state
                    .accounts
                    .iter()
                    .zip(&accounts)
                    .any(|(a, b)| a.id != b.id || a.email != b.email);
            state.accounts = accounts;
            if relabelled
                && state.filter.is_some()
                && let Ok(filter) =
                    row_filter::compile(&state.requests.filter_text, &state.account_labels())
            {
                // `acct:alice` now knows (or no longer knows) alice's account id.
                let kept = state.selected_row().map(|r| r.id);
                state.filter = Some(filter);
                state
                    .requests
                    .list
                    .refilter(matcher(state.filter.as_deref()));
                state.requests.selected = kept
                    .and_then(|id| state.requests.list.display_position(id))
                    .unwrap_or(0);
            }
            state.account_selected = state
                .account_selected
                .min(state.accounts.len().saturating_sub(1));
        }
        Action::ModelsLoaded(models) => state.models = models,
        Action::FlowsLoaded { flows, builtin } => {
            state.routing.flows = flows;
            state.routing.builtin = builtin;
            clamp_routing(state);
        }
        Action::WhatIfAnswered(name, lines) => state.routing.what_if = Some((name, lines)),
        Action::Login(progress) => login_progress(state, &progress),
        Action::Confirm(yes) => return confirm(state, yes),
        _ => {
            return match state.tab {
                Tab::Models => models(state, action),
                Tab::Accounts => accounts(state, action),
                Tab::Routing => routing(state, action),
                Tab::Logs => logs(state, &action),
                Tab::Requests | Tab::Dashboard => Vec::new(),
            };
        }
    }
    Vec::new()
}

fn step(at: usize, len: usize, action: &Action) -> usize {
    match action {
        Action::Up => at.saturating_sub(1),
        Action::Down => (at + 1).min(len.saturating_sub(1)),
        Action::PageUp | Action::Top => 0,
        Action::PageDown | Action::Bottom => len.saturating_sub(1),
        _ => at,
    }
}

fn models(state: &mut AppState, action: Action) -> Vec<Effect> {
    match action {
        Action::Open | Action::TestPrompt => {
            if let Some(model) = state.models.get(state.model_selected) {
                let model = model.id.clone();
                fields::open(
                    state,
                    FieldPurpose::TestPrompt { model },
                    "Say hello in five words.",
                );
            }
        }
        other => state.model_selected = step(state.model_selected, state.models.len(), &other),
    }
    Vec::new()
}

fn accounts(state: &mut AppState, action: Action) -> Vec<Effect> {
    let selected = state.accounts.get(state.account_selected).cloned();
    match action {
        Action::AddAccount => {
            if !state.server.login_available {
                state.notice = Some("add accounts with `anti-api-tui accounts add`".into());
                return Vec::new();
            }
            state.login = Some(LoginState {
                status: "starting the login…".into(),
                ..LoginState::default()
            });
            return vec![Effect::BeginLogin];
        }
        Action::ImportIdeAccount => {
            if !state.server.login_available {
                state.notice =
                    Some("import with `anti-api-tui accounts import-antigravity`".into());
                return Vec::new();
            }
            state.notice = Some("importing the Antigravity IDE's account…".into());
            return vec![Effect::ImportIdeAccount];
        }
        Action::OpenSearch if state.login.is_some() => {
            fields::open(state, FieldPurpose::LoginPaste, "");
        }
        Action::ToggleAccountDisabled => {
            if let Some(account) = selected {
                let disabled = account.status != "disabled";
                return vec![Effect::SetAccountDisabled {
                    id: account.id,
                    disabled,
                }];
            }
        }
        Action::RemoveAccount => {
            if let Some(account) = selected {
                state.overlay = Overlay::Confirm(Confirm::RemoveAccount {
                    id: account.id,
                    email: account.email,
                });
            }
        }
        other => {
            state.account_selected = step(state.account_selected, state.accounts.len(), &other);
        }
    }
    Vec::new()
}

fn confirm(state: &mut AppState, yes: bool) -> Vec<Effect> {
    let Overlay::Confirm(question) = std::mem::take(&mut state.overlay) else {
        return Vec::new();
    };
    if !yes {
        state.notice = Some("cancelled".into());
        return Vec::new();
    }
    match question {
        Confirm::RemoveAccount { id, .. } => vec![Effect::RemoveAccount(id)],
        Confirm::DeleteFlow { name } => {
            state.routing.flows.retain(|f| f.name != name);
            clamp_routing(state);
            vec![Effect::SaveFlows(state.routing.flows.clone())]
        }
    }
}

fn login_progress(state: &mut AppState, progress: &LoginProgress) {
    let login = state.login.get_or_insert_with(LoginState::default);
    login.status = match progress {
        LoginProgress::Prompt(prompt) => {
            login.prompt = Some(prompt.clone());
            "waiting for you to sign in".into()
        }
        LoginProgress::BrowserOpened => "a browser was opened".into(),
        LoginProgress::Waiting { remaining_secs } => {
            login.remaining_secs = Some(*remaining_secs);
            return;
        }
        LoginProgress::PasteIgnored { reason } => format!("pasted text ignored: {reason}"),
        LoginProgress::SlowDown { interval_secs } => format!("polling every {interval_secs} s"),
        LoginProgress::Exchanging => "signed in; fetching tokens…".into(),
        LoginProgress::Discovering => "finding the Cloud Code project…".into(),
        LoginProgress::Done(done) => format!("added {} (project {})", done.email, done.project),
        LoginProgress::Failed { message } => format!("login failed: {message}"),
    };
    if progress.is_final() {
        login.finished = true;
        state.notice = Some(login.status.clone());
    }
}

fn routing(state: &mut AppState, action: Action) -> Vec<Effect> {
    let routing = &mut state.routing;
    let entries = routing
        .flows
        .get(routing.flow)
        .map_or(0, |f| f.entries.len());
    match action {
        Action::Left => routing.in_entries = false,
        Action::Right | Action::Open => routing.in_entries = entries > 0,
        Action::WhatIf => fields::open(state, FieldPurpose::WhatIf, ""),
        Action::RoutingAdd => {
            if routing.in_entries {
                let flow = routing.flows[routing.flow].name.clone();
                fields::open(state, FieldPurpose::NewEntry { flow }, "");
            } else {
                fields::open(state, FieldPurpose::NewFlow, "");
            }
        }
        Action::RoutingDelete => {
            if routing.in_entries {
                routing.flows[routing.flow].entries.remove(routing.entry);
                clamp_routing(state);
                return vec![Effect::SaveFlows(state.routing.flows.clone())];
            }
            if let Some(flow) = routing.flows.get(routing.flow) {
                state.overlay = Overlay::Confirm(Confirm::DeleteFlow {
                    name: flow.name.clone(),
                });
            }
        }
        Action::RoutingMove(delta) => {
            let (list_len, at) = if routing.in_entries {
                (entries, routing.entry)
            } else {
                (routing.flows.len(), routing.flow)
            };
            let to = at.saturating_add_signed(isize::from(delta));
            if to >= list_len || to == at {
                return Vec::new();
            }
            if routing.in_entries {
                routing.flows[routing.flow].entries.swap(at, to);
                routing.entry = to;
            } else {
                routing.flows.swap(at, to);
                routing.flow = to;
            }
            return vec![Effect::SaveFlows(routing.flows.clone())];
        }
        other if routing.in_entries => routing.entry = step(routing.entry, entries, &other),
        other => {
            routing.flow = step(routing.flow, routing.flows.len(), &other);
            routing.entry = 0;
        }
    }
    Vec::new()
}

fn clamp_routing(state: &mut AppState) {
    let routing = &mut state.routing;
    routing.flow = routing.flow.min(routing.flows.len().saturating_sub(1));
    let entries = routing
        .flows
        .get(routing.flow)
        .map_or(0, |f| f.entries.len());
    routing.entry = routing.entry.min(entries.saturating_sub(1));
    routing.in_entries &= entries > 0;
}

pub fn add_flow(state: &mut AppState, name: String) -> Vec<Effect> {
    if state.routing.flows.iter().any(|f| f.name == name) {
        state.notice = Some(format!("a flow named {name} exists"));
        return Vec::new();
    }
    state.routing.flows.push(FlowConfig {
        name: name.clone(),
        entries: Vec::new(),
    });
    state.routing.flow = state.routing.flows.len() - 1;
    // A flow without entries cannot route: ask for the first one straight away.
    fields::open(state, FieldPurpose::NewEntry { flow: name }, "");
    Vec::new()
}

pub fn add_entry(state: &mut AppState, flow: &str, entry: FlowEntry) -> Vec<Effect> {
    let Some(at) = state.routing.flows.iter().position(|f| f.name == flow) else {
        return Vec::new();
    };
    if !state.models.is_empty() && !state.models.iter().any(|m| m.id == entry.model) {
        state.notice = Some(format!("note: {} is not a catalogue id", entry.model));
    }
    state.routing.flows[at].entries.push(entry);
    state.routing.flow = at;
    state.routing.entry = state.routing.flows[at].entries.len() - 1;
    state.routing.in_entries = true;
    vec![Effect::SaveFlows(state.routing.flows.clone())]
}

fn logs(state: &mut AppState, action: &Action) -> Vec<Effect> {
    let logs = &mut state.logs;
    match action {
        Action::CycleLogLevel => {
            logs.level = match logs.level {
                LogLevel::Error => LogLevel::Warn,
                LogLevel::Warn => LogLevel::Info,
                LogLevel::Info => LogLevel::Debug,
                LogLevel::Debug => LogLevel::Trace,
                LogLevel::Trace => LogLevel::Error,
            };
        }
        Action::Up => logs.scroll = (logs.scroll + 1).min(logs.lines.len()),
        Action::Down => logs.scroll = logs.scroll.saturating_sub(1),
        Action::PageUp => logs.scroll = (logs.scroll + 20).min(logs.lines.len()),
        Action::PageDown => logs.scroll = logs.scroll.saturating_sub(20),
        Action::Bottom => logs.scroll = 0,
        Action::Top => logs.scroll = logs.lines.len(),
        _ => {}
    }
    Vec::new()
}

pub fn push_log(state: &mut AppState, line: LogLine) {
    if state.logs.lines.len() >= MAX_LOG_LINES {
        state.logs.lines.pop_front();
    }
    state.logs.lines.push_back(line);
    // Keep a scrolled-back view on the same lines.
    if state.logs.scroll > 0 {
        state.logs.scroll += 1;
    }
}
