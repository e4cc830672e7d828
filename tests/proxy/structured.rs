//! Structured output end to end against the strict simulator, for the four client formats,
//! streamed and not, on a Gemini target (native `responseSchema`) and a Claude target (emulated
//! with a forced function call): the answer's text is JSON with the schema's keys, `json_object`
//! works, and a bad format is a 400 naming the field.

use serde_json::{Value, json};

use super::support::{Harness, parse_sse};

const GEMINI: &str = "gemini-3-flash";
const CLAUDE: &str = "claude-sonnet-4-6";
const GPT_OSS: &str = "gpt-oss-120b";

fn schema() -> Value {
    json!({"type": "object", "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "address": {"type": "object", "properties": {"city": {"type": "string"}},
                    "required": ["city"], "additionalProperties": false}
    }, "required": ["name", "age", "tags", "address"], "additionalProperties": false})
}

/// The answer parses as JSON and has every required key with the right shape.
fn assert_person(text: &str) {
    let v: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text:?}"));
    assert!(v["name"].is_string(), "{v}");
    assert!(v["age"].is_i64(), "{v}");
    assert!(v["tags"].as_array().is_some_and(|t| t.len() == 1), "{v}");
    assert!(v["address"]["city"].is_string(), "{v}");
}

fn upstream(h: &Harness) -> Value {
    h.sim
        .stats()
        .last_request
        .expect("a request reached the upstream")["request"]
        .clone()
}

/// What the upstream got: native JSON mode for Gemini, the forced synthetic tool for Claude.
fn assert_upstream_shape(h: &Harness, model: &str) {
    let req = upstream(h);
    if model == GEMINI {
        assert_eq!(
            req["generationConfig"]["responseMimeType"],
            "application/json"
        );
        assert_eq!(
            req["generationConfig"]["responseSchema"]["required"],
            json!(["name", "age", "tags", "address"])
        );
    } else {
        assert!(req["generationConfig"].get("responseSchema").is_none());
        assert_eq!(req["toolConfig"]["functionCallingConfig"]["mode"], "ANY");
        assert_eq!(
            req["toolConfig"]["functionCallingConfig"]["allowedFunctionNames"],
            json!(["structured_output"])
        );
    }
}

fn chat_body(model: &str, stream: bool) -> Value {
    json!({"model": model, "stream": stream,
        "messages": [{"role": "user", "content": "Describe a person"}],
        "response_format": {"type": "json_schema",
            "json_schema": {"name": "Person", "schema": schema(), "strict": true}}})
}

fn sse_text(events: &[(Option<String>, Value)], pick: impl Fn(&Value) -> Option<&str>) -> String {
    events.iter().filter_map(|(_, v)| pick(v)).collect()
}

#[tokio::test]
async fn chat_completions_json_schema_stream_and_not() {
    let h = Harness::start(&["alice"]).await;
    for model in [GEMINI, CLAUDE, GPT_OSS] {
        let (status, body) = h
            .post_json("/v1/chat/completions", &chat_body(model, false))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["choices"][0]["finish_reason"], "stop", "{body}");
        assert!(
            body["choices"][0]["message"]
                .get("tool_calls")
                .is_none_or(Value::is_null)
        );
        assert_person(body["choices"][0]["message"]["content"].as_str().unwrap());
        assert_upstream_shape(&h, model);

        let (status, events) = h
            .post_sse("/v1/chat/completions", &chat_body(model, true))
            .await;
        assert_eq!(status, 200);
        assert_person(&sse_text(&events, |v| {
            v["choices"][0]["delta"]["content"].as_str()
        }));
        let finish = events
            .iter()
            .find_map(|(_, v)| v["choices"][0]["finish_reason"].as_str());
        assert_eq!(finish, Some("stop"));
    }
}

