//! Client structured-output requests → IR [`OutputFormat`]: OpenAI `response_format`, Responses
//! `text.format`, Anthropic `output_config.format` and Gemini `responseMimeType` with
//! `responseSchema`/`responseJsonSchema`. Pure: every malformed or unknown format is a 400 naming
//! the field, never a format silently dropped.

use serde_json::{Map, Value};

use crate::translate::ir::{ErrorInfo, OutputFormat};

/// The name a schema gets when the client gave none (Anthropic and Gemini have no name field).
pub const DEFAULT_NAME: &str = "response";

/// OpenAI Chat Completions `response_format`: `{type: text | json_object | json_schema,
/// json_schema: {name, schema, strict, description}}`. `field` is where it sits in the body.
pub fn from_chat_completions(format: &Value, field: &str) -> Result<OutputFormat, ErrorInfo> {
    let obj = object(format, field)?;
    match kind(obj, field)? {
        "json_schema" => {
            let inner_field = format!("{field}.json_schema");
            let inner = obj
                .get("json_schema")
                .ok_or_else(|| ErrorInfo::invalid(&inner_field, "required for type json_schema"))?;
            json_schema(object(inner, &inner_field)?, &inner_field)
        }
        other => simple(other, field),
    }
}

/// Responses `text.format`: the same kinds, with `name`/`schema`/`strict` at the top level.
pub fn from_responses(format: &Value, field: &str) -> Result<OutputFormat, ErrorInfo> {
    let obj = object(format, field)?;
    match kind(obj, field)? {
        "json_schema" => json_schema(obj, field),
        other => simple(other, field),
    }
}

/// Anthropic `output_config.format` (and the beta's top-level `output_format`):
/// `{type: "json_schema", schema}`; the only type Anthropic defines.
pub fn from_anthropic(format: &Value, field: &str) -> Result<OutputFormat, ErrorInfo> {
    let obj = object(format, field)?;
    match kind(obj, field)? {
        "json_schema" => Ok(OutputFormat::JsonSchema {
            name: DEFAULT_NAME.to_owned(),
            schema: schema_object(obj.get("schema"), &format!("{field}.schema"))?,
            strict: true,
            description: None,
        }),
        other => Err(unknown(field, other, "json_schema")),
    }
}

/// Gemini `generationConfig`: `responseMimeType` `text/plain` (or absent) or `application/json`,
/// with at most one of `responseSchema` (Google's `OpenAPI` subset, upper-case types) and
/// `responseJsonSchema` (plain JSON schema). A schema without the JSON mime type is Google's own
/// 400, so it is one here too.
pub fn from_gemini(
    mime: Option<&str>,
    schema: Option<&Value>,
    json_schema: Option<&Value>,
) -> Result<OutputFormat, ErrorInfo> {
    let schema = schema.filter(|v| !v.is_null());
    let json_schema = json_schema.filter(|v| !v.is_null());
    let json = match mime {
        None | Some("text/plain") => false,
        Some("application/json") => true,
        Some(other) => {
            return Err(ErrorInfo::invalid(
                "generationConfig.responseMimeType",
                format!("{other:?} is not served; use text/plain or application/json"),
            ));
        }
    };
    let given = match (schema, json_schema) {
        (Some(_), Some(_)) => {
            return Err(ErrorInfo::invalid(
                "generationConfig.responseJsonSchema",
                "give responseSchema or responseJsonSchema, not both",
            ));
        }
        (Some(s), None) => Some((openapi_to_json_schema(s), "generationConfig.responseSchema")),
        (None, Some(s)) => Some((s.clone(), "generationConfig.responseJsonSchema")),
        (None, None) => None,
    };
    match (json, given) {
        (false, None) => Ok(OutputFormat::Text),
        (false, Some((_, field))) => Err(ErrorInfo::invalid(
            field,
            "needs generationConfig.responseMimeType \"application/json\"",
        )),
        (true, None) => Ok(OutputFormat::JsonObject),
        (true, Some((schema, field))) => Ok(OutputFormat::JsonSchema {
            name: DEFAULT_NAME.to_owned(),
            schema: schema_object(Some(&schema), field)?,
            strict: false,
            description: None,
        }),
    }
}

