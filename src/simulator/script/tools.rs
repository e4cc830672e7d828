//! Decides whether a scripted reply calls a tool, and synthesises plausible arguments from the
//! tool's declared schema.

use serde_json::{Map, Value, json};

/// A declared function: its name and `parameters` schema.
pub(crate) struct Declared<'a> {
    pub name: &'a str,
    pub parameters: Option<&'a Value>,
}

/// Every function declared in `request.tools`, in order.
pub(crate) fn declared(request: &Value) -> Vec<Declared<'_>> {
    let Some(tools) = request.get("tools").and_then(Value::as_array) else {
        return Vec::new();
    };
    tools
        .iter()
        .filter_map(|t| {
            t.get("functionDeclarations")
                .or_else(|| t.get("function_declarations"))
                .and_then(Value::as_array)
        })
        .flatten()
        .filter_map(|d| {
            Some(Declared {
                name: d.get("name")?.as_str()?,
                parameters: d
                    .get("parameters")
                    .or_else(|| d.get("parametersJsonSchema")),
            })
        })
        .collect()
}

/// The tool call a user text asks for, if any: a declared tool named in the text (as a whole
/// word, any case), or `Bash` for a text starting with "run ".
pub(crate) fn choose(request: &Value, texts: &[&str]) -> Option<(String, Value)> {
    let tools = declared(request);
    let joined = texts.join("\n");
    if let Some(tool) = tools.iter().find(|t| mentions(&joined, t.name)) {
        return Some((
            tool.name.to_owned(),
            synthesise(tool.parameters, &joined, tool.name),
        ));
    }
    let command = texts.iter().find_map(|t| run_command(t))?;
    tools.iter().find(|t| t.name == "Bash")?;
    Some((
        "Bash".to_owned(),
        json!({ "command": command, "description": format!("Run {command}") }),
    ))
}

/// The text after a leading "run " (any case).
fn run_command(text: &str) -> Option<&str> {
    let text = text.trim();
    let head = text.get(..4)?;
    head.eq_ignore_ascii_case("run ")
        .then(|| text[4..].trim())
        .filter(|c| !c.is_empty())
}

/// Whether `name` occurs in `text` as a whole word, ignoring case.
fn mentions(text: &str, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    let hay = text.to_lowercase();
    let needle = name.to_lowercase();
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    hay.match_indices(&needle).any(|(i, _)| {
        let before = hay[..i].chars().next_back();
        let after = hay[i + needle.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

/// Arguments for the schema's required properties: `command` gets the text after "run ",
/// `location`/`city` a capitalised word from the text (else "Paris"), an enum its first value,
/// other strings "example", numbers 1, booleans true, arrays [] and objects {}.
fn synthesise(parameters: Option<&Value>, text: &str, tool_name: &str) -> Value {
    let mut args = Map::new();
    let Some(schema) = parameters else {
        return Value::Object(args);
    };
    let props = schema.get("properties").and_then(Value::as_object);
    let required = schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str);
    for name in required {
        let prop = props.and_then(|p| p.get(name));
        args.insert(name.to_owned(), value_for(name, prop, text, tool_name));
    }
    Value::Object(args)
}

fn value_for(name: &str, prop: Option<&Value>, text: &str, tool_name: &str) -> Value {
    if let Some(first) = prop
        .and_then(|p| p.get("enum"))
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    let kind = prop
        .and_then(|p| p.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("string")
        .to_ascii_lowercase();
    match kind.as_str() {
        "integer" | "number" => json!(1),
        "boolean" => json!(true),
        "array" => json!([]),
        "object" => json!({}),
        _ => Value::String(match name {
            "command" => text
                .lines()
                .find_map(run_command)
                .unwrap_or("example")
                .to_owned(),
            "location" | "city" => capitalised_word(text, tool_name)
                .unwrap_or("Paris")
                .to_owned(),
            _ => "example".to_owned(),
        }),
    }
}

/// The last capitalised word of `text` that is not the tool's own name.
fn capitalised_word<'a>(text: &'a str, tool_name: &str) -> Option<&'a str> {
    text.split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .rfind(|w| {
            w.chars().count() > 1
                && !w.eq_ignore_ascii_case(tool_name)
                && w.chars().next().is_some_and(char::is_uppercase)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Value {
        json!({"tools": [{"functionDeclarations": [
            {"name": "get_weather", "parameters": {"type": "object",
                "properties": {"location": {"type": "string"}, "days": {"type": "integer"},
                               "unit": {"type": "string", "enum": ["c", "f"]}},
                "required": ["location", "days", "unit"]}},
            {"name": "Bash", "parameters": {"type": "object",
                "properties": {"command": {"type": "string"}}, "required": ["command"]}}
        ]}]})
    }

    #[test]
    fn named_tools_get_synthesised_arguments() {
        let (name, args) = choose(&request(), &["What does get_weather say for Tokyo?"]).unwrap();
        assert_eq!(name, "get_weather");
        assert_eq!(args, json!({"location": "Tokyo", "days": 1, "unit": "c"}));
    }

    #[test]
    fn run_prefix_uses_bash() {
        let (name, args) = choose(&request(), &["run echo hi"]).unwrap();
        assert_eq!(name, "Bash");
        assert_eq!(
            args,
            json!({"command": "echo hi", "description": "Run echo hi"})
        );
    }

    #[test]
    fn names_must_be_whole_words() {
        assert!(choose(&request(), &["tell me about bashful people"]).is_none());
        assert!(mentions("please use BASH now", "Bash"));
        assert!(!mentions("rebash", "bash"));
    }
}
