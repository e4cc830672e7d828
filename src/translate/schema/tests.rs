//! Tests for the JSON-schema cleaner: one rule per test, plus a Claude Code-shaped schema.

use serde_json::json;

use super::clean_schema;

fn has_change(changes: &[String], needle: &str) -> bool {
    changes.iter().any(|c| c == needle)
}

#[test]
fn drops_meta_keywords_and_records_them() {
    let (out, changes) = clean_schema(&json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "x", "$comment": "c", "title": "T",
        "type": "object",
        "additionalProperties": false,
        "properties": {"path": {"type": "string", "format": "uri", "default": "/", "examples": ["/a"],
                                 "deprecated": true, "readOnly": true, "x-foo": 1}},
        "required": ["path"]
    }));
    assert_eq!(
        out,
        json!({"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]})
    );
    for c in [
        "$schema: removed",
        "$id: removed",
        "$comment: removed",
        "title: removed",
        "additionalProperties: removed",
        "properties.path.format: removed",
        "properties.path.default: removed",
        "properties.path.examples: removed",
        "properties.path.deprecated: removed",
        "properties.path.readOnly: removed",
        "properties.path.x-foo: removed",
    ] {
        assert!(has_change(&changes, c), "{c} missing from {changes:#?}");
    }
}

#[test]
fn properties_named_like_keywords_survive() {
    let (out, _) = clean_schema(&json!({
        "type": "object",
        "properties": {
            "format": {"type": "string", "format": "date"},
            "default": {"type": "boolean"},
            "not": {"type": "integer"},
            "pattern": {"type": "string"},
            "$ref": {"type": "string"},
            "title": {"type": "string"}
        },
        "required": ["format", "default", "not"]
    }));
    let props = out["properties"].as_object().unwrap();
    let names: Vec<&str> = props.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["format", "default", "not", "pattern", "$ref", "title"]
    );
    assert_eq!(out["properties"]["format"], json!({"type": "string"}));
    assert_eq!(out["required"], json!(["format", "default", "not"]));
}

#[test]
fn inlines_local_refs_from_defs_and_definitions() {
    let (out, changes) = clean_schema(&json!({
        "type": "object",
        "$defs": {"Point": {"type": "object", "properties": {"x": {"type": "number"}}}},
        "definitions": {"Name": {"type": "string", "minLength": 1}},
        "properties": {
            "p": {"$ref": "#/$defs/Point", "description": "where"},
            "n": {"$ref": "#/definitions/Name"}
        }
    }));
    assert_eq!(
        out["properties"]["p"],
        json!({"type": "object", "description": "where", "properties": {"x": {"type": "number"}}})
    );
    assert_eq!(
        out["properties"]["n"],
        json!({"type": "string", "description": "(minLength: 1)"})
    );
    assert!(out.get("$defs").is_none() && out.get("definitions").is_none());
    assert!(has_change(
        &changes,
        "properties.p.$ref: inlined #/$defs/Point"
    ));
}

#[test]
fn cyclic_refs_are_cut_not_looped() {
    let (out, changes) = clean_schema(&json!({
        "type": "object",
        "$defs": {"Node": {"type": "object", "properties": {
            "value": {"type": "string"},
            "next": {"$ref": "#/$defs/Node"}
        }}},
        "properties": {"head": {"$ref": "#/$defs/Node"}}
    }));
    let next = &out["properties"]["head"]["properties"]["next"];
    assert_eq!(next["type"], "object");
    assert_eq!(next["description"], "(see: Node)");
    assert!(
        has_change(
            &changes,
            "properties.head.properties.next.$ref: cyclic reference #/$defs/Node cut"
        ),
        "{changes:#?}"
    );
}

#[test]
fn unresolved_refs_become_hints() {
    let (out, changes) = clean_schema(&json!({
        "type": "object",
        "properties": {"a": {"$ref": "#/$defs/Missing"}, "b": {"$ref": "https://x/y.json"}}
    }));
    assert_eq!(
        out["properties"]["a"],
        json!({"description": "(see: Missing)"})
    );
    assert!(has_change(
        &changes,
        "properties.b.$ref: unresolved https://x/y.json, removed"
    ));
}

