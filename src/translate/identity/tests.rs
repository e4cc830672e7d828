use super::*;

const BILLING: &str = "x-anthropic-billing-header: cc_version=2.1.330.d01; cc_entrypoint=sdk-cli;";
const SDK: &str = "You are a Claude agent, built on Anthropic's Claude Agent SDK.";

fn parts(texts: &[&str]) -> Vec<String> {
    texts.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn claude_codes_billing_block_and_sdk_identity_are_removed() {
    let system = parts(&[BILLING, SDK, "\nYou are an agent working with the user."]);
    let (out, notes) = scrub_system(&system, &IdentityRules::default());
    assert_eq!(out, parts(&["\nYou are an agent working with the user."]));
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes[0].contains("x-anthropic-billing-header: cc_version=2.1.330.d01"));
    assert!(notes[1].contains("Claude Agent SDK"));
}

#[test]
fn a_leading_billing_line_goes_and_the_rest_of_the_block_stays() {
    let system = parts(&[&format!(
        "{BILLING}\nBe brief.\n  x-anthropic-billing-header: x;\nBye"
    )]);
    let (out, notes) = scrub_system(&system, &IdentityRules::default());
    assert_eq!(out, parts(&["Be brief.\nBye"]));
    assert_eq!(notes.len(), 2);
    // A mention that does not start a line is not the billing block.
    let prose = parts(&["Never print x-anthropic-billing-header: values."]);
    assert_eq!(scrub_system(&prose, &IdentityRules::default()).0, prose);
}

#[test]
fn flagged_words_and_tags_are_rewritten_anywhere() {
    let system = parts(&[
        "<system-conventions>\nRFC 2119: MUST.\n</system-conventions>\nUse the Claude Agent SDK docs.",
    ]);
    let (out, notes) = scrub_system(&system, &IdentityRules::default());
    assert_eq!(
        out,
        parts(&["<conventions>\nRFC 2119: MUST.\n</conventions>\nUse the Agent SDK docs."])
    );
    assert_eq!(notes.len(), 3, "{notes:?}");
}

#[test]
fn untouched_prompts_pass_as_they_are_with_no_notes() {
    let system = parts(&["You are a helpful assistant.", "Answer in French."]);
    let (out, notes) = scrub_system(&system, &IdentityRules::default());
    assert_eq!(out, system);
    assert!(notes.is_empty());
    assert_eq!(
        scrub_system(&parts(&[BILLING, SDK]), &IdentityRules::none()).0,
        parts(&[BILLING, SDK])
    );
}

#[test]
fn the_users_list_extends_the_builtin_one_or_replaces_it() {
    let config: IdentityConfig = toml::from_str(
        r#"
        remove_lines = ["X-Trace:"]
        remove = ["You are Codex, an agent based on GPT-5."]
        replace = { "Codex" = "the assistant" }
        "#,
    )
    .unwrap();
    let system = parts(&[
        BILLING,
        "X-Trace: 42\nYou are Codex, an agent based on GPT-5. Codex helps.",
    ]);
    let (out, notes) = scrub_system(&system, &config.rules());
    assert_eq!(out, parts(&[" the assistant helps."]));
    assert_eq!(notes.len(), 4, "{notes:?}");
    let only_mine = IdentityConfig {
        builtin: false,
        ..config
    };
    let (out, _) = scrub_system(&system, &only_mine.rules());
    assert_eq!(out[0], BILLING, "built-ins off: the billing line stays");
    assert_eq!(IdentityConfig::default().rules(), IdentityRules::default());
}

#[test]
fn long_texts_are_cut_in_notes() {
    let long = format!("x-anthropic-billing-header: {}", "a".repeat(500));
    let (_, notes) = scrub_system(&parts(&[&long]), &IdentityRules::default());
    assert!(notes[0].chars().count() < 200, "{}", notes[0]);
}
