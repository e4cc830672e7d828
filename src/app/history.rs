//! Reading the history store for the console: recent rows on start and after the bus lagged,
//! and the stored stage bodies of one request, pretty-printed once when they arrive.

use super::rows::Row;
use super::state::StageText;
use crate::events::RequestId;
use crate::store::{HistoryQuery, HistoryStore};

/// How many recent rows the Requests tab loads on start and after the bus lagged.
pub const RECENT_ROWS: usize = 2_000;

pub async fn recent(store: &HistoryStore) -> anyhow::Result<Vec<Row>> {
    store
        .list(HistoryQuery {
            filter: None,
            limit: RECENT_ROWS,
            before: None,
        })
        .await
}

/// The row and its stages, JSON bodies indented for reading.
pub async fn detail(
    store: &HistoryStore,
    id: RequestId,
) -> anyhow::Result<Option<(Row, Vec<StageText>)>> {
    let Some(detail) = store.detail(id).await? else {
        return Ok(None);
    };
    let stages = detail
        .stages
        .into_iter()
        .map(|s| StageText {
            stage: s.stage,
            body: s.body,
            truncated: s.truncated,
        })
        .collect();
    Ok(Some((detail.row, stages)))
}

/// Indents JSON bodies, and each JSON line of a JSON-lines body; anything else is kept as is.
pub fn pretty(body: &str) -> String {
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(body) {
        return serde_json::to_string_pretty(&value).unwrap_or_else(|_| body.to_owned());
    }
    body.lines()
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line)
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
                .unwrap_or_else(|| line.to_owned())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_indents_json_and_json_lines() {
        assert_eq!(pretty(r#"{"a":1}"#), "{\n  \"a\": 1\n}");
        assert_eq!(pretty("{\"a\":1}\nnot json"), "{\n  \"a\": 1\n}\nnot json");
    }
}
