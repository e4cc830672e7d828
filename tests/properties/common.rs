//! What every property module shares: the proptest configuration (case counts, where failures
//! are kept), generators for awkward text and arbitrary JSON, and a strict SSE frame reader.

use std::time::Duration;

use anti_api_tui::upstream::{StreamError, json_events_from};
use futures::StreamExt as _;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::{Map, Value};

/// `default_cases` unless `PROPTEST_CASES` is set: then proptest's own default, which reads it
/// (as do `PROPTEST_MAX_SHRINK_ITERS` and the other `PROPTEST_*` knobs). Failing inputs are kept
/// next to the module as `<module>.proptest-regressions` and replayed first on every run.
pub fn config(default_cases: u32) -> ProptestConfig {
    let base = ProptestConfig::default();
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() {
        base.cases
    } else {
        default_cases
    };
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..base
    }
}

/// Pieces that break naive SSE writers and readers, JSON escaping and text handling.
const AWKWARD: &[&str] = &[
    "",
    " ",
    "\n",
    "\r",
    "\r\n",
    "\n\n",
    "\r\n\r\n",
    "data: ",
    "data:",
    "event: ping",
    ": comment",
    "[DONE]",
    "\"",
    "\\",
    "\u{0}",
    "\u{1b}[31m",
    "\u{feff}",
    "\u{2028}",
    "é",
    "日本語",
    "🦀",
    "{\"a\":1}",
    "}",
    "<system-reminder>",
    "\t",
];

/// Unicode text that often contains newlines, `\r`, `data:` and friends, sometimes empty.
pub fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => prop::sample::select(AWKWARD).prop_map(str::to_owned),
        2 => "[a-z ]{1,12}",
        1 => any::<String>(),
    ];
    prop::collection::vec(piece, 0..6).prop_map(|pieces| pieces.concat())
}

/// An identifier-like string (tool names, ids).
pub fn ident() -> impl Strategy<Value = String> {
    "[a-zA-Z_][a-zA-Z0-9_]{0,15}"
}

/// Arbitrary JSON, up to a few levels deep, with keys drawn partly from `keys`.
pub fn json_with_keys(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        // Finite floats only (JSON has no NaN or infinity), generated rather than filtered:
        // rejections would add up to proptest's limit in long runs.
        (prop::num::f64::POSITIVE
            | prop::num::f64::NEGATIVE
            | prop::num::f64::NORMAL
            | prop::num::f64::SUBNORMAL
            | prop::num::f64::ZERO)
            .prop_map(Value::from),
        text().prop_map(Value::from),
        prop::sample::select(keys).prop_map(Value::from),
    ];
    let key = prop_oneof![
        3 => prop::sample::select(keys).prop_map(str::to_owned),
        1 => text(),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Any JSON value (generic keys).
pub fn json() -> impl Strategy<Value = Value> {
    json_with_keys(&["a", "type", "text", "content", "id", "name"])
}

/// Replaces the value at a random position of `value` (found by walking `choices`) with
/// `replacement`, or deletes an object key when `delete` is set. Keeps the rest intact, so the
/// result is a near-valid document.
pub fn mutate(value: &mut Value, choices: &[usize], replacement: Value, delete: bool) {
    let Some((&first, rest)) = choices.split_first() else {
        *value = replacement;
        return;
    };
    match value {
        Value::Object(map) if !map.is_empty() => {
            let key = map
                .keys()
                .nth(first % map.len())
                .cloned()
                .unwrap_or_default();
            if rest.is_empty() && delete {
                map.remove(&key);
            } else if let Some(child) = map.get_mut(&key) {
                mutate(child, rest, replacement, delete);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            let len = items.len();
            mutate(&mut items[first % len], rest, replacement, delete);
        }
        _ => *value = replacement,
    }
}

/// One SSE frame as written by an encoder: the optional `event:` name and the `data:` line.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub event: Option<String>,
    pub data: String,
}

/// Reads encoder output strictly: every frame is `[event: NAME\n]data: PAYLOAD\n\n`, nothing
/// else, with no stray `\r` or line break inside a field. Returns why it is not, on failure.
pub fn strict_frames(bytes: &[u8]) -> Result<Vec<Frame>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    if text.contains('\r') {
        return Err("a raw \\r in the stream".into());
    }
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let body = text
        .strip_suffix("\n\n")
        .ok_or_else(|| format!("does not end with a blank line: {text:?}"))?;
    let mut frames = Vec::new();
    for raw in body.split("\n\n") {
        let lines: Vec<&str> = raw.split('\n').collect();
        let (event, data) = match lines.as_slice() {
            [data] => (None, *data),
            [event, data] => {
                let name = event
                    .strip_prefix("event: ")
                    .ok_or_else(|| format!("first line is not an event line: {event:?}"))?;
                (Some(name.to_owned()), *data)
            }
            _ => return Err(format!("a frame with {} lines: {raw:?}", lines.len())),
        };
        let data = data
            .strip_prefix("data: ")
            .ok_or_else(|| format!("not a data line: {data:?}"))?;
        frames.push(Frame {
            event,
            data: data.to_owned(),
        });
    }
    Ok(frames)
}

/// Runs the project's upstream SSE reader over `chunks` (in that chunking) and collects every
/// item it yields.
pub fn read_sse(chunks: Vec<Vec<u8>>) -> Vec<Result<Value, StreamError>> {
    thread_local! {
        static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a current-thread runtime");
    }
    let stream = futures::stream::iter(chunks.into_iter().map(Ok::<_, std::io::Error>));
    RUNTIME.with(|rt| {
        rt.block_on(json_events_from(stream, Duration::from_secs(60)).collect::<Vec<_>>())
    })
}

/// Splits `bytes` at the given cut points (any order, duplicates and out-of-range ones ignored).
pub fn split_at(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut cuts: Vec<usize> = cuts
        .iter()
        .map(|c| c % (bytes.len() + 1))
        .filter(|c| *c > 0 && *c < bytes.len())
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut from = 0;
    for cut in cuts {
        out.push(bytes[from..cut].to_vec());
        from = cut;
    }
    out.push(bytes[from..].to_vec());
    out
}

/// The `field` part of an `ErrorInfo::invalid` message (`"field: problem"`).
pub fn error_field(message: &str) -> Option<&str> {
    message
        .split_once(": ")
        .map(|(field, _)| field)
        .filter(|f| !f.trim().is_empty())
}
