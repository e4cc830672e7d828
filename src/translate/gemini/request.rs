//! Public Gemini API `GenerateContentRequest` → IR [`ChatRequest`], plus what only this format
//! carries: whether thoughts are shown and the thought signatures the client sent back on its
//! function calls (the engine's signature store takes them, so they reach the upstream as given).
//! Every 400 names the offending field path.

use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use super::wire::{
    RawContent, RawFunctionCall, RawFunctionResponse, RawGenerationConfig, RawPart, RawRequest,
    RawTool, RawToolConfig,
};
use crate::translate::ir::{
    Block, ChatRequest, Effort, ErrorInfo, ImageSource, Message, OutputFormat, Role, Thinking,
    ToolChoice, ToolDef, ToolResultContent,
};
use crate::translate::openai::{decode, in_range, positive};
use crate::translate::structured;
use crate::translate::wire_checks::check_base64;

/// The API's own limit on stop sequences.
const MAX_STOP_SEQUENCES: usize = 5;

/// What a `:generateContent` / `:streamGenerateContent` / `:countTokens` request says beyond its
/// IR [`ChatRequest`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GeminiContext {
    /// `thinkingConfig.includeThoughts`: thought parts are sent to the client.
    pub show_thoughts: bool,
    /// `(call id, thoughtSignature)` of each function call the client replayed with one.
    pub tool_signatures: Vec<(String, String)>,
}

/// Parses a request body for `model` (from the path); `stream` is the method's.
pub fn parse_request(
    model: &str,
    body: &[u8],
    stream: bool,
) -> Result<(ChatRequest, GeminiContext), ErrorInfo> {
    let mut raw: RawRequest = decode(body)?;
    if let Some(inner) = raw.generate_content_request.take() {
        raw = *inner;
    }
    if raw.cached_content.as_deref().is_some_and(|c| !c.is_empty()) {
        return Err(ErrorInfo::invalid(
            "cachedContent",
            "cached contents are not served; send the contents themselves",
        ));
    }
    let mut notes = Vec::new();
    if raw.safety_settings.as_ref().is_some_and(|s| !s.is_null()) {
        notes.push("safetySettings: the upstream applies its own safety settings".into());
    }
    let contents = raw
        .contents
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ErrorInfo::invalid("contents", "required"))?;
    let mut conv = Converter::default();
    for (i, content) in contents.into_iter().enumerate() {
        conv.content(i, content)?;
    }
    let system = match raw.system_instruction {
        Some(content) => system_texts(content)?,
        None => Vec::new(),
    };
    let tools = tools(raw.tools, &mut notes)?;
    let tool_choice = tool_choice(raw.tool_config, &tools)?;
    let config = generation(raw.generation_config)?;
    let context = GeminiContext {
        show_thoughts: config.show_thoughts,
        tool_signatures: conv.signatures,
    };
    Ok((
        ChatRequest {
            model: model.to_owned(),
            system,
            messages: conv.messages,
            tools,
            tool_choice,
            max_tokens: config.max_tokens,
            temperature: config.temperature,
            top_p: config.top_p,
            top_k: config.top_k,
            stop: config.stop,
            thinking: config.thinking,
            effort: config.effort,
            stream,
            include_usage: true,
            user_id: None,
            notes,
            output_format: config.output_format,
        },
        context,
    ))
}

#[derive(Default)]
struct Converter {
    messages: Vec<Message>,
    signatures: Vec<(String, String)>,
    /// Calls not answered yet, as (id, name), in order: a `functionResponse` without an id
    /// answers the earliest one with its name.
    open_calls: Vec<(String, String)>,
    calls_seen: usize,
}

impl Converter {
    fn content(&mut self, i: usize, content: RawContent) -> Result<(), ErrorInfo> {
        let path = format!("contents[{i}]");
        let role = match content.role.as_deref() {
            None | Some("" | "user" | "function" | "tool") => Role::User,
            Some("model") => Role::Assistant,
            Some(other) => {
                return Err(ErrorInfo::invalid(
                    &format!("{path}.role"),
                    format!("unknown role {other:?}; expected user or model"),
                ));
            }
        };
        let parts = content
            .parts
            .filter(|p| !p.is_empty())
            .ok_or_else(|| ErrorInfo::invalid(&format!("{path}.parts"), "required"))?;
        let mut blocks = Vec::with_capacity(parts.len());
        for (j, part) in parts.into_iter().enumerate() {
            self.part(&format!("{path}.parts[{j}]"), part, role, &mut blocks)?;
        }
        if blocks.is_empty() {
            return Ok(());
        }
        match self.messages.last_mut() {
            Some(last) if last.role == role => last.content.extend(blocks),
            _ => self.messages.push(Message {
                role,
                content: blocks,
            }),
        }
        Ok(())
    }

