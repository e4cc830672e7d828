//! The typed serde shapes of a Responses API (`POST /v1/responses`) request body, as loose as
//! clients send it. Optional fields are `Option` so an explicit `null` reads like an absent field;
//! "a string or a list" fields use the Chat Completions module's [`StrOr`].

use serde::Deserialize;
use serde_json::Value;

pub(crate) use crate::translate::openai::StrOr;

#[derive(Debug, Deserialize)]
pub(crate) struct RawRequest {
    pub model: Option<String>,
    pub input: Option<StrOr<Vec<RawItem>>>,
    pub instructions: Option<String>,
    pub tools: Option<Vec<RawTool>>,
    pub tool_choice: Option<StrOr<RawToolChoice>>,
    pub parallel_tool_calls: Option<bool>,
    pub max_output_tokens: Option<i64>,
    pub max_tool_calls: Option<i64>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    /// Not part of the Responses API, but some clients send it through `extra_body`.
    pub top_k: Option<u32>,
    pub reasoning: Option<RawReasoning>,
    pub text: Option<RawText>,
    pub stream: Option<bool>,
    pub store: Option<bool>,
    pub include: Option<Vec<String>>,
    pub previous_response_id: Option<String>,
    pub conversation: Option<Value>,
    pub background: Option<bool>,
    pub prompt: Option<Value>,
    pub truncation: Option<String>,
    pub top_logprobs: Option<i64>,
    pub user: Option<String>,
    pub prompt_cache_key: Option<String>,
    pub safety_identifier: Option<String>,
    /// Echoed back on the response object (the API stores it with the response).
    pub metadata: Option<Value>,
    /// Accepted and echoed: there is only one tier here.
    pub service_tier: Option<String>,
}

/// One input item. A struct rather than a tagged enum so that type errors inside an item still
/// carry the full field path; `kind` decides which fields matter.
#[derive(Debug, Deserialize)]
pub(crate) struct RawItem {
    /// Absent on the "easy" message form `{"role": "user", "content": "…"}`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub role: Option<String>,
    pub content: Option<StrOr<Vec<RawPart>>>,
    /// `function_call` / `custom_tool_call`
    pub call_id: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub arguments: Option<String>,
    pub input: Option<String>,
    /// `function_call_output` / `custom_tool_call_output`: a string or a list of parts.
    pub output: Option<StrOr<Vec<RawPart>>>,
    /// `reasoning`
    pub summary: Option<Vec<RawSummary>>,
    pub encrypted_content: Option<String>,
}

/// One content part of a message or a tool output.
#[derive(Debug, Deserialize)]
pub(crate) struct RawPart {
    #[serde(rename = "type")]
    pub kind: String,
    pub text: Option<String>,
    /// `input_image`: a URL string (http(s) or `data:`).
    pub image_url: Option<String>,
    pub file_id: Option<String>,
    pub refusal: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawSummary {
    pub text: String,
}

/// A tool: `function`, `custom`, a `namespace` of them, or a hosted tool (only `type` matters).
#[derive(Debug, Deserialize)]
pub(crate) struct RawTool {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub parameters: Option<Value>,
    /// `namespace`
    pub tools: Option<Vec<RawTool>>,
    // `strict` asks for exact schema adherence; Google validates calls against the declared
    // schema (`VALIDATED`) either way, so it needs no field here and serde skips it.
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawToolChoice {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawReasoning {
    pub effort: Option<String>,
    pub summary: Option<String>,
    /// The older spelling of `summary`.
    pub generate_summary: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawText {
    /// Kept raw: `translate::structured` parses it and names the bad field.
    pub format: Option<Value>,
    pub verbosity: Option<String>,
}
