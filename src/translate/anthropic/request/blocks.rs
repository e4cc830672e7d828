//! Anthropic content blocks (message content, `system`, tool results) → IR blocks, with the
//! per-role rules and base64/media-type checks.

use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde_json::Value;

use super::typed_at;
use crate::translate::ir::{Block, ErrorInfo, ImageSource, Role, ToolResultContent};
use crate::translate::wire_checks::{check_base64, json_kind};

/// Content that is either a plain string or an array of blocks. Hand-written so that
/// `serde_path_to_error` still sees array indexes (an untagged enum would lose them).
pub(super) enum TextOr<T> {
    Text(String),
    Blocks(Vec<T>),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for TextOr<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextOrVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for TextOrVisitor<T> {
            type Value = TextOr<T>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or an array of content blocks")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(TextOr::Text(v.to_owned()))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(TextOr::Text(v))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                // The hint comes from the client; cap it so a lying body cannot force a huge
                // allocation up front.
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(256));
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(TextOr::Blocks(items))
            }
        }

        deserializer.deserialize_any(TextOrVisitor(PhantomData))
    }
}

#[derive(Deserialize)]
struct TextBlock {
    text: String,
}

#[derive(Deserialize)]
struct ImageBlock {
    source: WireImageSource,
}

#[derive(Deserialize)]
struct WireImageSource {
    #[serde(rename = "type")]
    kind: String,
    media_type: Option<String>,
    data: Option<String>,
    url: Option<String>,
}

#[derive(Deserialize)]
struct ToolUseBlock {
    id: String,
    name: String,
    input: Option<Value>,
}

#[derive(Deserialize)]
struct ToolResultBlock {
    tool_use_id: String,
    content: Option<TextOr<Value>>,
    is_error: Option<bool>,
}

#[derive(Deserialize)]
struct ThinkingBlock {
    thinking: String,
    signature: Option<String>,
}

#[derive(Deserialize)]
struct RedactedThinkingBlock {
    data: String,
}

/// Block types the Messages API defines but this proxy cannot carry upstream.
const UNSUPPORTED: &[&str] = &[
    "document",
    "search_result",
    "server_tool_use",
    "web_search_tool_result",
    "web_fetch_tool_result",
    "code_execution_tool_result",
    "mcp_tool_use",
    "mcp_tool_result",
    "container_upload",
];

/// The `tool_use` ids a `tool_result` may answer.
#[derive(Debug, Default)]
pub(super) struct ToolIds {
    seen: HashSet<String>,
    /// The conversation continues one stored elsewhere (a message thread): its tool uses are
    /// checked once it is joined, not here.
    earlier_elsewhere: bool,
}

impl ToolIds {
    pub(super) fn continuing() -> Self {
        Self {
            seen: HashSet::new(),
            earlier_elsewhere: true,
        }
    }

    fn knows(&self, id: &str) -> bool {
        self.earlier_elsewhere || self.seen.contains(id)
    }
}

/// Converts one message's content. `tool_use_ids` holds the ids of every earlier `tool_use`;
/// this message's own tool uses are added to it.
pub(super) fn message_content(
    content: TextOr<Value>,
    role: Role,
    path: &str,
    tool_use_ids: &mut ToolIds,
) -> Result<Vec<Block>, ErrorInfo> {
    let values = match content {
        TextOr::Text(text) => return Ok(vec![Block::Text { text }]),
        TextOr::Blocks(values) => values,
    };
    let mut blocks = Vec::with_capacity(values.len());
    for (j, value) in values.into_iter().enumerate() {
        let path = format!("{path}[{j}]");
        let (kind, value) = block_kind(value, &path)?;
        let block = match kind.as_str() {
            "text" => Block::Text {
                text: typed_at::<TextBlock>(value, &path)?.text,
            },
            _ if role == Role::System => {
                return Err(ErrorInfo::invalid(
                    &format!("{path}.type"),
                    format!("system messages may only contain text blocks, got '{kind}'"),
                ));
            }
            "image" => Block::Image {
                source: image_source(typed_at::<ImageBlock>(value, &path)?.source, &path)?,
            },
            "tool_use" => {
                only_in(role, Role::Assistant, &kind, &path)?;
                let block = tool_use(typed_at(value, &path)?, &path)?;
                if let Block::ToolUse { id, .. } = &block {
                    tool_use_ids.seen.insert(id.clone());
                }
                block
            }
            "tool_result" => {
                only_in(role, Role::User, &kind, &path)?;
                tool_result(typed_at(value, &path)?, &path, tool_use_ids)?
            }
            "thinking" => {
                only_in(role, Role::Assistant, &kind, &path)?;
                let block: ThinkingBlock = typed_at(value, &path)?;
                Block::Thinking {
                    text: block.thinking,
                    signature: block.signature.filter(|s| !s.is_empty()),
                }
            }
            "redacted_thinking" => {
                only_in(role, Role::Assistant, &kind, &path)?;
                Block::RedactedThinking {
                    data: typed_at::<RedactedThinkingBlock>(value, &path)?.data,
                }
            }
            other => return Err(unknown_type(other, &path)),
        };
        blocks.push(block);
    }
    Ok(blocks)
}

