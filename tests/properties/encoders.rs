//! IR → client encoders: for arbitrary answers and event sequences (any unicode, newlines, `\r`,
//! `data:` inside text, empty strings, huge token counts) the JSON bodies are valid and complete,
//! the SSE output is well-formed frame by frame, and reading it back (strictly, and with the
//! project's own SSE reader) gives the same text, thinking, tool calls and stop reason.

use anti_api_tui::translate::anthropic;
use anti_api_tui::translate::ir::{
    Block, ChatResponse, ErrorInfo, ErrorKind, ResponseBuilder, StopReason, StreamEvent, Usage,
};
use anti_api_tui::translate::openai;
use bytes::BytesMut;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::common::{Frame, config, ident, json, read_sse, strict_frames, text};

fn count() -> impl Strategy<Value = u64> {
    prop_oneof![3 => 0u64..100_000, 1 => any::<u64>()]
}

fn usage() -> impl Strategy<Value = Usage> {
    (count(), count(), count(), count()).prop_map(|(i, o, c, t)| Usage {
        input_tokens: i,
        output_tokens: o,
        cached_input_tokens: c,
        thinking_tokens: t,
    })
}

fn stop_reason() -> impl Strategy<Value = StopReason> {
    prop::sample::select(
        &[
            StopReason::EndTurn,
            StopReason::MaxTokens,
            StopReason::StopSequence,
            StopReason::ToolUse,
            StopReason::ContentFilter,
        ][..],
    )
}

fn arguments() -> impl Strategy<Value = Value> {
    prop::collection::vec((text(), json()), 0..4)
        .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>()))
}

fn signature() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[A-Za-z0-9+/=]{1,40}"]
}

/// One step fed to a stream encoder; `Ping` is the Anthropic keep-alive the proxy interleaves.
#[derive(Debug, Clone)]
enum Step {
    Event(StreamEvent),
    Ping,
}

fn event() -> impl Strategy<Value = StreamEvent> {
    prop_oneof![
        4 => text().prop_map(|text| StreamEvent::TextDelta { text }),
        2 => text().prop_map(|text| StreamEvent::ThinkingDelta { text }),
        1 => signature().prop_map(|signature| StreamEvent::ThinkingSignature { signature }),
        2 => (ident(), text(), arguments())
            .prop_map(|(id, name, arguments)| StreamEvent::ToolCall { id, name, arguments }),
        1 => usage().prop_map(|usage| StreamEvent::Usage { usage }),
    ]
}

/// How a stream ends: normally, with an in-band error, or not at all (client went away).
#[derive(Debug, Clone)]
enum End {
    Finish(StopReason, Usage),
    Error(String),
    Open,
}

fn stream() -> impl Strategy<Value = (Vec<Step>, End, Vec<StreamEvent>)> {
    (
        prop::collection::vec(
            prop_oneof![6 => event().prop_map(Step::Event), 1 => Just(Step::Ping)],
            0..12,
        ),
        prop_oneof![
            4 => (stop_reason(), usage()).prop_map(|(s, u)| End::Finish(s, u)),
            1 => text().prop_map(End::Error),
            1 => Just(End::Open),
        ],
        // Events after the end must be ignored.
        prop::collection::vec(event(), 0..3),
    )
}

fn events(steps: &[Step]) -> impl Iterator<Item = &StreamEvent> {
    steps.iter().filter_map(|s| match s {
        Step::Event(e) => Some(e),
        Step::Ping => None,
    })
}

fn concat<'a>(steps: &'a [Step], pick: impl Fn(&'a StreamEvent) -> Option<&'a str>) -> String {
    events(steps).filter_map(pick).collect()
}

fn calls(steps: &[Step]) -> Vec<(String, String, Value)> {
    events(steps)
        .filter_map(|e| match e {
            StreamEvent::ToolCall {
                id,
                name,
                arguments,
            } => Some((id.clone(), name.clone(), arguments.clone())),
            _ => None,
        })
        .collect()
}

fn payloads(frames: &[Frame]) -> Result<Vec<Value>, TestCaseError> {
    frames
        .iter()
        .filter(|f| f.data != "[DONE]")
        .map(|f| {
            serde_json::from_str(&f.data)
                .map_err(|e| TestCaseError::fail(format!("data is not JSON ({e}): {:?}", f.data)))
        })
        .collect()
}

