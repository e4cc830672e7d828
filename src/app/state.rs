//! `AppState`: everything the console shows, as plain data. Only `update` changes it; `ui`
//! renders it without I/O, so a fixture state renders the same screen every time.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;

use chrono::{DateTime, Utc};
use tui_input::Input;

use super::rows::{Row, RowList, RowMatcher};
use super::stats::Stats;
use crate::auth::login::LoginPrompt;
use crate::capture::Stage;
use crate::config::FlowConfig;
use crate::events::RequestId;
use crate::logging::LogLine;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    Dashboard,
    #[default]
    Requests,
    Models,
    Accounts,
    Routing,
    Logs,
}

impl Tab {
    pub const ALL: [Tab; 6] = [
        Tab::Dashboard,
        Tab::Requests,
        Tab::Models,
        Tab::Accounts,
        Tab::Routing,
        Tab::Logs,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Dashboard => "Dashboard",
            Tab::Requests => "Requests",
            Tab::Models => "Models",
            Tab::Accounts => "Accounts",
            Tab::Routing => "Routing",
            Tab::Logs => "Logs",
        }
    }

    pub fn from_name(name: &str) -> Option<Tab> {
        Tab::ALL
            .into_iter()
            .find(|t| t.title().eq_ignore_ascii_case(name))
    }
}

/// What a text field is for; decides what Enter does with its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldPurpose {
    Command,
    Search,
    TestPrompt { model: String },
    WhatIf,
    NewFlow,
    NewEntry { flow: String },
    LoginPaste,
    LogSearch,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub purpose: FieldPurpose,
    pub input: Input,
    /// Completions offered for the current text (command line only).
    pub completions: Vec<String>,
}

/// A question that needs y/n before something irreversible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    RemoveAccount { id: String, email: String },
    DeleteFlow { name: String },
}

#[derive(Debug, Clone, Default)]
pub enum Overlay {
    #[default]
    None,
    Help,
    Field(Field),
    Confirm(Confirm),
}

/// Text, thinking and tool calls of a request as they streamed in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transcript {
    pub text: String,
    pub thinking: String,
    pub tools: Vec<String>,
}

/// How many transcripts are kept (the most recent requests).
pub const MAX_TRANSCRIPTS: usize = 500;
/// How much of one transcript is kept.
pub const MAX_TRANSCRIPT_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DetailTab {
    #[default]
    Live,
    Stage(Stage),
}

impl DetailTab {
    pub const ALL: [DetailTab; 5] = [
        DetailTab::Live,
        DetailTab::Stage(Stage::ClientRequest),
        DetailTab::Stage(Stage::UpstreamRequest),
        DetailTab::Stage(Stage::UpstreamEvents),
        DetailTab::Stage(Stage::ClientResponse),
    ];

    pub fn title(self) -> &'static str {
        match self {
            DetailTab::Live => "Response",
            DetailTab::Stage(Stage::ClientRequest) => "Client request",
            DetailTab::Stage(Stage::UpstreamRequest) => "Upstream request",
            DetailTab::Stage(Stage::UpstreamEvents) => "Upstream events",
            DetailTab::Stage(Stage::ClientResponse) => "Client response",
        }
    }
}

/// A stored body of one stage.
#[derive(Debug, Clone, PartialEq)]
pub struct StageText {
    pub stage: Stage,
    pub body: String,
    pub truncated: bool,
}

