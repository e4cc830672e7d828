//! The Routing tab: flows on the left, the selected flow's entries on the right (editable, saved
//! to config.toml), and the what-if: where a model or flow name goes right now, with the
//! accounts that would be skipped and why.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::theme;
use crate::app::state::AppState;

pub fn render(frame: &mut Frame, area: Rect, state: &AppState) {
    let routing = &state.routing;
    let [top, what_if] = Layout::vertical([Constraint::Fill(1), Constraint::Fill(1)]).areas(area);
    let [flows_area, entries_area] =
        Layout::horizontal([Constraint::Percentage(35), Constraint::Percentage(65)]).areas(top);
    let flows: Vec<Line> = routing
        .flows
        .iter()
        .enumerate()
        .map(|(n, f)| {
            let builtin = routing.builtin.contains(&f.name);
            let line = Line::from(vec![
                Span::raw(format!("{} ", f.name)),
                Span::styled(if builtin { "(built in)" } else { "" }, theme::DIM),
            ]);
            if n == routing.flow && !routing.in_entries {
                line.style(theme::SELECTED)
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(
        Paragraph::new(flows).block(Block::default().borders(Borders::ALL).title(" flows ")),
        flows_area,
    );
    let entries: Vec<Line> = routing
        .flows
        .get(routing.flow)
        .map(|f| {
            f.entries
                .iter()
                .enumerate()
                .map(|(n, e)| {
                    let text = format!(
                        "{}. {}{}",
                        n + 1,
                        e.model,
                        e.account
                            .as_deref()
                            .map(|a| format!("  @{a}"))
                            .unwrap_or_default()
                    );
                    let line = Line::raw(text);
                    if routing.in_entries && n == routing.entry {
                        line.style(theme::SELECTED)
                    } else {
                        line
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    frame.render_widget(
        Paragraph::new(entries).block(
            Block::default()
                .borders(Borders::ALL)
                .title(" entries, tried in order · a add · d delete · K/J move "),
        ),
        entries_area,
    );
    let lines: Vec<Line> = match &routing.what_if {
        Some((name, answer)) => std::iter::once(Line::styled(format!("{name}:"), theme::TITLE))
            .chain(answer.iter().map(|l| {
                let style = if l.trim_start().starts_with("skip") {
                    theme::WARN
                } else {
                    ratatui::style::Style::default()
                };
                Line::styled(l.clone(), style)
            }))
            .collect(),
        None => vec![Line::styled(
            "press w (or :route NAME) to see where a name goes now",
            theme::DIM,
        )],
    };
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" what-if ")),
        what_if,
    );
}
