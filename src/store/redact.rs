//! Redaction of captured bodies before they are stored: values of credential- and
//! identity-bearing JSON keys and form fields, then e-mail addresses and Google tokens anywhere
//! in the text.
//!
//! It scans text rather than parsing JSON because bodies are often not one JSON document: SSE
//! (`data: {…}` lines), one JSON per line, or JSON cut at the capture cap. Everything that is not
//! redacted is kept byte for byte, so a stored client request replays as it was sent.

use std::borrow::Cow;

pub const REDACTED: &str = "[redacted]";

/// Keys whose values are replaced wherever they appear (compared ignoring ASCII case).
const KEYS: &[&str] = &[
    "project",
    "requestId",
    "sessionId",
    "access_token",
    "refresh_token",
    "id_token",
    "authorization",
    "x-api-key",
    "x-goog-api-key",
    "api_key",
    "client_secret",
    "email",
];

/// Form fields (`key=value` after the start, `&` or `?`) whose values are replaced: OAuth token
/// requests and redirect URLs carry their secrets this way, URL-encoded (`1%2F%2F…`), which
/// the token shapes below would miss.
const FORM_KEYS: &[&str] = &[
    "client_secret",
    "refresh_token",
    "access_token",
    "id_token",
    "code",
    "code_verifier",
    "device_code",
];

/// Token shapes: Google access tokens, Google refresh tokens (also with JSON-escaped slashes),
/// OAuth client secrets.
const TOKEN_PREFIXES: &[&str] = &["ya29.", "1//", "1\\/\\/", "GOCSPX-"];
const MIN_TOKEN_TAIL: usize = 8;

/// The text with secrets replaced; borrowed as it is when there are none (no copy).
pub fn redact(text: &str) -> Cow<'_, str> {
    then(then(redact_keys(text), redact_form_fields), redact_patterns)
}

/// `next` over what the previous pass left, borrowing as long as nothing was replaced.
fn then(done: Cow<'_, str>, next: fn(&str) -> Cow<'_, str>) -> Cow<'_, str> {
    match done {
        Cow::Borrowed(text) => next(text),
        Cow::Owned(text) => Cow::Owned(next(&text).into_owned()),
    }
}

fn redact_form_fields(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    let mut out = String::new();
    let (mut copied, mut i) = (0, 0);
    while let Some(at) = text[i..].find('=').map(|at| i + at) {
        let key_start = b[..at]
            .iter()
            .rposition(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
            .map_or(0, |p| p + 1);
        let boundary = key_start == 0 || matches!(b[key_start - 1], b'&' | b'?');
        let key = &text[key_start..at];
        let value_end = b[at + 1..]
            .iter()
            .position(|c| matches!(c, b'&' | b'#' | b'"' | b'\'' | b'<') || c.is_ascii_whitespace())
            .map_or(b.len(), |p| at + 1 + p);
        if boundary
            && key_start >= copied
            && value_end > at + 1
            && FORM_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
        {
            if out.capacity() == 0 {
                out.reserve(text.len());
            }
            out.push_str(&text[copied..=at]);
            out.push_str(REDACTED);
            copied = value_end;
        }
        i = value_end.max(at + 1);
    }
    finish(text, out, copied)
}

fn redact_keys(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    // Allocated at the first sensitive key only.
    let mut out = String::new();
    let (mut copied, mut i) = (0, 0);
    while i < b.len() {
        if b[i] != b'"' {
            i += 1;
            continue;
        }
        let Some(end) = string_end(b, i) else { break };
        let colon = skip_ws(b, end);
        if colon < b.len() && b[colon] == b':' && is_sensitive(&text[i + 1..end - 1]) {
            let value = skip_ws(b, colon + 1);
            let value_end = value_end(b, value);
            if out.capacity() == 0 {
                out.reserve(text.len());
            }
            out.push_str(&text[copied..value]);
            out.push('"');
            out.push_str(REDACTED);
            out.push('"');
            copied = value_end;
            i = value_end;
        } else {
            i = end;
        }
    }
    finish(text, out, copied)
}

/// `out` followed by the rest of `text` from `copied`; `text` itself when nothing was replaced.
fn finish(text: &str, mut out: String, copied: usize) -> Cow<'_, str> {
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

fn is_sensitive(key: &str) -> bool {
    KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
}

/// The index after the closing quote of the string opening at `start`; `None` when cut off.
fn string_end(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// The end of the JSON value starting at `i`; the end of the text when the value is cut off.
fn value_end(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        None => i,
        Some(b'"') => string_end(b, i).unwrap_or(b.len()),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => match string_end(b, j) {
                        Some(end) => {
                            j = end;
                            continue;
                        }
                        None => return b.len(),
                    },
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return j + 1;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            b.len()
        }
        Some(_) => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']') && !b[j].is_ascii_whitespace()
            {
                j += 1;
            }
            j
        }
    }
}

