//! Thought signatures: the simulator signs the thinking it emits so that replayed history can be
//! checked the way the real upstream checks it (a fabricated or altered signature is refused).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// What clients send when they have no signature; Gemini accepts it, Claude does not.
pub(crate) const SENTINEL: &str = "skip_thought_signature_validator";

const SECRET: &[u8] = b"anti-api-tui simulator thought-signature key";
/// Real signatures are long opaque blobs; peers ignore anything shorter than 50 characters.
const MIN_LEN: usize = 60;

/// `"sim" + base64url(sha256(SECRET + family + text))`, padded to at least 60 characters with
/// a second digest so that length checks in clients pass.
pub(crate) fn sign(family: &str, text: &str) -> String {
    let first = Sha256::new()
        .chain_update(SECRET)
        .chain_update(family.as_bytes())
        .chain_update(text.as_bytes())
        .finalize();
    let mut signature = format!("sim{}", URL_SAFE_NO_PAD.encode(first));
    if signature.len() < MIN_LEN {
        let second = Sha256::digest(first);
        signature.push_str(&URL_SAFE_NO_PAD.encode(second));
    }
    signature
}

pub(crate) fn verify(family: &str, text: &str, signature: &str) -> bool {
    sign(family, text)
        .as_bytes()
        .ct_eq(signature.as_bytes())
        .into()
}

/// The text a Gemini function-call signature covers: the call's name and its arguments with
/// object keys sorted, so a client that re-orders keys still replays a valid signature.
pub(crate) fn call_text(name: &str, args: &Value) -> String {
    let mut out = format!("call:{name}:");
    canonical(args, &mut out);
    out
}

fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn signatures_verify_only_for_their_family_and_text() {
        let sig = sign("claude", "Let me think about this.");
        assert!(sig.starts_with("sim") && sig.len() >= MIN_LEN);
        assert!(verify("claude", "Let me think about this.", &sig));
        assert!(!verify("gemini", "Let me think about this.", &sig));
        assert!(!verify("claude", "Let me think.", &sig));
    }

    #[test]
    fn call_text_ignores_key_order() {
        let a = call_text("f", &json!({"b": 1, "a": {"y": [1, "x"], "x": true}}));
        let b = call_text("f", &json!({"a": {"x": true, "y": [1, "x"]}, "b": 1}));
        assert_eq!(a, b);
    }
}
