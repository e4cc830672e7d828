//! IR stream events → Anthropic SSE: the full `message_start` … `message_stop` sequence the
//! SDKs and Claude Code insist on, with every event carrying its `event:` line.

use bytes::{BufMut as _, BytesMut};
use serde_json::{Value, json};

use super::response::error_json;
use crate::translate::ir::{ErrorInfo, StopReason, StreamEvent, Usage};

/// Encodes one streamed answer. Feed it `start`, then every event in order; it opens and closes
/// content blocks itself.
#[derive(Debug)]
pub struct StreamEncoder {
    id: String,
    model: String,
    show_thinking: bool,
    started: bool,
    finished: bool,
    /// The caller's input estimate, reported again if the upstream never reports usage.
    input_estimate: u64,
    /// Index the next content block gets; equals the number of blocks opened so far.
    next_index: u32,
    open: Option<OpenBlock>,
    usage: Usage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OpenKind {
    Text,
    Thinking,
}

#[derive(Debug, Clone, Copy)]
struct OpenBlock {
    kind: OpenKind,
    index: u32,
}

impl StreamEncoder {
    pub fn new(id: String, model: String, show_thinking: bool) -> Self {
        Self {
            id,
            model,
            show_thinking,
            started: false,
            finished: false,
            input_estimate: 0,
            next_index: 0,
            open: None,
            usage: Usage::default(),
        }
    }

    /// `event: message_start`, its usage carrying `input_tokens` = the estimate given and
    /// `output_tokens` 0. Call once, first; later calls do nothing.
    pub fn start(&mut self, input_tokens: u64, out: &mut BytesMut) {
        if self.started {
            return;
        }
        self.started = true;
        self.input_estimate = input_tokens;
        let data = json!({
            "type": "message_start",
            "message": {
                "id": self.id,
                "type": "message",
                "role": "assistant",
                "content": [],
                "model": self.model,
                "stop_reason": null,
                "stop_sequence": null,
                "usage": {
                    "input_tokens": input_tokens,
                    "output_tokens": 0,
                    "cache_read_input_tokens": 0,
                    "cache_creation_input_tokens": 0,
                },
            },
        });
        write_event(out, "message_start", &data);
    }

    /// Encodes one event. Events after `Finish` or `error` are ignored.
    pub fn push(&mut self, ev: &StreamEvent, out: &mut BytesMut) {
        if self.finished {
            return;
        }
        // The SDKs reject a stream whose first event is not message_start.
        self.start(0, out);
        match ev {
            StreamEvent::TextDelta { text } => {
                // Empty deltas carry nothing; whitespace-only ones are real text.
                if !text.is_empty() {
                    let index = self.ensure_open(OpenKind::Text, out);
                    let delta = json!({"type": "text_delta", "text": text});
                    write_delta(out, index, &delta);
                }
            }
            StreamEvent::ThinkingDelta { text } => {
                if self.show_thinking && !text.is_empty() {
                    let index = self.ensure_open(OpenKind::Thinking, out);
                    let delta = json!({"type": "thinking_delta", "thinking": text});
                    write_delta(out, index, &delta);
                }
            }
            StreamEvent::ThinkingSignature { signature } => {
                if self.show_thinking {
                    self.sign_thinking(signature, out);
                }
            }
            StreamEvent::ToolCall {
                id,
                name,
                arguments,
            } => self.tool_call(id, name, arguments, out),
            StreamEvent::Usage { usage } => self.usage = *usage,
            StreamEvent::Finish { stop_reason, usage } => self.finish(*stop_reason, *usage, out),
        }
    }

    /// In-band error after streaming began: `event: error` with {"type":"error","error":{...}}.
    /// Closes nothing else; the stream ends after it.
    pub fn error(&mut self, err: &ErrorInfo, out: &mut BytesMut) {
        if self.finished {
            return;
        }
        self.finished = true;
        write_event(out, "error", &error_json(err));
    }

