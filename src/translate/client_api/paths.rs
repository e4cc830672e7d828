//! Client API paths: the route types the table's `routes`/`unserved` arms are written in, and
//! what is derived from them for every format alike — the canonical path the history records,
//! which format's clients call a path (so errors outside a handler come in their format), and
//! the 404 message saying what is served.

use super::ApiFormat;

/// What a route does with its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// A chat request: parsed into the IR, answered as JSON or a stream.
    Chat,
    /// A token count for a chat request, answered without generating.
    CountTokens,
    /// A path that names the model and the method (`…/models/{model}:{method}`, the Gemini
    /// API): the method decides between a chat (streamed or not) and a token count.
    ModelCall,
}

/// One `POST` route a format serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub path: &'static str,
    pub endpoint: Endpoint,
}

/// A path in a format's namespace that the proxy knows and does not serve (answered 404, not 5xx,
/// so clients do not retry it), with what a person would call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unserved {
    pub path: &'static str,
    pub what: &'static str,
}

impl ApiFormat {
    /// The path the history records for a request on `endpoint` (`""` when the format's
    /// paths name the model: then the request's own path is recorded, see `history_path`).
    pub fn canonical_path(self, endpoint: Endpoint) -> &'static str {
        self.routes()
            .iter()
            .find(|r| r.endpoint == endpoint)
            .map_or("", |r| r.path)
    }

    /// The path the history records for a chat that arrived on `path`: the canonical one, or
    /// the request's own where the path carries request fields (so a replay reaches the same
    /// model and method).
    pub fn history_path(self, path: &str) -> String {
        match self.canonical_path(Endpoint::Chat) {
            "" => path.to_owned(),
            canonical => canonical.to_owned(),
        }
    }

    /// Whose clients call `path`, so errors outside a handler (404, 405, 401, 403) come in the
    /// format they read: the format owning the longest route or unserved path that `path` is
    /// or lies under; OpenAI (the most common client shape) for anything else.
    pub fn of_path(path: &str) -> Self {
        let under = |prefix: &str| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        Self::ALL
            .into_iter()
            .flat_map(|api| {
                // A templated route (`…/models/{*call}`) owns everything under its prefix.
                let routes = api
                    .routes()
                    .iter()
                    .map(|r| r.path.split_once("/{").map_or(r.path, |(prefix, _)| prefix));
                let unserved = api.unserved().iter().map(|u| u.path);
                routes.chain(unserved).map(move |p| (api, p))
            })
            .filter(|(_, prefix)| under(prefix))
            .max_by_key(|(_, prefix)| prefix.len())
            .map_or(Self::OpenAi, |(api, _)| api)
    }

    /// What the proxy serves, for messages: "POST /v1/chat/completions (OpenAI Chat
    /// Completions), POST /v1/messages (Anthropic Messages)".
    pub fn served_summary() -> String {
        Self::ALL
            .iter()
            .map(|api| {
                let path = match api.canonical_path(Endpoint::Chat) {
                    "" => api.routes().first().map_or(String::new(), |r| {
                        r.path.replace("{*call}", "MODEL:generateContent")
                    }),
                    path => path.to_owned(),
                };
                format!("POST {path} ({})", api.long_name())
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The 404 message for `path` (answered in `of_path(path)`'s format): names the API when the
    /// path is a known unserved one, and always says what is served.
    pub fn not_found_message(method: &str, path: &str) -> String {
        let unserved = Self::ALL
            .iter()
            .flat_map(|api| api.unserved())
            .find(|u| path == u.path || path.starts_with(&format!("{}/", u.path)));
        match unserved {
            Some(u) => format!(
                "{method} {path}: {} is not served by this proxy; it serves {}",
                u.what,
                Self::served_summary()
            ),
            None => format!(
                "no route for {method} {path}; this proxy serves {}",
                Self::served_summary()
            ),
        }
    }
}
