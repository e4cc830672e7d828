//! The typed serde shapes of a public Gemini API (`v1beta`) `GenerateContentRequest`, as loose as
//! clients send it (camelCase, as the API documents; `null` reads like an absent field).

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawRequest {
    pub contents: Option<Vec<RawContent>>,
    pub system_instruction: Option<RawContent>,
    pub tools: Option<Vec<RawTool>>,
    pub tool_config: Option<RawToolConfig>,
    pub generation_config: Option<RawGenerationConfig>,
    /// Google's own safety filters; the upstream applies its defaults either way.
    pub safety_settings: Option<Value>,
    pub cached_content: Option<String>,
    /// `:countTokens` may wrap the request: `{"generateContentRequest": {...}}`.
    pub generate_content_request: Option<Box<RawRequest>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawContent {
    pub role: Option<String>,
    pub parts: Option<Vec<RawPart>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawPart {
    pub text: Option<String>,
    pub thought: Option<bool>,
    pub thought_signature: Option<String>,
    pub inline_data: Option<RawBlob>,
    pub file_data: Option<RawFileData>,
    pub function_call: Option<RawFunctionCall>,
    pub function_response: Option<RawFunctionResponse>,
    pub executable_code: Option<Value>,
    pub code_execution_result: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawBlob {
    pub mime_type: Option<String>,
    pub data: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawFileData {
    pub mime_type: Option<String>,
    pub file_uri: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawFunctionCall {
    pub id: Option<String>,
    pub name: Option<String>,
    pub args: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawFunctionResponse {
    pub id: Option<String>,
    pub name: Option<String>,
    pub response: Option<Value>,
    pub parts: Option<Vec<RawPart>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawTool {
    pub function_declarations: Option<Vec<RawFunctionDeclaration>>,
    pub google_search: Option<Value>,
    pub google_search_retrieval: Option<Value>,
    pub code_execution: Option<Value>,
    pub url_context: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawFunctionDeclaration {
    pub name: Option<String>,
    pub description: Option<String>,
    pub parameters: Option<Value>,
    pub parameters_json_schema: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawToolConfig {
    pub function_calling_config: Option<RawFunctionCallingConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawFunctionCallingConfig {
    pub mode: Option<String>,
    pub allowed_function_names: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawGenerationConfig {
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub top_k: Option<f64>,
    pub max_output_tokens: Option<i64>,
    pub stop_sequences: Option<Vec<String>>,
    pub candidate_count: Option<i64>,
    pub response_mime_type: Option<String>,
    pub response_schema: Option<Value>,
    pub response_json_schema: Option<Value>,
    pub response_modalities: Option<Vec<String>>,
    pub thinking_config: Option<RawThinkingConfig>,
    pub presence_penalty: Option<f64>,
    pub frequency_penalty: Option<f64>,
    pub seed: Option<i64>,
    pub response_logprobs: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawThinkingConfig {
    pub include_thoughts: Option<bool>,
    pub thinking_budget: Option<i64>,
    pub thinking_level: Option<String>,
}
