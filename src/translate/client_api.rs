//! The client API table: everything that differs between the wire formats clients speak (name,
//! labels, routes, parser, encoders, ids, thinking policy, error body, replay headers), one
//! exhaustive `match` per question, so adding a format makes the compiler list every answer it
//! owes. Every per-format arm lives in this file; `paths.rs` and `name.rs` hold what is derived
//! from the arms alike for all formats. Pure: ids and times are arguments.

mod name;
mod paths;

pub use name::{ApiName, UnknownApi};
pub use paths::{Endpoint, Route, Unserved};

use bytes::BytesMut;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ir::{ChatRequest, ChatResponse, ErrorInfo, StreamEvent, Thinking};
use super::{anthropic, openai};

/// Which client-facing API a request arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiFormat {
    OpenAi,
    Anthropic,
}

/// One incoming request as a parser sees it. The path and query are there for formats that
/// carry request fields in the URL.
#[derive(Debug, Clone, Copy)]
pub struct Inbound<'a> {
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub body: &'a [u8],
}

impl<'a> Inbound<'a> {
    /// A request whose fields are all in the body.
    pub fn body(body: &'a [u8]) -> Self {
        Self {
            path: "",
            query: None,
            body,
        }
    }
}

/// What the proxy decided about one answer besides the request: its id, creation time (Unix
/// seconds), whether thinking is shown, and the local input-token estimate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub id: String,
    pub created: i64,
    pub show_thinking: bool,
    pub input_estimate: u64,
}

/// A format's token-count route: the request parser and the body answering a count.
#[derive(Debug, Clone, Copy)]
pub struct CountTokens {
    pub parse: fn(&Inbound<'_>) -> Result<ChatRequest, ErrorInfo>,
    pub answer: fn(u64) -> Value,
}

impl ApiFormat {
    /// Every format, in the order lists show them.
    pub const ALL: [Self; 2] = [Self::OpenAi, Self::Anthropic];

    /// The format's name in the history, the filter (`api:openai`), the console and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenAi => "openai",
            Self::Anthropic => "anthropic",
        }
    }

    /// Three characters for the Requests tab and the `history` table.
    pub fn short_label(self) -> &'static str {
        match self {
            Self::OpenAi => "oai",
            Self::Anthropic => "ant",
        }
    }

    /// The API's own name, for messages.
    pub fn long_name(self) -> &'static str {
        match self {
            Self::OpenAi => "OpenAI Chat Completions",
            Self::Anthropic => "Anthropic Messages",
        }
    }

    /// The `POST` routes the format serves; per endpoint the first is the canonical path (the one
    /// the history records).
    pub fn routes(self) -> &'static [Route] {
        const fn route(path: &'static str, endpoint: Endpoint) -> Route {
            Route { path, endpoint }
        }
        const OPENAI: &[Route] = &[
            route("/v1/chat/completions", Endpoint::Chat),
            // Clients configured with a base URL without `/v1`.
            route("/chat/completions", Endpoint::Chat),
        ];
        const ANTHROPIC: &[Route] = &[
            route("/v1/messages", Endpoint::Chat),
            route("/messages", Endpoint::Chat),
            route("/v1/messages/count_tokens", Endpoint::CountTokens),
        ];
        match self {
            Self::OpenAi => OPENAI,
            Self::Anthropic => ANTHROPIC,
        }
    }

    /// Paths in the format's namespace that are known and not served.
    pub fn unserved(self) -> &'static [Unserved] {
        match self {
            Self::OpenAi => &[
                Unserved {
                    path: "/v1/responses",
                    what: "the OpenAI Responses API",
                },
                Unserved {
                    path: "/v1/embeddings",
                    what: "the OpenAI Embeddings API",
                },
            ],
            Self::Anthropic => &[],
        }
    }

    /// The format's chat request parser.
    pub fn parse_request(self, inbound: &Inbound<'_>) -> Result<ChatRequest, ErrorInfo> {
        match self {
            Self::OpenAi => openai::parse_request(inbound.body),
            Self::Anthropic => anthropic::parse_request(inbound.body),
        }
    }

    /// The format's token-count route (parser and answer); `None` for a format without one.
    pub fn count_tokens(self) -> Option<CountTokens> {
        match self {
            Self::OpenAi => None,
            Self::Anthropic => Some(CountTokens {
                parse: |inbound| anthropic::parse_count_tokens(inbound.body),
                answer: |tokens| serde_json::json!({ "input_tokens": tokens }),
            }),
        }
    }

    /// The id of an answer, from 24 or more random hex digits.
    pub fn response_id(self, random_hex: &str) -> String {
        let hex = random_hex.get(..24).unwrap_or(random_hex);
        match self {
            Self::OpenAi => format!("chatcmpl-{hex}"),
            Self::Anthropic => format!("msg_{hex}"),
        }
    }

    /// Anthropic clients see thinking when they asked for it; OpenAI clients get
    /// `reasoning_content` whenever the upstream thinks.
    pub fn shows_thinking(self, req: &ChatRequest, upstream_thinks: bool) -> bool {
        match self {
            Self::Anthropic => req.thinking != Thinking::Off,
            Self::OpenAi => upstream_thinks,
        }
    }

    /// The complete (non-streaming) answer body.
    pub fn response_json(self, req: &ChatRequest, response: &ChatResponse, reply: &Reply) -> Value {
        match self {
            Self::OpenAi => openai::response_json(
                response,
                &reply.id,
                &req.model,
                reply.created,
                reply.show_thinking,
            ),
            Self::Anthropic => {
                anthropic::response_json(response, &reply.id, &req.model, reply.show_thinking)
            }
        }
    }

    /// The encoder for a streamed answer.
    pub fn stream_encoder(self, req: &ChatRequest, reply: &Reply) -> StreamEncoder {
        let (id, model) = (reply.id.clone(), req.model.clone());
        let inner = match self {
            Self::OpenAi => Inner::OpenAi(openai::StreamEncoder::new(
                id,
                model,
                reply.created,
                req.include_usage,
                reply.show_thinking,
            )),
            Self::Anthropic => Inner::Anthropic(anthropic::StreamEncoder::new(
                id,
                model,
                reply.show_thinking,
            )),
        };
        StreamEncoder {
            inner,
            input_estimate: reply.input_estimate,
        }
    }

    /// The error body the format's clients parse.
    pub fn error_json(self, error: &ErrorInfo) -> Value {
        match self {
            Self::OpenAi => openai::error_json(error),
            Self::Anthropic => anthropic::error_json(error),
        }
    }

    /// Headers a replay (console, `replay`, exported curl) adds so the route accepts the stored
    /// body as its client sent it.
    pub fn replay_headers(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Self::OpenAi => &[],
            Self::Anthropic => &[("anthropic-version", "2023-06-01")],
        }
    }
}

