//! OpenAI Responses API (`/v1/responses`) end to end against the strict simulator: text, the
//! typed event stream, a tool round trip continued statelessly (input items) and through
//! `previous_response_id`, stored responses by id, reasoning carried in `encrypted_content`.

use serde_json::{Value, json};

use super::support::Harness;

fn shell_tool() -> Value {
    json!([{
        "type": "function",
        "name": "get_weather",
        "description": "Current weather",
        "parameters": {"type": "object", "properties": {"location": {"type": "string"}},
                       "required": ["location"], "additionalProperties": false},
        "strict": true
    }, {"type": "web_search"}])
}

fn output_text(body: &Value) -> String {
    body["output"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["type"] == "message")
        .flat_map(|i| i["content"].as_array().unwrap().iter())
        .filter_map(|p| p["text"].as_str())
        .collect()
}

#[tokio::test]
async fn non_streaming_text_with_instructions() {
    let h = Harness::start(&["alice"]).await;
    let (status, body) = h
        .post_json(
            "/v1/responses",
            &json!({"model": "claude-sonnet-4-6", "instructions": "Be brief.",
                    "input": "hi there", "max_output_tokens": 100}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["object"], "response");
    assert_eq!(body["status"], "completed");
    assert!(body["id"].as_str().unwrap().starts_with("resp_"), "{body}");
    assert!(output_text(&body).contains("hi there"), "{body}");
    assert!(body["usage"]["input_tokens"].as_u64().unwrap() > 0);
    let upstream = h.sim.stats().last_request.unwrap();
    assert_eq!(
        upstream["request"]["systemInstruction"]["parts"][0]["text"],
        "Be brief."
    );
    // Stored: it can be fetched by id.
    let id = body["id"].as_str().unwrap();
    let (status, again) = h.get_json(&format!("/v1/responses/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(again["id"], id);
    assert_eq!(output_text(&again), output_text(&body));
}

#[tokio::test]
async fn the_stream_is_the_typed_event_sequence() {
    let h = Harness::start(&["alice"]).await;
    let (status, events) = h
        .post_sse(
            "/v1/responses",
            &json!({"model": "gemini-3-flash", "input": "stream please", "stream": true}),
        )
        .await;
    assert_eq!(status, 200);
    let names: Vec<&str> = events.iter().filter_map(|(n, _)| n.as_deref()).collect();
    assert_eq!(names.first(), Some(&"response.created"));
    assert_eq!(names.last(), Some(&"response.completed"), "{names:?}");
    assert!(names.contains(&"response.output_text.delta"), "{names:?}");
    for (i, (_, data)) in events.iter().enumerate() {
        assert_eq!(data["sequence_number"], i, "{data}");
    }
    let done = &events.last().unwrap().1["response"];
    assert!(output_text(done).contains("stream please"), "{done}");
}

#[tokio::test]
async fn a_tool_round_trip_stateless_and_by_previous_response_id() {
    let h = Harness::start(&["alice"]).await;
    let ask = json!({"type": "message", "role": "user",
                     "content": [{"type": "input_text", "text": "Use get_weather for Paris please"}]});
    let (status, body) = h
        .post_json(
            "/v1/responses",
            &json!({"model": "claude-sonnet-4-6", "input": [ask], "tools": shell_tool()}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let call = body["output"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["type"] == "function_call")
        .unwrap_or_else(|| panic!("{body}"))
        .clone();
    assert_eq!(call["name"], "get_weather");
    let args: Value = serde_json::from_str(call["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(args, json!({"location": "Paris"}));
    // The hosted tool was left out, and said so in the notes sent to the inspector.
    let upstream = h.sim.stats().last_request.unwrap().to_string();
    assert!(!upstream.contains("web_search"), "{upstream}");

    // Stateless (Codex): the whole conversation again, the call and its output as items.
    let output = json!({"type": "function_call_output", "call_id": call["call_id"], "output": "18C and sunny"});
    let (status, body) = h
        .post_json(
            "/v1/responses",
            &json!({"model": "claude-sonnet-4-6", "store": false, "tools": shell_tool(),
                    "input": [ask, call, output]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        output_text(&body).contains("Tool get_weather returned: 18C and sunny"),
        "{body}"
    );
    let stateless_id = body["id"].as_str().unwrap().to_owned();
    let (status, _) = h.get_json(&format!("/v1/responses/{stateless_id}")).await;
    assert_eq!(status, 404, "store: false keeps nothing");

    // Stateful: only the output, continuing the first response.
    let (first_status, first) = h
        .post_json(
            "/v1/responses",
            &json!({"model": "claude-sonnet-4-6", "input": [ask], "tools": shell_tool()}),
        )
        .await;
    assert_eq!(first_status, 200);
    let call = first["output"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["type"] == "function_call")
        .unwrap()
        .clone();
    let output =
        json!({"type": "function_call_output", "call_id": call["call_id"], "output": "rain"});
    let (status, body) = h
        .post_json(
            "/v1/responses",
            &json!({"model": "claude-sonnet-4-6", "tools": shell_tool(),
                    "previous_response_id": first["id"], "input": [output]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(output_text(&body).contains("returned: rain"), "{body}");
    assert_eq!(body["previous_response_id"], first["id"]);
}

#[tokio::test]
async fn reasoning_is_carried_back_in_encrypted_content() {
    let h = Harness::start(&["alice"]).await;
    let ask = json!({"role": "user", "content": "Use get_weather for Paris please"});
    let request = |input: Value| {
        json!({"model": "claude-opus-4-6-thinking", "input": input, "tools": shell_tool(),
               "reasoning": {"effort": "high", "summary": "auto"}, "store": false,
               "include": ["reasoning.encrypted_content"]})
    };
    let (status, body) = h.post_json("/v1/responses", &request(json!([ask]))).await;
    assert_eq!(status, 200, "{body}");
    let output = body["output"].as_array().unwrap();
    let reasoning = output
        .iter()
        .find(|i| i["type"] == "reasoning")
        .unwrap_or_else(|| panic!("{body}"));
    assert!(
        reasoning["encrypted_content"]
            .as_str()
            .unwrap()
            .starts_with("aat1.")
    );
    assert!(
        !reasoning["summary"].as_array().unwrap().is_empty(),
        "{body}"
    );
    let call = output
        .iter()
        .find(|i| i["type"] == "function_call")
        .unwrap();
    // The next turn replays the signed thinking before the call: the strict upstream checks.
    let result =
        json!({"type": "function_call_output", "call_id": call["call_id"], "output": "sunny"});
    let (status, body) = h
        .post_json(
            "/v1/responses",
            &request(json!([ask, reasoning, call, result])),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(output_text(&body).contains("returned: sunny"), "{body}");
}

#[tokio::test]
async fn what_is_not_served_is_a_400_or_404_in_the_openai_shape() {
    let h = Harness::start(&["alice"]).await;
    let (status, body) = h
        .post_json(
            "/v1/responses",
            &json!({"model": "gemini-3-flash", "input": "x", "previous_response_id": "resp_nope"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("previous_response_id:"),
        "{body}"
    );
    let (status, body) = h
        .post_json(
            "/v1/responses",
            &json!({"model": "gemini-3-flash", "input": "x", "tools": [{"type": "web_search"}],
                    "tool_choice": {"type": "web_search"}}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = h.get_json("/v1/responses/resp_missing").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["type"], "invalid_request_error");
}

#[tokio::test]
async fn input_tokens_are_counted() {
    let h = Harness::start(&["alice"]).await;
    let (status, body) = h
        .post_json(
            "/v1/responses/input_tokens",
            &json!({"model": "gemini-3-flash", "input": "count these words please"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["object"], "response.input_tokens");
    assert!(body["input_tokens"].as_u64().unwrap() > 0);
}
