//! Reading the history: newest-first listing with the filter language, one request's detail,
//! id-prefix lookup. Shared by the writer thread and `HistoryReader` (the CLI's read-only view).

use std::path::Path;

use anyhow::bail;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension as _, Row, params};

use super::schema;
use super::{HistoryQuery, RequestDetail, RequestRow, StageBody};
use crate::capture::Stage;
use crate::events::{Outcome, RequestId};
use crate::translate::client_api::ApiName;

/// Rows fetched per round while a filter skips rows.
const PAGE: usize = 500;

const COLUMNS: &str = "id, at_ms, api, path, model, model_routed, account, status, outcome, \
    stream, ttft_ms, duration_ms, input_tokens, output_tokens, error, has_tool, replay_of, attempts";

/// A read-only view of a history file, usable while a server writes to it.
pub struct HistoryReader {
    conn: Connection,
}

/// What an id prefix names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    One(RequestId),
    None,
    /// More than one request starts with the prefix (a few of them).
    Ambiguous(Vec<RequestId>),
}

impl HistoryReader {
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        Ok(Self {
            conn: schema::open_read_only(path)?,
        })
    }

    pub fn list(&self, query: &HistoryQuery) -> anyhow::Result<Vec<RequestRow>> {
        if self.is_empty_schema()? {
            return Ok(Vec::new());
        }
        list(&self.conn, query)
    }

    pub fn detail(&self, id: RequestId) -> anyhow::Result<Option<RequestDetail>> {
        if self.is_empty_schema()? {
            return Ok(None);
        }
        detail(&self.conn, id)
    }

    /// Finds the request whose id starts or ends with `part` (hyphens optional, any case): ids
    /// are time-ordered, so their ends, not their starts, tell neighbours apart.
    pub fn resolve(&self, part: &str) -> anyhow::Result<Resolved> {
        if self.is_empty_schema()? {
            return Ok(Resolved::None);
        }
        resolve(&self.conn, part)
    }

    /// A file created but never migrated (a writer that just started) has no tables yet.
    fn is_empty_schema(&self) -> anyhow::Result<bool> {
        Ok(schema::user_version(&self.conn)? == 0)
    }
}

pub(super) fn list(conn: &Connection, query: &HistoryQuery) -> anyhow::Result<Vec<RequestRow>> {
    let limit = if query.limit == 0 {
        usize::MAX
    } else {
        query.limit
    };
    let mut out = Vec::new();
    let mut cursor = query.before.map(|id| id.to_string());
    let page = if query.filter.is_some() {
        PAGE
    } else {
        limit.min(PAGE)
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM requests WHERE (?1 IS NULL OR id < ?1) ORDER BY id DESC LIMIT ?2"
    ))?;
    loop {
        let rows = stmt
            .query_map(params![cursor, i64::try_from(page)?], to_row)?
            .collect::<Result<Vec<_>, _>>()?;
        let Some(last) = rows.last() else { break };
        cursor = Some(last.id.to_string());
        let fetched = rows.len();
        for row in rows {
            if query.filter.as_ref().is_none_or(|f| f.matches(&row)) {
                out.push(row);
                if out.len() >= limit {
                    return Ok(out);
                }
            }
        }
        if fetched < page {
            break;
        }
    }
    Ok(out)
}

