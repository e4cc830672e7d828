//! Tool declarations and `toolConfig` for the upstream, with cleaned schemas.

use serde_json::{Map, Value, json};

use crate::catalogue::Family;
use crate::translate::ir::{ChatRequest, ToolChoice};
use crate::translate::schema::clean_schema;

/// The property Claude's VALIDATED mode gets on tools that take no arguments: it refuses object
/// schemas without properties. The decoder strips it from the model's arguments.
pub(super) const PLACEHOLDER_PROPERTY: &str = "reason";

#[derive(Debug, Default)]
pub(super) struct ToolsOut {
    pub tools: Option<Value>,
    pub tool_config: Option<Value>,
    pub schema_changes: Vec<String>,
    pub placeholder_tools: Vec<String>,
    pub notes: Vec<String>,
}

/// The `toolConfig` the real client sends on every Claude request, tools or not (`CLIProxyAPI`'s
/// executor sets it on every Claude request since 2d84d2fb6): the upstream checks the model's
/// arguments against the schemas.
fn validated() -> Value {
    json!({"functionCallingConfig": {"mode": "VALIDATED"}})
}

/// `thinking` is whether this request thinks: Claude refuses a forced tool choice then.
///
/// Claude gets VALIDATED unless the client explicitly forces a tool or forbids calls: those stay
/// `ANY` (with `allowedFunctionNames` for one named tool) and `NONE`, the modes of the same
/// `functionCallingConfig`. `CLIProxyAPI` overwrites them with VALIDATED too, which lets a model
/// call tools the client said not to, or answer in text when the client demanded a call.
pub(super) fn declarations(req: &ChatRequest, family: Family, thinking: bool) -> ToolsOut {
    let mut out = ToolsOut::default();
    if req.tools.is_empty() {
        // A tool choice without tools has nothing to choose from.
        if family == Family::Claude {
            out.tool_config = Some(validated());
        }
        return out;
    }
    let mut decls = Vec::with_capacity(req.tools.len());
    for tool in &req.tools {
        let (mut params, changes) = clean_schema(&tool.parameters);
        out.schema_changes
            .extend(changes.into_iter().map(|c| format!("{}: {c}", tool.name)));
        let empty = params["properties"]
            .as_object()
            .is_none_or(serde_json::Map::is_empty);
        if family == Family::Claude && empty {
            params["properties"] = json!({PLACEHOLDER_PROPERTY: {
                "type": "string",
                "description": "Brief explanation of why you are calling this tool"
            }});
            params["required"] = json!([PLACEHOLDER_PROPERTY]);
            out.placeholder_tools.push(tool.name.clone());
        }
        let mut decl = json!({"name": tool.name});
        if let Some(d) = tool.description.as_deref().filter(|d| !d.is_empty()) {
            decl["description"] = Value::from(d);
        }
        decl["parameters"] = params;
        decls.push(decl);
    }
    // Built in place: `json!` would deep-copy every declaration through `to_value`.
    let mut wrapper = Map::new();
    wrapper.insert("functionDeclarations".into(), Value::Array(decls));
    out.tools = Some(Value::Array(vec![Value::Object(wrapper)]));
    let auto = if family == Family::Claude {
        "VALIDATED"
    } else {
        "AUTO"
    };
    let forced = matches!(
        req.tool_choice,
        ToolChoice::Required | ToolChoice::Tool { .. }
    );
    if family == Family::Claude && thinking && forced {
        // Anthropic: with thinking on, tool_choice may only be auto or none.
        out.notes.push(
            "tool_choice forcing a tool is not allowed while Claude thinks; sent as auto".into(),
        );
        out.tool_config = Some(json!({"functionCallingConfig": {"mode": auto}}));
        return out;
    }
    let config = match &req.tool_choice {
        ToolChoice::Auto => json!({"mode": auto}),
        ToolChoice::Required => json!({"mode": "ANY"}),
        ToolChoice::None => json!({"mode": "NONE"}),
        ToolChoice::Tool { name } => json!({"mode": "ANY", "allowedFunctionNames": [name]}),
    };
    out.tool_config = Some(json!({"functionCallingConfig": config}));
    out
}
