//! Reducer tests: actions in, state and effects out.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::super::action::Action;
use super::super::effect::Effect;
use super::super::keymap;
use super::super::state::{AccountView, AppState, Confirm, Overlay, QuotaView, Tab};
use super::update;
use crate::events::{Outcome, Progress, ProxyEvent, RequestId, RequestMeta};
use crate::translate::ir::{ApiFormat, Usage};

fn at(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap()
}

fn id(n: u128) -> RequestId {
    RequestId(uuid::Uuid::from_u128(n))
}

fn started(n: u128, model: &str) -> Action {
    Action::Proxy(ProxyEvent::RequestStarted {
        meta: Arc::new(RequestMeta {
            id: id(n),
            at: at(0),
            api: ApiFormat::OpenAi,
            path: "/v1/chat/completions".into(),
            model_requested: model.into(),
            stream: true,
            user_agent: None,
            replay_of: None,
        }),
    })
}

fn finished(n: u128, status: u16) -> Action {
    Action::Proxy(ProxyEvent::RequestFinished {
        id: id(n),
        outcome: if status == 200 {
            Outcome::Ok
        } else {
            Outcome::UpstreamError
        },
        status,
        usage: Usage {
            input_tokens: 10,
            output_tokens: 5,
            ..Usage::default()
        },
        ttft_ms: Some(120),
        duration_ms: 900,
        error: (status != 200).then(|| "quota exhausted".into()),
    })
}

