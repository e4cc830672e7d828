//! Tests for the stream decoder: one upstream behaviour per test.

use serde_json::{Value, json};

use super::{DecodeError, StreamDecoder};
use crate::catalogue::Family;
use crate::translate::antigravity::SignatureRecord;
use crate::translate::ir::{Block, ResponseBuilder, StopReason, StreamEvent, Usage};

fn claude() -> StreamDecoder {
    StreamDecoder::new(Family::Claude, vec![], "seed")
}

fn chunk(parts: Value) -> Value {
    let mut c = json!({"response": {"candidates": [{"content": {"role": "model"}}]}});
    c["response"]["candidates"][0]["content"]["parts"] = parts;
    c
}

fn finish_chunk(reason: &str) -> Value {
    json!({"response": {"candidates": [{"content": {"role": "model", "parts": []}, "finishReason": reason}]}})
}

fn text(t: &str) -> StreamEvent {
    StreamEvent::TextDelta { text: t.into() }
}

/// Runs chunks through a decoder and returns every event including `finish`'s.
fn run(dec: &mut StreamDecoder, chunks: &[Value]) -> Vec<StreamEvent> {
    let mut events = Vec::new();
    for c in chunks {
        events.extend(dec.push(c).unwrap());
    }
    events.extend(dec.finish().unwrap());
    events
}

fn last_finish(events: &[StreamEvent]) -> (StopReason, Usage) {
    match events.last() {
        Some(StreamEvent::Finish { stop_reason, usage }) => (*stop_reason, *usage),
        other => panic!("no finish: {other:?}"),
    }
}

#[test]
fn wrapped_unwrapped_and_array_payloads_all_decode() {
    let mut dec = claude();
    let wrapped = dec.push(&chunk(json!([{"text": "a"}]))).unwrap();
    let bare = dec
        .push(&json!({"candidates": [{"content": {"parts": [{"text": "b"}]}}]}))
        .unwrap();
    let array = dec.push(&json!([chunk(json!([{"text": "c"}]))])).unwrap();
    assert_eq!(wrapped, [text("a")]);
    assert_eq!(bare, [text("b")]);
    assert_eq!(array, [text("c")]);
}

#[test]
fn empty_text_is_skipped_but_whitespace_is_kept() {
    let mut dec = claude();
    let events = run(
        &mut dec,
        &[chunk(
            json!([{"text": "hi"}, {"text": ""}, {"text": "\n\n"}]),
        )],
    );
    assert_eq!(events[..2], [text("hi"), text("\n\n")]);
    assert_eq!(events.len(), 3);
}

#[test]
fn thinking_then_signature_then_text() {
    let sig = "S".repeat(60);
    let mut dec = claude();
    let events = run(
        &mut dec,
        &[
            chunk(json!([{"text": "let me ", "thought": true}])),
            chunk(json!([{"text": "think", "thought": true}])),
            chunk(json!([{"text": "", "thought": true, "thoughtSignature": sig}])),
            chunk(json!([{"text": "answer"}])),
        ],
    );
    assert_eq!(
        events[..4],
        [
            StreamEvent::ThinkingDelta {
                text: "let me ".into()
            },
            StreamEvent::ThinkingDelta {
                text: "think".into()
            },
            StreamEvent::ThinkingSignature {
                signature: sig.clone()
            },
            text("answer"),
        ]
    );
    assert_eq!(
        dec.take_signatures(),
        [SignatureRecord::Thinking {
            family: Family::Claude,
            text: "let me think".into(),
            signature: sig
        }]
    );
    assert!(dec.take_signatures().is_empty(), "taking drains");
}

#[test]
fn a_signature_is_emitted_once_per_thinking_block() {
    let mut dec = claude();
    let events = run(
        &mut dec,
        &[
            chunk(json!([{"text": "t", "thought": true, "thoughtSignature": "sig-1"}])),
            chunk(json!([{"thought": true, "thoughtSignature": "sig-1"}])),
            chunk(json!([{"text": "x"}])),
        ],
    );
    let sigs = events
        .iter()
        .filter(|e| matches!(e, StreamEvent::ThinkingSignature { .. }))
        .count();
    assert_eq!(sigs, 1);
}

#[test]
fn claude_signature_on_the_first_text_part_closes_thinking_before_the_text() {
    let mut dec = claude();
    let events = run(
        &mut dec,
        &[
            chunk(json!([{"text": "t", "thought": true}])),
            chunk(json!([{"text": "hello", "thoughtSignature": "sig"}])),
        ],
    );
    assert_eq!(
        events[1..3],
        [
            StreamEvent::ThinkingSignature {
                signature: "sig".into()
            },
            text("hello")
        ]
    );
}