    fn part(
        &mut self,
        path: &str,
        part: RawPart,
        role: Role,
        blocks: &mut Vec<Block>,
    ) -> Result<(), ErrorInfo> {
        if part.executable_code.is_some() || part.code_execution_result.is_some() {
            return Err(ErrorInfo::invalid(path, "code execution is not served"));
        }
        if let Some(call) = part.function_call {
            if role != Role::Assistant {
                return Err(ErrorInfo::invalid(
                    &format!("{path}.functionCall"),
                    "function calls belong in model turns",
                ));
            }
            let block = self.call(path, call, part.thought_signature)?;
            blocks.push(block);
            return Ok(());
        }
        if let Some(response) = part.function_response {
            blocks.push(self.response(path, response)?);
            return Ok(());
        }
        if let Some(blob) = part.inline_data {
            blocks.push(Block::Image {
                source: inline_image(blob.mime_type, blob.data, &format!("{path}.inlineData"))?,
            });
            return Ok(());
        }
        if let Some(file) = part.file_data {
            blocks.push(Block::Image {
                source: file_image(
                    file.mime_type.as_deref(),
                    file.file_uri,
                    &format!("{path}.fileData"),
                )?,
            });
            return Ok(());
        }
        let Some(text) = part.text else {
            // A part with only a signature keeps the signature for the thinking before it.
            if let Some(signature) = part.thought_signature {
                attach_signature(blocks, signature);
                return Ok(());
            }
            return Err(ErrorInfo::invalid(
                path,
                "a part needs text, inlineData, fileData, functionCall or functionResponse",
            ));
        };
        if part.thought == Some(true) {
            if text.is_empty()
                && let Some(signature) = part.thought_signature.clone()
                && attach_signature(blocks, signature)
            {
                return Ok(());
            }
            blocks.push(Block::Thinking {
                text,
                signature: part.thought_signature,
            });
        } else if !text.is_empty() {
            blocks.push(Block::Text { text });
        }
        Ok(())
    }

    fn call(
        &mut self,
        path: &str,
        call: RawFunctionCall,
        signature: Option<String>,
    ) -> Result<Block, ErrorInfo> {
        let name = call
            .name
            .filter(|n| !n.is_empty())
            .ok_or_else(|| ErrorInfo::invalid(&format!("{path}.functionCall.name"), "required"))?;
        let input = match call.args {
            None | Some(Value::Null) => Value::Object(Map::new()),
            Some(args @ Value::Object(_)) => args,
            Some(_) => {
                return Err(ErrorInfo::invalid(
                    &format!("{path}.functionCall.args"),
                    "must be an object",
                ));
            }
        };
        self.calls_seen += 1;
        let id = call
            .id
            .filter(|i| !i.is_empty())
            .unwrap_or_else(|| call_id(&name, signature.as_deref(), self.calls_seen));
        if let Some(signature) = signature {
            self.signatures.push((id.clone(), signature));
        }
        self.open_calls.push((id.clone(), name.clone()));
        Ok(Block::ToolUse { id, name, input })
    }

    fn response(&mut self, path: &str, response: RawFunctionResponse) -> Result<Block, ErrorInfo> {
        let name = response.name.unwrap_or_default();
        let position = match response.id.as_deref().filter(|i| !i.is_empty()) {
            Some(id) => self.open_calls.iter().position(|(i, _)| i == id),
            None => self.open_calls.iter().position(|(_, n)| *n == name),
        };
        let Some(position) = position else {
            return Err(ErrorInfo::invalid(
                &format!("{path}.functionResponse"),
                format!("no earlier functionCall of {name:?} is waiting for this response"),
            ));
        };
        let (tool_use_id, _) = self.open_calls.remove(position);
        let mut content = vec![ToolResultContent::Text {
            text: response_text(response.response),
        }];
        for (k, part) in response.parts.into_iter().flatten().enumerate() {
            let part_path = format!("{path}.functionResponse.parts[{k}]");
            match part.inline_data {
                Some(blob) => content.push(ToolResultContent::Image {
                    source: inline_image(
                        blob.mime_type,
                        blob.data,
                        &format!("{part_path}.inlineData"),
                    )?,
                }),
                None => {
                    return Err(ErrorInfo::invalid(
                        &part_path,
                        "only inlineData images are supported in function responses",
                    ));
                }
            }
        }
        Ok(Block::ToolResult {
            tool_use_id,
            content,
            is_error: false,
        })
    }
}

