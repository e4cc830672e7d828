//! The upstream SSE reader and stream decoder: a valid upstream stream (any framing: LF, CRLF or
//! CR lines, `data:` with or without its space, JSON spread over several `data:` lines, comments,
//! `event:`/`id:` lines, a BOM, `[DONE]`) gives the same payloads however its bytes are split,
//! including at every single byte boundary; decoding keeps every text, thought and tool call;
//! garbage bytes and arbitrary JSON payloads never panic.

use std::fmt::Write as _;

use anti_api_tui::catalogue::Family;
use anti_api_tui::translate::antigravity::{DecodeError, StreamDecoder};
use anti_api_tui::translate::ir::{StopReason, StreamEvent};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::common::{config, ident, json, json_with_keys, mutate, read_sse, split_at, text};

const KEYS: &[&str] = &[
    "response",
    "candidates",
    "content",
    "parts",
    "text",
    "thought",
    "thoughtSignature",
    "functionCall",
    "name",
    "args",
    "id",
    "finishReason",
    "usageMetadata",
    "promptTokenCount",
    "candidatesTokenCount",
    "thoughtsTokenCount",
    "totalTokenCount",
    "cachedContentTokenCount",
    "error",
    "message",
    "code",
];

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Thought(String),
    Signature(String),
    Call {
        name: String,
        args: Map<String, Value>,
        id: Option<String>,
    },
}

fn part() -> impl Strategy<Value = Part> {
    prop_oneof![
        4 => text().prop_map(Part::Text),
        2 => text().prop_map(Part::Thought),
        1 => "[A-Za-z0-9+/]{8,24}".prop_map(Part::Signature),
        2 => (
            ident(),
            prop::collection::vec((ident(), json()), 0..3),
            prop::option::of("call_[a-z0-9]{4}"),
        )
            .prop_map(|(name, args, id)| Part::Call {
                name,
                args: args.into_iter().collect(),
                id,
            }),
    ]
}

fn count() -> impl Strategy<Value = u64> {
    prop_oneof![3 => 0u64..1_000_000, 1 => any::<u64>()]
}

fn part_json(p: &Part) -> Value {
    match p {
        Part::Text(t) => json!({"text": t}),
        Part::Thought(t) => json!({"text": t, "thought": true}),
        Part::Signature(s) => json!({"text": "", "thought": true, "thoughtSignature": s}),
        Part::Call { name, args, id } => {
            let mut call = json!({"name": name, "args": args});
            if let Some(id) = id {
                call["id"] = Value::from(id.as_str());
            }
            json!({"functionCall": call})
        }
    }
}

/// Upstream payloads: parts spread over chunks, the last one with a finish reason, usage on some.
fn payloads() -> impl Strategy<Value = Vec<Value>> {
    payloads_of(part(), 1..5)
}

/// Short streams (a few short parts) for the test that splits at every byte.
fn short_payloads() -> impl Strategy<Value = Vec<Value>> {
    let part = prop_oneof![
        3 => "[a-z \\n\"é🦀]{0,12}".prop_map(Part::Text),
        1 => "[a-z ]{0,12}".prop_map(Part::Thought),
        1 => (ident(), prop::collection::vec((ident(), any::<i32>().prop_map(Value::from)), 0..2))
            .prop_map(|(name, args)| Part::Call { name, args: args.into_iter().collect(), id: None }),
    ];
    payloads_of(part, 1..3)
}

fn payloads_of(
    part: impl Strategy<Value = Part>,
    chunks: std::ops::Range<usize>,
) -> impl Strategy<Value = Vec<Value>> {
    (
        prop::collection::vec(
            (
                prop::collection::vec(part, 0..4),
                prop::option::of((count(), count(), count(), count())),
                any::<bool>(),
            ),
            chunks,
        ),
        prop::sample::select(&["STOP", "MAX_TOKENS", "SAFETY", "OTHER"][..]),
    )
        .prop_map(|(chunks, finish)| {
            let n = chunks.len();
            chunks
                .into_iter()
                .enumerate()
                .map(|(i, (parts, usage, wrapped))| {
                    let mut candidate = json!({"content": {
                        "role": "model",
                        "parts": parts.iter().map(part_json).collect::<Vec<_>>(),
                    }});
                    if i + 1 == n {
                        candidate["finishReason"] = Value::from(finish);
                    }
                    let mut response = json!({"candidates": [candidate]});
                    if let Some((prompt, candidates, thoughts, cached)) = usage {
                        response["usageMetadata"] = json!({
                            "promptTokenCount": prompt,
                            "candidatesTokenCount": candidates,
                            "thoughtsTokenCount": thoughts,
                            "cachedContentTokenCount": cached,
                            "totalTokenCount": prompt.wrapping_add(candidates),
                        });
                    }
                    // The upstream wraps each chunk in `response`; the decoder takes both.
                    if wrapped {
                        json!({"response": response, "traceId": "t"})
                    } else {
                        response
                    }
                })
                .collect()
        })
}

