//! Facts from the engine's bus applied to the console: rows appear, update live and finish;
//! streamed text grows the transcript; cooldowns and quota errors reach the dashboard.

use super::super::effect::Effect;
use super::super::rows::Row;
use super::super::state::{
    AppState, MAX_TRANSCRIPT_BYTES, MAX_TRANSCRIPTS, QuotaAlert, Transcript, matcher,
};
use crate::events::{Outcome, Progress, ProxyEvent, RequestId};

/// How many quota alerts the dashboard keeps.
const MAX_ALERTS: usize = 50;

pub fn apply(state: &mut AppState, event: ProxyEvent) -> Vec<Effect> {
    match event {
        ProxyEvent::ServerListening { addr } => {
            state.server.listen = Some(addr);
            state.server.stopped = None;
        }
        ProxyEvent::ServerStopped { reason } => state.server.stopped = Some(reason),
        ProxyEvent::RequestStarted { meta } => {
            state.stats.started();
            let row = Row {
                id: meta.id,
                at: meta.at,
                api: meta.api.into(),
                path: meta.path.clone(),
                model: meta.model_requested.clone(),
                model_routed: None,
                account: None,
                status: None,
                outcome: None,
                stream: meta.stream,
                ttft_ms: None,
                duration_ms: None,
                input_tokens: 0,
                output_tokens: 0,
                error: None,
                has_tool: false,
                replay_of: meta.replay_of,
                attempts: 0,
            };
            let shown = state
                .requests
                .list
                .push(row, matcher(state.filter.as_deref()));
            if shown {
                row_inserted_on_top(state);
            }
        }
        ProxyEvent::RequestRouted {
            id,
            model_routed,
            account,
            attempt,
        } => {
            update_row(state, id, |r| {
                r.model_routed = Some(model_routed.to_string());
                r.account = Some(account.to_string());
                r.attempts = attempt;
            });
        }
        ProxyEvent::RequestProgress { id, progress } => progress_of(state, id, progress),
        ProxyEvent::RequestFinished {
            id,
            outcome,
            status,
            usage,
            ttft_ms,
            duration_ms,
            error,
        } => {
            let failed = outcome != Outcome::Ok;
            state
                .stats
                .finished(state.now, failed, duration_ms, ttft_ms);
            state.stats.tokens(
                usage.input_tokens,
                usage.output_tokens + usage.thinking_tokens,
            );
            let mut account = None;
            let mut model = None;
            update_row(state, id, |r| {
                r.outcome = Some(outcome);
                r.status = Some(status);
                r.input_tokens = usage.input_tokens;
                r.output_tokens = usage.output_tokens + usage.thinking_tokens;
                r.ttft_ms = ttft_ms.or(r.ttft_ms);
                r.duration_ms = Some(duration_ms);
                r.error = error.as_deref().map(str::to_owned);
                account.clone_from(&r.account);
                model = Some(r.model_routed.clone().unwrap_or_else(|| r.model.clone()));
            });
            if status == 429 {
                push_alert(
                    state,
                    QuotaAlert {
                        at: state.now,
                        account: account.unwrap_or_else(|| "-".into()),
                        model: model.unwrap_or_default(),
                        until: None,
                        reason: error.as_deref().unwrap_or("quota or rate limit").to_owned(),
                    },
                );
            }
            // A detail view of this request now has bodies to show.
            if state.server.history && state.requests.detail.as_ref().is_some_and(|d| d.id == id) {
                return vec![Effect::LoadDetail(id)];
            }
        }
        ProxyEvent::AccountCooled {
            account,
            model,
            until,
            reason,
        } => {
            push_alert(
                state,
                QuotaAlert {
                    at: state.now,
                    account: account.to_string(),
                    model: model.to_string(),
                    until: Some(until),
                    reason: reason.to_string(),
                },
            );
            return vec![Effect::LoadAccounts];
        }
        ProxyEvent::AccountUpdated { .. } => return vec![Effect::LoadAccounts],
    }
    Vec::new()
}

fn update_row(state: &mut AppState, id: RequestId, change: impl FnOnce(&mut Row)) {
    state
        .requests
        .list
        .update(id, matcher(state.filter.as_deref()), change);
}

/// A new row on top pushes the others down: the selection follows or stays on its row.
fn row_inserted_on_top(state: &mut AppState) {
    let requests = &mut state.requests;
    if requests.follow {
        requests.selected = 0;
        requests.offset = 0;
    } else {
        requests.selected += 1;
        // Keep the same rows on screen rather than sliding under the reader.
        requests.offset += 1;
    }
}

fn progress_of(state: &mut AppState, id: RequestId, progress: Progress) {
    match progress {
        Progress::FirstToken { ttft_ms } => update_row(state, id, |r| r.ttft_ms = Some(ttft_ms)),
        Progress::Usage { usage } => update_row(state, id, |r| {
            r.input_tokens = usage.input_tokens;
            r.output_tokens = usage.output_tokens + usage.thinking_tokens;
        }),
        Progress::Text { text } => transcript(state, id, |t| append(&mut t.text, &text)),
        Progress::Thinking { text } => transcript(state, id, |t| append(&mut t.thinking, &text)),
        Progress::ToolCall { name } => {
            update_row(state, id, |r| r.has_tool = true);
            transcript(state, id, |t| t.tools.push(name.to_string()));
        }
    }
}

fn transcript(state: &mut AppState, id: RequestId, change: impl FnOnce(&mut Transcript)) {
    if !state.transcripts.contains_key(&id) && state.transcripts.len() >= MAX_TRANSCRIPTS {
        // Ids sort by time: the first is the oldest.
        state.transcripts.pop_first();
    }
    change(state.transcripts.entry(id).or_default());
}

fn append(into: &mut String, piece: &str) {
    if into.len() + piece.len() <= MAX_TRANSCRIPT_BYTES {
        into.push_str(piece);
    }
}

fn push_alert(state: &mut AppState, alert: QuotaAlert) {
    if state.alerts.len() >= MAX_ALERTS {
        state.alerts.pop_back();
    }
    state.alerts.push_front(alert);
}
