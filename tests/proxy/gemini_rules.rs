//! The request rules today's gateway enforces, end to end through both client APIs, streamed
//! and not: what reached the (strict) simulator and what the client got back.

use serde_json::{Value, json};

use super::support::Harness;

#[derive(Debug, Clone, Copy)]
enum Api {
    OpenAi,
    Anthropic,
}

const APIS: [Api; 2] = [Api::OpenAi, Api::Anthropic];

/// What a client got, whichever API and mode it used.
#[derive(Debug, Default)]
struct Reply {
    status: u16,
    /// The error body, when the status is not 200.
    error: Value,
    text: String,
    calls: Vec<(String, Value)>,
    /// `finish_reason` (OpenAI) or `stop_reason` (Anthropic).
    finish: String,
}

/// A tool in the client's own format.
fn tool(api: Api, name: &str, schema: &Value) -> Value {
    match api {
        Api::OpenAi => {
            json!({"type": "function", "function": {"name": name, "parameters": schema}})
        }
        Api::Anthropic => json!({"name": name, "input_schema": schema}),
    }
}

/// Sends `messages` (already in the client's format) with `extra` fields merged in.
async fn ask(
    h: &Harness,
    api: Api,
    stream: bool,
    model: &str,
    messages: Value,
    extra: Value,
) -> Reply {
    let mut body = json!({"model": model, "stream": stream, "messages": messages});
    if matches!(api, Api::Anthropic) {
        body["max_tokens"] = json!(1024);
    }
    for (k, v) in extra.as_object().into_iter().flatten() {
        body[k] = v.clone();
    }
    let path = match api {
        Api::OpenAi => "/v1/chat/completions",
        Api::Anthropic => "/v1/messages",
    };
    let mut reply = Reply::default();
    if !stream {
        let (status, value) = h.post_json(path, &body).await;
        reply.status = status;
        if status != 200 {
            reply.error = value;
            return reply;
        }
        match api {
            Api::OpenAi => {
                let choice = &value["choices"][0];
                reply.text = choice["message"]["content"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned();
                reply.finish = choice["finish_reason"].as_str().unwrap_or("").to_owned();
                for call in choice["message"]["tool_calls"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    let args = call["function"]["arguments"].as_str().unwrap_or("{}");
                    reply.calls.push((
                        call["function"]["name"].as_str().unwrap_or("").to_owned(),
                        serde_json::from_str(args).unwrap(),
                    ));
                }
            }
            Api::Anthropic => {
                reply.finish = value["stop_reason"].as_str().unwrap_or("").to_owned();
                for block in value["content"].as_array().into_iter().flatten() {
                    match block["type"].as_str() {
                        Some("text") => reply.text.push_str(block["text"].as_str().unwrap()),
                        Some("tool_use") => reply.calls.push((
                            block["name"].as_str().unwrap().to_owned(),
                            block["input"].clone(),
                        )),
                        _ => {}
                    }
                }
            }
        }
        return reply;
    }
    let (status, events) = h.post_sse(path, &body).await;
    reply.status = status;
    if status != 200 {
        reply.error = events.first().map(|(_, v)| v.clone()).unwrap_or_default();
        return reply;
    }
    let mut args: Vec<String> = Vec::new();
    for (_, data) in &events {
        match api {
            Api::OpenAi => {
                let Some(choice) = data.get("choices").and_then(|c| c.get(0)) else {
                    continue;
                };
                reply
                    .text
                    .push_str(choice["delta"]["content"].as_str().unwrap_or(""));
                for call in choice["delta"]["tool_calls"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    if let Some(name) = call["function"]["name"].as_str() {
                        reply.calls.push((name.to_owned(), Value::Null));
                        args.push(String::new());
                    }
                    if let Some(piece) = call["function"]["arguments"].as_str() {
                        args.last_mut().unwrap().push_str(piece);
                    }
                }
                if let Some(finish) = choice["finish_reason"].as_str() {
                    finish.clone_into(&mut reply.finish);
                }
            }
            Api::Anthropic => match data["type"].as_str() {
                Some("content_block_start") if data["content_block"]["type"] == "tool_use" => {
                    let name = data["content_block"]["name"].as_str().unwrap();
                    reply.calls.push((name.to_owned(), Value::Null));
                    args.push(String::new());
                }
                Some("content_block_delta") => {
                    let delta = &data["delta"];
                    reply.text.push_str(delta["text"].as_str().unwrap_or(""));
                    if let Some(piece) = delta["partial_json"].as_str() {
                        args.last_mut().unwrap().push_str(piece);
                    }
                }
                Some("message_delta") => {
                    data["delta"]["stop_reason"]
                        .as_str()
                        .unwrap_or("")
                        .clone_into(&mut reply.finish);
                }
                Some("error") => reply.error = data.clone(),
                _ => {}
            },
        }
    }
    for (call, text) in reply.calls.iter_mut().zip(args) {
        call.1 = serde_json::from_str(if text.is_empty() { "{}" } else { &text }).unwrap();
    }
    reply
}

fn user(text: &str) -> Value {
    json!([{"role": "user", "content": text}])
}

/// The `parameters` of the first function declaration the simulator received.
fn sent_parameters(h: &Harness) -> Value {
    let last = h.sim.stats().last_request.expect("a generate call");
    last["request"]["tools"][0]["functionDeclarations"][0]["parameters"].clone()
}

#[tokio::test]
async fn non_string_enums_reach_gemini_as_hints_and_calls_keep_their_types() {
    let h = Harness::start(&["alice"]).await;
    let schema = json!({"type": "object", "properties": {
        "level": {"type": "integer", "enum": [1, 2, 3]},
        "mode": {"enum": ["fast", "slow"]},
        "dry": {"type": "boolean", "const": true}
    }, "required": ["level", "mode", "dry"]});
    for api in APIS {
        for stream in [false, true] {
            let extra = json!({"tools": [tool(api, "set_level", &schema)]});
            let r = ask(
                &h,
                api,
                stream,
                "gemini-3-flash",
                user("call set_level"),
                extra,
            )
            .await;
            assert_eq!(r.status, 200, "{api:?} stream={stream}: {}", r.error);
            assert_eq!(
                r.calls,
                [(
                    "set_level".to_owned(),
                    json!({"level": 1, "mode": "fast", "dry": true})
                )],
                "{api:?} stream={stream}"
            );
            let props = &sent_parameters(&h)["properties"];
            assert_eq!(
                props["level"],
                json!({"type": "integer", "description": "(allowed: 1, 2, 3)"})
            );
            assert_eq!(
                props["mode"],
                json!({"type": "string", "enum": ["fast", "slow"]})
            );
            assert_eq!(
                props["dry"],
                json!({"type": "boolean", "description": "(allowed: true)"})
            );
        }
    }
    assert!(
        h.sim.stats().rejected.is_empty(),
        "{:?}",
        h.sim.stats().rejected
    );
}

/// A history that opens with the assistant calling `lookup`, then its result, in the client's
/// format.
fn model_first(api: Api) -> Value {
    match api {
        Api::OpenAi => json!([
            {"role": "system", "content": "You are a subagent."},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
                "function": {"name": "lookup", "arguments": "{\"q\":\"x\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "found it"}
        ]),
        Api::Anthropic => json!([
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "lookup",
                "input": {"q": "x"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1",
                "content": "found it"}]}
        ]),
    }
}

