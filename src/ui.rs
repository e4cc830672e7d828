//! Pure rendering: `render(frame, &AppState)` draws the header, the tab bar, the tab in front,
//! the footer (keys that work here, or the open text field) and any popup. No I/O, no locks.

mod accounts;
mod dashboard;
mod detail;
mod logs;
mod models;
mod requests;
mod routing;
pub mod theme;
pub mod widgets;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::keymap;
use crate::app::state::{AppState, Confirm, FieldPurpose, Overlay, Tab};

pub fn render(frame: &mut Frame, state: &AppState) {
    let [header, tabs, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    render_header(frame, header, state);
    render_tabs(frame, tabs, state);
    match state.tab {
        Tab::Dashboard => dashboard::render(frame, body, state),
        Tab::Requests => requests::render(frame, body, state),
        Tab::Models => models::render(frame, body, state),
        Tab::Accounts => accounts::render(frame, body, state),
        Tab::Routing => routing::render(frame, body, state),
        Tab::Logs => logs::render(frame, body, state),
    }
    render_footer(frame, footer, body, state);
    match &state.overlay {
        Overlay::Help => widgets::render_help(frame, body, state),
        Overlay::Confirm(Confirm::RemoveAccount { email, .. }) => {
            widgets::render_confirm(frame, body, &format!("Remove account {email}?"));
        }
        Overlay::Confirm(Confirm::DeleteFlow { name }) => {
            widgets::render_confirm(frame, body, &format!("Delete flow {name}?"));
        }
        Overlay::None | Overlay::Field(_) => {}
    }
}

fn render_header(frame: &mut Frame, area: Rect, state: &AppState) {
    let (server, style) = match (&state.server.stopped, state.server.listen) {
        (Some(reason), _) => (format!("■ stopped ({reason})"), theme::BAD),
        (None, Some(addr)) => (format!("● {addr}"), theme::OK),
        (None, None) => ("○ starting".to_owned(), theme::WARN),
    };
    let usable = state
        .accounts
        .iter()
        .filter(|a| a.status == "ok" || a.status == "cooling")
        .count();
    let cooling = state
        .accounts
        .iter()
        .filter(|a| a.status == "cooling")
        .count();
    let traffic = &state.stats;
    let mut spans = vec![
        Span::styled(" anti-api-tui ", theme::TITLE),
        Span::styled(server, style),
    ];
    if state.server.demo {
        spans.push(Span::styled(" [demo]", theme::WARN));
    }
    spans.extend([
        Span::raw(format!("  acct {usable} usable")),
        Span::styled(
            format!(" {cooling} cooling"),
            if cooling > 0 { theme::WARN } else { theme::DIM },
        ),
        Span::raw(format!(
            "  {:.1} req/s  {} live  tok {}↑ {}↓",
            traffic.rate(state.now),
            traffic.in_flight,
            widgets::count(traffic.input_tokens),
            widgets::count(traffic.output_tokens)
        )),
    ]);
    if state.server.dropped_events > 0 {
        spans.push(Span::styled(
            format!("  {} events dropped", state.server.dropped_events),
            theme::BAD,
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn render_tabs(frame: &mut Frame, area: Rect, state: &AppState) {
    let mut spans = Vec::new();
    for (n, tab) in Tab::ALL.iter().enumerate() {
        let style = if *tab == state.tab {
            theme::TAB_ACTIVE
        } else {
            theme::DIM
        };
        spans.push(Span::styled(format!(" {} {} ", n + 1, tab.title()), style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn render_footer(frame: &mut Frame, area: Rect, body: Rect, state: &AppState) {
    if let Overlay::Field(field) = &state.overlay {
        let prompt = match &field.purpose {
            FieldPurpose::Command => ":".to_owned(),
            FieldPurpose::Search => "/".to_owned(),
            FieldPurpose::LogSearch => "search logs: ".to_owned(),
            FieldPurpose::TestPrompt { model } => format!("prompt for {model}: "),
            FieldPurpose::WhatIf => "what-if model or flow: ".to_owned(),
            FieldPurpose::NewFlow => "new flow name: ".to_owned(),
            FieldPurpose::NewEntry { flow } => format!("add to {flow} (MODEL [ACCOUNT]): "),
            FieldPurpose::LoginPaste => "paste the code or redirect URL: ".to_owned(),
        };
        let width = usize::from(area.width).saturating_sub(prompt.chars().count() + 1);
        let scroll = field.input.visual_scroll(width);
        let line = Line::from(vec![
            Span::styled(prompt.clone(), theme::KEY),
            Span::raw(field.input.value().chars().skip(scroll).collect::<String>()),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        let cursor = u16::try_from(
            prompt.chars().count() + field.input.visual_cursor().saturating_sub(scroll),
        )
        .unwrap_or(0);
        frame.set_cursor_position(Position::new(area.x + cursor.min(area.width), area.y));
        if !field.completions.is_empty() && body.height > 0 {
            let above = Rect {
                y: body.bottom() - 1,
                height: 1,
                ..body
            };
            let text = field.completions.join("  ");
            frame.render_widget(
                Paragraph::new(Line::styled(format!(" ⇥ {text}"), theme::DIM))
                    .style(theme::SELECTED),
                above,
            );
        }
        return;
    }
    let line = if let Some(notice) = &state.notice {
        Line::from(vec![
            Span::styled(format!(" {notice}  "), theme::WARN),
            Span::styled("? help", theme::DIM),
        ])
    } else {
        let mut line = widgets::hints(keymap::bindings(state));
        line.spans.insert(0, Span::raw(" "));
        line.spans
            .push(Span::styled(" · ? help · : command", theme::DIM));
        line
    };
    frame.render_widget(Paragraph::new(line), area);
}
