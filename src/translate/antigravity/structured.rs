//! Structured output upstream, by target family. Gemini models take the format natively as
//! `generationConfig.responseMimeType`/`responseSchema`. Claude and GPT-OSS behind this API take
//! no response schema (the gateway serves them through Gemini's `generateContent` shape, whose
//! response schema only Gemini models honour), so the format is emulated: one synthetic function
//! whose parameters are the schema, the tool choice forced to it, and the decoder turning its
//! call back into the answer's text.

use serde_json::{Map, Value, json};

use crate::catalogue::Family;
use crate::translate::ir::{ChatRequest, OutputFormat, ToolChoice};
use crate::translate::schema::clean_schema;

/// The synthetic tool's base name; a suffix is added if a client tool already has it.
const TOOL_BASE: &str = "structured_output";
/// For `json_object` on emulating targets: the one string property carrying the whole JSON
/// object. An object schema without properties is refused by Claude's validation, and one with a
/// property of any shape would let the model wrap its answer; a serialized string is honest.
pub(super) const JSON_PROPERTY: &str = "json";

/// What the decoder needs to turn the synthetic call back into text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructuredTool {
    pub name: String,
    /// `Some(property)`: the text is that string argument (`json_object`); `None`: the text is
    /// the arguments object itself.
    pub unwrap: Option<String>,
}

/// The pieces `build_request` splices into the body.
#[derive(Debug, Default)]
pub(super) struct StructuredOut {
    /// `responseMimeType`/`responseSchema` to add to `generationConfig` (Gemini targets).
    pub generation: Map<String, Value>,
    /// The synthetic function declaration (emulating targets).
    pub declaration: Option<Value>,
    /// Replaces the `functionCallingConfig` the client's tool choice gave.
    pub calling_config: Option<Value>,
    pub tool: Option<StructuredTool>,
    /// A system line asking for the call, where the choice cannot be forced.
    pub instruction: Option<String>,
    pub schema_changes: Vec<String>,
    pub notes: Vec<String>,
}

/// `thinking`: whether this request thinks; Claude refuses a forced tool choice then.
pub(super) fn plan(req: &ChatRequest, family: Family, thinking: bool) -> StructuredOut {
    let mut out = StructuredOut::default();
    let (label, schema, description) = match &req.output_format {
        OutputFormat::Text => return out,
        OutputFormat::JsonObject => ("json_object", None, None),
        OutputFormat::JsonSchema {
            name,
            schema,
            description,
            ..
        } => (name.as_str(), Some(schema), description.as_deref()),
    };
    let cleaned = schema.map(|s| {
        let (cleaned, changes) = clean_schema(s);
        out.schema_changes.extend(
            changes
                .into_iter()
                .map(|c| format!("response schema {label}: {c}")),
        );
        cleaned
    });
    if family == Family::Gemini {
        // The format's description says what the answer is for; the schema's root carries it.
        let cleaned = cleaned.map(|mut schema| {
            if let (Some(d), Some(root)) = (description, schema.as_object_mut()) {
                root.entry("description").or_insert_with(|| Value::from(d));
            }
            schema
        });
        out.generation
            .insert("responseMimeType".into(), Value::from("application/json"));
        if let Some(schema) = cleaned {
            out.generation.insert("responseSchema".into(), schema);
        }
        out.notes.push(format!(
            "structured output {label}: sent as generationConfig.responseMimeType \
             application/json{}",
            if schema.is_some() {
                " with responseSchema"
            } else {
                ""
            }
        ));
        return out;
    }
    emulate(
        req,
        family,
        thinking,
        (label, description),
        cleaned,
        &mut out,
    );
    out
}

fn emulate(
    req: &ChatRequest,
    family: Family,
    thinking: bool,
    (label, description): (&str, Option<&str>),
    schema: Option<Value>,
    out: &mut StructuredOut,
) {
    let name = tool_name(req);
    let (parameters, unwrap) = match schema {
        Some(schema) => (schema, None),
        None => (
            json!({"type": "object", "properties": {JSON_PROPERTY: {
                "type": "string",
                "description": "The whole answer: one JSON object, serialized as a string"
            }}, "required": [JSON_PROPERTY]}),
            Some(JSON_PROPERTY.to_owned()),
        ),
    };
    let mut purpose = String::from(
        "Give the final answer to the user by calling this function; its arguments are the \
         answer.",
    );
    if let Some(d) = description {
        purpose.push_str(" The answer: ");
        purpose.push_str(d);
    }
    out.declaration = Some(json!({
        "name": name,
        "description": purpose,
        "parameters": parameters,
    }));
    // The client's own tools stay callable (the real APIs allow tools and a format together):
    // the model must call a function, either one of them or the answer.
    let mut allowed: Vec<String> = match &req.tool_choice {
        ToolChoice::None => Vec::new(),
        _ => req.tools.iter().map(|t| t.name.clone()).collect(),
    };
    allowed.push(name.clone());
    let forced_by_client = match &req.tool_choice {
        ToolChoice::Tool { name } => Some(name.clone()),
        _ => None,
    };
    out.calling_config = Some(if family == Family::Claude && thinking {
        out.notes.push(format!(
            "structured output {label}: emulated with the function {name}; Claude refuses a \
             forced tool choice while it thinks, so the choice is left to the model"
        ));
        out.instruction = Some(format!(
            "Give your final answer only by calling the function {name}; its arguments are the \
             answer."
        ));
        json!({"mode": "VALIDATED"})
    } else if let Some(client_tool) = forced_by_client {
        // The client forces its own tool this turn; the answer's format applies to a later one.
        out.notes.push(format!(
            "structured output {label}: emulated with the function {name}; this turn is forced \
             to the client's tool {client_tool}"
        ));
        json!({"mode": "ANY", "allowedFunctionNames": [client_tool]})
    } else {
        out.notes.push(format!(
            "structured output {label}: emulated with the forced function {name} (this target \
             takes no response schema); its arguments are returned as the answer's text"
        ));
        json!({"mode": "ANY", "allowedFunctionNames": allowed})
    });
    out.tool = Some(StructuredTool { name, unwrap });
}

