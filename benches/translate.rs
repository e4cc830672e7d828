//! Throughput (bytes per second) of the pure parts of the request path: the client request
//! parsers, IR → upstream envelope, the upstream SSE parser and decoder, the client SSE encoders
//! and the non-streaming response bodies.
//!
//! `cargo bench --bench translate` (criterion; add `-- --save-baseline NAME` / `-- --baseline
//! NAME` to compare against a saved run). Inputs: the captured Claude Code requests in
//! `tests/fixtures/claude-code/`, a synthetic multi-turn OpenAI request with tools, and upstream
//! SSE shaped like the simulator's (and the real upstream's).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Duration;

use anti_api_tui::catalogue::{Catalogue, FamilyDefaults, ModelSpec};
use anti_api_tui::translate::antigravity::{
    DEFAULT_CAPACITY, DEFAULT_TTL_MS, SignatureStore, StreamDecoder, UpstreamTarget, build_request,
};
use anti_api_tui::translate::ir::{ChatRequest, ResponseBuilder, StreamEvent};
use anti_api_tui::translate::{anthropic, openai};
use bytes::{Bytes, BytesMut};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use eventsource_stream::Eventsource as _;
use futures::StreamExt as _;
use serde_json::{Value, json};

const FIXTURES: [&str; 3] = [
    "claude-code-2.1.197-p-hi",
    "claude-code-2.1.197-tool-roundtrip-2nd-request",
    "claude-code-2.1.330-p-hi",
];

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/claude-code/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let capture: Value = serde_json::from_slice(&std::fs::read(&path).expect(&path)).expect("json");
    serde_json::to_vec(&capture["body"]).expect("body")
}

fn spec(id: &str) -> ModelSpec {
    Catalogue::builtin(&BTreeMap::new(), FamilyDefaults::default())
        .get(id)
        .expect("model")
        .as_ref()
        .clone()
}

