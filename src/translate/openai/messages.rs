//! Chat Completions `messages` → IR system parts and conversation: roles, tool calls and tool results.

use serde_json::{Map, Value};

use super::content::{Allow, content_blocks, texts};
use super::wire::{RawFunctionCall, RawMessage, RawPart, RawToolCall, StrOr};
use crate::translate::ir::{Block, ErrorInfo, Message, Role, ToolResultContent};
use crate::translate::wire_checks::json_kind;

/// Converts the request's messages into leading system parts and the conversation.
pub(super) fn convert(raw: Vec<RawMessage>) -> Result<(Vec<String>, Vec<Message>), ErrorInfo> {
    let mut conv = Converter::default();
    for (i, message) in raw.into_iter().enumerate() {
        conv.message(i, message)?;
    }
    if conv.messages.is_empty() {
        // Only system messages: the upstream needs a turn to answer, so they become the user's.
        if conv.system.is_empty() {
            return Err(ErrorInfo::invalid(
                "messages",
                "must contain a message with content",
            ));
        }
        let content = conv
            .system
            .drain(..)
            .map(|text| Block::Text { text })
            .collect();
        conv.messages.push(Message {
            role: Role::User,
            content,
        });
    }
    Ok((conv.system, conv.messages))
}

#[derive(Default)]
struct Converter {
    system: Vec<String>,
    messages: Vec<Message>,
    /// Set once a non-system message is seen: later system messages stay in the conversation.
    past_leading_system: bool,
    /// Tool calls made by earlier assistant messages, as (id, function name), in order.
    calls: Vec<(String, String)>,
    /// The last message holds tool results that further tool messages join.
    in_tool_run: bool,
}

impl Converter {
    fn message(&mut self, i: usize, m: RawMessage) -> Result<(), ErrorInfo> {
        let content_path = format!("messages[{i}].content");
        let is_tool_result = matches!(m.role.as_str(), "tool" | "function");
        match m.role.as_str() {
            "system" | "developer" => {
                let content = required(m.content, &content_path)?;
                let blocks = content_blocks(content, &content_path, Allow::Text)?;
                if self.past_leading_system {
                    self.messages.push(Message {
                        role: Role::System,
                        content: blocks,
                    });
                } else {
                    // Empty parts would only become empty upstream parts, which Claude rejects.
                    self.system.extend(texts(blocks).filter(|t| !t.is_empty()));
                }
            }
            "user" => {
                let content = required(m.content, &content_path)?;
                let blocks = content_blocks(content, &content_path, Allow::TextAndImages)?;
                self.push(Role::User, blocks);
            }
            "assistant" => {
                let blocks = self.assistant_blocks(i, m)?;
                self.push(Role::Assistant, blocks);
            }
            "tool" => {
                let id_path = format!("messages[{i}].tool_call_id");
                let id = m
                    .tool_call_id
                    .ok_or_else(|| ErrorInfo::invalid(&id_path, "required"))?;
                if !self.calls.iter().any(|(known, _)| *known == id) {
                    return Err(ErrorInfo::invalid(
                        &id_path,
                        format!(
                            "{id:?} does not match any tool call in an earlier assistant message"
                        ),
                    ));
                }
                self.push_tool_result(id, m.content, &content_path)?;
            }
            "function" => {
                let name_path = format!("messages[{i}].name");
                let name = m
                    .name
                    .ok_or_else(|| ErrorInfo::invalid(&name_path, "required"))?;
                // Legacy function calls carry no id; answer the latest call of that name.
                let id = self
                    .calls
                    .iter()
                    .rev()
                    .find(|(_, called)| *called == name)
                    .map(|(id, _)| id.clone())
                    .ok_or_else(|| {
                        ErrorInfo::invalid(
                            &name_path,
                            format!("no earlier assistant function_call named {name:?}"),
                        )
                    })?;
                self.push_tool_result(id, m.content, &content_path)?;
            }
            other => {
                return Err(ErrorInfo::invalid(
                    &format!("messages[{i}].role"),
                    format!(
                        "unknown role {other:?}; expected system, developer, user, assistant or tool"
                    ),
                ));
            }
        }
        self.in_tool_run = is_tool_result;
        Ok(())
    }

