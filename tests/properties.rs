//! Property tests for the pure cores (proptest; `cargo fuzz` needs a nightly toolchain): the
//! OpenAI and Anthropic request parsers and what they build upstream, the response and SSE
//! encoders, the upstream SSE reader and stream decoder, the JSON-schema cleaner and the failure
//! classifier. Case counts are small by default; `PROPTEST_CASES=N` raises them, and
//! `scripts/fuzz.sh` runs every module for a fixed budget in the release profile.

mod properties {
    pub mod anthropic_request;
    pub mod classify;
    pub mod common;
    pub mod encoders;
    pub mod meaning;
    pub mod openai_request;
    pub mod schema;
    pub mod upstream_stream;
}
