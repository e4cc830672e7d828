//! The Chat Completions stream encoder replayed: every chunk is a complete
//! `chat.completion.chunk` (or the in-band error), `[DONE]` ends a finished stream only, and the
//! content, reasoning, tool calls (header then argument pieces per index) and the single finish
//! reason read back to what was encoded.

use anti_api_tui::translate::ir::{ErrorInfo, ErrorKind, StopReason, StreamEvent};
use anti_api_tui::translate::openai;
use bytes::BytesMut;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::{End, Step, calls, concat, events, payloads, same_as_project_reader};
use crate::properties::common::strict_frames;

pub(super) fn openai_stream(
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
