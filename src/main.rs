//! Entry point: parse the command line, resolve paths, start logging, dispatch.

use std::io::Write as _;

use clap::Parser as _;

use anti_api_tui::cli::{Cli, Command};
use anti_api_tui::commands;
use anti_api_tui::logging::LogOutput;
use anti_api_tui::paths::Paths;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    anti_api_tui::atomic_file::restrict_new_files();
    anti_api_tui::signals::survive_file_size_limit();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            // The last word when start-up fails; stderr may be a terminal that is gone.
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let paths = Paths::resolve(cli.home.as_deref())?;
    // The console owns the terminal: its log lines go to the file and the Logs tab only.
    let (output, console_logs) = match &cli.command {
        None => {
            let (tx, rx) = anti_api_tui::logging::console_channel();
            (LogOutput::Console(tx), Some(rx))
        }
        Some(Command::Serve(_)) => (LogOutput::Stderr, None),
        Some(_) => (LogOutput::FileOnly, None),
    };
    let _log_guard = anti_api_tui::logging::init(&paths.log_dir, output)?;
    match &cli.command {
        Some(Command::Serve(args)) => commands::serve::run(&paths, args, cli.demo).await,
        Some(Command::Accounts(cmd)) => commands::accounts::run(&paths, cmd).await,
        Some(Command::Login(args)) => commands::login::run(&paths, args, cli.demo).await,
        Some(Command::Quota { json }) => commands::quota::run(&paths, *json),
        Some(Command::Route { model, json }) => commands::route::run(&paths, model, *json),
        Some(Command::History(args)) => commands::history::run(&paths, args, cli.demo),
        Some(Command::Replay(args)) => {
            commands::replay::run(&paths, args, cli.demo, &cli.console).await
        }
        None => commands::console::run_tui(&paths, &cli.console, cli.demo, console_logs).await,
    }
}