    /// `event: ping` / `data: {"type":"ping"}`; the SDKs skip it, but it keeps proxies from
    /// timing out an idle connection.
    pub fn ping(out: &mut BytesMut) {
        write_event(out, "ping", &json!({"type": "ping"}));
    }

    /// True once `Finish` or an error has been encoded.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The index of an open block of `kind`, opening one (and closing any other) if needed.
    fn ensure_open(&mut self, kind: OpenKind, out: &mut BytesMut) -> u32 {
        if let Some(open) = self.open.filter(|open| open.kind == kind) {
            return open.index;
        }
        self.close_open(out);
        let block = match kind {
            OpenKind::Text => json!({"type": "text", "text": ""}),
            OpenKind::Thinking => json!({"type": "thinking", "thinking": "", "signature": ""}),
        };
        let index = self.start_block(&block, out);
        self.open = Some(OpenBlock { kind, index });
        index
    }

    /// A signature ends its thinking block: `signature_delta`, then `content_block_stop`.
    fn sign_thinking(&mut self, signature: &str, out: &mut BytesMut) {
        if signature.is_empty() {
            if self
                .open
                .is_some_and(|open| open.kind == OpenKind::Thinking)
            {
                self.close_open(out);
            }
            return;
        }
        let index = self.ensure_open(OpenKind::Thinking, out);
        let delta = json!({"type": "signature_delta", "signature": signature});
        write_delta(out, index, &delta);
        self.close_open(out);
    }

    fn tool_call(&mut self, id: &str, name: &str, arguments: &Value, out: &mut BytesMut) {
        self.close_open(out);
        let block = json!({"type": "tool_use", "id": id, "name": name, "input": {}});
        let index = self.start_block(&block, out);
        let partial_json = arguments.to_string();
        let delta = json!({"type": "input_json_delta", "partial_json": partial_json});
        write_delta(out, index, &delta);
        stop_block(out, index);
    }

    fn finish(&mut self, stop_reason: StopReason, usage: Usage, out: &mut BytesMut) {
        self.close_open(out);
        if self.next_index == 0 {
            // Mirror the non-stream body: never leave the client an assistant turn with no
            // content, which it would replay into an invalid next request.
            let index = self.start_block(&json!({"type": "text", "text": ""}), out);
            stop_block(out, index);
        }
        if usage != Usage::default() {
            self.usage = usage;
        }
        let input_tokens = if self.usage.input_tokens == 0 && self.usage.cached_input_tokens == 0 {
            self.input_estimate
        } else {
            self.usage.input_tokens
        };
        let data = json!({
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason.anthropic(), "stop_sequence": null},
            "usage": {
                "input_tokens": input_tokens,
                "output_tokens": self.usage.output_tokens,
                "cache_read_input_tokens": self.usage.cached_input_tokens,
            },
        });
        write_event(out, "message_delta", &data);
        write_event(out, "message_stop", &json!({"type": "message_stop"}));
        self.finished = true;
    }

    fn start_block(&mut self, block: &Value, out: &mut BytesMut) -> u32 {
        let index = self.next_index;
        self.next_index += 1;
        let data = json!({"type": "content_block_start", "index": index, "content_block": block});
        write_event(out, "content_block_start", &data);
        index
    }

    fn close_open(&mut self, out: &mut BytesMut) {
        if let Some(open) = self.open.take() {
            stop_block(out, open.index);
        }
    }
}

fn stop_block(out: &mut BytesMut, index: u32) {
    let data = json!({"type": "content_block_stop", "index": index});
    write_event(out, "content_block_stop", &data);
}

fn write_delta(out: &mut BytesMut, index: u32, delta: &Value) {
    let data = json!({"type": "content_block_delta", "index": index, "delta": delta});
    write_event(out, "content_block_delta", &data);
}

fn write_event(out: &mut BytesMut, event: &str, data: &Value) {
    out.put_slice(b"event: ");
    out.put_slice(event.as_bytes());
    out.put_slice(b"\ndata: ");
    serde_json::to_writer((&mut *out).writer(), data)
        .expect("serializing a Value into memory cannot fail");
    out.put_slice(b"\n\n");
}