/// Google's OpenAPI-subset schema → JSON schema: type names lower-cased (`OBJECT` → `object`),
/// everything else kept (the upstream cleaner drops what the gateway refuses, and records it).
fn openapi_to_json_schema(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("type", Value::String(t)) => Value::from(t.to_ascii_lowercase()),
                        // `properties` maps names to schemas; a property *named* type is data.
                        ("properties", Value::Object(props)) => Value::Object(
                            props
                                .iter()
                                .map(|(name, s)| (name.clone(), openapi_to_json_schema(s)))
                                .collect(),
                        ),
                        ("items" | "anyOf", _) => openapi_to_json_schema(v),
                        _ => v.clone(),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(openapi_to_json_schema).collect()),
        other => other.clone(),
    }
}

fn json_schema(obj: &Map<String, Value>, field: &str) -> Result<OutputFormat, ErrorInfo> {
    let name = match obj.get("name") {
        None | Some(Value::Null) => DEFAULT_NAME.to_owned(),
        Some(Value::String(n)) if valid_name(n) => n.clone(),
        Some(_) => {
            return Err(ErrorInfo::invalid(
                &format!("{field}.name"),
                "must be 1-64 characters of a-z, A-Z, 0-9, _ or -",
            ));
        }
    };
    let strict = match obj.get("strict") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(ErrorInfo::invalid(
                &format!("{field}.strict"),
                "must be a boolean",
            ));
        }
    };
    let description = match obj.get("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(d)) => Some(d.clone()).filter(|d| !d.is_empty()),
        Some(_) => {
            return Err(ErrorInfo::invalid(
                &format!("{field}.description"),
                "must be a string",
            ));
        }
    };
    Ok(OutputFormat::JsonSchema {
        name,
        schema: schema_object(obj.get("schema"), &format!("{field}.schema"))?,
        strict,
        description,
    })
}

/// OpenAI's own rule for schema names.
fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The schema must be an object whose root describes an object: the answer is one JSON object,
/// and the emulation passes it as a function's parameters, which must be an object.
fn schema_object(schema: Option<&Value>, field: &str) -> Result<Value, ErrorInfo> {
    let Some(Value::Object(map)) = schema else {
        return Err(ErrorInfo::invalid(field, "required, a JSON schema object"));
    };
    match map.get("type") {
        Some(Value::String(t)) if t == "object" => Ok(Value::Object(map.clone())),
        None if map.contains_key("properties") => Ok(Value::Object(map.clone())),
        _ => Err(ErrorInfo::invalid(
            field,
            "the root must be {\"type\": \"object\", ...}: the answer is one JSON object",
        )),
    }
}

fn simple(kind: &str, field: &str) -> Result<OutputFormat, ErrorInfo> {
    match kind {
        "text" => Ok(OutputFormat::Text),
        "json_object" => Ok(OutputFormat::JsonObject),
        other => Err(unknown(field, other, "text, json_object or json_schema")),
    }
}

fn object<'a>(v: &'a Value, field: &str) -> Result<&'a Map<String, Value>, ErrorInfo> {
    v.as_object()
        .ok_or_else(|| ErrorInfo::invalid(field, "must be an object"))
}

fn kind<'a>(obj: &'a Map<String, Value>, field: &str) -> Result<&'a str, ErrorInfo> {
    obj.get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| ErrorInfo::invalid(&format!("{field}.type"), "required, a string"))
}

