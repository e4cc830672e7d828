//! The client API table: everything that differs between the wire formats clients speak (name,
//! labels, routes, parser, encoders, ids, thinking policy, error body, replay headers), one
//! exhaustive `match` per question, so adding a format makes the compiler list every answer it
//! owes. Every per-format arm lives in this file; `paths.rs` and `name.rs` hold what is derived
//! from the arms alike for all formats. Pure: ids and times are arguments.

mod name;
mod paths;

pub use name::{ApiName, UnknownApi};
pub use paths::{Endpoint, Route, Unserved};

use std::sync::Arc;

use bytes::BytesMut;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ir::{ChatRequest, ChatResponse, ErrorInfo, ErrorKind, StreamEvent, Thinking};
use super::{anthropic, gemini, openai, responses};

/// Which client-facing API a request arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiFormat {
    OpenAi,
    Anthropic,
    /// The OpenAI Responses API (`/v1/responses`): Codex CLI, the Agents SDK.
    Responses,
    /// The public Gemini API (`/v1beta/models/{model}:…`): Gemini CLI, the genai SDKs.
    Gemini,
}

/// What a request says beyond its IR, for formats whose answers need it.
#[derive(Debug, Clone, Default)]
pub enum Context {
    #[default]
    Plain,
    Responses(Arc<responses::ResponsesContext>),
    Gemini(Arc<GeminiCall>),
    /// An Anthropic message thread: started here, or continuing a stored one.
    Thread(Arc<anthropic::Thread>),
}

/// A Gemini request's context: what the parser read, and the stream framing the URL asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct GeminiCall {
    pub request: gemini::GeminiContext,
    pub framing: gemini::Framing,
}

/// A parsed request: the IR and its format's context.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub chat: ChatRequest,
    pub context: Context,
}

/// The thought signature the upstream gave a function call, by call id (the engine's signature
/// store), for formats that hand signatures to their clients.
pub type SignatureLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

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
/// seconds), whether thinking is shown, the local input-token estimate, and where call
/// signatures are looked up.
#[derive(Clone)]
pub struct Reply {
    pub id: String,
    pub created: i64,
    pub show_thinking: bool,
    pub input_estimate: u64,
    pub signatures: Option<SignatureLookup>,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("id", &self.id)
            .field("created", &self.created)
            .field("show_thinking", &self.show_thinking)
            .field("input_estimate", &self.input_estimate)
            .finish_non_exhaustive()
    }
}

impl Reply {
    fn signature(&self, call_id: &str) -> Option<String> {
        self.signatures.as_ref().and_then(|lookup| lookup(call_id))
    }
}

/// A format's token-count route: the request parser and the body answering a count.
#[derive(Debug, Clone, Copy)]
pub struct CountTokens {
    pub parse: fn(&Inbound<'_>) -> Result<ChatRequest, ErrorInfo>,
    pub answer: fn(u64) -> Value,
}

impl ApiFormat {
    /// Every format, in the order lists show them.
    pub const ALL: [Self; 4] = [Self::OpenAi, Self::Anthropic, Self::Responses, Self::Gemini];