fn lookup_tool(api: Api) -> Value {
    let schema = json!({"type": "object", "properties": {"q": {"type": "string"}}});
    json!({"tools": [tool(api, "lookup", &schema)]})
}

fn sent_contents(h: &Harness) -> Vec<Value> {
    let last = h.sim.stats().last_request.expect("a generate call");
    last["request"]["contents"].as_array().unwrap().clone()
}

#[tokio::test]
async fn model_first_histories_get_a_leading_user_turn_for_gemini_only() {
    let h = Harness::start(&["alice"]).await;
    for api in APIS {
        for stream in [false, true] {
            let r = ask(
                &h,
                api,
                stream,
                "gemini-3-flash",
                model_first(api),
                lookup_tool(api),
            )
            .await;
            assert_eq!(r.status, 200, "{api:?} stream={stream}: {}", r.error);
            assert!(
                r.text.contains("Tool lookup returned: found it"),
                "{}",
                r.text
            );
            let contents = sent_contents(&h);
            assert_eq!(
                contents[0],
                json!({"role": "user", "parts": [{"text": ""}]})
            );
            assert_eq!(contents[1]["role"], "model");
            assert!(contents[1]["parts"][0].get("functionCall").is_some());

            let r = ask(
                &h,
                api,
                stream,
                "claude-sonnet-4-5",
                model_first(api),
                lookup_tool(api),
            )
            .await;
            assert_eq!(r.status, 200, "{api:?} stream={stream}: {}", r.error);
            assert_eq!(
                sent_contents(&h)[0]["role"],
                "model",
                "Claude is left alone"
            );
        }
    }
}

const PNG: &str = "iVBORw0KGgo=";

/// The user asks for a screenshot, the assistant called `screenshot`, and the tool answered
/// with `text` (if any) and one PNG, in the client's format.
fn screenshot_history(api: Api, text: Option<&str>) -> Value {
    match api {
        Api::OpenAi => {
            let mut content = vec![];
            if let Some(t) = text {
                content.push(json!({"type": "text", "text": t}));
            }
            content.push(json!({"type": "image_url",
                "image_url": {"url": format!("data:image/png;base64,{PNG}")}}));
            json!([
                {"role": "user", "content": "take a screenshot"},
                {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1",
                    "type": "function", "function": {"name": "screenshot", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "call_1", "content": content}
            ])
        }
        Api::Anthropic => {
            let mut content = vec![];
            if let Some(t) = text {
                content.push(json!({"type": "text", "text": t}));
            }
            content.push(json!({"type": "image", "source": {"type": "base64",
                "media_type": "image/png", "data": PNG}}));
            json!([
                {"role": "user", "content": "take a screenshot"},
                {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1",
                    "name": "screenshot", "input": {}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1",
                    "content": content}]}
            ])
        }
    }
}