/// A ten-turn OpenAI conversation with a system prompt, two tools and a tool round trip.
fn openai_request() -> Vec<u8> {
    let mut messages =
        vec![json!({"role": "system", "content": "You are a careful assistant. ".repeat(20)})];
    for i in 0..4 {
        messages.push(json!({"role": "user", "content": format!("Question {i}: {}", "lorem ipsum dolor sit amet ".repeat(12))}));
        messages.push(json!({"role": "assistant", "content": format!("Answer {i}: {}", "consectetur adipiscing elit ".repeat(16))}));
    }
    messages.push(json!({"role": "user", "content": "What is the weather in Oslo?"}));
    messages.push(
        json!({"role": "assistant", "content": null, "tool_calls": [{
        "id": "call_1", "type": "function",
        "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}]}),
    );
    messages.push(json!({"role": "tool", "tool_call_id": "call_1", "content": "{\"temp_c\": 3, \"sky\": \"overcast\"}"}));
    messages.push(json!({"role": "user", "content": "And tomorrow?"}));
    serde_json::to_vec(&json!({
        "model": "gemini-3-flash",
        "messages": messages,
        "temperature": 0.2,
        "max_tokens": 4096,
        "tools": [
            {"type": "function", "function": {"name": "get_weather", "description": "Current weather",
              "parameters": {"type": "object", "properties": {"city": {"type": "string"},
                "unit": {"type": "string", "enum": ["c", "f"]}}, "required": ["city"],
                "additionalProperties": false}}},
            {"type": "function", "function": {"name": "search", "description": "Web search",
              "parameters": {"$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object", "properties": {"q": {"type": "string", "minLength": 1},
                "limit": {"type": "integer", "default": 5}}, "required": ["q"]}}}
        ],
    }))
    .expect("json")
}

/// Upstream SSE for one answer, framed like the upstream: `n` text events (after two thinking
/// events and a signature for Claude), the last with finish reason and usage.
fn upstream_sse(claude: bool, n: usize) -> (Bytes, Vec<Value>) {
    let mut payloads = Vec::new();
    let wrap = |parts: Value, last: bool| {
        let mut candidate = json!({"content": {"role": "model", "parts": parts}});
        let mut response = json!({"modelVersion": "m", "responseId": "sim-resp-1"});
        if last {
            candidate["finishReason"] = json!("STOP");
            response["usageMetadata"] = json!({"promptTokenCount": 1200,
                "candidatesTokenCount": 300, "totalTokenCount": 1500});
        }
        response["candidates"] = json!([candidate]);
        json!({"response": response, "traceId": "0123456789abcdef"})
    };
    if claude {
        payloads.push(wrap(
            json!([{"text": "Let me think", "thought": true}]),
            false,
        ));
        payloads.push(wrap(
            json!([{"text": " about this carefully.", "thought": true}]),
            false,
        ));
        payloads.push(wrap(
            json!([{"text": "", "thought": true, "thoughtSignature": "EqQBCkgIBxABGAIiQ".repeat(12)}]),
            false,
        ));
    }
    for i in 0..n {
        payloads.push(wrap(
            json!([{"text": format!(" word{i} of a streamed answer, about forty bytes")}]),
            i + 1 == n,
        ));
    }
    let mut sse = String::new();
    for (i, p) in payloads.iter().enumerate() {
        let eol = if i % 3 == 2 { "\r\n" } else { "\n" };
        let _ = write!(sse, "data: {p}{eol}{eol}");
    }
    (Bytes::from(sse), payloads)
}

fn events_of(claude: bool, payloads: &[Value]) -> Vec<StreamEvent> {
    let family = spec(if claude {
        "claude-sonnet-4-6-thinking"
    } else {
        "gemini-3-flash"
    })
    .family;
    let mut decoder = StreamDecoder::new(family, Vec::new(), "bench");
    let mut events = Vec::new();
    for p in payloads {
        events.extend(decoder.push(p).expect("decode"));
    }
    events.extend(decoder.finish().expect("finish"));
    events
}

fn requests(c: &mut Criterion) {
    let mut group = c.benchmark_group("request");
    let body = openai_request();
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("openai_parse/10-turn+tools", |b| {
        b.iter(|| openai::parse_request(black_box(&body)).expect("parse"));
    });
    for name in FIXTURES {
        let body = fixture(name);
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("anthropic_parse", name),
            &body,
            |b, body| {
                b.iter(|| anthropic::parse_request(black_box(body)).expect("parse"));
            },
        );
    }

    // IR → upstream envelope → bytes on the wire, as the engine does per attempt.
    let store = SignatureStore::new(DEFAULT_CAPACITY, DEFAULT_TTL_MS);
    let mut cases: Vec<(String, ChatRequest, ModelSpec, usize)> = vec![(
        "openai/gemini-3-flash".into(),
        openai::parse_request(&body).expect("parse"),
        spec("gemini-3-flash"),
        body.len(),
    )];
    for name in FIXTURES {
        let raw = fixture(name);
        cases.push((
            format!("{name}/claude-sonnet-4-6"),
            anthropic::parse_request(&raw).expect("parse"),
            spec("claude-sonnet-4-6"),
            raw.len(),
        ));
    }
    for (name, req, spec, len) in &cases {
        let target = UpstreamTarget {
            spec,
            project: "sim-project-bench",
            request_id: "agent-bench",
            session_id: "-1234567890",
            identity: &anti_api_tui::translate::identity::IdentityRules::default(),
        };
        group.throughput(Throughput::Bytes(*len as u64));
        group.bench_with_input(BenchmarkId::new("build_upstream", name), req, |b, req| {
            b.iter(|| {
                let plan = build_request(black_box(req), &target, &store, 1_700_000_000_000)
                    .expect("build");
                serde_json::to_vec(&plan.body).expect("bytes")
            });
        });
    }
    group.finish();
}

fn sse(c: &mut Criterion) {
    let mut group = c.benchmark_group("sse");
    for (label, claude) in [("gemini", false), ("claude-thinking", true)] {
        let (bytes, payloads) = upstream_sse(claude, 60);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        // The upstream reader: SSE framing (eventsource-stream) + JSON per event, fed one
        // network read per event as a paced stream arrives.
        let pieces: Vec<Bytes> = {
            let text = bytes.clone();
            let mut out = Vec::new();
            let mut start = 0;
            let raw = &text[..];
            let mut i = 0;
            while i + 1 < raw.len() {
                if raw[i] == b'\n' && raw[i + 1] == b'\n' {
                    out.push(text.slice(start..i + 2));
                    start = i + 2;
                }
                i += 1;
            }
            if start < raw.len() {
                out.push(text.slice(start..));
            }
            out
        };
        group.bench_function(BenchmarkId::new("parse_upstream", label), |b| {
            b.iter(|| {
                let chunks = futures::stream::iter(
                    pieces
                        .iter()
                        .cloned()
                        .map(Ok::<Bytes, std::convert::Infallible>),
                );
                futures::executor::block_on(async {
                    let mut events = chunks.eventsource();
                    let mut n = 0usize;
                    while let Some(ev) = events.next().await {
                        let ev = ev.expect("event");
                        let v: Value = serde_json::from_str(ev.data.trim()).expect("json");
                        n += usize::from(v.is_object());
                    }
                    n
                })
            });
        });
        let family = spec(if claude {
            "claude-sonnet-4-6-thinking"
        } else {
            "gemini-3-flash"
        })
        .family;
        group.bench_function(BenchmarkId::new("decode_upstream", label), |b| {
            b.iter(|| {
                let mut decoder = StreamDecoder::new(family, Vec::new(), "bench");
                let mut n = 0;
                for p in &payloads {
                    n += decoder.push(black_box(p)).expect("decode").len();
                }
                n + decoder.finish().expect("finish").len()
            });
        });

        let events = events_of(claude, &payloads);
        let encode_openai = || {
            let mut enc = openai::StreamEncoder::new(
                "chatcmpl-bench".into(),
                "gemini-3-flash".into(),
                1_700_000_000,
                true,
                true,
            );
            let mut out = BytesMut::new();
            enc.start(&mut out);
            for ev in &events {
                enc.push(ev, &mut out);
            }
            out
        };
        group.throughput(Throughput::Bytes(encode_openai().len() as u64));
        group.bench_function(BenchmarkId::new("encode_openai", label), |b| {
            b.iter(encode_openai);
        });
        let encode_anthropic = || {
            let mut enc =
                anthropic::StreamEncoder::new("msg_bench".into(), "claude-sonnet-4-6".into(), true);
            let mut out = BytesMut::new();
            enc.start(1200, &mut out);
            for ev in &events {
                enc.push(ev, &mut out);
            }
            out
        };
        group.throughput(Throughput::Bytes(encode_anthropic().len() as u64));
        group.bench_function(BenchmarkId::new("encode_anthropic", label), |b| {
            b.iter(encode_anthropic);
        });
    }
    group.finish();
}

fn responses(c: &mut Criterion) {
    let mut group = c.benchmark_group("response");
    for (label, claude) in [("gemini", false), ("claude-thinking", true)] {
        let (_, payloads) = upstream_sse(claude, 60);
        let events = events_of(claude, &payloads);
        let aggregate = || {
            let mut builder = ResponseBuilder::default();
            for ev in &events {
                builder.push(ev);
            }
            builder.finish()
        };
        let resp = aggregate();
        let openai_body = || {
            serde_json::to_vec(&openai::response_json(
                &aggregate(),
                "chatcmpl-bench",
                "m",
                1_700_000_000,
                true,
            ))
            .expect("bytes")
        };
        group.throughput(Throughput::Bytes(openai_body().len() as u64));
        group.bench_function(BenchmarkId::new("aggregate+openai_json", label), |b| {
            b.iter(openai_body);
        });
        let anthropic_body = || {
            serde_json::to_vec(&anthropic::response_json(
                &aggregate(),
                "msg_bench",
                "m",
                true,
            ))
            .expect("bytes")
        };
        group.throughput(Throughput::Bytes(anthropic_body().len() as u64));
        group.bench_function(BenchmarkId::new("aggregate+anthropic_json", label), |b| {
            b.iter(anthropic_body);
        });
        black_box(resp);
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = requests, sse, responses
}
criterion_main!(benches);