    /// The format's name in the history, the filter (`api:openai`), the console and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenAi => "openai",
            Self::Anthropic => "anthropic",
            Self::Responses => "responses",
            Self::Gemini => "gemini",
        }
    }

    /// Three characters for the Requests tab and the `history` table.
    pub fn short_label(self) -> &'static str {
        match self {
            Self::OpenAi => "oai",
            Self::Anthropic => "ant",
            Self::Responses => "rsp",
            Self::Gemini => "gem",
        }
    }

    /// The API's own name, for messages.
    pub fn long_name(self) -> &'static str {
        match self {
            Self::OpenAi => "OpenAI Chat Completions",
            Self::Anthropic => "Anthropic Messages",
            Self::Responses => "OpenAI Responses",
            Self::Gemini => "Gemini API",
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
        const RESPONSES: &[Route] = &[
            route("/v1/responses", Endpoint::Chat),
            route("/responses", Endpoint::Chat),
            route("/v1/responses/input_tokens", Endpoint::CountTokens),
        ];
        // `MODEL:generateContent`, `MODEL:streamGenerateContent`, `MODEL:countTokens`.
        // (Only `v1beta`: the stable `v1` namespace's `/v1/models/{id}` is the OpenAI model route.)
        const GEMINI: &[Route] = &[route("/v1beta/models/{*call}", Endpoint::ModelCall)];
        match self {
            Self::OpenAi => OPENAI,
            Self::Anthropic => ANTHROPIC,
            Self::Responses => RESPONSES,
            Self::Gemini => GEMINI,
        }
    }

    /// Paths in the format's namespace that are known and not served.
    pub fn unserved(self) -> &'static [Unserved] {
        match self {
            Self::OpenAi => &[
                Unserved {
                    path: "/v1/embeddings",
                    what: "the OpenAI Embeddings API",
                },
                Unserved {
                    path: "/v1/conversations",
                    what: "the OpenAI Conversations API",
                },
            ],
            Self::Anthropic | Self::Responses => &[],
            Self::Gemini => &[
                Unserved {
                    path: "/v1beta/files",
                    what: "the Gemini Files API",
                },
                Unserved {
                    path: "/v1beta/cachedContents",
                    what: "the Gemini context cache",
                },
            ],
        }
    }

    /// The format's chat request parser: the IR and the format's context.
    pub fn parse(self, inbound: &Inbound<'_>) -> Result<Parsed, ErrorInfo> {
        let plain = |chat| Parsed {
            chat,
            context: Context::Plain,
        };
        match self {
            Self::OpenAi => openai::parse_request(inbound.body).map(plain),
            Self::Anthropic => {
                let (chat, thread) = anthropic::parse_thread_request(inbound.body)?;
                Ok(Parsed {
                    chat,
                    context: thread.map_or(Context::Plain, |t| Context::Thread(Arc::new(t))),
                })
            }
            Self::Responses => {
                let (chat, context) = responses::parse_request(inbound.body)?;
                Ok(Parsed {
                    chat,
                    context: Context::Responses(Arc::new(context)),
                })
            }
            Self::Gemini => {
                let call = GeminiPath::of(inbound)?;
                let (chat, request) = gemini::parse_request(
                    call.model,
                    inbound.body,
                    call.method == "streamGenerateContent",
                )?;
                Ok(Parsed {
                    chat,
                    context: Context::Gemini(Arc::new(GeminiCall {
                        request,
                        framing: call.framing,
                    })),
                })
            }
        }
    }

    /// The format's chat request in IR form alone (dry runs, tests).
    pub fn parse_request(self, inbound: &Inbound<'_>) -> Result<ChatRequest, ErrorInfo> {
        self.parse(inbound).map(|parsed| parsed.chat)
    }

    /// The format's token-count route (parser and answer); `None` for a format without one.
    pub fn count_tokens(self) -> Option<CountTokens> {
        match self {
            Self::OpenAi => None,
            Self::Anthropic => Some(CountTokens {
                parse: |inbound| anthropic::parse_count_tokens(inbound.body),
                answer: |tokens| serde_json::json!({ "input_tokens": tokens }),
            }),
            Self::Responses => Some(CountTokens {
                parse: |inbound| responses::parse_request(inbound.body).map(|(chat, _)| chat),
                answer: |tokens| serde_json::json!({"object": "response.input_tokens", "input_tokens": tokens}),
            }),
            Self::Gemini => Some(CountTokens {
                parse: |inbound| {
                    let call = GeminiPath::of(inbound)?;
                    gemini::parse_request(call.model, inbound.body, false).map(|(chat, _)| chat)
                },
                answer: |tokens| serde_json::json!({ "totalTokens": tokens }),
            }),
        }
    }

    /// The id of an answer, from 24 or more random hex digits.
    pub fn response_id(self, random_hex: &str) -> String {
        let hex = random_hex.get(..24).unwrap_or(random_hex);
        match self {
            Self::OpenAi => format!("chatcmpl-{hex}"),
            Self::Anthropic => format!("msg_{hex}"),
            Self::Responses => format!("resp_{hex}"),
            Self::Gemini => hex.to_owned(),
        }
    }

    /// Anthropic clients see thinking when they asked for it; OpenAI clients get
    /// `reasoning_content` whenever the upstream thinks; Responses clients get reasoning items
    /// (whose summary their request decides); Gemini clients when they asked to include thoughts.
    pub fn shows_thinking(
        self,
        req: &ChatRequest,
        context: &Context,
        upstream_thinks: bool,
    ) -> bool {
        match (self, context) {
            (Self::Anthropic, _) => req.thinking != Thinking::Off,
            (Self::OpenAi | Self::Responses, _) => upstream_thinks,
            (Self::Gemini, Context::Gemini(call)) => call.request.show_thoughts,
            (Self::Gemini, _) => false,
        }
    }

    /// The complete (non-streaming) answer body.
    pub fn response_json(
        self,
        req: &ChatRequest,
        context: &Context,
        response: &ChatResponse,
        reply: &Reply,
    ) -> Value {
        match self {
            Self::Responses => {
                responses::response_json(response, &responses_meta(req, context, reply))
            }
            Self::Gemini => {
                let lookup = |id: &str| reply.signature(id);
                gemini::response_json(response, &gemini_meta(req, reply), &lookup)
            }
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
    pub fn stream_encoder(
        self,
        req: &ChatRequest,
        context: &Context,
        reply: &Reply,
    ) -> StreamEncoder {
        let (id, model) = (reply.id.clone(), req.model.clone());
        let inner = match self {
            Self::Responses => Inner::Responses(responses::StreamEncoder::new(responses_meta(
                req, context, reply,
            ))),
            Self::Gemini => {
                let framing = match context {
                    Context::Gemini(call) => call.framing,
                    _ => gemini::Framing::Sse,
                };
                Inner::Gemini(gemini::StreamEncoder::new(gemini_meta(req, reply), framing))
            }
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
            signatures: reply.signatures.clone(),
        }
    }

    /// The error body the format's clients parse.
    pub fn error_json(self, error: &ErrorInfo) -> Value {
        match self {
            Self::OpenAi => openai::error_json(error),
            Self::Anthropic => anthropic::error_json(error),
            Self::Responses => responses::error_json(error),
            Self::Gemini => gemini::error_json(error),
        }
    }

    /// Headers a replay (console, `replay`, exported curl) adds so the route accepts the stored
    /// body as its client sent it.
    pub fn replay_headers(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Self::OpenAi | Self::Responses | Self::Gemini => &[],
            Self::Anthropic => &[("anthropic-version", "2023-06-01")],
        }
    }
}

