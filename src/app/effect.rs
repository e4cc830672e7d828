//! `Effect`: what `update` asks the outside world to do. The runner performs them off the UI
//! path and answers with `Action`s; effects that need the terminal itself (the editor, the
//! clipboard) are performed by the loop.

mod export;
mod runner;

pub use export::{curl_command, redact, redacted_bundle};
pub use runner::{EffectRunner, short as short_id};

use crate::config::FlowConfig;
use crate::events::RequestId;

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Recent rows from the history store (on start and after the bus lagged).
    LoadHistory,
    /// The stored bodies of a request.
    LoadDetail(RequestId),
    Replay {
        id: RequestId,
        model: Option<String>,
        /// `x-anti-api-account`: served by this account only.
        account: Option<String>,
    },
    /// Opens the stored client request in `$EDITOR`, then sends what was saved (the loop runs
    /// it: the editor needs the terminal).
    EditAndReplay(RequestId),
    ExportCurl(RequestId),
    /// Translates the stored client request to the upstream request, without sending it.
    DryRun(RequestId),
    ExportBundle(RequestId),
    /// Text for the system clipboard through OSC 52 (the loop writes it to the terminal).
    Clipboard(String),
    LoadAccounts,
    SetAccountDisabled {
        id: String,
        disabled: bool,
    },
    RemoveAccount(String),
    BeginLogin,
    /// `accounts import-antigravity` from the console.
    ImportIdeAccount,
    LoginPaste(String),
    CancelLogin,
    LoadModels,
    LoadFlows,
    SaveFlows(Vec<FlowConfig>),
    WhatIf(String),
    TestPrompt {
        model: String,
        prompt: String,
    },
}
