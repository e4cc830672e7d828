//! The request list the console shows: every row in arrival order, an index from request id to
//! position for live updates, and the filtered view (positions, oldest first) that the table
//! renders newest first. Pause freezes the view while rows keep being updated.

use std::collections::HashMap;

use crate::events::RequestId;

/// One request as the console lists it: the history store's row, updated live from the bus.
pub type Row = crate::store::RequestRow;

impl Row {
    pub fn in_flight(&self) -> bool {
        self.outcome.is_none()
    }

    /// Quota, rate limit or server failure: the rows the list makes stand out.
    pub fn is_alarming(&self) -> bool {
        self.status.is_some_and(|s| s == 429 || s >= 500)
    }
}

/// Decides which rows the view shows (the filter language, or everything).
pub trait RowMatcher {
    fn matches(&self, row: &Row) -> bool;
}

/// The most rows kept in memory; older ones stay in the history store.
pub const MAX_ROWS: usize = 200_000;

#[derive(Debug, Default)]
pub struct RowList {
    rows: Vec<Row>,
    index: HashMap<RequestId, usize>,
    /// Positions in `rows` shown by the table, ascending (oldest first).
    view: Vec<usize>,
    /// Rows that arrived while paused (they join the view on resume).
    pub arrived_while_paused: usize,
    pub paused: bool,
}

impl RowList {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn view_len(&self) -> usize {
        self.view.len()
    }

    pub fn get(&self, id: RequestId) -> Option<&Row> {
        self.index.get(&id).map(|&i| &self.rows[i])
    }

    pub fn all(&self) -> &[Row] {
        &self.rows
    }

    /// The row at display position `n` (0 = newest shown).
    pub fn shown(&self, n: usize) -> Option<&Row> {
        let pos = self.view.len().checked_sub(n + 1)?;
        self.view.get(pos).map(|&i| &self.rows[i])
    }

    /// Display position of a row, if shown.
    pub fn display_position(&self, id: RequestId) -> Option<usize> {
        let at = *self.index.get(&id)?;
        let pos = self.view.binary_search(&at).ok()?;
        Some(self.view.len() - 1 - pos)
    }

    /// Adds a new row at the newest end; returns whether the view gained it.
    pub fn push(&mut self, row: Row, filter: &dyn RowMatcher) -> bool {
        if self.index.contains_key(&row.id) {
            return false;
        }
        if self.rows.len() >= MAX_ROWS {
            self.trim(MAX_ROWS / 10, filter);
        }
        let shown = filter.matches(&row);
        let pos = self.rows.len();
        self.index.insert(row.id, pos);
        self.rows.push(row);
        if self.paused {
            self.arrived_while_paused += 1;
            return false;
        }
        if shown {
            self.view.push(pos);
        }
        shown
    }

    /// Merges rows loaded from history: new ones take their place by time (ids sort by time),
    /// and a stored finished row replaces a live one whose finish this list missed.
    pub fn merge_history(&mut self, rows: Vec<Row>, filter: &dyn RowMatcher) {
        let mut changed = false;
        for row in rows {
            if let Some(&at) = self.index.get(&row.id) {
                if self.rows[at].in_flight() && !row.in_flight() {
                    self.rows[at] = row;
                    changed = true;
                }
            } else {
                self.index.insert(row.id, usize::MAX);
                self.rows.push(row);
                changed = true;
            }
        }
        if changed {
            self.rows.sort_by_key(|r| r.id);
            self.reindex(filter);
        }
    }

    /// Changes a row in place and keeps its membership in the view current.
    pub fn update(
        &mut self,
        id: RequestId,
        filter: &dyn RowMatcher,
        change: impl FnOnce(&mut Row),
    ) -> bool {
        let Some(&pos) = self.index.get(&id) else {
            return false;
        };
        change(&mut self.rows[pos]);
        if self.paused {
            return true;
        }
        let wanted = filter.matches(&self.rows[pos]);
        match (self.view.binary_search(&pos), wanted) {
            (Ok(at), false) => {
                self.view.remove(at);
            }
            (Err(at), true) => self.view.insert(at, pos),
            _ => {}
        }
        true
    }

