//! The JSON-schema cleaner: arbitrary values (recursive, with `$ref`/`$defs`/`definitions`,
//! `anyOf`/`oneOf`/`allOf`, nested properties, cycles, diamonds, deep nesting) never panic or
//! overflow the stack, finish quickly, and give an object schema whose every node keeps only the
//! allowed keywords (an enum only on a string schema), lists only existing properties as required,
//! and stays within the depth cap.

use std::time::{Duration, Instant};

use anti_api_tui::translate::schema::clean_schema;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::common::{config, json_with_keys};

/// The keywords a cleaned node may keep (`KEPT` in `src/translate/schema.rs`).
const KEPT: &[&str] = &[
    "type",
    "description",
    "properties",
    "required",
    "items",
    "enum",
];
/// `MAX_NODE_DEPTH` in `src/translate/schema.rs`: deeper nodes are cut to `{type: object}`.
const MAX_NODE_DEPTH: usize = 48;

const KEYS: &[&str] = &[
    "type",
    "properties",
    "items",
    "required",
    "enum",
    "const",
    "description",
    "$ref",
    "$defs",
    "definitions",
    "anyOf",
    "oneOf",
    "allOf",
    "format",
    "default",
    "pattern",
    "minimum",
    "maxLength",
    "additionalProperties",
    "title",
    "examples",
    "cache_control",
    "a",
    "b",
];

/// `$ref` targets that resolve (or almost) inside the generated documents.
const REFS: &[&str] = &[
    "#",
    "#/$defs/a",
    "#/$defs/b",
    "#/definitions/a",
    "#/definitions/b",
    "#/properties/a",
    "#/$defs/missing",
    "#/$defs",
    "other.json#/x",
    "#/$defs/a/properties/a",
];

const TYPES: &[&str] = &[
    "object", "array", "string", "integer", "number", "boolean", "null", "OBJECT", "String",
];

/// Schema-shaped JSON: keywords with plausible and implausible values, recursively.
fn schema() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        prop::sample::select(TYPES).prop_map(|t| json!({"type": t})),
        prop::sample::select(REFS).prop_map(|r| json!({"$ref": r})),
        json_with_keys(KEYS),
        Just(json!({})),
        Just(json!({"enum": [1, "a", null, {"x": 1}]})),
        Just(json!({"const": 3, "minimum": 1, "pattern": "^a$"})),
        Just(json!({"type": ["string", "null"]})),
    ];
    leaf.prop_recursive(6, 96, 5, |inner| {
        let list = prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array);
        let props = prop::collection::vec(
            (
                prop_oneof![
                    prop::sample::select(KEYS).prop_map(str::to_owned),
                    "[a-z]{1,6}"
                ],
                inner.clone(),
            ),
            0..4,
        )
        .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>()));
        (
            prop::option::of(prop::sample::select(TYPES)),
            prop::option::of(props.clone()),
            prop::option::of(inner.clone()),
            prop::option::of((prop::sample::select(&["anyOf", "oneOf", "allOf"][..]), list)),
            prop::option::of(props),
            prop::option::of(prop::sample::select(REFS)),
            prop::option::of(prop::collection::vec("[a-z]{1,6}", 0..3)),
        )
            .prop_map(|(ty, props, items, union, defs, reference, required)| {
                let mut m = Map::new();
                if let Some(t) = ty {
                    m.insert("type".into(), Value::from(t));
                }
                if let Some(p) = props {
                    m.insert("properties".into(), p);
                }
                if let Some(i) = items {
                    m.insert("items".into(), i);
                }
                if let Some((key, list)) = union {
                    m.insert(key.into(), list);
                }
                if let Some(d) = defs {
                    m.insert("$defs".into(), d.clone());
                    m.insert("definitions".into(), d);
                }
                if let Some(r) = reference {
                    m.insert("$ref".into(), Value::from(r));
                }
                if let Some(r) = required {
                    m.insert("required".into(), json!(r));
                }
                Value::Object(m)
            })
    })
}

