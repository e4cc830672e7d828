//! Public Gemini API translation: what Gemini CLI sends, parsed into the IR, and IR answers
//! rendered as Gemini bodies and streams.

use bytes::BytesMut;
use serde_json::{Value, json};

use super::*;
use crate::translate::ir::{
    Block, ChatRequest, ChatResponse, Effort, ErrorInfo, ErrorKind, Role, StopReason, StreamEvent,
    Thinking, ToolChoice, ToolResultContent, Usage,
};

fn parse(body: &Value) -> Result<(ChatRequest, GeminiContext), ErrorInfo> {
    parse_request("gemini-3.8-flash", body.to_string().as_bytes(), true)
}

fn err(body: &Value) -> String {
    let e = parse(body).unwrap_err();
    assert_eq!(e.status, 400);
    e.message
}

/// The shape Gemini CLI 0.61 sends (trimmed).
fn cli_body() -> Value {
    json!({
        "contents": [
            {"role": "user", "parts": [{"text": "list the files"}]},
            {"role": "model", "parts": [
                {"text": "thinking about it", "thought": true},
                {"functionCall": {"name": "list_directory", "args": {"path": "."}},
                 "thoughtSignature": "sig-gem-1"}]},
            {"role": "user", "parts": [
                {"functionResponse": {"name": "list_directory", "response": {"output": "a.txt"}}}]}
        ],
        "systemInstruction": {"role": "user", "parts": [{"text": "You are Gemini CLI."}]},
        "tools": [{"functionDeclarations": [
            {"name": "list_directory", "description": "List",
             "parametersJsonSchema": {"type": "object", "properties": {"path": {"type": "string"}}}},
            {"name": "read_file", "parameters": {"type": "OBJECT", "properties": {"p": {"type": "STRING"}}}}
        ]}],
        "generationConfig": {"temperature": 1, "topP": 0.95, "topK": 64,
            "thinkingConfig": {"includeThoughts": true, "thinkingLevel": "HIGH"}}
    })
}

#[test]
fn gemini_cli_request_becomes_ir() {
    let (c, r) = parse(&cli_body()).unwrap();
    assert_eq!(c.model, "gemini-3.8-flash");
    assert_eq!(c.system, vec!["You are Gemini CLI.".to_owned()]);
    assert_eq!(c.messages.len(), 3);
    assert_eq!(c.messages[1].role, Role::Assistant);
    let Block::ToolUse { id, name, input } = &c.messages[1].content[1] else {
        panic!("{:?}", c.messages[1]);
    };
    assert_eq!(
        (name.as_str(), input),
        ("list_directory", &json!({"path": "."}))
    );
    assert_eq!(
        r.tool_signatures,
        vec![(id.clone(), "sig-gem-1".to_owned())]
    );
    assert_eq!(
        c.messages[2].content[0],
        Block::ToolResult {
            tool_use_id: id.clone(),
            content: vec![ToolResultContent::Text {
                text: "a.txt".into()
            }],
            is_error: false
        }
    );
    assert_eq!(c.tools[1].parameters["properties"]["p"]["type"], "string");
    assert_eq!(c.top_k, Some(64));
    assert_eq!(c.thinking, Thinking::Adaptive);
    assert_eq!(c.effort, Some(Effort::High));
    assert!(r.show_thoughts && c.stream);
}

#[test]
fn call_ids_are_stable_for_the_same_history() {
    let (_, a) = parse(&cli_body()).unwrap();
    let (_, b) = parse(&cli_body()).unwrap();
    assert_eq!(a.tool_signatures, b.tool_signatures);
}

#[test]
fn an_empty_signed_thought_closes_the_thinking_before_it() {
    let (chat, _) = parse(&json!({"contents": [
        {"role": "user", "parts": [{"text": "hi"}]},
        {"role": "model", "parts": [{"text": "hmm", "thought": true},
                                     {"text": "", "thought": true, "thoughtSignature": "claude-sig"},
                                     {"text": "Hello"}]},
        {"role": "user", "parts": [{"text": "again"}]}]}))
    .unwrap();
    assert_eq!(
        chat.messages[1].content,
        vec![
            Block::Thinking {
                text: "hmm".into(),
                signature: Some("claude-sig".into())
            },
            Block::Text {
                text: "Hello".into()
            }
        ]
    );
}

