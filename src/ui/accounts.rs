//! The Accounts tab: each account's status in words (ok, cooling until …, needs login,
//! quarantined with the upstream's message, disabled), email, project and tier; and the login
//! prompt (URL, code, QR, countdown) while an account is being added.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table, Wrap};

use super::{theme, widgets};
use crate::app::state::{AccountView, AppState, LoginState};

pub fn render(frame: &mut Frame, area: Rect, state: &AppState) {
    let (list, login) = match &state.login {
        Some(login) => {
            let [list, panel] =
                Layout::vertical([Constraint::Length(6), Constraint::Min(6)]).areas(area);
            (list, Some((panel, login)))
        }
        None => (area, None),
    };
    let rows = state.accounts.iter().enumerate().map(|(n, a)| {
        let row = Row::new(vec![
            Span::styled(status_words(a, state), theme::account_status(&a.status)),
            Span::raw(a.email.clone()),
            Span::raw(a.project.clone().unwrap_or_else(|| "-".into())),
            Span::raw(a.tier.clone().unwrap_or_else(|| "-".into())),
        ]);
        if n == state.account_selected {
            row.style(theme::SELECTED)
        } else {
            row
        }
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(24),
            Constraint::Fill(2),
            Constraint::Fill(1),
            Constraint::Length(10),
        ],
    )
    .header(Row::new(["status", "email", "project", "tier"]).style(theme::HEADER));
    frame.render_widget(table, list);
    if state.accounts.is_empty() && login.is_none() {
        let [_, hint] =
            Layout::vertical([Constraint::Length(2), Constraint::Length(2)]).areas(list);
        frame.render_widget(
            Paragraph::new("  no accounts yet: press a to log in with Google").style(theme::WARN),
            hint,
        );
    }
    if let Some(a) = state.accounts.get(state.account_selected)
        && let Some(detail) = &a.detail
    {
        let [_, msg] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(list);
        frame.render_widget(
            Paragraph::new(Line::styled(format!(" {detail}"), theme::DIM)),
            msg,
        );
    }
    if let Some((panel, login)) = login {
        render_login(frame, panel, login, state);
    }
}

/// `ok`, `cooling 3m05s (2 models)`, `needs login`, `quarantined`, `disabled`.
fn status_words(account: &AccountView, state: &AppState) -> String {
    match account.status.as_str() {
        "cooling" => {
            let soonest = account.cooldowns.iter().map(|c| c.until).min();
            match soonest {
                Some(until) => format!(
                    "cooling {} ({} model{})",
                    widgets::countdown(until, state.now),
                    account.cooldowns.len(),
                    if account.cooldowns.len() == 1 {
                        ""
                    } else {
                        "s"
                    }
                ),
                None => "cooling".into(),
            }
        }
        "needs_login" => "needs login".into(),
        other => other.to_owned(),
    }
}

fn render_login(frame: &mut Frame, area: Rect, login: &LoginState, state: &AppState) {
    let mut text = Text::default();
    text.push_line(Line::styled(login.status.clone(), theme::TITLE));
    if let Some(prompt) = &login.prompt {
        text.push_line(Line::from(vec![
            Span::raw("open: "),
            Span::styled(prompt.url.clone(), theme::KEY),
        ]));
        if let Some(local) = &prompt.local_url {
            text.push_line(Line::raw(format!("or on this machine: {local}")));
        }
        if let Some(code) = &prompt.user_code {
            text.push_line(Line::from(vec![
                Span::raw("code: "),
                Span::styled(code.clone(), theme::TITLE),
            ]));
        }
        let remaining = login.remaining_secs.map_or_else(
            || widgets::countdown(prompt.expires_at, state.now),
            |s| format!("{}m{:02}s", s / 60, s % 60),
        );
        text.push_line(Line::styled(format!("expires in {remaining}"), theme::DIM));
        if prompt.accepts_paste {
            text.push_line(Line::styled(
                "press / to paste the redirect URL or code (or just paste)",
                theme::DIM,
            ));
        }
        if !prompt.qr.is_empty() && area.height > 12 {
            text.extend(Text::raw(prompt.qr.clone()));
        }
    }
    let title = if login.finished {
        " login · Esc closes "
    } else {
        " login · Esc cancels "
    };
    frame.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: false })
            .block(Block::default().borders(Borders::ALL).title(title)),
        area,
    );
}
