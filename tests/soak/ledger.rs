//! Every request the client sent against the history database: each model name (unique per
//! request) must be there exactly once, with the API, streaming flag, status and outcome its
//! kind implies; no row may be missing and none may be extra.

use std::collections::HashMap;
use std::path::Path;

use anti_api_tui::events::Outcome;
use anti_api_tui::store::{self, HistoryQuery, HistoryReader, RequestRow};
use anti_api_tui::translate::ir::ApiFormat;

use super::client::{self, Seen};
use super::mix::{Api, Kind};

#[derive(Debug, Default)]
pub struct Ledger {
    pub rows: usize,
    /// Sent requests found exactly once with the expected fields.
    pub matched: usize,
    /// Problems, one line each (missing, duplicated, extra, wrong fields).
    pub problems: Vec<String>,
    /// 429 rows after at least one upstream attempt, and ones the proxy answered itself because
    /// every account was cooling down for the model (no attempt).
    pub upstream_429: usize,
    pub cooling_429: usize,
    /// Upstream attempts of the 429 rows, together.
    pub attempts_429: u64,
}

/// Opens the history read-only (after the server stopped) and checks it against `sent`.
pub fn check(data_dir: &Path, sent: &[client::Outcome]) -> Result<Ledger, String> {
    let path = store::default_path(data_dir);
    let reader = HistoryReader::open(&path).map_err(|e| format!("history: {e:#}"))?;
    let rows = reader
        .list(&HistoryQuery::default())
        .map_err(|e| format!("history list: {e:#}"))?;
    Ok(compare(&rows, sent))
}

pub fn compare(rows: &[RequestRow], sent: &[client::Outcome]) -> Ledger {
    let mut ledger = Ledger {
        rows: rows.len(),
        ..Ledger::default()
    };
    let mut by_model: HashMap<&str, Vec<&RequestRow>> = HashMap::new();
    for row in rows {
        if row.status == Some(429) {
            if row.attempts == 0 {
                ledger.cooling_429 += 1;
            } else {
                ledger.upstream_429 += 1;
                ledger.attempts_429 += u64::from(row.attempts);
            }
        }
        by_model.entry(row.model.as_str()).or_default().push(row);
    }
    let mut models = Vec::with_capacity(sent.len());
    for outcome in sent {
        let model = outcome.plan.model();
        match by_model.get(model.as_str()).map(Vec::as_slice) {
            None | Some([]) => ledger.problems.push(format!("{model}: no history row")),
            Some([row]) => match wrong_fields(outcome, row) {
                None => ledger.matched += 1,
                Some(why) => ledger.problems.push(format!("{model}: {why}")),
            },
            Some(many) => ledger
                .problems
                .push(format!("{model}: {} history rows", many.len())),
        }
        models.push(model);
    }
    for model in &models {
        by_model.remove(model.as_str());
    }
    for (model, extra) in by_model {
        ledger.problems.push(format!(
            "{model}: {} history row(s) for a request never sent",
            extra.len()
        ));
    }
    ledger
}

/// What is wrong with the row of a request, if anything. A request the client already counted
/// as a failure only needs its one row.
fn wrong_fields(outcome: &client::Outcome, row: &RequestRow) -> Option<String> {
    let plan = &outcome.plan;
    let api = match plan.api {
        Api::OpenAi => ApiFormat::OpenAi,
        Api::Anthropic => ApiFormat::Anthropic,
    };
    if row.api != api || row.stream != plan.stream {
        return Some(format!(
            "recorded as {:?} stream={}, sent as {:?} stream={}",
            row.api, row.stream, api, plan.stream
        ));
    }
    if outcome.seen != Seen::Expected {
        return None;
    }
    let expected: &[(u16, Outcome)] = match plan.kind {
        Kind::Upstream429 => &[(429, Outcome::UpstreamError), (429, Outcome::Rejected)],
        Kind::Disconnect => &[(499, Outcome::ClientGone)],
        Kind::Text | Kind::ToolCall | Kind::ToolResult | Kind::Thinking => &[(200, Outcome::Ok)],
    };
    let got = (row.status, row.outcome);
    if expected.iter().any(|&(s, o)| got == (Some(s), Some(o))) {
        None
    } else {
        Some(format!(
            "recorded status {:?} outcome {:?} ({}), expected {expected:?}",
            row.status,
            row.outcome,
            row.error.as_deref().unwrap_or("no error")
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use anti_api_tui::events::RequestId;

    use super::*;
    use crate::soak::mix::Planned;

    fn sent(n: u64) -> client::Outcome {
        client::Outcome {
            plan: Planned::of(n),
            seen: Seen::Expected,
            latency: Duration::ZERO,
        }
    }

    /// The row the proxy should write for request `n`.
    fn row(n: u64) -> RequestRow {
        let plan = Planned::of(n);
        let (status, outcome) = match plan.kind {
            Kind::Upstream429 => (429, Outcome::UpstreamError),
            Kind::Disconnect => (499, Outcome::ClientGone),
            _ => (200, Outcome::Ok),
        };
        RequestRow {
            id: RequestId::new(),
            at: chrono::Utc::now(),
            api: match plan.api {
                Api::OpenAi => ApiFormat::OpenAi,
                Api::Anthropic => ApiFormat::Anthropic,
            }
            .into(),
            path: plan.api.path().into(),
            model: plan.model(),
            model_routed: None,
            account: None,
            status: Some(status),
            outcome: Some(outcome),
            stream: plan.stream,
            ttft_ms: None,
            duration_ms: None,
            input_tokens: 0,
            output_tokens: 0,
            error: None,
            has_tool: false,
            replay_of: None,
            attempts: 1,
        }
    }

    #[test]
    fn a_complete_history_matches() {
        let sent: Vec<_> = (0..40).map(sent).collect();
        let rows: Vec<_> = (0..40).map(row).collect();
        let ledger = compare(&rows, &sent);
        assert_eq!((ledger.matched, ledger.rows), (40, 40));
        assert!(ledger.problems.is_empty(), "{:?}", ledger.problems);
        assert_eq!((ledger.upstream_429, ledger.cooling_429), (2, 0));
        assert_eq!(ledger.attempts_429, 2);
    }

    #[test]
    fn missing_duplicated_extra_and_wrong_rows_are_problems() {
        let sent: Vec<_> = (0..21).map(sent).collect();
        let mut rows: Vec<_> = (1..21).map(row).collect(); // 0 missing
        rows.push(row(2)); // 2 twice
        rows.push(row(99)); // never sent
        rows[9].status = Some(200); // 10 is a disconnect: must be 499 client_gone
        rows[9].outcome = Some(Outcome::Ok);
        rows[3].stream = !rows[3].stream; // 4 recorded with the wrong stream flag
        let ledger = compare(&rows, &sent);
        let mut problems = ledger.problems.clone();
        problems.sort();
        assert_eq!(problems.len(), 5, "{problems:?}");
        let has = |model: &str, text: &str| {
            problems
                .iter()
                .any(|p| p.starts_with(&format!("{model}:")) && p.contains(text))
        };
        assert!(has(&Planned::of(0).model(), "no history row"));
        assert!(has(&Planned::of(2).model(), "2 history rows"));
        assert!(has(&Planned::of(99).model(), "never sent"));
        assert!(has(&Planned::of(10).model(), "recorded status Some(200)"));
        assert!(has(&Planned::of(4).model(), "stream="));
        assert_eq!(ledger.matched, 17);
    }
}