#[derive(Debug, Clone)]
pub struct DetailState {
    pub id: RequestId,
    pub tab: DetailTab,
    pub scroll: u16,
    /// `None` until the store answered; empty when it keeps no bodies for this request.
    pub stages: Option<Vec<StageText>>,
    /// The translate-only dry run (`t`): `Some(None)` while it runs, then the upstream request
    /// that would be sent. Shown instead of the stage body until another tab is chosen.
    pub dry_run: Option<Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountView {
    pub id: String,
    pub email: String,
    pub project: Option<String>,
    pub tier: Option<String>,
    /// `ok`, `cooling`, `needs_login`, `quarantined`, `disabled`.
    pub status: String,
    /// Why: the quarantine message, the needs-login reason.
    pub detail: Option<String>,
    pub cooldowns: Vec<CooldownView>,
    /// The upstream's last quota report, one entry per upstream model id.
    pub quota: Vec<QuotaView>,
}

/// The remaining quota of one upstream model on one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaView {
    /// Upstream model id.
    pub model: String,
    /// `claude`, `gemini`, `gpt-oss` (or empty when unknown).
    pub family: String,
    /// 0 (exhausted) to 100 (full).
    pub remaining_pct: u8,
    pub reset: Option<DateTime<Utc>>,
}

/// The model families shown on the dashboard's quota gauges, in order.
pub const QUOTA_FAMILIES: [&str; 3] = ["claude", "gemini", "gpt-oss"];

impl AccountView {
    /// The lowest remaining quota per family (in `QUOTA_FAMILIES` order, families without a
    /// report left out), with the reset time of that lowest model.
    pub fn family_quota(&self) -> Vec<(&'static str, &QuotaView)> {
        QUOTA_FAMILIES
            .iter()
            .filter_map(|family| {
                self.quota
                    .iter()
                    .filter(|q| q.family == *family)
                    .min_by_key(|q| (q.remaining_pct, q.reset))
                    .map(|q| (*family, q))
            })
            .collect()
    }

    /// The quota of one upstream model.
    pub fn quota_for(&self, upstream: &str) -> Option<&QuotaView> {
        self.quota.iter().find(|q| q.model == upstream)
    }
}