/// The project's own SSE reader must see exactly the payloads the strict reader saw.
fn same_as_project_reader(out: &[u8], expected: &[Value]) -> Result<(), TestCaseError> {
    let read: Result<Vec<Value>, _> = read_sse(vec![out.to_vec()]).into_iter().collect();
    let read = read.map_err(|e| TestCaseError::fail(format!("the SSE reader failed: {e}")))?;
    prop_assert_eq!(read.as_slice(), expected);
    Ok(())
}

fn openai_stream(
    steps: &[Step],
    end: &End,
    late: &[StreamEvent],
    include_usage: bool,
    show_reasoning: bool,
) -> Result<(), TestCaseError> {
    let mut enc = openai::StreamEncoder::new(
        "chatcmpl-1".into(),
        "m".into(),
        7,
        include_usage,
        show_reasoning,
    );
    let mut out = BytesMut::new();
    enc.start(&mut out);
    for e in events(steps) {
        enc.push(e, &mut out);
    }
    match end {
        End::Finish(stop_reason, usage) => enc.push(
            &StreamEvent::Finish {
                stop_reason: *stop_reason,
                usage: *usage,
            },
            &mut out,
        ),
        End::Error(message) => {
            enc.error(
                &ErrorInfo::new(503, ErrorKind::Overloaded, message.clone()),
                &mut out,
            );
        }
        End::Open => {}
    }
    // Events after the end are ignored (an open stream has no "after").
    if !matches!(end, End::Open) {
        for e in late {
            enc.push(e, &mut out);
        }
    }
    prop_assert_eq!(enc.is_finished(), !matches!(end, End::Open));

    let frames = strict_frames(&out).map_err(TestCaseError::fail)?;
    prop_assert!(frames.iter().all(|f| f.event.is_none()));
    let done_at = frames.iter().position(|f| f.data == "[DONE]");
    let want_done = matches!(end, End::Finish(..)).then(|| frames.len() - 1);
    prop_assert_eq!(done_at, want_done);
    let chunks = payloads(&frames)?;
    same_as_project_reader(&out, &chunks)?;

    let (mut content, mut reasoning) = (String::new(), String::new());
    let mut tools: Vec<(String, String, String)> = Vec::new();
    let mut finishes = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        if chunk.get("error").is_some() {
            prop_assert!(matches!(end, End::Error(_)) && i == chunks.len() - 1);
            prop_assert_eq!(&chunk["error"]["type"], "overloaded_error");
            continue;
        }
        prop_assert_eq!(&chunk["object"], "chat.completion.chunk");
        prop_assert_eq!(&chunk["id"], "chatcmpl-1");
        prop_assert_eq!(&chunk["created"], 7);
        let Some(choice) = chunk["choices"].get(0) else {
            // The usage chunk: no choices, after the finish chunk.
            prop_assert!(include_usage && !finishes.is_empty());
            prop_assert!(chunk["usage"]["total_tokens"].is_u64());
            continue;
        };
        let delta = &choice["delta"];
        if i == 0 {
            prop_assert_eq!(delta, &json!({"role": "assistant", "content": ""}));
        }
        if let Some(t) = delta.get("content").and_then(Value::as_str) {
            content.push_str(t);
        }
        if let Some(t) = delta.get("reasoning_content").and_then(Value::as_str) {
            reasoning.push_str(t);
        }
        for call in delta["tool_calls"].as_array().into_iter().flatten() {
            let index =
                usize::try_from(call["index"].as_u64().unwrap_or(u64::MAX)).unwrap_or(usize::MAX);
            if let Some(id) = call.get("id").and_then(Value::as_str) {
                prop_assert_eq!(index, tools.len(), "tool calls are numbered in order");
                let name = call["function"]["name"].as_str().unwrap_or_default();
                tools.push((id.to_owned(), name.to_owned(), String::new()));
            }
            let piece = call["function"]["arguments"].as_str().unwrap_or_default();
            prop_assert!(index < tools.len(), "arguments for an unannounced call");
            tools[index].2.push_str(piece);
        }
        if !choice["finish_reason"].is_null() {
            finishes.push(choice["finish_reason"].clone());
        }
    }
    prop_assert_eq!(
        content,
        concat(steps, |e| match e {
            StreamEvent::TextDelta { text } => Some(text.as_str()),
            _ => None,
        })
    );
    let thinking = concat(steps, |e| match e {
        StreamEvent::ThinkingDelta { text } => Some(text.as_str()),
        _ => None,
    });
    prop_assert_eq!(
        reasoning,
        if show_reasoning {
            thinking
        } else {
            String::new()
        }
    );
    let decoded: Vec<(String, String, Value)> = tools
        .into_iter()
        .map(|(id, name, args)| (id, name, serde_json::from_str(&args).unwrap_or(Value::Null)))
        .collect();
    prop_assert_eq!(decoded, calls(steps));
    match end {
        End::Finish(stop_reason, _) => {
            let has_calls = !calls(steps).is_empty();
            let want = match stop_reason {
                StopReason::EndTurn | StopReason::StopSequence if has_calls => "tool_calls",
                other => other.openai(),
            };
            prop_assert_eq!(finishes, vec![Value::from(want)]);
        }
        _ => prop_assert!(finishes.is_empty()),
    }
    Ok(())
}

