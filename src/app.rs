//! The console's loop: terminal input, the engine's bus, effect answers, log lines and a clock
//! all become `Action`s; `update` applies them and returns effects for the runner; the screen
//! is redrawn only when something changed, at most ~30 times a second.

pub mod action;
pub mod command_line;
pub mod demo_traffic;
pub mod effect;
pub mod history;
pub mod keymap;
pub mod row_filter;
pub mod rows;
pub mod state;
pub mod stats;
pub mod terminal;
pub mod update;

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::Utc;
use crossterm::event::{Event, EventStream};
use futures::StreamExt as _;
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use self::action::Action;
use self::effect::{Effect, EffectRunner};
use self::state::AppState;
use self::terminal::TerminalGuard;
use crate::core::Core;
use crate::events::ProxyEvent;
use crate::logging::LogLine;

/// The shortest time between two frames (~30 fps).
pub const FRAME: Duration = Duration::from_millis(33);
/// How many bus events are applied before input gets another look.
const DRAIN_BATCH: usize = 1024;
/// How often account state is re-read (cooldowns expire without an event).
const ACCOUNTS_REFRESH: Duration = Duration::from_secs(5);
/// How often the console checks that its terminal is still there.
const TERMINAL_CHECK: Duration = Duration::from_secs(1);

/// Everything the console needs besides the engine.
pub struct ConsoleOptions {
    pub demo: bool,
    pub history: Option<crate::store::HistoryStore>,
    pub logs: Option<mpsc::Receiver<LogLine>>,
    pub data_dir: PathBuf,
    pub config_file: PathBuf,
    /// Subscribed before the proxy started, so no early event is missed.
    pub bus: broadcast::Receiver<ProxyEvent>,
    /// Cancelled by a signal (SIGTERM, SIGHUP): the console quits.
    pub stop: CancellationToken,
}

/// Runs the console until the user quits or `stop` fires. The terminal is restored on return.
pub async fn run(core: Core, options: ConsoleOptions) -> anyhow::Result<()> {
    let ConsoleOptions {
        demo,
        history,
        mut logs,
        data_dir,
        config_file,
        mut bus,
        stop,
    } = options;
    let mut guard = TerminalGuard::enter()?;
    let size = guard.terminal().size()?;
    let mut state = AppState::new(Utc::now(), (size.width, size.height));
    state.utc_offset = *chrono::Local::now().offset();
    state.server.listen = core.listen_addr();
    state.server.demo = demo;
    state.server.history = history.is_some();
    state.server.login_available = true;
    let (action_tx, mut action_rx) = mpsc::unbounded_channel();
    let (terminal_tx, mut terminal_rx) = mpsc::unbounded_channel();
    let runner = EffectRunner::new(
        core,
        history,
        action_tx,
        terminal_tx,
        data_dir,
        config_file,
        demo,
    )?;
    for effect in [
        Effect::LoadHistory,
        Effect::LoadAccounts,
        Effect::LoadModels,
        Effect::LoadFlows,
    ] {
        runner.run(effect);
    }
    let mut input = EventStream::new();
    let mut last_draw = Instant::now()
        .checked_sub(FRAME)
        .unwrap_or_else(Instant::now);
    let mut last_accounts = Instant::now();
    let mut last_terminal_check = Instant::now();
    loop {
        let wake = if state.dirty {
            last_draw + FRAME
        } else {
            Instant::now() + Duration::from_secs(1)
        };
        let mut actions = Vec::new();
        tokio::select! {
            biased;
            () = stop.cancelled() => actions.push(Action::Quit),
            event = input.next() => match event {
                Some(Ok(event)) => actions.extend(terminal_action(&state, event)),
                Some(Err(_)) if terminal_gone() => actions.push(Action::Quit),
                Some(Err(e)) => return Err(e.into()),
                None => actions.push(Action::Quit),
            },
            Some(effect) = terminal_rx.recv() => {
                terminal_effect(&mut guard, &runner, effect).await;
                state.dirty = true;
            }
            Some(action) = action_rx.recv() => actions.push(action),
            first = bus.recv() => {
                push_bus(&mut actions, first);
                while actions.len() < DRAIN_BATCH {
                    match bus.try_recv() {
                        Ok(event) => actions.push(Action::Proxy(event)),
                        Err(broadcast::error::TryRecvError::Lagged(n)) => actions.push(Action::Lagged(n)),
                        Err(_) => break,
                    }
                }
            }
            Some(line) = next_log(&mut logs) => {
                actions.push(Action::Log(line));
                while let Some(Ok(line)) = logs.as_mut().map(mpsc::Receiver::try_recv) {
                    actions.push(Action::Log(line));
                    if actions.len() >= DRAIN_BATCH { break; }
                }
            }
            () = tokio::time::sleep_until(wake.into()) => {}
        }
        if last_terminal_check.elapsed() >= TERMINAL_CHECK {
            last_terminal_check = Instant::now();
            // Its input would only ever read end-of-file: quit rather than spin.
            if terminal_gone() {
                actions.push(Action::Quit);
            }
        }
        actions.insert(0, Action::Tick(Utc::now()));
        if last_accounts.elapsed() >= ACCOUNTS_REFRESH {
            last_accounts = Instant::now();
            runner.run(Effect::LoadAccounts);
        }
        for action in actions {
            for effect in update::update(&mut state, action) {
                runner.run(effect);
            }
        }
        if state.quit {
            break;
        }
        if state.dirty && last_draw.elapsed() >= FRAME {
            if let Err(e) = guard
                .terminal()
                .draw(|frame| crate::ui::render(frame, &state))
            {
                if terminal_gone() {
                    break;
                }
                return Err(e.into());
            }
            state.dirty = false;
            last_draw = Instant::now();
        }
    }
    drop(guard);
    Ok(())
}

