//! The open client connections: how many requests each has in flight, since when it has been
//! idle, and at the cap which one makes room (the longest idle) or whether a new one is shed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

/// One client connection as the accept loop and its own task see it.
pub struct Conn {
    id: u64,
    epoch: Instant,
    in_flight: AtomicUsize,
    /// Milliseconds from `epoch` to the end of the last request (or the accept).
    idle_since_ms: AtomicU64,
    served_any: AtomicBool,
    /// Cancelled when the accept loop wants this connection closed to make room.
    close: CancellationToken,
}

impl Conn {
    fn new(id: u64, epoch: Instant) -> Self {
        let conn = Self {
            id,
            epoch,
            in_flight: AtomicUsize::new(0),
            idle_since_ms: AtomicU64::new(0),
            served_any: AtomicBool::new(false),
            close: CancellationToken::new(),
        };
        conn.mark_idle();
        conn
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn mark_idle(&self) {
        self.idle_since_ms.store(self.now_ms(), Ordering::Release);
    }

    /// A request starts; it is in flight until the returned guard is dropped (with its
    /// response body, so a stream counts for as long as it flows).
    pub fn begin(self: &Arc<Self>) -> InFlight {
        self.served_any.store(true, Ordering::Release);
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(Arc::clone(self))
    }

    /// How long the connection has had no request in flight; `None` while one is.
    pub fn idle_for(&self) -> Option<Duration> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        let since = self.idle_since_ms.load(Ordering::Acquire);
        Some(Duration::from_millis(self.now_ms().saturating_sub(since)))
    }

    /// Whether any request has started on this connection.
    pub fn served_any(&self) -> bool {
        self.served_any.load(Ordering::Acquire)
    }

    pub fn close_requested(&self) -> &CancellationToken {
        &self.close
    }
}

/// A request in flight on its connection.
pub struct InFlight(Arc<Conn>);

impl Drop for InFlight {
    fn drop(&mut self) {
        // The idle clock is set before the count drops, so a reader never sees an old one.
        self.0.mark_idle();
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What the accept loop does with a new connection.
pub enum Admission {
    Admitted(Slot),
    /// At the cap with every connection busy: shed it.
    Full,
}

/// The open connections, at most `max`.
pub struct Connections {
    max: usize,
    epoch: Instant,
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Conn>>>,
}

impl Connections {
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Self {
            max: max.max(1),
            epoch: Instant::now(),
            next_id: AtomicU64::new(0),
            open: Mutex::new(HashMap::new()),
        })
    }

    pub fn max(&self) -> usize {
        self.max
    }

    pub fn open_count(&self) -> usize {
        self.open.lock().expect("connections lock").len()
    }

    /// Takes a new connection, closing the longest-idle one first when at the cap.
    pub fn admit(self: &Arc<Self>) -> Admission {
        let mut open = self.open.lock().expect("connections lock");
        if open.len() >= self.max && !evict_idlest(&mut open) {
            return Admission::Full;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn::new(id, self.epoch));
        open.insert(id, Arc::clone(&conn));
        Admission::Admitted(Slot {
            conns: Arc::clone(self),
            conn,
        })
    }

    /// Closes the longest-idle connection (to free a descriptor); false when all are busy.
    pub fn evict_one(&self) -> bool {
        evict_idlest(&mut self.open.lock().expect("connections lock"))
    }

    fn remove(&self, id: u64) {
        self.open.lock().expect("connections lock").remove(&id);
    }
}

/// Removes the connection idle the longest from `open` and asks it to close.
fn evict_idlest(open: &mut HashMap<u64, Arc<Conn>>) -> bool {
    let Some(id) = idlest(open.values().map(|c| (c.id, c.idle_for()))) else {
        return false;
    };
    if let Some(conn) = open.remove(&id) {
        conn.close.cancel();
    }
    true
}

/// The id idle the longest among `(id, idle time or None when busy)`.
fn idlest(conns: impl Iterator<Item = (u64, Option<Duration>)>) -> Option<u64> {
    conns
        .filter_map(|(id, idle)| idle.map(|d| (d, id)))
        .max()
        .map(|(_, id)| id)
}

/// A connection's place among the open ones, given back when its task ends.
pub struct Slot {
    conns: Arc<Connections>,
    pub conn: Arc<Conn>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.conns.remove(self.conn.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_idle_is_chosen_and_busy_ones_never() {
        let secs = Duration::from_secs;
        let pick = |v: Vec<(u64, Option<Duration>)>| idlest(v.into_iter());
        assert_eq!(
            pick(vec![(1, Some(secs(3))), (2, Some(secs(9))), (3, None)]),
            Some(2)
        );
        assert_eq!(pick(vec![(1, None), (2, None)]), None);
        assert_eq!(pick(vec![]), None);
    }

    #[test]
    fn at_the_cap_an_idle_connection_makes_room_and_busy_ones_shed() {
        let conns = Connections::new(2);
        let Admission::Admitted(a) = conns.admit() else {
            panic!("first refused")
        };
        let Admission::Admitted(b) = conns.admit() else {
            panic!("second refused")
        };
        let busy_b = b.conn.begin();
        // a is idle: it is asked to close and the third gets its place.
        let Admission::Admitted(c) = conns.admit() else {
            panic!("third refused")
        };
        assert!(a.conn.close_requested().is_cancelled());
        assert!(!b.conn.close_requested().is_cancelled());
        assert_eq!(conns.open_count(), 2);
        // b and c busy: the next is shed.
        let busy_c = c.conn.begin();
        assert!(matches!(conns.admit(), Admission::Full));
        assert!(!conns.evict_one());
        // A request ends: its connection is idle again and can make room.
        drop(busy_c);
        assert!(c.conn.idle_for().is_some() && c.conn.served_any());
        assert!(matches!(conns.admit(), Admission::Admitted(_)));
        drop(busy_b);
        drop(a);
        assert_eq!(
            conns.open_count(),
            1,
            "b stays until its task ends; the admitted one was dropped"
        );
    }
}
