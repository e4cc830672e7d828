//! The public Gemini API (`/v1beta/models/{model}:…`) end to end against the strict simulator:
//! what Gemini CLI sends, streamed (SSE and the JSON array) and not, a tool round trip with the
//! thought signature carried by the client, token counts, the model list, errors in Google's shape.

use serde_json::{Value, json};

use super::support::Harness;

fn tools() -> Value {
    json!([{"functionDeclarations": [{
        "name": "get_weather", "description": "Current weather",
        "parametersJsonSchema": {"type": "object", "properties": {"location": {"type": "string"}},
                                 "required": ["location"]}
    }]}])
}

fn text_of(body: &Value) -> String {
    body["candidates"][0]["content"]["parts"]
        .as_array()
        .map(|parts| {
            parts
                .iter()
                .filter(|p| p["thought"] != true)
                .filter_map(|p| p["text"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn generate_content_with_a_name_the_upstream_lacks() {
    let h = Harness::start(&["alice"]).await;
    // Gemini CLI sends `gemini-3.8-flash` for `-m gemini-3-flash`: the family default serves it.
    let (status, body) = h
        .post_json(
            "/v1beta/models/gemini-3.8-flash:generateContent",
            &json!({"contents": [{"role": "user", "parts": [{"text": "hello gemini"}]}],
                    "systemInstruction": {"parts": [{"text": "Be brief."}]},
                    "generationConfig": {"temperature": 1, "topP": 0.95, "topK": 64}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(text_of(&body).contains("hello gemini"), "{body}");
    assert_eq!(body["candidates"][0]["finishReason"], "STOP");
    assert!(body["usageMetadata"]["promptTokenCount"].as_u64().unwrap() > 0);
    assert_eq!(body["modelVersion"], "gemini-3.8-flash");
    let upstream = h.sim.stats().last_request.unwrap();
    assert_eq!(upstream["request"]["generationConfig"]["topK"], 64);
}

#[tokio::test]
async fn streams_as_sse_and_as_a_json_array() {
    let h = Harness::start(&["alice"]).await;
    let body = json!({"contents": [{"role": "user", "parts": [{"text": "stream it"}]}]});
    let resp = h
        .post(
            "/v1beta/models/gemini-3-flash:streamGenerateContent?alt=sse",
            &body,
        )
        .await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    let chunks: Vec<Value> = text
        .split("\r\n\r\n")
        .filter(|c| !c.trim().is_empty())
        .map(|c| serde_json::from_str(c.trim().strip_prefix("data: ").unwrap()).unwrap())
        .collect();
    assert!(chunks.len() > 1, "{text}");
    let all: String = chunks.iter().map(text_of).collect();
    assert!(all.contains("stream it"), "{all}");
    assert_eq!(
        chunks.last().unwrap()["candidates"][0]["finishReason"],
        "STOP"
    );

    let resp = h
        .post("/v1beta/models/gemini-3-flash:streamGenerateContent", &body)
        .await;
    assert_eq!(resp.status(), 200);
    let whole: Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
    let all: String = whole.as_array().unwrap().iter().map(text_of).collect();
    assert!(all.contains("stream it"), "{all}");
}

#[tokio::test]
async fn a_tool_round_trip_with_the_signature_the_client_kept() {
    let h = Harness::start(&["alice"]).await;
    let ask = json!({"role": "user", "parts": [{"text": "Use get_weather for Paris please"}]});
    let (status, body) = h
        .post_json(
            "/v1beta/models/gemini-3-flash:generateContent",
            &json!({"contents": [ask], "tools": tools()}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let parts = body["candidates"][0]["content"]["parts"]
        .as_array()
        .unwrap();
    let call = parts
        .iter()
        .find(|p| p.get("functionCall").is_some())
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(call["functionCall"]["args"], json!({"location": "Paris"}));
    assert!(call["thoughtSignature"].as_str().is_some(), "{body}");
    // Gemini 3 refuses a replayed call without its signature; the client sends it back.
    let (status, body) = h
        .post_json(
            "/v1beta/models/gemini-3-flash:generateContent",
            &json!({"tools": tools(), "contents": [
                ask,
                {"role": "model", "parts": [call]},
                {"role": "user", "parts": [{"functionResponse": {"name": "get_weather",
                                                                  "response": {"output": "rain"}}}]}
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(text_of(&body).contains("returned: rain"), "{body}");
}

#[tokio::test]
async fn claude_models_are_reachable_too() {
    let h = Harness::start(&["alice"]).await;
    let (status, body) = h
        .post_json(
            "/v1beta/models/claude-sonnet-4-6:generateContent",
            &json!({"contents": [{"role": "user", "parts": [{"text": "hi claude"}]}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(text_of(&body).contains("hi claude"), "{body}");
}

#[tokio::test]
async fn count_tokens_and_models() {
    let h = Harness::start(&["alice"]).await;
    let (status, body) = h
        .post_json(
            "/v1beta/models/gemini-3-flash:countTokens",
            &json!({"contents": [{"parts": [{"text": "count these words"}]}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["totalTokens"].as_u64().unwrap() > 0);
    let (status, body) = h.get_json("/v1beta/models").await;
    assert_eq!(status, 200);
    let names: Vec<&str> = body["models"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    assert!(names.contains(&"models/gemini-3-flash"), "{names:?}");
    let (status, body) = h.get_json("/v1beta/models/gemini-3-flash").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"], "models/gemini-3-flash");
}

#[tokio::test]
async fn errors_come_in_google_shape() {
    let h = Harness::start(&["alice"]).await;
    let (status, body) = h
        .post_json(
            "/v1beta/models/gemini-3-flash:generateContent",
            &json!({"contents": []}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["status"], "INVALID_ARGUMENT");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("contents:")
    );
    let (status, body) = h
        .post_json("/v1beta/models/gemini-3-flash:embedContent", &json!({}))
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["status"], "NOT_FOUND");
    let (status, body) = h
        .post_json(
            "/v1beta/models/no-such-model-x:generateContent",
            &json!({"contents": [{"parts": [{"text": "x"}]}]}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["status"], "INVALID_ARGUMENT");
}