fn redact_patterns(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    let mut out = String::new();
    let (mut copied, mut i) = (0, 0);
    while i < b.len() {
        let found = match b[i] {
            b'@' => email_at(b, i, copied),
            // The first bytes of `TOKEN_PREFIXES`: no other byte can start a token.
            b'y' | b'1' | b'G' => token_at(b, i),
            _ => None,
        };
        match found {
            Some((start, end)) => {
                if out.capacity() == 0 {
                    out.reserve(text.len());
                }
                out.push_str(&text[copied..start]);
                out.push_str(REDACTED);
                copied = end;
                i = end;
            }
            None => i += 1,
        }
    }
    finish(text, out, copied)
}

fn is_local_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn is_token_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-')
}

/// The span of an e-mail address around the `@` at `at`, not reaching back before `floor`.
fn email_at(b: &[u8], at: usize, floor: usize) -> Option<(usize, usize)> {
    let mut start = at;
    while start > floor && is_local_char(b[start - 1]) {
        start -= 1;
    }
    // `\nalice@…` inside a JSON string: the `n` belongs to the escape, keep it.
    if start > floor && b[start - 1] == b'\\' {
        start += 1;
    }
    while start < at && b[start] == b'.' {
        start += 1;
    }
    if start == at {
        return None;
    }
    let mut end = at + 1;
    while end < b.len() && (b[end].is_ascii_alphanumeric() || matches!(b[end], b'.' | b'-')) {
        end += 1;
    }
    while end > at + 1 && matches!(b[end - 1], b'.' | b'-') {
        end -= 1;
    }
    let domain = &b[at + 1..end];
    let tld = domain.rsplit(|&c| c == b'.').next().unwrap_or_default();
    let dotted = domain.contains(&b'.') && !domain.starts_with(b".");
    (dotted && tld.len() >= 2 && tld.iter().all(u8::is_ascii_alphabetic)).then_some((start, end))
}

