//! Upstream SSE payloads → IR stream events: text, thinking and signatures, tool calls, usage,
//! the stop reason, and the in-band notices (a retired model, a refused client version) that
//! must become errors instead of answers.

use std::fmt::Write as _;
use std::sync::Arc;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::notices::{NoticeKind, Notices, Probe};
use super::signatures::SignatureRecord;
use super::structured::StructuredTool;
use super::tools::PLACEHOLDER_PROPERTY;
use crate::catalogue::Family;
use crate::translate::ir::{StopReason, StreamEvent, Usage};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("the upstream stream ended without any content")]
    EmptyStream,
    #[error("the upstream rejected this client version: {message}")]
    VersionRejected { message: String },
    #[error("the upstream retired this model: {message}")]
    ModelRetired { message: String },
    #[error("malformed upstream stream data: {message}")]
    Malformed { message: String },
}

/// Whether visible text is still being held back in case it is a notice.
#[derive(Debug)]
enum Gate {
    Checking(String),
    Passed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    None,
    Text,
    Thinking,
}

/// Decodes one upstream response stream. Feed every SSE `data:` payload to `push`, then call
/// `finish`.
#[derive(Debug)]
pub struct StreamDecoder {
    family: Family,
    placeholder_tools: Vec<String>,
    /// The synthetic structured-output tool: its call is the answer's text, not a tool call.
    structured: Option<StructuredTool>,
    id_seed: String,
    generated_ids: u64,
    open: Open,
    /// Text of the open thinking block, kept to record it with its signature.
    thinking_text: String,
    /// The last signed thinking block of this response: Claude tool calls after it belong to it.
    last_signed: Option<(String, String)>,
    gate: Gate,
    saw_output: bool,
    saw_tool_call: bool,
    finish_reason: Option<String>,
    usage: Option<Usage>,
    records: Vec<SignatureRecord>,
    finished: bool,
    notices: Arc<Notices>,
}

impl StreamDecoder {
    /// `id_seed` makes generated tool ids deterministic; `placeholder_tools` come from the plan.
    pub fn new(family: Family, placeholder_tools: Vec<String>, id_seed: &str) -> Self {
        Self {
            family,
            placeholder_tools,
            structured: None,
            id_seed: id_seed.to_owned(),
            generated_ids: 0,
            open: Open::None,
            thinking_text: String::new(),
            last_signed: None,
            gate: Gate::Checking(String::new()),
            saw_output: false,
            saw_tool_call: false,
            finish_reason: None,
            usage: None,
            records: Vec::new(),
            finished: false,
            notices: Notices::builtin(),
        }
    }

    /// Checks the first text against `notices` (the built-in table extended by the user's)
    /// instead of the built-in table alone.
    #[must_use]
    pub fn with_notices(mut self, notices: Arc<Notices>) -> Self {
        self.notices = notices;
        self
    }

    /// Turns calls of the plan's synthetic structured-output tool into text (`UpstreamPlan::
    /// structured_tool`).
    #[must_use]
    pub fn with_structured_tool(mut self, tool: Option<StructuredTool>) -> Self {
        self.structured = tool;
        self
    }

    /// Decodes one payload: `{"response": {...}}`, the bare response object, or an array of them.
    pub fn push(&mut self, chunk: &Value) -> Result<Vec<StreamEvent>, DecodeError> {
        let mut out = Vec::new();
        match chunk {
            Value::Array(items) => {
                for item in items {
                    self.push_one(item, &mut out)?;
                }
            }
            other => self.push_one(other, &mut out)?,
        }
        Ok(out)
    }

    /// Ends the stream: releases held text and emits the final `Finish`.
    pub fn finish(&mut self) -> Result<Vec<StreamEvent>, DecodeError> {
        if self.finished {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        self.release_text(&mut out);
        if !self.saw_output && self.finish_reason.is_none() {
            return Err(DecodeError::EmptyStream);
        }
        self.finished = true;
        out.push(StreamEvent::Finish {
            stop_reason: self.stop_reason(),
            usage: self.usage.unwrap_or_default(),
        });
        Ok(out)
    }

    /// Signatures seen so far, for the caller to put in the `SignatureStore`.
    pub fn take_signatures(&mut self) -> Vec<SignatureRecord> {
        std::mem::take(&mut self.records)
    }

    /// Whether any content was emitted (after which a retry elsewhere would duplicate output).
    pub fn saw_output(&self) -> bool {
        self.saw_output
    }

    fn push_one(&mut self, chunk: &Value, out: &mut Vec<StreamEvent>) -> Result<(), DecodeError> {
        let Some(outer) = chunk.as_object() else {
            return Err(DecodeError::Malformed {
                message: format!("expected a JSON object, got {}", short(chunk)),
            });
        };
        let response = outer
            .get("response")
            .and_then(Value::as_object)
            .unwrap_or(outer);
        if let Some(err) = response.get("error").or_else(|| outer.get("error")) {
            return Err(in_band_error(err, &self.notices));
        }
        let candidate = response
            .get("candidates")
            .and_then(Value::as_array)
            .and_then(|c| c.first());
        if let Some(candidate) = candidate {
            let parts = candidate
                .pointer("/content/parts")
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice);
            for part in parts {
                if let Some(part) = part.as_object() {
                    self.part(part, out)?;
                }
            }
            if let Some(reason) = candidate.get("finishReason").and_then(Value::as_str) {
                self.finish_reason = Some(reason.to_owned());
            }
        }
        let usage = response
            .get("usageMetadata")
            .or_else(|| outer.get("usageMetadata"));
        if let Some(usage) = usage.map(parse_usage)
            && self.usage != Some(usage)
        {
            self.usage = Some(usage);
            out.push(StreamEvent::Usage { usage });
        }
        Ok(())
    }