/// Replays Anthropic stream events, checking the block protocol, and returns
/// (text, thinking, signatures, tool calls, stop reason).
type AnthropicDecoded = (
    String,
    String,
    Vec<String>,
    Vec<(String, String, Value)>,
    Option<String>,
);

fn replay_anthropic(frames: &[Frame], chunks: &[Value]) -> Result<AnthropicDecoded, TestCaseError> {
    let (mut text, mut thinking, mut sigs) = (String::new(), String::new(), Vec::new());
    let mut tools: Vec<(String, String, String)> = Vec::new();
    let mut open: Option<(u64, String)> = None;
    let mut next_index = 0;
    let mut stop = None;
    for (i, (frame, data)) in frames.iter().zip(chunks).enumerate() {
        let kind = data["type"].as_str().unwrap_or_default();
        prop_assert_eq!(frame.event.as_deref(), Some(kind), "event name = data.type");
        prop_assert_eq!(
            i == 0,
            kind == "message_start",
            "message_start comes first, once"
        );
        match kind {
            "content_block_start" => {
                prop_assert!(open.is_none(), "a block opened inside another");
                prop_assert_eq!(data["index"].as_u64(), Some(next_index));
                let block = &data["content_block"];
                let block_type = block["type"].as_str().unwrap_or_default().to_owned();
                if block_type == "tool_use" {
                    tools.push((
                        block["id"].as_str().unwrap_or_default().to_owned(),
                        block["name"].as_str().unwrap_or_default().to_owned(),
                        String::new(),
                    ));
                }
                open = Some((next_index, block_type));
                next_index += 1;
            }
            "content_block_delta" => {
                let Some((index, block_type)) = &open else {
                    return Err(TestCaseError::fail("a delta outside a block"));
                };
                prop_assert_eq!(data["index"].as_u64(), Some(*index));
                let delta = &data["delta"];
                match (
                    block_type.as_str(),
                    delta["type"].as_str().unwrap_or_default(),
                ) {
                    ("text", "text_delta") => text.push_str(delta["text"].as_str().unwrap_or("")),
                    ("thinking", "thinking_delta") => {
                        thinking.push_str(delta["thinking"].as_str().unwrap_or(""));
                    }
                    ("thinking", "signature_delta") => {
                        sigs.push(delta["signature"].as_str().unwrap_or("").to_owned());
                    }
                    ("tool_use", "input_json_delta") => {
                        let piece = delta["partial_json"].as_str().unwrap_or("");
                        tools.last_mut().expect("a tool block").2.push_str(piece);
                    }
                    (block, delta) => {
                        return Err(TestCaseError::fail(format!(
                            "{delta} inside a {block} block"
                        )));
                    }
                }
            }
            "content_block_stop" => {
                let Some((index, _)) = open.take() else {
                    return Err(TestCaseError::fail("a stop with no open block"));
                };
                prop_assert_eq!(data["index"].as_u64(), Some(index));
            }
            "message_delta" => {
                prop_assert!(open.is_none(), "message_delta with a block open");
                prop_assert!(next_index > 0, "an answer with no content block");
                stop = data["delta"]["stop_reason"].as_str().map(str::to_owned);
            }
            "message_stop" => {
                prop_assert!(stop.is_some() && i == chunks.len() - 1);
            }
            "ping" | "message_start" => {}
            "error" => prop_assert_eq!(i, chunks.len() - 1, "nothing after an error"),
            other => return Err(TestCaseError::fail(format!("unknown event {other}"))),
        }
    }
    let tools = tools
        .into_iter()
        .map(|(id, name, args)| (id, name, serde_json::from_str(&args).unwrap_or(Value::Null)))
        .collect();
    Ok((text, thinking, sigs, tools, stop))
}