#[test]
fn tool_calls_become_complete_events_and_stop_reason_tool_use() {
    let mut dec = claude();
    let events = run(
        &mut dec,
        &[
            chunk(json!([{"text": "running"}])),
            chunk(
                json!([{"functionCall": {"name": "Bash", "args": {"command": "ls"}, "id": "toolu_vrtx_1"}}]),
            ),
            finish_chunk("STOP"),
        ],
    );
    assert_eq!(
        events[1],
        StreamEvent::ToolCall {
            id: "toolu_vrtx_1".into(),
            name: "Bash".into(),
            arguments: json!({"command": "ls"})
        }
    );
    assert_eq!(last_finish(&events).0, StopReason::ToolUse);
}

#[test]
fn missing_tool_ids_are_generated_deterministically() {
    let call = chunk(
        json!([{"functionCall": {"name": "f", "args": {}}}, {"functionCall": {"name": "g"}}]),
    );
    let ids = |seed: &str| -> Vec<String> {
        let mut dec = StreamDecoder::new(Family::Gemini, vec![], seed);
        dec.push(&call)
            .unwrap()
            .into_iter()
            .filter_map(|e| match e {
                StreamEvent::ToolCall { id, .. } => Some(id),
                _ => None,
            })
            .collect()
    };
    let a = ids("req-1");
    assert_eq!(a, ids("req-1"));
    assert_ne!(a, ids("req-2"));
    assert_ne!(a[0], a[1]);
    for id in &a {
        assert!(id.starts_with("toolu_") && id.len() == 6 + 24, "{id}");
        assert!(id[6..].bytes().all(|b| b.is_ascii_hexdigit()));
    }
}

#[test]
fn string_arguments_are_parsed_or_wrapped() {
    let mut dec = claude();
    let events = dec
        .push(&chunk(json!([
            {"functionCall": {"name": "a", "id": "1", "args": "{\"x\": 1}"}},
            {"functionCall": {"name": "b", "id": "2", "args": "not json"}}
        ])))
        .unwrap();
    let args: Vec<&Value> = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::ToolCall { arguments, .. } => Some(arguments),
            _ => None,
        })
        .collect();
    assert_eq!(args, [&json!({"x": 1}), &json!({"value": "not json"})]);
}

#[test]
fn the_placeholder_reason_is_stripped_for_placeholder_tools_only() {
    let mut dec = StreamDecoder::new(Family::Claude, vec!["Ping".into()], "s");
    let events = dec
        .push(&chunk(json!([
            {"functionCall": {"name": "Ping", "id": "1", "args": {"reason": "checking"}}},
            {"functionCall": {"name": "Other", "id": "2", "args": {"reason": "kept"}}}
        ])))
        .unwrap();
    assert!(
        matches!(&events[0], StreamEvent::ToolCall { arguments, .. } if *arguments == json!({}))
    );
    assert!(
        matches!(&events[1], StreamEvent::ToolCall { arguments, .. } if *arguments == json!({"reason": "kept"}))
    );
}

#[test]
fn gemini_call_signatures_are_recorded_not_emitted() {
    let mut dec = StreamDecoder::new(Family::Gemini, vec![], "s");
    let events = run(
        &mut dec,
        &[chunk(
            json!([{"functionCall": {"name": "f", "args": {}, "id": "c1"}, "thoughtSignature": "gsig"}]),
        )],
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, StreamEvent::ThinkingSignature { .. }))
    );
    assert_eq!(
        dec.take_signatures(),
        [SignatureRecord::ToolCall {
            tool_id: "c1".into(),
            signature: "gsig".into()
        }]
    );
}

#[test]
fn gemini_call_signature_uses_the_generated_id_the_client_sees() {
    let mut dec = StreamDecoder::new(Family::Gemini, vec![], "s");
    let events = dec
        .push(&chunk(
            json!([{"functionCall": {"name": "f", "args": {}}, "thoughtSignature": "gsig"}]),
        ))
        .unwrap();
    let StreamEvent::ToolCall { id, .. } = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(
        dec.take_signatures(),
        [SignatureRecord::ToolCall {
            tool_id: id.clone(),
            signature: "gsig".into()
        }]
    );
}

#[test]
fn claude_thinking_is_tied_to_the_tool_calls_that_follow() {
    let mut dec = claude();
    run(
        &mut dec,
        &[
            chunk(
                json!([{"text": "plan", "thought": true}, {"thoughtSignature": "sig", "thought": true}]),
            ),
            chunk(
                json!([{"functionCall": {"name": "a", "id": "t1", "args": {}}},
                         {"functionCall": {"name": "b", "id": "t2", "args": {}}}]),
            ),
        ],
    );
    let recs = dec.take_signatures();
    assert_eq!(recs.len(), 3);
    for (rec, id) in recs[1..].iter().zip(["t1", "t2"]) {
        assert_eq!(
            *rec,
            SignatureRecord::ToolThinking {
                tool_id: id.into(),
                family: Family::Claude,
                text: "plan".into(),
                signature: "sig".into()
            }
        );
    }
}

