//! Export of a stored request: a curl command that re-sends it to the proxy, and a JSON bundle
//! of its four stages for bug reports. Secrets (tokens, emails, project ids) are removed unless
//! the user asks to keep them.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::super::rows::Row;
use super::super::state::StageText;
use crate::capture::Stage;

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// Replaces every occurrence of each secret, and header-like credentials, in `text`.
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        out = out.replace(secret.as_str(), REDACTED);
    }
    // Bearer tokens and Google access/refresh tokens that no account list knows about.
    for prefix in ["Bearer ", "ya29.", "1//"] {
        let mut from = 0;
        while let Some(at) = out[from..].find(prefix) {
            let start = from + at + prefix.len();
            let end = out[start..]
                .find(|c: char| c == '"' || c == '\'' || c.is_whitespace() || c == ',')
                .map_or(out.len(), |e| start + e);
            if end > start {
                out.replace_range(start..end, REDACTED);
            }
            from = start + REDACTED.len().min(out.len() - start);
        }
    }
    out
}

/// A shell-quoted single argument.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// A curl command that sends `body` to `base` + `path` as the client did, with the client
/// API's replay `headers`.
pub fn curl_command(
    base: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
    stream: bool,
) -> String {
    let mut command = format!(
        "curl -sS {}{} \\\n  -H 'content-type: application/json'",
        if stream { "-N " } else { "" },
        shell_quote(&format!("{}{path}", base.trim_end_matches('/')))
    );
    for (name, value) in headers {
        let _ = write!(
            command,
            " \\\n  -H {}",
            shell_quote(&format!("{name}: {value}"))
        );
    }
    let _ = writeln!(command, " \\\n  -d {}", shell_quote(body.trim()));
    command
}

/// The four stages and the row as one JSON document, redacted.
pub fn redacted_bundle(row: &Row, stages: &[StageText], secrets: &[String]) -> Value {
    let stage = |wanted: Stage| -> Value {
        stages
            .iter()
            .filter(|s| s.stage == wanted)
            .map(|s| {
                let body = redact(&s.body, secrets);
                // JSON bodies stay JSON; SSE and cut bodies stay text.
                let parsed = serde_json::from_str::<Value>(&body).unwrap_or(Value::String(body));
                json!({ "body": parsed, "truncated": s.truncated })
            })
            .collect::<Vec<_>>()
            .into()
    };
    let r = |text: &str| redact(text, secrets);
    json!({
        "anti_api_tui": env!("CARGO_PKG_VERSION"),
        "request": {
            "id": row.id.to_string(),
            "at": row.at.to_rfc3339(),
            "api": row.api.as_str(),
            "path": row.path,
            "model": row.model,
            "model_routed": row.model_routed,
            "account": row.account.as_deref().map(r),
            "status": row.status,
            "stream": row.stream,
            "ttft_ms": row.ttft_ms,
            "duration_ms": row.duration_ms,
            "input_tokens": row.input_tokens,
            "output_tokens": row.output_tokens,
            "error": row.error.as_deref().map(r),
            "replay_of": row.replay_of.map(|p| p.to_string()),
        },
        "client_request": stage(Stage::ClientRequest),
        "upstream_request": stage(Stage::UpstreamRequest),
        "upstream_events": stage(Stage::UpstreamEvents),
        "client_response": stage(Stage::ClientResponse),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::translate::client_api::ApiFormat;

    #[test]
    fn redaction_removes_known_secrets_and_token_shapes() {
        let secrets = vec!["alice@example.com".to_owned(), "proj-123".to_owned()];
        let text = r#"{"email":"alice@example.com","project":"proj-123","auth":"Bearer abc.def","t":"ya29.xyz"}"#;
        let out = redact(text, &secrets);
        assert!(!out.contains("alice@"), "{out}");
        assert!(!out.contains("proj-123"), "{out}");
        assert!(!out.contains("abc.def"), "{out}");
        assert!(!out.contains("xyz"), "{out}");
        assert!(out.contains("Bearer [redacted]"), "{out}");
    }

    #[test]
    fn curl_quotes_the_body_for_the_shell() {
        let cmd = curl_command(
            "http://127.0.0.1:8964/",
            "/v1/messages",
            ApiFormat::Anthropic.replay_headers(),
            r#"{"a":"it's"}"#,
            true,
        );
        assert!(
            cmd.starts_with("curl -sS -N 'http://127.0.0.1:8964/v1/messages'"),
            "{cmd}"
        );
        assert!(cmd.contains("-H 'anthropic-version: 2023-06-01'"), "{cmd}");
        assert!(cmd.contains(r#"-d '{"a":"it'\''s"}'"#), "{cmd}");
    }
}
