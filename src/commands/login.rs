//! `anti-api-tui login [--no-browser] [--device] [--timeout SECS] [--hint EMAIL]`: signs in to a
//! Google account and stores it. Prints the login's progress as plain lines (no TUI), reads a
//! pasted redirect URL or code from stdin meanwhile, and ends with the account it stored. With
//! `--demo` it runs against a fresh in-process simulator and stores under the demo data dir.
#![allow(clippy::print_stdout)] // a CLI command's output is its job

use std::io::BufRead as _;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::accounts::AccountPool;
use crate::auth::login::{
    self, LoginContext, LoginMethod, LoginOptions, LoginProgress, LoginPrompt,
};
use crate::cli::{LoginArgs, ServeArgs};
use crate::events::Bus;
use crate::paths::Paths;
use crate::simulator::{self, SimConfig};
use crate::startup;

pub async fn run(paths: &Paths, args: &LoginArgs, demo: bool) -> anyhow::Result<()> {
    let mut config = startup::load_config(paths, &ServeArgs::default())?;
    let (paths, simulator) = if demo {
        let sim = simulator::start(
            TcpListener::bind("127.0.0.1:0").await?,
            SimConfig::default(),
        )
        .await;
        startup::point_at_simulator(&mut config, &sim.base_url());
        // The simulator offers both grants; the browser one is the one worth trying first.
        if !args.device {
            config.google.device_auth_url = None;
        }
        println!(
            "demo: signing in to the simulated Google at {}",
            sim.base_url()
        );
        (paths.for_demo(), Some(sim))
    } else {
        (paths.clone(), None)
    };
    let pool = AccountPool::load(paths.accounts_file(), config.accounts.clone(), Bus::new())?;
    let options = LoginOptions {
        device: args.device,
        open_browser: !args.no_browser,
        timeout: Duration::from_secs(args.timeout),
        login_hint: args.hint.clone(),
        device_poll_interval_secs: None,
    };
    let mut handle = login::spawn(LoginContext::new(&config, pool)?, options);
    let mut stdin_started = false;
    while let Some(event) = handle.next().await {
        if let LoginProgress::Prompt(prompt) = &event {
            if prompt.accepts_paste && !stdin_started {
                stdin_started = true;
                read_stdin_into(handle.paste_sender());
            }
            print_prompt(prompt, demo);
        } else {
            print_event(&event);
        }
    }
    let done = handle.outcome().await;
    if let Some(sim) = simulator {
        sim.shutdown();
    }
    let done = done?;
    println!(
        "logged in as {} (account {}, project {})",
        done.email, done.account_id, done.project
    );
    if demo {
        println!("demo: stored in {}", paths.accounts_file().display());
    }
    Ok(())
}

/// Forwards each line typed or pasted on stdin. A plain thread: a blocking read cannot be
/// cancelled, and the process exits once the login ends anyway.
fn read_stdin_into(paste: mpsc::Sender<String>) {
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if line.trim().is_empty() {
                continue;
            }
            if paste.blocking_send(line).is_err() {
                break;
            }
        }
    });
}

fn print_prompt(prompt: &LoginPrompt, demo: bool) {
    let expires = prompt
        .expires_at
        .with_timezone(&chrono::Local)
        .format("%H:%M:%S");
    println!();
    match prompt.method {
        LoginMethod::Browser => {
            println!("Open this address in a browser and sign in with Google:");
            println!();
            println!("  {}", prompt.url);
            println!();
            if let Some(local) = &prompt.local_url {
                println!("Short link (works on this machine only): {local}");
            }
            print_qr(&prompt.qr, "or scan it to finish on your phone");
            println!("On this machine the browser comes back here by itself. Elsewhere (SSH, a");
            println!("phone), the browser ends on a localhost address that does not load: copy");
            println!("that whole address (…/oauth-callback?state=…&code=…) and paste it here,");
            if let Some(port) = prompt
                .local_url
                .as_deref()
                .and_then(|u| url::Url::parse(u).ok())
                .and_then(|u| u.port())
            {
                println!(
                    "then press Enter. Or forward the port first: ssh -L {port}:127.0.0.1:{port} HOST"
                );
            }
            if demo && let Some(local) = &prompt.local_url {
                println!();
                println!(
                    "demo: the simulated Google approves at once; `curl -sL {local}` plays the browser."
                );
            }
        }
        LoginMethod::Device => {
            println!("On any device, open this address and enter the code:");
            println!();
            println!("  {}", prompt.url);
            if let Some(code) = &prompt.user_code {
                println!();
                println!("  code: {code}");
            }
            print_qr(&prompt.qr, "or scan it with your phone");
            if demo && let Some(code) = &prompt.user_code {
                println!(
                    "demo: approve with `curl -s '{}?user_code={code}&approve=1'`",
                    prompt.url
                );
            }
        }
    }
    println!();
    println!("Waiting until {expires}…");
}

fn print_qr(qr: &str, caption: &str) {
    if qr.is_empty() {
        return;
    }
    println!();
    println!("{caption}:");
    println!("{qr}");
    println!();
}

fn print_event(event: &LoginProgress) {
    match event {
        // The prompt has its own printer, the outcome is printed last, and a failure comes
        // back as the command's error.
        LoginProgress::Prompt(_) | LoginProgress::Done(_) | LoginProgress::Failed { .. } => {}
        LoginProgress::BrowserOpened => println!("Opened your browser."),
        LoginProgress::Waiting { remaining_secs } => {
            // A line a minute (and near the end) is enough for a log-like terminal.
            let s = *remaining_secs;
            if s > 0 && (s % 60 == 0 || s == 30 || s == 10) {
                println!("  still waiting: {}:{:02} left", s / 60, s % 60);
            }
        }
        LoginProgress::PasteIgnored { reason } => println!("  not used: {reason}"),
        LoginProgress::SlowDown { interval_secs } => {
            println!("  the server asked to poll less often (every {interval_secs} s)");
        }
        LoginProgress::Exchanging => println!("Authorized; fetching tokens…"),
        LoginProgress::Discovering => {
            println!("Reading the account and finding its Cloud Code project…");
        }
    }
}
