//! The Models tab: the live catalogue (id, name, family, thinking, images, max output) and the
//! accounts' cooldowns and remaining quota (with reset) for the selected model; Enter sends a test prompt through the proxy.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table};

use super::{theme, widgets};
use crate::app::state::AppState;

/// The info panel: a border, the usable line, one quota line per account (at most 6), a hint.
fn quota_height(state: &AppState) -> u16 {
    4 + u16::try_from(state.accounts.len().min(6)).unwrap_or(6)
}

pub fn render(frame: &mut Frame, area: Rect, state: &AppState) {
    let [table_area, info] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(quota_height(state))]).areas(area);
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let rows = state.models.iter().enumerate().map(|(n, m)| {
        let row = Row::new(vec![
            m.id.clone(),
            m.display_name.clone(),
            m.family.clone(),
            yes_no(m.thinking).to_owned(),
            yes_no(m.images).to_owned(),
            widgets::count(u64::from(m.max_output)),
        ]);
        if n == state.model_selected {
            row.style(theme::SELECTED)
        } else {
            row
        }
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(26),
            Constraint::Fill(1),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(6),
            Constraint::Length(7),
        ],
    )
    .header(
        Row::new(["id", "name", "family", "thinking", "images", "max out"]).style(theme::HEADER),
    );
    frame.render_widget(table, table_area);
    let mut lines = Vec::new();
    if let Some(model) = state.models.get(state.model_selected) {
        let cooling: Vec<String> = state
            .accounts
            .iter()
            .flat_map(|a| {
                a.cooldowns.iter().filter(|c| c.model == model.id).map(|c| {
                    format!(
                        "{} resets in {}",
                        a.email,
                        widgets::countdown(c.until, state.now)
                    )
                })
            })
            .collect();
        lines.push(Line::raw(format!(
            "{}: {} of {} accounts usable now{}",
            model.id,
            state
                .accounts
                .iter()
                .filter(|a| a.status == "ok" || a.status == "cooling")
                .count()
                - cooling.len().min(state.accounts.len()),
            state.accounts.len(),
            if cooling.is_empty() {
                String::new()
            } else {
                format!(" · {}", cooling.join(", "))
            }
        )));
        for account in &state.accounts {
            let quota = match account.quota_for(&model.upstream) {
                Some(q) => {
                    let reset = q
                        .reset
                        .filter(|r| *r > state.now)
                        .map(|r| format!(", resets in {}", widgets::countdown(r, state.now)))
                        .unwrap_or_default();
                    let style = match q.remaining_pct {
                        0 => theme::BAD,
                        1..20 => theme::WARN,
                        _ => theme::OK,
                    };
                    Span::styled(format!("{:>3}% left{reset}", q.remaining_pct), style)
                }
                None => Span::styled("quota not reported", theme::DIM),
            };
            lines.push(Line::from(vec![
                Span::raw(format!("  {} ", widgets::fit(&account.email, 28))),
                quota,
            ]));
        }
        lines.push(Line::styled(
            "Enter: send a test prompt through the proxy (it shows in Requests)",
            theme::DIM,
        ));
    }
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::TOP)),
        info,
    );
}