/// The terminal hung up (SSH dropped, the pane closed) without a signal reaching us.
fn terminal_gone() -> bool {
    let gone = !std::io::stdout().is_terminal();
    if gone {
        tracing::warn!("the terminal went away: closing the console");
    }
    gone
}

fn push_bus(actions: &mut Vec<Action>, received: Result<ProxyEvent, broadcast::error::RecvError>) {
    match received {
        Ok(event) => actions.push(Action::Proxy(event)),
        Err(broadcast::error::RecvError::Lagged(n)) => actions.push(Action::Lagged(n)),
        // The engine is gone; the console stays until the user quits.
        Err(broadcast::error::RecvError::Closed) => {}
    }
}

async fn next_log(logs: &mut Option<mpsc::Receiver<LogLine>>) -> Option<LogLine> {
    match logs {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

fn terminal_action(state: &AppState, event: Event) -> Option<Action> {
    match event {
        Event::Key(key) => keymap::action_for(state, key),
        Event::Resize(w, h) => Some(Action::Resize(w, h)),
        Event::Paste(text) => Some(Action::Paste(text)),
        _ => None,
    }
}

/// Effects that need the terminal: the clipboard and the editor.
async fn terminal_effect(guard: &mut TerminalGuard, runner: &EffectRunner, effect: Effect) {
    match effect {
        Effect::Clipboard(text) => {
            if let Err(e) = guard.copy_to_clipboard(&text) {
                tracing::warn!("clipboard: {e}");
            }
        }
        Effect::EditAndReplay(id) => {
            if let Err(e) = edit_and_replay(guard, runner, id).await {
                runner.run_notice(format!("edit: {e:#}"));
            }
        }
        other => runner.run(other),
    }
}

async fn edit_and_replay(
    guard: &mut TerminalGuard,
    runner: &EffectRunner,
    id: crate::events::RequestId,
) -> anyhow::Result<()> {
    let (_, body) = runner.client_request(id).await?;
    let pretty = serde_json::from_str::<serde_json::Value>(&body)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or(body);
    let file = std::env::temp_dir().join(format!("anti-api-tui-{id}.json"));
    std::fs::write(&file, pretty)?;
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .unwrap_or_else(|_| "vi".into());
    guard.suspend()?;
    // The editor may be "code --wait": split off its arguments.
    let mut words = editor.split_whitespace();
    let status = std::process::Command::new(words.next().unwrap_or("vi"))
        .args(words)
        .arg(&file)
        .status();
    guard.resume()?;
    let edited = std::fs::read_to_string(&file)?;
    let _ = std::fs::remove_file(&file);
    if !status?.success() {
        anyhow::bail!("the editor failed; nothing sent");
    }
    runner.replay_edited(id, edited);
    Ok(())
}