    /// Recomputes the view (a new filter, or resuming from pause).
    pub fn refilter(&mut self, filter: &dyn RowMatcher) {
        self.view = (0..self.rows.len())
            .filter(|&i| filter.matches(&self.rows[i]))
            .collect();
        self.arrived_while_paused = 0;
    }

    fn trim(&mut self, count: usize, filter: &dyn RowMatcher) {
        // In-flight rows are kept: their events are still coming.
        let mut dropped = 0;
        self.rows.retain(|r| {
            let drop = dropped < count && !r.in_flight();
            dropped += usize::from(drop);
            !drop
        });
        self.reindex(filter);
    }

    fn reindex(&mut self, filter: &dyn RowMatcher) {
        self.index = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id, i))
            .collect();
        self.refilter(filter);
    }

    /// Display positions (0 = newest) of shown rows matching `search`, in display order.
    pub fn search(&self, search: &dyn RowMatcher) -> Vec<usize> {
        let n = self.view.len();
        (0..n)
            .filter(|&d| search.matches(&self.rows[self.view[n - 1 - d]]))
            .collect()
    }

    /// The shown rows between display positions `from` and `from + count` (newest first).
    pub fn window(&self, from: usize, count: usize) -> impl Iterator<Item = &Row> {
        let n = self.view.len();
        (from..(from + count).min(n)).map(move |d| &self.rows[self.view[n - 1 - d]])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::translate::ir::ApiFormat;
    use chrono::DateTime;

    pub struct Everything;
    impl RowMatcher for Everything {
        fn matches(&self, _: &Row) -> bool {
            true
        }
    }
    struct Failed;
    impl RowMatcher for Failed {
        fn matches(&self, row: &Row) -> bool {
            row.status.is_some_and(|s| s >= 400)
        }
    }

    pub fn row(n: u128) -> Row {
        Row {
            id: RequestId(uuid::Uuid::from_u128(n)),
            at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            api: ApiFormat::OpenAi.into(),
            path: "/v1/chat/completions".into(),
            model: "gemini-3-flash".into(),
            model_routed: None,
            account: None,
            status: None,
            outcome: None,
            stream: false,
            ttft_ms: None,
            duration_ms: None,
            input_tokens: 0,
            output_tokens: 0,
            error: None,
            has_tool: false,
            replay_of: None,
            attempts: 0,
        }
    }

    #[test]
    fn newest_is_shown_first_and_updates_move_rows_in_and_out_of_the_view() {
        let mut list = RowList::default();
        list.push(row(1), &Failed);
        list.push(row(2), &Failed);
        assert_eq!(list.view_len(), 0);
        list.update(row(1).id, &Failed, |r| r.status = Some(429));
        assert_eq!(list.shown(0).unwrap().id, row(1).id);
        list.update(row(2).id, &Failed, |r| r.status = Some(500));
        assert_eq!(list.shown(0).unwrap().id, row(2).id);
        assert_eq!(list.display_position(row(1).id), Some(1));
        list.refilter(&Everything);
        assert_eq!(list.view_len(), 2);
    }

    #[test]
    fn pause_holds_the_view_and_counts_arrivals() {
        let mut list = RowList::default();
        list.push(row(1), &Everything);
        list.paused = true;
        list.push(row(2), &Everything);
        list.push(row(3), &Everything);
        assert_eq!((list.view_len(), list.arrived_while_paused), (1, 2));
        list.paused = false;
        list.refilter(&Everything);
        assert_eq!((list.view_len(), list.arrived_while_paused), (3, 0));
    }

    #[test]
    fn history_goes_before_live_rows_without_duplicates() {
        let mut list = RowList::default();
        list.push(row(5), &Everything);
        list.merge_history(vec![row(5), row(4), row(3)], &Everything);
        let ids: Vec<_> = list.window(0, 10).map(|r| r.id).collect();
        assert_eq!(ids, vec![row(5).id, row(4).id, row(3).id]);
    }
}
