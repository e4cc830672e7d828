//! The terminal while the console owns it: raw mode, the alternate screen and bracketed paste,
//! undone by a guard on every way out — quit, Ctrl-C, an error, and a panic on the UI thread.
//! A panic on any other thread (a request handler) is only logged: the UI keeps running.

use std::io::{self, Write as _};

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

pub type Tui = Terminal<CrosstermBackend<io::Stdout>>;

/// Owns the terminal set-up; dropping it restores the terminal.
pub struct TerminalGuard {
    /// Always `Some` until dropped; see `Drop`.
    terminal: Option<Tui>,
    /// The thread that may restore the terminal from the panic hook.
    ui_thread: std::thread::ThreadId,
}

impl TerminalGuard {
    pub fn enter() -> anyhow::Result<Self> {
        install_panic_hook();
        enable_raw_mode()?;
        let mut stdout = io::stdout();
        if let Err(e) = execute!(stdout, EnterAlternateScreen, EnableBracketedPaste) {
            restore();
            return Err(e.into());
        }
        let terminal = Terminal::new(CrosstermBackend::new(stdout))?;
        Ok(Self {
            terminal: Some(terminal),
            ui_thread: std::thread::current().id(),
        })
    }

    /// Gives the terminal back for a while (to run `$EDITOR`).
    pub fn suspend(&mut self) -> anyhow::Result<()> {
        restore();
        Ok(())
    }

    /// Takes the terminal again after `suspend`.
    pub fn resume(&mut self) -> anyhow::Result<()> {
        enable_raw_mode()?;
        execute!(io::stdout(), EnterAlternateScreen, EnableBracketedPaste)?;
        self.terminal().clear()?;
        Ok(())
    }

    /// Writes `text` to the system clipboard with OSC 52 (works over SSH and in tmux with
    /// `set-clipboard on`).
    pub fn copy_to_clipboard(&mut self, text: &str) -> io::Result<()> {
        use base64::Engine as _;
        let encoded = base64::engine::general_purpose::STANDARD.encode(text);
        let mut out = io::stdout();
        write!(out, "\x1b]52;c;{encoded}\x07")?;
        out.flush()
    }

    pub fn terminal(&mut self) -> &mut Tui {
        self.terminal
            .as_mut()
            .expect("the terminal is only taken when the guard drops")
    }

    pub fn is_ui_thread(&self) -> bool {
        std::thread::current().id() == self.ui_thread
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
        if let Some(mut terminal) = self.terminal.take()
            && terminal.show_cursor().is_err()
        {
            // The terminal is gone (hung up). ratatui's own drop would try again and print
            // the failure to stderr — that same dead terminal — which panics; skip it.
            std::mem::forget(terminal);
        }
    }
}

/// Undoes everything `enter` did; harmless when called twice.
pub fn restore() {
    let _ = execute!(io::stdout(), DisableBracketedPaste, LeaveAlternateScreen);
    let _ = disable_raw_mode();
}

/// Logs every panic; restores the terminal only for a panic on the UI (main) thread, where the
/// console is about to die anyway. Handler panics become 500s and the console stays.
fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let thread = std::thread::current();
            tracing::error!(thread = thread.name().unwrap_or("?"), "panic: {info}");
            if thread.name() == Some("main") {
                restore();
                previous(info);
            }
        }));
    });
}