    fn part(
        &mut self,
        part: &Map<String, Value>,
        out: &mut Vec<StreamEvent>,
    ) -> Result<(), DecodeError> {
        let signature = part
            .get("thoughtSignature")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        let text = part.get("text").and_then(Value::as_str).unwrap_or("");
        if part.get("thought").and_then(Value::as_bool) == Some(true) {
            if !text.is_empty() {
                self.thinking_delta(text, out);
            }
            if let Some(sig) = signature {
                self.sign_thinking(sig, out);
            }
            return Ok(());
        }
        if let Some(call) = part.get("functionCall") {
            self.release_text(out);
            let id = self.call_id(call);
            if let Some(sig) = signature {
                if self.family != Family::Claude {
                    // Gemini's call signature is replayed from the store, never shown to clients.
                    self.records.push(SignatureRecord::ToolCall {
                        tool_id: id.clone(),
                        signature: sig.to_owned(),
                    });
                } else if self.open == Open::Thinking {
                    self.sign_thinking(sig, out);
                }
            }
            self.tool_call(call, id, out);
            return Ok(());
        }
        // A signature on a plain part closes an open thinking block: always for a bare
        // signature part, and for Claude also when it rides on the first text part.
        if let Some(sig) = signature
            && self.open == Open::Thinking
            && (self.family == Family::Claude || text.is_empty())
        {
            self.sign_thinking(sig, out);
        }
        if !text.is_empty() {
            self.text(text, out)?;
        }
        Ok(())
    }

    fn thinking_delta(&mut self, text: &str, out: &mut Vec<StreamEvent>) {
        self.release_text(out);
        if self.open != Open::Thinking {
            self.open = Open::Thinking;
            self.thinking_text.clear();
        }
        self.thinking_text.push_str(text);
        self.saw_output = true;
        out.push(StreamEvent::ThinkingDelta {
            text: text.to_owned(),
        });
    }

    /// Closes the open thinking block with its signature (once), and remembers the pair.
    fn sign_thinking(&mut self, sig: &str, out: &mut Vec<StreamEvent>) {
        if self.open != Open::Thinking {
            let repeated = self.last_signed.as_ref().is_some_and(|(_, s)| s == sig);
            if repeated {
                return;
            }
            // A signature with no thinking text before it: an empty signed block.
            self.thinking_text.clear();
        }
        self.release_text(out);
        let text = std::mem::take(&mut self.thinking_text);
        self.records.push(SignatureRecord::Thinking {
            family: self.family,
            text: text.clone(),
            signature: sig.to_owned(),
        });
        self.last_signed = Some((text, sig.to_owned()));
        self.open = Open::None;
        self.saw_output = true;
        out.push(StreamEvent::ThinkingSignature {
            signature: sig.to_owned(),
        });
    }

    fn text(&mut self, text: &str, out: &mut Vec<StreamEvent>) -> Result<(), DecodeError> {
        self.open = Open::Text;
        let Gate::Checking(held) = &mut self.gate else {
            self.saw_output = true;
            out.push(StreamEvent::TextDelta {
                text: text.to_owned(),
            });
            return Ok(());
        };
        held.push_str(text);
        match self.notices.probe(held) {
            Probe::Notice(kind) => Err(notice_error(kind, held.trim().to_owned())),
            Probe::Undecided => Ok(()),
            Probe::Answer => {
                self.release_text(out);
                Ok(())
            }
        }
    }

    /// Emits text held back by the notice check and stops checking.
    fn release_text(&mut self, out: &mut Vec<StreamEvent>) {
        if let Gate::Checking(held) = std::mem::replace(&mut self.gate, Gate::Passed)
            && !held.is_empty()
        {
            self.saw_output = true;
            out.push(StreamEvent::TextDelta { text: held });
        }
    }

