//! Strict mode's content rule: a system instruction that carries a known third-party identity
//! text is answered with the bare fake `429 RESOURCE_EXHAUSTED`, every time, as Google's gateway
//! does (CPA #5037, #5751; ACP #375; oh-my-pi #11699; `docs/upstream.md` "Client identity text").

use serde_json::Value;

/// What the gateway is known to refuse: Claude Code's billing block (a line that starts with
/// it), the Claude Agent SDK name, and oh-my-pi's `<system-conventions>` tag.
const BILLING_LINE: &str = "x-anthropic-billing-header:";
const FLAGGED: &[&str] = &["Claude Agent SDK", "<system-conventions>"];

/// The first flagged text in `request.systemInstruction`, if any.
pub(crate) fn flagged(request: &Value) -> Option<&'static str> {
    let parts = request
        .pointer("/systemInstruction/parts")
        .and_then(Value::as_array)?;
    parts
        .iter()
        .filter_map(|p| p.get("text").and_then(Value::as_str))
        .find_map(|text| {
            if text
                .lines()
                .any(|l| l.trim_start().starts_with(BILLING_LINE))
            {
                return Some(BILLING_LINE);
            }
            FLAGGED.iter().copied().find(|f| text.contains(f))
        })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn known_identity_texts_are_flagged_wherever_they_sit() {
        let system = |texts: &[&str]| json!({"systemInstruction": {"parts": texts.iter().map(|t| json!({"text": t})).collect::<Vec<_>>()}});
        assert_eq!(
            flagged(&system(&[
                "ok",
                "x-anthropic-billing-header: cc_version=1;"
            ])),
            Some(BILLING_LINE)
        );
        assert_eq!(
            flagged(&system(&[
                "You are a Claude agent, built on Anthropic's Claude Agent SDK."
            ])),
            Some("Claude Agent SDK")
        );
        assert_eq!(
            flagged(&system(&[
                "<system-conventions>\nRFC 2119\n</system-conventions>"
            ])),
            Some("<system-conventions>")
        );
        assert_eq!(
            flagged(&system(&["You are helpful.", "<conventions>"])),
            None
        );
        assert_eq!(flagged(&json!({"contents": []})), None);
    }
}
