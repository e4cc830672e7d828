//! `Action`: everything that can change the console's state — user intents from the keymap,
//! facts from the engine's bus, and the answers of effects that ran elsewhere.

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

use super::rows::Row;
use super::state::{AccountView, ModelView, StageText, Tab};
use crate::auth::login::LoginProgress;
use crate::config::FlowConfig;
use crate::events::{ProxyEvent, RequestId};
use crate::logging::LogLine;

#[derive(Debug, Clone)]
pub enum Action {
    // Navigation.
    Quit,
    NextTab,
    PrevTab,
    GoTab(Tab),
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Left,
    Right,
    Open,
    Back,
    ToggleHelp,
    // Text fields.
    OpenCommandLine,
    OpenSearch,
    /// The command line prefilled with `filter ` and the current filter.
    OpenFilter,
    FieldKey(KeyEvent),
    Paste(String),
    SubmitField,
    CompleteField,
    // Requests.
    SearchNext,
    SearchPrev,
    ToggleFollow,
    TogglePause,
    ClearFilter,
    Replay,
    ReplayEdited,
    ReplayToModel(String),
    /// Opens the command line at `replay @` to pick an account.
    ReplayOnAccount,
    MarkCompare,
    ExportCurl,
    ExportBundle,
    /// Translate only: show the upstream request the selected request would be sent as.
    DryRun,
    // Accounts.
    ToggleAccountDisabled,
    RemoveAccount,
    AddAccount,
    /// Adds the account a local Antigravity IDE is signed in with.
    ImportIdeAccount,
    Confirm(bool),
    // Models.
    TestPrompt,
    // Routing.
    RoutingAdd,
    RoutingDelete,
    RoutingMove(i8),
    WhatIf,
    // Logs.
    CycleLogLevel,
    /// Runs a `:` command line.
    RunCommand(String),
    // From the engine and the clock.
    Proxy(ProxyEvent),
    /// The bus dropped this many events because the console fell behind.
    Lagged(u64),
    Tick(DateTime<Utc>),
    Resize(u16, u16),
    Log(LogLine),
    // Answers of effects.
    HistoryLoaded(Vec<Row>),
    DetailLoaded(RequestId, Vec<StageText>),
    AccountsLoaded(Vec<AccountView>),
    ModelsLoaded(Vec<ModelView>),
    FlowsLoaded {
        flows: Vec<FlowConfig>,
        builtin: Vec<String>,
    },
    WhatIfAnswered(String, Vec<String>),
    Login(LoginProgress),
    /// The dry run of a request: the upstream request, or why there is none.
    DryRunAnswered(RequestId, String),
    Notice(String),
}
