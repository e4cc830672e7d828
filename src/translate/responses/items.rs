//! Responses API `input` items → IR system parts and conversation: messages of every role,
//! function and custom tool calls with their outputs, and reasoning items carried back.
//!
//! Consecutive assistant-side items (reasoning, message, calls) form one assistant turn and
//! consecutive tool outputs one user turn, the way the upstream wants its history.

use serde_json::{Map, Value, json};

use super::reasoning;
use super::tools::ToolNames;
use super::wire::{RawItem, RawPart, StrOr};
use crate::translate::ir::{
    Block, ErrorInfo, ImageSource, Message, Role, ToolResultContent, unanswered_tool_result,
};
use crate::translate::openai::image_source;

/// Converts `input` into leading system parts and the conversation.
pub(super) fn convert(
    input: StrOr<Vec<RawItem>>,
) -> Result<(Vec<String>, Vec<Message>), ErrorInfo> {
    let items = match input {
        StrOr::Str(text) => {
            return Ok((
                Vec::new(),
                vec![Message {
                    role: Role::User,
                    content: vec![Block::Text { text }],
                }],
            ));
        }
        StrOr::Other(items) => items,
    };
    let mut conv = Converter::default();
    for (i, item) in items.into_iter().enumerate() {
        conv.item(i, item)?;
    }
    Ok((conv.system, conv.messages))
}

/// Every tool output answers a call made earlier in the conversation (after a stored
/// `previous_response_id` conversation has been put in front of the new items).
pub fn check_outputs(messages: &[Message]) -> Result<(), ErrorInfo> {
    match unanswered_tool_result(messages) {
        None => Ok(()),
        Some(call_id) => Err(ErrorInfo::invalid(
            "input",
            format!(
                "no function_call with call_id {call_id:?} precedes its output (send the call \
                 item, or previous_response_id of the response that made it)"
            ),
        )),
    }
}

#[derive(Default)]
struct Converter {
    system: Vec<String>,
    messages: Vec<Message>,
    /// Set once a non-system item is seen: later system messages stay in the conversation.
    past_leading_system: bool,
}

impl Converter {
    fn item(&mut self, i: usize, item: RawItem) -> Result<(), ErrorInfo> {
        let path = format!("input[{i}]");
        let kind = match (&item.kind, &item.role) {
            (Some(kind), _) => kind.clone(),
            (None, Some(_)) => "message".to_owned(),
            (None, None) => return Err(ErrorInfo::invalid(&format!("{path}.type"), "required")),
        };
        match kind.as_str() {
            "message" => self.message(&path, item),
            "reasoning" => {
                if let Some(block) = reasoning_block(&item) {
                    self.push(Role::Assistant, block);
                }
                Ok(())
            }
            "function_call" => {
                let id = required(item.call_id, &format!("{path}.call_id"))?;
                let name = required(item.name, &format!("{path}.name"))?;
                let input = arguments(item.arguments.as_deref(), &format!("{path}.arguments"))?;
                let name = ToolNames::flatten(item.namespace.as_deref(), &name);
                self.push(Role::Assistant, Block::ToolUse { id, name, input });
                Ok(())
            }
            "custom_tool_call" => {
                let id = required(item.call_id, &format!("{path}.call_id"))?;
                let name = required(item.name, &format!("{path}.name"))?;
                let name = ToolNames::flatten(item.namespace.as_deref(), &name);
                let input = json!({"input": item.input.unwrap_or_default()});
                self.push(Role::Assistant, Block::ToolUse { id, name, input });
                Ok(())
            }
            "function_call_output" | "custom_tool_call_output" => {
                let tool_use_id = required(item.call_id, &format!("{path}.call_id"))?;
                let output = item
                    .output
                    .ok_or_else(|| ErrorInfo::invalid(&format!("{path}.output"), "required"))?;
                let content = output_content(output, &format!("{path}.output"))?;
                self.push_result(Block::ToolResult {
                    tool_use_id,
                    content,
                    is_error: false,
                });
                Ok(())
            }
            "item_reference" => Err(ErrorInfo::invalid(
                &format!("{path}.type"),
                "item references are not served; send the item itself or previous_response_id",
            )),
            other => Err(ErrorInfo::invalid(
                &format!("{path}.type"),
                format!(
                    "unsupported input item type {other:?}; expected message, reasoning, \
                     function_call, function_call_output, custom_tool_call or \
                     custom_tool_call_output"
                ),
            )),
        }
    }

    fn message(&mut self, path: &str, item: RawItem) -> Result<(), ErrorInfo> {
        let role = required(item.role, &format!("{path}.role"))?;
        let content_path = format!("{path}.content");
        let content = item
            .content
            .ok_or_else(|| ErrorInfo::invalid(&content_path, "required"))?;
        match role.as_str() {
            "system" | "developer" => {
                let texts = message_blocks(content, &content_path, false)?;
                if self.past_leading_system {
                    self.messages.push(Message {
                        role: Role::System,
                        content: texts,
                    });
                } else {
                    self.system
                        .extend(texts.into_iter().filter_map(|b| match b {
                            Block::Text { text } => Some(text),
                            _ => None,
                        }));
                }
                Ok(())
            }
            "user" => {
                for block in message_blocks(content, &content_path, true)? {
                    self.push(Role::User, block);
                }
                Ok(())
            }
            "assistant" => {
                for block in message_blocks(content, &content_path, false)? {
                    self.push(Role::Assistant, block);
                }
                Ok(())
            }
            other => Err(ErrorInfo::invalid(
                &format!("{path}.role"),
                format!("unknown role {other:?}; expected user, assistant, system or developer"),
            )),
        }
    }

