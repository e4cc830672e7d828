//! Client identity text in system prompts: what is removed or rewritten before a prompt goes
//! upstream, because Google's gateway answers it with a fake `429 RESOURCE_EXHAUSTED`
//! (`docs/upstream.md` "Client identity text").
//!
//! Pure: `scrub_system` takes the system parts and the rules and returns the parts to send and
//! a note for each change. The built-in rules cover the texts known today; `[upstream.identity]`
//! in `config.toml` adds to them (or replaces them, with `builtin = false`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// Lines starting with these (after leading blanks) are removed: Claude Code's per-request
/// billing block `x-anthropic-billing-header: cc_version=…; cc_entrypoint=…;` (ACP #375/PR
/// #376, 9router #4138; CPA `util/claude_attribution.go` drops the whole block).
const BUILTIN_REMOVE_LINES: &[&str] = &["x-anthropic-billing-header:"];

/// Texts removed wherever they appear: the Claude Agent SDK identity lines Claude Code sends
/// as a system block of their own (CPA #5037: this line alone flips 429 ↔ 200).
const BUILTIN_REMOVE: &[&str] = &[
    "You are a Claude agent, built on Anthropic's Claude Agent SDK.",
    "You are Claude Code, Anthropic's official CLI for Claude, running within the Claude Agent SDK.",
];

/// Rewrites: the name the gateway matches anywhere (CPA PR #5049 treats "Claude Agent SDK" as
/// a flagged word), and oh-my-pi's `<system-conventions>` tag (CPA #5751, oh-my-pi #11699; its
/// own fix renamed the tag to `<conventions>`).
const BUILTIN_REPLACE: &[(&str, &str)] = &[
    ("Claude Agent SDK", "Agent SDK"),
    ("<system-conventions>", "<conventions>"),
    ("</system-conventions>", "</conventions>"),
];

/// `[upstream.identity]`: the user's additions to the built-in lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IdentityConfig {
    /// Apply the built-in lists (the known identity texts) as well as the ones below.
    pub builtin: bool,
    /// A line that starts with one of these (after leading blanks) is removed.
    pub remove_lines: Vec<String>,
    /// Texts removed wherever they appear in a system prompt.
    pub remove: Vec<String>,
    /// Texts replaced wherever they appear: `"from" = "to"`.
    pub replace: BTreeMap<String, String>,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        Self {
            builtin: true,
            remove_lines: Vec::new(),
            remove: Vec::new(),
            replace: BTreeMap::new(),
        }
    }
}

impl IdentityConfig {
    /// The rules to apply: the built-in ones (unless turned off), then the user's.
    pub fn rules(&self) -> IdentityRules {
        let mut rules = if self.builtin {
            IdentityRules::default()
        } else {
            IdentityRules::none()
        };
        let keep = |s: &&String| !s.trim().is_empty();
        rules.remove_lines.extend(
            self.remove_lines
                .iter()
                .filter(keep)
                .map(|s| s.trim().to_owned()),
        );
        rules
            .remove
            .extend(self.remove.iter().filter(keep).cloned());
        rules.replace.extend(
            self.replace
                .iter()
                .filter(|(from, _)| !from.is_empty())
                .map(|(from, to)| (from.clone(), to.clone())),
        );
        rules
    }
}

/// What `scrub_system` removes and rewrites, in that order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityRules {
    remove_lines: Vec<String>,
    remove: Vec<String>,
    replace: Vec<(String, String)>,
}

impl Default for IdentityRules {
    /// The built-in rules.
    fn default() -> Self {
        Self {
            remove_lines: BUILTIN_REMOVE_LINES
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            remove: BUILTIN_REMOVE.iter().map(|s| (*s).to_owned()).collect(),
            replace: BUILTIN_REPLACE
                .iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect(),
        }
    }
}

impl IdentityRules {
    /// No rules: system prompts go upstream unchanged.
    pub fn none() -> Self {
        Self {
            remove_lines: Vec::new(),
            remove: Vec::new(),
            replace: Vec::new(),
        }
    }
}

/// The system parts to send, and a note per change. Parts left empty are dropped; parts no
/// rule touches are returned as they are.
pub fn scrub_system(parts: &[String], rules: &IdentityRules) -> (Vec<String>, Vec<String>) {
    let mut notes = Vec::new();
    let mut out = Vec::with_capacity(parts.len());
    for part in parts {
        let mut text = remove_lines(part, &rules.remove_lines, &mut notes);
        for needle in &rules.remove {
            let n = text.matches(needle.as_str()).count();
            if n > 0 {
                text = text.replace(needle.as_str(), "");
                notes.push(format!(
                    "identity: removed {}{} from the system prompt",
                    quoted(needle),
                    times(n)
                ));
            }
        }
        for (from, to) in &rules.replace {
            let n = text.matches(from.as_str()).count();
            if n > 0 {
                text = text.replace(from.as_str(), to);
                notes.push(format!(
                    "identity: replaced {} with {}{} in the system prompt",
                    quoted(from),
                    quoted(to),
                    times(n)
                ));
            }
        }
        if !text.trim().is_empty() {
            out.push(text);
        }
    }
    (out, notes)
}

/// `part` without the lines that start with one of `prefixes`.
fn remove_lines(part: &str, prefixes: &[String], notes: &mut Vec<String>) -> String {
    let flagged = |line: &str| {
        let line = line.trim_start();
        prefixes.iter().any(|p| line.starts_with(p.as_str()))
    };
    if !part.lines().any(flagged) {
        return part.to_owned();
    }
    let mut kept = String::with_capacity(part.len());
    for line in part.split_inclusive('\n') {
        if flagged(line) {
            notes.push(format!(
                "identity: removed the line {} from the system prompt",
                quoted(line.trim())
            ));
        } else {
            kept.push_str(line);
        }
    }
    kept
}

/// `"text"`, cut to a readable length for notes.
fn quoted(text: &str) -> String {
    const MAX: usize = 120;
    let mut out = String::from("\"");
    if text.chars().count() > MAX {
        out.extend(text.chars().take(MAX));
        out.push('…');
    } else {
        out.push_str(text);
    }
    out.push('"');
    out
}

fn times(n: usize) -> String {
    let mut out = String::new();
    if n > 1 {
        let _ = write!(out, " ({n}×)");
    }
    out
}

#[cfg(test)]
mod tests;
