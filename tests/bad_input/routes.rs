//! Routes the proxy does not serve: a 404 in the error format of the path's clients, saying what
//! is served; never a 5xx, which clients retry (Codex retried 28 times in 25 s on a 501).

use reqwest::Method;

use super::runner::Case;

pub fn cases() -> Vec<Case> {
    let not_served = |name: &str, method: Method, path: &'static str, names: &str| {
        Case::post(format!("routes/{name}"), path, b"{}".to_vec())
            .method(method)
            .status(404)
            .names(names)
    };
    vec![
        // Served now (the Responses API); a stored response that is not there is a 404.
        not_served(
            "a stored response that is not kept",
            Method::GET,
            "/v1/responses/resp_0123",
            "no stored response \"resp_0123\"",
        ),
        not_served(
            "the Conversations API",
            Method::POST,
            "/v1/conversations",
            "the OpenAI Conversations API is not served",
        ),
        not_served(
            "embeddings lists what is served",
            Method::POST,
            "/v1/embeddings",
            "POST /v1/chat/completions (OpenAI Chat Completions), POST /v1/messages (Anthropic \
             Messages), POST /v1/responses (OpenAI Responses), POST \
             /v1beta/models/MODEL:generateContent (Gemini API)",
        ),
        // Gemini's namespace: Google's error shape.
        not_served(
            "gemini files",
            Method::POST,
            "/v1beta/files",
            "the Gemini Files API is not served",
        ),
        not_served(
            "a gemini method not served",
            Method::POST,
            "/v1beta/models/gemini-3-flash:embedContent",
            "\"embedContent\" is not served",
        ),
        not_served(
            "embeddings",
            Method::POST,
            "/v1/embeddings",
            "the OpenAI Embeddings API is not served",
        ),
        not_served(
            "an unknown OpenAI path",
            Method::POST,
            "/v1/completions",
            "no route for POST /v1/completions",
        ),
        // Under /v1/messages, so Anthropic clients read it: `not_found_error` in their envelope.
        not_served(
            "message batches",
            Method::POST,
            "/v1/messages/batches",
            "no route for POST /v1/messages/batches; this proxy serves",
        ),
        not_served("an unknown path", Method::GET, "/nope", "/v1/messages"),
    ]
}
