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
        // Codex CLI, the Agents SDK, Qwen Code: the Responses API, until it is served.
        not_served(
            "responses",
            Method::POST,
            "/v1/responses",
            "the OpenAI Responses API is not served",
        ),
        not_served(
            "responses lists what is served",
            Method::POST,
            "/v1/responses",
            "POST /v1/chat/completions (OpenAI Chat Completions), POST /v1/messages (Anthropic Messages)",
        ),
        not_served(
            "a stored response",
            Method::GET,
            "/v1/responses/resp_0123",
            "the OpenAI Responses API",
        ),
        not_served(
            "responses input tokens",
            Method::POST,
            "/v1/responses/input_tokens",
            "the OpenAI Responses API",
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
