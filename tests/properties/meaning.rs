//! "Keeps meaning" for IR → upstream: checks the Antigravity body `build_request` makes from an IR
//! request against the documented translation (merged turns, a leading user turn outside Claude,
//! blank text dropped, tool responses in call order with their images nested, placeholder parts,
//! sampling parameters), for both client parsers' tests.

use std::collections::{BTreeMap, HashMap};

use anti_api_tui::catalogue::{Catalogue, FamilyDefaults, ModelSpec};
use anti_api_tui::translate::antigravity::{SignatureStore, UpstreamTarget, build_request};
use anti_api_tui::translate::ir::{
    Block, ChatRequest, ImageSource, Message, Role, ToolChoice, ToolResultContent,
};
use serde_json::{Value, json};

/// Catalogue models covering every family and thinking mode (and one without images).
pub const MODELS: &[&str] = &[
    "claude-sonnet-4-6",
    "claude-opus-4-6-thinking",
    "gemini-3-flash",
    "gemini-pro-agent",
    "gpt-oss-120b",
];

pub fn spec(id: &str) -> ModelSpec {
    Catalogue::builtin(&BTreeMap::new(), FamilyDefaults::default())
        .get(id)
        .expect("a built-in model")
        .as_ref()
        .clone()
}

/// One expected upstream turn: the IR messages of one side, merged.
struct Turn {
    model: bool,
    blocks: Vec<Block>,
}