/// A name no client tool has: the base, or the base with the first free numeric suffix.
fn tool_name(req: &ChatRequest) -> String {
    let taken = |n: &str| req.tools.iter().any(|t| t.name == n);
    if !taken(TOOL_BASE) {
        return TOOL_BASE.to_owned();
    }
    // Among len + 2 candidates at least one is free: each client tool takes at most one.
    (2..=req.tools.len() + 2)
        .map(|i| format!("{TOOL_BASE}_{i}"))
        .find(|n| !taken(n))
        .expect("n tools cannot take n + 1 names")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::translate::ir::ToolDef;

    fn request(format: OutputFormat) -> ChatRequest {
        ChatRequest {
            output_format: format,
            ..ChatRequest::default()
        }
    }

    fn schema_format() -> OutputFormat {
        OutputFormat::JsonSchema {
            name: "Person".into(),
            schema: json!({"type": "object", "properties": {"name": {"type": "string",
                "minLength": 1}}, "required": ["name"], "additionalProperties": false}),
            strict: true,
            description: None,
        }
    }

    #[test]
    fn text_adds_nothing() {
        let out = plan(&request(OutputFormat::Text), Family::Claude, false);
        assert!(out.generation.is_empty() && out.declaration.is_none() && out.tool.is_none());
    }

    #[test]
    fn gemini_gets_a_cleaned_response_schema() {
        let out = plan(&request(schema_format()), Family::Gemini, true);
        assert_eq!(out.generation["responseMimeType"], "application/json");
        let schema = &out.generation["responseSchema"];
        assert_eq!(schema["required"], json!(["name"]));
        assert!(schema.get("additionalProperties").is_none());
        assert!(!out.schema_changes.is_empty());
        assert!(out.tool.is_none() && out.declaration.is_none());
    }

    #[test]
    fn gemini_json_object_is_the_mime_type_alone() {
        let out = plan(&request(OutputFormat::JsonObject), Family::Gemini, false);
        assert_eq!(out.generation["responseMimeType"], "application/json");
        assert!(!out.generation.contains_key("responseSchema"));
    }

    #[test]
    fn claude_is_forced_to_the_synthetic_tool() {
        let out = plan(&request(schema_format()), Family::Claude, false);
        let decl = out.declaration.expect("a declaration");
        assert_eq!(decl["name"], TOOL_BASE);
        assert_eq!(decl["parameters"]["required"], json!(["name"]));
        assert_eq!(
            out.calling_config,
            Some(json!({"mode": "ANY", "allowedFunctionNames": [TOOL_BASE]}))
        );
        assert_eq!(
            out.tool,
            Some(StructuredTool {
                name: TOOL_BASE.into(),
                unwrap: None
            })
        );
    }

    #[test]
    fn json_object_on_gpt_oss_carries_a_serialized_string() {
        let out = plan(&request(OutputFormat::JsonObject), Family::GptOss, false);
        let decl = out.declaration.expect("a declaration");
        assert_eq!(decl["parameters"]["required"], json!([JSON_PROPERTY]));
        assert_eq!(
            out.tool.and_then(|t| t.unwrap).as_deref(),
            Some(JSON_PROPERTY)
        );
    }

    #[test]
    fn client_tools_stay_allowed_and_names_never_collide() {
        let mut req = request(schema_format());
        req.tools = vec![ToolDef {
            name: TOOL_BASE.into(),
            description: None,
            parameters: json!({"type": "object"}),
        }];
        let out = plan(&req, Family::Claude, false);
        let name = format!("{TOOL_BASE}_2");
        assert_eq!(
            out.tool.as_ref().map(|t| t.name.as_str()),
            Some(name.as_str())
        );
        assert_eq!(
            out.calling_config,
            Some(json!({"mode": "ANY", "allowedFunctionNames": [TOOL_BASE, name]}))
        );
        req.tool_choice = ToolChoice::None;
        let out = plan(&req, Family::Claude, false);
        assert_eq!(
            out.calling_config,
            Some(json!({"mode": "ANY", "allowedFunctionNames": [name]}))
        );
    }

    #[test]
    fn the_format_description_reaches_both_families() {
        let format = OutputFormat::JsonSchema {
            name: "P".into(),
            schema: json!({"type": "object", "properties": {"a": {"type": "string"}}}),
            strict: false,
            description: Some("a person".into()),
        };
        let out = plan(&request(format.clone()), Family::Gemini, false);
        assert_eq!(out.generation["responseSchema"]["description"], "a person");
        let out = plan(&request(format), Family::Claude, false);
        let decl = out.declaration.expect("a declaration");
        assert!(decl["description"].as_str().unwrap().ends_with("a person"));
    }

    #[test]
    fn thinking_claude_is_not_forced() {
        let out = plan(&request(schema_format()), Family::Claude, true);
        assert_eq!(out.calling_config, Some(json!({"mode": "VALIDATED"})));
        assert!(out.notes[0].contains("refuses a forced tool choice"));
        assert!(out.instruction.is_some_and(|i| i.contains(TOOL_BASE)));
    }
}
