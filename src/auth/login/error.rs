//! Why a login failed, in words a user can act on. Each message says what happened and what to
//! do next; none carries a token.

use std::fmt::Write as _;

use crate::auth::RefreshError;
use crate::auth::refusal::{self, CLIENT_SETTINGS_HELP, Verdict};

/// How to bring your own OAuth client, appended to every "Google refused the client" message.
pub const OWN_CLIENT_HELP: &str = "To use your own OAuth client, create one in the Google Cloud \
     console (APIs & Services → Credentials → Create OAuth client ID; type \"Desktop app\" for the \
     browser login, \"TVs and Limited Input devices\" for --device), then set \
     ANTI_API_GOOGLE_CLIENT_ID and ANTI_API_GOOGLE_CLIENT_SECRET (or client_id and client_secret \
     under [google] in config.toml)";

/// The hint for ports that look free but cannot be bound on Windows.
const WINDOWS_PORTS_HINT: &str = "on Windows, Hyper-V/WSL may reserve them: see \
     `netsh interface ipv4 show excludedportrange protocol=tcp`";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error(
        "the login timed out after {} without an answer; start it again",
        minutes_and_seconds(*secs)
    )]
    TimedOut { secs: u64 },
    #[error(
        "the redirect's state does not match this login (possible CSRF); start the login again \
         and use only the newest link"
    )]
    StateMismatch,
    #[error("{}", consent_denied(error, description.as_deref()))]
    ConsentDenied {
        error: String,
        description: Option<String>,
    },
    #[error(
        "Google returned no refresh token; remove the app's access at \
         https://myaccount.google.com/permissions and log in again"
    )]
    NoRefreshToken,
    #[error("{}", client_refused(detail, *device))]
    ClientRefused { detail: String, device: bool },
    #[error(
        "no free callback port on 127.0.0.1: tried {} (none could be bound). Stop what holds them or set \
         callback_ports under [google] in config.toml; {WINDOWS_PORTS_HINT}",
        port_list(ports)
    )]
    PortsBusy { ports: Vec<u16> },
    #[error("the sign-in was denied on the verification page")]
    DeviceDenied,
    #[error("the device code expired before it was approved; start the login again")]
    DeviceExpired,
    #[error(
        "Google rejected the authorization code ({0}); codes are single-use and expire within \
         minutes: start the login again"
    )]
    CodeRejected(String),
    #[error("the token request failed: {0}")]
    Token(String),
    /// A refresh token given to be added (`accounts add`, the IDE import) was refused.
    #[error("{0}")]
    Refresh(RefreshError),
    #[error("could not read the account's email: {0}")]
    Userinfo(String),
    #[error("could not find the account's Cloud Code project: {0}")]
    Project(String),
    #[error("could not save the account: {0}")]
    Store(String),
    #[error("{0}")]
    Config(String),
    #[error("the login was cancelled")]
    Cancelled,
}

impl LoginError {
    /// Maps a failed code exchange: a refused client, a dead code, or trouble on the way.
    pub(crate) fn from_exchange(e: RefreshError) -> Self {
        match e {
            RefreshError::Permanent(r) if r.is_config() => Self::ClientRefused {
                detail: r.detail,
                device: false,
            },
            RefreshError::Permanent(r) => Self::CodeRejected(r.detail),
            RefreshError::Transient(detail) => Self::Token(detail),
        }
    }
}

/// Whether an OAuth error answer means Google will not talk to this client at all (the same
/// verdict as for refreshes, plus scopes the client may not ask for).
pub(crate) fn is_client_error(status: u16, code: &str, description: &str) -> bool {
    code == "invalid_scope"
        || matches!(refusal::classify(status, code, description), Verdict::Refused(r) if r.is_config())
}

fn consent_denied(error: &str, description: Option<&str>) -> String {
    let mut s = format!("Google did not authorize the login ({error}");
    if let Some(d) = description {
        let _ = write!(s, ": {d}");
    }
    s.push_str(
        "). If you did not cancel on the consent page, Google may be blocking this OAuth client. ",
    );
    s.push_str(OWN_CLIENT_HELP);
    s
}

fn client_refused(detail: &str, device: bool) -> String {
    if device {
        format!(
            "Google refused the device login for this OAuth client ({detail}). Google's device \
             flow only accepts clients of type \"TVs and Limited Input devices\" and a short list \
             of scopes; the default Antigravity client is a desktop client. Log in without \
             --device instead (over SSH, paste the redirect URL back or forward port 51121), or \
             bring a client that is allowed. {OWN_CLIENT_HELP}"
        )
    } else {
        format!(
            "Google refused the OAuth client ({detail}). {CLIENT_SETTINGS_HELP}. {OWN_CLIENT_HELP}"
        )
    }
}

/// `51121–51131` for a contiguous range, else the ports one by one.
fn port_list(ports: &[u16]) -> String {
    let contiguous = ports.windows(2).all(|w| w[1] == w[0].wrapping_add(1));
    match ports {
        [] => "no ports (callback_ports is empty)".into(),
        [one] => one.to_string(),
        [first, .., last] if contiguous => format!("{first}–{last}"),
        _ => ports
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn minutes_and_seconds(secs: u64) -> String {
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_lists_read_naturally() {
        assert_eq!(
            port_list(&(51121..=51131).collect::<Vec<_>>()),
            "51121–51131"
        );
        assert_eq!(port_list(&[8080, 9090]), "8080, 9090");
        assert_eq!(port_list(&[5]), "5");
        let msg = LoginError::PortsBusy {
            ports: vec![51121, 51122],
        }
        .to_string();
        assert!(msg.contains("tried 51121–51122 "), "{msg}");
        assert!(
            msg.contains("netsh interface ipv4 show excludedportrange"),
            "{msg}"
        );
    }

    #[test]
    fn exchange_errors_are_told_apart() {
        let refused = |status, code, description| match refusal::classify(status, code, description)
        {
            Verdict::Refused(r) => RefreshError::Permanent(r),
            Verdict::Transient(d) => RefreshError::Transient(d),
        };
        let client = LoginError::from_exchange(refused(
            401,
            "invalid_client",
            "The OAuth client was not found.",
        ));
        assert!(matches!(
            client,
            LoginError::ClientRefused { device: false, .. }
        ));
        let msg = client.to_string();
        assert!(
            msg.contains("ANTI_API_GOOGLE_CLIENT_ID") && msg.contains("[google]"),
            "{msg}"
        );
        let missing =
            LoginError::from_exchange(refused(400, "invalid_request", "client_secret is missing."));
        assert!(
            matches!(missing, LoginError::ClientRefused { .. }),
            "{missing:?}"
        );
        let code = LoginError::from_exchange(refused(400, "invalid_grant", "x"));
        assert!(matches!(code, LoginError::CodeRejected(_)));
        let net = LoginError::from_exchange(RefreshError::Transient("timed out".into()));
        assert!(matches!(net, LoginError::Token(_)));
    }

    #[test]
    fn timeouts_say_how_long() {
        assert!(
            LoginError::TimedOut { secs: 300 }
                .to_string()
                .contains("5 min")
        );
        assert!(LoginError::TimedOut { secs: 2 }.to_string().contains("2 s"));
    }
}
