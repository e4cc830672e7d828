//! Entry point: parse the command line, resolve paths, start logging, dispatch.

use clap::Parser as _;

use anti_api_tui::cli::{Cli, Command, ServeArgs};
use anti_api_tui::commands;
use anti_api_tui::paths::Paths;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            #[allow(clippy::print_stderr)] // the last word when start-up fails
            {
                eprintln!("error: {e:#}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let paths = Paths::resolve(cli.home.as_deref())?;
    let headless = !matches!(cli.command, Some(Command::Accounts(_)));
    let _log_guard = anti_api_tui::logging::init(&paths.log_dir, headless)?;
    match &cli.command {
        Some(Command::Serve(args)) => commands::serve::run(&paths, args, cli.demo).await,
        Some(Command::Accounts(cmd)) => commands::accounts::run(&paths, cmd).await,
        // Until the console lands, no subcommand serves headless.
        None => commands::serve::run(&paths, &ServeArgs::default(), cli.demo).await,
    }
}