/// The `system` field (or any text-only content): a string or an array of text blocks.
pub(super) fn system_parts(content: TextOr<Value>, path: &str) -> Result<Vec<String>, ErrorInfo> {
    let values = match content {
        TextOr::Text(text) => return Ok(vec![text]),
        TextOr::Blocks(values) => values,
    };
    let mut parts = Vec::with_capacity(values.len());
    for (j, value) in values.into_iter().enumerate() {
        let path = format!("{path}[{j}]");
        let (kind, value) = block_kind(value, &path)?;
        if kind != "text" {
            return Err(ErrorInfo::invalid(
                &format!("{path}.type"),
                format!("only text blocks are allowed here, got '{kind}'"),
            ));
        }
        parts.push(typed_at::<TextBlock>(value, &path)?.text);
    }
    Ok(parts)
}

fn block_kind(value: Value, path: &str) -> Result<(String, Value), ErrorInfo> {
    let Value::Object(map) = &value else {
        return Err(ErrorInfo::invalid(
            path,
            format!("expected a content block object, got {}", json_kind(&value)),
        ));
    };
    match map.get("type") {
        Some(Value::String(kind)) => Ok((kind.clone(), value)),
        Some(other) => Err(ErrorInfo::invalid(
            &format!("{path}.type"),
            format!("must be a string, got {}", json_kind(other)),
        )),
        None => Err(ErrorInfo::invalid(&format!("{path}.type"), "required")),
    }
}

fn unknown_type(kind: &str, path: &str) -> ErrorInfo {
    let field = format!("{path}.type");
    if UNSUPPORTED.contains(&kind) {
        ErrorInfo::invalid(&field, format!("block type '{kind}' is not supported"))
    } else {
        ErrorInfo::invalid(&field, format!("unknown block type '{kind}'"))
    }
}

fn only_in(role: Role, allowed: Role, kind: &str, path: &str) -> Result<(), ErrorInfo> {
    if role == allowed {
        return Ok(());
    }
    let allowed = match allowed {
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::System => "system",
    };
    Err(ErrorInfo::invalid(
        path,
        format!("{kind} blocks are only allowed in {allowed} messages"),
    ))
}

fn tool_use(block: ToolUseBlock, path: &str) -> Result<Block, ErrorInfo> {
    if block.name.trim().is_empty() {
        return Err(ErrorInfo::invalid(
            &format!("{path}.name"),
            "must be a non-empty string",
        ));
    }
    let input = match block.input {
        // Some clients omit the input of an argument-less call.
        None | Some(Value::Null) => Value::Object(serde_json::Map::new()),
        Some(input @ Value::Object(_)) => input,
        Some(other) => {
            return Err(ErrorInfo::invalid(
                &format!("{path}.input"),
                format!("must be a JSON object, got {}", json_kind(&other)),
            ));
        }
    };
    Ok(Block::ToolUse {
        id: block.id,
        name: block.name,
        input,
    })
}

fn tool_result(
    block: ToolResultBlock,
    path: &str,
    tool_use_ids: &ToolIds,
) -> Result<Block, ErrorInfo> {
    if !tool_use_ids.knows(&block.tool_use_id) {
        return Err(ErrorInfo::invalid(
            &format!("{path}.tool_use_id"),
            format!("no earlier tool_use has id '{}'", block.tool_use_id),
        ));
    }
    let content = match block.content {
        None => Vec::new(),
        Some(TextOr::Text(text)) if text.is_empty() => Vec::new(),
        Some(TextOr::Text(text)) => vec![ToolResultContent::Text { text }],
        Some(TextOr::Blocks(values)) => tool_result_parts(values, &format!("{path}.content"))?,
    };
    Ok(Block::ToolResult {
        tool_use_id: block.tool_use_id,
        content,
        is_error: block.is_error.unwrap_or(false),
    })
}

fn tool_result_parts(values: Vec<Value>, path: &str) -> Result<Vec<ToolResultContent>, ErrorInfo> {
    let mut parts = Vec::with_capacity(values.len());
    for (k, value) in values.into_iter().enumerate() {
        let path = format!("{path}[{k}]");
        let (kind, value) = block_kind(value, &path)?;
        parts.push(match kind.as_str() {
            "text" => ToolResultContent::Text {
                text: typed_at::<TextBlock>(value, &path)?.text,
            },
            "image" => ToolResultContent::Image {
                source: image_source(typed_at::<ImageBlock>(value, &path)?.source, &path)?,
            },
            other => {
                return Err(ErrorInfo::invalid(
                    &format!("{path}.type"),
                    format!("tool results may only contain text and image blocks, got '{other}'"),
                ));
            }
        });
    }
    Ok(parts)
}

fn image_source(source: WireImageSource, block_path: &str) -> Result<ImageSource, ErrorInfo> {
    let path = format!("{block_path}.source");
    match source.kind.as_str() {
        "base64" => {
            let media_type = source
                .media_type
                .ok_or_else(|| ErrorInfo::invalid(&format!("{path}.media_type"), "required"))?;
            if !media_type.starts_with("image/") {
                return Err(ErrorInfo::invalid(
                    &format!("{path}.media_type"),
                    format!("must be an image/* media type, got '{media_type}'"),
                ));
            }
            let data = source
                .data
                .ok_or_else(|| ErrorInfo::invalid(&format!("{path}.data"), "required"))?;
            check_base64(&data).map_err(|e| ErrorInfo::invalid(&format!("{path}.data"), e))?;
            Ok(ImageSource::Base64 { media_type, data })
        }
        "url" => match source.url {
            Some(url) if !url.is_empty() => Ok(ImageSource::Url { url }),
            _ => Err(ErrorInfo::invalid(&format!("{path}.url"), "required")),
        },
        other => Err(ErrorInfo::invalid(
            &format!("{path}.type"),
            format!("unsupported image source type '{other}' (expected base64 or url)"),
        )),
    }
}
