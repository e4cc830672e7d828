//! The client API table: names round-trip, paths map to the format that owns them, and the
//! per-format answers the proxy relies on.

use super::*;
use crate::translate::ir::{Block, ErrorKind, StopReason, Usage};

#[test]
fn names_round_trip_through_from_str_display_and_serde() {
    for api in ApiFormat::ALL {
        assert_eq!(api.as_str().parse::<ApiFormat>(), Ok(api));
        assert_eq!(api.as_str().to_uppercase().parse::<ApiFormat>(), Ok(api));
        assert_eq!(api.to_string(), api.as_str());
        // The store writes `as_str`, events serialize with serde: the two must agree.
        assert_eq!(serde_json::to_value(api).unwrap(), api.as_str());
        assert_eq!(ApiName::from_stored(api.as_str()), ApiName::Known(api));
        assert_eq!(api.short_label().chars().count(), 3, "{api}");
    }
}

#[test]
fn an_unknown_name_lists_every_known_one() {
    let error = "cobol".parse::<ApiFormat>().unwrap_err();
    assert_eq!(error.name, "cobol");
    let message = error.to_string();
    for api in ApiFormat::ALL {
        assert!(message.contains(api.as_str()), "{message}");
    }
    assert!(message.starts_with("unknown api `cobol`"), "{message}");
}

#[test]
fn a_stored_name_this_build_does_not_know_is_kept_and_labelled_unknown() {
    let name = ApiName::from_stored("responses-v9");
    assert_eq!(name, ApiName::Unknown("responses-v9".into()));
    assert_eq!(name.format(), None);
    assert_eq!(name.short_label(), "?");
    assert_eq!(name.to_string(), "responses-v9");
    assert_eq!(serde_json::to_value(&name).unwrap(), "responses-v9");
    assert!(name != ApiFormat::OpenAi);
    assert_eq!(
        ApiName::from(ApiFormat::Anthropic),
        ApiName::Known(ApiFormat::Anthropic)
    );
    let known = ApiName::from_stored("anthropic");
    assert!(known == ApiFormat::Anthropic && known != ApiFormat::OpenAi);
}

#[test]
fn paths_map_to_the_format_whose_clients_call_them() {
    let cases = [
        ("/v1/chat/completions", ApiFormat::OpenAi),
        ("/chat/completions", ApiFormat::OpenAi),
        ("/v1/messages", ApiFormat::Anthropic),
        ("/messages", ApiFormat::Anthropic),
        ("/v1/messages/count_tokens", ApiFormat::Anthropic),
        ("/v1/messages/batches", ApiFormat::Anthropic),
        // A substring is not a path segment.
        ("/v1/messagesx", ApiFormat::OpenAi),
        ("/v2/old-messages", ApiFormat::OpenAi),
        ("/v1/responses", ApiFormat::Responses),
        ("/v1/responses/resp_1", ApiFormat::Responses),
        ("/v1/responses/input_tokens", ApiFormat::Responses),
        (
            "/v1beta/models/gemini-3-flash:generateContent",
            ApiFormat::Gemini,
        ),
        ("/v1beta/files", ApiFormat::Gemini),
        ("/v1/embeddings", ApiFormat::OpenAi),
        ("/nope", ApiFormat::OpenAi),
        ("/", ApiFormat::OpenAi),
    ];
    for (path, api) in cases {
        assert_eq!(ApiFormat::of_path(path), api, "{path}");
    }
}

#[test]
fn every_route_belongs_to_its_own_format_and_no_path_is_claimed_twice() {
    let mut seen = std::collections::HashSet::new();
    for api in ApiFormat::ALL {
        // Every format answers chats: on a fixed path, or on one naming the model.
        assert!(
            api.routes()
                .iter()
                .any(|r| matches!(r.endpoint, Endpoint::Chat | Endpoint::ModelCall)),
            "{api}"
        );
        for route in api.routes() {
            assert_eq!(ApiFormat::of_path(route.path), api, "{}", route.path);
            assert!(seen.insert(route.path), "{} twice", route.path);
        }
        for unserved in api.unserved() {
            assert_eq!(ApiFormat::of_path(unserved.path), api, "{}", unserved.path);
            assert!(seen.insert(unserved.path), "{} twice", unserved.path);
        }
    }
}

