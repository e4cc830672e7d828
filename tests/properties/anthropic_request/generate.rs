//! Strategies for structurally valid Messages requests: text, image, thinking and redacted
//! blocks, tool rounds (assistant `tool_use` answered by `tool_result` in any order), system
//! messages, tools, tool choice, thinking config, effort and sampling parameters.

use anti_api_tui::translate::ir::Role;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::wire::{Blk, Content, Image, Msg, Request, ResultContent, ResultPart};
use crate::properties::common::{ident, json, text};

pub(super) fn image() -> impl Strategy<Value = Image> {
    prop_oneof![
        4 => (
            prop::sample::select(&["image/png", "image/gif", "image/jpeg"][..]),
            prop::collection::vec(any::<u8>(), 1..90),
        )
            .prop_map(|(mime, bytes)| Image::Base64 { mime, bytes }),
        1 => "https://[a-z]{1,8}\\.example/[a-z]{0,8}\\.png".prop_map(Image::Url),
    ]
}

pub(super) fn result_content() -> impl Strategy<Value = ResultContent> {
    prop_oneof![
        Just(ResultContent::Absent),
        text().prop_map(ResultContent::Str),
        prop::collection::vec(
            prop_oneof![
                3 => text().prop_map(ResultPart::Text),
                1 => image().prop_map(ResultPart::Image),
            ],
            0..3,
        )
        .prop_map(ResultContent::Parts),
    ]
}

pub(super) fn user_block() -> impl Strategy<Value = Blk> {
    prop_oneof![3 => text().prop_map(Blk::Text), 1 => image().prop_map(Blk::Image)]
}

pub(super) fn thinking_block() -> impl Strategy<Value = Blk> {
    prop_oneof![
        3 => (text(), prop_oneof![
            Just(None),
            Just(Some(String::new())),
            "[A-Za-z0-9+/]{8,40}".prop_map(Some),
        ])
            .prop_map(|(text, signature)| Blk::Thinking { text, signature }),
        1 => "[A-Za-z0-9+/]{4,20}".prop_map(Blk::Redacted),
    ]
}

pub(super) fn assistant_block() -> impl Strategy<Value = Blk> {
    prop_oneof![
        4 => text().prop_map(Blk::Text),
        1 => image().prop_map(Blk::Image),
        1 => thinking_block(),
    ]
}

pub(super) fn content(block: BoxedStrategy<Blk>) -> impl Strategy<Value = Content> {
    prop_oneof![
        text().prop_map(Content::Str),
        prop::collection::vec(block, 0..4).prop_map(Content::Blocks),
    ]
}

#[derive(Debug, Clone)]
pub(super) enum Step {
    User(Content),
    Assistant(Content),
    System(Content),
    /// An assistant turn (thinking, text, then calls) and the user turn answering every call,
    /// in any order, possibly followed by more user blocks.
    ToolRound {
        before: Vec<Blk>,
        calls: Vec<(String, Option<Map<String, Value>>)>,
        answers: Vec<(usize, ResultContent, Option<bool>)>,
        after: Vec<Blk>,
    },
}

pub(super) fn args() -> impl Strategy<Value = Option<Map<String, Value>>> {
    prop::option::of(
        prop::collection::vec((ident(), json()), 0..4).prop_map(|kv| kv.into_iter().collect()),
    )
}

pub(super) fn step() -> impl Strategy<Value = Step> {
    let round = (
        prop::collection::vec(assistant_block(), 0..3),
        prop::collection::vec((ident(), args()), 1..4),
        prop::collection::vec((result_content(), prop::option::of(any::<bool>())), 4),
        prop::collection::vec(user_block(), 0..2),
    )
        .prop_flat_map(|(before, calls, answers, after)| {
            let answers: Vec<(usize, ResultContent, Option<bool>)> = answers
                .into_iter()
                .take(calls.len())
                .enumerate()
                .map(|(i, (c, e))| (i, c, e))
                .collect();
            (
                Just(before),
                Just(calls),
                Just(answers).prop_shuffle(),
                Just(after),
            )
        })
        .prop_map(|(before, calls, answers, after)| Step::ToolRound {
            before,
            calls,
            answers,
            after,
        });
    prop_oneof![
        3 => content(user_block().boxed()).prop_map(Step::User),
        2 => content(assistant_block().boxed()).prop_map(Step::Assistant),
        1 => content(text().prop_map(Blk::Text).boxed()).prop_map(Step::System),
        2 => round,
    ]
}

