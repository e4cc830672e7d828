//! The in-band notices Google sends instead of an answer (a 200 whose text says the model is
//! retired or the client version is refused): one table of phrases, built in and extended from
//! `config.toml` (`[upstream.notices]`), matched case-insensitively at the start of the first
//! text of an answer, or anywhere in an error message.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use serde::{Deserialize, Serialize};

/// What a notice means for the request that got it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NoticeKind {
    /// The model is gone: the request goes to its successor.
    Retired,
    /// The client version is refused: another endpoint, then a 503 saying what to change.
    Version,
}

/// The built-in phrases, lower-case. `*` stands for a model's display name ("3.1 Pro").
/// Sources: Antigravity-Manager #2051/#2083/#2107, sub2api #600, zerogravity #36.
pub const BUILTIN: &[(&str, NoticeKind)] = &[
    (
        "this version of antigravity is no longer supported",
        NoticeKind::Version,
    ),
    (
        "your current version of antigravity is out of date",
        NoticeKind::Version,
    ),
    (
        "gemini * is not available on this version",
        NoticeKind::Version,
    ),
    (
        "claude * is not available on this version",
        NoticeKind::Version,
    ),
    ("gemini * is no longer available", NoticeKind::Retired),
    ("claude * is no longer available", NoticeKind::Retired),
    ("gpt-oss * is no longer available", NoticeKind::Retired),
];

/// The longest model name a `*` stands for; longer runs are ordinary text.
const MAX_NAME: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Name,
}

#[derive(Debug, Clone)]
struct Pattern {
    segments: Vec<Segment>,
    kind: NoticeKind,
}

/// How the start of an answer compares with the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// The text starts with a notice.
    Notice(NoticeKind),
    /// The text so far could still become a notice: hold it back.
    Undecided,
    /// No notice starts like this.
    Answer,
}

/// The phrase table the decoder and the error classifier consult.
#[derive(Debug, Clone)]
pub struct Notices {
    patterns: Vec<Pattern>,
}

static BUILTIN_TABLE: LazyLock<Arc<Notices>> =
    LazyLock::new(|| Arc::new(Notices::with_user(&BTreeMap::new())));

impl Notices {
    /// The built-in table, shared.
    pub fn builtin() -> Arc<Self> {
        BUILTIN_TABLE.clone()
    }

    /// The built-in table plus the user's phrases (a user phrase equal to a built-in one
    /// replaces its kind).
    pub fn with_user(user: &BTreeMap<String, NoticeKind>) -> Self {
        let mut table: Vec<(String, NoticeKind)> =
            BUILTIN.iter().map(|(p, k)| ((*p).to_owned(), *k)).collect();
        for (phrase, kind) in user {
            let phrase = phrase.trim().to_lowercase();
            if phrase.is_empty() || phrase == "*" {
                continue;
            }
            match table.iter_mut().find(|(p, _)| *p == phrase) {
                Some(entry) => entry.1 = *kind,
                None => table.push((phrase, *kind)),
            }
        }
        Self {
            patterns: table
                .into_iter()
                .map(|(phrase, kind)| Pattern {
                    segments: segments(&phrase),
                    kind,
                })
                .collect(),
        }
    }

    /// Compares the first text of an answer (so far) with every phrase.
    pub fn probe(&self, text: &str) -> Probe {
        let text = text.trim_start().to_lowercase();
        let mut undecided = false;
        for pattern in &self.patterns {
            match match_prefix(&pattern.segments, &text) {
                Fit::Full => return Probe::Notice(pattern.kind),
                Fit::Partial => undecided = true,
                Fit::None => {}
            }
        }
        if undecided {
            Probe::Undecided
        } else {
            Probe::Answer
        }
    }

    /// A notice anywhere in `text` (an error message or body).
    pub fn find_in(&self, text: &str) -> Option<NoticeKind> {
        let text = text.to_lowercase();
        self.patterns.iter().find_map(|pattern| {
            let starts = text.char_indices().map(|(i, _)| i);
            let found = starts
                .filter(|&i| match pattern.segments.first() {
                    Some(Segment::Literal(lit)) => text[i..].starts_with(lit.as_str()),
                    _ => true,
                })
                .any(|i| match_prefix(&pattern.segments, &text[i..]) == Fit::Full);
            found.then_some(pattern.kind)
        })
    }
}