fn anthropic_stream(
    steps: &[Step],
    end: &End,
    late: &[StreamEvent],
    show_thinking: bool,
    estimate: u64,
) -> Result<(), TestCaseError> {
    let mut enc = anthropic::StreamEncoder::new("msg_1".into(), "m".into(), show_thinking);
    let mut out = BytesMut::new();
    enc.start(estimate, &mut out);
    for step in steps {
        match step {
            Step::Event(e) => enc.push(e, &mut out),
            Step::Ping => anthropic::StreamEncoder::ping(&mut out),
        }
    }
    match end {
        End::Finish(stop_reason, usage) => enc.push(
            &StreamEvent::Finish {
                stop_reason: *stop_reason,
                usage: *usage,
            },
            &mut out,
        ),
        End::Error(message) => {
            enc.error(
                &ErrorInfo::new(529, ErrorKind::Overloaded, message.clone()),
                &mut out,
            );
        }
        End::Open => {}
    }
    // Events after the end are ignored (an open stream has no "after").
    if !matches!(end, End::Open) {
        for e in late {
            enc.push(e, &mut out);
        }
    }
    let frames = strict_frames(&out).map_err(TestCaseError::fail)?;
    let chunks = payloads(&frames)?;
    prop_assert_eq!(chunks.len(), frames.len(), "no [DONE] in Anthropic streams");
    same_as_project_reader(&out, &chunks)?;
    let (text, thinking, sigs, tools, stop) = replay_anthropic(&frames, &chunks)?;

    prop_assert_eq!(
        text,
        concat(steps, |e| match e {
            StreamEvent::TextDelta { text } => Some(text.as_str()),
            _ => None,
        })
    );
    let (want_thinking, want_sigs) = if show_thinking {
        (
            concat(steps, |e| match e {
                StreamEvent::ThinkingDelta { text } => Some(text.as_str()),
                _ => None,
            }),
            events(steps)
                .filter_map(|e| match e {
                    StreamEvent::ThinkingSignature { signature } if !signature.is_empty() => {
                        Some(signature.clone())
                    }
                    _ => None,
                })
                .collect(),
        )
    } else {
        (String::new(), Vec::new())
    };
    prop_assert_eq!(thinking, want_thinking);
    prop_assert_eq!(sigs, want_sigs);
    prop_assert_eq!(tools, calls(steps));
    match end {
        End::Finish(stop_reason, _) => {
            prop_assert_eq!(stop.as_deref(), Some(stop_reason.anthropic()));
            prop_assert_eq!(&chunks.last().expect("frames")["type"], "message_stop");
        }
        End::Error(_) => prop_assert_eq!(&chunks.last().expect("frames")["type"], "error"),
        End::Open => prop_assert!(stop.is_none()),
    }
    Ok(())
}

fn response() -> impl Strategy<Value = ChatResponse> {
    let block = prop_oneof![
        3 => text().prop_map(|text| Block::Text { text }),
        1 => (text(), prop::option::of(signature()))
            .prop_map(|(text, signature)| Block::Thinking { text, signature }),
        1 => "[A-Za-z0-9]{0,12}".prop_map(|data| Block::RedactedThinking { data }),
        2 => (ident(), text(), arguments())
            .prop_map(|(id, name, input)| Block::ToolUse { id, name, input }),
    ];
    (prop::collection::vec(block, 0..6), stop_reason(), usage()).prop_map(
        |(content, stop_reason, usage)| ChatResponse {
            content,
            stop_reason,
            usage,
        },
    )
}

