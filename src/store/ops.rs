//! The row and body writes, one per bus event or captured body, applied inside the writer's
//! batch transaction.

use std::sync::Arc;

use chrono::Utc;
use rusqlite::{Connection, params};

use super::{query, redact};
use crate::capture::Captured;
use crate::events::{Outcome, RequestId, RequestMeta};
use crate::translate::ir::Usage;

/// One change to apply in the next transaction.
pub enum Op {
    Started(Arc<RequestMeta>),
    Routed {
        id: RequestId,
        model: Arc<str>,
        account: Arc<str>,
        attempt: u32,
    },
    FirstToken {
        id: RequestId,
        ttft_ms: u64,
    },
    Usage {
        id: RequestId,
        usage: Usage,
    },
    Tool {
        id: RequestId,
    },
    Finished {
        id: RequestId,
        outcome: Outcome,
        status: u16,
        usage: Usage,
        ttft_ms: Option<u64>,
        duration_ms: u64,
        error: Option<Arc<str>>,
    },
    Body(Captured),
}

pub fn apply(conn: &Connection, op: Op) -> rusqlite::Result<()> {
    match op {
        Op::Started(meta) => {
            conn.prepare_cached(
                "INSERT INTO requests (id, at_ms, api, path, model, stream, user_agent, replay_of)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (id) DO NOTHING",
            )?
            .execute(params![
                meta.id.to_string(),
                meta.at.timestamp_millis(),
                meta.api.as_str(),
                meta.path,
                meta.model_requested,
                meta.stream,
                meta.user_agent,
                meta.replay_of.map(|r| r.to_string()),
            ])?;
        }
        Op::Routed {
            id,
            model,
            account,
            attempt,
        } => {
            conn.prepare_cached(
                "UPDATE requests SET model_routed = ?2, account = ?3, attempts = max(attempts, ?4)
                 WHERE id = ?1",
            )?
            .execute(params![id.to_string(), &*model, &*account, attempt])?;
        }
        Op::FirstToken { id, ttft_ms } => {
            conn.prepare_cached("UPDATE requests SET ttft_ms = ?2 WHERE id = ?1")?
                .execute(params![id.to_string(), ttft_ms])?;
        }
        Op::Usage { id, usage } => update_usage(conn, id, usage)?,
        Op::Tool { id } => {
            conn.prepare_cached("UPDATE requests SET has_tool = 1 WHERE id = ?1")?
                .execute([id.to_string()])?;
        }
        Op::Finished {
            id,
            outcome,
            status,
            usage,
            ttft_ms,
            duration_ms,
            error,
        } => {
            update_usage(conn, id, usage)?;
            conn.prepare_cached(
                "UPDATE requests SET outcome = ?2, status = ?3, ttft_ms = coalesce(?4, ttft_ms),
                    duration_ms = ?5, error = ?6 WHERE id = ?1",
            )?
            .execute(params![
                id.to_string(),
                query::outcome_str(outcome),
                status,
                ttft_ms,
                duration_ms,
                error.as_deref().map(|e| redact::redact(e).into_owned()),
            ])?;
        }
        Op::Body(captured) => {
            let id = captured.id.to_string();
            let stage = captured.stage.as_str();
            // The next number for this (request, stage), counted here rather than with `max(seq)`
            // in the INSERT: SQLite plans a `max()` over bound parameters by their values, so
            // that statement was compiled again on every run (over half of the writer's time).
            let seq = conn
                .prepare_cached("SELECT seq FROM bodies WHERE request_id = ?1 AND stage = ?2")?
                .query_map(params![id, stage], |row| row.get::<_, i64>(0))?
                .try_fold(0, |next, seq| seq.map(|seq| next.max(seq + 1)))?;
            let text = String::from_utf8_lossy(&captured.body);
            let body = redact::redact(&text);
            conn.prepare_cached(
                "INSERT INTO bodies (request_id, stage, seq, at_ms, truncated, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                id,
                stage,
                seq,
                Utc::now().timestamp_millis(),
                captured.truncated,
                &*body,
            ])?;
        }
    }
    Ok(())
}

/// Token counts only grow during a request; a late zero never erases a known count.
fn update_usage(conn: &Connection, id: RequestId, usage: Usage) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE requests SET input_tokens = max(input_tokens, ?2),
            output_tokens = max(output_tokens, ?3), cached_tokens = max(cached_tokens, ?4),
            thinking_tokens = max(thinking_tokens, ?5) WHERE id = ?1",
    )?
    .execute(params![
        id.to_string(),
        usage.input_tokens,
        usage.output_tokens,
        usage.cached_input_tokens,
        usage.thinking_tokens,
    ])?;
    Ok(())
}
