//! Chat Completions (`/v1/chat/completions`) wire format ⇄ IR: request parsing, response bodies and the SSE encoder.
//!
//! Pure translation: ids, model names and timestamps are arguments, never generated here.

mod content;
mod messages;
mod request;
mod response;
mod stream;
mod wire;

pub(crate) use content::image_source;
pub use request::parse_request;
pub(crate) use request::{decode, effort, in_range, model_name, positive};
pub use response::{error_json, response_json};
pub use stream::StreamEncoder;
pub(crate) use wire::StrOr;
