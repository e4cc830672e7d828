//! The Anthropic stream encoder replayed: `message_start` first, every event's name equal to its
//! data's type, content blocks opened and closed one at a time with increasing indexes, deltas of
//! the open block's kind only, and text, thinking, signatures, tool inputs and the stop reason
//! reading back to what was encoded.

use anti_api_tui::translate::anthropic;
use anti_api_tui::translate::ir::{ErrorInfo, ErrorKind, StreamEvent};
use bytes::BytesMut;
use proptest::prelude::*;
use serde_json::Value;

use super::{End, Step, calls, concat, events, payloads, same_as_project_reader};
use crate::properties::common::{Frame, strict_frames};

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

pub(super) fn anthropic_stream(
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