pub(super) fn detail(conn: &Connection, id: RequestId) -> anyhow::Result<Option<RequestDetail>> {
    let key = id.to_string();
    let row = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM requests WHERE id = ?1"))?
        .query_row([&key], to_row)
        .optional()?;
    let Some(row) = row else { return Ok(None) };
    let mut stmt = conn.prepare_cached(
        "SELECT stage, seq, truncated, body FROM bodies WHERE request_id = ?1 ORDER BY seq",
    )?;
    let mut stages = stmt
        .query_map([&key], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, u32>(1)?,
                r.get::<_, bool>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?
        .filter_map(|r| match r {
            Ok((stage, seq, truncated, body)) => stage_from_str(&stage).map(|stage| {
                Ok(StageBody {
                    stage,
                    body,
                    truncated,
                    seq,
                })
            }),
            Err(e) => Some(Err(e)),
        })
        .collect::<Result<Vec<_>, _>>()?;
    stages.sort_by_key(|s| (stage_rank(s.stage), s.seq));
    Ok(Some(RequestDetail { row, stages }))
}

pub(super) fn resolve(conn: &Connection, part: &str) -> anyhow::Result<Resolved> {
    let wanted: String = part
        .trim()
        .chars()
        .filter(|c| *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if wanted.is_empty() || !wanted.chars().all(|c| c.is_ascii_hexdigit()) {
        bail!("{part:?} is not a request id (ids are hexadecimal, as `history` shows them)");
    }
    // Ids are stored hyphenated; compare without hyphens so any length works.
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM requests WHERE replace(id, '-', '') LIKE ?1 || '%'
            OR replace(id, '-', '') LIKE '%' || ?1 ORDER BY id DESC LIMIT 5",
    )?;
    let ids = stmt
        .query_map([&wanted], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?
        .iter()
        .filter_map(|s| parse_id(s))
        .collect::<Vec<_>>();
    Ok(match ids.as_slice() {
        [] => Resolved::None,
        [one] => Resolved::One(*one),
        _ => Resolved::Ambiguous(ids),
    })
}

/// Maps a `requests` row (selected with `COLUMNS`).
fn to_row(r: &Row<'_>) -> rusqlite::Result<RequestRow> {
    let id: String = r.get(0)?;
    let id = parse_id(&id).ok_or_else(|| bad_column(0, "request id", &id))?;
    // A name from a newer build is shown as it is; one row must not fail the listing.
    let api = ApiName::from_stored(&r.get::<_, String>(2)?);
    let outcome = r
        .get::<_, Option<String>>(8)?
        .and_then(|s| serde_json::from_value::<Outcome>(serde_json::Value::String(s)).ok());
    Ok(RequestRow {
        id,
        at: DateTime::<Utc>::from_timestamp_millis(r.get(1)?).unwrap_or_default(),
        api,
        path: r.get(3)?,
        model: r.get(4)?,
        model_routed: r.get(5)?,
        account: r.get(6)?,
        status: r.get(7)?,
        outcome,
        stream: r.get(9)?,
        ttft_ms: r.get(10)?,
        duration_ms: r.get(11)?,
        input_tokens: r.get(12)?,
        output_tokens: r.get(13)?,
        error: r.get(14)?,
        has_tool: r.get(15)?,
        replay_of: r.get::<_, Option<String>>(16)?.and_then(|s| parse_id(&s)),
        attempts: r.get(17)?,
    })
}

fn bad_column(index: usize, what: &str, value: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        index,
        rusqlite::types::Type::Text,
        format!("not a {what}: {value:?}").into(),
    )
}

pub(super) fn parse_id(text: &str) -> Option<RequestId> {
    uuid::Uuid::parse_str(text).ok().map(RequestId)
}

pub(super) fn outcome_str(outcome: Outcome) -> String {
    match serde_json::to_value(outcome) {
        Ok(serde_json::Value::String(s)) => s,
        _ => format!("{outcome:?}"),
    }
}

fn stage_from_str(text: &str) -> Option<Stage> {
    [
        Stage::ClientRequest,
        Stage::UpstreamRequest,
        Stage::UpstreamEvents,
        Stage::ClientResponse,
    ]
    .into_iter()
    .find(|s| s.as_str() == text)
}

fn stage_rank(stage: Stage) -> u8 {
    match stage {
        Stage::ClientRequest => 0,
        Stage::UpstreamRequest => 1,
        Stage::UpstreamEvents => 2,
        Stage::ClientResponse => 3,
    }
}
