//! Today's gateway rules for model ids and client versions (strict mode only): retired Claude
//! ids answer 404 `NOT_FOUND`; retired Gemini 3 Pro ids answer the 200 "no longer available"
//! notice; a client version below the floor gets the "no longer supported" notice; a model
//! newer than the caller's version gets "not available on this version". Also the updater
//! manifest that publishes the current client version (`GET /manifest/*`).

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::faults::VERSION_REJECTED_TEXT;
use super::state::Shared;
use crate::client_version::{self, ClientVersion};

/// The version the simulated updater manifest publishes.
pub(crate) const PUBLISHED_VERSION: ClientVersion = ClientVersion::new(2, 10, 0);

/// Below this the simulated gateway answers every generate call with the "no longer supported"
/// notice (the real one's 2.9.0 line; `CLIProxyAPI` a834917e8).
pub(crate) const SUPPORTED_FLOOR: ClientVersion = ClientVersion::new(2, 9, 0);

/// Models that need a client newer than the proxy's floor (2.9.1): what happens when Google
/// ships a model for the current client only. (upstream id, display name, first version)
pub(crate) const NEWER_MODELS: &[(&str, &str, ClientVersion)] = &[(
    "gemini-3.7-flash-high",
    "Gemini 3.7 Flash",
    PUBLISHED_VERSION,
)];

/// How the upstream answers a retired id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Face {
    /// 404 `NOT_FOUND` "Requested entity was not found." (sub2api PR #5920).
    NotFound,
    /// A 200 answer whose whole text is the notice (Antigravity-Manager #2051).
    Notice(&'static str),
}

pub(crate) const GEMINI_3_PRO_NOTICE: &str = "Gemini 3 Pro is no longer available. Please switch to Gemini 3.1 Pro in the latest version of Antigravity.";

/// Retired ids: (id, display name, successor, how the upstream answers it).
pub(crate) const RETIRED: &[(&str, &str, &str, Face)] = &[
    (
        "claude-sonnet-4-5",
        "Claude Sonnet 4.5",
        "claude-sonnet-4-6",
        Face::NotFound,
    ),
    (
        "claude-sonnet-4-5-thinking",
        "Claude Sonnet 4.5 (Thinking)",
        "claude-sonnet-4-6",
        Face::NotFound,
    ),
    (
        "claude-opus-4-5-thinking",
        "Claude Opus 4.5 (Thinking)",
        "claude-opus-4-6-thinking",
        Face::NotFound,
    ),
    (
        "gemini-3-pro-high",
        "Gemini 3 Pro (High)",
        "gemini-pro-agent",
        Face::Notice(GEMINI_3_PRO_NOTICE),
    ),
    (
        "gemini-3-pro-low",
        "Gemini 3 Pro (Low)",
        "gemini-3.1-pro-low",
        Face::Notice(GEMINI_3_PRO_NOTICE),
    ),
];

/// What the strict gateway does instead of answering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    NotFound,
    /// A 200 answer with this text.
    Notice(String),
}

/// The strict gateway's verdict on `model` asked with User-Agent `ua`, before anything else
/// about the request is looked at.
pub(crate) fn refusal(model: &str, ua: &str) -> Option<Refusal> {
    let version = client_version::from_user_agent(ua);
    if version.is_none_or(|v| v < SUPPORTED_FLOOR) {
        return Some(Refusal::Notice(VERSION_REJECTED_TEXT.to_owned()));
    }
    if let Some((_, _, _, face)) = RETIRED.iter().find(|(id, ..)| *id == model) {
        return Some(match face {
            Face::NotFound => Refusal::NotFound,
            Face::Notice(text) => Refusal::Notice((*text).to_owned()),
        });
    }
    let (_, name, since) = NEWER_MODELS.iter().find(|(id, ..)| *id == model)?;
    (version? < *since).then(|| {
        Refusal::Notice(format!(
            "{name} is not available on this version. Please upgrade to the latest version."
        ))
    })
}

/// `GET /manifest/<file>`: an electron-builder updater manifest for `PUBLISHED_VERSION`.
pub(crate) async fn manifest(State(shared): State<Arc<Shared>>) -> Response {
    shared.lock().stats.manifest_calls += 1;
    let v = PUBLISHED_VERSION;
    let body = format!(
        "version: {v}\nfiles:\n  - url: Antigravity-{v}-arm64-mac.zip\n    sha512: c2ltdWxhdGVk\n    \
         size: 1024\npath: Antigravity-{v}-arm64-mac.zip\nsha512: c2ltdWxhdGVk\n\
         releaseDate: '2026-08-20T00:00:00.000Z'\n"
    );
    ([(header::CONTENT_TYPE, "text/yaml")], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CURRENT: &str = "antigravity/hub/2.10.0 linux/amd64";

    #[test]
    fn retired_ids_have_their_faces() {
        assert_eq!(
            refusal("claude-sonnet-4-5", CURRENT),
            Some(Refusal::NotFound)
        );
        assert_eq!(
            refusal("gemini-3-pro-high", CURRENT),
            Some(Refusal::Notice(GEMINI_3_PRO_NOTICE.into()))
        );
        assert_eq!(refusal("claude-sonnet-4-6", CURRENT), None);
    }

    #[test]
    fn old_clients_and_newer_models_get_notices() {
        let Some(Refusal::Notice(text)) =
            refusal("gemini-3-flash", "antigravity/2.8.4 linux/amd64")
        else {
            panic!("an old client is refused");
        };
        assert!(text.starts_with("This version of Antigravity is no longer supported"));
        let floor = "antigravity/hub/2.9.1 linux/amd64";
        assert_eq!(refusal("gemini-3-flash", floor), None);
        let Some(Refusal::Notice(text)) = refusal("gemini-3.7-flash-high", floor) else {
            panic!("a model newer than the client is refused");
        };
        assert_eq!(
            text,
            "Gemini 3.7 Flash is not available on this version. Please upgrade to the latest version."
        );
        assert_eq!(refusal("gemini-3.7-flash-high", CURRENT), None);
    }
}
