//! The bad-input corpus: well over a hundred malformed or hostile requests against both APIs
//! (table-driven, see `bad_input/*.rs`). Each must get a 4xx in the route's own error format
//! naming the field where there is one; none a 5xx, a hang or a dropped connection; nothing
//! reaches the upstream; and the server keeps serving afterwards.

mod bad_input {
    pub mod anthropic;
    #[path = "../security/binary.rs"]
    #[allow(dead_code)]
    pub mod binary;
    pub mod common;
    pub mod hostile;
    pub mod new_routes;
    pub mod openai;
    pub mod routes;
    pub mod runner;
}

#[path = "proxy/support.rs"]
#[allow(dead_code)]
mod support;

use bad_input::runner::{self, AN, Api, Case, OA};
use serde_json::{Value, json};

use support::Harness;

/// Runs `cases` against one proxy with a 1 MiB body limit and fails with the full list of cases
/// that were answered wrongly.
async fn run_corpus(cases: Vec<Case>) {
    let h = Harness::start_with(&["alice"], |c| c.server.max_body_mb = 1).await;
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(why) = runner::check(&h.http, &h.base, case).await {
            failures.push(format!(
                "{} ({} {}): {why}",
                case.name, case.method, case.path
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    let upstream = h.sim.stats();
    assert_eq!(
        upstream.generate_calls + upstream.count_tokens_calls,
        0,
        "bad input reached the upstream: {:?}",
        upstream.rejected
    );
    for api in [Api::OpenAi, Api::Anthropic] {
        let (code, body) = h.post_json(api.path(), &api.good()).await;
        assert_eq!(code, 200, "still serving {api:?}: {body}");
    }
}

#[tokio::test]
async fn shared_cases_get_a_4xx_in_each_route_format() {
    run_corpus(bad_input::common::cases()).await;
}

#[tokio::test]
async fn openai_cases_get_a_4xx_in_the_openai_format() {
    run_corpus(bad_input::openai::cases()).await;
}

#[tokio::test]
async fn anthropic_cases_get_a_4xx_in_the_anthropic_format() {
    run_corpus(bad_input::anthropic::cases()).await;
}

#[tokio::test]
async fn responses_and_gemini_cases_get_a_4xx_in_their_format() {
    run_corpus(bad_input::new_routes::cases()).await;
}

#[tokio::test]
async fn routes_not_served_get_a_404_in_the_route_format() {
    run_corpus(bad_input::routes::cases()).await;
}

#[test]
fn the_corpus_is_big_and_covers_both_apis() {
    let all: Vec<Case> = [
        bad_input::common::cases(),
        bad_input::openai::cases(),
        bad_input::anthropic::cases(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let on = |api: Api| all.iter().filter(|c| Api::of(c.path) == api).count();
    assert!(all.len() >= 60, "{}", all.len());
    assert!(
        on(Api::OpenAi) >= 60 && on(Api::Anthropic) >= 60,
        "{} / {}",
        on(Api::OpenAi),
        on(Api::Anthropic)
    );
    let mut names: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len(), "case names are unique");
}

/// The exact messages for a sample: the full field path, then what is wrong with it.
#[tokio::test]
async fn messages_name_the_field_path() {
    let h = Harness::start(&["alice"]).await;
    let samples: [(&str, Value, &str); 5] = [
        (
            AN,
            json!({"model": "gemini-3-flash", "max_tokens": 5, "messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": "hello"},
                {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "hologram"}]},
            ]}),
            "messages[2].content[1].type: unknown block type 'hologram'",
        ),
        (
            AN,
            json!({"model": "gemini-3-flash", "max_tokens": 5, "messages": [
                {"role": "user", "content": [{"type": "image", "source":
                    {"type": "base64", "media_type": "image/png", "data": "%%"}}]},
            ]}),
            "messages[0].content[0].source.data: not valid base64",
        ),
        (
            OA,
            json!({"model": "gemini-3-flash",
                   "messages": [{"role": "user", "content": [{"type": "hologram"}]}]}),
            "messages[0].content[0].type: unknown content part type \"hologram\"",
        ),
        (
            OA,
            json!({"model": "gemini-3-flash", "temperature": 99,
                   "messages": [{"role": "user", "content": "hi"}]}),
            "temperature: must be between 0 and 2",
        ),
        (
            OA,
            json!({"model": "gemini-3-flash", "messages": [{"role": "user", "content": 5}]}),
            "messages[0].content: invalid type: integer `5`",
        ),
    ];
    for (path, body, expected) in samples {
        let (status, value) = h.post_json(path, &body).await;
        assert_eq!(status, 400, "{value}");
        let message = value["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(expected), "{message}");
    }
}

/// A `$ref` chain 2,000 links long (a 150 KB body): cleaning must not recurse once per link.
#[tokio::test]
async fn a_long_ref_chain_in_a_tool_schema_does_not_crash_the_server() {
    let mut server = bad_input::hostile::DemoServer::start();
    for api in [Api::Anthropic, Api::OpenAi] {
        let body =
            bad_input::hostile::with_tool_schema(api, &bad_input::hostile::ref_schema(2_000, 1, 1));
        let result = bad_input::hostile::survives(&mut server, api, body).await;
        assert!(result.is_ok(), "{api:?}: {result:?}");
    }
}

/// 40 levels of a `$ref` diamond (a 4 KB body) would inline to 2^40 nodes: cleaning must stay
/// bounded in time and memory.
#[tokio::test]
async fn a_ref_diamond_in_a_tool_schema_is_bounded() {
    let mut server = bad_input::hostile::DemoServer::start();
    for api in [Api::Anthropic, Api::OpenAi] {
        let body =
            bad_input::hostile::with_tool_schema(api, &bad_input::hostile::ref_schema(40, 2, 1));
        let result = bad_input::hostile::survives(&mut server, api, body).await;
        assert!(result.is_ok(), "{api:?}: {result:?}");
    }
}

/// Unknown fields are skipped, not parsed: 10,000 levels of nesting in one is ignored without
/// recursion (so without a stack overflow) and the request is served.
#[tokio::test]
async fn deep_nesting_in_an_ignored_field_is_skipped() {
    let h = Harness::start(&["alice"]).await;
    let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    for api in [Api::OpenAi, Api::Anthropic] {
        let good = serde_json::to_string(&api.good()).unwrap();
        let body = good.replacen('{', &format!("{{\"extra\": {deep}, "), 1);
        let resp = h
            .http
            .post(format!("{}{}", h.base, api.path()))
            .header("content-type", "application/json")
            .body(body)
            .timeout(runner::PER_REQUEST)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{api:?}");
    }
}

/// 16 references (within any reference-count limit), each 60 objects deep (within JSON's
/// recursion limit): inlined, 960 levels. Cleaning must bound depth, not only references.
#[tokio::test]
async fn deeply_nested_refs_in_a_tool_schema_do_not_crash_the_server() {
    let mut server = bad_input::hostile::DemoServer::start();
    for api in [Api::Anthropic, Api::OpenAi] {
        let schema = bad_input::hostile::ref_schema(16, 1, 60);
        let body = bad_input::hostile::with_tool_schema(api, &schema);
        let result = bad_input::hostile::survives(&mut server, api, body).await;
        assert!(result.is_ok(), "{api:?}: {result:?}");
    }
}