/// The family of an upstream model id when the catalogue does not know it.
pub fn family_of_upstream(upstream: &str) -> &'static str {
    let id = upstream.to_ascii_lowercase();
    if id.starts_with("claude") {
        "claude"
    } else if id.starts_with("gemini") {
        "gemini"
    } else if id.starts_with("gpt-oss") || id.starts_with("gpt_oss") {
        "gpt-oss"
    } else {
        ""
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CooldownView {
    pub model: String,
    pub until: DateTime<Utc>,
    pub reason: String,
}

/// A quota or rate-limit error, shown on the dashboard the moment it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaAlert {
    pub at: DateTime<Utc>,
    pub account: String,
    pub model: String,
    pub until: Option<DateTime<Utc>>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelView {
    pub id: String,
    pub display_name: String,
    pub family: String,
    /// The upstream model id (quota is reported per upstream id).
    pub upstream: String,
    pub thinking: bool,
    pub images: bool,
    pub max_output: u32,
}

#[derive(Debug, Clone, Default)]
pub struct RoutingState {
    pub flows: Vec<FlowConfig>,
    /// Names of the flows that are built in (not yet in config.toml).
    pub builtin: Vec<String>,
    pub flow: usize,
    pub entry: usize,
    /// Whether the entries column has the focus.
    pub in_entries: bool,
    pub what_if: Option<(String, Vec<String>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum LogLevel {
    Error,
    Warn,
    #[default]
    Info,
    Debug,
    Trace,
}

#[derive(Debug, Default)]
pub struct LogsState {
    pub lines: VecDeque<LogLine>,
    pub level: LogLevel,
    pub search: String,
    /// Lines scrolled back from the newest.
    pub scroll: usize,
}

pub const MAX_LOG_LINES: usize = 5_000;

#[derive(Debug, Clone, Default)]
pub struct LoginState {
    pub prompt: Option<LoginPrompt>,
    pub status: String,
    pub remaining_secs: Option<u64>,
    pub finished: bool,
}

#[derive(Debug, Default)]
pub struct RequestsState {
    pub list: RowList,
    /// Display position of the selection (0 = newest).
    pub selected: usize,
    /// First display position on screen.
    pub offset: usize,
    /// Keep the newest row selected as traffic arrives.
    pub follow: bool,
    pub filter_text: String,
    pub search_text: String,
    /// Rows marked for a side-by-side comparison.
    pub compare_mark: Option<RequestId>,
    pub compare: Option<(RequestId, RequestId)>,
    pub detail: Option<DetailState>,
}

/// Facts about the running server shown in the header.
#[derive(Debug, Clone, Default)]
pub struct ServerState {
    pub listen: Option<SocketAddr>,
    pub stopped: Option<String>,
    pub demo: bool,
    pub history: bool,
    pub login_available: bool,
    pub dropped_events: u64,
}

pub struct AppState {
    pub now: DateTime<Utc>,
    pub tab: Tab,
    pub overlay: Overlay,
    pub server: ServerState,
    pub requests: RequestsState,
    /// The filter of the request list (`:filter`).
    pub filter: Option<Box<dyn RowMatcher + Send>>,
    pub transcripts: BTreeMap<RequestId, Transcript>,
    pub stats: Stats,
    pub accounts: Vec<AccountView>,
    pub account_selected: usize,
    pub alerts: VecDeque<QuotaAlert>,
    pub models: Vec<ModelView>,
    pub model_selected: usize,
    pub routing: RoutingState,
    pub logs: LogsState,
    pub login: Option<LoginState>,
    /// A one-line message in the footer (result of the last action).
    pub notice: Option<String>,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// Times are shown in this offset (the local one; UTC in tests).
    pub utc_offset: chrono::FixedOffset,
    pub dirty: bool,
    pub quit: bool,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("tab", &self.tab)
            .field("rows", &self.requests.list.len())
            .finish_non_exhaustive()
    }
}

impl AppState {
    pub fn new(now: DateTime<Utc>, size: (u16, u16)) -> Self {
        Self {
            now,
            tab: Tab::default(),
            overlay: Overlay::None,
            server: ServerState::default(),
            requests: RequestsState {
                follow: true,
                ..RequestsState::default()
            },
            filter: None,
            transcripts: BTreeMap::new(),
            stats: Stats::default(),
            accounts: Vec::new(),
            account_selected: 0,
            alerts: VecDeque::new(),
            models: Vec::new(),
            model_selected: 0,
            routing: RoutingState::default(),
            logs: LogsState::default(),
            login: None,
            notice: None,
            size,
            utc_offset: chrono::FixedOffset::east_opt(0).expect("zero offset"),
            dirty: true,
            quit: false,
        }
    }

    /// The row under the cursor in the Requests tab.
    pub fn selected_row(&self) -> Option<&Row> {
        self.requests.list.shown(self.requests.selected)
    }

    /// Account id → e-mail, for showing and filtering rows by e-mail.
    pub fn account_labels(&self) -> super::row_filter::AccountLabels {
        self.accounts
            .iter()
            .map(|a| (a.id.clone(), a.email.clone()))
            .collect()
    }

    /// The e-mail of the account with this id, when the Accounts tab knows it.
    pub fn account_label<'a>(&'a self, id: &'a str) -> &'a str {
        self.accounts
            .iter()
            .find(|a| a.id == id)
            .map_or(id, |a| a.email.as_str())
    }

    pub fn matcher(&self) -> &dyn RowMatcher {
        matcher(self.filter.as_deref())
    }

    /// Whether keys go to a text field.
    pub fn editing(&self) -> bool {
        matches!(self.overlay, Overlay::Field(_))
    }
}

/// The filter's matcher, or one that shows everything (a free function so callers can borrow
/// the filter and the request list at the same time).
pub fn matcher(filter: Option<&(dyn RowMatcher + Send)>) -> &dyn RowMatcher {
    match filter {
        Some(f) => f,
        None => &MatchAll,
    }
}

/// The filter when none is set.
pub struct MatchAll;

impl RowMatcher for MatchAll {
    fn matches(&self, _: &Row) -> bool {
        true
    }
}
