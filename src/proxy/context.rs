//! What a format's request context asks of the engine around an answer: before it, a Responses
//! request's `previous_response_id` conversation (or an Anthropic message thread's) is put in
//! front and a Gemini request's replayed call signatures are kept; after it, a stored Responses
//! answer or a thread's turn is remembered for the next turn (and a Responses answer for
//! `GET /v1/responses/{id}`, which is served here too).

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse as _, Response};
use bytes::Bytes;

use super::error_response;
use crate::core::{Conversation, Core};
use crate::translate::anthropic::Thread;
use crate::translate::client_api::{ApiFormat, Context};
use crate::translate::ir::{
    Block, ChatRequest, ChatResponse, ErrorInfo, ErrorKind, Message, Role, unanswered_tool_result,
};
use crate::translate::responses::check_outputs;

/// Readies `req` for the engine as its context says.
pub fn prepare(core: &Core, req: &mut ChatRequest, context: &Context) -> Result<(), ErrorInfo> {
    match context {
        Context::Plain => Ok(()),
        Context::Gemini(call) => {
            core.remember_tool_signatures(&call.request.tool_signatures);
            Ok(())
        }
        Context::Responses(responses) => {
            if let Some(previous) = &responses.previous_response_id {
                let stored = core.conversation(previous).ok_or_else(|| {
                    ErrorInfo::invalid(
                        "previous_response_id",
                        format!(
                            "no stored response {previous:?}: this proxy keeps the responses it \
                             answered with store: true (the last 512, for 24 hours, until it \
                             restarts); send the whole conversation in input instead"
                        ),
                    )
                })?;
                put_in_front(req, &stored);
            }
            if req.messages.is_empty() {
                return Err(ErrorInfo::invalid(
                    "input",
                    "must contain at least one item with content",
                ));
            }
            check_outputs(&req.messages)
        }
        Context::Thread(thread) => match thread.as_ref() {
            Thread::Create => Ok(()),
            Thread::Continue {
                previous_message_id,
            } => {
                let stored = core.conversation(previous_message_id).ok_or_else(|| {
                    ErrorInfo::invalid(
                        "thread.previous_message_id",
                        format!(
                            "no stored thread message {previous_message_id:?}: this proxy keeps \
                             the threads it answered (the last 512 turns, for 24 hours, until it \
                             restarts); start a new thread or send the whole conversation"
                        ),
                    )
                })?;
                put_in_front(req, &stored);
                match unanswered_tool_result(&req.messages) {
                    None => Ok(()),
                    Some(id) => Err(ErrorInfo::invalid(
                        "messages",
                        format!("no tool_use has id {id:?}, in this request or the thread"),
                    )),
                }
            }
        },
    }
}

fn put_in_front(req: &mut ChatRequest, stored: &Conversation) {
    let mut messages = stored.messages.as_ref().clone();
    messages.append(&mut req.messages);
    req.messages = messages;
}

/// Whether the answer is kept for a later turn.
pub fn keeps(context: &Context) -> bool {
    match context {
        Context::Responses(r) => r.store,
        Context::Thread(_) => true,
        Context::Plain | Context::Gemini(_) => false,
    }
}

/// Keeps the answered conversation (the request's messages and the answer) under `id`.
pub fn remember(
    core: &Core,
    req: &ChatRequest,
    context: &Context,
    id: &str,
    response: &ChatResponse,
    body: Bytes,
) {
    if !keeps(context) {
        return;
    }
    let answer: Vec<Block> = response
        .content
        .iter()
        .filter(|b| {
            matches!(
                b,
                Block::Text { .. } | Block::Thinking { .. } | Block::ToolUse { .. }
            )
        })
        .cloned()
        .collect();
    let mut messages = req.messages.clone();
    if !answer.is_empty() {
        messages.push(Message {
            role: Role::Assistant,
            content: answer,
        });
    }
    let conversation = Conversation::new(messages, body, req.model.clone(), chrono::Utc::now());
    core.remember_conversation(id.to_owned(), conversation);
}

/// `GET /v1/responses/{id}`: a response this proxy answered and stored, as it was answered.
pub async fn stored_response(State(core): State<Core>, Path(id): Path<String>) -> Response {
    match core.conversation(&id) {
        Some(conversation) if !conversation.response.is_empty() => (
            [(header::CONTENT_TYPE, "application/json")],
            conversation.response,
        )
            .into_response(),
        _ => error_response(
            ApiFormat::Responses,
            &ErrorInfo::new(
                404,
                ErrorKind::NotFound,
                format!(
                    "no stored response {id:?} (responses answered with store: true are kept \
                     for 24 hours, the last 512, until the proxy restarts)"
                ),
            ),
        ),
    }
}
