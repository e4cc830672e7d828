//! What a login reports while it runs (`LoginProgress`), shared by the CLI, which prints it, and
//! the console, which renders it; plus the QR code of the URL drawn with Unicode half blocks.

use chrono::{DateTime, Utc};
use qrcode::render::unicode::Dense1x2;
use qrcode::{EcLevel, QrCode};
use serde::Serialize;

/// Which OAuth grant a login uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginMethod {
    /// Authorization code with PKCE: the browser comes back to a loopback listener, or the user
    /// pastes the redirect URL or the code.
    Browser,
    /// RFC 8628 device authorization grant: the user enters a code on another device.
    Device,
}

/// What the user has to do, shown once at the start of a login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoginPrompt {
    pub method: LoginMethod,
    /// The page to open: Google's authorization URL, or the device verification URL.
    pub url: String,
    /// A short link to the same page that only works on this machine (the loopback listener
    /// redirects it), for terminals that mangle long URLs when copying.
    pub local_url: Option<String>,
    /// The code to enter on the verification page (device grant only).
    pub user_code: Option<String>,
    /// A QR code of the page to open on a phone (the complete verification URL when the server
    /// gives one), drawn with half blocks; empty when the URL is too long for a QR code.
    pub qr: String,
    pub expires_at: DateTime<Utc>,
    /// Whether pasted text (a redirect URL or a bare code) is accepted.
    pub accepts_paste: bool,
}

/// The account a finished login stored. No tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoggedIn {
    pub account_id: String,
    pub email: String,
    pub project: String,
    pub tier: Option<String>,
}

/// One step of a login, in order: `Prompt`, then `Waiting` ticks (with `BrowserOpened`,
/// `PasteIgnored`, `SlowDown` in between), `Exchanging`, `Discovering`, and `Done` or `Failed`
/// last. Never carries a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LoginProgress {
    Prompt(LoginPrompt),
    /// A browser was started on this machine with the URL.
    BrowserOpened,
    /// Once a second while waiting for the user.
    Waiting {
        remaining_secs: u64,
    },
    /// Pasted text that was neither a redirect URL nor a code; the login goes on.
    PasteIgnored {
        reason: String,
    },
    /// The device endpoint asked to poll less often; polling now waits this long.
    SlowDown {
        interval_secs: u64,
    },
    /// The user approved; tokens are being fetched.
    Exchanging,
    /// Tokens arrived; reading the email and finding the Cloud Code project.
    Discovering,
    Done(LoggedIn),
    Failed {
        message: String,
    },
}

impl LoginProgress {
    /// Whether this is the last event of a login.
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Done(_) | Self::Failed { .. })
    }
}

/// Draws `text` as a QR code, two modules per character cell, with the quiet zone. Light
/// modules are the drawn (foreground) blocks, so the code reads right on the usual dark
/// terminal background; phone scanners also accept it inverted on light themes. Empty when the
/// text does not fit in a QR code.
pub fn render_qr(text: &str) -> String {
    // Low error correction keeps long authorization URLs at a size a terminal can show.
    let Ok(code) = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::L) else {
        return String::new();
    };
    code.render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .quiet_zone(true)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_is_half_blocks_with_a_solid_quiet_zone() {
        let qr = render_qr("https://example.com/device");
        let lines: Vec<&str> = qr.lines().collect();
        let width = lines[0].chars().count();
        // 25 modules (version 2) plus 4 modules of quiet zone on each side.
        assert_eq!(width, 33);
        assert!(lines.iter().all(|l| l.chars().count() == width));
        assert_eq!(lines.len(), width.div_ceil(2));
        assert!(lines[0].chars().all(|c| c == '█'), "{}", lines[0]);
        assert!(
            qr.chars()
                .all(|c| matches!(c, ' ' | '▀' | '▄' | '█' | '\n'))
        );
    }

    #[test]
    fn text_too_long_for_a_qr_code_gives_nothing() {
        assert_eq!(render_qr(&"x".repeat(5000)), "");
    }

    #[test]
    fn final_events() {
        assert!(
            LoginProgress::Failed {
                message: "x".into()
            }
            .is_final()
        );
        assert!(!LoginProgress::Exchanging.is_final());
    }
}
