//! Structured output in the simulated model: a forced function call
//! (`toolConfig.functionCallingConfig.mode: "ANY"`, optionally narrowed by
//! `allowedFunctionNames`) and JSON answers for `generationConfig.responseMimeType:
//! "application/json"` (with `responseSchema`/`responseJsonSchema`), both synthesised from the
//! whole schema so a client-side model class (pydantic, zod) parses them.

use serde_json::{Map, Value, json};

use super::tools::{self, Declared};

/// Arrays get this many items: one, so every item schema is exercised.
const ARRAY_ITEMS: usize = 1;
/// Deeper schemas are cut off (recursive `$ref`s are already inlined by the proxy).
const MAX_DEPTH: usize = 16;

/// The call a `mode: ANY` request must get: a tool among the allowed named in the user text,
/// else the first allowed one that the turn did not just answer (so a tool loop ends in the
/// next allowed function, as a model that has its result would), else the first allowed.
/// `None` when the mode is not ANY or nothing is declared.
pub(crate) fn forced_call(
    request: &Value,
    texts: &[&str],
    answered: &[&str],
) -> Option<(String, Value)> {
    let config = request.pointer("/toolConfig/functionCallingConfig")?;
    if config.get("mode").and_then(Value::as_str) != Some("ANY") {
        return None;
    }
    let allowed_names: Option<Vec<&str>> = config
        .get("allowedFunctionNames")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect());
    let declared = tools::declared(request);
    let allowed: Vec<&Declared<'_>> = declared
        .iter()
        .filter(|d| {
            allowed_names
                .as_ref()
                .is_none_or(|names| names.contains(&d.name))
        })
        .collect();
    if let Some((name, args)) = tools::choose(request, texts)
        && allowed.iter().any(|d| d.name == name)
        && answered.is_empty()
    {
        return Some((name, args));
    }
    let pick = allowed
        .iter()
        .find(|d| !answered.contains(&d.name))
        .or_else(|| allowed.first())?;
    Some((
        pick.name.to_owned(),
        synthesise(pick.parameters.unwrap_or(&json!({"type": "object"}))),
    ))
}

/// The answer text a JSON-mode request gets: the schema's synthesised instance, pretty-printed
/// (so it streams in several chunks), or an object holding `greeting` without a schema.
pub(crate) fn json_text(request: &Value, greeting: &str) -> Option<String> {
    let cfg = request.get("generationConfig")?;
    if cfg.get("responseMimeType").and_then(Value::as_str) != Some("application/json") {
        return None;
    }
    let value = match cfg
        .get("responseSchema")
        .or_else(|| cfg.get("responseJsonSchema"))
    {
        Some(schema) => synthesise(schema),
        None => json!({"answer": greeting}),
    };
    Some(serde_json::to_string_pretty(&value).expect("a JSON value always serializes"))
}

/// An instance of `schema`: every property (required and optional), nested objects, arrays of
/// one item, an enum's first value, the first branch of a union. Type names in either case.
pub(crate) fn synthesise(schema: &Value) -> Value {
    instance(schema, "value", 0)
}

fn instance(schema: &Value, name: &str, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    if let Some(constant) = schema.get("const") {
        return constant.clone();
    }
    if let Some(branch) = ["anyOf", "oneOf"]
        .iter()
        .find_map(|k| schema.get(*k).and_then(Value::as_array))
        .and_then(|b| b.iter().find(|s| type_of(s).as_deref() != Some("null")))
    {
        return instance(branch, name, depth + 1);
    }
    let kind = type_of(schema).unwrap_or_else(|| {
        if schema.get("properties").is_some() {
            "object".into()
        } else {
            "string".into()
        }
    });
    match kind.as_str() {
        "object" => {
            let mut out = Map::new();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (prop, sub) in props {
                    out.insert(prop.clone(), instance(sub, prop, depth + 1));
                }
            }
            Value::Object(out)
        }
        "array" => {
            let items = schema.get("items").cloned().unwrap_or(json!({}));
            Value::Array(
                (0..ARRAY_ITEMS)
                    .map(|_| instance(&items, name, depth + 1))
                    .collect(),
            )
        }
        "integer" => json!(1),
        "number" => json!(1.5),
        "boolean" => json!(true),
        "null" => Value::Null,
        // A model follows a string's description: one that asks for serialized JSON gets it.
        _ if describes_json(schema) => Value::String(json!({"answer": "example"}).to_string()),
        _ => Value::String(format!("example {name}")),
    }
}

