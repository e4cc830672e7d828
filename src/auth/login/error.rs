//! Why a login failed, in words a user can act on. Each message says what happened and what to
//! do next; none carries a token.

use std::fmt::Write as _;

use crate::auth::RefreshError;

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
            RefreshError::Permanent(detail) if is_client_error(&detail) => Self::ClientRefused {
                detail,
                device: false,
            },
            RefreshError::Permanent(detail) => Self::CodeRejected(detail),
            RefreshError::Transient(detail) => Self::Token(detail),
        }
    }
}

/// Whether an OAuth error code means Google will not talk to this client at all.
pub(crate) fn is_client_error(detail: &str) -> bool {
    ["invalid_client", "unauthorized_client", "invalid_scope"]
        .iter()
        .any(|code| detail.contains(code))
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
        format!("Google refused the OAuth client ({detail}). {OWN_CLIENT_HELP}")
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
        let client = LoginError::from_exchange(RefreshError::Permanent(
            "invalid_client: The OAuth client was not found.".into(),
        ));
        assert!(matches!(
            client,
            LoginError::ClientRefused { device: false, .. }
        ));
        assert!(client.to_string().contains("ANTI_API_GOOGLE_CLIENT_ID"));
        let code = LoginError::from_exchange(RefreshError::Permanent("invalid_grant: x".into()));
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