#[test]
fn tool_config_modes() {
    let with = |config: Value| {
        let mut body = cli_body();
        body["toolConfig"] = json!({"functionCallingConfig": config});
        parse(&body)
    };
    assert_eq!(
        with(json!({"mode": "NONE"})).unwrap().0.tool_choice,
        ToolChoice::None
    );
    assert_eq!(
        with(json!({"mode": "ANY"})).unwrap().0.tool_choice,
        ToolChoice::Required
    );
    assert_eq!(
        with(json!({"mode": "ANY", "allowedFunctionNames": ["read_file"]}))
            .unwrap()
            .0
            .tool_choice,
        ToolChoice::Tool {
            name: "read_file".into()
        }
    );
    let e = with(json!({"mode": "ANY", "allowedFunctionNames": ["nope"]})).unwrap_err();
    assert!(
        e.message.contains("allowedFunctionNames[0]"),
        "{}",
        e.message
    );
}

#[test]
fn what_cannot_be_served_is_a_400_naming_the_field() {
    let user = json!([{"role": "user", "parts": [{"text": "x"}]}]);
    let cases = [
        (json!({}), "contents:"),
        (json!({"contents": []}), "contents:"),
        (
            json!({"contents": [{"role": "robot", "parts": [{"text": "x"}]}]}),
            "contents[0].role:",
        ),
        (
            json!({"contents": [{"role": "user", "parts": []}]}),
            "contents[0].parts:",
        ),
        (
            json!({"contents": [{"role": "user", "parts": [{"inlineData": {"mimeType": "audio/wav", "data": "AAAA"}}]}]}),
            "contents[0].parts[0].inlineData.mimeType:",
        ),
        (
            json!({"contents": [{"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {}}}]}]}),
            "contents[0].parts[0].functionResponse:",
        ),
        (
            json!({"contents": user, "generationConfig": {"candidateCount": 2}}),
            "generationConfig.candidateCount:",
        ),
        (
            json!({"contents": user, "generationConfig": {"responseMimeType": "text/x.enum"}}),
            "generationConfig.responseMimeType:",
        ),
        (
            json!({"contents": user, "generationConfig": {"seed": 7}}),
            "generationConfig.seed:",
        ),
        (
            json!({"contents": user, "generationConfig": {"thinkingConfig": {"thinkingLevel": "ULTRA"}}}),
            "generationConfig.thinkingConfig.thinkingLevel:",
        ),
        (
            json!({"contents": user, "cachedContent": "cachedContents/1"}),
            "cachedContent:",
        ),
    ];
    for (body, field) in cases {
        let message = err(&body);
        assert!(message.starts_with(field), "{body}: {message}");
    }
}

#[test]
fn count_tokens_bodies_may_wrap_the_request() {
    let (chat, _) = parse_request(
        "gemini-3-flash",
        json!({"generateContentRequest": {"contents": [{"parts": [{"text": "count me"}]}]}})
            .to_string()
            .as_bytes(),
        false,
    )
    .unwrap();
    assert_eq!(chat.messages[0].role, Role::User);
}

fn meta(show: bool) -> AnswerMeta {
    AnswerMeta {
        model: "gemini-3.8-flash".into(),
        response_id: "resp-1".into(),
        show_thoughts: show,
    }
}

fn usage() -> Usage {
    Usage {
        input_tokens: 7,
        output_tokens: 9,
        cached_input_tokens: 0,
        thinking_tokens: 4,
    }
}

fn no_signatures(_: &str) -> Option<String> {
    None
}

#[test]
fn the_response_carries_thoughts_calls_with_signatures_and_usage() {
    let resp = ChatResponse {
        content: vec![
            Block::Thinking {
                text: "plan".into(),
                signature: None,
            },
            Block::Text { text: "ok".into() },
            Block::ToolUse {
                id: "t1".into(),
                name: "read_file".into(),
                input: json!({"p": "a"}),
            },
        ],
        stop_reason: StopReason::ToolUse,
        usage: usage(),
    };
    let sigs = |id: &str| (id == "t1").then(|| "sig-t1".to_owned());
    let body = response_json(&resp, &meta(true), &sigs);
    let parts = &body["candidates"][0]["content"]["parts"];
    assert_eq!(parts[0], json!({"text": "plan", "thought": true}));
    assert_eq!(parts[1], json!({"text": "ok"}));
    assert_eq!(parts[2]["functionCall"]["name"], "read_file");
    assert_eq!(parts[2]["thoughtSignature"], "sig-t1");
    assert_eq!(body["candidates"][0]["finishReason"], "STOP");
    assert_eq!(body["usageMetadata"]["thoughtsTokenCount"], 4);
    assert_eq!(body["usageMetadata"]["candidatesTokenCount"], 5);
    assert_eq!(body["usageMetadata"]["totalTokenCount"], 16);
    let hidden = response_json(&resp, &meta(false), &sigs);
    assert_eq!(
        hidden["candidates"][0]["content"]["parts"][0],
        json!({"text": "ok"})
    );
}

#[test]
fn sse_and_json_array_framings() {
    let events = [
        StreamEvent::TextDelta { text: "He".into() },
        StreamEvent::TextDelta { text: "llo".into() },
        StreamEvent::Finish {
            stop_reason: StopReason::MaxTokens,
            usage: usage(),
        },
    ];
    let mut sse = StreamEncoder::new(meta(false), Framing::Sse);
    let mut out = BytesMut::new();
    for ev in &events {
        sse.push(ev, &no_signatures, &mut out);
    }
    assert!(sse.is_finished());
    let text = String::from_utf8(out.to_vec()).unwrap();
    let chunks: Vec<Value> = text
        .split("\r\n\r\n")
        .filter(|c| !c.is_empty())
        .map(|c| serde_json::from_str(c.strip_prefix("data: ").unwrap()).unwrap())
        .collect();
    assert_eq!(chunks.len(), 3);
    assert_eq!(
        chunks[1]["candidates"][0]["content"]["parts"][0]["text"],
        "llo"
    );
    assert_eq!(chunks[2]["candidates"][0]["finishReason"], "MAX_TOKENS");

    let mut array = StreamEncoder::new(meta(false), Framing::JsonArray);
    let mut out = BytesMut::new();
    for ev in &events {
        array.push(ev, &no_signatures, &mut out);
    }
    let whole: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(whole.as_array().unwrap().len(), 3);
}

#[test]
fn a_failure_mid_stream_ends_with_the_google_error_body() {
    let mut enc = StreamEncoder::new(meta(false), Framing::JsonArray);
    let mut out = BytesMut::new();
    enc.push(
        &StreamEvent::TextDelta { text: "a".into() },
        &no_signatures,
        &mut out,
    );
    enc.error(
        &ErrorInfo::new(429, ErrorKind::RateLimit, "every account is cooling"),
        &mut out,
    );
    let whole: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(whole[1]["error"]["status"], "RESOURCE_EXHAUSTED");
    assert_eq!(whole[1]["error"]["code"], 429);
}

#[test]
fn response_mime_type_and_schema_fill_the_output_format() {
    use crate::translate::ir::OutputFormat;
    let user = json!([{"role": "user", "parts": [{"text": "hi"}]}]);
    let (chat, _) = parse(&json!({"contents": user,
        "generationConfig": {"responseMimeType": "application/json",
            "responseSchema": {"type": "OBJECT", "properties": {"a": {"type": "STRING"}}}}}))
    .unwrap();
    assert_eq!(
        chat.output_format,
        OutputFormat::JsonSchema {
            name: "response".into(),
            schema: json!({"type": "object", "properties": {"a": {"type": "string"}}}),
            strict: false,
            description: None
        }
    );
    let (chat, _) = parse(&json!({"contents": user,
        "generationConfig": {"responseMimeType": "application/json"}}))
    .unwrap();
    assert_eq!(chat.output_format, OutputFormat::JsonObject);
}
