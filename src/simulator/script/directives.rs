//! `[[sim:…]]` directives that tests put in user text to steer one reply.

use serde_json::Value;

use crate::simulator::faults::Fault;

const OPEN: &str = "[[sim:";
const CLOSE: &str = "]]";

#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Directives {
    /// `[[sim:fault=<name>]]`: this call fails with that fault.
    pub fault: Option<Fault>,
    /// `[[sim:slow]]`: 150 ms between chunks.
    pub slow: bool,
    /// `[[sim:long]]`: 60 text chunks.
    pub long: bool,
    /// `[[sim:max_tokens]]` → `MAX_TOKENS`, `[[sim:safety]]` → `SAFETY` as the finish reason.
    pub finish: Option<&'static str>,
    /// `[[sim:tool=NAME {"json":"args"}]]`: call this tool with these arguments.
    pub tool: Option<(String, Value)>,
}

/// Extracts the directives from `text` and returns the text without them.
pub(crate) fn parse(text: &str) -> (Directives, String) {
    let mut d = Directives::default();
    let mut cleaned = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        cleaned.push_str(&rest[..start]);
        let after = &rest[start + OPEN.len()..];
        let consumed = if let Some(spec) = after.strip_prefix("tool=") {
            parse_tool(spec).map(|(name, args, used)| {
                d.tool = Some((name, args));
                "tool=".len() + used
            })
        } else {
            after.find(CLOSE).map(|end| {
                apply_flag(&mut d, after[..end].trim());
                end + CLOSE.len()
            })
        };
        let Some(consumed) = consumed else {
            // An unterminated directive is ordinary text.
            cleaned.push_str(&rest[start..]);
            rest = "";
            break;
        };
        rest = &after[consumed..];
    }
    cleaned.push_str(rest);
    (d, cleaned.trim().to_owned())
}

fn apply_flag(d: &mut Directives, flag: &str) {
    match flag {
        "slow" => d.slow = true,
        "long" => d.long = true,
        "max_tokens" => d.finish = Some("MAX_TOKENS"),
        "safety" => d.finish = Some("SAFETY"),
        other => {
            if let Some(Ok(fault)) = other.strip_prefix("fault=").map(str::parse::<Fault>) {
                d.fault = Some(fault);
            } else {
                tracing::debug!("simulator: ignoring unknown directive [[sim:{other}]]");
            }
        }
    }
}

/// Parses `NAME {json}]]` (the JSON is optional); returns the name, the arguments and how many
/// bytes of `spec` were used, closing brackets included.
fn parse_tool(spec: &str) -> Option<(String, Value, usize)> {
    let name_end = spec
        .find(|c: char| c.is_whitespace() || c == ']')
        .unwrap_or(spec.len());
    let name = spec[..name_end].to_owned();
    let after_name = &spec[name_end..];
    let trimmed = after_name.trim_start();
    let mut used = name_end + (after_name.len() - trimmed.len());
    let args = if trimmed.starts_with(CLOSE) {
        Value::Object(serde_json::Map::new())
    } else {
        let mut values = serde_json::Deserializer::from_str(trimmed).into_iter::<Value>();
        let value = values.next()?.ok()?;
        used += values.byte_offset();
        value
    };
    let tail = &spec[used..];
    let tail_trimmed = tail.trim_start();
    used += tail.len() - tail_trimmed.len();
    if name.is_empty() || !tail_trimmed.starts_with(CLOSE) {
        return None;
    }
    Some((name, args, used + CLOSE.len()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn flags_faults_and_tools_are_extracted() {
        let (d, text) = parse(
            "hi [[sim:slow]] there [[sim:fault=capacity]][[sim:tool=get_weather {\"city\": \"Oslo\"}]] end",
        );
        assert!(d.slow);
        assert_eq!(d.fault, Some(Fault::Capacity));
        assert_eq!(
            d.tool,
            Some(("get_weather".into(), json!({"city": "Oslo"})))
        );
        assert_eq!(text, "hi  there  end");
    }

    #[test]
    fn tool_without_args_and_unterminated_directives() {
        let (d, text) = parse("[[sim:tool=Bash]] go");
        assert_eq!(d.tool, Some(("Bash".into(), json!({}))));
        assert_eq!(text, "go");
        let (d, text) = parse("oops [[sim:long");
        assert!(!d.long);
        assert_eq!(text, "oops [[sim:long");
    }

    #[test]
    fn unknown_directives_are_ignored() {
        let (d, text) = parse("[[sim:fault=nope]][[sim:whatever]]x");
        assert_eq!(d, Directives::default());
        assert_eq!(text, "x");
    }
}
