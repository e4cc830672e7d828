//! The Dashboard: server status, request rate, latency and error sparklines, accounts with
//! their quota per model family (lowest remaining, reset countdown) and cooldowns, and quota errors as they happen.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Sparkline};

use super::{theme, widgets};
use crate::app::state::{AppState, QuotaView};
use crate::app::stats::mean_latency;

pub fn render(frame: &mut Frame, area: Rect, state: &AppState) {
    let [graphs, lower] = Layout::vertical([Constraint::Length(9), Constraint::Min(3)]).areas(area);
    render_graphs(frame, graphs, state);
    let [accounts, alerts] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(lower);
    render_accounts(frame, accounts, state);
    render_alerts(frame, alerts, state);
}

fn render_graphs(frame: &mut Frame, area: Rect, state: &AppState) {
    let traffic = &state.stats;
    let [server_area, rate, latency] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(3),
        Constraint::Length(3),
    ])
    .areas(area);
    let server = match (&state.server.stopped, state.server.listen) {
        (Some(reason), _) => Span::styled(format!("stopped: {reason}"), theme::BAD),
        (None, Some(addr)) => Span::styled(format!("serving on http://{addr}"), theme::OK),
        (None, None) => Span::styled("starting", theme::WARN),
    };
    let error_rate = traffic.error_rate(state.now);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            server,
            Span::raw(format!(
                "   {} requests, {} failed · errors last minute {:.0}% · {} live",
                traffic.total_requests, traffic.total_errors, error_rate, traffic.in_flight
            )),
        ]))
        .block(Block::default().borders(Borders::ALL).title(" server ")),
        server_area,
    );
    let width = usize::from(area.width.saturating_sub(2)).max(1);
    let requests = traffic.series(state.now, width.min(120), |b| b.requests);
    frame.render_widget(
        Sparkline::default().data(&requests).style(theme::OK).block(
            Block::default()
                .borders(Borders::ALL)
                .title(format!(" requests/s (now {:.1}) ", traffic.rate(state.now))),
        ),
        rate,
    );
    let latencies = traffic.series(state.now, width.min(120), mean_latency);
    let last = latencies.iter().rev().find(|&&l| l > 0).copied();
    frame.render_widget(
        Sparkline::default()
            .data(&latencies)
            .style(theme::LIVE)
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(format!(" mean latency (last {}) ", widgets::millis(last))),
            ),
        latency,
    );
}

/// One quota gauge: `   claude  ██████░░  75% resets in 1h16m`.
fn quota_line(
    family: &str,
    quota: &QuotaView,
    bar_width: usize,
    state: &AppState,
) -> Line<'static> {
    let pct = quota.remaining_pct.min(100);
    let filled = (usize::from(pct) * bar_width).div_ceil(100);
    let style = match pct {
        0 => theme::BAD,
        1..20 => theme::WARN,
        _ => theme::OK,
    };
    let mut spans = vec![
        Span::raw(format!("   {family:<8}")),
        Span::styled("█".repeat(filled), style),
        Span::styled("░".repeat(bar_width - filled), theme::DIM),
        Span::styled(format!(" {pct:>3}%"), style),
    ];
    if let Some(reset) = quota.reset.filter(|r| *r > state.now) {
        spans.push(Span::styled(
            format!(" resets in {}", widgets::countdown(reset, state.now)),
            theme::DIM,
        ));
    }
    Line::from(spans)
}

fn render_accounts(frame: &mut Frame, area: Rect, state: &AppState) {
    // Indent and family (11), percentage (5), " resets in 1h16m" (16): the bar gets the rest.
    let bar_width = usize::from(area.width.saturating_sub(2))
        .saturating_sub(32)
        .clamp(4, 20);
    let mut lines = Vec::new();
    if state.accounts.is_empty() {
        lines.push(Line::styled(
            "no account: press 4, then a to log in",
            theme::WARN,
        ));
    }
    for account in &state.accounts {
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:<11}", account.status),
                theme::account_status(&account.status),
            ),
            Span::raw(widgets::fit(&account.email, 28)),
        ]));
        if let Some(detail) = &account.detail {
            lines.push(Line::styled(
                format!("   {}", widgets::fit(detail, 60)),
                theme::DIM,
            ));
        }
        let gauges = account.family_quota();
        if gauges.is_empty() {
            lines.push(Line::styled("   quota not reported yet", theme::DIM));
        }
        for (family, quota) in gauges {
            lines.push(quota_line(family, quota, bar_width, state));
        }
        for cooldown in &account.cooldowns {
            lines.push(Line::from(vec![
                Span::raw(format!("   {} ", cooldown.model)),
                Span::styled(
                    format!(
                        "resets in {}",
                        widgets::countdown(cooldown.until, state.now)
                    ),
                    theme::WARN,
                ),
                Span::styled(format!(" ({})", cooldown.reason), theme::DIM),
            ]));
        }
    }
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(" accounts · quota · cooldowns "),
        ),
        area,
    );
}

fn render_alerts(frame: &mut Frame, area: Rect, state: &AppState) {
    let mut lines = Vec::new();
    if state.alerts.is_empty() {
        lines.push(Line::styled("no quota or rate-limit errors", theme::DIM));
    }
    for alert in &state.alerts {
        let until = alert
            .until
            .map(|u| {
                format!(
                    " until {} ({})",
                    widgets::clock(u, state),
                    widgets::countdown(u, state.now)
                )
            })
            .unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", widgets::clock(alert.at, state)), theme::DIM),
            Span::styled(format!("{} ", alert.model), theme::BAD),
            Span::raw(format!("{}{until}", alert.account)),
        ]));
        lines.push(Line::styled(
            format!("   {}", widgets::fit(&alert.reason, 70)),
            theme::DIM,
        ));
    }
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(" quota errors "),
        ),
        area,
    );
}
