//! IR messages → upstream `contents`: roles, merged turns, parts, tool results and replayed
//! thinking with its signatures.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::SKIP_SIGNATURE;
use super::signatures::SignatureStore;
use crate::catalogue::Family;
use crate::translate::ir::{Block, ErrorInfo, ImageSource, Message, Role, ToolResultContent};

/// One upstream content before rendering: adjacent same-role messages already merged.
#[derive(Debug, Clone)]
pub(super) struct Turn {
    pub model: bool,
    pub blocks: Vec<Block>,
}

/// Groups messages into alternating turns. Mid-conversation system messages become
/// `<system-reminder>` text in a user turn (the upstream has no system role inside `contents`),
/// and adjacent same-role messages merge, since Claude wants strict alternation.
pub(super) fn merge_turns(messages: &[Message]) -> Vec<Turn> {
    let mut turns: Vec<Turn> = Vec::new();
    for msg in messages {
        let (model, blocks) = match msg.role {
            Role::Assistant => (true, msg.content.clone()),
            Role::User => (false, msg.content.clone()),
            Role::System => {
                let text = msg
                    .content
                    .iter()
                    .filter_map(|b| match b {
                        Block::Text { text } if !text.trim().is_empty() => Some(text.as_str()),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                if text.is_empty() {
                    continue;
                }
                let text = format!("<system-reminder>\n{text}\n</system-reminder>");
                (false, vec![Block::Text { text }])
            }
        };
        match turns.last_mut() {
            Some(last) if last.model == model => last.blocks.extend(blocks),
            _ => turns.push(Turn { model, blocks }),
        }
    }
    turns
}

/// What happens to a replayed Claude thinking block.
enum Fate {
    Keep(String),
    Unsigned,
    Foreign,
}

#[derive(Default)]
struct Dropped {
    unsigned: usize,
    foreign: usize,
    redacted: usize,
    not_replayed: usize,
    misplaced: usize,
}

/// Renders turns into `contents` for one target family.
pub(super) struct Encoder<'a> {
    pub family: Family,
    pub model_id: &'a str,
    pub store: Option<&'a SignatureStore>,
    pub now_ms: i64,
    pub thinking: bool,
    /// Whether the target model takes images at all.
    pub images: bool,
    /// Token counting skips what a real request refuses (URL images, images for text models).
    pub lenient: bool,
    pub notes: Vec<String>,
    dropped: Dropped,
}

impl<'a> Encoder<'a> {
    pub fn new(family: Family, model_id: &'a str, store: Option<&'a SignatureStore>) -> Self {
        Self {
            family,
            model_id,
            store,
            now_ms: 0,
            thinking: false,
            images: true,
            lenient: false,
            notes: Vec::new(),
            dropped: Dropped::default(),
        }
    }

    /// With thinking on, Claude wants the assistant turn of an open tool loop to start with its
    /// signed thinking. Re-inject the remembered block when the client dropped it; otherwise turn
    /// thinking off for this request, since a signature can never be invented.
    pub fn secure_tool_loop(&mut self, turns: &mut [Turn]) {
        if self.family != Family::Claude || !self.thinking {
            return;
        }
        let Some(last) = turns.iter_mut().rev().find(|t| t.model) else {
            return;
        };
        let tool_ids: Vec<&str> = last
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::ToolUse { id, .. } => Some(id.as_str()),
                _ => None,
            })
            .collect();
        if tool_ids.is_empty() {
            return;
        }
        let signed = last.blocks.iter().any(|b| match b {
            Block::Thinking { text, signature } => {
                matches!(self.claude_fate(text, signature.as_deref()), Fate::Keep(_))
            }
            _ => false,
        });
        if signed {
            return;
        }
        let remembered = self
            .store
            .and_then(|s| {
                tool_ids
                    .iter()
                    .find_map(|id| s.thinking_for_tool(id, self.now_ms))
            })
            .filter(|t| t.family == Family::Claude)
            .cloned();
        if let Some(t) = remembered {
            last.blocks.insert(
                0,
                Block::Thinking {
                    text: t.text,
                    signature: Some(t.signature),
                },
            );
            self.notes.push(
                "re-injected the remembered signed thinking into the last assistant tool turn"
                    .into(),
            );
        } else {
            self.thinking = false;
            self.notes.push(
                "thinking disabled for this request: the last assistant tool call has no signed \
                 thinking block and none is remembered"
                    .into(),
            );
        }
    }

    pub fn encode(&mut self, turns: &[Turn]) -> Result<Vec<Value>, ErrorInfo> {
        let names = tool_names(turns);
        let mut out = Vec::with_capacity(turns.len());
        let mut prev_calls: Vec<String> = Vec::new();
        for turn in turns {
            let parts = if turn.model {
                let (parts, calls) = self.model_parts(&turn.blocks)?;
                prev_calls = calls;
                parts
            } else {
                self.user_parts(&turn.blocks, &names, &prev_calls)?
            };
            // Claude rejects contents without parts.
            let parts = if parts.is_empty() {
                vec![json!({"text": "."})]
            } else {
                parts
            };
            let role = if turn.model { "model" } else { "user" };
            out.push(object([
                ("role", Value::from(role)),
                ("parts", Value::Array(parts)),
            ]));
        }
        self.lead_with_user(&mut out);
        self.note_drops();
        Ok(out)
    }

    /// Gemini refuses contents that open with a model turn ("function call turn comes
    /// immediately after a user turn…", `CLIProxyAPI` #4959), so they get the empty user turn
    /// `CLIProxyAPI` prepends (62f5a2798) for every non-Claude target. Claude refuses the empty
    /// text part and is not known to refuse model-first contents, so it is left alone.
    fn lead_with_user(&mut self, contents: &mut Vec<Value>) {
        let model_first = contents
            .first()
            .is_some_and(|c| c.get("role").and_then(Value::as_str) == Some("model"));
        if self.family == Family::Claude || !model_first {
            return;
        }
        contents.insert(0, json!({"role": "user", "parts": [{"text": ""}]}));
        self.notes
            .push("an empty user turn leads the contents (they opened with the model)".into());
    }

    /// Parts of an assistant turn, reordered thinking → text → tool calls as Claude requires,
    /// and the ids of its tool calls (in order).
    fn model_parts(&mut self, blocks: &[Block]) -> Result<(Vec<Value>, Vec<String>), ErrorInfo> {
        let (mut thoughts, mut body, mut calls, mut ids) = (vec![], vec![], vec![], vec![]);
        for block in blocks {
            match block {
                Block::Text { text } => push_text(&mut body, text),
                Block::Image { source } => body.extend(self.image(source)?),
                Block::Thinking { text, signature } => {
                    thoughts.extend(self.thinking_part(text, signature.as_deref()));
                }
                Block::RedactedThinking { .. } => self.dropped.redacted += 1,
                Block::ToolUse { id, name, input } => {
                    calls.push(self.call_part(id, name, input));
                    ids.push(id.clone());
                }
                Block::ToolResult { .. } => self.dropped.misplaced += 1,
            }
        }
        thoughts.append(&mut body);
        thoughts.append(&mut calls);
        Ok((thoughts, ids))
    }

    /// Parts of a user turn: every tool response first, in the order the calls were made (Claude
    /// wants them consecutive), each with its own images, then the user's own parts.
    fn user_parts(
        &mut self,
        blocks: &[Block],
        names: &HashMap<&str, &str>,
        prev_calls: &[String],
    ) -> Result<Vec<Value>, ErrorInfo> {
        let (mut responses, mut rest) = (vec![], vec![]);
        for block in blocks {
            match block {
                Block::Text { text } => push_text(&mut rest, text),
                Block::Image { source } => rest.extend(self.image(source)?),
                Block::ToolResult {
                    tool_use_id,
                    content,
                    is_error,
                } => {
                    let order = prev_calls
                        .iter()
                        .position(|c| c == tool_use_id)
                        .unwrap_or(usize::MAX);
                    let mut images = Vec::new();
                    for item in content {
                        if let ToolResultContent::Image { source } = item {
                            images.extend(self.image(source)?);
                        }
                    }
                    let part = self.response_part(tool_use_id, content, *is_error, names, images);
                    responses.push((order, part));
                }
                Block::Thinking { .. } | Block::RedactedThinking { .. } | Block::ToolUse { .. } => {
                    self.dropped.misplaced += 1;
                }
            }
        }
        responses.sort_by_key(|(order, _)| *order);
        let mut parts: Vec<Value> = responses.into_iter().map(|(_, p)| p).collect();
        parts.append(&mut rest);
        Ok(parts)
    }

    fn thinking_part(&mut self, text: &str, signature: Option<&str>) -> Option<Value> {
        if self.family != Family::Claude || !self.thinking {
            self.dropped.not_replayed += 1;
            return None;
        }
        match self.claude_fate(text, signature) {
            Fate::Keep(sig) => {
                Some(json!({"text": text, "thought": true, "thoughtSignature": sig}))
            }
            Fate::Unsigned => {
                self.dropped.unsigned += 1;
                None
            }
            Fate::Foreign => {
                self.dropped.foreign += 1;
                None
            }
        }
    }

    fn claude_fate(&self, text: &str, signature: Option<&str>) -> Fate {
        let store = self.store;
        match signature.filter(|s| !s.is_empty()) {
            Some(sig) => match store.and_then(|s| s.signature_family(sig, self.now_ms)) {
                Some(family) if family != Family::Claude => Fate::Foreign,
                _ => Fate::Keep(sig.to_owned()),
            },
            None => match store.and_then(|s| s.thinking_signature(text, self.now_ms)) {
                Some((Family::Claude, sig)) => Fate::Keep(sig.to_owned()),
                _ => Fate::Unsigned,
            },
        }
    }

    fn call_part(&self, id: &str, name: &str, input: &Value) -> Value {
        let args = if input.is_object() {
            input.clone()
        } else {
            json!({})
        };
        let mut call = Map::new();
        call.insert("name".into(), Value::from(name));
        call.insert("args".into(), args);
        if !id.is_empty() {
            call.insert("id".into(), Value::from(id));
        }
        let mut part = object([("functionCall", Value::Object(call))]);
        if self.family == Family::Gemini {
            // Gemini 3 rejects a replayed call without its signature; the sentinel is accepted.
            let sig = self
                .store
                .and_then(|s| s.tool_signature(id, self.now_ms))
                .unwrap_or(SKIP_SIGNATURE);
            part["thoughtSignature"] = Value::from(sig);
        }
        part
    }

    /// A `functionResponse` with the result's images nested in its `parts`: the gateway shows
    /// the model a tool's images only there, as `inlineData` with a `mimeType` (`CLIProxyAPI`
    /// 79ef3618d, #5070); sibling parts after the response are not seen.
    fn response_part(
        &mut self,
        id: &str,
        content: &[ToolResultContent],
        is_error: bool,
        names: &HashMap<&str, &str>,
        images: Vec<Value>,
    ) -> Value {
        let name = if let Some(name) = names.get(id) {
            (*name).to_owned()
        } else {
            self.notes.push(format!(
                "tool result {id} answers no tool call in the history; its id is used as the name"
            ));
            id.to_owned()
        };
        let text = content
            .iter()
            .filter_map(|c| match c {
                ToolResultContent::Text { text } => Some(text.as_str()),
                ToolResultContent::Image { .. } => None,
            })
            .collect::<Vec<_>>()
            .join("\n");
        let key = if is_error { "error" } else { "result" };
        let response = if !text.trim().is_empty() {
            object([(key, Value::from(text))])
        } else if !images.is_empty() {
            // The images are the output: no invented text next to them.
            object([(key, Value::from(""))])
        } else if is_error {
            json!({"error": "Tool execution failed with no output."})
        } else {
            json!({"result": "Command executed successfully."})
        };
        let mut call = Map::new();
        call.insert("name".into(), Value::from(name));
        call.insert("id".into(), Value::from(id));
        call.insert("response".into(), response);
        if !images.is_empty() {
            call.insert("parts".into(), Value::Array(images));
        }
        object([("functionResponse", Value::Object(call))])
    }

    fn image(&self, source: &ImageSource) -> Result<Option<Value>, ErrorInfo> {
        if !self.images {
            if self.lenient {
                return Ok(None);
            }
            return Err(ErrorInfo::invalid(
                "image",
                format!(
                    "model {} does not accept images; remove them or choose a model that does",
                    self.model_id
                ),
            ));
        }
        let (mime, data) = match source {
            ImageSource::Base64 { media_type, data } => (media_type.as_str(), data.as_str()),
            ImageSource::Url { url } => match parse_data_url(url) {
                Some(found) => found,
                None if self.lenient => return Ok(None),
                None => {
                    let shown: String = url.chars().take(80).collect();
                    return Err(ErrorInfo::invalid(
                        "image",
                        format!(
                            "image URLs are not fetched by this proxy ({shown}); send the image \
                             as base64 / a data: URL"
                        ),
                    ));
                }
            },
        };
        Ok(Some(
            json!({"inlineData": {"mimeType": mime, "data": data}}),
        ))
    }

    fn note_drops(&mut self) {
        let d = std::mem::take(&mut self.dropped);
        let why = [
            (
                d.unsigned,
                "unsigned thinking block(s) with no remembered signature dropped",
            ),
            (
                d.foreign,
                "thinking block(s) signed by another model family dropped",
            ),
            (d.redacted, "redacted thinking block(s) dropped"),
            (
                d.not_replayed,
                "thinking block(s) not replayed (thinking off or not Claude)",
            ),
            (d.misplaced, "block(s) in the wrong role dropped"),
        ];
        for (n, what) in why {
            if n > 0 {
                self.notes.push(format!("{n} {what}"));
            }
        }
    }
}

/// A JSON object from owned values, in this order (`json!` would deep-copy every value given to
/// it through `to_value`: whole conversations, for the contents list).
fn object<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Object(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

fn push_text(parts: &mut Vec<Value>, text: &str) {
    // Claude rejects empty text parts; whitespace-only blocks carry nothing worth keeping.
    if !text.trim().is_empty() {
        parts.push(json!({"text": text}));
    }
}

/// `data:<mime>;base64,<data>` → (mime, data).
fn parse_data_url(url: &str) -> Option<(&str, &str)> {
    let (header, data) = url.strip_prefix("data:")?.split_once(',')?;
    let mime = header.strip_suffix(";base64")?;
    (!mime.is_empty() && !data.is_empty()).then_some((mime, data))
}

/// Tool call id → function name over the whole history: a `functionResponse` must carry the
/// function's name, which the IR's tool result only knows by id.
fn tool_names(turns: &[Turn]) -> HashMap<&str, &str> {
    turns
        .iter()
        .flat_map(|t| &t.blocks)
        .filter_map(|b| match b {
            Block::ToolUse { id, name, .. } => Some((id.as_str(), name.as_str())),
            _ => None,
        })
        .collect()
}
