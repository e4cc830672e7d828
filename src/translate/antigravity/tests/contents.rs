//! Envelope, roles, turn merging, parts, images and tool results.

use serde_json::json;

use super::*;
use crate::translate::ir::{ErrorKind, ImageSource, ToolResultContent};

fn tool_use(id: &str, name: &str) -> Block {
    Block::ToolUse {
        id: id.into(),
        name: name.into(),
        input: json!({"q": id}),
    }
}

fn tool_result(id: &str, out: &str) -> Block {
    Block::ToolResult {
        tool_use_id: id.into(),
        content: vec![ToolResultContent::Text { text: out.into() }],
        is_error: false,
    }
}

fn png() -> ImageSource {
    ImageSource::Base64 {
        media_type: "image/png".into(),
        data: "iVBORw0=".into(),
    }
}

#[test]
fn the_envelope_has_the_agent_fields_and_no_safety_settings() {
    let plan = build(&chat(vec![user("hi")]), CLAUDE);
    let body = &plan.body;
    assert_eq!(body["model"], "claude-sonnet-4-6");
    assert_eq!(body["userAgent"], "antigravity");
    assert_eq!(body["requestType"], "agent");
    assert_eq!(body["project"], "proj-1");
    assert_eq!(body["requestId"], "agent-req-1");
    assert_eq!(body["request"]["sessionId"], "-42");
    assert!(body["request"].get("safetySettings").is_none());
    assert!(
        body["request"].get("systemInstruction").is_none(),
        "no system, no identity prompt"
    );
    assert!(body["request"].get("tools").is_none());
    assert_eq!(
        body["request"]["toolConfig"],
        json!({"functionCallingConfig": {"mode": "VALIDATED"}}),
        "Claude: VALIDATED even without tools, as the real client"
    );
    assert_eq!(plan.upstream_model, "claude-sonnet-4-6");
}

#[test]
fn the_clients_system_prompt_is_forwarded_as_is() {
    let mut req = chat(vec![user("hi")]);
    req.system = vec!["Be brief.".into(), "  ".into(), "Use tools.".into()];
    let plan = build(&req, CLAUDE);
    assert_eq!(
        plan.body["request"]["systemInstruction"],
        json!({"role": "user", "parts": [{"text": "Be brief."}, {"text": "Use tools."}]})
    );
}

