//! `reasoning` items' `encrypted_content`: the proxy's own opaque carrier for a thinking block
//! (its text and the upstream's signature), so a client that keeps no server-side state (Codex
//! sends `store: false`) replays thinking that still validates upstream on the next turn.
//!
//! Not encrypted — the client already saw the text — only encoded, and marked with a version
//! prefix so a foreign value (another server's encrypted reasoning) is recognised and refused.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// Marks values this proxy wrote; the digit is the format version.
const PREFIX: &str = "aat1.";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarriedThinking {
    /// The thinking text as the model wrote it (the signature covers it).
    #[serde(rename = "t")]
    pub text: String,
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// The `encrypted_content` value for a thinking block.
pub fn encode(thinking: &CarriedThinking) -> String {
    let json = serde_json::to_vec(thinking).expect("two strings always serialize");
    format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(json))
}

/// Reads an `encrypted_content` value back; `None` when it is not one this proxy wrote.
pub fn decode(value: &str) -> Option<CarriedThinking> {
    let data = value.strip_prefix(PREFIX)?;
    let json = URL_SAFE_NO_PAD.decode(data).ok()?;
    serde_json::from_slice(&json).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_text_and_signature() {
        let t = CarriedThinking {
            text: "step 1\nstep 2 ✓".into(),
            signature: Some("EqQBCkYIBxgCKkA".into()),
        };
        let encoded = encode(&t);
        assert!(encoded.starts_with("aat1."), "{encoded}");
        assert_eq!(decode(&encoded), Some(t));
    }

    #[test]
    fn foreign_or_damaged_values_are_not_read() {
        assert_eq!(decode("gAAAAABo-openai-encrypted"), None);
        assert_eq!(decode("aat1.!!!"), None);
        assert_eq!(decode("aat1.e30"), None, "{{}} lacks the text");
    }
}
