//! The typed serde shapes of a Chat Completions request body, as loose as clients send it.
//!
//! Every optional field is an `Option` so an explicit JSON `null` behaves like an absent field.
//! Fields that can be "a string or something richer" use [`StrOr`], whose hand-written visitor
//! keeps `serde_path_to_error` tracking intact (untagged enums would lose the path).

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// Either a plain string or a structured value (an object or an array) of type `T`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StrOr<T> {
    Str(String),
    Other(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for StrOr<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrOrVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for StrOrVisitor<T> {
            type Value = StrOr<T>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, an object or an array")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(StrOr::Str(v.to_owned()))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(StrOr::Str(v))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(StrOr::Other)
            }

            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                T::deserialize(SeqAccessDeserializer::new(seq)).map(StrOr::Other)
            }
        }

        deserializer.deserialize_any(StrOrVisitor(PhantomData))
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct RawRequest {
    pub model: Option<String>,
    pub messages: Option<Vec<RawMessage>>,
    pub tools: Option<Vec<RawTool>>,
    pub tool_choice: Option<StrOr<RawToolChoice>>,
    /// Legacy (pre-tools) function definitions.
    pub functions: Option<Vec<RawFunctionDef>>,
    /// Legacy (pre-tools) function choice: "auto", "none" or `{name}`.
    pub function_call: Option<StrOr<RawName>>,
    pub max_tokens: Option<i64>,
    pub max_completion_tokens: Option<i64>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    /// Not part of Chat Completions, but some clients send it through `extra_body`.
    pub top_k: Option<u32>,
    pub stop: Option<StrOr<Vec<String>>>,
    pub n: Option<i64>,
    pub stream: Option<bool>,
    pub stream_options: Option<RawStreamOptions>,
    pub reasoning_effort: Option<String>,
    pub reasoning: Option<RawReasoning>,
    pub user: Option<String>,
    pub prompt_cache_key: Option<String>,
    /// Kept raw: `translate::structured` parses it and names the bad field.
    pub response_format: Option<serde_json::Value>,
    pub logprobs: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub(super) struct RawMessage {
    pub role: String,
    pub content: Option<StrOr<Vec<RawPart>>>,
    /// Accepted everywhere; only the legacy `function` role gives it meaning.
    pub name: Option<String>,
    pub tool_calls: Option<Vec<RawToolCall>>,
    pub function_call: Option<RawFunctionCall>,
    pub tool_call_id: Option<String>,
}

/// One content part. A struct rather than a tagged enum so that type errors inside a part
/// still carry the full field path.
#[derive(Debug, Deserialize)]
pub(super) struct RawPart {
    #[serde(rename = "type")]
    pub kind: String,
    pub text: Option<String>,
    pub image_url: Option<StrOr<RawImageUrl>>,
    pub refusal: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct RawImageUrl {
    pub url: String,
    // `detail` ("auto" | "low" | "high") means nothing upstream; serde skips it.
}

#[derive(Debug, Deserialize)]
pub(super) struct RawToolCall {
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub function: RawFunctionCall,
}

#[derive(Debug, Deserialize)]
pub(super) struct RawFunctionCall {
    pub name: String,
    pub arguments: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct RawTool {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub function: Option<RawFunctionDef>,
}

#[derive(Debug, Deserialize)]
pub(super) struct RawFunctionDef {
    pub name: String,
    pub description: Option<String>,
    pub parameters: Option<Value>,
    // `strict` (structured-output strictness) has no upstream equivalent; serde skips it.
}

#[derive(Debug, Deserialize)]
pub(super) struct RawToolChoice {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub function: Option<RawName>,
    /// The Responses-API spelling `{type:"function", name}`.
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct RawName {
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct RawStreamOptions {
    pub include_usage: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub(super) struct RawReasoning {
    pub effort: Option<String>,
}