fn segments(phrase: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    for (i, literal) in phrase.split('*').enumerate() {
        if i > 0 && out.last() != Some(&Segment::Name) {
            out.push(Segment::Name);
        }
        if !literal.is_empty() {
            out.push(Segment::Literal(literal.to_owned()));
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Fit {
    None,
    /// `text` is a prefix of something the pattern matches.
    Partial,
    /// The pattern matches a prefix of `text`.
    Full,
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, ' ' | '.' | '-' | '(' | ')')
}

fn match_prefix(segments: &[Segment], text: &str) -> Fit {
    let Some((first, rest)) = segments.split_first() else {
        return Fit::Full;
    };
    if text.is_empty() {
        return Fit::Partial;
    }
    match first {
        Segment::Literal(lit) => {
            if let Some(after) = text.strip_prefix(lit.as_str()) {
                match_prefix(rest, after)
            } else if lit.starts_with(text) {
                Fit::Partial
            } else {
                Fit::None
            }
        }
        Segment::Name => {
            let mut best = Fit::None;
            for (taken, (i, c)) in text.char_indices().enumerate() {
                if !is_name_char(c) || taken == MAX_NAME {
                    break;
                }
                let end = i + c.len_utf8();
                best = best.max(match_prefix(rest, &text[end..]));
                if best == Fit::Full {
                    return best;
                }
            }
            best
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Arc<Notices> {
        Notices::builtin()
    }

    #[test]
    fn real_notices_are_recognised_case_insensitively() {
        let t = table();
        for (text, kind) in [
            (
                "Gemini 3 Pro is no longer available. Please switch to Gemini 3.1 Pro in the \
                 latest version of Antigravity.",
                NoticeKind::Retired,
            ),
            (
                "Gemini 3.1 Pro is not available on this version. Please upgrade to the latest \
                 version.",
                NoticeKind::Version,
            ),
            (
                "This version of Antigravity is no longer supported. Please upgrade to receive \
                 the latest features!",
                NoticeKind::Version,
            ),
            (
                "  CLAUDE SONNET 4.5 IS NO LONGER AVAILABLE.",
                NoticeKind::Retired,
            ),
        ] {
            assert_eq!(t.probe(text), Probe::Notice(kind), "{text}");
            assert_eq!(t.find_in(&format!("error: {text}")), Some(kind), "{text}");
        }
    }

    #[test]
    fn ordinary_answers_are_decided_at_once_or_soon() {
        let t = table();
        assert_eq!(t.probe("Hi"), Probe::Answer);
        assert_eq!(
            t.probe("Hello! Gemini 3 Pro is no longer available"),
            Probe::Answer
        );
        // Starts like a notice: held until it cannot be one.
        assert_eq!(t.probe("Gemini 3"), Probe::Undecided);
        assert_eq!(t.probe("Gemini 3 Pro is"), Probe::Undecided);
        assert_eq!(t.probe("Gemini 3 Pro is great"), Probe::Undecided);
        assert_eq!(t.probe("Gemini 3 Pro is great!"), Probe::Answer);
        assert_eq!(
            t.probe("Gemini is a family of models made by Google DeepMind for"),
            Probe::Answer,
            "a name longer than any model name is text"
        );
        assert_eq!(t.probe("This version"), Probe::Undecided);
        assert_eq!(t.probe("This is fine"), Probe::Answer);
        assert_eq!(t.find_in("model not found"), None);
    }

    #[test]
    fn user_phrases_extend_and_override_the_table() {
        let mut user = BTreeMap::new();
        user.insert(
            "Please download the new Antigravity".to_owned(),
            NoticeKind::Version,
        );
        user.insert("* has been sunset".to_owned(), NoticeKind::Retired);
        user.insert(
            "gemini * is no longer available".to_owned(),
            NoticeKind::Version,
        );
        let t = Notices::with_user(&user);
        assert_eq!(
            t.probe("please download the new antigravity to continue"),
            Probe::Notice(NoticeKind::Version)
        );
        assert_eq!(
            t.probe("GPT-OSS 120B has been sunset."),
            Probe::Notice(NoticeKind::Retired)
        );
        assert_eq!(
            t.probe("Gemini 3 Pro is no longer available."),
            Probe::Notice(NoticeKind::Version)
        );
        assert_eq!(table().probe("please download"), Probe::Answer);
    }
}
