//! The Logs tab: the application's tracing output (also in the rolling log file), filtered by
//! level and search text, newest at the bottom.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::{theme, widgets};
use crate::app::state::{AppState, LogLevel};

fn level_of(level: tracing::Level) -> LogLevel {
    match level {
        tracing::Level::ERROR => LogLevel::Error,
        tracing::Level::WARN => LogLevel::Warn,
        tracing::Level::INFO => LogLevel::Info,
        tracing::Level::DEBUG => LogLevel::Debug,
        tracing::Level::TRACE => LogLevel::Trace,
    }
}

pub fn render(frame: &mut Frame, area: Rect, state: &AppState) {
    let logs = &state.logs;
    let search = logs.search.to_lowercase();
    let height = usize::from(area.height.saturating_sub(2));
    let matching: Vec<_> = logs
        .lines
        .iter()
        .filter(|l| level_of(l.level) <= logs.level)
        .filter(|l| search.is_empty() || l.message.to_lowercase().contains(&search))
        .collect();
    let end = matching
        .len()
        .saturating_sub(logs.scroll.min(matching.len()));
    let start = end.saturating_sub(height);
    let lines: Vec<Line> = matching[start..end]
        .iter()
        .map(|l| {
            let style = match l.level {
                tracing::Level::ERROR => theme::BAD,
                tracing::Level::WARN => theme::WARN,
                _ => ratatui::style::Style::default(),
            };
            Line::from(vec![
                Span::styled(format!("{} ", widgets::clock(l.at, state)), theme::DIM),
                Span::styled(format!("{:<5} ", l.level), style),
                Span::raw(l.message.clone()),
            ])
        })
        .collect();
    let title = format!(
        " logs · level ≤ {:?} (l) · {} lines{} ",
        logs.level,
        matching.len(),
        if search.is_empty() {
            String::new()
        } else {
            format!(" matching {:?}", logs.search)
        }
    );
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::TOP).title(title)),
        area,
    );
}
