//! The console's screens: every tab rendered from a fixture state (fixed ids and times) at
//! 80×24 and 120×40 into `TestBackend`, compared with insta snapshots; and the end-to-end test
//! that drives the real binary in tmux (`console/e2e.rs`).

#[path = "console/e2e.rs"]
mod e2e;
#[path = "console/hangup.rs"]
mod hangup;

use std::sync::Arc;

use anti_api_tui::app::action::Action;
use anti_api_tui::app::state::{AccountView, AppState, CooldownView, ModelView, QuotaView, Tab};
use anti_api_tui::app::update::update;
use anti_api_tui::events::{Outcome, Progress, ProxyEvent, RequestId, RequestMeta};
use anti_api_tui::translate::ir::{ApiFormat, Usage};
use chrono::{DateTime, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn at(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap()
}

fn id(n: u128) -> RequestId {
    RequestId(uuid::Uuid::from_u128(
        0x0190_0000_0000_7000_8000_0000_0000_0000 + n,
    ))
}

/// A console that has seen a little traffic: ok, streaming, quota error, in flight.
fn fixture(size: (u16, u16)) -> AppState {
    let mut state = AppState::new(at(30), size);
    state.server.listen = Some("127.0.0.1:8964".parse().unwrap());
    state.server.demo = true;
    state.server.history = true;
    let requests = [
        (1, ApiFormat::OpenAi, "gemini-3-flash", Some(200)),
        (2, ApiFormat::Anthropic, "claude-sonnet-4-6", Some(429)),
        (3, ApiFormat::Anthropic, "opus", Some(200)),
        (4, ApiFormat::OpenAi, "gemini-pro-agent", None),
    ];
    for (n, api, model, status) in requests {
        let meta = RequestMeta {
            id: id(n),
            at: at(i64::try_from(n).unwrap() * 5),
            api,
            path: if api == ApiFormat::OpenAi {
                "/v1/chat/completions"
            } else {
                "/v1/messages"
            }
            .into(),
            model_requested: model.into(),
            stream: n != 1,
            user_agent: None,
            replay_of: None,
        };
        let mut events = vec![
            ProxyEvent::RequestStarted {
                meta: Arc::new(meta),
            },
            ProxyEvent::RequestRouted {
                id: id(n),
                model_routed: if model == "opus" {
                    "claude-opus-4-6-thinking"
                } else {
                    model
                }
                .into(),
                account: "demo-1".into(),
                attempt: 1,
            },
            ProxyEvent::RequestProgress {
                id: id(n),
                progress: Progress::FirstToken {
                    ttft_ms: 300 * u64::try_from(n).unwrap(),
                },
            },
            ProxyEvent::RequestProgress {
                id: id(n),
                progress: Progress::Text {
                    text: "Hello from the simulator.".into(),
                },
            },
        ];
        if let Some(status) = status {
            events.push(ProxyEvent::RequestFinished {
                id: id(n),
                outcome: if status == 200 {
                    Outcome::Ok
                } else {
                    Outcome::UpstreamError
                },
                status,
                usage: Usage {
                    input_tokens: 1200,
                    output_tokens: 340,
                    ..Usage::default()
                },
                ttft_ms: Some(300),
                duration_ms: 2100,
                error: (status == 429).then(|| "quota exhausted for claude-sonnet-4-6".into()),
            });
        }
        for event in events {
            update(&mut state, Action::Proxy(event));
        }
    }
    update(
        &mut state,
        Action::AccountsLoaded(vec![AccountView {
            id: "demo-1".into(),
            email: "demo@example.com".into(),
            project: Some("demo-project".into()),
            tier: Some("free".into()),
            status: "cooling".into(),
            detail: None,
            cooldowns: vec![CooldownView {
                model: "claude-sonnet-4-6".into(),
                until: at(330),
                reason: "QUOTA_EXHAUSTED".into(),
            }],
            quota: vec![
                QuotaView {
                    model: "claude-sonnet-4-6".into(),
                    family: "claude".into(),
                    remaining_pct: 0,
                    reset: Some(at(330)),
                },
                QuotaView {
                    model: "claude-opus-4-6-thinking".into(),
                    family: "claude".into(),
                    remaining_pct: 35,
                    reset: Some(at(4590)),
                },
                QuotaView {
                    model: "gemini-3-flash".into(),
                    family: "gemini".into(),
                    remaining_pct: 75,
                    reset: Some(at(4590)),
                },
                QuotaView {
                    model: "gemini-pro-agent".into(),
                    family: "gemini".into(),
                    remaining_pct: 100,
                    reset: Some(at(18_030)),
                },
            ],
        }]),
    );
    update(
        &mut state,
        Action::ModelsLoaded(vec![
            ModelView {
                id: "gemini-3-flash".into(),
                display_name: "Gemini 3 Flash".into(),
                family: "gemini".into(),
                upstream: "gemini-3-flash".into(),
                thinking: true,
                images: true,
                max_output: 65536,
            },
            ModelView {
                id: "claude-sonnet-4-6".into(),
                display_name: "Claude Sonnet 4.6".into(),
                family: "claude".into(),
                upstream: "claude-sonnet-4-6".into(),
                thinking: false,
                images: true,
                max_output: 64000,
            },
        ]),
    );
    update(
        &mut state,
        Action::FlowsLoaded {
            flows: anti_api_tui::routing::builtin_flows(),
            builtin: vec!["fast".into(), "opus".into()],
        },
    );
    update(
        &mut state,
        Action::WhatIfAnswered(
            "opus".into(),
            vec![
                "flow opus: 2 targets".into(),
                "1. claude-opus-4-6-thinking  usable: demo-1".into(),
            ],
        ),
    );
    update(
        &mut state,
        Action::Log(anti_api_tui::logging::LogLine {
            at: at(1),
            level: tracing::Level::INFO,
            target: "x".into(),
            message: "listening on http://127.0.0.1:8964".into(),
        }),
    );
    state.notice = None;
    state
}

fn screen(state: &AppState) -> String {
    let mut terminal = Terminal::new(TestBackend::new(state.size.0, state.size.1)).unwrap();
    terminal
        .draw(|f| anti_api_tui::ui::render(f, state))
        .unwrap();
    terminal.backend().to_string()
}

#[test]
fn every_tab_at_both_sizes() {
    for size in [(80, 24), (120, 40)] {
        for tab in Tab::ALL {
            let mut state = fixture(size);
            update(&mut state, Action::GoTab(tab));
            state.notice = None;
            insta::assert_snapshot!(
                format!("{}_{}x{}", tab.title().to_lowercase(), size.0, size.1),
                screen(&state)
            );
        }
    }
}

#[test]
fn detail_help_and_command_line() {
    let mut state = fixture((80, 24));
    update(&mut state, Action::Down);
    update(&mut state, Action::Down);
    update(&mut state, Action::Open);
    insta::assert_snapshot!("detail_quota_error_80x24", screen(&state));
    update(&mut state, Action::DryRun);
    update(
        &mut state,
        Action::DryRunAnswered(
            id(2),
            "route claude-sonnet-4-6 → claude-sonnet-4-6\n\
             upstream model claude-sonnet-4-6\n\n{\n  \"project\": \"(project)\"\n}"
                .into(),
        ),
    );
    insta::assert_snapshot!("detail_dry_run_80x24", screen(&state));
    let mut state = fixture((120, 40));
    update(&mut state, Action::ToggleHelp);
    insta::assert_snapshot!("help_120x40", screen(&state));
    let mut state = fixture((80, 24));
    update(&mut state, Action::RunCommand("filter status:429".into()));
    update(&mut state, Action::OpenCommandLine);
    update(&mut state, Action::Paste("rep".into()));
    update(&mut state, Action::CompleteField);
    insta::assert_snapshot!("filtered_with_command_line_80x24", screen(&state));
}