    fn tool_call(&mut self, call: &Value, id: String, out: &mut Vec<StreamEvent>) {
        self.open = Open::None;
        let name = call
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let mut arguments = match call.get("args") {
            Some(Value::Object(args)) => Value::Object(args.clone()),
            Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
                Ok(parsed @ Value::Object(_)) => parsed,
                _ => json!({"value": s}),
            },
            None | Some(Value::Null) => json!({}),
            Some(other) => json!({"value": other}),
        };
        if let Some(tool) = self.structured.as_ref().filter(|t| t.name == name) {
            let text = structured_text(arguments, tool.unwrap.as_deref());
            self.release_text(out);
            self.saw_output = true;
            out.push(StreamEvent::TextDelta { text });
            return;
        }
        if self.placeholder_tools.contains(&name)
            && let Some(args) = arguments.as_object_mut()
        {
            args.remove(PLACEHOLDER_PROPERTY);
        }
        if self.family == Family::Claude
            && let Some((text, signature)) = &self.last_signed
        {
            self.records.push(SignatureRecord::ToolThinking {
                tool_id: id.clone(),
                family: self.family,
                text: text.clone(),
                signature: signature.clone(),
            });
        }
        self.saw_tool_call = true;
        self.saw_output = true;
        out.push(StreamEvent::ToolCall {
            id,
            name,
            arguments,
        });
    }

    /// The call's own id, or a deterministic one: sha256(seed:counter) as `toolu_` + 24 hex.
    fn call_id(&mut self, call: &Value) -> String {
        if let Some(id) = call
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        {
            return id.to_owned();
        }
        let n = self.generated_ids;
        self.generated_ids += 1;
        let hash = Sha256::digest(format!("{}:{n}", self.id_seed).as_bytes());
        let mut id = String::from("toolu_");
        for b in hash.iter().take(12) {
            // Writing into a String cannot fail.
            let _ = write!(id, "{b:02x}");
        }
        id
    }

    fn stop_reason(&self) -> StopReason {
        if self.saw_tool_call {
            return StopReason::ToolUse;
        }
        match self.finish_reason.as_deref() {
            Some("MAX_TOKENS") => StopReason::MaxTokens,
            Some("SAFETY" | "RECITATION" | "PROHIBITED_CONTENT" | "BLOCKLIST" | "SPII") => {
                StopReason::ContentFilter
            }
            _ => StopReason::EndTurn,
        }
    }
}

/// The answer's text from the synthetic tool's arguments: the object itself as JSON, or for
/// `json_object` the serialized string it carries (kept verbatim, even if it is not valid JSON,
/// so the client sees what the model wrote).
fn structured_text(arguments: Value, unwrap: Option<&str>) -> String {
    if let Some(property) = unwrap
        && let Value::Object(mut args) = arguments
    {
        return match args.remove(property) {
            Some(Value::String(s)) => s,
            // A model that sent the object itself instead of its serialization.
            Some(other) => other.to_string(),
            None => Value::Object(args).to_string(),
        };
    }
    arguments.to_string()
}

fn parse_usage(meta: &Value) -> Usage {
    let get = |k: &str| meta.get(k).and_then(Value::as_u64).unwrap_or(0);
    let prompt = get("promptTokenCount");
    let cached = get("cachedContentTokenCount");
    let thoughts = get("thoughtsTokenCount");
    let total = get("totalTokenCount");
    let mut candidates = get("candidatesTokenCount");
    if candidates == 0 && total > 0 {
        candidates = total.saturating_sub(prompt).saturating_sub(thoughts);
    }
    Usage {
        input_tokens: prompt.saturating_sub(cached),
        output_tokens: candidates.saturating_add(thoughts),
        cached_input_tokens: cached,
        thinking_tokens: thoughts,
    }
}

fn notice_error(kind: NoticeKind, message: String) -> DecodeError {
    match kind {
        NoticeKind::Version => DecodeError::VersionRejected { message },
        NoticeKind::Retired => DecodeError::ModelRetired { message },
    }
}

fn in_band_error(err: &Value, notices: &Notices) -> DecodeError {
    let message = err
        .get("message")
        .and_then(Value::as_str)
        .map_or_else(|| short(err), str::to_owned);
    if let Some(kind) = notices.find_in(&message) {
        return notice_error(kind, message);
    }
    let code = err.get("code").map(short).unwrap_or_default();
    DecodeError::Malformed {
        message: format!("upstream error inside the stream {code}: {message}"),
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() <= 200 {
        return s;
    }
    let cut = (0..=200)
        .rev()
        .find(|i| s.is_char_boundary(*i))
        .unwrap_or(0);
    format!("{}…", &s[..cut])
}

#[cfg(test)]
mod tests;
