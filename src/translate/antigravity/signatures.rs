//! A bounded, expiring memory of the thought signatures the upstream returned, so history that
//! clients replay without (or with altered) signatures can be re-signed or safely dropped.
//!
//! Claude rejects a thinking block whose signature is missing, invented or from another model
//! family; Gemini 3 rejects a replayed `functionCall` without its sibling signature. Clients such as
//! Claude Code may strip signatures, and `OpenAI` clients never had them, so the proxy remembers what
//! it streamed. Pure: the caller passes `now_ms` and owns any locking.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

use sha2::{Digest, Sha256};

use crate::catalogue::Family;

/// Entries kept per map before the oldest are evicted.
pub const DEFAULT_CAPACITY: usize = 10_000;
/// How long a signature stays usable; the upstream's own validity is of the same order.
pub const DEFAULT_TTL_MS: i64 = 2 * 60 * 60 * 1000;
/// Real Claude signatures are long base64 blobs; anything shorter that the upstream streams is
/// not worth trusting later (client-provided signatures are used as given).
pub const MIN_CLAUDE_SIGNATURE_LEN: usize = 50;

/// Something worth remembering from a response, produced by the stream decoder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureRecord {
    /// A Gemini `functionCall`'s sibling `thoughtSignature`, keyed by the tool call id.
    ToolCall { tool_id: String, signature: String },
    /// A signed thinking block, keyed by its text (and its signature, to know the family).
    Thinking {
        family: Family,
        text: String,
        signature: String,
    },
    /// The signed thinking block that preceded a tool call in the same response: a Claude tool
    /// loop must replay it in front of the call.
    ToolThinking {
        tool_id: String,
        family: Family,
        text: String,
        signature: String,
    },
}

/// A thinking block with the signature the upstream gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedThinking {
    pub family: Family,
    pub text: String,
    pub signature: String,
}

type Digest32 = [u8; 32];

fn digest(s: &str) -> Digest32 {
    Sha256::digest(s.as_bytes()).into()
}

#[derive(Debug)]
pub struct SignatureStore {
    tool_calls: TtlMap<String, String>,
    by_text: TtlMap<Digest32, (Family, String)>,
    by_tool: TtlMap<String, SignedThinking>,
    families: TtlMap<Digest32, Family>,
}

impl Default for SignatureStore {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY, DEFAULT_TTL_MS)
    }
}

impl SignatureStore {
    /// `capacity` bounds each of the store's maps; `ttl_ms` is how long an entry stays usable.
    pub fn new(capacity: usize, ttl_ms: i64) -> Self {
        Self {
            tool_calls: TtlMap::new(capacity, ttl_ms),
            by_text: TtlMap::new(capacity, ttl_ms),
            by_tool: TtlMap::new(capacity, ttl_ms),
            families: TtlMap::new(capacity, ttl_ms),
        }
    }

    pub fn record(&mut self, rec: SignatureRecord, now_ms: i64) {
        match rec {
            SignatureRecord::ToolCall { tool_id, signature } => {
                if !tool_id.is_empty() && !signature.is_empty() {
                    self.tool_calls.insert(tool_id, signature, now_ms);
                }
            }
            SignatureRecord::Thinking {
                family,
                text,
                signature,
            } => {
                if !trusted(family, &signature) {
                    return;
                }
                self.families.insert(digest(&signature), family, now_ms);
                if !text.is_empty() {
                    self.by_text
                        .insert(digest(&text), (family, signature), now_ms);
                }
            }
            SignatureRecord::ToolThinking {
                tool_id,
                family,
                text,
                signature,
            } => {
                if tool_id.is_empty() || !trusted(family, &signature) {
                    return;
                }
                self.families.insert(digest(&signature), family, now_ms);
                let thinking = SignedThinking {
                    family,
                    text,
                    signature,
                };
                self.by_tool.insert(tool_id, thinking, now_ms);
            }
        }
    }

    /// The Gemini signature of a tool call the upstream made.
    pub fn tool_signature(&self, tool_id: &str, now_ms: i64) -> Option<&str> {
        self.tool_calls.get(tool_id, now_ms).map(String::as_str)
    }

    /// The signature (and family) of a thinking block, found by its text.
    pub fn thinking_signature(&self, text: &str, now_ms: i64) -> Option<(Family, &str)> {
        self.by_text
            .get(&digest(text), now_ms)
            .map(|(family, sig)| (*family, sig.as_str()))
    }

    /// The signed thinking that preceded a tool call.
    pub fn thinking_for_tool(&self, tool_id: &str, now_ms: i64) -> Option<&SignedThinking> {
        self.by_tool.get(tool_id, now_ms)
    }

    /// Which family produced a signature, when the store saw it.
    pub fn signature_family(&self, signature: &str, now_ms: i64) -> Option<Family> {
        self.families.get(&digest(signature), now_ms).copied()
    }