fn responses_meta(req: &ChatRequest, context: &Context, reply: &Reply) -> responses::ResponseMeta {
    let request = match context {
        Context::Responses(r) => r.clone(),
        _ => Arc::default(),
    };
    responses::ResponseMeta {
        id: reply.id.clone(),
        model: req.model.clone(),
        created_at: reply.created,
        request,
    }
}

fn gemini_meta(req: &ChatRequest, reply: &Reply) -> gemini::AnswerMeta {
    gemini::AnswerMeta {
        model: req.model.clone(),
        response_id: reply.id.clone(),
        show_thoughts: reply.show_thinking,
    }
}

/// `…/models/MODEL:METHOD[?alt=sse]`, the Gemini API's way of naming the model and the call.
struct GeminiPath<'a> {
    model: &'a str,
    method: &'a str,
    framing: gemini::Framing,
}

impl<'a> GeminiPath<'a> {
    fn of(inbound: &Inbound<'a>) -> Result<Self, ErrorInfo> {
        let call = inbound
            .path
            .split_once("/models/")
            .map_or("", |(_, call)| call);
        let Some((model, method)) = call.rsplit_once(':') else {
            return Err(ErrorInfo::new(
                404,
                ErrorKind::NotFound,
                format!("{}: expected /v1beta/models/MODEL:METHOD", inbound.path),
            ));
        };
        let model = model.strip_prefix("models/").unwrap_or(model);
        if model.is_empty() {
            return Err(ErrorInfo::invalid("model", "the path names no model"));
        }
        if !matches!(
            method,
            "generateContent" | "streamGenerateContent" | "countTokens"
        ) {
            return Err(ErrorInfo::new(
                404,
                ErrorKind::NotFound,
                format!(
                    "{method:?} is not served; the methods are generateContent,                      streamGenerateContent and countTokens"
                ),
            ));
        }
        let sse = inbound
            .query
            .is_some_and(|q| q.split('&').any(|kv| kv == "alt=sse"));
        Ok(Self {
            model,
            method,
            framing: if sse {
                gemini::Framing::Sse
            } else {
                gemini::Framing::JsonArray
            },
        })
    }
}