#[test]
fn finish_reasons_map_to_stop_reasons() {
    for (reason, want) in [
        ("STOP", StopReason::EndTurn),
        ("MAX_TOKENS", StopReason::MaxTokens),
        ("SAFETY", StopReason::ContentFilter),
        ("RECITATION", StopReason::ContentFilter),
        ("PROHIBITED_CONTENT", StopReason::ContentFilter),
        ("BLOCKLIST", StopReason::ContentFilter),
        ("SPII", StopReason::ContentFilter),
        ("FINISH_REASON_UNSPECIFIED", StopReason::EndTurn),
        ("OTHER", StopReason::EndTurn),
    ] {
        let mut dec = claude();
        let events = run(
            &mut dec,
            &[chunk(json!([{"text": "x"}])), finish_chunk(reason)],
        );
        assert_eq!(last_finish(&events).0, want, "{reason}");
    }
}

#[test]
fn usage_subtracts_cache_adds_thoughts_and_is_emitted_on_change() {
    let mut dec = claude();
    let meta = json!({"promptTokenCount": 100, "cachedContentTokenCount": 40,
                      "candidatesTokenCount": 7, "thoughtsTokenCount": 3, "totalTokenCount": 110});
    let with_usage = json!({"response": {"candidates": [{"content": {"parts": [{"text": "x"}]}}], "usageMetadata": meta}});
    let first = dec.push(&with_usage).unwrap();
    let repeat = dec.push(&with_usage).unwrap();
    let want = Usage {
        input_tokens: 60,
        output_tokens: 10,
        cached_input_tokens: 40,
        thinking_tokens: 3,
    };
    assert_eq!(first[1], StreamEvent::Usage { usage: want });
    assert!(
        !repeat
            .iter()
            .any(|e| matches!(e, StreamEvent::Usage { .. }))
    );
    let fin = dec.finish().unwrap();
    assert_eq!(last_finish(&fin).1, want);
}

#[test]
fn output_is_derived_from_the_total_when_candidates_are_missing() {
    let mut dec = claude();
    let events = run(
        &mut dec,
        &[
            json!({"response": {"candidates": [{"content": {"parts": [{"text": "x"}]}, "finishReason": "STOP"}],
                 "usageMetadata": {"promptTokenCount": 10, "thoughtsTokenCount": 5, "totalTokenCount": 40}}}),
        ],
    );
    let usage = last_finish(&events).1;
    assert_eq!(
        usage.output_tokens, 30,
        "25 candidates derived + 5 thoughts"
    );
    assert_eq!(usage.input_tokens, 10);
}

#[test]
fn huge_token_counts_saturate_instead_of_overflowing() {
    // Found by the property tests: the sum of candidates and thoughts overflowed (a panic in
    // debug builds, a wrapped tiny count in release).
    let mut dec = claude();
    let events = run(
        &mut dec,
        &[
            json!({"response": {"candidates": [{"content": {"parts": [{"text": "x"}]}, "finishReason": "STOP"}],
                 "usageMetadata": {"candidatesTokenCount": u64::MAX - 1, "thoughtsTokenCount": 5}}}),
        ],
    );
    let usage = last_finish(&events).1;
    assert_eq!(usage.output_tokens, u64::MAX);
    assert_eq!(usage.thinking_tokens, 5);
}

#[test]
fn the_version_rejection_reply_is_an_error_even_when_split() {
    let mut dec = claude();
    assert_eq!(
        dec.push(&chunk(json!([{"text": "This version of Anti"}])))
            .unwrap(),
        []
    );
    let err = dec
        .push(&chunk(json!([{"text": "gravity is no longer supported. Please update to receive the latest features!"}])))
        .unwrap_err();
    assert!(
        matches!(err, DecodeError::VersionRejected { ref message } if message.starts_with("This version of Antigravity"))
    );
    assert!(!dec.saw_output());

    let mut dec = claude();
    let err = dec
        .push(&chunk(json!([{"text": "Your current version of Antigravity is out of date. Please visit..."}])))
        .unwrap_err();
    assert!(matches!(err, DecodeError::VersionRejected { .. }));
}

#[test]
fn normal_replies_are_not_delayed_by_the_version_gate() {
    let mut dec = claude();
    assert_eq!(
        dec.push(&chunk(json!([{"text": "Hi"}]))).unwrap(),
        [text("Hi")]
    );
    assert!(dec.saw_output());

    // A reply that starts like the phrase is held only until it diverges.
    let mut dec = claude();
    assert_eq!(dec.push(&chunk(json!([{"text": "This "}]))).unwrap(), []);
    assert_eq!(
        dec.push(&chunk(json!([{"text": "is fine"}]))).unwrap(),
        [text("This is fine")]
    );
    assert_eq!(
        dec.push(&chunk(json!([{"text": "!"}]))).unwrap(),
        [text("!")]
    );
}

