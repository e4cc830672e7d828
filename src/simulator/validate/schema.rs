//! Tool declarations: names and `parameters` schemas, checked against the OpenAPI-subset proto
//! the upstream parses them into, then (strict) against Gemini's semantic schema rules. Keys
//! inside `properties` are property names, never keywords.

use std::collections::HashSet;

use serde_json::Value;

use super::Rejection;
use crate::simulator::models::Style;

/// JSON-schema keywords the upstream's `Schema` proto has no field for.
const UNSUPPORTED: &[&str] = &[
    "$schema",
    "additionalProperties",
    "$ref",
    "$defs",
    "definitions",
    "anyOf",
    "oneOf",
    "allOf",
    "const",
    "default",
    "examples",
    "format",
    "propertyNames",
    "patternProperties",
];

const TYPES: &[&str] = &[
    "string", "number", "integer", "boolean", "array", "object", "null",
];

/// `strict` adds the semantic rules today's gateway applies after parsing (see `SimConfig`).
pub(super) fn check_tools(style: Style, request: &Value, strict: bool) -> Result<(), Rejection> {
    let Some(tools) = request.get("tools") else {
        return Ok(());
    };
    let Some(tools) = tools.as_array() else {
        return Err(proto(
            "Proto field is not repeating, cannot start list.",
            "request.tools",
        ));
    };
    let mut seen = HashSet::new();
    for (t, tool) in tools.iter().enumerate() {
        for (d, decl) in declarations(tool).into_iter().flatten().enumerate() {
            let path = format!("request.tools[{t}].functionDeclarations[{d}]");
            let name = decl.get("name").and_then(Value::as_str).unwrap_or_default();
            check_name(style, name, &path)?;
            if !seen.insert(name.to_owned()) {
                return Err(match style {
                    Style::Claude => Rejection::claude("tools: Tool names must be unique."),
                    _ => Rejection::plain(format!("Duplicate function declaration found: {name}")),
                });
            }
            if let Some(params) = decl.get("parameters") {
                check_schema(params, &format!("{path}.parameters"))?;
            }
        }
    }
    if strict && style == Style::Gemini {
        for (t, tool) in tools.iter().enumerate() {
            for (d, decl) in declarations(tool).into_iter().flatten().enumerate() {
                if let Some(params) = decl.get("parameters") {
                    let at = format!("tools[{t}].function_declarations[{d}].parameters");
                    check_enum_types(params, &at)?;
                }
            }
        }
    }
    Ok(())
}

fn declarations(tool: &Value) -> Option<&Vec<Value>> {
    tool.get("functionDeclarations")
        .or_else(|| tool.get("function_declarations"))
        .and_then(Value::as_array)
}

/// Gemini takes `enum` only on a string schema: a typeless, numeric or boolean one is a 400
/// (9router #359, directus #27100, `CLIProxyAPI` #1260 quote the message). Runs on a schema the
/// parser accepted, and names the node by its proto path, as the real message does.
fn check_enum_types(schema: &Value, at: &str) -> Result<(), Rejection> {
    let is_string = schema
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case("string"));
    if schema.get("enum").is_some() && !is_string {
        return Err(Rejection::plain(format!(
            "* GenerateContentRequest.{at}.enum: only allowed for STRING type"
        )));
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, sub) in props {
            check_enum_types(sub, &format!("{at}.properties[{name}]"))?;
        }
    }
    if let Some(items) = schema.get("items") {
        check_enum_types(items, &format!("{at}.items"))?;
    }
    Ok(())
}

fn check_name(style: Style, name: &str, path: &str) -> Result<(), Rejection> {
    let ok_len = !name.is_empty() && name.len() <= 64;
    match style {
        Style::Claude => {
            let ok = ok_len
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !ok {
                return Err(Rejection::claude(format!(
                    "tools.0.custom.name: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$' ({path}.name = {name:?})"
                )));
            }
        }
        Style::Gemini | Style::GptOss => {
            let ok = ok_len
                && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.:-".contains(c));
            if !ok {
                return Err(Rejection::plain(format!(
                    "* GenerateContentRequest.{}.name: Invalid function name. Must start with a \
                     letter or an underscore. Must be alphameric (a-z, A-Z, 0-9), underscores (_), \
                     dots (.), colons (:), or dashes (-), with a maximum length of 64.",
                    path.trim_start_matches("request.")
                )));
            }
        }
    }
    Ok(())
}

fn check_schema(schema: &Value, path: &str) -> Result<(), Rejection> {
    let Some(obj) = schema.as_object() else {
        return Err(proto("Starting an object on a scalar field.", path));
    };
    for (key, value) in obj {
        if UNSUPPORTED.contains(&key.as_str()) {
            return Err(Rejection::plain(format!(
                "Invalid JSON payload received. Unknown name \"{key}\" at '{path}': Cannot find field."
            )));
        }
        match key.as_str() {
            "type" => check_type(value, path)?,
            "enum" => check_enum(value, path)?,
            "properties" => {
                let Some(props) = value.as_object() else {
                    return Err(proto(
                        "Starting an object on a scalar field.",
                        &format!("{path}.properties"),
                    ));
                };
                for (name, sub) in props {
                    check_schema(sub, &format!("{path}.properties.{name}"))?;
                }
            }
            "items" => {
                if value.is_array() {
                    return Err(proto(
                        "Proto field is not repeating, cannot start list.",
                        &format!("{path}.items"),
                    ));
                }
                check_schema(value, &format!("{path}.items"))?;
            }
            _ => {}
        }
    }
    Ok(())
}

fn check_type(value: &Value, path: &str) -> Result<(), Rejection> {
    match value {
        Value::String(t) if TYPES.contains(&t.to_ascii_lowercase().as_str()) => Ok(()),
        Value::Array(_) => Err(proto(
            "Proto field is not repeating, cannot start list.",
            &format!("{path}.type"),
        )),
        other => Err(Rejection::plain(format!(
            "Invalid JSON payload received. Invalid value at '{path}.type' \
             (type.googleapis.com/google.cloud.aiplatform.v1.Type), {other}"
        ))),
    }
}

fn check_enum(value: &Value, path: &str) -> Result<(), Rejection> {
    let Some(values) = value.as_array() else {
        return Err(proto(
            "Starting an object on a scalar field.",
            &format!("{path}.enum"),
        ));
    };
    if let Some((i, bad)) = values.iter().enumerate().find(|(_, v)| !v.is_string()) {
        return Err(Rejection::plain(format!(
            "Invalid JSON payload received. Invalid value at '{path}.enum[{i}]' (TYPE_STRING), {bad}"
        )));
    }
    Ok(())
}

fn proto(what: &str, path: &str) -> Rejection {
    Rejection::plain(format!("Invalid JSON payload received. {what} at '{path}'"))
}
