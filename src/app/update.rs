//! The reducer: `update(&mut AppState, Action) -> Vec<Effect>`. The only place console state
//! changes; it does no I/O, so every behaviour here is unit-tested without a terminal.

mod fields;
mod panels;
mod proxy;
mod requests;

#[cfg(test)]
mod tests;

use super::action::Action;
use super::effect::Effect;
use super::state::{AppState, Overlay, Tab};

/// Header, tab bar, list header, list status line and footer.
pub const CHROME_ROWS: u16 = 5;

impl AppState {
    /// Rows of the request list that fit on screen.
    pub fn list_height(&self) -> usize {
        usize::from(self.size.1.saturating_sub(CHROME_ROWS)).max(1)
    }
}

pub fn update(state: &mut AppState, action: Action) -> Vec<Effect> {
    // Clock ticks and off-screen log lines redraw only when something visible changed.
    match &action {
        Action::Tick(_) => {}
        Action::Log(_) => state.dirty |= state.tab == Tab::Logs,
        _ => state.dirty = true,
    }
    match action {
        Action::Quit => {
            state.quit = true;
            vec![Effect::CancelLogin]
        }
        Action::Tick(now) => {
            // Countdowns and rates change once a second.
            if now.timestamp() != state.now.timestamp() {
                state.dirty = true;
            }
            state.now = now;
            Vec::new()
        }
        Action::Resize(w, h) => {
            state.size = (w, h);
            requests::keep_selection_visible(state);
            Vec::new()
        }
        Action::NextTab => go_tab(state, step_tab(state.tab, 1)),
        Action::PrevTab => go_tab(state, step_tab(state.tab, -1)),
        Action::GoTab(tab) => go_tab(state, tab),
        Action::ToggleHelp => {
            state.overlay = match state.overlay {
                Overlay::Help => Overlay::None,
                _ => Overlay::Help,
            };
            Vec::new()
        }
        Action::Notice(text) => {
            state.notice = Some(text);
            Vec::new()
        }
        Action::Proxy(event) => proxy::apply(state, event),
        Action::Lagged(n) => {
            state.server.dropped_events += n;
            state.notice = Some(format!(
                "the console fell behind: {n} events dropped; reloading"
            ));
            if state.server.history {
                vec![Effect::LoadHistory]
            } else {
                Vec::new()
            }
        }
        Action::Log(line) => {
            panels::push_log(state, line);
            Vec::new()
        }
        Action::OpenCommandLine
        | Action::OpenSearch
        | Action::OpenFilter
        | Action::FieldKey(_)
        | Action::SubmitField
        | Action::CompleteField
        | Action::RunCommand(_) => fields::apply(state, action),
        Action::Paste(text) => fields::paste(state, &text),
        Action::HistoryLoaded(rows) => {
            requests::history_loaded(state, rows);
            Vec::new()
        }
        Action::DetailLoaded(id, stages) => {
            if let Some(detail) = state.requests.detail.as_mut().filter(|d| d.id == id) {
                detail.stages = Some(stages);
            }
            Vec::new()
        }
        Action::DryRunAnswered(id, text) => {
            if let Some(detail) = state.requests.detail.as_mut().filter(|d| d.id == id) {
                detail.dry_run = Some(Some(text));
                detail.scroll = 0;
            }
            Vec::new()
        }
        Action::AccountsLoaded(_)
        | Action::ModelsLoaded(_)
        | Action::FlowsLoaded { .. }
        | Action::WhatIfAnswered(..)
        | Action::Login(_)
        | Action::Confirm(_) => panels::apply(state, action),
        Action::Back => back(state),
        _ => match state.tab {
            Tab::Requests => requests::apply(state, action),
            _ => panels::apply(state, action),
        },
    }
}

fn step_tab(tab: Tab, step: isize) -> Tab {
    let at = Tab::ALL.iter().position(|t| *t == tab).unwrap_or(0);
    let n = Tab::ALL.len();
    let next = if step < 0 { at + n - 1 } else { at + 1 };
    Tab::ALL[next % n]
}

fn go_tab(state: &mut AppState, tab: Tab) -> Vec<Effect> {
    state.tab = tab;
    state.overlay = Overlay::None;
    match tab {
        Tab::Accounts | Tab::Dashboard => vec![Effect::LoadAccounts],
        Tab::Models if state.models.is_empty() => vec![Effect::LoadModels],
        Tab::Routing => vec![Effect::LoadFlows],
        _ => Vec::new(),
    }
}

/// Esc: closes the innermost thing that is open.
fn back(state: &mut AppState) -> Vec<Effect> {
    if !matches!(state.overlay, Overlay::None) {
        state.overlay = Overlay::None;
        return Vec::new();
    }
    if state.login.is_some() && state.tab == Tab::Accounts {
        state.login = None;
        return vec![Effect::CancelLogin];
    }
    let requests = &mut state.requests;
    if requests.compare.take().is_some() || requests.detail.take().is_some() {
        return Vec::new();
    }
    if state.tab == Tab::Routing {
        state.routing.what_if = None;
        state.routing.in_entries = false;
    }
    Vec::new()
}