/// How the stream is written: line ending, `data:` spelling, extras between events.
#[derive(Debug, Clone)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent knobs of one test input"
)]
struct Framing {
    eol: &'static str,
    space: bool,
    pretty: bool,
    comments: bool,
    named: bool,
    bom: bool,
    done: bool,
}

fn framing() -> impl Strategy<Value = Framing> {
    (
        prop::sample::select(&["\n", "\r\n", "\r"][..]),
        any::<(bool, bool, bool, bool, bool, bool)>(),
    )
        .prop_map(
            |(eol, (space, pretty, comments, named, bom, done))| Framing {
                eol,
                space,
                pretty,
                comments,
                named,
                bom,
                done,
            },
        )
}

fn render(payloads: &[Value], f: &Framing) -> Vec<u8> {
    let mut out = String::new();
    if f.bom {
        out.push('\u{feff}');
    }
    let data = if f.space { "data: " } else { "data:" };
    let eol = f.eol;
    let event = |out: &mut String, body: &str, i: usize| {
        if f.comments {
            let _ = write!(out, ": keep-alive {i}{eol}");
        }
        if f.named {
            let _ = write!(out, "event: message{eol}id: {i}{eol}");
        }
        for line in body.split('\n') {
            let _ = write!(out, "{data}{line}{eol}");
        }
        out.push_str(eol);
    };
    for (i, p) in payloads.iter().enumerate() {
        let body = if f.pretty {
            serde_json::to_string_pretty(p)
        } else {
            serde_json::to_string(p)
        }
        .expect("serializable");
        event(&mut out, &body, i);
    }
    if f.done {
        event(&mut out, "[DONE]", payloads.len());
    }
    out.into_bytes()
}

fn read_ok(chunks: Vec<Vec<u8>>) -> Result<Vec<Value>, TestCaseError> {
    read_sse(chunks)
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TestCaseError::fail(format!("the reader failed: {e}")))
}

/// What a decoded stream said, folded: text, thinking, signatures, tool calls, stop reason.
#[derive(Debug, Default, PartialEq)]
struct Said {
    text: String,
    thinking: String,
    signatures: Vec<String>,
    calls: Vec<(String, Value)>,
    finish: Option<StopReason>,
}

fn decode(family: Family, payloads: &[Value]) -> Result<Said, DecodeError> {
    let mut decoder = StreamDecoder::new(family, Vec::new(), "seed");
    let mut events = Vec::new();
    for p in payloads {
        events.extend(decoder.push(p)?);
    }
    events.extend(decoder.finish()?);
    let mut said = Said::default();
    let last = events.len().saturating_sub(1);
    for (i, e) in events.into_iter().enumerate() {
        match e {
            StreamEvent::TextDelta { text } => said.text.push_str(&text),
            StreamEvent::ThinkingDelta { text } => said.thinking.push_str(&text),
            StreamEvent::ThinkingSignature { signature } => said.signatures.push(signature),
            StreamEvent::ToolCall {
                name, arguments, ..
            } => said.calls.push((name, arguments)),
            StreamEvent::Usage { .. } => {}
            StreamEvent::Finish { stop_reason, .. } => {
                assert_eq!(i, last, "Finish is the last event");
                said.finish = Some(stop_reason);
            }
        }
    }
    Ok(said)
}

fn expected(payloads: &[Value], finish: &str) -> Said {
    let mut said = Said::default();
    for p in payloads {
        let response = p.get("response").unwrap_or(p);
        for part in response["candidates"][0]["content"]["parts"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if let Some(call) = part.get("functionCall") {
                said.calls.push((
                    call["name"].as_str().unwrap_or_default().to_owned(),
                    call["args"].clone(),
                ));
            } else if part.get("thought") == Some(&Value::Bool(true)) {
                said.thinking
                    .push_str(part["text"].as_str().unwrap_or_default());
                if let Some(sig) = part.get("thoughtSignature").and_then(Value::as_str) {
                    said.signatures.push(sig.to_owned());
                }
            } else {
                said.text
                    .push_str(part["text"].as_str().unwrap_or_default());
            }
        }
    }
    said.finish = Some(if said.calls.is_empty() {
        match finish {
            "MAX_TOKENS" => StopReason::MaxTokens,
            "SAFETY" => StopReason::ContentFilter,
            _ => StopReason::EndTurn,
        }
    } else {
        StopReason::ToolUse
    });
    said
}