pub(super) fn messages() -> impl Strategy<Value = Vec<Msg>> {
    prop::collection::vec(step(), 1..7).prop_map(|steps| {
        let mut out = Vec::new();
        for (r, step) in steps.into_iter().enumerate() {
            match step {
                Step::User(content) => out.push(Msg {
                    role: Role::User,
                    content,
                }),
                Step::Assistant(content) => out.push(Msg {
                    role: Role::Assistant,
                    content,
                }),
                Step::System(content) => out.push(Msg {
                    role: Role::System,
                    content,
                }),
                Step::ToolRound {
                    mut before,
                    calls,
                    answers,
                    after,
                } => {
                    let ids: Vec<String> =
                        (0..calls.len()).map(|i| format!("toolu_{r}_{i}")).collect();
                    before.extend(calls.into_iter().zip(&ids).map(|((name, input), id)| {
                        Blk::ToolUse {
                            id: id.clone(),
                            name,
                            input,
                        }
                    }));
                    out.push(Msg {
                        role: Role::Assistant,
                        content: Content::Blocks(before),
                    });
                    let mut blocks: Vec<Blk> = answers
                        .into_iter()
                        .map(|(i, content, is_error)| Blk::ToolResult {
                            id: ids[i].clone(),
                            content,
                            is_error,
                        })
                        .collect();
                    blocks.extend(after);
                    out.push(Msg {
                        role: Role::User,
                        content: Content::Blocks(blocks),
                    });
                }
            }
        }
        out
    })
}

pub(super) fn request() -> impl Strategy<Value = Request> {
    let tools = prop::collection::vec(
        (
            ident(),
            prop::option::of(text()),
            prop_oneof![
                Just(json!({"type": "object", "properties": {}})),
                json().prop_map(|v| json!({"type": "object", "properties": {"x": v}})),
            ],
            any::<bool>(),
        ),
        0..4,
    );
    (
        ("[a-z][a-z0-9.-]{0,30}", prop::option::of(1u64..)),
        prop::option::of(prop_oneof![
            text().prop_map(Ok),
            prop::collection::vec(text(), 0..3).prop_map(Err),
        ]),
        messages(),
        tools,
        any::<(u8, usize)>(),
        (
            prop_oneof![
                Just(None),
                Just(Some(json!({"type": "disabled"}))),
                Just(Some(json!({"type": "adaptive", "display": "omitted"}))),
                any::<u32>().prop_map(|b| Some(json!({"type": "enabled", "budget_tokens": b}))),
            ],
            prop::option::of(prop::sample::select(
                &["minimal", "low", "medium", "high", "max"][..],
            )),
            prop::option::of(text()),
        ),
        (
            prop::option::of(prop::collection::vec(text(), 0..4)),
            prop::option::of(0.0f64..=2.0),
            prop::option::of(0.0f64..=1.0),
            prop::option::of(any::<u32>()),
            prop::option::of(any::<bool>()),
        ),
    )
        .prop_map(
            |((model, max_tokens), system, messages, tools, (choice, pick), think, sampling)| {
                let (thinking, effort, user_id) = think;
                let (stop, temperature, top_p, top_k, stream) = sampling;
                let tool_choice = match (choice % 5, tools.is_empty()) {
                    (1, _) => Some(json!({"type": "auto"})),
                    (2, _) => Some(json!({"type": "any"})),
                    (3, _) => Some(json!({"type": "none"})),
                    (4, false) => {
                        Some(json!({"type": "tool", "name": tools[pick % tools.len()].0}))
                    }
                    _ => None,
                };
                Request {
                    model,
                    max_tokens,
                    system,
                    messages,
                    tools,
                    tool_choice,
                    thinking,
                    effort,
                    user_id,
                    stop,
                    temperature,
                    top_p,
                    top_k,
                    stream,
                }
            },
        )
}
