//! The filter language the console's search box and `anti-api-tui history` share.
//!
//! Terms separated by spaces all have to match: `status:429`, `status:4xx`, `model:opus`,
//! `acct:alice`, `api:openai`, `dur>5s`, `ttft<200ms`, `has:tool`, `has:error`,
//! `err~signature`, `stream:true`, `replay:true`, free text, `"quoted phrases"`; a leading `-`
//! negates a term. Text comparisons ignore case.

#[cfg(test)]
mod tests;

use crate::events::Outcome;
use crate::store::RequestRow;
use crate::translate::client_api::ApiFormat;

/// A parsed filter; the empty filter matches everything.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filter {
    terms: Vec<Term>,
}

/// A term that could not be understood; `term` is the term as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{term}`: {reason}")]
pub struct FilterError {
    pub term: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
struct Term {
    negated: bool,
    test: Test,
}

#[derive(Debug, Clone, PartialEq)]
enum Test {
    Status(u16),
    /// The hundreds digit: 4 for `4xx`.
    StatusClass(u16),
    Model(String),
    Account(String),
    Api(ApiFormat),
    Duration(Cmp, u64),
    Ttft(Cmp, u64),
    HasTool,
    HasError,
    Error(String),
    Stream(bool),
    Replay(bool),
    Text(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
}

const KEYS: &str = "status, model, acct, api, dur, ttft, has, err, stream, replay";

impl Filter {
    pub fn parse(text: &str) -> Result<Self, FilterError> {
        let terms = tokens(text)?
            .into_iter()
            .map(|token| parse_term(&token))
            .collect::<Result<_, _>>()?;
        Ok(Self { terms })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    pub fn matches(&self, row: &RequestRow) -> bool {
        self.matches_labelled(row, None)
    }

    /// `matches`, where `acct:` and free text also look at `account_label` (the account's
    /// e-mail, which the caller knows and the row, holding the account id, does not).
    pub fn matches_labelled(&self, row: &RequestRow, account_label: Option<&str>) -> bool {
        self.terms
            .iter()
            .all(|t| t.test.matches(row, account_label) != t.negated)
    }
}

impl std::str::FromStr for Filter {
    type Err = FilterError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Test {
    fn matches(&self, row: &RequestRow, label: Option<&str>) -> bool {
        let opt =
            |s: &Option<String>, needle: &str| s.as_deref().is_some_and(|s| contains_ci(s, needle));
        match self {
            Self::Status(code) => row.status == Some(*code),
            Self::StatusClass(class) => row.status.is_some_and(|s| s / 100 == *class),
            Self::Model(needle) => {
                contains_ci(&row.model, needle) || opt(&row.model_routed, needle)
            }
            Self::Account(needle) => {
                opt(&row.account, needle) || label.is_some_and(|l| contains_ci(l, needle))
            }
            Self::Api(api) => row.api == *api,
            Self::Duration(cmp, ms) => row.duration_ms.is_some_and(|d| cmp.holds(d, *ms)),
            Self::Ttft(cmp, ms) => row.ttft_ms.is_some_and(|t| cmp.holds(t, *ms)),
            Self::HasTool => row.has_tool,
            Self::HasError => {
                row.error.is_some()
                    || row.outcome.is_some_and(|o| o != Outcome::Ok)
                    || row.status.is_some_and(|s| s >= 400)
            }
            Self::Error(needle) => opt(&row.error, needle),
            Self::Stream(want) => row.stream == *want,
            Self::Replay(want) => row.replay_of.is_some() == *want,
            Self::Text(needle) => {
                contains_ci(&row.model, needle)
                    || opt(&row.model_routed, needle)
                    || opt(&row.account, needle)
                    || label.is_some_and(|l| contains_ci(l, needle))
                    || opt(&row.error, needle)
                    || contains_ci(&row.path, needle)
            }
        }
    }
}

impl Cmp {
    fn holds(self, value: u64, limit: u64) -> bool {
        match self {
            Self::Lt => value < limit,
            Self::Le => value <= limit,
            Self::Gt => value > limit,
            Self::Ge => value >= limit,
            Self::Eq => value == limit,
        }
    }
}

/// One space-separated term: as written (for errors), its text with quotes removed, and
/// whether a quote opened it (then it is free text whatever it contains).
#[derive(Debug)]
struct Token {
    raw: String,
    text: String,
    /// Byte offset in `text` where the first quoted part starts.
    quoted_from: Option<usize>,
}

fn tokens(input: &str) -> Result<Vec<Token>, FilterError> {
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(out);
        }
        let mut token = Token {
            raw: String::new(),
            text: String::new(),
            quoted_from: None,
        };
        let mut in_quote = false;
        while let Some(c) = chars.next_if(|c| in_quote || !c.is_whitespace()) {
            token.raw.push(c);
            if c == '"' {
                in_quote = !in_quote;
                token.quoted_from.get_or_insert(token.text.len());
            } else {
                token.text.push(c);
            }
        }
        if in_quote {
            return Err(FilterError {
                term: token.raw,
                reason: "the quote is not closed".into(),
            });
        }
        out.push(token);
    }
}

fn parse_term(token: &Token) -> Result<Term, FilterError> {
    let fail = |reason: String| FilterError {
        term: token.raw.clone(),
        reason,
    };
    let (negated, text, quoted_from) = match token.text.strip_prefix('-') {
        Some(rest) if token.quoted_from != Some(0) => {
            (true, rest, token.quoted_from.map(|q| q - 1))
        }
        _ => (false, token.text.as_str(), token.quoted_from),
    };
    if text.is_empty() {
        return Err(fail("nothing to match (a lone `-` or empty quotes)".into()));
    }
    let key_len = text
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let rest = &text[key_len..];
    let op_len = match rest.as_bytes() {
        [b'>' | b'<', b'=', ..] => 2,
        [b':' | b'~' | b'>' | b'<' | b'=', ..] => 1,
        _ => 0,
    };
    // A quote before the operator makes the whole term free text: `"status:429"`.
    let quoted_key = quoted_from.is_some_and(|q| q <= key_len);
    if key_len == 0 || op_len == 0 || quoted_key {
        return Ok(Term {
            negated,
            test: Test::Text(text.to_lowercase()),
        });
    }
    let key = text[..key_len].to_ascii_lowercase();
    let op = &rest[..op_len];
    let value = &rest[op_len..];
    let parsed = parse_test(&key, op, value).map_err(fail)?;
    Ok(Term {
        negated,
        test: parsed,
    })
}

fn parse_test(key: &str, op: &str, value: &str) -> Result<Test, String> {
    let like = op == ":" || op == "~";
    if value.is_empty() {
        return Err(format!("`{key}` needs a value"));
    }
    let needle = || value.to_lowercase();
    match key {
        "status" if op == ":" => parse_status(value),
        "model" if like => Ok(Test::Model(needle())),
        "acct" | "account" if like => Ok(Test::Account(needle())),
        "err" | "error" if like => Ok(Test::Error(needle())),
        "api" if op == ":" => value
            .parse::<ApiFormat>()
            .map(Test::Api)
            .map_err(|e| e.to_string()),
        "dur" | "duration" | "ttft" => {
            let cmp = match op {
                "<" => Cmp::Lt,
                "<=" => Cmp::Le,
                ">" => Cmp::Gt,
                ">=" => Cmp::Ge,
                ":" | "=" => Cmp::Eq,
                _ => return Err(format!("compare {key} with > or <, e.g. {key}>2s")),
            };
            let ms = parse_duration(value)?;
            Ok(if key == "ttft" {
                Test::Ttft(cmp, ms)
            } else {
                Test::Duration(cmp, ms)
            })
        }
        "has" if op == ":" => match value.to_ascii_lowercase().as_str() {
            "tool" | "tools" => Ok(Test::HasTool),
            "error" | "err" => Ok(Test::HasError),
            _ => Err("has:tool or has:error".into()),
        },
        "stream" | "replay" if op == ":" => {
            let flag = parse_bool(value).ok_or_else(|| format!("{key}:true or {key}:false"))?;
            Ok(if key == "stream" {
                Test::Stream(flag)
            } else {
                Test::Replay(flag)
            })
        }
        "status" | "model" | "acct" | "account" | "err" | "error" | "api" | "has" | "stream"
        | "replay" => Err(format!("`{key}` does not take `{op}`; use `{key}:`")),
        _ => Err(format!(
            "unknown key `{key}` (known: {KEYS}); quote the term to search for it as text"
        )),
    }
}

fn parse_status(value: &str) -> Result<Test, String> {
    let v = value.to_ascii_lowercase();
    if let Some(class) = v.strip_suffix("xx").and_then(|d| d.parse::<u16>().ok())
        && (1..=5).contains(&class)
    {
        return Ok(Test::StatusClass(class));
    }
    match v.parse::<u16>() {
        Ok(code) if (100..=599).contains(&code) => Ok(Test::Status(code)),
        _ => Err("status is a code like 429 or a class like 4xx".into()),
    }
}

/// `250ms`, `2s`, `1.5s`, `2m`; a unit is required so `dur>5` cannot be misread.
fn parse_duration(value: &str) -> Result<u64, String> {
    let v = value.to_ascii_lowercase();
    let split = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    let (number, unit) = v.split_at(split);
    let scale = match unit {
        "ms" => 1.0,
        "s" => 1000.0,
        "m" | "min" => 60_000.0,
        "" => return Err(format!("add a unit: {number}s or {number}ms")),
        _ => return Err(format!("unknown unit `{unit}` (ms, s or m)")),
    };
    match number.parse::<f64>() {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // finite, ≥ 0, rounded
        Ok(n) if n.is_finite() && n >= 0.0 => Ok((n * scale).round() as u64),
        _ => Err(format!("`{value}` is not a duration like 2s or 250ms")),
    }
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Some(true),
        "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

/// `needle` is already lower case.
fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(needle)
}