    /// Entries held (expired ones count until they are evicted on the next `record`).
    pub fn len(&self) -> usize {
        self.tool_calls.len() + self.by_text.len() + self.by_tool.len() + self.families.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn trusted(family: Family, signature: &str) -> bool {
    match family {
        Family::Claude => signature.len() >= MIN_CLAUDE_SIGNATURE_LEN,
        Family::Gemini | Family::GptOss => !signature.is_empty(),
    }
}

/// A map whose entries expire after `ttl_ms` and whose oldest entries go first when full.
#[derive(Debug)]
struct TtlMap<K, V> {
    map: HashMap<K, Slot<V>>,
    /// Insertion order as (sequence, key); a key re-inserted later leaves a stale older entry,
    /// recognised by its sequence number.
    order: VecDeque<(u64, K)>,
    capacity: usize,
    ttl_ms: i64,
    next_seq: u64,
}

#[derive(Debug)]
struct Slot<V> {
    seq: u64,
    at_ms: i64,
    value: V,
}

impl<K: Hash + Eq + Clone, V> TtlMap<K, V> {
    fn new(capacity: usize, ttl_ms: i64) -> Self {
        Self {
            map: HashMap::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
            ttl_ms,
            next_seq: 0,
        }
    }

    fn insert(&mut self, key: K, value: V, now_ms: i64) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.push_back((seq, key.clone()));
        self.map.insert(
            key,
            Slot {
                seq,
                at_ms: now_ms,
                value,
            },
        );
        self.evict(now_ms);
    }

    fn evict(&mut self, now_ms: i64) {
        while let Some((seq, key)) = self.order.front() {
            let live = self.map.get(key).filter(|slot| slot.seq == *seq);
            let expired = live.is_some_and(|slot| now_ms - slot.at_ms > self.ttl_ms);
            if live.is_some() && !expired && self.map.len() <= self.capacity {
                break;
            }
            if live.is_some() {
                self.map.remove(key);
            }
            self.order.pop_front();
        }
        // Re-inserting the same keys over and over leaves stale entries behind a live head.
        if self.order.len() > self.capacity.saturating_mul(4) {
            let map = &self.map;
            self.order
                .retain(|(seq, key)| map.get(key).is_some_and(|slot| slot.seq == *seq));
        }
    }

    fn get<Q>(&self, key: &Q, now_ms: i64) -> Option<&V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map
            .get(key)
            .filter(|slot| now_ms - slot.at_ms <= self.ttl_ms)
            .map(|slot| &slot.value)
    }

    fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long_sig(tag: &str) -> String {
        format!("{tag}{}", "A".repeat(60))
    }

    #[test]
    fn remembers_tool_signatures_and_thinking_by_text_and_tool() {
        let mut s = SignatureStore::default();
        s.record(
            SignatureRecord::ToolCall {
                tool_id: "call_1".into(),
                signature: "g-sig".into(),
            },
            0,
        );
        s.record(
            SignatureRecord::Thinking {
                family: Family::Claude,
                text: "hmm".into(),
                signature: long_sig("c"),
            },
            0,
        );
        s.record(
            SignatureRecord::ToolThinking {
                tool_id: "toolu_1".into(),
                family: Family::Claude,
                text: "hmm".into(),
                signature: long_sig("c"),
            },
            0,
        );
        assert_eq!(s.tool_signature("call_1", 10), Some("g-sig"));
        assert_eq!(
            s.thinking_signature("hmm", 10),
            Some((Family::Claude, long_sig("c").as_str()))
        );
        assert_eq!(s.thinking_for_tool("toolu_1", 10).unwrap().text, "hmm");
        assert_eq!(s.signature_family(&long_sig("c"), 10), Some(Family::Claude));
        assert_eq!(s.signature_family("unknown", 10), None);
        assert_eq!(s.len(), 4, "tool, text, tool-thinking and one family entry");
    }

    #[test]
    fn short_claude_signatures_are_not_trusted() {
        let mut s = SignatureStore::default();
        s.record(
            SignatureRecord::Thinking {
                family: Family::Claude,
                text: "t".into(),
                signature: "short".into(),
            },
            0,
        );
        assert!(s.is_empty());
        // Gemini signatures have no such floor.
        s.record(
            SignatureRecord::Thinking {
                family: Family::Gemini,
                text: "t".into(),
                signature: "short".into(),
            },
            0,
        );
        assert_eq!(
            s.thinking_signature("t", 0),
            Some((Family::Gemini, "short"))
        );
    }

    #[test]
    fn entries_expire_after_the_ttl() {
        let mut s = SignatureStore::new(10, 1000);
        s.record(
            SignatureRecord::ToolCall {
                tool_id: "a".into(),
                signature: "x".into(),
            },
            0,
        );
        assert_eq!(s.tool_signature("a", 1000), Some("x"));
        assert_eq!(s.tool_signature("a", 1001), None);
        s.record(
            SignatureRecord::ToolCall {
                tool_id: "b".into(),
                signature: "y".into(),
            },
            5000,
        );
        assert_eq!(
            s.len(),
            1,
            "the expired entry is evicted on the next record"
        );
    }

    #[test]
    fn capacity_evicts_the_oldest_and_reinsertion_refreshes() {
        let mut s = SignatureStore::new(2, i64::MAX / 2);
        for (i, id) in ["a", "b", "a", "c"].iter().enumerate() {
            s.record(
                SignatureRecord::ToolCall {
                    tool_id: (*id).into(),
                    signature: format!("s{i}"),
                },
                0,
            );
        }
        assert_eq!(s.tool_signature("a", 0), Some("s2"));
        assert_eq!(
            s.tool_signature("b", 0),
            None,
            "b was the oldest live entry"
        );
        assert_eq!(s.tool_signature("c", 0), Some("s3"));
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn repeated_reinsertion_keeps_the_order_queue_bounded() {
        let mut s = SignatureStore::new(3, i64::MAX / 2);
        for i in 0..1000 {
            s.record(
                SignatureRecord::ToolCall {
                    tool_id: "same".into(),
                    signature: format!("s{i}"),
                },
                0,
            );
        }
        assert!(s.tool_calls.order.len() <= 12);
        assert_eq!(s.tool_signature("same", 0), Some("s999"));
    }
}