    fn push(&mut self, role: Role, content: Vec<Block>) {
        self.past_leading_system = true;
        self.messages.push(Message { role, content });
    }

    /// Text (if any) first, then the tool calls, in the order the client listed them.
    fn assistant_blocks(&mut self, i: usize, m: RawMessage) -> Result<Vec<Block>, ErrorInfo> {
        let content_path = format!("messages[{i}].content");
        let mut blocks = match m.content {
            Some(content) => content_blocks(content, &content_path, Allow::Text)?,
            None => Vec::new(),
        };
        for (j, call) in m.tool_calls.into_iter().flatten().enumerate() {
            blocks.push(self.tool_call(call, &format!("messages[{i}].tool_calls[{j}]"))?);
        }
        if let Some(RawFunctionCall { name, arguments }) = m.function_call {
            // Legacy calls have no id; derive a stable one from the message position.
            let id = format!("call_legacy_{i}");
            let input = arguments_object(
                arguments.as_deref(),
                &format!("messages[{i}].function_call.arguments"),
            )?;
            self.calls.push((id.clone(), name.clone()));
            blocks.push(Block::ToolUse { id, name, input });
        }
        // `content: ""` next to tool calls is an SDK habit, not something the model said.
        if blocks.iter().any(|b| !is_empty_text(b)) {
            blocks.retain(|b| !is_empty_text(b));
        }
        Ok(blocks)
    }

    fn tool_call(&mut self, call: RawToolCall, path: &str) -> Result<Block, ErrorInfo> {
        if let Some(kind) = call.kind.as_deref().filter(|k| *k != "function") {
            return Err(ErrorInfo::invalid(
                &format!("{path}.type"),
                format!("unsupported tool call type {kind:?}; only \"function\" is supported"),
            ));
        }
        let id = call
            .id
            .filter(|id| !id.is_empty())
            .ok_or_else(|| ErrorInfo::invalid(&format!("{path}.id"), "required"))?;
        let input = arguments_object(
            call.function.arguments.as_deref(),
            &format!("{path}.function.arguments"),
        )?;
        let name = call.function.name;
        self.calls.push((id.clone(), name.clone()));
        Ok(Block::ToolUse { id, name, input })
    }

    /// Adds a tool result, joining the previous message when it also holds tool results so that
    /// all answers to one assistant turn travel together.
    fn push_tool_result(
        &mut self,
        tool_use_id: String,
        content: Option<StrOr<Vec<RawPart>>>,
        content_path: &str,
    ) -> Result<(), ErrorInfo> {
        let content = match content {
            Some(content) => content_blocks(content, content_path, Allow::TextAndImages)?
                .into_iter()
                .filter_map(|block| match block {
                    Block::Text { text } => Some(ToolResultContent::Text { text }),
                    Block::Image { source } => Some(ToolResultContent::Image { source }),
                    _ => None,
                })
                .collect(),
            None => Vec::new(),
        };
        let block = Block::ToolResult {
            tool_use_id,
            content,
            is_error: false,
        };
        match self.messages.last_mut() {
            Some(last) if self.in_tool_run => last.content.push(block),
            _ => self.push(Role::User, vec![block]),
        }
        Ok(())
    }
}

fn required<T>(value: Option<T>, path: &str) -> Result<T, ErrorInfo> {
    value.ok_or_else(|| ErrorInfo::invalid(path, "required"))
}

fn is_empty_text(block: &Block) -> bool {
    matches!(block, Block::Text { text } if text.is_empty())
}

/// Parses a function-call `arguments` string, which must hold a JSON object; an empty string
/// means no arguments.
fn arguments_object(arguments: Option<&str>, path: &str) -> Result<Value, ErrorInfo> {
    let arguments = arguments.unwrap_or_default();
    if arguments.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    match serde_json::from_str::<Value>(arguments) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(other) => Err(ErrorInfo::invalid(
            path,
            format!("must be a JSON object, got {}", json_kind(&other)),
        )),
        Err(e) => Err(ErrorInfo::invalid(path, format!("invalid JSON: {e}"))),
    }
}
