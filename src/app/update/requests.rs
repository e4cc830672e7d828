//! The Requests tab: moving through the list (follow mode, pause), search with n/N, the detail
//! view and its stage tabs, replay, comparison and export.

use super::super::action::Action;
use super::super::effect::Effect;
use super::super::row_filter;
use super::super::state::{AppState, DetailState, DetailTab, FieldPurpose, matcher};
use super::fields;

pub fn apply(state: &mut AppState, action: Action) -> Vec<Effect> {
    if state.requests.detail.is_some() {
        return detail(state, action);
    }
    let page = state.list_height();
    let len = state.requests.list.view_len();
    let selected = state.requests.selected;
    match action {
        Action::Up => move_to(state, selected.saturating_sub(1)),
        Action::Down => move_to(state, selected + 1),
        Action::PageUp => move_to(state, selected.saturating_sub(page)),
        Action::PageDown => move_to(state, selected + page),
        Action::Top => {
            state.requests.follow = true;
            move_to(state, 0);
        }
        Action::Bottom => move_to(state, len.saturating_sub(1)),
        Action::Open => return open_detail(state),
        Action::ToggleFollow => {
            state.requests.follow = !state.requests.follow;
            if state.requests.follow {
                move_to(state, 0);
            }
        }
        Action::TogglePause => {
            state.requests.list.paused = !state.requests.list.paused;
            if !state.requests.list.paused {
                let arrived = state.requests.list.arrived_while_paused;
                let selected = state
                    .requests
                    .list
                    .shown(state.requests.selected)
                    .map(|r| r.id);
                state
                    .requests
                    .list
                    .refilter(matcher(state.filter.as_deref()));
                state.notice = Some(format!("resumed: {arrived} requests arrived while paused"));
                // Stay on the same request unless following.
                let target = if state.requests.follow {
                    0
                } else {
                    selected
                        .and_then(|id| state.requests.list.display_position(id))
                        .unwrap_or(0)
                };
                move_to(state, target);
            }
        }
        Action::SearchNext => search(state, &state.requests.search_text.clone(), false),
        Action::SearchPrev => search_back(state),
        Action::ClearFilter => fields::set_filter(state, ""),
        Action::Replay => return replay(state, None, None),
        Action::ReplayToModel(model) if model.is_empty() => {
            fields::open(state, FieldPurpose::Command, "replay ");
        }
        Action::ReplayToModel(model) => return replay(state, Some(model), None),
        Action::ReplayOnAccount => {
            fields::open(state, FieldPurpose::Command, "replay @");
        }
        Action::ReplayEdited => {
            return with_selected(state, |_, id| vec![Effect::EditAndReplay(id)]);
        }
        Action::ExportCurl => return with_selected(state, |_, id| vec![Effect::ExportCurl(id)]),
        Action::ExportBundle => {
            return with_selected(state, |_, id| vec![Effect::ExportBundle(id)]);
        }
        Action::MarkCompare => mark_compare(state),
        Action::DryRun => return dry_run(state),
        _ => {}
    }
    Vec::new()
}

/// `t`: opens the detail of the selected request (if it is not open) and asks for the upstream
/// request its stored client request translates to; nothing is sent.
fn dry_run(state: &mut AppState) -> Vec<Effect> {
    if !state.server.history {
        state.notice = Some("a dry run needs the history store (request bodies)".into());
        return Vec::new();
    }
    let mut effects = Vec::new();
    if state.requests.detail.is_none() {
        effects = open_detail(state);
    }
    let Some(detail) = state.requests.detail.as_mut() else {
        state.notice = Some("no request selected".into());
        return Vec::new();
    };
    detail.dry_run = Some(None);
    detail.scroll = 0;
    effects.push(Effect::DryRun(detail.id));
    effects
}

fn with_selected(
    state: &mut AppState,
    then: impl FnOnce(&mut AppState, crate::events::RequestId) -> Vec<Effect>,
) -> Vec<Effect> {
    let id = state
        .requests
        .detail
        .as_ref()
        .map(|d| d.id)
        .or_else(|| state.selected_row().map(|r| r.id));
    if let Some(id) = id {
        then(state, id)
    } else {
        state.notice = Some("no request selected".into());
        Vec::new()
    }
}

pub fn replay(state: &mut AppState, model: Option<String>, account: Option<String>) -> Vec<Effect> {
    if !state.server.history {
        state.notice = Some("replay needs the history store (request bodies)".into());
        return Vec::new();
    }
    with_selected(state, |state, id| {
        state.notice = Some(match (&model, &account) {
            (Some(m), Some(a)) => format!("replaying to {m} on {a}…"),
            (Some(m), None) => format!("replaying to {m}…"),
            (None, Some(a)) => format!("replaying on {a}…"),
            (None, None) => "replaying…".into(),
        });
        // The new row is the newest: follow it.
        state.requests.follow = true;
        vec![Effect::Replay { id, model, account }]
    })
}