#[test]
fn held_text_is_released_before_tool_calls_and_at_the_end() {
    let mut dec = claude();
    dec.push(&chunk(json!([{"text": "This"}]))).unwrap();
    let events = dec
        .push(&chunk(
            json!([{"functionCall": {"name": "f", "id": "1", "args": {}}}]),
        ))
        .unwrap();
    assert_eq!(events[0], text("This"));

    let mut dec = claude();
    dec.push(&chunk(json!([{"text": "Your"}]))).unwrap();
    let events = dec.finish().unwrap();
    assert_eq!(events[0], text("Your"));
    assert_eq!(last_finish(&events).0, StopReason::EndTurn);
}

#[test]
fn an_empty_stream_is_an_error_but_a_bare_finish_is_not() {
    assert_eq!(claude().finish().unwrap_err(), DecodeError::EmptyStream);
    let mut dec = claude();
    dec.push(&json!({"response": {"usageMetadata": {"promptTokenCount": 3}}}))
        .unwrap();
    assert_eq!(dec.finish().unwrap_err(), DecodeError::EmptyStream);

    let mut dec = claude();
    let events = run(&mut dec, &[finish_chunk("SAFETY")]);
    assert_eq!(last_finish(&events).0, StopReason::ContentFilter);
    assert!(
        dec.finish().unwrap().is_empty(),
        "finish twice emits nothing more"
    );
}

#[test]
fn in_band_errors_and_junk_are_reported() {
    let err = claude()
        .push(&json!({"error": {"code": 500, "message": "boom"}}))
        .unwrap_err();
    assert!(matches!(err, DecodeError::Malformed { ref message } if message.contains("boom")));
    let err = claude()
        .push(&json!({"error": {"code": 503, "message": "This version of Antigravity is no longer supported."}}))
        .unwrap_err();
    assert!(matches!(err, DecodeError::VersionRejected { .. }));
    assert!(matches!(
        claude().push(&json!("nope")).unwrap_err(),
        DecodeError::Malformed { .. }
    ));
}

#[test]
fn events_fold_into_the_expected_response() {
    let mut dec = claude();
    let events = run(
        &mut dec,
        &[
            chunk(
                json!([{"text": "hm", "thought": true}, {"thought": true, "thoughtSignature": "sig"}]),
            ),
            chunk(json!([{"text": "Let me check."}])),
            chunk(
                json!([{"functionCall": {"name": "Bash", "id": "t1", "args": {"command": "ls"}}}]),
            ),
            finish_chunk("STOP"),
        ],
    );
    let mut b = ResponseBuilder::default();
    for e in &events {
        b.push(e);
    }
    let r = b.finish();
    assert_eq!(
        r.content,
        [
            Block::Thinking {
                text: "hm".into(),
                signature: Some("sig".into())
            },
            Block::Text {
                text: "Let me check.".into()
            },
            Block::ToolUse {
                id: "t1".into(),
                name: "Bash".into(),
                input: json!({"command": "ls"})
            },
        ]
    );
    assert_eq!(r.stop_reason, StopReason::ToolUse);
}

#[test]
fn the_structured_tool_call_is_the_answer_text_with_end_turn() {
    use crate::translate::antigravity::StructuredTool;
    let tool = StructuredTool {
        name: "structured_output".into(),
        unwrap: None,
    };
    let mut dec = claude().with_structured_tool(Some(tool));
    let events = run(
        &mut dec,
        &[
            chunk(json!([{"functionCall": {"name": "structured_output", "args": {"a": 1}}}])),
            finish_chunk("STOP"),
        ],
    );
    assert_eq!(events[0], text(r#"{"a":1}"#));
    assert_eq!(last_finish(&events).0, StopReason::EndTurn);
}

#[test]
fn json_object_emulation_unwraps_the_serialized_string() {
    use crate::translate::antigravity::StructuredTool;
    let tool = StructuredTool {
        name: "structured_output".into(),
        unwrap: Some("json".into()),
    };
    let mut dec = StreamDecoder::new(Family::GptOss, vec![], "s").with_structured_tool(Some(tool));
    let events = run(
        &mut dec,
        &[
            chunk(json!([{"functionCall": {"name": "structured_output",
                "args": {"json": "{\"k\": [1]}"}}}])),
            chunk(json!([{"functionCall": {"name": "Other", "args": {}}}])),
            finish_chunk("STOP"),
        ],
    );
    assert_eq!(events[0], text("{\"k\": [1]}"));
    assert!(matches!(&events[1], StreamEvent::ToolCall { name, .. } if name == "Other"));
    // A real tool call in the same answer still asks the client to run it.
    assert_eq!(last_finish(&events).0, StopReason::ToolUse);
}
