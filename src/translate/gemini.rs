//! Public Gemini API (`/v1beta/models/{model}:generateContent`, `:streamGenerateContent`,
//! `:countTokens`) wire format ⇄ IR: request parsing (thought signatures kept for the engine),
//! response bodies and the stream encoder (SSE or JSON-array framing).
//!
//! Pure translation: ids and model names are arguments, never generated here.

mod request;
mod response;
mod stream;
mod wire;

#[cfg(test)]
mod tests;

pub use request::{GeminiContext, parse_request};
pub use response::{AnswerMeta, CallSignatures, error_json, model_json, response_json};
pub use stream::{Framing, StreamEncoder};
