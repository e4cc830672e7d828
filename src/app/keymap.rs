//! Keys to actions. A static table per screen; while a text field is open the keys go to it
//! first. The same table feeds the footer and the `?` help, so they never disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::Action;
use super::state::{AppState, Overlay, Tab};

/// A key binding as shown to the user.
pub struct Binding {
    pub keys: &'static str,
    pub what: &'static str,
}

const fn bind(keys: &'static str, what: &'static str) -> Binding {
    Binding { keys, what }
}

pub const GLOBAL: &[Binding] = &[
    bind("Tab/S-Tab 1-6", "switch tab"),
    bind(":", "command line (Tab completes)"),
    bind("?", "help"),
    bind("q", "back / quit"),
    bind("Ctrl-C", "quit"),
];

pub const REQUESTS: &[Binding] = &[
    bind("↑↓ j k PgUp PgDn", "move"),
    bind("Enter", "details"),
    bind("/ n N", "search, next, previous"),
    bind("f", "follow newest"),
    bind("p Space", "pause the list"),
    bind("r", "replay"),
    bind("e", "edit in $EDITOR and replay"),
    bind("m", "replay to another model or flow"),
    bind("o", "replay on another account"),
    bind("c", "mark / compare two requests"),
    bind("x", "copy as curl (clipboard + file)"),
    bind("X", "export redacted JSON bundle"),
    bind("t", "dry run: the upstream request it would send"),
    bind("F", "filter (`:filter status:429`)"),
];

pub const DETAIL: &[Binding] = &[
    bind("← → Enter", "stage tabs"),
    bind("↑↓ PgUp PgDn", "scroll"),
    bind("r e m x X", "replay, edit, to model, curl, bundle"),
    bind("t", "dry run (translate only, nothing sent)"),
    bind("Esc q", "back to the list"),
];

pub const ACCOUNTS: &[Binding] = &[
    bind("↑↓", "move"),
    bind("a", "add an account (login)"),
    bind("i", "import from the Antigravity IDE"),
    bind("d", "disable / enable"),
    bind("D Del", "remove (asks first)"),
    bind("/", "paste a code or redirect URL (login)"),
    bind("Esc", "cancel the login"),
];

pub const MODELS: &[Binding] = &[
    bind("↑↓", "move"),
    bind("Enter t", "send a test prompt through the proxy"),
];

pub const ROUTING: &[Binding] = &[
    bind("↑↓ ← →", "flows / entries"),
    bind("a", "add a flow / an entry"),
    bind("d", "delete"),
    bind("K J", "move up / down"),
    bind("w", "what-if: where would a name go now"),
];

pub const LOGS: &[Binding] = &[
    bind("↑↓ PgUp PgDn G", "scroll, newest"),
    bind("l", "level filter"),
    bind("/", "search"),
];

pub const DASHBOARD: &[Binding] = &[bind("Tab", "to the request list")];

/// The bindings of the screen in front.
pub fn bindings(state: &AppState) -> &'static [Binding] {
    match state.tab {
        Tab::Dashboard => DASHBOARD,
        Tab::Requests if state.requests.detail.is_some() => DETAIL,
        Tab::Requests => REQUESTS,
        Tab::Models => MODELS,
        Tab::Accounts => ACCOUNTS,
        Tab::Routing => ROUTING,
        Tab::Logs => LOGS,
    }
}

