//! The authorization-code grant's pieces: PKCE (S256), the `state` value, Google's authorization
//! URL, and reading what comes back — a redirect caught by the listener, or text the user
//! pasted (a whole redirect URL, its query string, or a bare code).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth2::PkceCodeChallenge;
use url::Url;

use super::LoginError;
use crate::config::GoogleConfig;

/// The scopes Antigravity asks for (protocol §1.1).
pub const SCOPES: [&str; 5] = [
    "https://www.googleapis.com/auth/cloud-platform",
    "https://www.googleapis.com/auth/userinfo.email",
    "https://www.googleapis.com/auth/userinfo.profile",
    "https://www.googleapis.com/auth/cclog",
    "https://www.googleapis.com/auth/experimentsandconfigs",
];

/// A PKCE pair (RFC 7636): the verifier stays here, the challenge goes in the URL.
pub(crate) struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    /// A fresh random verifier (oauth2's: 32 random bytes, base64url, 43 characters).
    pub fn random() -> Self {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        Self {
            verifier: verifier.secret().clone(),
            challenge: challenge.as_str().to_owned(),
        }
    }

    #[cfg(test)]
    pub fn from_verifier(verifier: String) -> Self {
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(
            &oauth2::PkceCodeVerifier::new(verifier.clone()),
        );
        Self {
            verifier,
            challenge: challenge.as_str().to_owned(),
        }
    }
}

/// An unguessable `state` that ties the redirect to this login.
pub(crate) fn random_state() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 18]>())
}

/// Google's authorization URL for this login: offline access with forced consent, so a refresh
/// token always comes back.
pub(crate) fn authorization_url(
    google: &GoogleConfig,
    redirect_uri: &str,
    state: &str,
    pkce: &Pkce,
    login_hint: Option<&str>,
) -> Result<String, LoginError> {
    let mut url = Url::parse(&google.auth_url).map_err(|e| {
        LoginError::Config(format!(
            "the authorization URL {:?} is invalid: {e}",
            google.auth_url
        ))
    })?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("client_id", &google.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("scope", &SCOPES.join(" "))
            .append_pair("access_type", "offline")
            .append_pair("prompt", "consent")
            .append_pair("state", state)
            .append_pair("code_challenge", &pkce.challenge)
            .append_pair("code_challenge_method", "S256");
        if let Some(hint) = login_hint.filter(|h| !h.trim().is_empty()) {
            q.append_pair("login_hint", hint.trim());
        }
    }
    Ok(url.into())
}

/// What the authorization server sent back to the redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Callback {
    /// A code; `state` is `None` only for a bare code pasted by the user.
    Code { code: String, state: Option<String> },
    /// The user (or Google) refused: `error=access_denied` and friends.
    Refused {
        error: String,
        description: Option<String>,
        state: Option<String>,
    },
}

impl Callback {
    /// From the redirect's query parameters; `None` when they carry neither a code nor an error.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<Self> {
        let (mut code, mut state, mut error, mut description) = (None, None, None, None);
        for (k, v) in pairs {
            let v = Some(v.to_owned()).filter(|v| !v.is_empty());
            match k {
                "code" => code = v,
                "state" => state = v,
                "error" => error = v,
                "error_description" => description = v,
                _ => {}
            }
        }
        match (error, code) {
            (Some(error), _) => Some(Self::Refused {
                error,
                description,
                state,
            }),
            (None, Some(code)) => Some(Self::Code { code, state }),
            (None, None) => None,
        }
    }

    /// Reads pasted text: a redirect URL, a query string, or a bare code. The error says why
    /// the text was not used (the login goes on waiting).
    pub fn from_pasted(text: &str) -> Result<Self, String> {
        let text = text.trim().trim_matches(|c| c == '"' || c == '\'');
        if text.is_empty() {
            return Err("nothing was pasted".into());
        }
        let query = if text.contains("code=") || text.contains("error=") {
            // A whole URL, or just what follows its `?`.
            let after = text.split_once('?').map_or(text, |(_, q)| q);
            Some(after.split('#').next().unwrap_or(after))
        } else {
            None
        };
        if let Some(query) = query {
            let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect();
            return Self::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .ok_or_else(|| "the pasted URL has no `code` parameter".into());
        }
        // Google's codes look like `4/0AeanS0…`: no spaces, no scheme.
        if text.contains(char::is_whitespace) || text.contains("://") || text.len() < 8 {
            return Err(
                "paste the whole address the browser ended on (…/oauth-callback?state=…&code=…) \
                 or just the code"
                    .into(),
            );
        }
        Ok(Self::Code {
            code: text.to_owned(),
            state: None,
        })
    }

    /// The code, once the state matches this login and no error came back.
    pub fn accept(self, expected_state: &str) -> Result<String, LoginError> {
        match self {
            Self::Refused {
                error, description, ..
            } => Err(LoginError::ConsentDenied { error, description }),
            Self::Code { state: Some(s), .. } if !states_match(&s, expected_state) => {
                Err(LoginError::StateMismatch)
            }
            Self::Code { code, .. } => Ok(code),
        }
    }
}

/// Constant-time comparison, so the listener does not leak the state byte by byte.
pub(crate) fn states_match(got: &str, expected: &str) -> bool {
    use subtle::ConstantTimeEq as _;
    got.len() == expected.len() && bool::from(got.as_bytes().ct_eq(expected.as_bytes()))
}