fn unknown(field: &str, kind: &str, expected: &str) -> ErrorInfo {
    ErrorInfo::invalid(
        &format!("{field}.type"),
        format!("unknown format {kind:?} (expected {expected})"),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schema() -> Value {
        json!({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]})
    }

    #[test]
    fn chat_completions_kinds() {
        let f = "response_format";
        assert_eq!(
            from_chat_completions(&json!({"type": "text"}), f),
            Ok(OutputFormat::Text)
        );
        assert_eq!(
            from_chat_completions(&json!({"type": "json_object"}), f),
            Ok(OutputFormat::JsonObject)
        );
        let got = from_chat_completions(
            &json!({"type": "json_schema", "json_schema": {"name": "Person", "schema": schema(),
                "strict": true, "description": "who"}}),
            f,
        );
        assert_eq!(
            got,
            Ok(OutputFormat::JsonSchema {
                name: "Person".into(),
                schema: schema(),
                strict: true,
                description: Some("who".into())
            })
        );
    }

    #[test]
    fn chat_completions_errors_name_the_field() {
        let f = "response_format";
        let msg = |v: Value| from_chat_completions(&v, f).unwrap_err().message;
        assert!(msg(json!({"type": "yaml"})).starts_with("response_format.type: unknown format"));
        assert!(msg(json!({"type": "json_schema"})).starts_with("response_format.json_schema:"));
        assert!(
            msg(json!({"type": "json_schema", "json_schema": {"name": "x"}}))
                .starts_with("response_format.json_schema.schema:")
        );
        assert!(
            msg(json!({"type": "json_schema", "json_schema": {"name": "a b", "schema": schema()}}))
                .starts_with("response_format.json_schema.name:")
        );
        assert!(
            msg(json!({"type": "json_schema", "json_schema": {"schema": {"type": "array"}}}))
                .starts_with("response_format.json_schema.schema: the root")
        );
        assert!(msg(json!("json")).starts_with("response_format: must be an object"));
    }

    #[test]
    fn responses_format_is_flat() {
        let got = from_responses(
            &json!({"type": "json_schema", "name": "P", "schema": schema(), "strict": false}),
            "text.format",
        );
        assert_eq!(
            got,
            Ok(OutputFormat::JsonSchema {
                name: "P".into(),
                schema: schema(),
                strict: false,
                description: None
            })
        );
        let err = from_responses(&json!({"type": "json_schema", "name": "P"}), "text.format");
        assert!(err.unwrap_err().message.starts_with("text.format.schema:"));
    }

    #[test]
    fn anthropic_json_schema_only() {
        let got = from_anthropic(
            &json!({"type": "json_schema", "schema": schema()}),
            "output_config.format",
        );
        assert!(
            matches!(got, Ok(OutputFormat::JsonSchema { ref name, .. }) if name == DEFAULT_NAME)
        );
        let err = from_anthropic(&json!({"type": "json_object"}), "output_config.format");
        assert!(
            err.unwrap_err()
                .message
                .starts_with("output_config.format.type:")
        );
    }

    #[test]
    fn gemini_mime_and_schemas() {
        assert_eq!(from_gemini(None, None, None), Ok(OutputFormat::Text));
        assert_eq!(
            from_gemini(Some("application/json"), None, None),
            Ok(OutputFormat::JsonObject)
        );
        let openapi = json!({"type": "OBJECT", "properties": {"type": {"type": "STRING"},
            "tags": {"type": "ARRAY", "items": {"type": "STRING"}}}, "required": ["type"]});
        let Ok(OutputFormat::JsonSchema { schema: got, .. }) =
            from_gemini(Some("application/json"), Some(&openapi), None)
        else {
            panic!("expected a schema");
        };
        assert_eq!(got["type"], "object");
        assert_eq!(got["properties"]["type"]["type"], "string");
        assert_eq!(got["properties"]["tags"]["items"]["type"], "string");
        assert!(matches!(
            from_gemini(Some("application/json"), None, Some(&schema())),
            Ok(OutputFormat::JsonSchema { .. })
        ));
    }

    #[test]
    fn gemini_errors_name_the_field() {
        let msg =
            |m, s: Option<&Value>, j: Option<&Value>| from_gemini(m, s, j).unwrap_err().message;
        assert!(
            msg(Some("text/x-enum"), None, None).starts_with("generationConfig.responseMimeType:")
        );
        assert!(
            msg(None, Some(&schema()), None).starts_with("generationConfig.responseSchema: needs")
        );
        assert!(
            msg(Some("application/json"), Some(&schema()), Some(&schema()))
                .starts_with("generationConfig.responseJsonSchema:")
        );
    }
}
