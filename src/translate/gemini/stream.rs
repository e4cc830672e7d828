//! IR stream events → public Gemini API stream bodies: one `GenerateContentResponse` chunk per
//! event, framed as server-sent events (`?alt=sse`) or as the one JSON array the API streams
//! without it. The last chunk carries the finish reason and usage.

use bytes::{BufMut as _, BytesMut};
use serde_json::Value;

use super::response::{
    AnswerMeta, CallSignatures, call_part, chunk_json, error_json, thought_part,
};
use crate::translate::ir::{ErrorInfo, StreamEvent};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `data: {…}\n\n` per chunk (`?alt=sse`).
    Sse,
    /// `[{…}\n,{…}\n]`: one JSON array, written as it grows.
    JsonArray,
}

/// Turns one answer's [`StreamEvent`]s into Gemini stream bytes.
#[derive(Debug)]
pub struct StreamEncoder {
    meta: AnswerMeta,
    framing: Framing,
    chunks: usize,
    finished: bool,
}

impl StreamEncoder {
    pub fn new(meta: AnswerMeta, framing: Framing) -> Self {
        Self {
            meta,
            framing,
            chunks: 0,
            finished: false,
        }
    }

    pub fn push(&mut self, ev: &StreamEvent, signatures: &impl CallSignatures, out: &mut BytesMut) {
        if self.finished {
            return;
        }
        let part = match ev {
            StreamEvent::TextDelta { text } if !text.is_empty() => {
                serde_json::json!({"text": text})
            }
            StreamEvent::ThinkingDelta { text } if self.meta.show_thoughts && !text.is_empty() => {
                thought_part(text, None)
            }
            // The signature closes the thoughts before it: an empty thought part carries it.
            StreamEvent::ThinkingSignature { signature } if self.meta.show_thoughts => {
                thought_part("", Some(signature))
            }
            StreamEvent::ToolCall {
                id,
                name,
                arguments,
            } => call_part(name, arguments, signatures.signature(id).as_deref()),
            StreamEvent::Finish { stop_reason, usage } => {
                let chunk = chunk_json(&self.meta, Vec::new(), Some((*stop_reason, usage)));
                self.write(&chunk, out);
                self.end(out);
                return;
            }
            _ => return,
        };
        let chunk = chunk_json(&self.meta, vec![part], None);
        self.write(&chunk, out);
    }

    /// A failure after the first chunk: Google's error body as the last element.
    pub fn error(&mut self, err: &ErrorInfo, out: &mut BytesMut) {
        if self.finished {
            return;
        }
        self.write(&error_json(err), out);
        self.end(out);
    }

    pub fn is_finished(&self) -> bool {
        self.finished
    }

    fn write(&mut self, body: &Value, out: &mut BytesMut) {
        match self.framing {
            Framing::Sse => out.put_slice(b"data: "),
            Framing::JsonArray => out.put_slice(if self.chunks == 0 { b"[" } else { b",\r\n" }),
        }
        let mut writer = out.writer();
        serde_json::to_writer(&mut writer, body).expect("a JSON value always serializes");
        let out = writer.into_inner();
        if self.framing == Framing::Sse {
            out.put_slice(b"\r\n\r\n");
        }
        self.chunks += 1;
    }

    fn end(&mut self, out: &mut BytesMut) {
        if self.framing == Framing::JsonArray {
            if self.chunks == 0 {
                out.put_slice(b"[");
            }
            out.put_slice(b"]");
        }
        self.finished = true;
    }
}