fn state_with_history() -> AppState {
    let mut state = AppState::new(at(0), (120, 40));
    state.server.history = true;
    state
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

#[test]
fn a_request_appears_updates_live_and_finishes() {
    let mut state = state_with_history();
    update(&mut state, started(1, "opus"));
    assert!(state.selected_row().unwrap().in_flight());
    update(
        &mut state,
        Action::Proxy(ProxyEvent::RequestRouted {
            id: id(1),
            model_routed: "claude-opus-4-6-thinking".into(),
            account: "alice".into(),
            attempt: 1,
        }),
    );
    update(
        &mut state,
        Action::Proxy(ProxyEvent::RequestProgress {
            id: id(1),
            progress: Progress::Text { text: "Hel".into() },
        }),
    );
    update(
        &mut state,
        Action::Proxy(ProxyEvent::RequestProgress {
            id: id(1),
            progress: Progress::ToolCall {
                name: "Bash".into(),
            },
        }),
    );
    assert_eq!(state.transcripts[&id(1)].text, "Hel");
    update(&mut state, finished(1, 429));
    let row = state.selected_row().unwrap();
    assert_eq!(row.status, Some(429));
    assert_eq!(row.account.as_deref(), Some("alice"));
    assert!(row.has_tool && row.is_alarming());
    assert_eq!(
        state.alerts.len(),
        1,
        "a quota error reaches the dashboard at once"
    );
    assert_eq!(state.stats.total_errors, 1);
}

#[test]
fn follow_keeps_the_newest_selected_and_without_it_the_selection_stays_put() {
    let mut state = state_with_history();
    update(&mut state, started(1, "a"));
    update(&mut state, started(2, "b"));
    assert_eq!(state.selected_row().unwrap().id, id(2));
    update(&mut state, Action::Down);
    assert!(!state.requests.follow);
    assert_eq!(state.selected_row().unwrap().id, id(1));
    update(&mut state, started(3, "c"));
    assert_eq!(state.selected_row().unwrap().id, id(1));
    update(&mut state, Action::ToggleFollow);
    assert_eq!(state.selected_row().unwrap().id, id(3));
}

#[test]
fn pause_holds_the_list_and_counts_what_arrived() {
    let mut state = state_with_history();
    update(&mut state, started(1, "a"));
    update(&mut state, Action::TogglePause);
    update(&mut state, started(2, "b"));
    update(&mut state, started(3, "c"));
    assert_eq!(state.requests.list.view_len(), 1);
    assert_eq!(state.requests.list.arrived_while_paused, 2);
    update(&mut state, Action::TogglePause);
    assert_eq!(state.requests.list.view_len(), 3);
    assert!(
        state
            .notice
            .as_deref()
            .unwrap()
            .contains("2 requests arrived")
    );
}

#[test]
fn the_filter_command_narrows_the_list_and_search_jumps() {
    let mut state = state_with_history();
    for n in 1..=4 {
        update(
            &mut state,
            started(n, if n % 2 == 0 { "opus" } else { "flash" }),
        );
        update(&mut state, finished(n, if n == 2 { 429 } else { 200 }));
    }
    update(&mut state, Action::RunCommand("filter status:429".into()));
    assert_eq!(state.requests.list.view_len(), 1);
    assert_eq!(state.selected_row().unwrap().id, id(2));
    update(&mut state, Action::RunCommand("filter".into()));
    assert_eq!(state.requests.list.view_len(), 4);
    update(&mut state, Action::RunCommand("search model:flash".into()));
    assert_eq!(state.selected_row().unwrap().id, id(3));
    update(&mut state, Action::SearchNext);
    assert_eq!(state.selected_row().unwrap().id, id(1));
    update(&mut state, Action::RunCommand("filter status:".into()));
    assert!(
        state.notice.is_some(),
        "a bad filter is reported, not applied"
    );
}

#[test]
fn detail_loads_stages_and_replay_targets_the_selected_request() {
    let mut state = state_with_history();
    update(&mut state, started(1, "opus"));
    assert_eq!(
        update(&mut state, Action::Open),
        vec![Effect::LoadDetail(id(1))]
    );
    // The finish of the open request reloads its bodies.
    assert_eq!(
        update(&mut state, finished(1, 200)),
        vec![Effect::LoadDetail(id(1))]
    );
    let effects = update(&mut state, Action::Replay);
    assert_eq!(
        effects,
        vec![Effect::Replay {
            id: id(1),
            model: None,
            account: None
        }]
    );
    assert!(state.requests.detail.is_none());
    let effects = update(
        &mut state,
        Action::RunCommand("replay --model gemini-3-flash".into()),
    );
    assert_eq!(
        effects,
        vec![Effect::Replay {
            id: id(1),
            model: Some("gemini-3-flash".into()),
            account: None
        }]
    );
    assert_eq!(
        update(&mut state, Action::ExportCurl),
        vec![Effect::ExportCurl(id(1))]
    );
}

#[test]
fn compare_needs_two_marks() {
    let mut state = state_with_history();
    update(&mut state, started(1, "a"));
    update(&mut state, started(2, "b"));
    update(&mut state, Action::MarkCompare);
    update(&mut state, Action::Down);
    update(&mut state, Action::MarkCompare);
    assert_eq!(state.requests.compare, Some((id(2), id(1))));
    update(&mut state, Action::Back);
    assert!(state.requests.compare.is_none());
}

#[test]
fn removing_an_account_asks_first() {
    let mut state = state_with_history();
    update(&mut state, Action::GoTab(Tab::Accounts));
    update(
        &mut state,
        Action::AccountsLoaded(vec![AccountView {
            id: "a1".into(),
            email: "alice@example.com".into(),
            project: None,
            tier: None,
            status: "ok".into(),
            detail: None,
            cooldowns: Vec::new(),
            quota: Vec::new(),
        }]),
    );
    assert!(update(&mut state, Action::RemoveAccount).is_empty());
    assert!(matches!(
        state.overlay,
        Overlay::Confirm(Confirm::RemoveAccount { .. })
    ));
    let action = keymap::action_for(&state, key(KeyCode::Char('y'))).unwrap();
    assert_eq!(
        update(&mut state, action),
        vec![Effect::RemoveAccount("a1".into())]
    );
    let toggle = update(&mut state, Action::ToggleAccountDisabled);
    assert_eq!(
        toggle,
        vec![Effect::SetAccountDisabled {
            id: "a1".into(),
            disabled: true
        }]
    );
}

#[test]
fn the_command_line_completes_and_runs() {
    let mut state = state_with_history();
    update(&mut state, Action::OpenCommandLine);
    for c in "rou".chars() {
        update(&mut state, Action::FieldKey(key(KeyCode::Char(c))));
    }
    update(&mut state, Action::CompleteField);
    let Overlay::Field(field) = &state.overlay else {
        panic!("field closed")
    };
    assert_eq!(field.input.value(), "route ");
    for c in "opus".chars() {
        update(&mut state, Action::FieldKey(key(KeyCode::Char(c))));
    }
    let effects = update(&mut state, Action::SubmitField);
    assert!(
        effects.contains(&Effect::WhatIf("opus".into())),
        "{effects:?}"
    );
    assert_eq!(state.tab, Tab::Routing);
}

#[test]
fn routing_edits_are_saved() {
    let mut state = state_with_history();
    update(&mut state, Action::GoTab(Tab::Routing));
    update(
        &mut state,
        Action::FlowsLoaded {
            flows: crate::routing::builtin_flows(),
            builtin: vec!["fast".into(), "opus".into()],
        },
    );
    update(&mut state, Action::Right);
    let effects = update(&mut state, Action::RoutingMove(1));
    let Some(Effect::SaveFlows(flows)) = effects.first() else {
        panic!("{effects:?}")
    };
    assert_eq!(flows[0].entries[1].model, "gemini-3-flash");
    update(&mut state, Action::RoutingAdd);
    for c in "gpt-oss-120b".chars() {
        update(&mut state, Action::FieldKey(key(KeyCode::Char(c))));
    }
    let effects = update(&mut state, Action::SubmitField);
    let Some(Effect::SaveFlows(flows)) = effects.first() else {
        panic!("{effects:?}")
    };
    assert_eq!(flows[0].entries.len(), 4);
}

#[test]
fn a_lagging_bus_reloads_from_the_store_and_quit_quits() {
    let mut state = state_with_history();
    assert_eq!(
        update(&mut state, Action::Lagged(12)),
        vec![Effect::LoadHistory]
    );
    assert_eq!(state.server.dropped_events, 12);
    let quit = keymap::action_for(
        &state,
        KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
    );
    update(&mut state, quit.unwrap());
    assert!(state.quit);
}

fn quota(model: &str, family: &str, pct: u8, reset: Option<i64>) -> QuotaView {
    QuotaView {
        model: model.into(),
        family: family.into(),
        remaining_pct: pct,
        reset: reset.map(at),
    }
}

#[test]
fn family_quota_takes_the_lowest_model_per_family_in_order() {
    let account = AccountView {
        id: "a1".into(),
        email: "alice@example.com".into(),
        project: None,
        tier: None,
        status: "ok".into(),
        detail: None,
        cooldowns: Vec::new(),
        quota: vec![
            quota("gemini-3-flash", "gemini", 80, Some(100)),
            quota("claude-sonnet-4-6", "claude", 40, Some(200)),
            quota("gemini-pro-agent", "gemini", 10, Some(300)),
            quota("claude-opus-4-6-thinking", "claude", 60, None),
        ],
    };
    let families: Vec<(&str, &str, u8)> = account
        .family_quota()
        .into_iter()
        .map(|(f, q)| (f, q.model.as_str(), q.remaining_pct))
        .collect();
    assert_eq!(
        families,
        vec![
            ("claude", "claude-sonnet-4-6", 40),
            ("gemini", "gemini-pro-agent", 10)
        ]
    );
    assert_eq!(
        account.quota_for("gemini-3-flash").map(|q| q.remaining_pct),
        Some(80)
    );
    assert!(account.quota_for("gpt-oss-120b-medium").is_none());
    assert_eq!(
        super::super::state::family_of_upstream("gpt-oss-120b-medium"),
        "gpt-oss"
    );
}

#[test]
fn quota_events_and_the_dashboard_reload_accounts() {
    let mut state = state_with_history();
    assert_eq!(
        update(&mut state, Action::GoTab(Tab::Dashboard)),
        vec![Effect::LoadAccounts]
    );
    let effects = update(
        &mut state,
        Action::Proxy(ProxyEvent::AccountUpdated {
            account: "a1".into(),
            status: "quota".into(),
        }),
    );
    assert_eq!(effects, vec![Effect::LoadAccounts]);
}

#[test]
fn t_runs_a_dry_run_in_the_detail_view() {
    let mut state = state_with_history();
    update(&mut state, started(1, "gemini-3-flash"));
    let action = keymap::action_for(&state, key(KeyCode::Char('t'))).unwrap();
    assert!(matches!(action, Action::DryRun));
    let effects = update(&mut state, action);
    assert_eq!(
        effects,
        vec![Effect::LoadDetail(id(1)), Effect::DryRun(id(1))]
    );
    let detail = state.requests.detail.as_ref().unwrap();
    assert_eq!(detail.dry_run, Some(None));
    update(
        &mut state,
        Action::DryRunAnswered(id(1), "upstream body".into()),
    );
    let detail = state.requests.detail.as_ref().unwrap();
    assert_eq!(detail.dry_run, Some(Some("upstream body".into())));
    // Inside the detail view t runs it again; a stage tab hides it.
    let again = update(&mut state, Action::DryRun);
    assert_eq!(again, vec![Effect::DryRun(id(1))]);
    update(&mut state, Action::Right);
    assert!(state.requests.detail.as_ref().unwrap().dry_run.is_none());
}

#[test]
fn a_dry_run_needs_the_history_store() {
    let mut state = AppState::new(at(0), (100, 30));
    update(&mut state, started(1, "gemini-3-flash"));
    assert!(update(&mut state, Action::DryRun).is_empty());
    assert!(state.requests.detail.is_none());
}

#[test]
fn acct_filters_by_email_once_the_accounts_are_known() {
    let mut state = state_with_history();
    for (n, account) in [(1, "a1"), (2, "b2")] {
        update(&mut state, started(n, "gemini-3-flash"));
        update(
            &mut state,
            Action::Proxy(ProxyEvent::RequestRouted {
                id: id(n),
                model_routed: "gemini-3-flash".into(),
                account: account.into(),
                attempt: 1,
            }),
        );
    }
    super::fields::set_filter(&mut state, "acct:alice");
    assert_eq!(state.requests.list.view_len(), 0, "no e-mails known yet");
    let account = |id: &str, email: &str| AccountView {
        id: id.into(),
        email: email.into(),
        project: None,
        tier: None,
        status: "ok".into(),
        detail: None,
        cooldowns: Vec::new(),
        quota: Vec::new(),
    };
    update(
        &mut state,
        Action::AccountsLoaded(vec![
            account("a1", "alice@example.com"),
            account("b2", "bob@example.com"),
        ]),
    );
    assert_eq!(state.requests.list.view_len(), 1);
    assert_eq!(state.selected_row().unwrap().id, id(1));
    assert_eq!(state.account_label("a1"), "alice@example.com");
    assert_eq!(state.account_label("zz"), "zz");
    super::fields::set_filter(&mut state, "-acct:alice@");
    assert_eq!(state.selected_row().unwrap().id, id(2));
}

#[test]
fn i_imports_the_ide_account_from_the_accounts_tab() {
    let mut state = state_with_history();
    state.server.login_available = true;
    update(&mut state, Action::GoTab(Tab::Accounts));
    let action = keymap::action_for(&state, key(KeyCode::Char('i'))).unwrap();
    assert_eq!(update(&mut state, action), vec![Effect::ImportIdeAccount]);
    assert!(
        keymap::bindings(&state)
            .iter()
            .any(|b| b.keys == "i" && b.what.contains("Antigravity IDE")),
        "the footer and help show the key"
    );
    state.server.login_available = false;
    assert!(update(&mut state, Action::ImportIdeAccount).is_empty());
    assert!(
        state
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("accounts import-antigravity")),
        "{:?}",
        state.notice
    );
}
