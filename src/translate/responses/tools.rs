//! Responses API tools → IR tool declarations: `function` and `custom` tools, `namespace` groups
//! flattened under stable names, hosted tools Google cannot run left out (with a note), and
//! `tool_choice`. [`ToolNames`] maps the flattened names back for the answer.

use serde_json::{Value, json};

use super::wire::{RawTool, RawToolChoice, StrOr};
use crate::translate::ir::{ErrorInfo, ToolChoice, ToolDef};

/// Tools OpenAI runs on its own servers; nothing upstream can run them.
const HOSTED: &[&str] = &[
    "web_search",
    "web_search_preview",
    "web_search_preview_2025_03_11",
    "web_search_2025_08_26",
    "file_search",
    "computer_use",
    "computer_use_preview",
    "code_interpreter",
    "image_generation",
    "mcp",
    "local_shell",
    "shell",
    "apply_patch",
    "tool_search",
];

/// Separates a namespace from a tool name in the flattened name the model sees.
const NAMESPACE_SEPARATOR: &str = "__";

/// What a declared tool is, so the answer can name it the way the client declared it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredTool {
    /// The name the model sees (`namespace__name` inside a namespace).
    pub flat: String,
    pub namespace: Option<String>,
    pub name: String,
    /// A `custom` tool: free-form text input instead of JSON arguments.
    pub custom: bool,
}

/// The client's tools by the names the model sees.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolNames {
    tools: Vec<DeclaredTool>,
}

impl ToolNames {
    /// The declared tool behind a name the model called.
    pub fn by_flat(&self, flat: &str) -> Option<&DeclaredTool> {
        self.tools.iter().find(|t| t.flat == flat)
    }

    /// The flattened name of a client's (namespace, name).
    pub fn flatten(namespace: Option<&str>, name: &str) -> String {
        match namespace {
            Some(ns) if !ns.is_empty() => format!("{ns}{NAMESPACE_SEPARATOR}{name}"),
            _ => name.to_owned(),
        }
    }

    fn push(&mut self, tool: DeclaredTool) {
        self.tools.push(tool);
    }
}

/// The declarations, the name map and a note per hosted tool left out.
pub(super) struct Tools {
    pub defs: Vec<ToolDef>,
    pub names: ToolNames,
    pub hosted: Vec<String>,
    pub notes: Vec<String>,
}

pub(super) fn convert(raw: Option<Vec<RawTool>>) -> Result<Tools, ErrorInfo> {
    let mut tools = Tools {
        defs: Vec::new(),
        names: ToolNames::default(),
        hosted: Vec::new(),
        notes: Vec::new(),
    };
    for (i, tool) in raw.into_iter().flatten().enumerate() {
        let path = format!("tools[{i}]");
        match tool.kind.as_str() {
            "function" | "custom" => declare(&mut tools, tool, None, &path)?,
            "namespace" => {
                let namespace = required_name(tool.name.as_deref(), &path)?;
                let members = tool
                    .tools
                    .ok_or_else(|| ErrorInfo::invalid(&format!("{path}.tools"), "required"))?;
                for (j, member) in members.into_iter().enumerate() {
                    let member_path = format!("{path}.tools[{j}]");
                    if !matches!(member.kind.as_str(), "function" | "custom") {
                        return Err(ErrorInfo::invalid(
                            &format!("{member_path}.type"),
                            format!(
                                "{:?} inside a namespace; only \"function\" and \"custom\" tools \
                                 can be grouped",
                                member.kind
                            ),
                        ));
                    }
                    declare(
                        &mut tools,
                        member,
                        Some((&namespace, &tool.description)),
                        &member_path,
                    )?;
                }
            }
            kind if HOSTED.contains(&kind) => {
                tools.notes.push(format!(
                    "{path}: {kind:?} is a hosted OpenAI tool that Google cannot run; left out"
                ));
                tools.hosted.push(kind.to_owned());
            }
            other => {
                return Err(ErrorInfo::invalid(
                    &format!("{path}.type"),
                    format!(
                        "unsupported tool type {other:?}; expected \"function\", \"custom\" or \
                         \"namespace\""
                    ),
                ));
            }
        }
    }
    Ok(tools)
}