#[tokio::test]
async fn chat_completions_json_object_on_every_family() {
    let h = Harness::start(&["alice"]).await;
    for model in [GEMINI, CLAUDE, GPT_OSS] {
        let (status, body) = h
            .post_json(
                "/v1/chat/completions",
                &json!({"model": model, "response_format": {"type": "json_object"},
                    "messages": [{"role": "user", "content": "Answer in JSON"}]}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let text = body["choices"][0]["message"]["content"].as_str().unwrap();
        let v: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert!(v.is_object(), "{v}");
    }
}

#[tokio::test]
async fn anthropic_output_config_format_stream_and_not() {
    let h = Harness::start(&["alice"]).await;
    for model in [GEMINI, CLAUDE] {
        let body = |stream: bool| {
            json!({"model": model, "max_tokens": 512, "stream": stream,
                "messages": [{"role": "user", "content": "Describe a person"}],
                "output_config": {"format": {"type": "json_schema", "schema": schema()}}})
        };
        let (status, resp) = h.post_json("/v1/messages", &body(false)).await;
        assert_eq!(status, 200, "{resp}");
        assert_eq!(resp["stop_reason"], "end_turn", "{resp}");
        let content = resp["content"].as_array().unwrap();
        assert!(content.iter().all(|b| b["type"] != "tool_use"), "{resp}");
        let text: String = content.iter().filter_map(|b| b["text"].as_str()).collect();
        assert_person(&text);
        assert_upstream_shape(&h, model);

        let (status, events) = h.post_sse("/v1/messages", &body(true)).await;
        assert_eq!(status, 200);
        assert_person(&sse_text(&events, |v| v["delta"]["text"].as_str()));
        let stop = events
            .iter()
            .find_map(|(_, v)| v["delta"]["stop_reason"].as_str());
        assert_eq!(stop, Some("end_turn"));
    }
}

#[tokio::test]
async fn responses_text_format_stream_and_not() {
    let h = Harness::start(&["alice"]).await;
    for model in [GEMINI, CLAUDE] {
        let body = |stream: bool| {
            json!({"model": model, "stream": stream, "input": "Describe a person",
                "text": {"format": {"type": "json_schema", "name": "Person",
                                    "schema": schema(), "strict": true}}})
        };
        let (status, resp) = h.post_json("/v1/responses", &body(false)).await;
        assert_eq!(status, 200, "{resp}");
        assert_eq!(resp["status"], "completed");
        // The response object repeats the format asked for, as the real API does.
        assert_eq!(resp["text"]["format"]["name"], "Person", "{resp}");
        let output = resp["output"].as_array().unwrap();
        assert!(
            output.iter().all(|i| i["type"] != "function_call"),
            "{resp}"
        );
        let text: String = output
            .iter()
            .filter(|i| i["type"] == "message")
            .flat_map(|i| i["content"].as_array().cloned().unwrap_or_default())
            .filter_map(|c| c["text"].as_str().map(str::to_owned))
            .collect();
        assert_person(&text);
        assert_upstream_shape(&h, model);

        let (status, events) = h.post_sse("/v1/responses", &body(true)).await;
        assert_eq!(status, 200);
        assert_person(&sse_text(&events, |v| {
            (v["type"] == "response.output_text.delta")
                .then(|| v["delta"].as_str())
                .flatten()
        }));
    }
}

#[tokio::test]
async fn gemini_api_response_schema_stream_and_not() {
    let h = Harness::start(&["alice"]).await;
    // Gemini CLI and the google-genai SDK send the OpenAPI subset with upper-case types.
    let openapi = json!({"type": "OBJECT", "properties": {
        "name": {"type": "STRING"}, "age": {"type": "INTEGER"},
        "tags": {"type": "ARRAY", "items": {"type": "STRING"}},
        "address": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}},
                    "required": ["city"]}
    }, "required": ["name", "age", "tags", "address"]});
    for model in [GEMINI, CLAUDE] {
        let body = json!({"contents": [{"role": "user", "parts": [{"text": "Describe a person"}]}],
            "generationConfig": {"responseMimeType": "application/json",
                                 "responseSchema": openapi}});
        let (status, resp) = h
            .post_json(&format!("/v1beta/models/{model}:generateContent"), &body)
            .await;
        assert_eq!(status, 200, "{resp}");
        let parts = resp["candidates"][0]["content"]["parts"]
            .as_array()
            .unwrap();
        assert!(
            parts.iter().all(|p| p.get("functionCall").is_none()),
            "{resp}"
        );
        let text: String = parts
            .iter()
            .filter(|p| p["thought"] != true)
            .filter_map(|p| p["text"].as_str())
            .collect();
        assert_person(&text);
        assert_eq!(resp["candidates"][0]["finishReason"], "STOP");
        assert_upstream_shape(&h, model);

        let resp = h
            .post(
                &format!("/v1beta/models/{model}:streamGenerateContent?alt=sse"),
                &body,
            )
            .await;
        assert_eq!(resp.status(), 200);
        // Google frames SSE events with CRLF.
        let events = parse_sse(&resp.text().await.unwrap().replace("\r\n", "\n"));
        assert_person(&sse_text(&events, |v| {
            v["candidates"][0]["content"]["parts"][0]["text"].as_str()
        }));
    }
}