/// A streamed answer's encoder in the client's format.
pub struct StreamEncoder {
    inner: Inner,
    input_estimate: u64,
    signatures: Option<SignatureLookup>,
}

impl std::fmt::Debug for StreamEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamEncoder")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
enum Inner {
    OpenAi(openai::StreamEncoder),
    Anthropic(anthropic::StreamEncoder),
    Responses(responses::StreamEncoder),
    Gemini(gemini::StreamEncoder),
}

impl StreamEncoder {
    /// The stream's opening bytes (sent before the first upstream event is relayed).
    pub fn start(&mut self, out: &mut BytesMut) {
        match &mut self.inner {
            Inner::OpenAi(e) => e.start(out),
            Inner::Anthropic(e) => e.start(self.input_estimate, out),
            Inner::Responses(e) => e.start(out),
            // A Gemini stream is its chunks alone.
            Inner::Gemini(_) => {}
        }
    }

    pub fn push(&mut self, event: &StreamEvent, out: &mut BytesMut) {
        match &mut self.inner {
            Inner::OpenAi(e) => e.push(event, out),
            Inner::Anthropic(e) => e.push(event, out),
            Inner::Responses(e) => e.push(event, out),
            Inner::Gemini(e) => {
                let lookup = |id: &str| self.signatures.as_ref().and_then(|l| l(id));
                e.push(event, &lookup, out);
            }
        }
    }

    /// An in-band error ending the stream (after the first byte, statuses are spent).
    pub fn error(&mut self, error: &ErrorInfo, out: &mut BytesMut) {
        match &mut self.inner {
            Inner::OpenAi(e) => e.error(error, out),
            Inner::Anthropic(e) => e.error(error, out),
            Inner::Responses(e) => e.error(error, out),
            Inner::Gemini(e) => e.error(error, out),
        }
    }

    pub fn is_finished(&self) -> bool {
        match &self.inner {
            Inner::OpenAi(e) => e.is_finished(),
            Inner::Anthropic(e) => e.is_finished(),
            Inner::Responses(e) => e.is_finished(),
            Inner::Gemini(e) => e.is_finished(),
        }
    }

    /// Writes a keep-alive event while the upstream is quiet; false for formats without one
    /// (OpenAI clients get none, as from the real API).
    pub fn keep_alive(&self, out: &mut BytesMut) -> bool {
        match &self.inner {
            Inner::OpenAi(_) | Inner::Responses(_) | Inner::Gemini(_) => false,
            Inner::Anthropic(_) => {
                anthropic::StreamEncoder::ping(out);
                true
            }
        }
    }

    /// The complete answer body a finished stream amounted to, for formats that store answers.
    pub fn final_body(&self) -> Option<bytes::Bytes> {
        match &self.inner {
            Inner::Responses(e) => e.final_response().map(|v| {
                serde_json::to_vec(v)
                    .expect("a JSON value always serializes")
                    .into()
            }),
            Inner::OpenAi(_) | Inner::Anthropic(_) | Inner::Gemini(_) => None,
        }
    }

    /// Whether `keep_alive` writes anything.
    pub fn has_keep_alive(&self) -> bool {
        matches!(self.inner, Inner::Anthropic(_))
    }
}

#[cfg(test)]
mod tests;