fn finish_of(payloads: &[Value]) -> String {
    let last = payloads.last().expect("at least one payload");
    let response = last.get("response").unwrap_or(last);
    response["candidates"][0]["finishReason"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn every_framing_gives_the_payloads(payloads in payloads(), framing in framing()) {
        let bytes = render(&payloads, &framing);
        prop_assert_eq!(read_ok(vec![bytes])?, payloads);
    }

    #[test]
    fn any_chunking_gives_the_same_payloads(
        payloads in payloads(),
        framing in framing(),
        cuts in prop::collection::vec(any::<usize>(), 0..40),
    ) {
        let bytes = render(&payloads, &framing);
        prop_assert_eq!(read_ok(split_at(&bytes, &cuts))?, payloads);
    }

    #[test]
    fn a_split_at_every_byte_gives_the_same_payloads(
        payloads in short_payloads(),
        framing in framing(),
    ) {
        let bytes = render(&payloads, &framing);
        for cut in 0..=bytes.len() {
            let chunks = vec![bytes[..cut].to_vec(), bytes[cut..].to_vec()];
            prop_assert_eq!(&read_ok(chunks)?, &payloads, "split at byte {}", cut);
        }
    }

    #[test]
    fn decoding_keeps_text_thinking_and_calls(
        payloads in payloads(),
        claude in any::<bool>(),
    ) {
        let family = if claude { Family::Claude } else { Family::Gemini };
        let want = expected(&payloads, &finish_of(&payloads));
        match decode(family, &payloads) {
            Ok(said) => {
                prop_assert_eq!(&said.text, &want.text);
                prop_assert_eq!(&said.thinking, &want.thinking);
                prop_assert_eq!(&said.calls, &want.calls);
                prop_assert_eq!(said.finish, want.finish);
                // A signature is passed on once, never invented.
                prop_assert!(said.signatures.iter().all(|s| want.signatures.contains(s)));
            }
            Err(e) => prop_assert!(false, "a valid stream failed to decode: {}", e),
        }
    }

    #[test]
    fn garbage_bytes_never_panic_and_chunking_does_not_matter(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..400),
            prop::collection::vec(
                prop_oneof![
                    Just(b"data: ".to_vec()),
                    Just(b"\n".to_vec()),
                    Just(b"\r".to_vec()),
                    Just(b"{".to_vec()),
                    Just(b":".to_vec()),
                    Just("\u{feff}".as_bytes().to_vec()),
                    prop::collection::vec(any::<u8>(), 0..8),
                    text().prop_map(String::into_bytes),
                ],
                0..40,
            )
            .prop_map(|pieces| pieces.concat()),
        ],
        cuts in prop::collection::vec(any::<usize>(), 0..20),
    ) {
        let whole = read_sse(vec![bytes.clone()]);
        let split = read_sse(split_at(&bytes, &cuts));
        let shape = |items: &[Result<Value, anti_api_tui::upstream::StreamError>]| {
            items.iter().map(|r| r.as_ref().ok().cloned()).collect::<Vec<_>>()
        };
        prop_assert_eq!(shape(&whole), shape(&split));
    }

    #[test]
    fn arbitrary_payloads_never_panic_the_decoder(
        values in prop::collection::vec(json_with_keys(KEYS), 0..6),
        claude in any::<bool>(),
    ) {
        let family = if claude { Family::Claude } else { Family::Gemini };
        let mut decoder = StreamDecoder::new(family, vec!["t".into()], "seed");
        for v in &values {
            if let Ok(events) = decoder.push(v) {
                for e in events {
                    if let StreamEvent::ToolCall { arguments, .. } = e {
                        prop_assert!(arguments.is_object());
                    }
                }
            }
        }
        let _ = decoder.finish();
    }

    #[test]
    fn near_valid_payloads_never_panic_the_decoder(
        payloads in payloads(),
        path in prop::collection::vec(any::<usize>(), 0..8),
        replacement in json_with_keys(KEYS),
        delete in any::<bool>(),
        claude in any::<bool>(),
    ) {
        let family = if claude { Family::Claude } else { Family::Gemini };
        let mut payloads = payloads;
        let n = payloads.len();
        let target = path.first().copied().unwrap_or(0) % n;
        mutate(&mut payloads[target], &path, replacement, delete);
        let _ = decode(family, &payloads);
    }
}