/// Gemini calls carry no id: one derived from the name, the signature and the position is
/// stable when a client replays the same history, and distinct across histories.
fn call_id(name: &str, signature: Option<&str>, n: usize) -> String {
    let digest = Sha256::digest(format!("{name}\0{}\0{n}", signature.unwrap_or_default()));
    let mut id = String::with_capacity(21);
    id.push_str("call_");
    for b in &digest[..8] {
        id.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        id.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    id
}

/// Puts `signature` on the last thinking block when it has none; whether it found one.
fn attach_signature(blocks: &mut [Block], signature: String) -> bool {
    if let Some(Block::Thinking {
        signature: slot, ..
    }) = blocks.last_mut()
        && slot.is_none()
    {
        *slot = Some(signature);
        return true;
    }
    false
}

/// A function response's payload: a lone `output`/`result` string as it is, else the JSON.
fn response_text(response: Option<Value>) -> String {
    match response {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s,
        Some(Value::Object(map)) if map.len() == 1 => {
            match map.get("output").or_else(|| map.get("result")) {
                Some(Value::String(s)) => s.clone(),
                _ => Value::Object(map).to_string(),
            }
        }
        Some(other) => other.to_string(),
    }
}

fn inline_image(
    mime: Option<String>,
    data: Option<String>,
    path: &str,
) -> Result<ImageSource, ErrorInfo> {
    let media_type = mime
        .map(|m| m.trim().to_ascii_lowercase())
        .ok_or_else(|| ErrorInfo::invalid(&format!("{path}.mimeType"), "required"))?;
    if !media_type.starts_with("image/") {
        return Err(ErrorInfo::invalid(
            &format!("{path}.mimeType"),
            format!("unsupported media type {media_type:?}; only image/* is accepted"),
        ));
    }
    let data = data
        .filter(|d| !d.is_empty())
        .ok_or_else(|| ErrorInfo::invalid(&format!("{path}.data"), "required"))?;
    check_base64(&data).map_err(|e| {
        ErrorInfo::invalid(
            &format!("{path}.data"),
            format!("invalid base64 image data: {e}"),
        )
    })?;
    Ok(ImageSource::Base64 { media_type, data })
}

fn file_image(
    mime: Option<&str>,
    uri: Option<String>,
    path: &str,
) -> Result<ImageSource, ErrorInfo> {
    let uri = uri.ok_or_else(|| ErrorInfo::invalid(&format!("{path}.fileUri"), "required"))?;
    let is_image = mime.is_none_or(|m| m.starts_with("image/"));
    let is_web = uri.starts_with("https://") || uri.starts_with("http://");
    if !is_image || !is_web {
        return Err(ErrorInfo::invalid(
            &format!("{path}.fileUri"),
            "only http(s) image URLs are supported (uploaded files are not served)",
        ));
    }
    Ok(ImageSource::Url { url: uri })
}

fn system_texts(content: RawContent) -> Result<Vec<String>, ErrorInfo> {
    let mut texts = Vec::new();
    for (j, part) in content.parts.into_iter().flatten().enumerate() {
        match part.text {
            Some(text) if !text.is_empty() => texts.push(text),
            Some(_) => {}
            None => {
                return Err(ErrorInfo::invalid(
                    &format!("systemInstruction.parts[{j}]"),
                    "only text parts are supported in the system instruction",
                ));
            }
        }
    }
    Ok(texts)
}

fn tools(raw: Option<Vec<RawTool>>, notes: &mut Vec<String>) -> Result<Vec<ToolDef>, ErrorInfo> {
    let mut defs: Vec<ToolDef> = Vec::new();
    for (i, tool) in raw.into_iter().flatten().enumerate() {
        for (kind, present) in [
            ("googleSearch", tool.google_search.is_some()),
            (
                "googleSearchRetrieval",
                tool.google_search_retrieval.is_some(),
            ),
            ("codeExecution", tool.code_execution.is_some()),
            ("urlContext", tool.url_context.is_some()),
        ] {
            if present {
                notes.push(format!(
                    "tools[{i}].{kind}: a built-in tool the proxy does not forward; left out"
                ));
            }
        }
        for (j, decl) in tool.function_declarations.into_iter().flatten().enumerate() {
            let path = format!("tools[{i}].functionDeclarations[{j}]");
            let name = decl
                .name
                .filter(|n| !n.is_empty())
                .ok_or_else(|| ErrorInfo::invalid(&format!("{path}.name"), "required"))?;
            if defs.iter().any(|d| d.name == name) {
                return Err(ErrorInfo::invalid(
                    &format!("{path}.name"),
                    format!("duplicate function name {name:?}"),
                ));
            }
            let parameters = match decl.parameters_json_schema.or(decl.parameters) {
                None | Some(Value::Null) => json!({"type": "object", "properties": {}}),
                Some(schema @ Value::Object(_)) => lower_types(schema),
                Some(_) => {
                    return Err(ErrorInfo::invalid(
                        &format!("{path}.parameters"),
                        "must be a schema object",
                    ));
                }
            };
            defs.push(ToolDef {
                name,
                description: decl.description,
                parameters,
            });
        }
    }
    Ok(defs)
}

/// Gemini's OpenAPI-style schemas spell types in capitals (`STRING`); the IR keeps JSON Schema.
fn lower_types(mut schema: Value) -> Value {
    match &mut schema {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if key == "type"
                    && let Value::String(t) = value
                {
                    *t = t.to_ascii_lowercase();
                } else {
                    *value = lower_types(std::mem::take(value));
                }
            }
        }
        Value::Array(items) => {
            for item in items.iter_mut() {
                *item = lower_types(std::mem::take(item));
            }
        }
        _ => {}
    }
    schema
}