/// The documented merge: system messages inside the conversation become a
/// `<system-reminder>` user text (none when they hold no visible text); adjacent turns of one
/// side merge.
fn turns(messages: &[Message]) -> Vec<Turn> {
    let mut out: Vec<Turn> = Vec::new();
    for m in messages {
        let (model, blocks) = match m.role {
            Role::Assistant => (true, m.content.clone()),
            Role::User => (false, m.content.clone()),
            Role::System => {
                let joined = m
                    .content
                    .iter()
                    .filter_map(|b| match b {
                        Block::Text { text } if !text.trim().is_empty() => Some(text.as_str()),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                if joined.is_empty() {
                    continue;
                }
                let text = format!("<system-reminder>\n{joined}\n</system-reminder>");
                (false, vec![Block::Text { text }])
            }
        };
        match out.last_mut() {
            Some(last) if last.model == model => last.blocks.extend(blocks),
            _ => out.push(Turn { model, blocks }),
        }
    }
    out
}

fn image_json(source: &ImageSource) -> Value {
    match source {
        ImageSource::Base64 { media_type, data } => {
            json!({"inlineData": {"mimeType": media_type, "data": data}})
        }
        ImageSource::Url { url } => json!({"url": url}),
    }
}

fn all_images(req: &ChatRequest) -> Vec<&ImageSource> {
    let mut out = Vec::new();
    for block in req.messages.iter().flat_map(|m| &m.content) {
        match block {
            Block::Image { source } => out.push(source),
            Block::ToolResult { content, .. } => {
                for part in content {
                    if let ToolResultContent::Image { source } = part {
                        out.push(source);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// What the upstream body must say about one turn, in the order the encoder writes it.
#[derive(Debug, Default, PartialEq)]
struct Parts {
    texts: Vec<String>,
    images: Vec<Value>,
    calls: Vec<Value>,
    responses: Vec<Value>,
    thoughts: Vec<(String, String)>,
}

fn expected_parts(turn: &Turn, prev_calls: &[String], names: &HashMap<String, String>) -> Parts {
    let mut parts = Parts::default();
    let mut responses = Vec::new();
    for block in &turn.blocks {
        match block {
            Block::Text { text } if !text.trim().is_empty() => parts.texts.push(text.clone()),
            Block::Image { source } => parts.images.push(image_json(source)),
            Block::ToolUse { id, name, input } if turn.model => {
                parts
                    .calls
                    .push(json!({"name": name, "id": id, "args": input}));
            }
            Block::ToolResult {
                tool_use_id,
                content,
                is_error,
            } if !turn.model => {
                let text = content
                    .iter()
                    .filter_map(|c| match c {
                        ToolResultContent::Text { text } => Some(text.as_str()),
                        ToolResultContent::Image { .. } => None,
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                let images: Vec<Value> = content
                    .iter()
                    .filter_map(|c| match c {
                        ToolResultContent::Image { source } => Some(image_json(source)),
                        ToolResultContent::Text { .. } => None,
                    })
                    .collect();
                let key = if *is_error { "error" } else { "result" };
                // An image-only result sends its images and no invented text.
                let response = match (is_error, text.trim().is_empty(), images.is_empty()) {
                    (_, false, _) => json!({key: text}),
                    (_, true, false) => json!({key: ""}),
                    (true, true, true) => json!({"error": "Tool execution failed with no output."}),
                    (false, true, true) => json!({"result": "Command executed successfully."}),
                };
                let name = names.get(tool_use_id).unwrap_or(tool_use_id);
                let order = prev_calls
                    .iter()
                    .position(|c| c == tool_use_id)
                    .unwrap_or(usize::MAX);
                let mut response = json!({"name": name, "id": tool_use_id, "response": response});
                // A tool's images ride inside its own response, the only place the model sees them.
                if !images.is_empty() {
                    response["parts"] = Value::Array(images);
                }
                responses.push((order, response));
            }
            _ => {}
        }
    }
    // Tool responses come first, in the order the calls were made.
    responses.sort_by_key(|(order, _)| *order);
    parts.responses = responses.into_iter().map(|(_, r)| r).collect();
    parts
}

/// Splits one upstream content's parts into the same buckets, failing on anything else.
fn actual_parts(parts: &[Value], gemini: bool) -> Result<Parts, String> {
    let mut out = Parts::default();
    for part in parts {
        let obj = part.as_object().ok_or("a part that is not an object")?;
        if obj.get("thought") == Some(&Value::Bool(true)) {
            let text = obj["text"].as_str().ok_or("a thought without text")?;
            let sig = obj["thoughtSignature"]
                .as_str()
                .ok_or("a thought without its signature")?;
            out.thoughts.push((text.to_owned(), sig.to_owned()));
        } else if let Some(text) = obj.get("text") {
            out.texts
                .push(text.as_str().ok_or("a non-string text")?.to_owned());
        } else if obj.contains_key("inlineData") {
            out.images.push(part.clone());
        } else if let Some(call) = obj.get("functionCall") {
            let mut call = call.clone();
            if gemini != obj.contains_key("thoughtSignature") {
                return Err(format!("call signature present only for Gemini: {part}"));
            }
            // The encoder writes the id after name and args; compare as a set of keys.
            if let Some(map) = call.as_object_mut() {
                map.sort_keys();
            }
            out.calls.push(call);
        } else if let Some(response) = obj.get("functionResponse") {
            out.responses.push(response.clone());
        } else {
            return Err(format!("an unexpected part {part}"));
        }
    }
    Ok(out)
}

fn sorted(mut v: Value) -> Value {
    if let Some(map) = v.as_object_mut() {
        map.sort_keys();
    }
    v
}

/// Builds the upstream request for `req` on `model` and checks that it says what the IR says.
/// Returns an error message on the first difference.
pub fn check_upstream(req: &ChatRequest, model: &str) -> Result<(), String> {
    let spec = spec(model);
    let target = UpstreamTarget {
        spec: &spec,
        project: "proj",
        request_id: "req",
        session_id: "-1",
        identity: &anti_api_tui::translate::identity::IdentityRules::default(),
    };
    let built = build_request(req, &target, &SignatureStore::default(), 0);
    let images = all_images(req);
    let refuses_images = !images.is_empty() && !spec.images;
    let url_image = images.iter().any(|s| matches!(s, ImageSource::Url { .. }));
    let plan = match built {
        Err(e) if refuses_images || url_image => {
            return if e.status == 400 && e.message.starts_with("image: ") {
                Ok(())
            } else {
                Err(format!("images refused with the wrong error: {e}"))
            };
        }
        Err(e) => return Err(format!("a valid request failed to build: {e}")),
        Ok(_) if refuses_images || url_image => {
            return Err("an image the upstream cannot take was accepted".into());
        }
        Ok(plan) => plan,
    };
    let inner = &plan.body["request"];

    // System prompt: every non-blank part, in order, and nothing invented.
    let system: Vec<Value> = req
        .system
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| json!({"text": s}))
        .collect();
    let actual_system = inner.pointer("/systemInstruction/parts");
    match (system.is_empty(), actual_system) {
        (true, None) => {}
        (false, Some(Value::Array(parts))) if *parts == system => {}
        _ => return Err(format!("system instruction differs: {actual_system:?}")),
    }

    // Conversation: one content per merged turn, roles alternating as the IR's sides do.
    let turns = turns(&req.messages);
    let mut contents = inner["contents"]
        .as_array()
        .ok_or("no contents array")?
        .as_slice();
    // Outside Claude, contents that would open with the model get an empty user turn first.
    let claude = spec.family == anti_api_tui::catalogue::Family::Claude;
    if !claude && turns.first().is_some_and(|t| t.model) {
        let lead = json!({"role": "user", "parts": [{"text": ""}]});
        if contents.first() != Some(&lead) {
            return Err(format!("no leading user turn: {:?}", contents.first()));
        }
        contents = &contents[1..];
    }
    if contents.len() != turns.len() {
        return Err(format!(
            "{} turns became {} contents",
            turns.len(),
            contents.len()
        ));
    }
    let names: HashMap<String, String> = req
        .messages
        .iter()
        .flat_map(|m| &m.content)
        .filter_map(|b| match b {
            Block::ToolUse { id, name, .. } => Some((id.clone(), name.clone())),
            _ => None,
        })
        .collect();
    let gemini = spec.family == anti_api_tui::catalogue::Family::Gemini;
    let mut prev_calls: Vec<String> = Vec::new();
    for (i, (turn, content)) in turns.iter().zip(contents).enumerate() {
        let role = if turn.model { "model" } else { "user" };
        if content["role"] != role {
            return Err(format!(
                "content {i} has role {} not {role}",
                content["role"]
            ));
        }
        let parts = content["parts"].as_array().ok_or("parts is not an array")?;
        let mut expected = expected_parts(turn, &prev_calls, &names);
        expected.calls = expected.calls.into_iter().map(sorted).collect();
        let mut actual = actual_parts(parts, gemini).map_err(|e| format!("content {i}: {e}"))?;
        // Thoughts are replayed only when the target thinks (and then with their signature).
        for (text, sig) in std::mem::take(&mut actual.thoughts) {
            let known = turn.blocks.iter().any(|b| {
                matches!(b, Block::Thinking { text: t, signature: Some(s) } if *t == text && *s == sig)
            });
            if !turn.model || !known || !plan.thinking {
                return Err(format!("content {i}: an invented thought {text:?}"));
            }
        }
        // A turn with nothing to send carries the documented placeholder text.
        if expected == Parts::default() && actual.texts == ["."] {
            actual.texts.clear();
        }
        if actual != expected {
            return Err(format!(
                "content {i} differs:\n expected {expected:?}\n actual   {actual:?}"
            ));
        }
        if turn.model {
            prev_calls = turn
                .blocks
                .iter()
                .filter_map(|b| match b {
                    Block::ToolUse { id, .. } => Some(id.clone()),
                    _ => None,
                })
                .collect();
        }
    }

    check_generation(
        req,
        &spec,
        &plan.body["request"]["generationConfig"],
        plan.thinking,
    )?;
    check_tools(req, inner, claude)
}

fn check_generation(
    req: &ChatRequest,
    spec: &ModelSpec,
    cfg: &Value,
    thinking: bool,
) -> Result<(), String> {
    let same = |key: &str, want: Option<Value>| -> Result<(), String> {
        if cfg.get(key) == want.as_ref() {
            Ok(())
        } else {
            Err(format!(
                "generationConfig.{key} is {:?}, not {want:?}",
                cfg.get(key)
            ))
        }
    };
    same("temperature", req.temperature.map(Value::from))?;
    same("topP", req.top_p.map(Value::from))?;
    same("topK", req.top_k.map(Value::from))?;
    same(
        "stopSequences",
        (!req.stop.is_empty()).then(|| json!(req.stop)),
    )?;
    if req.stop.iter().any(String::is_empty) {
        return Err("an empty stop sequence reaches the upstream".into());
    }
    // With thinking on, the limit may be raised above the budget (documented); else it is the
    // client's, capped at the model's.
    if !thinking {
        let want = match req.max_tokens {
            Some(n) => Some(n.min(spec.max_output)),
            None if spec.family == anti_api_tui::catalogue::Family::Claude => Some(spec.max_output),
            None => None,
        };
        same("maxOutputTokens", want.map(Value::from))?;
        same("thinkingConfig", None)?;
    }
    Ok(())
}

fn check_tools(req: &ChatRequest, inner: &Value, claude: bool) -> Result<(), String> {
    let decls = inner.pointer("/tools/0/functionDeclarations");
    if req.tools.is_empty() {
        // Claude carries VALIDATED on every request, as the real client does.
        let config = claude.then(|| json!({"functionCallingConfig": {"mode": "VALIDATED"}}));
        return if decls.is_none() && inner.get("toolConfig") == config.as_ref() {
            Ok(())
        } else {
            Err(format!(
                "tools or a tool config sent although the request has no tools: {:?}",
                inner.get("toolConfig")
            ))
        };
    }
    let decls = decls
        .and_then(Value::as_array)
        .ok_or("no function declarations")?;
    if decls.len() != req.tools.len() {
        return Err(format!("{} tools became {}", req.tools.len(), decls.len()));
    }
    for (tool, decl) in req.tools.iter().zip(decls) {
        if decl["name"] != tool.name.as_str() {
            return Err(format!("tool {} became {}", tool.name, decl["name"]));
        }
        let description = tool.description.as_deref().filter(|d| !d.is_empty());
        if decl.get("description").and_then(Value::as_str) != description {
            return Err(format!("tool {} lost its description", tool.name));
        }
        if decl["parameters"]["type"] != "object" || !decl["parameters"]["properties"].is_object() {
            return Err(format!(
                "tool {} parameters are not an object schema",
                tool.name
            ));
        }
    }
    let mode = inner
        .pointer("/toolConfig/functionCallingConfig/mode")
        .and_then(Value::as_str)
        .ok_or("no tool config mode")?;
    let fine = match &req.tool_choice {
        ToolChoice::Auto => matches!(mode, "AUTO" | "VALIDATED"),
        ToolChoice::None => mode == "NONE",
        // Forcing is relaxed to auto while Claude thinks (documented).
        ToolChoice::Required | ToolChoice::Tool { .. } => {
            matches!(mode, "ANY" | "AUTO" | "VALIDATED")
        }
    };
    if fine {
        Ok(())
    } else {
        Err(format!("tool choice {:?} sent as {mode}", req.tool_choice))
    }
}
