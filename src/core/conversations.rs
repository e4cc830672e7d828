//! Recent conversations the proxy itself answered, keyed by the id it gave the answer
//! (`resp_…` for the Responses API): what `previous_response_id` continues and what
//! `GET /v1/responses/{id}` returns. Bounded by count, bytes and age; the oldest go first.
//!
//! Pure: times are arguments.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};

use crate::translate::ir::Message;

/// How many conversations are kept.
const MAX_ENTRIES: usize = 512;
/// Their bodies' total size (the stored response objects and an estimate of the messages).
const MAX_BYTES: usize = 64 * 1024 * 1024;
/// How long one is kept after it was answered.
const MAX_AGE: Duration = Duration::hours(24);

/// One answered turn: the whole conversation including the answer, and the response body.
#[derive(Debug, Clone)]
pub struct Conversation {
    /// Every message up to and including the answer (as an assistant message).
    pub messages: Arc<Vec<Message>>,
    /// The response object as the client received it.
    pub response: Bytes,
    pub model: String,
    pub at: DateTime<Utc>,
    size: usize,
}

impl Conversation {
    pub fn new(messages: Vec<Message>, response: Bytes, model: String, at: DateTime<Utc>) -> Self {
        // Serialized size is a fair measure of what the messages hold.
        let size =
            response.len() + serde_json::to_vec(&messages).map_or(0, |v| v.len()) + model.len();
        Self {
            messages: Arc::new(messages),
            response,
            model,
            at,
            size,
        }
    }
}

#[derive(Debug, Default)]
pub struct ConversationMemory {
    entries: HashMap<String, Conversation>,
    order: VecDeque<String>,
    bytes: usize,
}

impl ConversationMemory {
    pub fn insert(&mut self, id: String, conversation: Conversation, now: DateTime<Utc>) {
        if conversation.size > MAX_BYTES {
            return;
        }
        if let Some(old) = self.entries.remove(&id) {
            self.bytes -= old.size;
            self.order.retain(|k| *k != id);
        }
        self.bytes += conversation.size;
        self.entries.insert(id.clone(), conversation);
        self.order.push_back(id);
        self.evict(now);
    }

    /// The conversation answered as `id`, if it is still kept.
    pub fn get(&mut self, id: &str, now: DateTime<Utc>) -> Option<Conversation> {
        self.evict(now);
        self.entries.get(id).cloned()
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn evict(&mut self, now: DateTime<Utc>) {
        while let Some(oldest) = self.order.front() {
            let entry = &self.entries[oldest];
            let expired = now - entry.at > MAX_AGE;
            if !(expired || self.entries.len() > MAX_ENTRIES || self.bytes > MAX_BYTES) {
                break;
            }
            let id = self.order.pop_front().expect("front exists");
            if let Some(gone) = self.entries.remove(&id) {
                self.bytes -= gone.size;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::translate::ir::{Block, Role};

    fn conv(text: &str, at: DateTime<Utc>) -> Conversation {
        let messages = vec![Message {
            role: Role::User,
            content: vec![Block::Text { text: text.into() }],
        }];
        Conversation::new(messages, Bytes::from_static(b"{}"), "m".into(), at)
    }

    #[test]
    fn keeps_what_it_answered_until_it_is_too_old() {
        let t0 = Utc::now();
        let mut memory = ConversationMemory::default();
        memory.insert("resp_1".into(), conv("a", t0), t0);
        assert!(memory.get("resp_1", t0 + Duration::hours(1)).is_some());
        assert!(memory.get("resp_1", t0 + Duration::hours(25)).is_none());
        assert!(memory.is_empty());
    }

    #[test]
    fn the_oldest_go_first_past_the_count() {
        let t0 = Utc::now();
        let mut memory = ConversationMemory::default();
        for i in 0..=MAX_ENTRIES {
            memory.insert(format!("resp_{i}"), conv("x", t0), t0);
        }
        assert_eq!(memory.len(), MAX_ENTRIES);
        assert!(memory.get("resp_0", t0).is_none());
        assert!(memory.get(&format!("resp_{MAX_ENTRIES}"), t0).is_some());
    }

    #[test]
    fn a_body_past_the_byte_bound_pushes_out_the_oldest() {
        let t0 = Utc::now();
        let mut memory = ConversationMemory::default();
        memory.insert("resp_small".into(), conv("x", t0), t0);
        let big = Conversation::new(
            Vec::new(),
            Bytes::from(vec![b' '; MAX_BYTES - 10]),
            "m".into(),
            t0,
        );
        memory.insert("resp_big".into(), big, t0);
        assert!(memory.get("resp_small", t0).is_none());
        assert!(memory.get("resp_big", t0).is_some());
    }
}