    /// Appends to the last message when it has the same role, else starts a new one.
    fn push(&mut self, role: Role, block: Block) {
        self.past_leading_system = true;
        match self.messages.last_mut() {
            Some(last) if last.role == role => last.content.push(block),
            _ => self.messages.push(Message {
                role,
                content: vec![block],
            }),
        }
    }

    /// Tool outputs are user-side content: they join the user turn that follows the calls.
    fn push_result(&mut self, block: Block) {
        self.push(Role::User, block);
    }
}

fn required(value: Option<String>, path: &str) -> Result<String, ErrorInfo> {
    match value {
        Some(v) if !v.is_empty() => Ok(v),
        Some(_) => Err(ErrorInfo::invalid(path, "must not be empty")),
        None => Err(ErrorInfo::invalid(path, "required")),
    }
}

/// A thinking block: text and signature from this proxy's `encrypted_content`, else the
/// summary's text without a signature (the upstream builder decides whether it can be replayed).
fn reasoning_block(item: &RawItem) -> Option<Block> {
    if let Some(carried) = item
        .encrypted_content
        .as_deref()
        .and_then(reasoning::decode)
    {
        return Some(Block::Thinking {
            text: carried.text,
            signature: carried.signature,
        });
    }
    let text: Vec<&str> = item
        .summary
        .iter()
        .flatten()
        .map(|s| s.text.as_str())
        .filter(|t| !t.is_empty())
        .collect();
    (!text.is_empty()).then(|| Block::Thinking {
        text: text.join("\n\n"),
        signature: None,
    })
}

/// Arguments are a JSON object in a string; an empty string means no arguments.
fn arguments(raw: Option<&str>, path: &str) -> Result<Value, ErrorInfo> {
    let raw = raw.unwrap_or_default().trim();
    if raw.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    match serde_json::from_str::<Value>(raw) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(ErrorInfo::invalid(path, "must be a JSON object")),
        Err(e) => Err(ErrorInfo::invalid(path, format!("invalid JSON: {e}"))),
    }
}

fn message_blocks(
    content: StrOr<Vec<RawPart>>,
    path: &str,
    images: bool,
) -> Result<Vec<Block>, ErrorInfo> {
    let parts = match content {
        StrOr::Str(text) => return Ok(vec![Block::Text { text }]),
        StrOr::Other(parts) => parts,
    };
    let mut blocks = Vec::with_capacity(parts.len());
    for (j, part) in parts.into_iter().enumerate() {
        let part_path = format!("{path}[{j}]");
        match part_content(part, &part_path, images)? {
            ToolResultContent::Text { text } => blocks.push(Block::Text { text }),
            ToolResultContent::Image { source } => blocks.push(Block::Image { source }),
        }
    }
    Ok(blocks)
}

fn output_content(
    output: StrOr<Vec<RawPart>>,
    path: &str,
) -> Result<Vec<ToolResultContent>, ErrorInfo> {
    match output {
        StrOr::Str(text) => Ok(vec![ToolResultContent::Text { text }]),
        StrOr::Other(parts) => parts
            .into_iter()
            .enumerate()
            .map(|(j, part)| part_content(part, &format!("{path}[{j}]"), true))
            .collect(),
    }
}

fn part_content(part: RawPart, path: &str, images: bool) -> Result<ToolResultContent, ErrorInfo> {
    match part.kind.as_str() {
        "input_text" | "output_text" | "text" | "summary_text" | "reasoning_text" => part
            .text
            .map(|text| ToolResultContent::Text { text })
            .ok_or_else(|| ErrorInfo::invalid(&format!("{path}.text"), "required")),
        // What the model said when it refused is still what it said.
        "refusal" => part
            .refusal
            .map(|text| ToolResultContent::Text { text })
            .ok_or_else(|| ErrorInfo::invalid(&format!("{path}.refusal"), "required")),
        "input_image" if images => {
            if part.file_id.is_some() && part.image_url.is_none() {
                return Err(ErrorInfo::invalid(
                    &format!("{path}.file_id"),
                    "uploaded files are not served; send the image as image_url (a data: or \
                     http(s) URL)",
                ));
            }
            let url = part
                .image_url
                .ok_or_else(|| ErrorInfo::invalid(&format!("{path}.image_url"), "required"))?;
            let source: ImageSource = image_source(&url, &format!("{path}.image_url"))?;
            Ok(ToolResultContent::Image { source })
        }
        "input_image" => Err(ErrorInfo::invalid(
            &format!("{path}.type"),
            "images are only supported in user messages and tool outputs",
        )),
        kind @ ("input_file" | "input_audio") => Err(ErrorInfo::invalid(
            &format!("{path}.type"),
            format!("{kind:?} content is not supported"),
        )),
        other => Err(ErrorInfo::invalid(
            &format!("{path}.type"),
            format!(
                "unknown content part type {other:?}; expected input_text, output_text or input_image"
            ),
        )),
    }
}