fn token_at(b: &[u8], i: usize) -> Option<(usize, usize)> {
    if i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'/') {
        return None;
    }
    let prefix = TOKEN_PREFIXES
        .iter()
        .find(|p| b[i..].starts_with(p.as_bytes()))?;
    let tail = i + prefix.len();
    let mut end = tail;
    while end < b.len() && is_token_char(b[end]) {
        end += 1;
    }
    (end - tail >= MIN_TOKEN_TAIL).then_some((i, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_keys_lose_their_values_whatever_the_value() {
        let text = r#"{"project":"sim-project-a","model":"m","requestId":"agent-1","x":{"sessionId": 42,
            "Authorization" : "Bearer ya29.abc","email":{"a":["b"]},"keep":"yes"},"access_token":null}"#;
        let got = redact(text);
        for gone in ["sim-project-a", "agent-1", "42", "Bearer", "\"b\"", "null"] {
            assert!(!got.contains(gone), "{gone} in {got}");
        }
        assert!(
            got.contains(r#""model":"m""#) && got.contains(r#""keep":"yes""#),
            "{got}"
        );
        assert_eq!(got.matches(REDACTED).count(), 6, "{got}");
        let value: serde_json::Value = serde_json::from_str(&got).unwrap();
        assert_eq!(value["x"]["email"], REDACTED);
    }

    #[test]
    fn works_on_sse_lines_and_cut_bodies() {
        let sse =
            "event: x\ndata: {\"project\":\"p1\",\"n\":1}\n\ndata: {\"requestId\":\"r2\"}\n\n";
        let got = redact(sse);
        assert!(!got.contains("p1") && !got.contains("r2"), "{got}");
        assert!(
            got.starts_with("event: x\ndata: {") && got.ends_with("}\n\n"),
            "{got}"
        );
        assert_eq!(
            redact(r#"{"a":1,"project":"sim-proj"#),
            r#"{"a":1,"project":"[redacted]""#
        );
        assert_eq!(
            redact(r#"{"project": {"id":"x","#),
            r#"{"project": "[redacted]""#
        );
        assert_eq!(redact(r#"{"project":"#), r#"{"project":"[redacted]""#);
        assert_eq!(redact(r#"{"pro"#), r#"{"pro"#);
    }

    #[test]
    fn emails_and_google_tokens_anywhere() {
        let got = redact(
            "mail alice.b+x@example.com, or bob@mail.example.co.uk. token ya29.A0ARrdaM-xyz_123 \
             refresh 1//0gAbCdEfGhIj and \"1\\/\\/0gZZZZZZZZZZ\" secret GOCSPX-abcdefghij",
        );
        assert_eq!(
            got,
            "mail [redacted], or [redacted]. token [redacted] refresh [redacted] and \
             \"[redacted]\" secret [redacted]"
        );
    }

    #[test]
    fn form_bodies_and_redirect_urls_lose_their_secrets() {
        let token_form = "client_id=abc.apps.googleusercontent.com&client_secret=own-secret-1\
                          &grant_type=refresh_token&refresh_token=1%2F%2F0gAbCdEfGhIjKl";
        assert_eq!(
            redact(token_form),
            "client_id=abc.apps.googleusercontent.com&client_secret=[redacted]\
             &grant_type=refresh_token&refresh_token=[redacted]"
        );
        let builtin = "client_secret=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&code=4%2F0AeanS0x\
                       &code_verifier=abc_DEF-123";
        let got = redact(builtin);
        assert!(
            !got.contains("GOCSPX") && !got.contains("0AeanS0x"),
            "{got}"
        );
        assert!(!got.contains("abc_DEF"), "{got}");
        let url = r#"{"u":"http://localhost:51121/oauth-callback?state=s1&code=4/0Aean"}"#;
        assert_eq!(
            redact(url),
            r#"{"u":"http://localhost:51121/oauth-callback?state=s1&code=[redacted]"}"#
        );
        // Prose and other fields are not forms: kept byte for byte.
        let keep = "exit code=3, a=b&mode=fast, x_code=1";
        assert_eq!(redact(keep), keep);
    }

    #[test]
    fn leaves_look_alikes_and_json_escapes_alone() {
        let keep = "a@b, @user, x@localhost, v1.2@3.4, http://host/1//short, ya29.x, user@host.c0m";
        assert_eq!(redact(keep), keep);
        // The escape's letter is not part of the address, so the JSON stays valid.
        let json = r#"{"text":"line\nalice@example.com\tend"}"#;
        let got = redact(json);
        assert_eq!(got, r#"{"text":"line\n[redacted]\tend"}"#);
        serde_json::from_str::<serde_json::Value>(&got).unwrap();
    }

    #[test]
    fn non_ascii_text_is_kept_intact() {
        let text = r#"{"text":"héllo ✓ wörld","project":"ü-project","e":"ünï@example.com"}"#;
        let got = redact(text);
        assert!(
            got.contains("héllo ✓ wörld") && !got.contains("ü-project"),
            "{got}"
        );
    }
}