fn reparsed(v: &Value) -> Result<Value, TestCaseError> {
    let text = serde_json::to_string(v).map_err(|e| TestCaseError::fail(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn openai_sse_is_well_formed_and_reads_back(
        (steps, end, late) in stream(),
        include_usage in any::<bool>(),
        show_reasoning in any::<bool>(),
    ) {
        openai_stream(&steps, &end, &late, include_usage, show_reasoning)?;
    }

    #[test]
    fn anthropic_sse_is_well_formed_and_reads_back(
        (steps, end, late) in stream(),
        show_thinking in any::<bool>(),
        estimate in count(),
    ) {
        anthropic_stream(&steps, &end, &late, show_thinking, estimate)?;
    }

    #[test]
    fn aggregated_answers_keep_every_delta(steps in prop::collection::vec(event(), 0..12)) {
        let mut builder = ResponseBuilder::default();
        for e in &steps {
            builder.push(e);
        }
        let resp = builder.finish();
        let text: String = resp.content.iter().filter_map(|b| match b {
            Block::Text { text } => Some(text.as_str()),
            _ => None,
        }).collect();
        let want: String = steps.iter().filter_map(|e| match e {
            StreamEvent::TextDelta { text } => Some(text.as_str()),
            _ => None,
        }).collect();
        prop_assert_eq!(text, want);
        // Adjacent text deltas merge into one block.
        let merged = resp.content.windows(2).all(|w| !matches!(
            w,
            [Block::Text { .. }, Block::Text { .. }]
        ));
        prop_assert!(merged, "adjacent text blocks");
    }

    #[test]
    fn openai_bodies_are_valid_and_complete(resp in response(), show in any::<bool>()) {
        let body = openai::response_json(&resp, "chatcmpl-1", "m", 7, show);
        prop_assert_eq!(&reparsed(&body)?, &body);
        let message = &body["choices"][0]["message"];
        let text: String = resp.content.iter().filter_map(|b| match b {
            Block::Text { text } => Some(text.as_str()),
            _ => None,
        }).collect();
        let want = if text.is_empty() { Value::Null } else { Value::from(text) };
        prop_assert_eq!(&message["content"], &want);
        let calls: Vec<Value> = resp.content.iter().filter_map(|b| match b {
            Block::ToolUse { id, name, input } => Some(json!([id, name, input])),
            _ => None,
        }).collect();
        let got: Vec<Value> = message["tool_calls"].as_array().into_iter().flatten().map(|c| {
            let args: Value = serde_json::from_str(c["function"]["arguments"].as_str().unwrap_or(""))
                .unwrap_or(Value::Null);
            json!([c["id"], c["function"]["name"], args])
        }).collect();
        prop_assert_eq!(got, calls);
        let usage = &body["usage"];
        let (p, c) = (usage["prompt_tokens"].as_u64(), usage["completion_tokens"].as_u64());
        prop_assert_eq!(p, Some(resp.usage.input_tokens.saturating_add(resp.usage.cached_input_tokens)));
        prop_assert_eq!(usage["total_tokens"].as_u64(), Some(p.unwrap_or(0).saturating_add(c.unwrap_or(0))));
    }

    #[test]
    fn anthropic_bodies_are_valid_and_complete(resp in response(), show in any::<bool>()) {
        let body = anthropic::response_json(&resp, "msg_1", "m", show);
        prop_assert_eq!(&reparsed(&body)?, &body);
        let content = body["content"].as_array().expect("content array");
        prop_assert!(!content.is_empty(), "never an empty content array");
        let want: Vec<Value> = resp.content.iter().filter_map(|b| match b {
            Block::Text { text } if !text.is_empty() => Some(json!({"type": "text", "text": text})),
            Block::ToolUse { id, name, input } => {
                Some(json!({"type": "tool_use", "id": id, "name": name, "input": input}))
            }
            Block::Thinking { text, signature } if show => Some(json!({
                "type": "thinking", "thinking": text, "signature": signature.clone().unwrap_or_default(),
            })),
            Block::RedactedThinking { data } if show => {
                Some(json!({"type": "redacted_thinking", "data": data}))
            }
            _ => None,
        }).collect();
        if want.is_empty() {
            prop_assert_eq!(content.as_slice(), &[json!({"type": "text", "text": ""})]);
        } else {
            prop_assert_eq!(content, &want);
        }
        prop_assert_eq!(&body["stop_reason"], resp.stop_reason.anthropic());
    }
}
