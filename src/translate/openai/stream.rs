//! IR stream events → Chat Completions `chat.completion.chunk` server-sent events.
//!
//! Every chunk carries `id`, `object`, `created` and `model` (the Python `.stream()` helper drops
//! chunks without `object`), and exactly one chunk carries a `finish_reason` (the Node helper
//! throws without one).

use bytes::{BufMut as _, BytesMut};
use serde::Serialize;
use serde_json::Value;

use super::response::{arguments_string, error_json, finish_reason, usage_json};
use crate::translate::ir::{ErrorInfo, StreamEvent};

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
        self.delta(
            Delta {
                role: Some("assistant"),
                content: Some(""),
                ..Delta::default()
            },
            out,
        );
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
                let delta = Delta {
                    content: Some(text),
                    ..Delta::default()
                };
                self.delta(delta, out);
            }
            StreamEvent::ThinkingDelta { text } if self.show_reasoning && !text.is_empty() => {
                let delta = Delta {
                    reasoning_content: Some(text),
                    ..Delta::default()
                };
                self.delta(delta, out);
            }
            StreamEvent::ToolCall {
                id,
                name,
                arguments,
            } => self.tool_call(id, name, arguments, out),
            StreamEvent::Finish { stop_reason, usage } => {
                let reason = finish_reason(*stop_reason, self.tool_calls > 0);
                let choice = Choice {
                    index: 0,
                    delta: Delta::default(),
                    logprobs: None,
                    finish_reason: Some(reason),
                };
                self.chunk(&[choice], None, out);
                if self.include_usage {
                    self.chunk(&[], Some(usage_json(usage)), out);
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
        let header = ToolCallDelta {
            index,
            id: Some(id),
            kind: Some("function"),
            function: FunctionDelta {
                name: Some(name),
                arguments: "",
            },
        };
        self.delta(
            Delta {
                tool_calls: Some([header]),
                ..Delta::default()
            },
            out,
        );
        let args = arguments_string(arguments);
        let (head, tail) = args.split_at(mid_char_boundary(&args));
        for piece in [head, tail].into_iter().filter(|p| !p.is_empty()) {
            let part = ToolCallDelta {
                index,
                id: None,
                kind: None,
                function: FunctionDelta {
                    name: None,
                    arguments: piece,
                },
            };
            self.delta(
                Delta {
                    tool_calls: Some([part]),
                    ..Delta::default()
                },
                out,
            );
        }
    }

    fn delta(&self, delta: Delta<'_>, out: &mut BytesMut) {
        let choice = Choice {
            index: 0,
            delta,
            logprobs: None,
            finish_reason: None,
        };
        self.chunk(&[choice], None, out);
    }

    fn chunk(&self, choices: &[Choice<'_>], usage: Option<Value>, out: &mut BytesMut) {
        let chunk = Chunk {
            id: &self.id,
            object: "chat.completion.chunk",
            created: self.created,
            model: &self.model,
            choices,
            usage,
        };
        write_event(&chunk, out);
    }
}

/// One `chat.completion.chunk`, serialized straight into the output (no `Value` tree per chunk);
/// fields in the order the API sends them.
#[derive(Serialize)]
struct Chunk<'a> {
    id: &'a str,
    object: &'static str,
    created: i64,
    model: &'a str,
    choices: &'a [Choice<'a>],
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<Value>,
}

#[derive(Serialize)]
struct Choice<'a> {
    index: u32,
    delta: Delta<'a>,
    /// Always `null`.
    logprobs: Option<()>,
    finish_reason: Option<&'static str>,
}

/// The delta of a chunk: only the fields that are set are written (the finish chunk's is `{}`).
#[derive(Serialize, Default)]
struct Delta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_calls: Option<[ToolCallDelta<'a>; 1]>,
}

#[derive(Serialize)]
struct ToolCallDelta<'a> {
    index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    function: FunctionDelta<'a>,
}

#[derive(Serialize)]
struct FunctionDelta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    arguments: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    NotStarted,
    Streaming,
    /// After the finish chunk or an in-band error: nothing more may be written.
    Finished,
}

fn write_event(payload: &impl Serialize, out: &mut BytesMut) {
    out.put_slice(b"data: ");
    serde_json::to_writer((&mut *out).writer(), payload)
        .expect("serializing into memory cannot fail");
    out.put_slice(b"\n\n");
}

/// The char boundary nearest the middle at or after it, so a split never cuts a UTF-8 sequence.
fn mid_char_boundary(s: &str) -> usize {
    (s.len() / 2..=s.len())
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(s.len())
}

#[cfg(test)]
mod tests;
