//! Tests for the Chat Completions SSE encoder: the output is parsed back line by line as a client would.

use bytes::BytesMut;
use serde_json::{Value, json};

use super::StreamEncoder;
use crate::translate::ir::{ErrorInfo, ErrorKind, StopReason, StreamEvent, Usage};

/// One decoded SSE event.
#[derive(Debug, PartialEq)]
enum Sse {
    Json(Value),
    Done,
}

/// Splits the byte stream into `data:` events, checking the framing on the way.
fn decode(out: &[u8]) -> Vec<Sse> {
    let text = std::str::from_utf8(out).expect("SSE output is UTF-8");
    assert!(text.ends_with("\n\n"), "every event ends with a blank line");
    text.split_terminator("\n\n")
        .map(|event| {
            let payload = event
                .strip_prefix("data: ")
                .unwrap_or_else(|| panic!("event without data prefix: {event:?}"));
            assert!(!payload.contains('\n'), "one line per event");
            if payload == "[DONE]" {
                Sse::Done
            } else {
                Sse::Json(serde_json::from_str(payload).expect("payload is JSON"))
            }
        })
        .collect()
}

fn encode(events: &[StreamEvent], include_usage: bool, show_reasoning: bool) -> Vec<Sse> {
    let mut enc = StreamEncoder::new(
        "chatcmpl-s".into(),
        "m-1".into(),
        42,
        include_usage,
        show_reasoning,
    );
    let mut out = BytesMut::new();
    enc.start(&mut out);
    for ev in events {
        assert!(!enc.is_finished());
        enc.push(ev, &mut out);
    }
    assert!(enc.is_finished());
    decode(&out)
}

fn usage() -> Usage {
    Usage {
        input_tokens: 4,
        output_tokens: 9,
        cached_input_tokens: 2,
        thinking_tokens: 5,
    }
}

fn answer() -> Vec<StreamEvent> {
    vec![
        StreamEvent::ThinkingDelta {
            text: "think".into(),
        },
        StreamEvent::ThinkingSignature {
            signature: "sig".into(),
        },
        StreamEvent::TextDelta { text: "Hi".into() },
        StreamEvent::TextDelta {
            text: String::new(),
        },
        StreamEvent::TextDelta { text: " ".into() },
        StreamEvent::ToolCall {
            id: "call_1".into(),
            name: "weather".into(),
            arguments: json!({"city": "Zürich"}),
        },
        StreamEvent::ToolCall {
            id: "call_2".into(),
            name: "noop".into(),
            arguments: json!({}),
        },
        StreamEvent::Usage {
            usage: Usage::default(),
        },
        StreamEvent::Finish {
            stop_reason: StopReason::ToolUse,
            usage: usage(),
        },
    ]
}

fn chunks(events: &[Sse]) -> Vec<&Value> {
    events
        .iter()
        .filter_map(|e| match e {
            Sse::Json(v) => Some(v),
            Sse::Done => None,
        })
        .collect()
}

fn deltas(events: &[Sse]) -> Vec<&Value> {
    chunks(events)
        .into_iter()
        .filter_map(|c| c["choices"].get(0).map(|choice| &choice["delta"]))
        .collect()
}

#[test]
fn full_sequence_with_usage() {
    let events = encode(&answer(), true, false);
    insta::assert_json_snapshot!(chunks(&events));

    assert_eq!(events.last(), Some(&Sse::Done));
    assert_eq!(events.iter().filter(|e| **e == Sse::Done).count(), 1);
    for chunk in chunks(&events) {
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["id"], "chatcmpl-s");
        assert_eq!(chunk["created"], 42);
        assert_eq!(chunk["model"], "m-1");
        assert!(chunk["choices"].is_array());
    }
    let all = chunks(&events);
    assert_eq!(
        all[0]["choices"][0]["delta"],
        json!({"role": "assistant", "content": ""})
    );

    let finishes: Vec<&Value> = all
        .iter()
        .filter_map(|c| c["choices"].get(0))
        .map(|choice| &choice["finish_reason"])
        .filter(|r| !r.is_null())
        .collect();
    assert_eq!(finishes, [&json!("tool_calls")]);

    // The last chunk before [DONE] is the usage chunk with no choices.
    let last = all.last().expect("chunks");
    assert_eq!(last["choices"], json!([]));
    assert_eq!(last["usage"]["prompt_tokens"], 6);
    assert_eq!(
        last["usage"]["completion_tokens_details"]["reasoning_tokens"],
        5
    );
    assert_eq!(all.iter().filter(|c| c.get("usage").is_some()).count(), 1);

    // Reasoning hidden, empty text dropped, whitespace kept.
    let texts: Vec<&Value> = deltas(&events)
        .into_iter()
        .filter_map(|d| d.get("content"))
        .collect();
    assert_eq!(texts, [&json!(""), &json!("Hi"), &json!(" ")]);
    assert!(
        deltas(&events)
            .iter()
            .all(|d| d.get("reasoning_content").is_none())
    );
}

