//! IR stream events → the Responses API's typed server-sent events: `response.created`,
//! `response.in_progress`, an `output_item.added` … `output_item.done` bracket per output item
//! (with `content_part`, `output_text`, `reasoning_summary_*` and `function_call_arguments`
//! events inside), and `response.completed` / `response.incomplete` / `response.failed` last.
//! Every event carries a `sequence_number`, counting from 0.

use bytes::{BufMut as _, BytesMut};
use serde_json::{Value, json};

use super::response::{
    ResponseMeta, Status, arguments_string, call_item, custom_input, failure_json, message_item,
    output_text, reasoning_item, response_object,
};
use crate::translate::ir::{ErrorInfo, StreamEvent};

/// Turns one answer's [`StreamEvent`]s into Responses API SSE bytes.
#[derive(Debug)]
pub struct StreamEncoder {
    meta: ResponseMeta,
    sequence: u64,
    started: bool,
    finished: bool,
    /// Completed output items, for the final response object.
    done: Vec<Value>,
    open: Open,
    calls: usize,
    /// The response object the last event carried.
    last: Option<Value>,
}

/// The output item being streamed, if any.
#[derive(Debug)]
enum Open {
    None,
    Reasoning { id: String, text: String },
    Message { id: String, text: String },
}

impl StreamEncoder {
    pub fn new(meta: ResponseMeta) -> Self {
        Self {
            meta,
            sequence: 0,
            started: false,
            finished: false,
            done: Vec::new(),
            open: Open::None,
            calls: 0,
            last: None,
        }
    }

    /// `response.created` and `response.in_progress`. Idempotent.
    pub fn start(&mut self, out: &mut BytesMut) {
        if self.started {
            return;
        }
        self.started = true;
        let snapshot = response_object(&self.meta, Status::InProgress, Vec::new(), None, None);
        self.event("response.created", json!({"response": snapshot}), out);
        let snapshot = response_object(&self.meta, Status::InProgress, Vec::new(), None, None);
        self.event("response.in_progress", json!({"response": snapshot}), out);
    }

    pub fn push(&mut self, ev: &StreamEvent, out: &mut BytesMut) {
        if self.finished {
            return;
        }
        self.start(out);
        match ev {
            StreamEvent::ThinkingDelta { text } if !text.is_empty() => self.thinking(text, out),
            StreamEvent::ThinkingSignature { signature } => {
                if !matches!(self.open, Open::Reasoning { .. }) {
                    // A signature with no text before it still closes a (empty) thinking block.
                    self.close(out);
                    self.open_reasoning(out);
                }
                self.close_reasoning(Some(signature), out);
            }
            StreamEvent::TextDelta { text } if !text.is_empty() => self.text(text, out),
            StreamEvent::ToolCall {
                id,
                name,
                arguments,
            } => self.tool_call(id, name, arguments, out),
            StreamEvent::Finish { stop_reason, usage } => {
                self.close(out);
                let status = Status::of(*stop_reason);
                let output = std::mem::take(&mut self.done);
                let snapshot = response_object(&self.meta, status, output, Some(usage), None);
                let name = match status {
                    Status::Incomplete(_) => "response.incomplete",
                    _ => "response.completed",
                };
                self.event(name, json!({"response": &snapshot}), out);
                self.last = Some(snapshot);
                self.finished = true;
            }
            // Interim usage is only reported at the end; empty deltas carry nothing.
            StreamEvent::TextDelta { .. }
            | StreamEvent::ThinkingDelta { .. }
            | StreamEvent::Usage { .. } => {}
        }
    }

    /// A failure after streaming began: `response.failed` with the error, as the API ends a
    /// stream it cannot finish.
    pub fn error(&mut self, err: &ErrorInfo, out: &mut BytesMut) {
        if self.finished {
            return;
        }
        self.start(out);
        self.close(out);
        let output = std::mem::take(&mut self.done);
        let snapshot = response_object(
            &self.meta,
            Status::Failed,
            output,
            None,
            Some(failure_json(err)),
        );
        self.event("response.failed", json!({"response": snapshot}), out);
        self.finished = true;
    }

    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The complete response object, once the stream has finished it.
    pub fn final_response(&self) -> Option<&Value> {
        self.last.as_ref()
    }

    fn output_index(&self) -> usize {
        self.done.len()
    }

    fn thinking(&mut self, text: &str, out: &mut BytesMut) {
        if !matches!(self.open, Open::Reasoning { .. }) {
            self.close(out);
            self.open_reasoning(out);
        }
        let show = self.meta.request.show_summary;
        let index = self.output_index();
        let Open::Reasoning { id, text: so_far } = &mut self.open else {
            return;
        };
        let first = so_far.is_empty();
        so_far.push_str(text);
        let id = id.clone();
        if !show {
            return;
        }
        if first {
            self.event(
                "response.reasoning_summary_part.added",
                json!({"item_id": id, "output_index": index, "summary_index": 0,
                       "part": {"type": "summary_text", "text": ""}}),
                out,
            );
        }
        self.event(
            "response.reasoning_summary_text.delta",
            json!({"item_id": id, "output_index": index, "summary_index": 0, "delta": text}),
            out,
        );
    }