fn tool_choice(raw: Option<RawToolConfig>, tools: &[ToolDef]) -> Result<ToolChoice, ErrorInfo> {
    let Some(config) = raw.and_then(|c| c.function_calling_config) else {
        return Ok(ToolChoice::Auto);
    };
    let names = config.allowed_function_names.unwrap_or_default();
    for (k, name) in names.iter().enumerate() {
        if !tools.iter().any(|t| t.name == *name) {
            return Err(ErrorInfo::invalid(
                &format!("toolConfig.functionCallingConfig.allowedFunctionNames[{k}]"),
                format!("no function named {name:?} in tools"),
            ));
        }
    }
    let mode = config
        .mode
        .unwrap_or_else(|| "AUTO".into())
        .to_ascii_uppercase();
    match (mode.as_str(), names.as_slice()) {
        ("AUTO" | "VALIDATED" | "MODE_UNSPECIFIED", []) => Ok(ToolChoice::Auto),
        ("NONE", _) => Ok(ToolChoice::None),
        ("ANY", []) if !tools.is_empty() => Ok(ToolChoice::Required),
        ("ANY", [one]) => Ok(ToolChoice::Tool { name: one.clone() }),
        ("ANY", all) if all.len() == tools.len() => Ok(ToolChoice::Required),
        ("ANY", []) => Err(ErrorInfo::invalid(
            "toolConfig.functionCallingConfig.mode",
            "ANY needs at least one function declaration",
        )),
        ("AUTO" | "VALIDATED" | "ANY", _) => Err(ErrorInfo::invalid(
            "toolConfig.functionCallingConfig.allowedFunctionNames",
            "a subset of the declared functions is not supported; declare only the allowed ones",
        )),
        (other, _) => Err(ErrorInfo::invalid(
            "toolConfig.functionCallingConfig.mode",
            format!("unknown mode {other:?}; expected AUTO, ANY, NONE or VALIDATED"),
        )),
    }
}

struct Generation {
    max_tokens: Option<u32>,
    temperature: Option<f64>,
    top_p: Option<f64>,
    top_k: Option<u32>,
    stop: Vec<String>,
    thinking: Thinking,
    effort: Option<Effort>,
    show_thoughts: bool,
    output_format: OutputFormat,
}

