//! Text fields: the `:` command line (with completion), `/` search, and the prompts of the
//! other tabs; Enter hands the value to whatever opened the field.

use tui_input::Input;
use tui_input::backend::crossterm::EventHandler as _;

use super::super::action::Action;
use super::super::command_line::{self, Command};
use super::super::effect::Effect;
use super::super::row_filter;
use super::super::state::{AppState, Field, FieldPurpose, Overlay, Tab, matcher};
use super::{go_tab, panels, requests};
use crate::config::FlowEntry;

/// Opens a field for `purpose`, prefilled with `text`.
pub fn open(state: &mut AppState, purpose: FieldPurpose, text: &str) {
    state.overlay = Overlay::Field(Field {
        purpose,
        input: Input::new(text.to_owned()),
        completions: Vec::new(),
    });
}

pub fn apply(state: &mut AppState, action: Action) -> Vec<Effect> {
    match action {
        Action::OpenCommandLine => open(state, FieldPurpose::Command, ""),
        Action::OpenSearch => {
            if state.tab == Tab::Logs {
                let text = state.logs.search.clone();
                open(state, FieldPurpose::LogSearch, &text);
            } else {
                open(state, FieldPurpose::Search, "");
            }
        }
        Action::OpenFilter => {
            let text = format!("filter {}", state.requests.filter_text);
            open(state, FieldPurpose::Command, &text);
        }
        Action::FieldKey(key) => {
            if let Overlay::Field(field) = &mut state.overlay {
                field.input.handle_event(&crossterm::event::Event::Key(key));
                field.completions.clear();
            }
        }
        Action::CompleteField => complete(state),
        Action::SubmitField => {
            let Overlay::Field(field) = std::mem::take(&mut state.overlay) else {
                return Vec::new();
            };
            return submit(state, field.purpose, field.input.value().trim().to_owned());
        }
        Action::RunCommand(line) => return run_command(state, &line),
        _ => {}
    }
    Vec::new()
}

/// Bracketed paste: into the open field, or to a running login.
pub fn paste(state: &mut AppState, text: &str) -> Vec<Effect> {
    if let Overlay::Field(field) = &mut state.overlay {
        let value = format!(
            "{}{}",
            field.input.value(),
            text.trim_end_matches(['\n', '\r'])
        );
        field.input = Input::new(value);
        return Vec::new();
    }
    if state.login.is_some() {
        return vec![Effect::LoginPaste(text.trim().to_owned())];
    }
    Vec::new()
}

fn complete(state: &mut AppState) {
    let mut names: Vec<String> = state.models.iter().map(|m| m.id.clone()).collect();
    names.extend(state.routing.flows.iter().map(|f| f.name.clone()));
    let accounts: Vec<String> = state.accounts.iter().map(|a| a.email.clone()).collect();
    let Overlay::Field(field) = &mut state.overlay else {
        return;
    };
    if field.purpose != FieldPurpose::Command {
        return;
    }
    let completions = command_line::complete(field.input.value(), &names, &accounts);
    if let Some(first) = completions.first() {
        field.input = Input::new(first.clone());
    }
    field.completions = completions;
}

fn submit(state: &mut AppState, purpose: FieldPurpose, value: String) -> Vec<Effect> {
    match purpose {
        FieldPurpose::Command => run_command(state, &value),
        FieldPurpose::Search => {
            requests::search(state, &value, true);
            Vec::new()
        }
        FieldPurpose::LogSearch => {
            state.logs.search = value;
            state.logs.scroll = 0;
            Vec::new()
        }
        FieldPurpose::TestPrompt { model } if !value.is_empty() => {
            state.notice = Some(format!("sent a test prompt to {model}; see Requests"));
            vec![Effect::TestPrompt {
                model,
                prompt: value,
            }]
        }
        FieldPurpose::WhatIf if !value.is_empty() => {
            state.routing.what_if = Some((value.clone(), vec!["resolving…".into()]));
            vec![Effect::WhatIf(value)]
        }
        FieldPurpose::NewFlow if !value.is_empty() => panels::add_flow(state, value),
        FieldPurpose::NewEntry { flow } if !value.is_empty() => {
            let mut words = value.split_whitespace();
            let entry = FlowEntry {
                model: words.next().unwrap_or_default().to_owned(),
                account: words.next().map(str::to_owned),
            };
            panels::add_entry(state, &flow, entry)
        }
        FieldPurpose::LoginPaste if !value.is_empty() => vec![Effect::LoginPaste(value)],
        _ => Vec::new(),
    }
}

pub fn run_command(state: &mut AppState, line: &str) -> Vec<Effect> {
    let command = match command_line::parse(line) {
        Ok(c) => c,
        Err(e) => {
            state.notice = Some(e);
            return Vec::new();
        }
    };
    match command {
        Command::Quit => super::update(state, Action::Quit),
        Command::Filter(text) => {
            set_filter(state, &text);
            Vec::new()
        }
        Command::Search(text) => {
            state.tab = Tab::Requests;
            requests::search(state, &text, true);
            Vec::new()
        }
        Command::Route(name) => {
            let mut effects = go_tab(state, Tab::Routing);
            state.routing.what_if = Some((name.clone(), vec!["resolving…".into()]));
            effects.push(Effect::WhatIf(name));
            effects
        }
        Command::Replay { model, account } => requests::replay(state, model, account),
        Command::Edit => requests::apply(state, Action::ReplayEdited),
        Command::ExportCurl => requests::apply(state, Action::ExportCurl),
        Command::ExportJson => requests::apply(state, Action::ExportBundle),
        Command::Follow => requests::apply(state, Action::ToggleFollow),
        Command::Pause => requests::apply(state, Action::TogglePause),
        Command::Compare => requests::apply(state, Action::MarkCompare),
        Command::Login => {
            let mut effects = go_tab(state, Tab::Accounts);
            effects.extend(panels::apply(state, Action::AddAccount));
            effects
        }
        Command::Tab(tab) => go_tab(state, tab),
        Command::Help => {
            state.overlay = Overlay::Help;
            Vec::new()
        }
    }
}

/// Applies a filter expression to the request list (empty clears it).
pub fn set_filter(state: &mut AppState, text: &str) {
    state.tab = Tab::Requests;
    if text.trim().is_empty() {
        state.filter = None;
        state.requests.filter_text.clear();
    } else {
        match row_filter::compile(text, &state.account_labels()) {
            Ok(filter) => {
                state.filter = Some(filter);
                text.trim().clone_into(&mut state.requests.filter_text);
            }
            Err(e) => {
                state.notice = Some(format!("filter: {e}"));
                return;
            }
        }
    }
    state
        .requests
        .list
        .refilter(matcher(state.filter.as_deref()));
    state.requests.selected = 0;
    state.requests.offset = 0;
    state.notice = Some(format!("{} requests shown", state.requests.list.view_len()));
}
