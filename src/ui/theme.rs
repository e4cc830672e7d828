//! The console's styles in one place. Every status is also written as text, so nothing depends
//! on colour alone (`NO_COLOR` terminals, colour-blind users).

use ratatui::style::{Color, Modifier, Style};

pub const TITLE: Style = Style::new().add_modifier(Modifier::BOLD);
pub const DIM: Style = Style::new().fg(Color::DarkGray);
pub const KEY: Style = Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD);
pub const SELECTED: Style = Style::new().add_modifier(Modifier::REVERSED);
pub const TAB_ACTIVE: Style = Style::new()
    .fg(Color::Yellow)
    .add_modifier(Modifier::BOLD)
    .add_modifier(Modifier::UNDERLINED);
pub const OK: Style = Style::new().fg(Color::Green);
pub const WARN: Style = Style::new().fg(Color::Yellow);
pub const BAD: Style = Style::new().fg(Color::Red).add_modifier(Modifier::BOLD);
pub const LIVE: Style = Style::new().fg(Color::Cyan);
pub const THINKING: Style = Style::new()
    .fg(Color::Magenta)
    .add_modifier(Modifier::ITALIC);
pub const HEADER: Style = Style::new()
    .add_modifier(Modifier::BOLD)
    .add_modifier(Modifier::UNDERLINED);

/// The style of an HTTP status (`None` = in flight).
pub fn status(status: Option<u16>) -> Style {
    match status {
        None => LIVE,
        Some(s) if s == 429 || s >= 500 => BAD,
        Some(s) if s >= 400 => WARN,
        Some(_) => OK,
    }
}

/// The style of an account status word.
pub fn account_status(status: &str) -> Style {
    match status {
        "ok" => OK,
        "cooling" => WARN,
        "disabled" => DIM,
        _ => BAD,
    }
}
