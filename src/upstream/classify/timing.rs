//! Durations and reset times in upstream errors: Go-style durations ("1h16m0.667s"),
//! `Retry-After` headers and the delays buried in error messages, parsed by hand (no regex).

use std::time::Duration;

use chrono::{DateTime, Utc};

/// Parses a sum of `<number><unit>` terms, units h, m, s, ms, us/µs, ns: "1h16m0.667s",
/// "0.479417207s", "200ms", "479.417207ms". Exact to the nanosecond (no floating point).
pub fn parse_duration(s: &str) -> Option<Duration> {
    let mut rest = s.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(num_len);
        let unit_len = after
            .find(|c: char| !(c.is_ascii_alphabetic() || c == 'µ'))
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let unit_ns: u128 = match unit {
            "h" => 3_600_000_000_000,
            "m" => 60_000_000_000,
            "s" => 1_000_000_000,
            "ms" => 1_000_000,
            "us" | "µs" => 1_000,
            "ns" => 1,
            _ => return None,
        };
        total = total.checked_add(scaled(number, unit_ns)?)?;
        rest = after;
    }
    let secs = u64::try_from(total / 1_000_000_000).ok()?;
    let nanos = u32::try_from(total % 1_000_000_000).ok()?;
    Some(Duration::new(secs, nanos))
}

/// `number × unit_ns` for a decimal like "0.667", keeping nine fractional digits.
fn scaled(number: &str, unit_ns: u128) -> Option<u128> {
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let int: u128 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut frac_e9: u128 = 0;
    for (i, c) in frac.chars().take(9).enumerate() {
        let digit = u128::from(c.to_digit(10)?);
        frac_e9 += digit * 10u128.pow(8 - u32::try_from(i).ok()?);
    }
    int.checked_mul(unit_ns)?
        .checked_add(frac_e9 * unit_ns / 1_000_000_000)
}

/// A `Retry-After` value: delta seconds (possibly fractional) or an HTTP date.
pub(super) fn header_delay(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if value.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return parse_duration(&format!("{value}s"));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// Phrases after which upstream messages state a delay.
const MARKERS: &[&str] = &[
    "reset after ",
    "resets after ",
    "reset in ",
    "resets in ",
    "try again in ",
    "retry after ",
    "retry in ",
    "backoff for ",
    "wait ",
];

/// Finds a delay in free text: "Your quota will reset after 1h2m3s.", "try again in 5m 30s",
/// "retry after 30 seconds", "(wait 5s)".
pub(super) fn text_delay(message: &str) -> Option<Duration> {
    let lower = message.to_lowercase();
    for marker in MARKERS {
        let mut from = 0;
        while let Some(at) = lower[from..].find(marker) {
            let start = from + at + marker.len();
            if let Some(d) = leading_delay(&lower[start..]) {
                return Some(d);
            }
            from = start;
        }
    }
    None
}

/// The delay at the start of `text`: Go-style terms ("1h2m3s", "5m 30s") or a number followed
/// by a unit word ("30 seconds").
fn leading_delay(text: &str) -> Option<Duration> {
    let words: Vec<&str> = text
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| matches!(c, '.' | ',' | ';' | ':' | '(' | ')' | '!')))
        .collect();
    let mut total = Duration::ZERO;
    let mut found = false;
    let mut i = 0;
    while i < words.len() {
        if let Some(d) = parse_duration(words[i]) {
            total = total.saturating_add(d);
            found = true;
            i += 1;
            continue;
        }
        let unit = words.get(i + 1).and_then(|w| unit_suffix(w));
        match unit.and_then(|u| parse_duration(&format!("{}{u}", words[i]))) {
            Some(d) => {
                // Absurd sums ("retry in 18446744073709551615s 1s") saturate, never panic.
                total = total.saturating_add(d);
                found = true;
                i += 2;
            }
            None => break,
        }
    }
    found.then_some(total)
}

fn unit_suffix(word: &str) -> Option<&'static str> {
    Some(match word {
        "hour" | "hours" | "hr" | "hrs" => "h",
        "minute" | "minutes" | "min" | "mins" => "m",
        "second" | "seconds" | "sec" | "secs" => "s",
        "millisecond" | "milliseconds" => "ms",
        _ => return None,
    })
}

/// "1h 16m 1s" from a duration, rounded up to whole seconds (at least 1s).
pub(super) fn human(d: Duration) -> String {
    let secs = ceil_secs(d);
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h}h"));
    }
    if m > 0 {
        parts.push(format!("{m}m"));
    }
    if s > 0 {
        parts.push(format!("{s}s"));
    }
    parts.join(" ")
}

/// Whole seconds, rounded up, at least 1: a client told to wait 0 s would retry at once.
pub(super) fn ceil_secs(d: Duration) -> u64 {
    let secs = d.as_secs().saturating_add(u64::from(d.subsec_nanos() > 0));
    secs.max(1)
}