#[tokio::test]
async fn tool_result_images_reach_the_model_nested_and_nothing_is_invented() {
    let h = Harness::start(&["alice"]).await;
    let schema = json!({"type": "object", "properties": {}});
    let inline = json!([{"inlineData": {"mimeType": "image/png", "data": PNG}}]);
    for model in ["gemini-3-flash", "claude-sonnet-4-5"] {
        for api in APIS {
            for stream in [false, true] {
                for (text, result) in [(Some("the screen"), "the screen"), (None, "")] {
                    let extra = json!({"tools": [tool(api, "screenshot", &schema)]});
                    let history = screenshot_history(api, text);
                    let r = ask(&h, api, stream, model, history, extra).await;
                    let case = format!("{model} {api:?} stream={stream} text={text:?}");
                    assert_eq!(r.status, 200, "{case}: {}", r.error);
                    // The simulator, like the gateway, only sees nested images.
                    assert!(
                        r.text
                            .contains(&format!("Tool screenshot returned: {result} [saw 1 image]")),
                        "{case}: {}",
                        r.text
                    );
                    let turn = sent_contents(&h).last().unwrap().clone();
                    assert_eq!(turn["parts"].as_array().unwrap().len(), 1, "{case}: {turn}");
                    let response = &turn["parts"][0]["functionResponse"];
                    assert_eq!(response["response"], json!({"result": result}), "{case}");
                    assert_eq!(response["parts"], inline, "{case}");
                }
            }
        }
    }
}

#[tokio::test]
async fn thinking_levels_do_not_eat_a_small_client_limit() {
    let h = Harness::start(&["alice"]).await;
    for api in APIS {
        for stream in [false, true] {
            let extra = match api {
                Api::OpenAi => json!({"max_tokens": 200, "reasoning_effort": "high"}),
                Api::Anthropic => json!({"max_tokens": 200, "thinking": {"type": "adaptive"}}),
            };
            let r = ask(&h, api, stream, "gemini-3-flash", user("what is up"), extra).await;
            let case = format!("{api:?} stream={stream}");
            assert_eq!(r.status, 200, "{case}: {}", r.error);
            assert!(
                r.text.ends_with("You said: what is up"),
                "{case}: {:?}",
                r.text
            );
            let done = match api {
                Api::OpenAi => "stop",
                Api::Anthropic => "end_turn",
            };
            assert_eq!(r.finish, done, "{case}");
            let config = &h.sim.stats().last_request.unwrap()["request"]["generationConfig"];
            assert_eq!(config["thinkingConfig"]["thinkingLevel"], "high", "{case}");
            assert_eq!(config["maxOutputTokens"], 200 + 24_576, "{case}");
        }
    }
}

#[tokio::test]
async fn claude_requests_are_validated_unless_the_client_chose_otherwise() {
    let h = Harness::start(&["alice"]).await;
    let sent_tool_config = |h: &Harness| {
        h.sim.stats().last_request.unwrap()["request"]
            .get("toolConfig")
            .cloned()
    };
    let validated = json!({"functionCallingConfig": {"mode": "VALIDATED"}});
    for api in APIS {
        for stream in [false, true] {
            let case = format!("{api:?} stream={stream}");
            // No tools at all: still VALIDATED, as the real client sends it.
            let r = ask(&h, api, stream, "claude-sonnet-4-5", user("hi"), json!({})).await;
            assert_eq!(r.status, 200, "{case}: {}", r.error);
            assert_eq!(sent_tool_config(&h), Some(validated.clone()), "{case}");
            let r = ask(&h, api, stream, "gemini-3-flash", user("hi"), json!({})).await;
            assert_eq!(r.status, 200, "{case}: {}", r.error);
            assert_eq!(
                sent_tool_config(&h),
                None,
                "{case}: Gemini has no such default"
            );

            let (named, none) = match api {
                Api::OpenAi => (
                    json!({"type": "function", "function": {"name": "lookup"}}),
                    json!("none"),
                ),
                Api::Anthropic => (
                    json!({"type": "tool", "name": "lookup"}),
                    json!({"type": "none"}),
                ),
            };
            for (choice, want, calls) in [
                (None, validated.clone(), 1),
                (
                    Some(named),
                    json!({"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["lookup"]}}),
                    1,
                ),
                (
                    Some(none),
                    json!({"functionCallingConfig": {"mode": "NONE"}}),
                    0,
                ),
            ] {
                let mut extra = lookup_tool(api);
                if let Some(choice) = &choice {
                    extra["tool_choice"] = choice.clone();
                }
                let r = ask(
                    &h,
                    api,
                    stream,
                    "claude-sonnet-4-5",
                    user("use lookup"),
                    extra,
                )
                .await;
                assert_eq!(r.status, 200, "{case} {choice:?}: {}", r.error);
                assert_eq!(sent_tool_config(&h), Some(want), "{case} {choice:?}");
                assert_eq!(r.calls.len(), calls, "{case} {choice:?}");
            }
        }
    }
}