#[test]
fn tool_call_arguments_reassemble_per_index() {
    let events = encode(&answer(), false, false);
    let mut calls: Vec<(String, String, String)> = Vec::new();
    for delta in deltas(&events) {
        for call in delta
            .get("tool_calls")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let index = usize::try_from(call["index"].as_u64().expect("index")).expect("small");
            if let Some(id) = call.get("id") {
                assert_eq!(index, calls.len(), "a new call takes the next index");
                assert_eq!(call["type"], "function");
                assert_eq!(call["function"]["arguments"], "");
                let name = call["function"]["name"].as_str().expect("name");
                calls.push((id.as_str().expect("id").into(), name.into(), String::new()));
            } else {
                assert!(call.get("type").is_none() && call["function"].get("name").is_none());
                calls[index]
                    .2
                    .push_str(call["function"]["arguments"].as_str().expect("piece"));
            }
        }
    }
    let parsed: Vec<(String, String, Value)> = calls
        .into_iter()
        .map(|(id, name, args)| {
            (
                id,
                name,
                serde_json::from_str(&args).expect("arguments JSON"),
            )
        })
        .collect();
    assert_eq!(
        parsed,
        [
            ("call_1".into(), "weather".into(), json!({"city": "Zürich"})),
            ("call_2".into(), "noop".into(), json!({})),
        ]
    );
}

#[test]
fn no_usage_chunk_unless_asked() {
    let events = encode(&answer(), false, false);
    assert_eq!(events.last(), Some(&Sse::Done));
    let all = chunks(&events);
    assert!(all.iter().all(|c| c.get("usage").is_none()));
    let last = all.last().expect("chunks");
    assert_eq!(last["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(last["choices"][0]["delta"], json!({}));
}

#[test]
fn reasoning_shown_when_asked() {
    let events = encode(&answer(), false, true);
    let reasoning: Vec<&Value> = deltas(&events)
        .into_iter()
        .filter_map(|d| d.get("reasoning_content"))
        .collect();
    assert_eq!(reasoning, [&json!("think")]);
}

#[test]
fn text_answer_finishes_with_stop_or_length() {
    for (stop, expected) in [
        (StopReason::EndTurn, "stop"),
        (StopReason::MaxTokens, "length"),
    ] {
        let events = encode(
            &[
                StreamEvent::TextDelta { text: "ok".into() },
                StreamEvent::Finish {
                    stop_reason: stop,
                    usage: Usage::default(),
                },
            ],
            false,
            false,
        );
        let all = chunks(&events);
        assert_eq!(all.len(), 3);
        assert_eq!(all[2]["choices"][0]["finish_reason"], expected);
        assert!(
            all[..2]
                .iter()
                .all(|c| c["choices"][0]["finish_reason"].is_null())
        );
    }
}

#[test]
fn start_is_implicit_and_nothing_follows_finish() {
    let mut enc = StreamEncoder::new("id".into(), "m".into(), 1, false, false);
    let mut out = BytesMut::new();
    enc.push(&StreamEvent::TextDelta { text: "a".into() }, &mut out);
    enc.start(&mut out);
    enc.push(
        &StreamEvent::Finish {
            stop_reason: StopReason::EndTurn,
            usage: Usage::default(),
        },
        &mut out,
    );
    let len = out.len();
    enc.push(
        &StreamEvent::TextDelta {
            text: "late".into(),
        },
        &mut out,
    );
    enc.error(&ErrorInfo::new(500, ErrorKind::Api, "late"), &mut out);
    assert_eq!(out.len(), len);
    let events = decode(&out);
    assert_eq!(events.len(), 4);
    let Sse::Json(first) = &events[0] else {
        panic!("role chunk first")
    };
    assert_eq!(first["choices"][0]["delta"]["role"], "assistant");
}

#[test]
fn error_mid_stream_is_in_band_without_done() {
    let mut enc = StreamEncoder::new("id".into(), "m".into(), 1, true, false);
    let mut out = BytesMut::new();
    enc.start(&mut out);
    enc.push(&StreamEvent::TextDelta { text: "par".into() }, &mut out);
    enc.error(
        &ErrorInfo::new(529, ErrorKind::Overloaded, "upstream overloaded"),
        &mut out,
    );
    assert!(enc.is_finished());
    let events = decode(&out);
    assert!(!events.contains(&Sse::Done));
    assert_eq!(
        events.last(),
        Some(&Sse::Json(
            json!({"error": {"message": "upstream overloaded",
            "type": "overloaded_error", "param": null, "code": "overloaded"}})
        ))
    );
}