#[test]
fn any_of_picks_the_best_non_null_branch() {
    let (out, changes) = clean_schema(&json!({
        "type": "object",
        "properties": {
            "maybe": {"anyOf": [{"type": "null"}, {"type": "string", "maxLength": 5}], "description": "d"},
            "shape": {"oneOf": [{"type": "string"}, {"type": "object", "properties": {"k": {"type": "string"}}}]}
        }
    }));
    assert_eq!(
        out["properties"]["maybe"],
        json!({"type": "string", "description": "d (maxLength: 5)"}),
        "the branch's hint joins the node's own description"
    );
    assert_eq!(out["properties"]["shape"]["type"], "object");
    assert_eq!(
        out["properties"]["shape"]["properties"]["k"]["type"],
        "string"
    );
    assert!(has_change(
        &changes,
        "properties.maybe.anyOf: reduced to its string branch"
    ));
}

#[test]
fn any_of_of_consts_merges_into_one_enum() {
    let (out, _) = clean_schema(&json!({
        "type": "object",
        "properties": {"mode": {"anyOf": [{"const": "fast"}, {"const": "slow"}, {"type": "null"}]}}
    }));
    assert_eq!(
        out["properties"]["mode"],
        json!({"type": "string", "enum": ["fast", "slow"]})
    );
}

#[test]
fn any_of_of_numeric_consts_keeps_every_choice_in_the_hint() {
    let (out, changes) = clean_schema(&json!({
        "type": "object",
        "properties": {"n": {"anyOf": [{"type": "integer", "const": 1}, {"type": "integer", "const": 2}]}}
    }));
    assert_eq!(
        out["properties"]["n"],
        json!({"type": "integer", "description": "(allowed: 1, 2)"})
    );
    assert!(has_change(
        &changes,
        "properties.n.anyOf: enum branches merged into one enum"
    ));
}

#[test]
fn all_of_is_merged() {
    let (out, _) = clean_schema(&json!({
        "type": "object",
        "properties": {"m": {"allOf": [
            {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
            {"properties": {"b": {"type": "integer"}}, "required": ["b"]}
        ]}}
    }));
    assert_eq!(
        out["properties"]["m"],
        json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
               "required": ["a", "b"]})
    );
}

#[test]
fn type_arrays_and_case_are_normalised() {
    let (out, changes) = clean_schema(&json!({
        "type": "OBJECT",
        "properties": {
            "a": {"type": ["null", "Integer"]},
            "b": {"type": "STRING"},
            "c": {"type": ["null"]}
        }
    }));
    assert_eq!(out["type"], "object");
    assert_eq!(out["properties"]["a"]["type"], "integer");
    assert_eq!(out["properties"]["b"]["type"], "string");
    assert_eq!(out["properties"]["c"]["type"], "string");
    assert!(has_change(&changes, "type: lower-cased OBJECT"));
}

#[test]
fn enums_stay_only_on_string_schemas() {
    // Gemini answers 400 "enum: only allowed for STRING type" to any other enum.
    let (out, changes) = clean_schema(&json!({
        "type": "object",
        "properties": {
            "mode": {"type": "string", "enum": ["fast", "slow"]},
            "level": {"type": "integer", "description": "How loud.", "enum": [1, 2, 3]},
            "flag": {"type": "boolean", "enum": [true]},
            "bare": {"enum": ["a", "b"]},
            "mixed": {"enum": ["a", 1]},
            "odd": {"type": "string", "enum": ["x", 2, null]},
            "list": {"type": "array", "items": {"type": "number", "enum": [0.5, 1.5]}}
        }
    }));
    let p = &out["properties"];
    assert_eq!(
        p["mode"],
        json!({"type": "string", "enum": ["fast", "slow"]})
    );
    assert_eq!(
        p["level"],
        json!({"type": "integer", "description": "How loud. (allowed: 1, 2, 3)"})
    );
    assert_eq!(
        p["flag"],
        json!({"type": "boolean", "description": "(allowed: true)"})
    );
    assert_eq!(p["bare"], json!({"type": "string", "enum": ["a", "b"]}));
    assert_eq!(p["mixed"], json!({"description": "(allowed: a, 1)"}));
    assert_eq!(p["odd"], json!({"type": "string", "enum": ["x", "2"]}));
    assert_eq!(
        p["list"]["items"],
        json!({"type": "number", "description": "(allowed: 0.5, 1.5)"})
    );
    for change in [
        "properties.level.enum: moved to description (enum is only allowed on string schemas)",
        "properties.flag.enum: moved to description (enum is only allowed on string schemas)",
        "properties.bare.type: set to string (an enum of strings)",
        "properties.mixed.enum: moved to description (enum is only allowed on string schemas)",
        "properties.odd.enum: values converted to strings",
        "properties.odd.enum: null dropped",
    ] {
        assert!(has_change(&changes, change), "{change}: {changes:#?}");
    }
}

