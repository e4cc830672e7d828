//! One test per term of the filter language, its negation, and the errors.

use chrono::Utc;

use super::*;
use crate::events::RequestId;

fn row() -> RequestRow {
    RequestRow {
        id: RequestId::new(),
        at: Utc::now(),
        api: ApiFormat::Anthropic.into(),
        path: "/v1/messages".into(),
        model: "claude-opus-4-8".into(),
        model_routed: Some("claude-opus-4-6-thinking".into()),
        account: Some("alice@example.com".into()),
        status: Some(200),
        outcome: Some(Outcome::Ok),
        stream: true,
        ttft_ms: Some(900),
        duration_ms: Some(6_500),
        input_tokens: 10,
        output_tokens: 20,
        error: None,
        has_tool: false,
        replay_of: None,
        attempts: 1,
    }
}

fn failed() -> RequestRow {
    RequestRow {
        api: ApiFormat::OpenAi.into(),
        path: "/v1/chat/completions".into(),
        model: "gemini-3-flash".into(),
        model_routed: Some("gemini-3-flash".into()),
        account: Some("bob".into()),
        status: Some(429),
        outcome: Some(Outcome::UpstreamError),
        stream: false,
        ttft_ms: None,
        duration_ms: Some(150),
        error: Some("Quota exhausted for gemini-3-flash; Invalid signature".into()),
        has_tool: true,
        replay_of: Some(RequestId::new()),
        ..row()
    }
}

/// (matches `row()`, matches `failed()`) for `filter`.
fn check(filter: &str) -> (bool, bool) {
    let f = Filter::parse(filter).unwrap_or_else(|e| panic!("{filter}: {e}"));
    (f.matches(&row()), f.matches(&failed()))
}

fn error(filter: &str) -> FilterError {
    Filter::parse(filter).expect_err(filter)
}

#[test]
fn empty_matches_everything() {
    assert_eq!(check(""), (true, true));
    assert_eq!(check("   "), (true, true));
    assert!(Filter::parse(" ").unwrap().is_empty());
}

#[test]
fn status_codes_and_classes() {
    assert_eq!(check("status:429"), (false, true));
    assert_eq!(check("status:200"), (true, false));
    assert_eq!(check("status:4xx"), (false, true));
    assert_eq!(check("status:2XX"), (true, false));
    assert_eq!(check("status:5xx"), (false, false));
    assert_eq!(check("-status:429"), (true, false));
    let e = error("status:abc");
    assert_eq!(e.term, "status:abc");
    assert!(e.to_string().contains("4xx"), "{e}");
    assert_eq!(error("status:9xx").term, "status:9xx");
    assert_eq!(error("status:42").term, "status:42");
}

#[test]
fn model_matches_requested_or_routed_ignoring_case() {
    assert_eq!(check("model:OPUS"), (true, false));
    assert_eq!(check("model:4-6-thinking"), (true, false), "routed only");
    assert_eq!(check("model:flash"), (false, true));
    assert_eq!(check("-model:opus"), (false, true));
}

#[test]
fn account_substring() {
    assert_eq!(check("acct:alice"), (true, false));
    assert_eq!(check("account:BOB"), (false, true));
    let mut pending = row();
    pending.account = None;
    assert!(!Filter::parse("acct:a").unwrap().matches(&pending));
    // Rows hold account ids; callers that know the e-mail pass it as a label.
    let mut by_id = row();
    by_id.account = Some("3fa2b1c0".into());
    let f = Filter::parse("acct:alice").unwrap();
    assert!(!f.matches(&by_id));
    assert!(f.matches_labelled(&by_id, Some("alice@example.com")));
    assert!(
        Filter::parse("acct:3fa2")
            .unwrap()
            .matches_labelled(&by_id, Some("alice@x.io"))
    );
    assert!(
        Filter::parse("ALICE")
            .unwrap()
            .matches_labelled(&by_id, Some("alice@x.io"))
    );
}

#[test]
fn api_format() {
    assert_eq!(check("api:openai"), (false, true));
    assert_eq!(check("api:Anthropic"), (true, false));
    let unknown = error("api:cobol");
    assert_eq!(unknown.term, "api:cobol");
    // The error lists the known names from the one table.
    for api in crate::translate::client_api::ApiFormat::ALL {
        assert!(unknown.reason.contains(api.as_str()), "{}", unknown.reason);
    }
}

