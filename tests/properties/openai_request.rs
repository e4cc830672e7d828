//! The Chat Completions request parser: arbitrary bytes, arbitrary JSON and near-valid bodies
//! never panic and fail with a 400 naming a field; generated valid requests parse to exactly the
//! IR the documented translation gives, and the upstream body built from it keeps their meaning.

mod expected;
mod generate;
mod wire;

use anti_api_tui::translate::ir::{ChatRequest, ErrorInfo, ErrorKind};
use anti_api_tui::translate::openai::parse_request;
use proptest::prelude::*;

use self::expected::expected;
use self::generate::request;
use self::wire::body;
use super::common::{config, error_field, json_with_keys, mutate};
use super::meaning::{MODELS, check_upstream};

const KEYS: &[&str] = &[
    "model",
    "messages",
    "role",
    "content",
    "tools",
    "tool_calls",
    "tool_call_id",
    "function",
    "name",
    "arguments",
    "type",
    "text",
    "image_url",
    "url",
    "stop",
    "max_tokens",
    "stream",
    "tool_choice",
    "system",
    "user",
    "assistant",
    "tool",
];

/// Every parse failure is a 400 whose message starts with the field it is about.
fn check_failure(result: &Result<ChatRequest, ErrorInfo>) -> Result<(), TestCaseError> {
    if let Err(e) = result {
        prop_assert_eq!(e.status, 400);
        prop_assert_eq!(e.kind, ErrorKind::InvalidRequest);
        prop_assert!(
            error_field(&e.message).is_some(),
            "no field named: {:?}",
            e.message
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn arbitrary_bytes_fail_cleanly(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        check_failure(&parse_request(&bytes))?;
    }

    #[test]
    fn arbitrary_json_fails_cleanly(value in json_with_keys(KEYS)) {
        let bytes = serde_json::to_vec(&value).expect("serializable");
        check_failure(&parse_request(&bytes))?;
    }

    #[test]
    fn near_valid_requests_fail_cleanly(
        req in request(),
        path in prop::collection::vec(any::<usize>(), 0..6),
        replacement in json_with_keys(KEYS),
        delete in any::<bool>(),
    ) {
        let mut value = body(&req);
        mutate(&mut value, &path, replacement, delete);
        let bytes = serde_json::to_vec(&value).expect("serializable");
        check_failure(&parse_request(&bytes))?;
    }

    #[test]
    fn valid_requests_parse_to_the_documented_ir(req in request()) {
        let bytes = serde_json::to_vec(&body(&req)).expect("serializable");
        let parsed = parse_request(&bytes);
        prop_assert!(parsed.is_ok(), "a valid request was refused: {:?}", parsed.err());
        prop_assert_eq!(parsed.expect("checked"), expected(&req));
    }

    #[test]
    fn valid_requests_keep_their_meaning_upstream(
        req in request(),
        model in prop::sample::select(MODELS),
    ) {
        let bytes = serde_json::to_vec(&body(&req)).expect("serializable");
        let parsed = parse_request(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        if let Err(why) = check_upstream(&parsed, model) {
            prop_assert!(false, "{}", why);
        }
    }
}
