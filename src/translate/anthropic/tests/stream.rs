//! The SSE encoder, checked event by event by parsing its own output back.

use bytes::BytesMut;
use serde_json::{Value, json};

use super::parse_sse;
use crate::translate::anthropic::{StreamEncoder, response_json};
use crate::translate::ir::{ErrorInfo, ErrorKind, ResponseBuilder, StopReason, StreamEvent, Usage};

fn text(t: &str) -> StreamEvent {
    StreamEvent::TextDelta { text: t.into() }
}

fn thinking(t: &str) -> StreamEvent {
    StreamEvent::ThinkingDelta { text: t.into() }
}

fn signature(s: &str) -> StreamEvent {
    StreamEvent::ThinkingSignature {
        signature: s.into(),
    }
}

fn finish(stop_reason: StopReason, output_tokens: u64) -> StreamEvent {
    StreamEvent::Finish {
        stop_reason,
        usage: Usage {
            input_tokens: 90,
            output_tokens,
            cached_input_tokens: 10,
            thinking_tokens: 0,
        },
    }
}

/// Thinking, then text, then a tool call, then the finish.
fn tool_turn() -> Vec<StreamEvent> {
    vec![
        thinking("The user wants "),
        thinking("the weather."),
        signature("sig-abc"),
        text("Let me "),
        text(""),
        text("check."),
        StreamEvent::Usage {
            usage: Usage {
                input_tokens: 90,
                output_tokens: 3,
                ..Usage::default()
            },
        },
        StreamEvent::ToolCall {
            id: "toolu_1".into(),
            name: "get_weather".into(),
            arguments: json!({"city": "Paris", "units": "C"}),
        },
        finish(StopReason::ToolUse, 42),
    ]
}

fn encode(events: &[StreamEvent], show_thinking: bool) -> Vec<(String, Value)> {
    let mut enc = StreamEncoder::new("msg_1".into(), "claude-opus-4-8".into(), show_thinking);
    let mut out = BytesMut::new();
    enc.start(77, &mut out);
    for ev in events {
        enc.push(ev, &mut out);
    }
    assert!(enc.is_finished());
    parse_sse(&out)
}

fn names(events: &[(String, Value)]) -> Vec<&str> {
    events.iter().map(|(name, _)| name.as_str()).collect()
}

/// Rebuilds the message the way the SDKs' stream helpers do, checking block bookkeeping
/// (increasing indexes, deltas and stops only for the open block) along the way.
fn accumulate(events: &[(String, Value)]) -> Value {
    let mut message = Value::Null;
    let mut open: Option<usize> = None;
    let mut partial_json = String::new();
    for (name, data) in events {
        match name.as_str() {
            "message_start" => message = data["message"].clone(),
            "content_block_start" => {
                assert_eq!(open, None, "a block was started while another is open");
                let content = message["content"].as_array_mut().expect("content");
                assert_eq!(data["index"], content.len(), "indexes increase from 0");
                content.push(data["content_block"].clone());
                open = Some(content.len() - 1);
                partial_json.clear();
            }
            "content_block_delta" => {
                let index = open.expect("delta outside a block");
                assert_eq!(data["index"], index);
                let block = &mut message["content"][index];
                let delta = &data["delta"];
                let append = |block: &mut Value, key: &str, piece: &Value| {
                    let joined = format!(
                        "{}{}",
                        block[key].as_str().unwrap(),
                        piece.as_str().unwrap()
                    );
                    block[key] = Value::String(joined);
                };
                match delta["type"].as_str().unwrap() {
                    "text_delta" => append(block, "text", &delta["text"]),
                    "thinking_delta" => append(block, "thinking", &delta["thinking"]),
                    "signature_delta" => block["signature"] = delta["signature"].clone(),
                    "input_json_delta" => {
                        partial_json.push_str(delta["partial_json"].as_str().unwrap());
                    }
                    other => panic!("unexpected delta {other}"),
                }
            }
            "content_block_stop" => {
                let index = open.take().expect("stop outside a block");
                assert_eq!(data["index"], index);
                let block = &mut message["content"][index];
                if block["type"] == "tool_use" && !partial_json.is_empty() {
                    block["input"] = serde_json::from_str(&partial_json).expect("tool input JSON");
                }
            }
            "message_delta" => {
                message["stop_reason"] = data["delta"]["stop_reason"].clone();
                message["stop_sequence"] = data["delta"]["stop_sequence"].clone();
                for (key, value) in data["usage"].as_object().expect("message_delta.usage") {
                    message["usage"][key] = value.clone();
                }
            }
            "message_stop" => assert_eq!(open, None, "message_stop with a block still open"),
            other => panic!("unexpected event {other}"),
        }
    }
    message
}