/// A streamed answer's encoder in the client's format.
#[derive(Debug)]
pub struct StreamEncoder {
    inner: Inner,
    input_estimate: u64,
}

#[derive(Debug)]
enum Inner {
    OpenAi(openai::StreamEncoder),
    Anthropic(anthropic::StreamEncoder),
}

impl StreamEncoder {
    /// The stream's opening bytes (sent before the first upstream event is relayed).
    pub fn start(&mut self, out: &mut BytesMut) {
        match &mut self.inner {
            Inner::OpenAi(e) => e.start(out),
            Inner::Anthropic(e) => e.start(self.input_estimate, out),
        }
    }

    pub fn push(&mut self, event: &StreamEvent, out: &mut BytesMut) {
        match &mut self.inner {
            Inner::OpenAi(e) => e.push(event, out),
            Inner::Anthropic(e) => e.push(event, out),
        }
    }

    /// An in-band error ending the stream (after the first byte, statuses are spent).
    pub fn error(&mut self, error: &ErrorInfo, out: &mut BytesMut) {
        match &mut self.inner {
            Inner::OpenAi(e) => e.error(error, out),
            Inner::Anthropic(e) => e.error(error, out),
        }
    }

    pub fn is_finished(&self) -> bool {
        match &self.inner {
            Inner::OpenAi(e) => e.is_finished(),
            Inner::Anthropic(e) => e.is_finished(),
        }
    }

    /// Writes a keep-alive event while the upstream is quiet; false for formats without one
    /// (OpenAI clients get none, as from the real API).
    pub fn keep_alive(&self, out: &mut BytesMut) -> bool {
        match &self.inner {
            Inner::OpenAi(_) => false,
            Inner::Anthropic(_) => {
                anthropic::StreamEncoder::ping(out);
                true
            }
        }
    }

    /// Whether `keep_alive` writes anything.
    pub fn has_keep_alive(&self) -> bool {
        matches!(self.inner, Inner::Anthropic(_))
    }
}

#[cfg(test)]
mod tests;
