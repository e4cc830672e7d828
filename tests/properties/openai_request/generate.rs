//! Strategies for structurally valid Chat Completions requests: leading system messages, user
//! text and images, assistant text and tool calls answered by tool messages in any order, tools,
//! tool choice and sampling parameters.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::wire::{Call, Content, Msg, Part, Request};
use crate::properties::common::{ident, json, text};

pub(super) fn text_part() -> impl Strategy<Value = Part> {
    prop_oneof![
        4 => text().prop_map(Part::Text),
        1 => text().prop_map(Part::Refusal),
    ]
}

pub(super) fn image_part() -> impl Strategy<Value = Part> {
    (
        prop::sample::select(&["image/png", "image/jpeg", "image/webp"][..]),
        prop::collection::vec(any::<u8>(), 1..120),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(mime, bytes, shouting, wrapped, bare)| Part::Image {
            mime,
            bytes,
            shouting,
            wrapped,
            bare,
        })
}

pub(super) fn text_content() -> impl Strategy<Value = Content> {
    prop_oneof![
        text().prop_map(Content::Str),
        prop::collection::vec(text().prop_map(Part::Text), 0..3).prop_map(Content::Parts),
    ]
}

pub(super) fn rich_content() -> impl Strategy<Value = Content> {
    prop_oneof![
        text().prop_map(Content::Str),
        prop::collection::vec(prop_oneof![2 => text_part(), 1 => image_part()], 0..4).prop_map(
            |parts| {
                // Refusal parts belong to assistant messages; elsewhere they are plain text.
                Content::Parts(
                    parts
                        .into_iter()
                        .map(|p| match p {
                            Part::Refusal(t) => Part::Text(t),
                            other => other,
                        })
                        .collect(),
                )
            }
        ),
    ]
}

pub(super) fn assistant_content() -> impl Strategy<Value = Content> {
    prop_oneof![
        text().prop_map(Content::Str),
        prop::collection::vec(text_part(), 0..3).prop_map(Content::Parts),
    ]
}

/// Tool arguments: an object of JSON values.
pub(super) fn args() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((ident(), json()), 0..4).prop_map(|kv| kv.into_iter().collect())
}

/// One step of a conversation; a tool round is an assistant turn with calls, then the tool
/// messages answering them in any order.
#[derive(Debug, Clone)]
pub(super) enum Step {
    System(bool, Content),
    User(Content),
    Assistant(Option<Content>),
    ToolRound {
        content: Option<Content>,
        calls: Vec<(String, Map<String, Value>)>,
        answers: Vec<(usize, Option<Content>)>,
    },
}

pub(super) fn step() -> impl Strategy<Value = Step> {
    let round = (
        prop::option::of(assistant_content()),
        prop::collection::vec((ident(), args()), 1..4),
        prop::collection::vec(prop::option::of(rich_content()), 4),
    )
        .prop_flat_map(|(content, calls, answers)| {
            let n = calls.len();
            let answers: Vec<(usize, Option<Content>)> =
                answers.into_iter().take(n).enumerate().collect();
            (Just(content), Just(calls), Just(answers).prop_shuffle())
        })
        .prop_map(|(content, calls, answers)| Step::ToolRound {
            content,
            calls,
            answers,
        });
    prop_oneof![
        1 => (any::<bool>(), text_content()).prop_map(|(d, c)| Step::System(d, c)),
        3 => rich_content().prop_map(Step::User),
        2 => prop::option::of(assistant_content()).prop_map(Step::Assistant),
        2 => round,
    ]
}

pub(super) fn messages() -> impl Strategy<Value = Vec<Msg>> {
    (
        prop::collection::vec((any::<bool>(), text_content()), 0..3),
        rich_content(),
        prop::collection::vec(step(), 0..7),
    )
        .prop_map(|(leading, first_user, steps)| {
            let mut out: Vec<Msg> = leading
                .into_iter()
                .map(|(developer, content)| Msg::System { developer, content })
                .collect();
            out.push(Msg::User(first_user));
            for (r, step) in steps.into_iter().enumerate() {
                match step {
                    Step::System(developer, content) => {
                        out.push(Msg::System { developer, content });
                    }
                    Step::User(c) => out.push(Msg::User(c)),
                    Step::Assistant(content) => out.push(Msg::Assistant {
                        content,
                        calls: Vec::new(),
                    }),
                    Step::ToolRound {
                        content,
                        calls,
                        answers,
                    } => {
                        let calls: Vec<Call> = calls
                            .into_iter()
                            .enumerate()
                            .map(|(i, (name, args))| Call {
                                id: format!("call_{r}_{i}"),
                                name,
                                args,
                            })
                            .collect();
                        let ids: Vec<String> = calls.iter().map(|c| c.id.clone()).collect();
                        out.push(Msg::Assistant { content, calls });
                        for (i, content) in answers {
                            out.push(Msg::Tool {
                                id: ids[i].clone(),
                                content,
                            });
                        }
                    }
                }
            }
            out
        })
}

pub(super) fn tools() -> impl Strategy<Value = Vec<(String, Option<String>, Option<Value>)>> {
    let schema = prop_oneof![
        Just(None),
        Just(Some(json!({"type": "object", "properties": {}}))),
        json().prop_map(|v| Some(json!({"type": "object", "properties": {"x": v}}))),
    ];
    prop::collection::vec((ident(), prop::option::of(text()), schema), 0..4).prop_map(|tools| {
        let mut seen = std::collections::HashSet::new();
        tools
            .into_iter()
            .filter(|(name, _, _)| seen.insert(name.clone()))
            .collect()
    })
}

pub(super) fn request() -> impl Strategy<Value = Request> {
    (
        "[a-z][a-z0-9.-]{0,30}",
        messages(),
        tools(),
        any::<(u8, usize)>(),
        (
            prop::option::of(1u32..),
            prop::option::of(1u32..),
            prop::option::of(0.0f64..=2.0),
            prop::option::of(0.0f64..=1.0),
        ),
        prop_oneof![
            Just(None),
            text().prop_map(|s| Some(Value::from(s))),
            prop::collection::vec(text(), 0..=4).prop_map(|v| Some(json!(v))),
        ],
        (
            prop::option::of(any::<bool>()),
            prop::option::of(any::<bool>()),
            prop::option::of(prop::sample::select(
                &["none", "minimal", "low", "medium", "high"][..],
            )),
            prop::option::of(text()),
        ),
    )
        .prop_map(
            |(model, messages, tools, (choice, pick), sampling, stop, flags)| {
                let (max_tokens, max_completion_tokens, temperature, top_p) = sampling;
                let (stream, include_usage, effort, user) = flags;
                let tool_choice = match (choice % 5, tools.is_empty()) {
                    (1, _) => Some(json!("auto")),
                    (2, _) => Some(json!("none")),
                    (3, false) => Some(json!("required")),
                    (4, false) => Some(json!({
                        "type": "function",
                        "function": {"name": tools[pick % tools.len()].0},
                    })),
                    _ => None,
                };
                Request {
                    model,
                    messages,
                    tools,
                    tool_choice,
                    max_tokens,
                    max_completion_tokens,
                    temperature,
                    top_p,
                    stop,
                    stream,
                    include_usage,
                    effort,
                    user,
                }
            },
        )
}