#[test]
fn full_sequence_thinking_text_tool_finish() {
    let events = encode(&tool_turn(), true);
    insta::assert_json_snapshot!(events);
    assert_eq!(
        names(&events),
        [
            "message_start",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop",
        ]
    );
    let start = &events[0].1["message"];
    assert_eq!(
        start["usage"]["input_tokens"], 77,
        "message_start carries the estimate"
    );
    assert_eq!(start["usage"]["output_tokens"], 0);
    assert_eq!(start["content"], json!([]));
    assert_eq!(start["stop_reason"], Value::Null);
    assert_eq!(
        events[1].1["content_block"],
        json!({"type": "thinking", "thinking": "", "signature": ""})
    );
    assert_eq!(
        events[4].1["delta"],
        json!({"type": "signature_delta", "signature": "sig-abc"}),
        "the signature comes right before the thinking block stops"
    );
    assert_eq!(
        events[6].1["content_block"],
        json!({"type": "text", "text": ""})
    );
    assert_eq!(
        events[10].1["content_block"],
        json!({"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}})
    );
    assert_eq!(events[11].1["delta"]["type"], "input_json_delta");
    assert_eq!(
        events[13].1,
        json!({
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": null},
            "usage": {"input_tokens": 90, "output_tokens": 42, "cache_read_input_tokens": 10}
        })
    );
    assert_eq!(events[14].1, json!({"type": "message_stop"}));
}

#[test]
fn stream_accumulates_to_the_non_stream_body() {
    for show_thinking in [true, false] {
        let message = accumulate(&encode(&tool_turn(), show_thinking));
        let mut builder = ResponseBuilder::default();
        for ev in tool_turn() {
            builder.push(&ev);
        }
        let body = response_json(&builder.finish(), "msg_1", "claude-opus-4-8", show_thinking);
        assert_eq!(
            message["content"], body["content"],
            "show_thinking={show_thinking}"
        );
        assert_eq!(message["stop_reason"], body["stop_reason"]);
        assert_eq!(
            message["usage"]["output_tokens"],
            body["usage"]["output_tokens"]
        );
        assert_eq!(
            message["usage"]["input_tokens"],
            body["usage"]["input_tokens"]
        );
        assert_eq!(message["id"], body["id"]);
        assert_eq!(message["model"], body["model"]);
    }
}

#[test]
fn hidden_thinking_emits_no_thinking_events() {
    let events = encode(&tool_turn(), false);
    let raw = serde_json::to_string(&events).unwrap();
    assert!(
        !raw.contains("thinking"),
        "no thinking block or delta: {raw}"
    );
    assert!(!raw.contains("signature"), "no signature: {raw}");
    assert_eq!(events[1].1["index"], 0, "text becomes the first block");
    assert_eq!(events[1].1["content_block"]["type"], "text");
}

#[test]
fn sdk_pitfalls_every_event_line_usage_and_stop() {
    // parse_sse already rejects a missing `event:` line; check the required payload pieces.
    for events in [
        encode(&tool_turn(), true),
        encode(&[finish(StopReason::EndTurn, 1)], false),
    ] {
        assert_eq!(events.first().map(|e| e.0.as_str()), Some("message_start"));
        assert!(
            events[0].1["message"]["usage"].is_object(),
            "message_start.usage"
        );
        let delta = events
            .iter()
            .find(|e| e.0 == "message_delta")
            .expect("message_delta");
        assert!(
            delta.1["usage"]["output_tokens"].is_u64(),
            "message_delta.usage.output_tokens"
        );
        assert_eq!(events.last().map(|e| e.0.as_str()), Some("message_stop"));
    }
}

#[test]
fn whitespace_deltas_kept_empty_deltas_dropped() {
    let events = encode(
        &[
            text(""),
            text(" "),
            text("\n"),
            text(""),
            finish(StopReason::EndTurn, 2),
        ],
        false,
    );
    let deltas: Vec<&Value> = events
        .iter()
        .filter(|e| e.0 == "content_block_delta")
        .map(|e| &e.1["delta"]["text"])
        .collect();
    assert_eq!(deltas, [" ", "\n"]);
    assert_eq!(
        accumulate(&events)["content"],
        json!([{"type": "text", "text": " \n"}])
    );
}

#[test]
fn a_new_block_type_closes_the_open_block() {
    let events = encode(
        &[
            text("a"),
            thinking("t"),
            text("b"),
            finish(StopReason::EndTurn, 3),
        ],
        true,
    );
    let message = accumulate(&events);
    assert_eq!(
        message["content"],
        json!([
            {"type": "text", "text": "a"},
            {"type": "thinking", "thinking": "t", "signature": ""},
            {"type": "text", "text": "b"}
        ])
    );
}

#[test]
fn signature_alone_still_makes_a_signed_thinking_block() {
    let events = encode(
        &[signature("sig"), text("x"), finish(StopReason::EndTurn, 1)],
        true,
    );
    assert_eq!(
        accumulate(&events)["content"][0],
        json!({"type": "thinking", "thinking": "", "signature": "sig"})
    );
}

#[test]
fn finish_without_content_sends_an_empty_text_block() {
    let events = encode(
        &[thinking("hidden"), finish(StopReason::MaxTokens, 9)],
        false,
    );
    assert_eq!(
        names(&events),
        [
            "message_start",
            "content_block_start",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    let message = accumulate(&events);
    assert_eq!(message["content"], json!([{"type": "text", "text": ""}]));
    assert_eq!(message["stop_reason"], "max_tokens");
}

#[test]
fn usage_events_only_update_state() {
    let mut enc = StreamEncoder::new("msg_1".into(), "m".into(), true);
    let mut out = BytesMut::new();
    enc.start(5, &mut out);
    let before = out.len();
    let usage = Usage {
        input_tokens: 11,
        output_tokens: 22,
        cached_input_tokens: 3,
        thinking_tokens: 0,
    };
    enc.push(&StreamEvent::Usage { usage }, &mut out);
    assert_eq!(out.len(), before, "a usage event writes nothing");
    // A finish without usage falls back to the last reported usage.
    enc.push(
        &StreamEvent::Finish {
            stop_reason: StopReason::EndTurn,
            usage: Usage::default(),
        },
        &mut out,
    );
    let events = parse_sse(&out);
    let delta = events
        .iter()
        .find(|e| e.0 == "message_delta")
        .expect("message_delta");
    assert_eq!(
        delta.1["usage"],
        json!({"input_tokens": 11, "output_tokens": 22, "cache_read_input_tokens": 3})
    );
}

#[test]
fn missing_upstream_input_count_falls_back_to_the_estimate() {
    let events = encode(
        &[
            text("x"),
            StreamEvent::Finish {
                stop_reason: StopReason::EndTurn,
                usage: Usage {
                    output_tokens: 4,
                    ..Usage::default()
                },
            },
        ],
        false,
    );
    let delta = events
        .iter()
        .find(|e| e.0 == "message_delta")
        .expect("message_delta");
    assert_eq!(delta.1["usage"]["input_tokens"], 77);
    assert_eq!(delta.1["usage"]["output_tokens"], 4);
}

#[test]
fn error_ends_the_stream_in_band() {
    let mut enc = StreamEncoder::new("msg_1".into(), "m".into(), false);
    let mut out = BytesMut::new();
    enc.start(1, &mut out);
    enc.push(&text("partial"), &mut out);
    let err = ErrorInfo::new(529, ErrorKind::Overloaded, "try later");
    enc.error(&err, &mut out);
    assert!(enc.is_finished());
    enc.push(&text("ignored"), &mut out);
    enc.push(&finish(StopReason::EndTurn, 1), &mut out);
    let events = parse_sse(&out);
    assert_eq!(
        names(&events),
        [
            "message_start",
            "content_block_start",
            "content_block_delta",
            "error"
        ]
    );
    assert_eq!(
        events[3].1,
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "try later"}})
    );
}

#[test]
fn push_before_start_still_begins_with_message_start() {
    let mut enc = StreamEncoder::new("msg_1".into(), "m".into(), false);
    let mut out = BytesMut::new();
    enc.push(&text("hi"), &mut out);
    enc.start(50, &mut out);
    enc.push(&finish(StopReason::EndTurn, 1), &mut out);
    let events = parse_sse(&out);
    assert_eq!(
        names(&events)
            .iter()
            .filter(|n| **n == "message_start")
            .count(),
        1
    );
    assert_eq!(events[0].0, "message_start");
}

#[test]
fn ping_is_a_named_event() {
    let mut out = BytesMut::new();
    StreamEncoder::ping(&mut out);
    assert_eq!(&out[..], b"event: ping\ndata: {\"type\":\"ping\"}\n\n");
}
