//! What a token endpoint error means, and whose fault it is: the account's grant (only a new
//! login helps), the OAuth client the proxy is configured with (only a configuration change
//! helps, and no account is to blame), or neither (worth trying again). Pure: status, error
//! code and description in, a verdict out.

use std::fmt;

/// Where the client settings live, said in every "the client was refused" message.
pub const CLIENT_SETTINGS_HELP: &str = "This is a configuration problem, not the account's: \
     check client_id and client_secret under [google] in config.toml (or the \
     ANTI_API_GOOGLE_CLIENT_ID and ANTI_API_GOOGLE_CLIENT_SECRET environment variables); with \
     neither set, the built-in Antigravity client and its secret are used. Restart after \
     changing them";

/// Who Google refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The refresh token or code: revoked, expired, used. A new login helps.
    Account,
    /// The OAuth client itself (unknown id, missing or wrong secret): every account fails the
    /// same way until the configuration changes.
    Client,
    /// The pairing of this refresh token with the configured client: the token was issued to
    /// another client (`unauthorized_client`). Other accounts may be fine.
    ClientForToken,
}

/// A refusal that retrying will not change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub party: Refused,
    /// Google's `error: error_description`, or the HTTP status.
    pub detail: String,
}

impl Refusal {
    pub fn account(detail: impl Into<String>) -> Self {
        Self {
            party: Refused::Account,
            detail: detail.into(),
        }
    }

    /// Whether the configuration, not the account, has to change.
    pub fn is_config(&self) -> bool {
        matches!(self.party, Refused::Client | Refused::ClientForToken)
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let detail = &self.detail;
        match self.party {
            Refused::Account => write!(
                f,
                "Google refused the refresh token ({detail}); log in again with \
                 `anti-api-tui login`"
            ),
            Refused::Client => write!(
                f,
                "Google refused the OAuth client this proxy uses ({detail}). \
                 {CLIENT_SETTINGS_HELP}"
            ),
            Refused::ClientForToken => write!(
                f,
                "Google refused to refresh this account's token with the configured OAuth client \
                 ({detail}): the token was issued to another client (for example the one an \
                 Antigravity IDE signed in with). {CLIENT_SETTINGS_HELP}; or log in again with \
                 `anti-api-tui login` to get a token for the configured client"
            ),
        }
    }
}

/// The verdict on a failed token request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Refused(Refusal),
    /// Network trouble, a 5xx, a 429, or an answer not understood: try again later.
    Transient(String),
}

/// Classifies a token endpoint error answer. Google's bodies: `invalid_grant` for a dead grant;
/// 401 `invalid_client` "Unauthorized" (wrong secret) or "The OAuth client was not found."
/// (unknown id); 400 `invalid_request` "`client_secret` is missing." and "Could not determine
/// client ID from request."; 401 `unauthorized_client` "Unauthorized" for a refresh token of
/// another client. A bare 401 is a failed client authentication (RFC 6749 §5.2).
pub fn classify(status: u16, code: &str, description: &str) -> Verdict {
    let detail = match (code.is_empty(), description.is_empty()) {
        (false, false) => format!("{code}: {description}"),
        (false, true) => code.to_owned(),
        (true, _) => format!("HTTP {status}"),
    };
    let refused = |party| {
        Verdict::Refused(Refusal {
            party,
            detail: detail.clone(),
        })
    };
    let about_client = {
        let d = description.to_ascii_lowercase();
        d.contains("client_secret") || d.contains("client id") || d.contains("client_id")
    };
    match code {
        "invalid_grant" => refused(Refused::Account),
        "invalid_client" => refused(Refused::Client),
        "unauthorized_client" => refused(Refused::ClientForToken),
        "invalid_request" if about_client => refused(Refused::Client),
        _ if status == 401 => refused(Refused::Client),
        _ => Verdict::Transient(detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn party(status: u16, code: &str, description: &str) -> Option<Refused> {
        match classify(status, code, description) {
            Verdict::Refused(r) => Some(r.party),
            Verdict::Transient(_) => None,
        }
    }

    #[test]
    fn googles_answers_are_told_apart() {
        let cases = [
            (
                400,
                "invalid_grant",
                "Token has been expired or revoked.",
                Some(Refused::Account),
            ),
            (401, "invalid_client", "Unauthorized", Some(Refused::Client)),
            (
                401,
                "invalid_client",
                "The OAuth client was not found.",
                Some(Refused::Client),
            ),
            (
                400,
                "invalid_request",
                "client_secret is missing.",
                Some(Refused::Client),
            ),
            (
                400,
                "invalid_request",
                "Could not determine client ID from request.",
                Some(Refused::Client),
            ),
            (
                401,
                "unauthorized_client",
                "Unauthorized",
                Some(Refused::ClientForToken),
            ),
            (401, "", "", Some(Refused::Client)),
            (
                400,
                "invalid_request",
                "Missing required parameter: refresh_token",
                None,
            ),
            (500, "internal_failure", "", None),
            (429, "rate_limit_exceeded", "", None),
            (503, "", "", None),
        ];
        for (status, code, description, want) in cases {
            assert_eq!(
                party(status, code, description),
                want,
                "{status} {code} {description}"
            );
        }
    }

    #[test]
    fn client_refusals_say_what_to_set_and_account_ones_say_log_in() {
        let Verdict::Refused(client) =
            classify(400, "invalid_request", "client_secret is missing.")
        else {
            panic!("not refused")
        };
        assert!(client.is_config());
        let msg = client.to_string();
        for needle in [
            "client_secret is missing.",
            "[google]",
            "config.toml",
            "ANTI_API_GOOGLE_CLIENT_ID",
            "ANTI_API_GOOGLE_CLIENT_SECRET",
            "not the account's",
        ] {
            assert!(msg.contains(needle), "{needle}: {msg}");
        }
        assert!(!msg.contains("log in again"), "{msg}");
        let Verdict::Refused(grant) = classify(400, "invalid_grant", "Bad Request") else {
            panic!("not refused")
        };
        assert!(!grant.is_config());
        assert!(grant.to_string().contains("log in again"), "{grant}");
        assert_eq!(classify(502, "", ""), Verdict::Transient("HTTP 502".into()));
    }
}
