//! Retention: requests older than the retention period go with their bodies; above the size
//! budget the oldest bodies go first (a row costs ~200 bytes, its bodies up to a megabyte), then
//! the oldest rows. Freed pages are handed back with `incremental_vacuum`, never a full VACUUM.

use std::time::Duration;

use chrono::Utc;
use rusqlite::{Connection, params};
use serde::Serialize;

/// Requests whose bodies (or rows) one size-pruning step deletes.
const STEP: i64 = 5;
/// Prune down to this share of the budget so the next hour does not start at the edge.
const TARGET_PERCENT: u64 = 90;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PruneStats {
    /// Rows deleted for age or size.
    pub rows: u64,
    /// Bodies deleted (with their rows or alone).
    pub bodies: u64,
    /// Bytes of the database in use after pruning.
    pub bytes_after: u64,
}

pub fn prune(
    conn: &Connection,
    retention: Duration,
    max_bytes: u64,
) -> rusqlite::Result<PruneStats> {
    let mut stats = PruneStats::default();
    let age = chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX);
    let cutoff = Utc::now()
        .checked_sub_signed(age)
        .map_or(i64::MIN, |t| t.timestamp_millis());
    stats.bodies += count(conn.execute(
        "DELETE FROM bodies WHERE at_ms < ?1
            OR request_id IN (SELECT id FROM requests WHERE at_ms < ?1)",
        [cutoff],
    )?);
    stats.rows += count(conn.execute("DELETE FROM requests WHERE at_ms < ?1", [cutoff])?);

    let target = max_bytes / 100 * TARGET_PERCENT;
    if used_bytes(conn)? > max_bytes {
        while used_bytes(conn)? > target {
            let n = conn.execute(
                "DELETE FROM bodies WHERE request_id IN
                    (SELECT DISTINCT request_id FROM bodies ORDER BY request_id LIMIT ?1)",
                [STEP],
            )?;
            if n == 0 {
                break;
            }
            stats.bodies += count(n);
        }
        while used_bytes(conn)? > target {
            let n = conn.execute(
                "DELETE FROM requests WHERE id IN (SELECT id FROM requests ORDER BY id LIMIT ?1)",
                params![STEP * 100],
            )?;
            if n == 0 {
                break;
            }
            stats.rows += count(n);
        }
    }
    if stats.rows + stats.bodies > 0 {
        // The vacuum frees pages in the WAL; the checkpoint is what shrinks the file. Both are
        // best effort: a reader holding an old snapshot only delays the shrink.
        // Each step of the pragma frees one page, so it is stepped to the end.
        let mut vacuum = conn.prepare("PRAGMA incremental_vacuum")?;
        let mut steps = vacuum.query([])?;
        while steps.next()?.is_some() {}
        drop(steps);
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    }
    stats.bytes_after = used_bytes(conn)?;
    Ok(stats)
}

/// Pages holding data (the file may be larger by its free list until the vacuum runs).
pub fn used_bytes(conn: &Connection) -> rusqlite::Result<u64> {
    let pages: u64 = conn.pragma_query_value(None, "page_count", |r| r.get(0))?;
    let free: u64 = conn.pragma_query_value(None, "freelist_count", |r| r.get(0))?;
    let size: u64 = conn.pragma_query_value(None, "page_size", |r| r.get(0))?;
    Ok(pages.saturating_sub(free) * size)
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}
