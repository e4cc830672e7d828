//! Small pieces the tabs share: number and time formatting, centred popups, the key-hint line
//! and the help overlay.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::theme;
use crate::app::keymap::{self, Binding};
use crate::app::state::AppState;

/// `1.2s`, `340ms`, `-`.
pub fn millis(ms: Option<u64>) -> String {
    match ms {
        None => "-".into(),
        Some(ms) if ms < 1_000 => format!("{ms}ms"),
        #[allow(clippy::cast_precision_loss)]
        Some(ms) if ms < 60_000 => format!("{:.1}s", ms as f64 / 1000.0),
        Some(ms) => format!("{}m{:02}s", ms / 60_000, (ms / 1000) % 60),
    }
}

/// `12`, `3.4k`, `1.2M`.
pub fn count(n: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let f = n as f64;
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.1}k", f / 1e3),
        _ => format!("{:.1}M", f / 1e6),
    }
}

/// Time left until `until`: `4m05s`, `2h10m`, `now`.
pub fn countdown(until: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (until - now).num_seconds();
    match secs {
        ..=0 => "now".into(),
        1..3600 => format!("{}m{:02}s", secs / 60, secs % 60),
        _ => format!("{}h{:02}m", secs / 3600, (secs / 60) % 60),
    }
}

/// `HH:MM:SS` in the console's offset.
pub fn clock(at: DateTime<Utc>, state: &AppState) -> String {
    at.with_timezone(&state.utc_offset)
        .format("%H:%M:%S")
        .to_string()
}

/// Cuts `text` to `width` characters with an ellipsis.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A rectangle of `width`×`height` centred in `area` (clamped to it).
pub fn centred(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    let [row] = Layout::vertical([Constraint::Length(height)])
        .flex(ratatui::layout::Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width)])
        .flex(ratatui::layout::Flex::Center)
        .areas(row);
    cell
}

/// `key what · key what …` for the footer.
pub fn hints(bindings: &[Binding]) -> Line<'static> {
    let mut spans = Vec::new();
    for (n, b) in bindings.iter().enumerate() {
        if n > 0 {
            spans.push(Span::styled(" · ", theme::DIM));
        }
        spans.push(Span::styled(b.keys, theme::KEY));
        spans.push(Span::raw(format!(" {}", b.what)));
    }
    Line::from(spans)
}

/// `?`: the keys of the current screen, then the global ones and the commands.
pub fn render_help(frame: &mut Frame, area: Rect, state: &AppState) {
    let mut lines = vec![Line::styled(
        format!("{} — keys", state.tab.title()),
        theme::TITLE,
    )];
    let row = |b: &Binding| {
        Line::from(vec![
            Span::styled(format!("{:>18}  ", b.keys), theme::KEY),
            Span::raw(b.what),
        ])
    };
    lines.extend(keymap::bindings(state).iter().map(row));
    lines.push(Line::raw(""));
    lines.push(Line::styled("Everywhere", theme::TITLE));
    lines.extend(keymap::GLOBAL.iter().map(row));
    lines.push(Line::raw(""));
    lines.push(Line::styled("Commands (:)", theme::TITLE));
    for (name, what) in crate::app::command_line::COMMANDS.iter().take(11) {
        lines.push(Line::from(vec![
            Span::styled(format!("{name:>18}  "), theme::KEY),
            Span::raw(*what),
        ]));
    }
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let popup = centred(area, 90, height);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .title(" help · any key closes "),
        ),
        popup,
    );
}

/// A one-line question in a box.
pub fn render_confirm(frame: &mut Frame, area: Rect, question: &str) {
    let popup = centred(area, u16::try_from(question.len() + 6).unwrap_or(60), 3);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(Line::from(vec![Span::styled(
            question.to_owned(),
            theme::WARN,
        )]))
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(" confirm: y / n "),
        ),
        popup,
    );
}