#[test]
fn const_becomes_a_string_enum_or_a_hint() {
    let (out, changes) = clean_schema(&json!({
        "type": "object",
        "properties": {
            "k": {"const": "only"},
            "n": {"type": "integer", "const": 3},
            "b": {"const": false}
        }
    }));
    let p = &out["properties"];
    assert_eq!(p["k"], json!({"type": "string", "enum": ["only"]}));
    assert_eq!(
        p["n"],
        json!({"type": "integer", "description": "(allowed: 3)"})
    );
    assert_eq!(p["b"], json!({"description": "(allowed: false)"}));
    assert!(has_change(
        &changes,
        "properties.k.const: converted to enum"
    ));
    assert!(has_change(
        &changes,
        "properties.n.enum: moved to description (enum is only allowed on string schemas)"
    ));
}

#[test]
fn enum_hints_are_not_repeated_when_cleaned_again() {
    let (once, _) = clean_schema(&json!({
        "type": "object",
        "properties": {"n": {"type": "integer", "enum": [1, 2]}, "s": {"enum": ["a"]}}
    }));
    let (twice, changes) = clean_schema(&once);
    assert_eq!(once, twice);
    assert!(changes.is_empty(), "{changes:#?}");
}

#[test]
fn constraints_move_into_the_description() {
    let (out, changes) = clean_schema(&json!({
        "type": "object",
        "properties": {
            "s": {"type": "string", "description": "A name.", "pattern": "^[a-z]+$", "minLength": 1, "maxLength": 10},
            "n": {"type": "number", "minimum": 0, "exclusiveMaximum": 1.5, "multipleOf": 0.5},
            "l": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3, "uniqueItems": true}
        }
    }));
    assert_eq!(
        out["properties"]["s"]["description"],
        "A name. (pattern: ^[a-z]+$, minLength: 1, maxLength: 10)"
    );
    assert_eq!(
        out["properties"]["n"]["description"],
        "(minimum: 0, exclusiveMaximum: 1.5, multipleOf: 0.5)"
    );
    assert_eq!(
        out["properties"]["l"]["description"],
        "(minItems: 1, maxItems: 3)"
    );
    assert!(out["properties"]["l"].get("uniqueItems").is_none());
    assert!(has_change(
        &changes,
        "properties.s.pattern: moved to description"
    ));
}

#[test]
fn conditional_and_dependency_keywords_are_removed() {
    let (out, _) = clean_schema(&json!({
        "type": "object",
        "properties": {"a": {"type": "string", "not": {"const": "x"}, "contentEncoding": "base64",
                             "contentMediaType": "image/png", "writeOnly": true, "cache_control": {"type": "ephemeral"},
                             "defer_loading": true}},
        "if": {"properties": {"a": {"const": "x"}}}, "then": {}, "else": {},
        "dependencies": {}, "dependentSchemas": {}, "dependentRequired": {},
        "propertyNames": {"pattern": "^a"}, "patternProperties": {"^x": {}}
    }));
    assert_eq!(
        out,
        json!({"type": "object", "properties": {"a": {"type": "string"}}})
    );
}

#[test]
fn required_is_filtered_to_existing_properties() {
    let (out, changes) = clean_schema(&json!({
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "object", "required": ["zz"]}},
        "required": ["a", "ghost"]
    }));
    assert_eq!(out["required"], json!(["a"]));
    assert!(out["properties"]["b"].get("required").is_none());
    assert!(has_change(
        &changes,
        "required: dropped \"ghost\" (no such property)"
    ));
}

#[test]
fn the_root_is_forced_to_an_object_with_properties() {
    let (out, _) = clean_schema(&json!({}));
    assert_eq!(out, json!({"type": "object", "properties": {}}));
    let (out, changes) = clean_schema(&json!({"type": "string"}));
    assert_eq!(out, json!({"type": "object", "properties": {}}));
    assert!(has_change(
        &changes,
        "type: forced to object (was \"string\")"
    ));
    let (out, _) = clean_schema(&json!(null));
    assert_eq!(out, json!({"type": "object", "properties": {}}));
}

