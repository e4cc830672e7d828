//! Tool declarations, `toolConfig` and the Claude placeholder property.

use serde_json::json;

use super::*;
use crate::translate::ir::{ToolChoice, ToolDef};

fn tool(name: &str, parameters: Value) -> ToolDef {
    ToolDef {
        name: name.into(),
        description: Some(format!("{name} tool")),
        parameters,
    }
}

fn with_tools(tools: Vec<ToolDef>, choice: ToolChoice) -> ChatRequest {
    let mut req = chat(vec![user("hi")]);
    req.tools = tools;
    req.tool_choice = choice;
    req
}

fn read_tool() -> ToolDef {
    tool(
        "Read",
        json!({"$schema": "x", "type": "object", "additionalProperties": false,
               "properties": {"path": {"type": "string", "format": "uri"}}, "required": ["path"]}),
    )
}

#[test]
fn all_tools_go_in_one_declarations_object_with_cleaned_schemas() {
    let req = with_tools(
        vec![
            read_tool(),
            tool(
                "Ls",
                json!({"type": "object", "properties": {"dir": {"type": "string"}}}),
            ),
        ],
        ToolChoice::Auto,
    );
    let plan = build(&req, CLAUDE);
    assert_eq!(
        plan.body["request"]["tools"],
        json!([{"functionDeclarations": [
            {"name": "Read", "description": "Read tool", "parameters":
                {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}},
            {"name": "Ls", "description": "Ls tool", "parameters":
                {"type": "object", "properties": {"dir": {"type": "string"}}}}
        ]}])
    );
    assert_eq!(
        plan.schema_changes,
        [
            "Read: $schema: removed",
            "Read: additionalProperties: removed",
            "Read: properties.path.format: removed",
        ]
    );
    assert!(plan.placeholder_tools.is_empty());
}

#[test]
fn claude_tool_choice_maps_to_validated_any_and_none() {
    for (choice, want) in [
        (ToolChoice::Auto, json!({"mode": "VALIDATED"})),
        (ToolChoice::Required, json!({"mode": "ANY"})),
        (
            ToolChoice::Tool {
                name: "Read".into(),
            },
            json!({"mode": "ANY", "allowedFunctionNames": ["Read"]}),
        ),
        (ToolChoice::None, json!({"mode": "NONE"})),
    ] {
        let plan = build(&with_tools(vec![read_tool()], choice.clone()), CLAUDE);
        assert_eq!(
            plan.body["request"]["toolConfig"],
            json!({"functionCallingConfig": want}),
            "{choice:?}"
        );
    }
}

#[test]
fn other_families_use_auto_any_and_none() {
    for model in [GEMINI_FLASH, GPT_OSS] {
        for (choice, want) in [
            (ToolChoice::Auto, json!({"mode": "AUTO"})),
            (ToolChoice::Required, json!({"mode": "ANY"})),
            (
                ToolChoice::Tool {
                    name: "Read".into(),
                },
                json!({"mode": "ANY", "allowedFunctionNames": ["Read"]}),
            ),
            (ToolChoice::None, json!({"mode": "NONE"})),
        ] {
            let plan = build(&with_tools(vec![read_tool()], choice), model);
            assert_eq!(
                plan.body["request"]["toolConfig"]["functionCallingConfig"],
                want
            );
        }
    }
}

#[test]
fn every_claude_request_is_validated_even_without_tools() {
    // The real client (and CLIProxyAPI's executor since 2d84d2fb6) sends VALIDATED on every
    // Claude request; a tool choice without tools has nothing to choose from.
    for choice in [ToolChoice::Auto, ToolChoice::Required, ToolChoice::None] {
        let plan = build(&with_tools(vec![], choice), CLAUDE);
        assert_eq!(
            plan.body["request"]["toolConfig"],
            json!({"functionCallingConfig": {"mode": "VALIDATED"}})
        );
        assert!(plan.body["request"].get("tools").is_none());
    }
    for model in [GEMINI_FLASH, GPT_OSS] {
        let plan = build(&with_tools(vec![], ToolChoice::Required), model);
        assert!(plan.body["request"].get("toolConfig").is_none(), "{model}");
    }
}

#[test]
fn claude_tools_without_properties_get_the_reason_placeholder() {
    let req = with_tools(
        vec![tool("Ping", json!({"type": "object"})), read_tool()],
        ToolChoice::Auto,
    );
    let plan = build(&req, CLAUDE);
    let decl = &plan.body["request"]["tools"][0]["functionDeclarations"][0];
    assert_eq!(
        decl["parameters"],
        json!({"type": "object",
               "properties": {"reason": {"type": "string", "description": "Brief explanation of why you are calling this tool"}},
               "required": ["reason"]})
    );
    assert_eq!(plan.placeholder_tools, ["Ping"]);

    let plan = build(&req, GEMINI_FLASH);
    assert!(
        plan.placeholder_tools.is_empty(),
        "only Claude's VALIDATED mode needs it"
    );
    assert_eq!(
        plan.body["request"]["tools"][0]["functionDeclarations"][0]["parameters"],
        json!({"type": "object", "properties": {}})
    );
}

#[test]
fn a_missing_description_is_omitted() {
    let mut t = read_tool();
    t.description = None;
    let plan = build(&with_tools(vec![t], ToolChoice::Auto), CLAUDE);
    assert!(
        plan.body["request"]["tools"][0]["functionDeclarations"][0]
            .get("description")
            .is_none()
    );
}

#[test]
fn claude_thinking_never_gets_a_forced_tool_choice() {
    for choice in [
        ToolChoice::Required,
        ToolChoice::Tool {
            name: "Read".into(),
        },
    ] {
        let plan = build(&with_tools(vec![read_tool()], choice), CLAUDE_THINKING);
        assert!(plan.thinking);
        assert_eq!(
            plan.body["request"]["toolConfig"],
            json!({"functionCallingConfig": {"mode": "VALIDATED"}})
        );
        assert!(
            plan.notes.iter().any(|n| n.contains("tool_choice")),
            "{:?}",
            plan.notes
        );
    }
    let plan = build(
        &with_tools(vec![read_tool()], ToolChoice::None),
        CLAUDE_THINKING,
    );
    assert_eq!(
        plan.body["request"]["toolConfig"]["functionCallingConfig"]["mode"],
        "NONE"
    );
}
