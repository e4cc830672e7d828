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

#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Add an account from a Google refresh token (no browser needed).
    Add {
        #[arg(long, value_name = "TOKEN")]
        refresh_token: String,
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
