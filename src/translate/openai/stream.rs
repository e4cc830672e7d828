//! IR stream events → Chat Completions `chat.completion.chunk` server-sent events.
//!
//! Every chunk carries `id`, `object`, `created` and `model` (the Python `.stream()` helper drops
//! chunks without `object`), and exactly one chunk carries a `finish_reason` (the Node helper
//! throws without one).

use bytes::BytesMut;
use serde_json::{Value, json};

use super::response::{arguments_string, error_json, finish_reason, usage_json};
use crate::translate::ir::{ErrorInfo, StreamEvent, Usage};

/// Turns one answer's [`StreamEvent`]s into SSE bytes.
#[derive(Debug)]
pub struct StreamEncoder {
    id: String,
    model: String,
    created: i64,
    include_usage: bool,
    show_reasoning: bool,
    phase: Phase,
    /// Tool calls sent so far; the next one gets this index.
    tool_calls: usize,
}

impl StreamEncoder {
    pub fn new(
        id: String,
        model: String,
        created: i64,
        include_usage: bool,
        show_reasoning: bool,
    ) -> Self {
        Self {
            id,
            model,
            created,
            include_usage,
            show_reasoning,
            phase: Phase::NotStarted,
            tool_calls: 0,
        }
    }

    /// First chunk: delta `{role: "assistant", content: ""}`. Idempotent.
    pub fn start(&mut self, out: &mut BytesMut) {
        if self.phase != Phase::NotStarted {
            return;
        }
        self.phase = Phase::Streaming;
        self.delta(&json!({"role": "assistant", "content": ""}), out);
    }

    pub fn push(&mut self, ev: &StreamEvent, out: &mut BytesMut) {
        if self.phase == Phase::Finished {
            return;
        }
        // A stream must open with the role chunk even if the caller forgot `start`.
        self.start(out);
        match ev {
            // Empty deltas carry nothing; whitespace is content and is kept.
            StreamEvent::TextDelta { text } if !text.is_empty() => {
                self.delta(&json!({"content": text}), out);
            }
            StreamEvent::ThinkingDelta { text } if self.show_reasoning && !text.is_empty() => {
                self.delta(&json!({"reasoning_content": text}), out);
            }
            StreamEvent::ToolCall {
                id,
                name,
                arguments,
            } => self.tool_call(id, name, arguments, out),
            StreamEvent::Finish { stop_reason, usage } => {
                let reason = finish_reason(*stop_reason, self.tool_calls > 0);
                self.chunk(
                    &json!([{"index": 0, "delta": {}, "logprobs": null, "finish_reason": reason}]),
                    None,
                    out,
                );
                if self.include_usage {
                    self.chunk(&json!([]), Some(usage), out);
                }
                out.extend_from_slice(b"data: [DONE]\n\n");
                self.phase = Phase::Finished;
            }
            // Signatures have no OpenAI field; interim usage is only reported at the end.
            StreamEvent::TextDelta { .. }
            | StreamEvent::ThinkingDelta { .. }
            | StreamEvent::ThinkingSignature { .. }
            | StreamEvent::Usage { .. } => {}
        }
    }

    /// In-band error after streaming began: `data: {"error": {...}}`, with no `[DONE]` after it,
    /// which the SDKs raise as an API error.
    pub fn error(&mut self, err: &ErrorInfo, out: &mut BytesMut) {
        if self.phase == Phase::Finished {
            return;
        }
        self.phase = Phase::Finished;
        write_event(&error_json(err), out);
    }

    pub fn is_finished(&self) -> bool {
        self.phase == Phase::Finished
    }

    /// A header chunk naming the call, then the arguments in pieces, the way the real API streams them
    /// (clients concatenate `arguments` per `index`).
    fn tool_call(&mut self, id: &str, name: &str, arguments: &Value, out: &mut BytesMut) {
        let index = self.tool_calls;
        self.tool_calls += 1;
        self.delta(
            &json!({"tool_calls": [{
                "index": index,
                "id": id,
                "type": "function",
                "function": {"name": name, "arguments": ""},
            }]}),
            out,
        );
        let args = arguments_string(arguments);
        let (head, tail) = args.split_at(mid_char_boundary(&args));
        for piece in [head, tail].into_iter().filter(|p| !p.is_empty()) {
            self.delta(
                &json!({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}),
                out,
            );
        }
    }

    fn delta(&self, delta: &Value, out: &mut BytesMut) {
        self.chunk(
            &json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": null}]),
            None,
            out,
        );
    }

    fn chunk(&self, choices: &Value, usage: Option<&Usage>, out: &mut BytesMut) {
        let mut chunk = json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": choices,
        });
        if let Some(usage) = usage {
            chunk["usage"] = usage_json(usage);
        }
        write_event(&chunk, out);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    NotStarted,
    Streaming,
    /// After the finish chunk or an in-band error: nothing more may be written.
    Finished,
}

fn write_event(payload: &Value, out: &mut BytesMut) {
    out.extend_from_slice(b"data: ");
    out.extend_from_slice(payload.to_string().as_bytes());
    out.extend_from_slice(b"\n\n");
}

/// The char boundary nearest the middle at or after it, so a split never cuts a UTF-8 sequence.
fn mid_char_boundary(s: &str) -> usize {
    (s.len() / 2..=s.len())
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(s.len())
}

#[cfg(test)]
mod tests;
