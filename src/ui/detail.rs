//! The detail of one request — its summary, the error in words, the completion as it streams
//! in, and the four stored stages — and the side-by-side comparison of two requests.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::requests::status_text;
use super::{theme, widgets};
use crate::app::effect::short_id;
use crate::app::rows::Row;
use crate::app::state::{AppState, DetailState, DetailTab, Transcript};
use crate::events::RequestId;

pub fn render(frame: &mut Frame, area: Rect, state: &AppState, detail: &DetailState) {
    let Some(row) = state.requests.list.get(detail.id) else {
        frame.render_widget(Paragraph::new("request no longer listed"), area);
        return;
    };
    let mut summary = summary_lines(row, state);
    if let Some(error) = &row.error {
        summary.push(Line::styled(
            format!("error: {}", explain(row.status, error)),
            theme::BAD,
        ));
    }
    let summary_height = u16::try_from(summary.len()).unwrap_or(4);
    let [top, tabs, body] = Layout::vertical([
        Constraint::Length(summary_height),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(summary).wrap(Wrap { trim: true }), top);
    let mut spans = Vec::new();
    for tab in DetailTab::ALL {
        let style = if tab == detail.tab {
            theme::TAB_ACTIVE
        } else {
            theme::DIM
        };
        spans.push(Span::styled(format!(" {} ", tab.title()), style));
    }
    if detail.dry_run.is_some() {
        // The stage tabs give way to the dry run until one is chosen again.
        spans = vec![
            Span::styled(" Dry run ", theme::TAB_ACTIVE),
            Span::styled(" translate only, nothing sent · ← → stage tabs", theme::DIM),
        ];
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), tabs);
    let text = match (&detail.dry_run, detail.tab) {
        (Some(None), _) => Text::styled("translating (nothing is sent)…", theme::DIM),
        (Some(Some(dry_run)), _) => Text::raw(dry_run.clone()),
        (None, tab) => tab_text(row, state, detail, tab),
    };
    frame.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: false })
            .scroll((detail.scroll, 0))
            .block(Block::default().borders(Borders::TOP)),
        body,
    );
}

fn tab_text(row: &Row, state: &AppState, detail: &DetailState, tab: DetailTab) -> Text<'static> {
    match tab {
        DetailTab::Live => live_text(row, state.transcripts.get(&row.id)),
        DetailTab::Stage(wanted) => match &detail.stages {
            None if !state.server.history => {
                Text::styled("no history store: bodies are not kept", theme::DIM)
            }
            None => Text::styled("loading…", theme::DIM),
            Some(stages) => {
                let bodies: Vec<_> = stages.iter().filter(|s| s.stage == wanted).collect();
                if bodies.is_empty() {
                    Text::styled(
                        if row.in_flight() {
                            "not stored yet (the request is still running)"
                        } else {
                            "not captured (capture mode, or the stage never happened)"
                        },
                        theme::DIM,
                    )
                } else {
                    let mut text = Text::default();
                    for (n, body) in bodies.iter().enumerate() {
                        if bodies.len() > 1 {
                            text.push_line(Line::styled(
                                format!("── attempt {} ──", n + 1),
                                theme::DIM,
                            ));
                        }
                        text.extend(Text::raw(body.body.clone()));
                        if body.truncated {
                            text.push_line(Line::styled(
                                "… (cut at the capture limit)",
                                theme::WARN,
                            ));
                        }
                    }
                    text
                }
            }
        },
    }
}

fn summary_lines(row: &Row, state: &AppState) -> Vec<Line<'static>> {
    let routed = row.model_routed.clone().unwrap_or_else(|| "-".into());
    let mut first = vec![
        Span::styled(format!("{} ", short_id(row.id)), theme::DIM),
        Span::raw(format!("{} {} ", widgets::clock(row.at, state), row.path)),
        Span::styled(status_text(row), theme::status(row.status)),
    ];
    if let Some(parent) = row.replay_of {
        first.push(Span::styled(
            format!("  replay of {}", short_id(parent)),
            theme::KEY,
        ));
    }
    vec![
        Line::from(first),
        Line::raw(format!(
            "model {} → {routed}  account {}  attempts {}",
            row.model,
            row.account.as_deref().map_or_else(
                || "-".to_owned(),
                |id| match state.account_label(id) {
                    label if label == id => id.to_owned(),
                    email => format!("{email} ({id})"),
                }
            ),
            row.attempts
        )),
        Line::raw(format!(
            "ttft {}  duration {}  tokens {} in / {} out  {}",
            widgets::millis(row.ttft_ms),
            widgets::millis(row.duration_ms),
            row.input_tokens,
            row.output_tokens,
            if row.stream {
                "streaming"
            } else {
                "not streaming"
            }
        )),
    ]
}

/// The completion as it arrived: thinking, text, tool calls.
fn live_text(row: &Row, transcript: Option<&Transcript>) -> Text<'static> {
    let Some(t) = transcript else {
        return Text::styled(
            if row.in_flight() {
                "waiting for the first token…"
            } else {
                "nothing streamed was seen by this console (see Client response)"
            },
            theme::DIM,
        );
    };
    let mut text = Text::default();
    if !t.thinking.is_empty() {
        text.push_line(Line::styled("thinking:", theme::THINKING));
        for line in t.thinking.lines() {
            text.push_line(Line::styled(line.to_owned(), theme::THINKING));
        }
        text.push_line(Line::raw(""));
    }
    text.extend(Text::raw(t.text.clone()));
    if row.in_flight() {
        text.push_span(Span::styled(" ▌", theme::LIVE));
    }
    for tool in &t.tools {
        text.push_line(Line::styled(format!("⚙ tool call: {tool}"), theme::KEY));
    }
    text
}

/// An upstream error in words a user can act on.
pub fn explain(status: Option<u16>, error: &str) -> String {
    let lower = error.to_lowercase();
    let hint = if status == Some(429) || lower.contains("quota") || lower.contains("rate") {
        "quota or rate limit: the account cools down until the upstream's reset time (Accounts tab shows when)"
    } else if lower.contains("signature") {
        "thinking signature rejected: the history carries a thinking block the upstream did not sign for this model"
    } else if lower.contains("schema")
        || lower.contains("keyword")
        || lower.contains("invalid json payload")
    {
        "a tool's JSON schema uses something the upstream refuses; the path names the tool and keyword"
    } else if status == Some(401) || lower.contains("login") {
        "the account's login is no longer valid: log in again (Accounts tab)"
    } else if status == Some(403) {
        "the upstream refused this account (the account may be quarantined)"
    } else if status.is_some_and(|s| s >= 500) {
        "the upstream failed; the request may succeed on retry or on another account"
    } else {
        return error.to_owned();
    };
    format!("{error} — {hint}")
}

pub fn render_compare(frame: &mut Frame, area: Rect, state: &AppState, a: RequestId, b: RequestId) {
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
    for (id, column) in [(a, left), (b, right)] {
        let mut text = Text::default();
        if let Some(row) = state.requests.list.get(id) {
            for line in summary_lines(row, state) {
                text.push_line(line);
            }
            text.push_line(Line::raw(""));
            text.extend(live_text(row, state.transcripts.get(&id)));
        }
        frame.render_widget(
            Paragraph::new(text).wrap(Wrap { trim: false }).block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(format!(" {} · Esc closes ", short_id(id))),
            ),
            column,
        );
    }
}