    fn open_reasoning(&mut self, out: &mut BytesMut) {
        let index = self.output_index();
        let id = self.meta.item_id("rs", index);
        self.event(
            "response.output_item.added",
            json!({"output_index": index,
                   "item": {"id": id, "type": "reasoning", "summary": []}}),
            out,
        );
        self.open = Open::Reasoning {
            id,
            text: String::new(),
        };
    }

    fn close_reasoning(&mut self, signature: Option<&str>, out: &mut BytesMut) {
        let Open::Reasoning { id, text } = std::mem::replace(&mut self.open, Open::None) else {
            return;
        };
        let index = self.output_index();
        if self.meta.request.show_summary && !text.is_empty() {
            self.event(
                "response.reasoning_summary_text.done",
                json!({"item_id": id, "output_index": index, "summary_index": 0, "text": text}),
                out,
            );
            self.event(
                "response.reasoning_summary_part.done",
                json!({"item_id": id, "output_index": index, "summary_index": 0,
                       "part": {"type": "summary_text", "text": text}}),
                out,
            );
        }
        let item = reasoning_item(&id, &text, signature, &self.meta.request);
        self.item_done(item, out);
    }

    fn text(&mut self, text: &str, out: &mut BytesMut) {
        if !matches!(self.open, Open::Message { .. }) {
            self.close(out);
            let index = self.output_index();
            let id = self.meta.item_id("msg", index);
            self.event(
                "response.output_item.added",
                json!({"output_index": index, "item": message_item(&id, "", "in_progress")}),
                out,
            );
            self.event(
                "response.content_part.added",
                json!({"item_id": id, "output_index": index, "content_index": 0,
                       "part": output_text("")}),
                out,
            );
            self.open = Open::Message {
                id,
                text: String::new(),
            };
        }
        let index = self.output_index();
        let Open::Message { id, text: so_far } = &mut self.open else {
            return;
        };
        so_far.push_str(text);
        let id = id.clone();
        self.event(
            "response.output_text.delta",
            json!({"item_id": id, "output_index": index, "content_index": 0, "delta": text,
                   "logprobs": []}),
            out,
        );
    }

    fn close_message(&mut self, out: &mut BytesMut) {
        let Open::Message { id, text } = std::mem::replace(&mut self.open, Open::None) else {
            return;
        };
        let index = self.output_index();
        self.event(
            "response.output_text.done",
            json!({"item_id": id, "output_index": index, "content_index": 0, "text": text,
                   "logprobs": []}),
            out,
        );
        self.event(
            "response.content_part.done",
            json!({"item_id": id, "output_index": index, "content_index": 0,
                   "part": output_text(&text)}),
            out,
        );
        self.item_done(message_item(&id, &text, "completed"), out);
    }

    /// A call arrives complete: added, its arguments in one delta, done.
    fn tool_call(&mut self, call_id: &str, name: &str, input: &Value, out: &mut BytesMut) {
        self.close(out);
        if self
            .meta
            .request
            .max_tool_calls
            .is_some_and(|max| self.calls >= max)
        {
            return;
        }
        self.calls += 1;
        let index = self.output_index();
        let id = self.meta.item_id("fc", index);
        let done = call_item(&id, call_id, name, input, "completed", &self.meta.request);
        let mut added = done.clone();
        added["status"] = "in_progress".into();
        let custom = done["type"] == "custom_tool_call";
        if custom {
            added["input"] = "".into();
        } else {
            added["arguments"] = "".into();
        }
        self.event(
            "response.output_item.added",
            json!({"output_index": index, "item": added}),
            out,
        );
        if custom {
            let input = custom_input(input);
            self.event(
                "response.custom_tool_call_input.delta",
                json!({"item_id": id, "output_index": index, "delta": input}),
                out,
            );
            self.event(
                "response.custom_tool_call_input.done",
                json!({"item_id": id, "output_index": index, "input": input}),
                out,
            );
        } else {
            let arguments = arguments_string(input);
            self.event(
                "response.function_call_arguments.delta",
                json!({"item_id": id, "output_index": index, "delta": arguments}),
                out,
            );
            self.event(
                "response.function_call_arguments.done",
                json!({"item_id": id, "output_index": index, "name": done["name"],
                       "arguments": arguments}),
                out,
            );
        }
        self.item_done(done, out);
    }

    fn close(&mut self, out: &mut BytesMut) {
        match self.open {
            Open::None => {}
            Open::Reasoning { .. } => self.close_reasoning(None, out),
            Open::Message { .. } => self.close_message(out),
        }
    }

    fn item_done(&mut self, item: Value, out: &mut BytesMut) {
        let index = self.output_index();
        self.event(
            "response.output_item.done",
            json!({"output_index": index, "item": item}),
            out,
        );
        self.done.push(item);
    }

    fn event(&mut self, name: &str, mut payload: Value, out: &mut BytesMut) {
        payload["type"] = Value::String(name.to_owned());
        payload["sequence_number"] = self.sequence.into();
        self.sequence += 1;
        out.put_slice(b"event: ");
        out.put_slice(name.as_bytes());
        out.put_slice(b"\ndata: ");
        let mut writer = out.writer();
        serde_json::to_writer(&mut writer, &payload).expect("a JSON value always serializes");
        let out = writer.into_inner();
        out.put_slice(b"\n\n");
    }
}
