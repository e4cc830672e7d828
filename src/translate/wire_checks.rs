//! Checks both client parsers share: base64 that decodes (verified without a decoded copy) and
//! the JSON kind of a value, for error messages.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::Value;

/// Standard alphabet, padding optional: clients differ on padding and the bytes are the same.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Checks that `data` is valid base64 without allocating the decoded image: chunks of 4096
/// characters are whole base64 quanta, so each decodes on its own into a small buffer.
pub fn check_base64(data: &str) -> Result<(), String> {
    if data.is_empty() {
        return Err("must not be empty".to_owned());
    }
    let mut buf = [0u8; 3072];
    for chunk in data.as_bytes().chunks(4096) {
        BASE64
            .decode_slice(chunk, &mut buf)
            .map_err(|_| "not valid base64".to_owned())?;
    }
    Ok(())
}

/// "a string", "an object", … for messages like "must be an object, got a string".
pub fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_checks() {
        assert!(check_base64("aGVsbG8=").is_ok());
        assert!(check_base64("aGVsbG8").is_ok(), "padding optional");
        assert_eq!(check_base64(""), Err("must not be empty".to_owned()));
        assert_eq!(check_base64("@@@@"), Err("not valid base64".to_owned()));
        let long = "QUJD".repeat(5000);
        assert!(check_base64(&long).is_ok());
    }
}