pub fn action_for(state: &AppState, key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && matches!(key.code, KeyCode::Char('c' | 'q')) {
        return Some(Action::Quit);
    }
    match &state.overlay {
        Overlay::Field(_) => {
            return Some(match key.code {
                KeyCode::Enter => Action::SubmitField,
                KeyCode::Esc => Action::Back,
                KeyCode::Tab => Action::CompleteField,
                _ => Action::FieldKey(key),
            });
        }
        Overlay::Help => return Some(Action::ToggleHelp),
        Overlay::Confirm(_) => {
            return match key.code {
                KeyCode::Char('y' | 'Y') => Some(Action::Confirm(true)),
                KeyCode::Char('n' | 'N') | KeyCode::Esc => Some(Action::Confirm(false)),
                _ => None,
            };
        }
        Overlay::None => {}
    }
    if let Some(action) = navigation(state, key.code) {
        return Some(action);
    }
    let in_list = state.requests.detail.is_none() && state.requests.compare.is_none();
    match (state.tab, key.code) {
        (Tab::Requests, KeyCode::Char('/')) if in_list => Some(Action::OpenSearch),
        (Tab::Requests, KeyCode::Char('n')) => Some(Action::SearchNext),
        (Tab::Requests, KeyCode::Char('N')) => Some(Action::SearchPrev),
        (Tab::Requests, KeyCode::Char('f')) => Some(Action::ToggleFollow),
        (Tab::Requests, KeyCode::Char('p' | ' ')) => Some(Action::TogglePause),
        (Tab::Requests, KeyCode::Char('r')) => Some(Action::Replay),
        (Tab::Requests, KeyCode::Char('e')) => Some(Action::ReplayEdited),
        (Tab::Requests, KeyCode::Char('m')) => Some(Action::ReplayToModel(String::new())),
        (Tab::Requests, KeyCode::Char('o')) => Some(Action::ReplayOnAccount),
        (Tab::Requests, KeyCode::Char('c')) => Some(Action::MarkCompare),
        (Tab::Requests, KeyCode::Char('x')) => Some(Action::ExportCurl),
        (Tab::Requests, KeyCode::Char('X')) => Some(Action::ExportBundle),
        (Tab::Requests, KeyCode::Char('F')) => Some(Action::OpenFilter),
        (Tab::Requests, KeyCode::Char('t')) => Some(Action::DryRun),
        (Tab::Accounts, KeyCode::Char('a')) => Some(Action::AddAccount),
        (Tab::Accounts, KeyCode::Char('i')) => Some(Action::ImportIdeAccount),
        (Tab::Accounts, KeyCode::Char('d')) => Some(Action::ToggleAccountDisabled),
        (Tab::Accounts, KeyCode::Char('D') | KeyCode::Delete) => Some(Action::RemoveAccount),
        (Tab::Accounts | Tab::Logs, KeyCode::Char('/')) => Some(Action::OpenSearch),
        (Tab::Models, KeyCode::Char('t')) => Some(Action::TestPrompt),
        (Tab::Routing, KeyCode::Char('a')) => Some(Action::RoutingAdd),
        (Tab::Routing, KeyCode::Char('d') | KeyCode::Delete) => Some(Action::RoutingDelete),
        (Tab::Routing, KeyCode::Char('K')) => Some(Action::RoutingMove(-1)),
        (Tab::Routing, KeyCode::Char('J')) => Some(Action::RoutingMove(1)),
        (Tab::Routing, KeyCode::Char('w')) => Some(Action::WhatIf),
        (Tab::Logs, KeyCode::Char('l')) => Some(Action::CycleLogLevel),
        _ => None,
    }
}

fn navigation(state: &AppState, code: KeyCode) -> Option<Action> {
    let nested = state.requests.detail.is_some() || state.requests.compare.is_some();
    Some(match code {
        KeyCode::Char('q') if nested && state.tab == Tab::Requests => Action::Back,
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Tab => Action::NextTab,
        KeyCode::BackTab => Action::PrevTab,
        KeyCode::Char(c @ '1'..='6') => Action::GoTab(Tab::ALL[usize::from(c as u8 - b'1')]),
        KeyCode::Char('?') => Action::ToggleHelp,
        KeyCode::Char(':') => Action::OpenCommandLine,
        KeyCode::Up | KeyCode::Char('k') => Action::Up,
        KeyCode::Down | KeyCode::Char('j') => Action::Down,
        KeyCode::Left | KeyCode::Char('h') => Action::Left,
        KeyCode::Right | KeyCode::Char('l') if state.tab != Tab::Logs => Action::Right,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::Home | KeyCode::Char('g') => Action::Top,
        KeyCode::End | KeyCode::Char('G') => Action::Bottom,
        KeyCode::Enter => Action::Open,
        KeyCode::Esc => Action::Back,
        _ => return None,
    })
}