#[test]
fn not_found_names_the_unserved_api_and_what_is_served() {
    let message = ApiFormat::not_found_message("POST", "/v1/embeddings");
    assert!(message.contains("OpenAI Embeddings API"), "{message}");
    assert!(
        message.contains("/v1/responses (OpenAI Responses)"),
        "{message}"
    );
    assert!(
        message.contains("/v1beta/models/MODEL:generateContent (Gemini API)"),
        "{message}"
    );
    for api in ApiFormat::ALL {
        assert!(
            message.contains(api.canonical_path(Endpoint::Chat)),
            "{message}"
        );
    }
    let message = ApiFormat::not_found_message("GET", "/nope");
    assert!(message.starts_with("no route for GET /nope"), "{message}");
    assert!(message.contains("/v1/messages"), "{message}");
    // A path that merely starts like an unserved one is an ordinary unknown route.
    let message = ApiFormat::not_found_message("POST", "/v1/embeddingsx");
    assert!(message.starts_with("no route for"), "{message}");
}

#[test]
fn ids_carry_each_format_prefix() {
    let hex = "0123456789abcdef0123456789abcdef";
    assert_eq!(
        ApiFormat::OpenAi.response_id(hex),
        "chatcmpl-0123456789abcdef01234567"
    );
    assert_eq!(
        ApiFormat::Anthropic.response_id(hex),
        "msg_0123456789abcdef01234567"
    );
}

#[test]
fn thinking_is_shown_by_each_format_policy() {
    let off = ChatRequest::default();
    let on = ChatRequest {
        thinking: Thinking::Adaptive,
        ..ChatRequest::default()
    };
    assert!(!ApiFormat::Anthropic.shows_thinking(&off, &Context::Plain, true));
    assert!(ApiFormat::Anthropic.shows_thinking(&on, &Context::Plain, false));
    assert!(ApiFormat::OpenAi.shows_thinking(&off, &Context::Plain, true));
    assert!(!ApiFormat::OpenAi.shows_thinking(&on, &Context::Plain, false));
}

#[test]
fn error_bodies_and_replay_headers_follow_the_format() {
    let error = ErrorInfo::new(404, ErrorKind::NotFound, "gone");
    let anthropic = ApiFormat::Anthropic.error_json(&error);
    assert_eq!(anthropic["type"], "error");
    assert_eq!(anthropic["error"]["type"], "not_found_error");
    let openai = ApiFormat::OpenAi.error_json(&error);
    assert!(openai.get("type").is_none());
    assert_eq!(openai["error"]["type"], "invalid_request_error");
    assert!(
        ApiFormat::Anthropic
            .replay_headers()
            .contains(&("anthropic-version", "2023-06-01"))
    );
    assert!(ApiFormat::OpenAi.replay_headers().is_empty());
}

#[test]
fn encoders_and_bodies_are_the_format_own() {
    let req = ChatRequest {
        model: "m".into(),
        ..ChatRequest::default()
    };
    let reply = Reply {
        id: "id1".into(),
        created: 7,
        show_thinking: false,
        input_estimate: 11,
        signatures: None,
    };
    let response = ChatResponse {
        content: vec![Block::Text { text: "hi".into() }],
        stop_reason: StopReason::EndTurn,
        usage: Usage::default(),
    };
    let body = ApiFormat::OpenAi.response_json(&req, &Context::Plain, &response, &reply);
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["created"], 7);
    let body = ApiFormat::Anthropic.response_json(&req, &Context::Plain, &response, &reply);
    assert_eq!(body["type"], "message");

    let mut out = BytesMut::new();
    let mut encoder = ApiFormat::Anthropic.stream_encoder(&req, &Context::Plain, &reply);
    encoder.start(&mut out);
    let head = String::from_utf8_lossy(&out).into_owned();
    assert!(
        head.contains("message_start") && head.contains("\"input_tokens\":11"),
        "{head}"
    );
    assert!(encoder.has_keep_alive());
    out.clear();
    assert!(encoder.keep_alive(&mut out) && !out.is_empty());

    let mut encoder = ApiFormat::OpenAi.stream_encoder(&req, &Context::Plain, &reply);
    out.clear();
    assert!(!encoder.has_keep_alive() && !encoder.keep_alive(&mut out) && out.is_empty());
    encoder.start(&mut out);
    assert!(String::from_utf8_lossy(&out).contains("chat.completion.chunk"));
    assert!(!encoder.is_finished());
}

#[test]
fn parsers_are_the_format_own() {
    let openai = br#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#;
    let anthropic = br#"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#;
    assert!(
        ApiFormat::OpenAi
            .parse_request(&Inbound::body(openai))
            .is_ok()
    );
    assert!(
        ApiFormat::Anthropic
            .parse_request(&Inbound::body(anthropic))
            .is_ok()
    );
    assert!(ApiFormat::OpenAi.count_tokens().is_none());
    let count = ApiFormat::Anthropic.count_tokens().unwrap();
    assert!((count.parse)(&Inbound::body(anthropic)).is_ok());
    assert_eq!((count.answer)(12), serde_json::json!({"input_tokens": 12}));
}