fn describes_json(schema: &Value) -> bool {
    schema
        .get("description")
        .and_then(Value::as_str)
        .is_some_and(|d| d.contains("JSON object, serialized"))
}

/// The schema's type, lower-cased; for a type list the first that is not `null`.
fn type_of(schema: &Value) -> Option<String> {
    match schema.get("type")? {
        Value::String(t) => Some(t.to_ascii_lowercase()),
        Value::Array(list) => list
            .iter()
            .filter_map(Value::as_str)
            .find(|t| !t.eq_ignore_ascii_case("null"))
            .map(str::to_ascii_lowercase),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(config: &Value) -> Value {
        json!({"tools": [{"functionDeclarations": [
            {"name": "get_weather", "parameters": {"type": "object",
                "properties": {"location": {"type": "string"}}, "required": ["location"]}},
            {"name": "answer", "parameters": {"type": "object",
                "properties": {"n": {"type": "integer"}}, "required": ["n"]}}
        ]}], "toolConfig": {"functionCallingConfig": config}})
    }

    #[test]
    fn any_calls_the_allowed_tool_without_being_named() {
        let req = request(&json!({"mode": "ANY", "allowedFunctionNames": ["answer"]}));
        let (name, args) = forced_call(&req, &["hello"], &[]).unwrap();
        assert_eq!(name, "answer");
        assert_eq!(args, json!({"n": 1}));
        assert!(forced_call(&request(&json!({"mode": "AUTO"})), &["hello"], &[]).is_none());
    }

    #[test]
    fn any_prefers_a_named_tool_then_moves_past_answered_ones() {
        let req =
            request(&json!({"mode": "ANY", "allowedFunctionNames": ["get_weather", "answer"]}));
        let (name, _) = forced_call(&req, &["use get_weather for Paris"], &[]).unwrap();
        assert_eq!(name, "get_weather");
        let answered = ["get_weather"];
        let (name, _) = forced_call(&req, &[], &answered).unwrap();
        assert_eq!(name, "answer");
    }

    #[test]
    fn instances_cover_the_whole_schema() {
        let schema = json!({"type": "OBJECT", "properties": {
            "name": {"type": "STRING"},
            "age": {"type": "integer"},
            "score": {"type": ["number", "null"]},
            "tags": {"type": "array", "items": {"type": "string"}},
            "kind": {"type": "string", "enum": ["a", "b"]},
            "address": {"type": "object", "properties": {"city": {"type": "string"}}},
            "maybe": {"anyOf": [{"type": "null"}, {"type": "boolean"}]},
            "json": {"type": "string", "description": "one JSON object, serialized as a string"}
        }, "required": ["name"]});
        assert_eq!(
            synthesise(&schema),
            json!({"name": "example name", "age": 1, "score": 1.5, "tags": ["example tags"],
                "kind": "a", "address": {"city": "example city"}, "maybe": true,
                "json": "{\"answer\":\"example\"}"})
        );
    }

    #[test]
    fn json_mode_answers_json() {
        let req = json!({"generationConfig": {"responseMimeType": "application/json",
            "responseSchema": {"type": "object", "properties": {"x": {"type": "integer"}}}}});
        let text = json_text(&req, "hi").unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            json!({"x": 1})
        );
        let plain = json!({"generationConfig": {"responseMimeType": "application/json"}});
        let text = json_text(&plain, "hi").unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            json!({"answer": "hi"})
        );
        assert!(json_text(&json!({}), "hi").is_none());
    }
}