#[test]
fn roles_map_to_user_and_model() {
    let req = chat(vec![
        user("a"),
        msg(Role::Assistant, vec![text("b")]),
        user("c"),
    ]);
    let plan = build(&req, CLAUDE);
    let roles: Vec<&str> = contents(&plan)
        .iter()
        .map(|c| c["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["user", "model", "user"]);
}

#[test]
fn mid_conversation_system_messages_become_reminders_in_a_user_turn() {
    let req = chat(vec![
        user("first"),
        msg(Role::System, vec![text("agent list")]),
        msg(Role::Assistant, vec![text("ok")]),
        msg(Role::System, vec![text("between models")]),
        msg(Role::Assistant, vec![text("more")]),
    ]);
    let c = build(&req, CLAUDE);
    let c = contents(&c);
    assert_eq!(c.len(), 4);
    assert_eq!(
        c[0],
        json!({"role": "user", "parts": [
            {"text": "first"},
            {"text": "<system-reminder>\nagent list\n</system-reminder>"}
        ]})
    );
    assert_eq!(
        c[2],
        json!({"role": "user", "parts": [{"text": "<system-reminder>\nbetween models\n</system-reminder>"}]})
    );
}

#[test]
fn adjacent_same_role_messages_merge() {
    let req = chat(vec![
        user("a"),
        user("b"),
        msg(Role::Assistant, vec![text("c")]),
        msg(Role::Assistant, vec![text("d")]),
    ]);
    let plan = build(&req, CLAUDE);
    assert_eq!(
        *contents(&plan),
        vec![
            json!({"role": "user", "parts": [{"text": "a"}, {"text": "b"}]}),
            json!({"role": "model", "parts": [{"text": "c"}, {"text": "d"}]}),
        ]
    );
}

#[test]
fn empty_text_blocks_are_dropped_and_empty_turns_get_a_dot() {
    let req = chat(vec![
        msg(Role::User, vec![text(""), text("hi"), text(" \n ")]),
        msg(Role::Assistant, vec![text("")]),
        user("next"),
    ]);
    let plan = build(&req, CLAUDE);
    let c = contents(&plan);
    assert_eq!(c[0]["parts"], json!([{"text": "hi"}]));
    assert_eq!(c[1]["parts"], json!([{"text": "."}]));
}

#[test]
fn images_become_inline_data_including_data_urls() {
    let req = chat(vec![msg(
        Role::User,
        vec![
            Block::Image { source: png() },
            Block::Image {
                source: ImageSource::Url {
                    url: "data:image/jpeg;base64,/9j/4AAQ".into(),
                },
            },
        ],
    )]);
    let plan = build(&req, CLAUDE);
    assert_eq!(
        contents(&plan)[0]["parts"],
        json!([
            {"inlineData": {"mimeType": "image/png", "data": "iVBORw0="}},
            {"inlineData": {"mimeType": "image/jpeg", "data": "/9j/4AAQ"}}
        ])
    );
}

#[test]
fn image_urls_are_refused_with_a_useful_message() {
    let req = chat(vec![msg(
        Role::User,
        vec![Block::Image {
            source: ImageSource::Url {
                url: "https://example.com/cat.png".into(),
            },
        }],
    )]);
    let err = try_build(&req, CLAUDE, &SignatureStore::default(), 0).unwrap_err();
    assert_eq!(err.status, 400);
    assert_eq!(err.kind, ErrorKind::InvalidRequest);
    assert!(
        err.message.contains("https://example.com/cat.png"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("base64") && err.message.contains("data: URL"),
        "{}",
        err.message
    );
}

#[test]
fn images_for_a_text_only_model_are_refused() {
    let req = chat(vec![msg(Role::User, vec![Block::Image { source: png() }])]);
    let err = try_build(&req, GPT_OSS, &SignatureStore::default(), 0).unwrap_err();
    assert_eq!(err.status, 400);
    assert!(err.message.contains("gpt-oss-120b"), "{}", err.message);
}

#[test]
fn tool_use_and_tool_result_become_function_call_and_response() {
    let req = chat(vec![
        user("go"),
        msg(Role::Assistant, vec![tool_use("toolu_1", "Bash")]),
        msg(
            Role::User,
            vec![
                tool_result("toolu_1", "line1"),
                tool_result("toolu_x", "orphan"),
            ],
        ),
    ]);
    let plan = build(&req, CLAUDE);
    let c = contents(&plan);
    assert_eq!(
        c[1]["parts"],
        json!([{"functionCall": {"name": "Bash", "args": {"q": "toolu_1"}, "id": "toolu_1"}}])
    );
    assert_eq!(
        c[2]["parts"][0],
        json!({"functionResponse": {"name": "Bash", "id": "toolu_1", "response": {"result": "line1"}}})
    );
    assert_eq!(c[2]["parts"][1]["functionResponse"]["name"], "toolu_x");
    assert!(
        plan.notes.iter().any(|n| n.contains("toolu_x")),
        "{:?}",
        plan.notes
    );
}

#[test]
fn tool_results_join_text_and_fill_in_empty_output() {
    let result = |content: Vec<ToolResultContent>, is_error| Block::ToolResult {
        tool_use_id: "t".into(),
        content,
        is_error,
    };
    let lines = vec![
        ToolResultContent::Text { text: "a".into() },
        ToolResultContent::Text { text: "b".into() },
    ];
    let cases = [
        (result(lines.clone(), false), json!({"result": "a\nb"})),
        (result(lines, true), json!({"error": "a\nb"})),
        (
            result(vec![], false),
            json!({"result": "Command executed successfully."}),
        ),
        (
            result(vec![], true),
            json!({"error": "Tool execution failed with no output."}),
        ),
    ];
    for (block, want) in cases {
        let req = chat(vec![
            user("go"),
            msg(Role::Assistant, vec![tool_use("t", "f")]),
            msg(Role::User, vec![block]),
        ]);
        let plan = build(&req, CLAUDE);
        assert_eq!(
            contents(&plan)[2]["parts"][0]["functionResponse"]["response"],
            want
        );
    }
}

#[test]
fn tool_responses_follow_call_order_then_user_parts() {
    let with_image = Block::ToolResult {
        tool_use_id: "a".into(),
        content: vec![
            ToolResultContent::Text {
                text: "shot".into(),
            },
            ToolResultContent::Image { source: png() },
        ],
        is_error: false,
    };
    let req = chat(vec![
        user("go"),
        msg(
            Role::Assistant,
            vec![tool_use("a", "Screenshot"), tool_use("b", "Read")],
        ),
        msg(Role::System, vec![text("reminder")]),
        msg(
            Role::User,
            vec![tool_result("b", "file"), with_image, text("and then?")],
        ),
    ]);
    let plan = build(&req, CLAUDE);
    let parts = contents(&plan)[2]["parts"].as_array().unwrap().clone();
    assert_eq!(parts.len(), 4, "{parts:#?}");
    assert_eq!(parts[0]["functionResponse"]["id"], "a");
    assert_eq!(parts[1]["functionResponse"]["id"], "b");
    assert_eq!(
        parts[2]["text"],
        "<system-reminder>\nreminder\n</system-reminder>"
    );
    assert_eq!(parts[3]["text"], "and then?");
}

#[test]
fn tool_result_images_nest_in_their_function_response() {
    let result = |content: Vec<ToolResultContent>, is_error| Block::ToolResult {
        tool_use_id: "t".into(),
        content,
        is_error,
    };
    let image = || ToolResultContent::Image { source: png() };
    let inline = json!([{"inlineData": {"mimeType": "image/png", "data": "iVBORw0="}}]);
    let shot = ToolResultContent::Text {
        text: "shot".into(),
    };
    let cases = [
        (
            result(vec![shot, image()], false),
            json!({"result": "shot"}),
        ),
        // Nothing invented for an image-only result: the image is the answer.
        (result(vec![image()], false), json!({"result": ""})),
        (result(vec![image()], true), json!({"error": ""})),
    ];
    for model in [CLAUDE, GEMINI_FLASH] {
        for (block, want) in &cases {
            let req = chat(vec![
                user("go"),
                msg(Role::Assistant, vec![tool_use("t", "Screenshot")]),
                msg(Role::User, vec![block.clone()]),
            ]);
            let plan = build(&req, model);
            let parts = &contents(&plan)[2]["parts"];
            assert_eq!(
                *parts,
                json!([{"functionResponse": {"name": "Screenshot", "id": "t",
                    "response": want, "parts": inline}}]),
                "{model}"
            );
        }
    }
}

#[test]
fn cache_control_is_stripped_everywhere() {
    let mut req = chat(vec![
        user("go"),
        msg(
            Role::Assistant,
            vec![Block::ToolUse {
                id: "t".into(),
                name: "f".into(),
                input: json!({"x": {"cache_control": {"type": "ephemeral"}}}),
            }],
        ),
    ]);
    req.tools = vec![crate::translate::ir::ToolDef {
        name: "f".into(),
        description: None,
        parameters: json!({"type": "object", "properties": {"x": {"type": "object", "cache_control": {}}}}),
    }];
    let plan = build(&req, CLAUDE);
    let mut keys = Vec::new();
    all_keys(&plan.body, &mut keys);
    assert!(!keys.iter().any(|k| k == "cache_control"));
    assert!(
        plan.notes.iter().any(|n| n.contains("cache_control")),
        "{:?}",
        plan.notes
    );
}

#[test]
fn session_ids_are_stable_digits_from_the_user_id_or_first_text() {
    use super::super::session_id;
    let a = chat(vec![user("hello"), msg(Role::Assistant, vec![text("x")])]);
    let b = chat(vec![
        user("hello"),
        msg(Role::Assistant, vec![text("y")]),
        user("more"),
    ]);
    let other = chat(vec![user("goodbye")]);
    let id = session_id(&a);
    assert!(
        id.starts_with('-') && id[1..].bytes().all(|b| b.is_ascii_digit()),
        "{id}"
    );
    assert_eq!(id, session_id(&b), "same conversation, same id");
    assert_ne!(id, session_id(&other));
    let mut with_user = other.clone();
    with_user.user_id = Some("session-7".into());
    let mut with_user_2 = a.clone();
    with_user_2.user_id = Some("session-7".into());
    assert_eq!(
        session_id(&with_user),
        session_id(&with_user_2),
        "user id wins over text"
    );
    assert_ne!(session_id(&with_user), session_id(&other));
}

#[test]
fn count_tokens_body_has_only_the_countable_parts() {
    use super::super::count_tokens_body;
    let mut req = chat(vec![msg(
        Role::User,
        vec![
            text("hi"),
            Block::Image {
                source: ImageSource::Url {
                    url: "https://x/y.png".into(),
                },
            },
        ],
    )]);
    req.system = vec!["sys".into()];
    req.max_tokens = Some(100);
    req.tools = vec![crate::translate::ir::ToolDef {
        name: "f".into(),
        description: Some("d".into()),
        parameters: json!({"type": "object", "properties": {"a": {"type": "string"}}}),
    }];
    let body = count_tokens_body(
        &req,
        &spec(CLAUDE),
        &crate::translate::identity::IdentityRules::default(),
    );
    assert_eq!(
        body,
        json!({"request": {
            "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
            "systemInstruction": {"role": "user", "parts": [{"text": "sys"}]},
            "tools": [{"functionDeclarations": [{"name": "f", "description": "d",
                "parameters": {"type": "object", "properties": {"a": {"type": "string"}}}}]}]
        }})
    );
}

#[test]
fn model_first_contents_get_an_empty_user_turn_except_for_claude() {
    let req = chat(vec![
        msg(Role::Assistant, vec![tool_use("t", "Bash")]),
        msg(Role::User, vec![tool_result("t", "ok")]),
    ]);
    let lead = json!({"role": "user", "parts": [{"text": ""}]});
    for model in [GEMINI_FLASH, GPT_OSS] {
        let plan = build(&req, model);
        let c = contents(&plan);
        assert_eq!(c.len(), 3, "{model}");
        assert_eq!(c[0], lead, "{model}");
        assert_eq!(c[1]["role"], "model");
        let counted = super::super::count_tokens_body(
            &req,
            &spec(model),
            &crate::translate::identity::IdentityRules::default(),
        );
        assert_eq!(counted["request"]["contents"][0], lead, "{model}");
    }
    let plan = build(&req, CLAUDE);
    assert_eq!(contents(&plan)[0]["role"], "model", "Claude is left alone");
    let plan = build(&chat(vec![user("hi")]), GEMINI_FLASH);
    assert_eq!(
        contents(&plan).len(),
        1,
        "user-first contents are left alone"
    );
}
