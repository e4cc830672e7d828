//! IR → client encoders: for arbitrary answers and event sequences (any unicode, newlines, `\r`,
//! `data:` inside text, empty strings, huge token counts) the JSON bodies are valid and complete,
//! the SSE output is well-formed frame by frame, and reading it back (strictly, and with the
//! project's own SSE reader) gives the same text, thinking, tool calls and stop reason.

mod anthropic_sse;
mod openai_sse;

use anti_api_tui::translate::anthropic;
use anti_api_tui::translate::ir::{
    Block, ChatResponse, ResponseBuilder, StopReason, StreamEvent, Usage,
};
use anti_api_tui::translate::openai;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use self::anthropic_sse::anthropic_stream;
use self::openai_sse::openai_stream;
use super::common::{Frame, config, ident, json, read_sse, text};

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