fn mark_compare(state: &mut AppState) {
    let Some(id) = state.selected_row().map(|r| r.id) else {
        return;
    };
    match state.requests.compare_mark.take() {
        Some(first) if first != id => {
            state.requests.compare = Some((first, id));
        }
        Some(_) => state.notice = Some("compare mark cleared".into()),
        None => {
            state.requests.compare_mark = Some(id);
            state.notice = Some("marked: select another request and press c to compare".into());
        }
    }
}

/// Moves the selection to display position `to` (clamped) and scrolls it into view.
pub fn move_to(state: &mut AppState, to: usize) {
    let len = state.requests.list.view_len();
    let requests = &mut state.requests;
    requests.selected = to.min(len.saturating_sub(1));
    if requests.selected > 0 {
        requests.follow = false;
    }
    keep_selection_visible(state);
}

pub fn keep_selection_visible(state: &mut AppState) {
    let height = state.list_height();
    let requests = &mut state.requests;
    if requests.selected < requests.offset {
        requests.offset = requests.selected;
    } else if requests.selected >= requests.offset + height {
        requests.offset = requests.selected + 1 - height;
    }
}

fn open_detail(state: &mut AppState) -> Vec<Effect> {
    let Some(id) = state.selected_row().map(|r| r.id) else {
        return Vec::new();
    };
    state.requests.detail = Some(DetailState {
        id,
        tab: DetailTab::Live,
        scroll: 0,
        stages: None,
        dry_run: None,
    });
    if state.server.history {
        vec![Effect::LoadDetail(id)]
    } else {
        Vec::new()
    }
}

fn detail(state: &mut AppState, action: Action) -> Vec<Effect> {
    let detail = state.requests.detail.as_mut().expect("checked");
    let at = DetailTab::ALL
        .iter()
        .position(|t| *t == detail.tab)
        .unwrap_or(0);
    match action {
        Action::DryRun => return dry_run(state),
        Action::Left => {
            detail.dry_run = None;
            detail.tab = DetailTab::ALL[(at + DetailTab::ALL.len() - 1) % DetailTab::ALL.len()];
            detail.scroll = 0;
        }
        Action::Right | Action::Open => {
            detail.dry_run = None;
            detail.tab = DetailTab::ALL[(at + 1) % DetailTab::ALL.len()];
            detail.scroll = 0;
        }
        Action::Up => detail.scroll = detail.scroll.saturating_sub(1),
        Action::Down => detail.scroll = detail.scroll.saturating_add(1),
        Action::PageUp => detail.scroll = detail.scroll.saturating_sub(20),
        Action::PageDown => detail.scroll = detail.scroll.saturating_add(20),
        Action::Top => detail.scroll = 0,
        Action::Replay
        | Action::ReplayEdited
        | Action::ReplayToModel(_)
        | Action::ReplayOnAccount
        | Action::ExportCurl
        | Action::ExportBundle => {
            // Acting on the request shown: leave the detail view for the list.
            let effects = {
                let id = detail.id;
                state.requests.detail = None;
                if let Some(pos) = state.requests.list.display_position(id) {
                    state.requests.selected = pos;
                }
                apply(state, action)
            };
            return effects;
        }
        _ => {}
    }
    Vec::new()
}

/// Jumps to the next match of `text` below the selection (or from the top when `fresh`).
pub fn search(state: &mut AppState, text: &str, fresh: bool) {
    if text.is_empty() {
        return;
    }
    text.clone_into(&mut state.requests.search_text);
    let Ok(matcher) = row_filter::compile(text, &state.account_labels()) else {
        state.notice = Some(format!("bad search {text:?}"));
        return;
    };
    let hits = state.requests.list.search(matcher.as_ref());
    let from = state.requests.selected;
    let next = if fresh {
        hits.first()
    } else {
        hits.iter().find(|&&d| d > from).or(hits.first())
    };
    match next {
        Some(&d) => {
            state.notice = Some(format!("{} matches for {text:?}", hits.len()));
            move_to(state, d);
        }
        None => state.notice = Some(format!("no request matches {text:?}")),
    }
}

fn search_back(state: &mut AppState) {
    let text = state.requests.search_text.clone();
    let Ok(matcher) = row_filter::compile(&text, &state.account_labels()) else {
        return;
    };
    let hits = state.requests.list.search(matcher.as_ref());
    let from = state.requests.selected;
    if let Some(&d) = hits.iter().rev().find(|&&d| d < from).or(hits.last()) {
        move_to(state, d);
    }
}

/// Earlier runs from the history store go below the live rows.
pub fn history_loaded(state: &mut AppState, newest_first: Vec<super::super::rows::Row>) {
    let before = state.requests.list.view_len();
    state
        .requests
        .list
        .merge_history(newest_first, matcher(state.filter.as_deref()));
    let added = state.requests.list.view_len().saturating_sub(before);
    if added > 0 && !state.requests.follow {
        // The selection keeps pointing at the same row: history only adds older rows.
        keep_selection_visible(state);
    }
}
