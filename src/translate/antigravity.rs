//! IR ⇄ Antigravity (Cloud Code `v1internal`, Gemini-shaped): request envelopes and the stream decoder.
//!
//! `build_request` turns a client-neutral `ChatRequest` into the upstream body for one resolved
//! model; `StreamDecoder` turns upstream SSE payloads back into IR stream events; the
//! `SignatureStore` carries thought signatures from one to the other across turns.

mod contents;
mod decode;
mod generation;
mod notices;
mod request;
mod signatures;
mod structured;
mod tools;

#[cfg(test)]
mod tests;

pub use decode::{DecodeError, StreamDecoder};
pub use notices::{NoticeKind, Notices, Probe};
pub use request::{UpstreamPlan, UpstreamTarget, build_request, count_tokens_body, session_id};
pub use signatures::{
    DEFAULT_CAPACITY, DEFAULT_TTL_MS, MIN_CLAUDE_SIGNATURE_LEN, SignatureRecord, SignatureStore,
    SignedThinking,
};
pub use structured::StructuredTool;

/// The sentinel Gemini accepts in place of a lost `functionCall` thought signature
/// (Claude rejects it, so it is never used there).
pub const SKIP_SIGNATURE: &str = "skip_thought_signature_validator";
