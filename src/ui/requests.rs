//! The Requests tab: the live list (only the rows on screen are built, so 100,000 rows cost the
//! same as 30), with its status line; or the detail / comparison of the selected request.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row as TableRow, Table};

use super::{detail, theme, widgets};
use crate::app::rows::Row;
use crate::app::state::AppState;
use crate::events::Outcome;

pub fn render(frame: &mut Frame, area: Rect, state: &AppState) {
    if let Some((a, b)) = state.requests.compare {
        return detail::render_compare(frame, area, state, a, b);
    }
    if let Some(open) = &state.requests.detail {
        return detail::render(frame, area, state, open);
    }
    let [list, status] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    render_list(frame, list, state);
    render_status(frame, status, state);
}

/// The status word of a row: always text, so it reads without colour.
pub fn status_text(row: &Row) -> String {
    match (row.outcome, row.status) {
        (None, _) => "live".into(),
        (Some(Outcome::ClientGone), _) => "gone".into(),
        (_, Some(s)) if s == 429 || s >= 500 => format!("{s}!"),
        (_, Some(s)) => s.to_string(),
        (_, None) => "?".into(),
    }
}

fn render_list(frame: &mut Frame, area: Rect, state: &AppState) {
    let wide = area.width >= 110;
    let mut widths = vec![
        Constraint::Length(8),
        Constraint::Length(3),
        Constraint::Fill(1),
    ];
    if wide {
        widths.push(Constraint::Length(16));
    }
    widths.extend([
        Constraint::Length(5),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(11),
        Constraint::Length(1),
    ]);
    let mut header = vec!["time", "api", "model → routed"];
    if wide {
        header.push("account");
    }
    header.extend(["stat", "ttft", "dur", "tok in/out", "s"]);
    let height = usize::from(area.height.saturating_sub(1));
    let requests = &state.requests;
    let rows = requests
        .list
        .window(requests.offset, height)
        .enumerate()
        .map(|(n, row)| {
            let selected = requests.offset + n == requests.selected;
            table_row(row, state, wide, selected)
        });
    let table = Table::new(rows, widths)
        .header(TableRow::new(header).style(theme::HEADER))
        .column_spacing(1);
    frame.render_widget(table, area);
    if requests.list.view_len() == 0 {
        let hint = if requests.list.is_empty() {
            "no requests yet — point a client at the address above (or run with --demo)"
        } else {
            "no request matches the filter (`:filter` with nothing clears it)"
        };
        let [_, msg] = Layout::vertical([Constraint::Length(2), Constraint::Length(1)]).areas(area);
        frame.render_widget(
            Paragraph::new(Line::styled(format!("  {hint}"), theme::DIM)),
            msg,
        );
    }
}

fn table_row<'a>(row: &Row, state: &AppState, wide: bool, selected: bool) -> TableRow<'a> {
    let model = match &row.model_routed {
        Some(routed) if *routed != row.model => format!("{} → {routed}", row.model),
        _ => row.model.clone(),
    };
    let marker = if row.replay_of.is_some() { "↻ " } else { "" };
    let mut cells = vec![
        Cell::from(widgets::clock(row.at, state)),
        Cell::from(row.api.short_label()),
        Cell::from(format!("{marker}{model}")),
    ];
    if wide {
        cells.push(Cell::from(
            row.account
                .as_deref()
                .map_or("-", |id| state.account_label(id))
                .to_owned(),
        ));
    }
    let tokens = if row.input_tokens + row.output_tokens == 0 {
        "-".to_owned()
    } else {
        format!(
            "{}/{}",
            widgets::count(row.input_tokens),
            widgets::count(row.output_tokens)
        )
    };
    cells.extend([
        Cell::from(Span::styled(status_text(row), theme::status(row.status))),
        Cell::from(widgets::millis(row.ttft_ms)),
        Cell::from(widgets::millis(row.duration_ms)),
        Cell::from(tokens),
        Cell::from(if row.stream { "s" } else { " " }),
    ]);
    let mut style = Style::default();
    if row.is_alarming() {
        style = theme::BAD;
    }
    if selected {
        style = style.patch(theme::SELECTED);
    }
    TableRow::new(cells).style(style)
}

fn render_status(frame: &mut Frame, area: Rect, state: &AppState) {
    let requests = &state.requests;
    let list = &requests.list;
    let mut spans = vec![Span::styled(
        format!(
            " {}/{} ",
            if list.view_len() == 0 {
                0
            } else {
                requests.selected + 1
            },
            list.view_len()
        ),
        theme::DIM,
    )];
    if list.view_len() != list.len() {
        spans.push(Span::raw(format!("of {} ", list.len())));
    }
    if list.paused {
        spans.push(Span::styled(
            format!("[PAUSED +{} new] ", list.arrived_while_paused),
            theme::WARN,
        ));
    } else if requests.follow {
        spans.push(Span::styled("[follow] ", theme::OK));
    }
    if !requests.filter_text.is_empty() {
        spans.push(Span::styled(
            format!("filter: {} ", requests.filter_text),
            theme::KEY,
        ));
    }
    if !requests.search_text.is_empty() {
        spans.push(Span::styled(
            format!("search: {} ", requests.search_text),
            theme::DIM,
        ));
    }
    if let Some(mark) = requests.compare_mark {
        spans.push(Span::styled(
            format!("compare mark: {} ", crate::app::effect::short_id(mark)),
            theme::DIM,
        ));
    }
    if !state.server.history {
        spans.push(Span::styled("(no history store: live only)", theme::DIM));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