fn required_name(name: Option<&str>, path: &str) -> Result<String, ErrorInfo> {
    match name {
        Some(n) if !n.is_empty() => Ok(n.to_owned()),
        Some(_) => Err(ErrorInfo::invalid(
            &format!("{path}.name"),
            "must not be empty",
        )),
        None => Err(ErrorInfo::invalid(&format!("{path}.name"), "required")),
    }
}

fn declare(
    tools: &mut Tools,
    tool: RawTool,
    namespace: Option<(&str, &Option<String>)>,
    path: &str,
) -> Result<(), ErrorInfo> {
    let name = required_name(tool.name.as_deref(), path)?;
    let flat = ToolNames::flatten(namespace.map(|(ns, _)| ns), &name);
    if tools.names.by_flat(&flat).is_some() {
        return Err(ErrorInfo::invalid(
            &format!("{path}.name"),
            format!("duplicate tool name {flat:?}"),
        ));
    }
    let custom = tool.kind == "custom";
    let parameters = if custom {
        // Free-form input travels as the one string argument the model fills in.
        json!({
            "type": "object",
            "properties": {"input": {"type": "string", "description": "The tool's input, as free-form text."}},
            "required": ["input"],
        })
    } else {
        match tool.parameters {
            None | Some(Value::Null) => json!({"type": "object", "properties": {}}),
            Some(schema @ Value::Object(_)) => schema,
            Some(_) => {
                return Err(ErrorInfo::invalid(
                    &format!("{path}.parameters"),
                    "must be a JSON schema object",
                ));
            }
        }
    };
    let description = match namespace {
        Some((ns, Some(about))) if !about.is_empty() => Some(match tool.description {
            Some(d) => format!("[{ns}: {about}] {d}"),
            None => format!("[{ns}: {about}]"),
        }),
        _ => tool.description,
    };
    tools.defs.push(ToolDef {
        name: flat.clone(),
        description,
        parameters,
    });
    tools.names.push(DeclaredTool {
        flat,
        namespace: namespace.map(|(ns, _)| ns.to_owned()),
        name,
        custom,
    });
    Ok(())
}

pub(super) fn tool_choice(
    raw: Option<StrOr<RawToolChoice>>,
    tools: &Tools,
) -> Result<ToolChoice, ErrorInfo> {
    let choice = match raw {
        None => return Ok(ToolChoice::Auto),
        Some(StrOr::Str(mode)) => match mode.as_str() {
            "auto" => ToolChoice::Auto,
            "none" => ToolChoice::None,
            "required" => ToolChoice::Required,
            other => {
                return Err(ErrorInfo::invalid(
                    "tool_choice",
                    format!(
                        "unknown tool choice {other:?}; expected auto, none, required or an object"
                    ),
                ));
            }
        },
        Some(StrOr::Other(obj)) => named(obj, tools)?,
    };
    if choice == ToolChoice::Required && tools.defs.is_empty() {
        return Err(ErrorInfo::invalid(
            "tool_choice",
            if tools.hosted.is_empty() {
                "\"required\" needs at least one tool in tools".to_owned()
            } else {
                format!(
                    "\"required\" needs a tool Google can run; only hosted tools were sent ({})",
                    tools.hosted.join(", ")
                )
            },
        ));
    }
    Ok(choice)
}

fn named(obj: RawToolChoice, tools: &Tools) -> Result<ToolChoice, ErrorInfo> {
    match obj.kind.as_str() {
        "function" | "custom" => {
            let name = obj
                .name
                .ok_or_else(|| ErrorInfo::invalid("tool_choice.name", "required"))?;
            if tools.names.by_flat(&name).is_none() {
                return Err(ErrorInfo::invalid(
                    "tool_choice.name",
                    format!("no tool named {name:?} in tools"),
                ));
            }
            Ok(ToolChoice::Tool { name })
        }
        "allowed_tools" => Err(ErrorInfo::invalid(
            "tool_choice.type",
            "\"allowed_tools\" is not supported; send only the allowed tools in tools",
        )),
        kind if HOSTED.contains(&kind) => Err(ErrorInfo::invalid(
            "tool_choice.type",
            format!("{kind:?} is a hosted OpenAI tool that Google cannot run"),
        )),
        other => Err(ErrorInfo::invalid(
            "tool_choice.type",
            format!("unsupported tool choice type {other:?}"),
        )),
    }
}
