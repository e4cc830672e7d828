//! The command line: global options and one subcommand per file in `commands/`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "anti-api-tui",
    version,
    about = "A local OpenAI/Anthropic-compatible proxy over Antigravity, with a terminal console"
)]
pub struct Cli {
    /// Keep config, data and logs under DIR.
    #[arg(long, global = true, env = "ANTI_API_TUI_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Run on the built-in simulated upstream with a demo account.
    #[arg(long, global = true)]
    pub demo: bool,
    /// Where the console's proxy listens (`--host`, `--port`; `serve` has its own).
    #[command(flatten)]
    pub console: ServeArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the proxy headless (logs to stderr and the log file).
    Serve(ServeArgs),
    /// Manage the Google accounts the proxy serves through.
    #[command(subcommand)]
    Accounts(AccountsCommand),
    /// Add a Google account by signing in (browser, paste-back over SSH, or device code).
    Login(LoginArgs),
    /// Show each account's remaining quota per model, reset times and cooldowns.
    Quota {
        #[arg(long)]
        json: bool,
    },
    /// Show where a request for MODEL would go now, and why any candidate is skipped.
    Route {
        model: String,
        #[arg(long)]
        json: bool,
    },
    /// List recorded requests, newest first (`history status:4xx model:opus dur>5s`).
    History(HistoryArgs),
    /// Send a recorded request again to the running instance and print the answer.
    Replay(ReplayArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct HistoryArgs {
    /// Print JSON (an array of requests) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Show at most N requests (0 = all).
    #[arg(long, short = 'n', value_name = "N", default_value_t = 50)]
    pub limit: usize,
    /// Filter terms, all of which must match: status:429 status:4xx model:opus acct:alice
    /// api:openai dur>5s ttft<2s has:tool has:error err~signature stream:true replay:true,
    /// free text, "quoted phrases"; -term negates.
    #[arg(
        value_name = "FILTER",
        allow_hyphen_values = true,
        trailing_var_arg = true
    )]
    pub filter: Vec<String>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ReplayArgs {
    /// The request's id, or a unique start or end of it (the table shows the last 8 characters).
    pub id: String,
    /// Print a JSON object with the new request's status and body.
    #[arg(long)]
    pub json: bool,
    /// Serve the replay with this account only (id or e-mail; `anti-api-tui accounts list`).
    #[arg(long)]
    pub account: Option<String>,
}

#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (default 127.0.0.1).
    #[arg(long)]
    pub host: Option<String>,
    /// Port to listen on (default 8964; 0 picks a free one).
    #[arg(long)]
    pub port: Option<u16>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct LoginArgs {
    /// Never try to open a browser (print the URL; paste the redirect back).
    #[arg(long)]
    pub no_browser: bool,
    /// Use the device-code grant (RFC 8628): enter a code on another device.
    #[arg(long)]
    pub device: bool,
    /// Give up after this many seconds (at most a day).
    #[arg(long, value_name = "SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timeout: u64,
    /// Preselect this Google account on the sign-in page.
    #[arg(long, value_name = "EMAIL")]
    pub hint: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Add an account from a Google refresh token (no browser needed).
    Add {
        #[arg(long, value_name = "TOKEN")]
        refresh_token: String,
    },
    /// Add the account a local Antigravity IDE is signed in with (its state database is only
    /// read, never written).
    ImportAntigravity {
        /// The IDE's `state.vscdb` (default: the install found under the user's config dir).
        #[arg(long, value_name = "FILE")]
        path: Option<PathBuf>,
    },
    /// List accounts with their status.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove an account by id or email.
    Remove { id: String },
    /// Stop using an account without removing it.
    Disable { id: String },
    /// Use a disabled account again.
    Enable { id: String },
}