fn generation(raw: Option<RawGenerationConfig>) -> Result<Generation, ErrorInfo> {
    let Some(c) = raw else {
        return Ok(Generation {
            max_tokens: None,
            temperature: None,
            top_p: None,
            top_k: None,
            stop: Vec::new(),
            thinking: Thinking::Off,
            effort: None,
            show_thoughts: false,
            output_format: OutputFormat::Text,
        });
    };
    let field = |name: &str| format!("generationConfig.{name}");
    if c.candidate_count.is_some_and(|n| n != 1) {
        return Err(ErrorInfo::invalid(
            &field("candidateCount"),
            "only 1 is supported",
        ));
    }
    let output_format = structured::from_gemini(
        c.response_mime_type.as_deref(),
        c.response_schema.as_ref(),
        c.response_json_schema.as_ref(),
    )?;
    for (name, present) in [
        (
            "presencePenalty",
            c.presence_penalty.is_some_and(|p| p != 0.0),
        ),
        (
            "frequencyPenalty",
            c.frequency_penalty.is_some_and(|p| p != 0.0),
        ),
        ("seed", c.seed.is_some()),
        ("responseLogprobs", c.response_logprobs == Some(true)),
    ] {
        if present {
            return Err(ErrorInfo::invalid(
                &field(name),
                "not supported by this proxy",
            ));
        }
    }
    if let Some(modalities) = &c.response_modalities
        && modalities.iter().any(|m| !m.eq_ignore_ascii_case("text"))
    {
        return Err(ErrorInfo::invalid(
            &field("responseModalities"),
            "only TEXT is served",
        ));
    }
    let stop = c.stop_sequences.unwrap_or_default();
    if stop.len() > MAX_STOP_SEQUENCES {
        return Err(ErrorInfo::invalid(
            &field("stopSequences"),
            format!("at most {MAX_STOP_SEQUENCES} stop sequences are allowed"),
        ));
    }
    let top_k = match c.top_k {
        None => None,
        Some(k) if k >= 1.0 && k.fract() == 0.0 && k <= f64::from(u32::MAX) => {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked above
            Some(k as u32)
        }
        Some(_) => {
            return Err(ErrorInfo::invalid(
                &field("topK"),
                "must be a positive integer",
            ));
        }
    };
    let (thinking, effort, show_thoughts) = match c.thinking_config {
        None => (Thinking::Off, None, false),
        Some(t) => {
            let show = t.include_thoughts.unwrap_or(false);
            let (thinking, effort) = match (t.thinking_level.as_deref(), t.thinking_budget) {
                (Some(level), _) => (Thinking::Adaptive, Some(level_effort(level)?)),
                (None, Some(0)) => (Thinking::Off, None),
                (None, Some(-1) | None) => (Thinking::Adaptive, None),
                (None, Some(n)) => (
                    Thinking::Budget {
                        tokens: positive(n, "generationConfig.thinkingConfig.thinkingBudget")?,
                    },
                    None,
                ),
            };
            (thinking, effort, show)
        }
    };
    Ok(Generation {
        max_tokens: c
            .max_output_tokens
            .map(|n| positive(n, "generationConfig.maxOutputTokens"))
            .transpose()?,
        temperature: in_range(c.temperature, 0.0, 2.0, "generationConfig.temperature")?,
        top_p: in_range(c.top_p, 0.0, 1.0, "generationConfig.topP")?,
        top_k,
        stop: stop.into_iter().filter(|s| !s.is_empty()).collect(),
        thinking,
        effort,
        show_thoughts,
        output_format,
    })
}

fn level_effort(level: &str) -> Result<Effort, ErrorInfo> {
    match level.to_ascii_uppercase().as_str() {
        "MINIMAL" => Ok(Effort::Minimal),
        "LOW" => Ok(Effort::Low),
        "MEDIUM" => Ok(Effort::Medium),
        "HIGH" | "THINKING_LEVEL_UNSPECIFIED" => Ok(Effort::High),
        other => Err(ErrorInfo::invalid(
            "generationConfig.thinkingConfig.thinkingLevel",
            format!("unknown level {other:?}; expected MINIMAL, LOW, MEDIUM or HIGH"),
        )),
    }
}