#[test]
fn arrays_get_an_item_schema_and_tuples_are_reduced() {
    let (out, _) = clean_schema(&json!({
        "type": "object",
        "properties": {"a": {"type": "array"}, "t": {"type": "array", "items": [{"type": "integer"}, {"type": "string"}]}}
    }));
    assert_eq!(
        out["properties"]["a"],
        json!({"type": "array", "items": {}})
    );
    assert_eq!(out["properties"]["t"]["items"], json!({"type": "integer"}));
}

#[test]
fn a_clean_schema_is_left_alone() {
    let schema = json!({
        "type": "object",
        "description": "d",
        "properties": {"q": {"type": "string", "enum": ["a", "b"]}, "xs": {"type": "array", "items": {"type": "string"}}},
        "required": ["q"]
    });
    let (out, changes) = clean_schema(&schema);
    assert_eq!(out, schema);
    assert!(changes.is_empty(), "{changes:#?}");
}

#[test]
fn cleaning_is_idempotent() {
    let (once, _) = clean_schema(&json!({
        "$schema": "s",
        "type": ["object", "null"],
        "properties": {"a": {"anyOf": [{"type": "string", "minLength": 2}, {"type": "null"}]}},
        "required": ["a", "b"]
    }));
    let (twice, changes) = clean_schema(&once);
    assert_eq!(once, twice);
    assert!(changes.is_empty(), "{changes:#?}");
}

#[test]
fn claude_code_bash_schema() {
    let (out, _) = clean_schema(&json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "command": {"description": "The command to execute", "type": "string"},
            "timeout": {"description": "Optional timeout in milliseconds (max 600000)", "type": "number"},
            "run_in_background": {"type": "boolean"}
        },
        "required": ["command"],
        "additionalProperties": false
    }));
    let text = out.to_string();
    assert!(!text.contains("$schema") && !text.contains("additionalProperties"));
    assert_eq!(out["required"], json!(["command"]));
    assert_eq!(out["properties"]["timeout"]["type"], "number");
}

#[test]
fn hostile_reference_graphs_are_bounded() {
    // A diamond: each level refers to the next twice (2^40 expansions if unbounded).
    let mut defs = serde_json::Map::new();
    for i in 0..40 {
        defs.insert(
            format!("d{i}"),
            json!({"type": "object", "properties": {
                "a": {"$ref": format!("#/$defs/d{}", i + 1)},
                "b": {"$ref": format!("#/$defs/d{}", i + 1)}
            }}),
        );
    }
    defs.insert("d40".into(), json!({"type": "string"}));
    let schema =
        json!({"type": "object", "properties": {"x": {"$ref": "#/$defs/d0"}}, "$defs": defs});
    let started = std::time::Instant::now();
    let (cleaned, changes) = clean_schema(&schema);
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert!(
        changes.iter().any(|c| c.contains("expansion limit")),
        "{changes:?}"
    );
    assert!(!cleaned.to_string().contains("$ref"));
    // A long chain: depth is capped instead of recursing a thousand levels.
    let mut defs = serde_json::Map::new();
    for i in 0..1000 {
        defs.insert(format!("c{i}"), json!({"type": "object", "properties": {"next": {"$ref": format!("#/$defs/c{}", i + 1)}}}));
    }
    let schema =
        json!({"type": "object", "properties": {"x": {"$ref": "#/$defs/c0"}}, "$defs": defs});
    let (_, changes) = clean_schema(&schema);
    assert!(changes.iter().any(|c| c.contains("expansion limit")));
}

#[test]
fn a_removed_type_is_inferred_like_a_missing_one() {
    // Found by the property tests: a non-string `type` (here merged in from a `$ref` to a map)
    // was removed without inferring the type, so cleaning the output again changed it.
    let (out, changes) = clean_schema(&json!({
        "properties": {"list": {"type": {"x": 1}, "items": {"type": "string"}}}
    }));
    assert_eq!(
        out["properties"]["list"],
        json!({"type": "array", "items": {"type": "string"}})
    );
    assert!(has_change(
        &changes,
        "properties.list.type: inferred as array"
    ));
    assert_eq!(clean_schema(&out).0, out, "cleaning is idempotent");
}

#[test]
fn an_empty_required_list_is_removed_and_recorded() {
    // Found by the property tests: `required: []` disappeared without a recorded change.
    let (out, changes) = clean_schema(&json!({"type": "object", "properties": {}, "required": []}));
    assert_eq!(out, json!({"type": "object", "properties": {}}));
    assert_eq!(changes, vec!["required: removed (empty)".to_owned()]);
}
