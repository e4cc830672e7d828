//! Bodies held back until their request's outcome is known (capture = errors): kept when it
//! failed, dropped when it went well. Bodies and outcomes travel on different channels, so
//! either can come first; memory is bounded both ways.

use std::collections::{HashMap, VecDeque};

use crate::capture::Captured;
use crate::events::RequestId;

/// Bodies of undecided requests kept at most; the oldest request's bodies go first.
const MAX_HELD_BYTES: usize = 32 * 1024 * 1024;
/// Outcomes remembered for bodies that arrive after `RequestFinished`.
const MAX_DECIDED: usize = 4096;

#[derive(Debug, Default)]
pub struct Held {
    enabled: bool,
    waiting: HashMap<RequestId, Vec<Captured>>,
    /// Arrival order of `waiting`'s keys, for eviction.
    order: VecDeque<RequestId>,
    bytes: usize,
    /// Whether a finished request's bodies are kept.
    decided: HashMap<RequestId, bool>,
    decided_order: VecDeque<RequestId>,
}

impl Held {
    /// `enabled` = capture mode `errors`; otherwise every body passes straight through.
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            ..Self::default()
        }
    }

    /// A body came in: `Some` to store it now, `None` when held or dropped.
    pub fn on_body(&mut self, body: Captured) -> Option<Captured> {
        if !self.enabled {
            return Some(body);
        }
        match self.decided.get(&body.id) {
            Some(true) => return Some(body),
            Some(false) => return None,
            None => {}
        }
        self.bytes += body.body.len();
        let id = body.id;
        let entry = self.waiting.entry(id).or_default();
        if entry.is_empty() {
            self.order.push_back(id);
        }
        entry.push(body);
        while self.bytes > MAX_HELD_BYTES {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            for dropped in self.waiting.remove(&oldest).unwrap_or_default() {
                self.bytes -= dropped.body.len();
            }
        }
        None
    }

    /// The request ended; returns its held bodies when they are to be stored.
    pub fn on_finished(&mut self, id: RequestId, keep: bool) -> Vec<Captured> {
        if !self.enabled {
            return Vec::new();
        }
        if self.decided.insert(id, keep).is_none() {
            self.decided_order.push_back(id);
            if self.decided_order.len() > MAX_DECIDED
                && let Some(old) = self.decided_order.pop_front()
            {
                self.decided.remove(&old);
            }
        }
        let bodies = self.waiting.remove(&id).unwrap_or_default();
        if !bodies.is_empty() {
            self.order.retain(|x| *x != id);
        }
        self.bytes -= bodies.iter().map(|b| b.body.len()).sum::<usize>();
        if keep { bodies } else { Vec::new() }
    }

    #[cfg(test)]
    pub fn held_bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::capture::Stage;

    fn body(id: RequestId, len: usize) -> Captured {
        Captured {
            id,
            stage: Stage::ClientRequest,
            body: Bytes::from(vec![b'x'; len]),
            truncated: false,
        }
    }

    #[test]
    fn failures_keep_bodies_before_and_after_the_outcome_successes_drop_them() {
        let mut held = Held::new(true);
        let (ok, bad) = (RequestId::new(), RequestId::new());
        assert!(held.on_body(body(ok, 10)).is_none());
        assert!(held.on_body(body(bad, 10)).is_none());
        assert_eq!(held.held_bytes(), 20);
        assert!(held.on_finished(ok, false).is_empty());
        assert_eq!(held.on_finished(bad, true).len(), 1);
        assert_eq!(held.held_bytes(), 0);
        // Late bodies follow the decision.
        assert!(held.on_body(body(ok, 5)).is_none());
        assert!(held.on_body(body(bad, 5)).is_some());
        assert_eq!(held.held_bytes(), 0);
    }

    #[test]
    fn memory_is_bounded_by_dropping_the_oldest_requests() {
        let mut held = Held::new(true);
        let ids: Vec<_> = (0..5).map(|_| RequestId::new()).collect();
        for id in &ids {
            held.on_body(body(*id, MAX_HELD_BYTES / 4));
        }
        assert!(held.held_bytes() <= MAX_HELD_BYTES);
        assert!(held.on_finished(ids[0], true).is_empty(), "evicted");
        assert_eq!(held.on_finished(ids[4], true).len(), 1);
    }

    #[test]
    fn disabled_passes_everything_through() {
        let mut held = Held::new(false);
        let id = RequestId::new();
        assert!(held.on_body(body(id, 3)).is_some());
        assert!(held.on_finished(id, true).is_empty());
    }
}
