//! OpenAI Responses API (`/v1/responses`) wire format ⇄ IR: request parsing (input items, tools
//! with namespaces, reasoning carried back), the response object and the typed SSE encoder.
//!
//! Pure translation: ids, model names and timestamps are arguments, never generated here.

mod items;
mod reasoning;
mod request;
mod response;
mod stream;
mod tools;
mod wire;

#[cfg(test)]
mod tests;

pub use items::check_outputs;
pub use reasoning::CarriedThinking;
pub use request::{Echo, ResponsesContext, parse_request};
pub use response::{ResponseMeta, error_json, response_json};
pub use stream::StreamEncoder;
pub use tools::{DeclaredTool, ToolNames};
