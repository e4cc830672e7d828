//! The Anthropic Messages request parser: arbitrary bytes, arbitrary JSON and near-valid bodies
//! never panic and fail with a 400 naming a field; generated valid requests (system string or
//! blocks, `text`/`image`/`tool_use`/`tool_result`/`thinking` blocks, tools, thinking config) parse to
//! exactly the IR the documented translation gives, and the upstream body keeps their meaning.

mod expected;
mod generate;
mod wire;

use anti_api_tui::translate::anthropic::{parse_count_tokens, parse_request};
use anti_api_tui::translate::ir::{ChatRequest, ErrorInfo, ErrorKind};
use proptest::prelude::*;

use self::expected::expected;
use self::generate::request;
use self::wire::body;
use super::common::{config, error_field, json_with_keys, mutate};
use super::meaning::{MODELS, check_upstream};

const KEYS: &[&str] = &[
    "model",
    "max_tokens",
    "messages",
    "role",
    "content",
    "system",
    "type",
    "text",
    "image",
    "source",
    "base64",
    "media_type",
    "data",
    "tool_use",
    "tool_result",
    "tool_use_id",
    "id",
    "name",
    "input",
    "thinking",
    "signature",
    "tools",
    "input_schema",
    "tool_choice",
    "user",
    "assistant",
];

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
        check_failure(&parse_count_tokens(&bytes))?;
    }

    #[test]
    fn arbitrary_json_fails_cleanly(value in json_with_keys(KEYS)) {
        let bytes = serde_json::to_vec(&value).expect("serializable");
        check_failure(&parse_request(&bytes))?;
    }

    #[test]
    fn near_valid_requests_fail_cleanly(
        req in request(),
        path in prop::collection::vec(any::<usize>(), 0..7),
        replacement in json_with_keys(KEYS),
        delete in any::<bool>(),
    ) {
        let mut value = body(&req);
        mutate(&mut value, &path, replacement, delete);
        let bytes = serde_json::to_vec(&value).expect("serializable");
        check_failure(&parse_request(&bytes))?;
        check_failure(&parse_count_tokens(&bytes))?;
    }

    #[test]
    fn valid_requests_parse_to_the_documented_ir(req in request()) {
        let bytes = serde_json::to_vec(&body(&req)).expect("serializable");
        let parsed = if req.max_tokens.is_some() {
            parse_request(&bytes)
        } else {
            let refused = parse_request(&bytes);
            prop_assert!(
                refused.as_ref().is_err_and(|e| e.message.starts_with("max_tokens: ")),
                "max_tokens is required: {:?}",
                refused
            );
            parse_count_tokens(&bytes)
        };
        prop_assert!(parsed.is_ok(), "a valid request was refused: {:?}", parsed.err());
        prop_assert_eq!(parsed.expect("checked"), expected(&req));
    }

    #[test]
    fn valid_requests_keep_their_meaning_upstream(
        req in request(),
        model in prop::sample::select(MODELS),
    ) {
        let bytes = serde_json::to_vec(&body(&req)).expect("serializable");
        let parsed = parse_count_tokens(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        if let Err(why) = check_upstream(&parsed, model) {
            prop_assert!(false, "{}", why);
        }
    }
}
