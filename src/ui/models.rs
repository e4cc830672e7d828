//! The Models tab: the live catalogue (id, name, family, thinking, images, max output) and the
//! accounts' cooldowns for the selected model; Enter sends a test prompt through the proxy.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table};

use super::{theme, widgets};
use crate::app::state::AppState;

pub fn render(frame: &mut Frame, area: Rect, state: &AppState) {
    let [table_area, info] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(4)]).areas(area);
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