#[tokio::test]
async fn client_tools_and_a_schema_together_on_claude() {
    let h = Harness::start(&["alice"]).await;
    let tools = json!([{"type": "function", "function": {"name": "get_weather",
        "parameters": {"type": "object", "properties": {"location": {"type": "string"}},
                       "required": ["location"]}}}]);
    let format =
        json!({"type": "json_schema", "json_schema": {"name": "Person", "schema": schema()}});
    let ask =
        json!({"role": "user", "content": "use get_weather for Paris, then describe a person"});
    let (status, first) = h
        .post_json(
            "/v1/chat/completions",
            &json!({"model": CLAUDE, "tools": tools, "response_format": format, "messages": [ask]}),
        )
        .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        first["choices"][0]["finish_reason"], "tool_calls",
        "{first}"
    );
    let call = &first["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "get_weather");
    let allowed = &upstream(&h)["toolConfig"]["functionCallingConfig"]["allowedFunctionNames"];
    assert_eq!(allowed, &json!(["get_weather", "structured_output"]));

    let (status, second) = h
        .post_json(
            "/v1/chat/completions",
            &json!({"model": CLAUDE, "tools": tools, "response_format": format, "messages": [
                ask, first["choices"][0]["message"],
                {"role": "tool", "tool_call_id": call["id"], "content": "sunny"}]}),
        )
        .await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["choices"][0]["finish_reason"], "stop", "{second}");
    assert_person(second["choices"][0]["message"]["content"].as_str().unwrap());
}

#[tokio::test]
async fn bad_formats_are_400s_naming_the_field() {
    let h = Harness::start(&["alice"]).await;
    let hi = json!([{"role": "user", "content": "hi"}]);
    let cases = [
        (
            "/v1/chat/completions",
            json!({"model": GEMINI, "messages": hi, "response_format": {"type": "json_schema"}}),
            "response_format.json_schema",
        ),
        (
            "/v1/chat/completions",
            json!({"model": GEMINI, "messages": hi, "response_format": {"type": "xml"}}),
            "response_format.type",
        ),
        (
            "/v1/responses",
            json!({"model": GEMINI, "input": "hi",
                "text": {"format": {"type": "json_schema", "name": "P"}}}),
            "text.format.schema",
        ),
        (
            "/v1/messages",
            json!({"model": CLAUDE, "max_tokens": 16, "messages": hi,
                "output_config": {"format": {"type": "json_schema", "schema": {"type": "array"}}}}),
            "output_config.format.schema",
        ),
        (
            "/v1beta/models/gemini-3-flash:generateContent",
            json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}],
                "generationConfig": {"responseSchema": {"type": "OBJECT"}}}),
            "generationConfig.responseSchema",
        ),
    ];
    for (path, body, field) in cases {
        let (status, resp) = h.post_json(path, &body).await;
        assert_eq!(status, 400, "{path}: {resp}");
        assert!(resp.to_string().contains(field), "{path}: {resp}");
    }
    assert!(
        h.sim.stats().last_request.is_none(),
        "nothing reached the upstream"
    );
}

#[tokio::test]
async fn a_thinking_claude_is_asked_not_forced() {
    let h = Harness::start(&["alice"]).await;
    let (status, body) = h
        .post_json(
            "/v1/chat/completions",
            &chat_body("claude-sonnet-4-6-thinking", false),
        )
        .await;
    // Anthropic refuses a forced tool choice while thinking: the choice stays with the model,
    // the function is offered and the system prompt asks for it.
    assert_eq!(status, 200, "{body}");
    let req = upstream(&h);
    assert_eq!(
        req["toolConfig"]["functionCallingConfig"],
        json!({"mode": "VALIDATED"})
    );
    let decls = &req["tools"][0]["functionDeclarations"];
    assert_eq!(decls[0]["name"], "structured_output");
    let system = req["systemInstruction"]["parts"].to_string();
    assert!(
        system.contains("only by calling the function structured_output"),
        "{system}"
    );
}
