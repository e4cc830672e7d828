//! Refusals that are not about quota, decided once for `execute.rs`: a prompt the gateway
//! rejects with a bare `RESOURCE_EXHAUSTED` (stop, cool nothing, rotate through nobody), and an
//! account Google wants verified (`VALIDATION_REQUIRED`: mark it and show the link once).

use std::time::Duration;

use super::Core;
use crate::translate::ir::{ErrorInfo, ErrorKind};
use crate::upstream::classify::UpstreamFailure;

/// How long to wait before the one retry of a bare `RESOURCE_EXHAUSTED` on the same account:
/// long enough for a real brief shortage to clear.
pub(super) const BARE_RETRY_WAIT: Duration = Duration::from_secs(1);

/// The client's answer when the same body got a bare `RESOURCE_EXHAUSTED` twice.
///
/// A 400 `invalid_request_error`, not a 429: Claude Code and the Anthropic/OpenAI SDKs retry a
/// 429 on their own (with backoff, several times), which would only send the refused prompt to
/// Google again and again; a 400 is shown to the user, who is the one who can change the prompt
/// or the identity list.
pub(super) fn refused_prompt(failure: &UpstreamFailure, model: &str) -> ErrorInfo {
    ErrorInfo::new(
        400,
        ErrorKind::InvalidRequest,
        format!(
            "Antigravity refused this prompt for {model}: it answered \"{}\" twice to the same \
             request, with no quota details. This is not a quota problem (no account was cooled \
             and no other account was tried): Google's gateway answers this way to prompts it \
             rejects, most often a third-party client's identity text in the system prompt. The \
             proxy removes the known ones before sending; add the text that triggers it to \
             `[upstream.identity]` (`remove` or `replace`) in config.toml and retry.",
            failure.message.trim()
        ),
    )
}

impl Core {
    /// Google wants the account verified: the account is quarantined with the link (so it is
    /// not tried again until the user enables it), and the client is told where to go.
    pub(super) fn needs_verification(
        &self,
        account: &str,
        failure: &UpstreamFailure,
        model: &str,
    ) -> ErrorInfo {
        let link = failure
            .validation_url
            .as_deref()
            .unwrap_or("(no link given; sign in to Antigravity with the account)");
        self.accounts().quarantine(
            account,
            &format!(
                "Google asks to verify the account: open {link} signed in as it, then enable it \
                 again ({})",
                failure.message.trim()
            ),
        );
        ErrorInfo::new(
            403,
            ErrorKind::Permission,
            format!(
                "Google asks to verify the account {account} before it serves {model} again: {}. \
                 Open the link signed in as that account, then enable it again (`anti-api-tui \
                 accounts enable {account}`, or the console's Accounts tab); until then the \
                 proxy does not use it.",
                failure.message.trim()
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upstream::classify::classify;

    #[test]
    fn a_refused_prompt_is_a_400_that_names_the_identity_list() {
        let body = br#"{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","message":"Resource has been exhausted (e.g. check quota)."}}"#;
        let failure = classify(429, None, body, chrono::Utc::now());
        let e = refused_prompt(&failure, "gemini-3-flash");
        assert_eq!((e.status, e.kind), (400, ErrorKind::InvalidRequest));
        assert_eq!(e.retry_after_secs, None);
        for needle in [
            "gemini-3-flash",
            "not a quota problem",
            "[upstream.identity]",
            "Resource has been exhausted",
        ] {
            assert!(e.message.contains(needle), "{needle}: {}", e.message);
        }
    }
}