/// Checks one cleaned node and its children; returns the deepest node depth below it.
fn check_node(node: &Value, depth: usize, path: &str) -> Result<usize, String> {
    let m = node
        .as_object()
        .ok_or_else(|| format!("{path}: a schema node that is not an object"))?;
    if let Some(key) = m.keys().find(|k| !KEPT.contains(&k.as_str())) {
        return Err(format!("{path}: kept the keyword {key:?}"));
    }
    if let Some(t) = m.get("type") {
        let t = t
            .as_str()
            .ok_or_else(|| format!("{path}: a non-string type"))?;
        if t != t.to_ascii_lowercase() {
            return Err(format!("{path}: type {t} is not lower-case"));
        }
        if t == "array" && !m.contains_key("items") {
            return Err(format!("{path}: an array without items"));
        }
    }
    if m.get("description").is_some_and(|d| !d.is_string()) {
        return Err(format!("{path}: a non-string description"));
    }
    if let Some(e) = m.get("enum") {
        let all_strings = e.as_array().is_some_and(|a| a.iter().all(Value::is_string));
        if !all_strings {
            return Err(format!("{path}: enum is not a list of strings"));
        }
        // Gemini refuses an enum anywhere but on a string schema.
        if m.get("type").and_then(Value::as_str) != Some("string") {
            return Err(format!("{path}: enum on a schema that is not a string"));
        }
    }
    let props = m.get("properties");
    if let Some(required) = m.get("required") {
        let names = required
            .as_array()
            .ok_or_else(|| format!("{path}: required is not a list"))?;
        for name in names {
            let known = name
                .as_str()
                .is_some_and(|n| props.and_then(|p| p.get(n)).is_some());
            if !known {
                return Err(format!("{path}: requires {name}, which is no property"));
            }
        }
    }
    let mut deepest = depth;
    if let Some(props) = props {
        let props = props
            .as_object()
            .ok_or_else(|| format!("{path}: properties is not an object"))?;
        for (name, sub) in props {
            deepest = deepest.max(check_node(sub, depth + 1, &format!("{path}.{name}"))?);
        }
    }
    if let Some(items) = m.get("items") {
        deepest = deepest.max(check_node(items, depth + 1, &format!("{path}[]"))?);
    }
    Ok(deepest)
}

fn check(schema: &Value) -> Result<(), String> {
    let started = Instant::now();
    let (cleaned, changes) = clean_schema(schema);
    let took = started.elapsed();
    // Generous for a debug build on a busy machine; a blow-up takes seconds or forever.
    if took > Duration::from_secs(2) {
        return Err(format!("cleaning took {took:?}"));
    }
    if cleaned["type"] != "object" || !cleaned["properties"].is_object() {
        return Err(format!("the root is not an object schema: {cleaned}"));
    }
    // The root is depth 1; a node at the cap is cut to a leaf one level further down.
    let deepest = check_node(&cleaned, 1, "(root)")?;
    if deepest > MAX_NODE_DEPTH + 1 {
        return Err(format!("nodes {deepest} levels deep"));
    }
    if cleaned != *schema && changes.is_empty() {
        return Err("the schema changed but no change was recorded".into());
    }
    // Cleaning is idempotent: a clean schema stays as it is (up to notes).
    let (again, _) = clean_schema(&cleaned);
    if again != cleaned {
        return Err(format!("not idempotent:\n{cleaned}\n{again}"));
    }
    Ok(())
}

/// A chain of `key` wrappers `depth` deep around `leaf`, built and dropped without recursion
/// limits mattering: `serde_json` parses at most 128 levels, so that is the deepest a client
/// schema can be.
fn nested(depth: usize, wrap: impl Fn(Value) -> Value) -> Value {
    let mut v = json!({"type": "string"});
    for _ in 0..depth {
        v = wrap(v);
    }
    v
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn arbitrary_schemas_clean_to_the_allowed_subset(schema in schema()) {
        if let Err(why) = check(&schema) {
            prop_assert!(false, "{}\nschema: {}", why, schema);
        }
    }

    #[test]
    fn arbitrary_json_never_panics(value in json_with_keys(KEYS)) {
        if let Err(why) = check(&value) {
            prop_assert!(false, "{}\nvalue: {}", why, value);
        }
    }

    #[test]
    fn deep_nesting_is_cut_not_followed(
        depth in 1usize..=126,
        how in 0usize..6,
    ) {
        // Items nest one JSON level per schema level, the other wrappers two.
        let depth = if how == 1 { depth } else { depth.div_ceil(2) };
        let wrap = |v: Value| -> Value {
            match how {
                0 => json!({"type": "object", "properties": {"p": v}}),
                1 => json!({"type": "array", "items": v}),
                2 => json!({"anyOf": [v, {"type": "null"}]}),
                3 => json!({"allOf": [v]}),
                4 => json!({"oneOf": [{"type": "string"}, v]}),
                _ => json!({"$defs": {"a": v}, "$ref": "#/$defs/a"}),
            }
        };
        let schema = nested(depth, wrap);
        // Every generated depth is one a client could send (serde_json's limit is 128).
        let text = serde_json::to_string(&schema).expect("serializable");
        let reparsed: Result<Value, _> = serde_json::from_str(&text);
        prop_assert!(reparsed.is_ok(), "deeper than a client could send");
        if let Err(why) = check(&schema) {
            prop_assert!(false, "{}", why);
        }
    }

    #[test]
    fn reference_diamonds_stay_bounded(width in 1usize..6, levels in 1usize..24) {
        // d0 → (d1, d1, …) → (d2, …) …: exponential if every reference were inlined.
        let mut defs = Map::new();
        for level in 0..levels {
            let next = format!("#/$defs/d{}", level + 1);
            let props: Map<String, Value> = (0..width)
                .map(|i| (format!("p{i}"), json!({"$ref": next})))
                .collect();
            defs.insert(format!("d{level}"), json!({"type": "object", "properties": props}));
        }
        defs.insert(format!("d{levels}"), json!({"type": "string"}));
        let schema = json!({"$defs": defs, "$ref": "#/$defs/d0"});
        if let Err(why) = check(&schema) {
            prop_assert!(false, "{}", why);
        }
    }
}