#[test]
fn a_row_of_an_api_this_build_does_not_know_matches_no_api_term() {
    let mut row = row();
    row.api = crate::translate::client_api::ApiName::from_stored("responses-v9");
    assert!(!Filter::parse("api:anthropic").unwrap().matches(&row));
    assert!(!Filter::parse("api:openai").unwrap().matches(&row));
    assert!(Filter::parse("-api:openai").unwrap().matches(&row));
}

#[test]
fn durations_compare_with_units() {
    assert_eq!(check("dur>5s"), (true, false));
    assert_eq!(check("dur<200ms"), (false, true));
    assert_eq!(check("dur>=6.5s"), (true, false));
    assert_eq!(check("dur<=150ms"), (false, true));
    assert_eq!(check("dur>1m"), (false, false));
    assert_eq!(check("ttft>0.5s"), (true, false), "no ttft never matches");
    assert_eq!(check("-ttft>2s"), (true, true));
    assert!(error("dur>5").to_string().contains("unit"));
    assert!(error("dur>5h").to_string().contains("unit"));
    assert!(error("dur~5s").to_string().contains('>'));
    let mut running = row();
    running.duration_ms = None;
    assert!(!Filter::parse("dur<1s").unwrap().matches(&running));
}

#[test]
fn has_tool_and_has_error() {
    assert_eq!(check("has:tool"), (false, true));
    assert_eq!(check("has:error"), (false, true));
    assert_eq!(check("-has:error"), (true, false));
    let mut gone = row();
    gone.outcome = Some(Outcome::ClientGone);
    gone.status = Some(499);
    assert!(Filter::parse("has:error").unwrap().matches(&gone));
    assert_eq!(error("has:wings").term, "has:wings");
}

#[test]
fn error_substring() {
    assert_eq!(check("err~signature"), (false, true));
    assert_eq!(check("error:QUOTA"), (false, true));
    assert_eq!(check(r#"err~"invalid signature""#), (false, true));
    assert_eq!(check(r#"err~"signature invalid""#), (false, false));
}

#[test]
fn stream_and_replay_flags() {
    assert_eq!(check("stream:true"), (true, false));
    assert_eq!(check("stream:no"), (false, true));
    assert_eq!(check("replay:true"), (false, true));
    assert_eq!(check("replay:false"), (true, false));
    assert_eq!(error("stream:maybe").term, "stream:maybe");
}

#[test]
fn free_text_searches_model_account_error_and_path() {
    assert_eq!(check("opus"), (true, false));
    assert_eq!(check("ALICE"), (true, false));
    assert_eq!(check("quota"), (false, true));
    assert_eq!(check("/chat/completions"), (false, true));
    assert_eq!(check("gemini-3-flash"), (false, true));
    assert_eq!(check("nothing-like-this"), (false, false));
    assert_eq!(check("-opus"), (false, true));
}

#[test]
fn quoted_phrases_keep_spaces_and_hide_keys() {
    assert_eq!(check(r#""quota exhausted""#), (false, true));
    assert_eq!(check(r#"-"quota exhausted""#), (true, false));
    // A quoted key is text, not a term: no row contains "status:429".
    assert_eq!(check(r#""status:429""#), (false, false));
    assert_eq!(check(r#"model:"opus-4""#), (true, false));
    let e = error(r#"err~"unclosed phrase"#);
    assert!(e.reason.contains("quote"), "{e}");
}

#[test]
fn terms_and_together() {
    assert_eq!(check("api:openai status:4xx has:tool"), (false, true));
    assert_eq!(check("api:openai status:5xx"), (false, false));
    assert_eq!(check("model:opus -stream:false dur>1s"), (true, false));
}

#[test]
fn errors_name_the_bad_term() {
    let e = error("model:opus stauts:429 has:tool");
    assert_eq!(e.term, "stauts:429");
    assert!(e.reason.contains("unknown key `stauts`"), "{e}");
    assert!(e.to_string().starts_with("`stauts:429`"), "{e}");
    assert_eq!(error("-").term, "-");
    assert_eq!(error("model:").term, "model:");
    assert_eq!(error("has>tool").term, "has>tool");
}
