//! Reading the signed-in session out of the Antigravity IDE's `ItemTable` values (pure: the
//! values in, the refresh token and email out). The layouts, as the peers read them
//! (lbjlaq/Antigravity-Manager `src-tauri/src/modules/migration.rs` at 9b3dd14f; ink1ing/anti-api
//! `src/lib/token.ts` at 5e416b7):
//!
//! - `antigravityUnifiedStateSync.oauthToken` (current IDEs): base64 of a protobuf `Topic`
//!   whose repeated field 1 holds entries `{1: key, 2: {1: base64 of OAuthTokenInfo}}`; the
//!   entry keyed `oauthTokenInfoSentinelKey` is the session. `OAuthTokenInfo` is
//!   `{1: access_token, 2: token_type, 3: refresh_token, 4: expiry {1: seconds}}`.
//! - `jetskiStateSync.agentManagerInitState` (IDEs before the unified state): base64 of a
//!   protobuf whose field 6 is the same `OAuthTokenInfo`.
//! - `antigravityAuthStatus`: JSON `{"name", "email", "apiKey"}` (the access token); only the
//!   email is taken from it.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

pub(crate) const UNIFIED_KEY: &str = "antigravityUnifiedStateSync.oauthToken";
pub(crate) const LEGACY_KEY: &str = "jetskiStateSync.agentManagerInitState";
pub(crate) const STATUS_KEY: &str = "antigravityAuthStatus";
/// The keys read, in the order they are tried.
pub(crate) const KEYS: [&str; 3] = [UNIFIED_KEY, LEGACY_KEY, STATUS_KEY];
const SENTINEL: &[u8] = b"oauthTokenInfoSentinelKey";

/// The session the IDE is signed in with.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct IdeSession {
    pub refresh_token: String,
    pub email: Option<String>,
    /// The key the refresh token came from.
    pub key: &'static str,
}

impl std::fmt::Debug for IdeSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdeSession")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StateError {
    /// No refresh token under any key: nobody is signed in.
    SignedOut,
    /// A value is there but cannot be read (a layout this version does not know).
    Malformed(String),
}

/// Reads the refresh token out of one decoded value; `None` when it has none.
type Reader = fn(&[u8]) -> Result<Option<String>, String>;

/// The session in `values` (key → text value of `ItemTable`): the unified record first, then
/// the legacy one.
pub(crate) fn session(values: &HashMap<String, String>) -> Result<IdeSession, StateError> {
    let mut problems = Vec::new();
    let readers: [(&'static str, Reader); 2] =
        [(UNIFIED_KEY, unified_refresh), (LEGACY_KEY, legacy_refresh)];
    for (key, read) in readers {
        let Some(text) = values.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()) else {
            continue;
        };
        let found = STANDARD
            .decode(text)
            .map_err(|e| format!("not base64 ({e})"))
            .and_then(|bytes| read(&bytes));
        match found {
            Ok(Some(refresh_token)) => {
                return Ok(IdeSession {
                    refresh_token,
                    email: email(values),
                    key,
                });
            }
            Ok(None) => {}
            Err(why) => problems.push(format!("{key}: {why}")),
        }
    }
    if problems.is_empty() {
        Err(StateError::SignedOut)
    } else {
        Err(StateError::Malformed(problems.join("; ")))
    }
}

fn unified_refresh(topic: &[u8]) -> Result<Option<String>, String> {
    for entry in fields(topic)?.into_iter().filter(|f| f.number == 1) {
        let entry = entry.bytes()?;
        if first(entry, 1)?.is_none_or(|key| key != SENTINEL) {
            continue;
        }
        let Some(row) = first(entry, 2)? else {
            return Ok(None);
        };
        let Some(encoded) = first(row, 1)? else {
            return Ok(None);
        };
        let info = STANDARD
            .decode(encoded.trim_ascii())
            .map_err(|e| format!("token record is not base64 ({e})"))?;
        return refresh_of(&info);
    }
    Ok(None)
}

fn legacy_refresh(state: &[u8]) -> Result<Option<String>, String> {
    match first(state, 6)? {
        Some(info) => refresh_of(info),
        None => Ok(None),
    }
}

/// Field 3 of an `OAuthTokenInfo`; `None` when empty (a signed-out record).
fn refresh_of(info: &[u8]) -> Result<Option<String>, String> {
    let Some(token) = first(info, 3)? else {
        return Ok(None);
    };
    let token = std::str::from_utf8(token)
        .map_err(|_| "the refresh token is not text".to_owned())?
        .trim();
    Ok((!token.is_empty()).then(|| token.to_owned()))
}

fn email(values: &HashMap<String, String>) -> Option<String> {
    let status: serde_json::Value = serde_json::from_str(values.get(STATUS_KEY)?).ok()?;
    let email = status.get("email")?.as_str()?.trim();
    email.contains('@').then(|| email.to_owned())
}

/// One protobuf field: its number and, for length-delimited fields, the bytes.
struct Field<'a> {
    number: u64,
    bytes: Option<&'a [u8]>,
}

impl<'a> Field<'a> {
    fn bytes(&self) -> Result<&'a [u8], String> {
        self.bytes
            .ok_or_else(|| format!("field {} is not length-delimited", self.number))
    }
}

/// The first length-delimited field `number` of a message.
fn first(message: &[u8], number: u64) -> Result<Option<&[u8]>, String> {
    for field in fields(message)? {
        if field.number == number {
            return field.bytes().map(Some);
        }
    }
    Ok(None)
}

/// The top-level fields of a protobuf message (wire format only, no schema).
fn fields(mut buf: &[u8]) -> Result<Vec<Field<'_>>, String> {
    let mut out = Vec::new();
    while !buf.is_empty() {
        let tag = varint(&mut buf)?;
        let (number, wire) = (tag >> 3, tag & 7);
        let bytes = match wire {
            0 => {
                varint(&mut buf)?;
                None
            }
            1 | 5 => {
                let n = if wire == 1 { 8 } else { 4 };
                buf = buf.get(n..).ok_or("a fixed-width field is cut off")?;
                None
            }
            2 => {
                let len = usize::try_from(varint(&mut buf)?).map_err(|_| "a huge length")?;
                let (value, rest) = buf
                    .split_at_checked(len)
                    .ok_or("a length-delimited field is cut off")?;
                buf = rest;
                Some(value)
            }
            other => return Err(format!("unsupported protobuf wire type {other}")),
        };
        out.push(Field { number, bytes });
    }
    Ok(out)
}

fn varint(buf: &mut &[u8]) -> Result<u64, String> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = buf.split_first().ok_or("a varint is cut off")?;
        *buf = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("a varint is too long".into())
}

/// Encoders of the IDE's records, for the tests.
#[cfg(test)]
mod fixture {
    use super::{SENTINEL, STANDARD};
    use base64::Engine as _;

    fn varint(mut v: u64, out: &mut Vec<u8>) {
        while v >= 0x80 {
            out.push(u8::try_from(v & 0x7f).unwrap_or_default() | 0x80);
            v >>= 7;
        }
        out.push(u8::try_from(v).unwrap_or_default());
    }

    fn field(number: u64, value: &[u8], out: &mut Vec<u8>) {
        varint((number << 3) | 2, out);
        varint(value.len() as u64, out);
        out.extend_from_slice(value);
    }

    /// An `OAuthTokenInfo` with an expiry.
    pub fn token_info(access: &str, refresh: &str, expiry_secs: u64) -> Vec<u8> {
        let mut out = Vec::new();
        field(1, access.as_bytes(), &mut out);
        field(2, b"Bearer", &mut out);
        field(3, refresh.as_bytes(), &mut out);
        let mut expiry = Vec::new();
        varint(1 << 3, &mut expiry);
        varint(expiry_secs, &mut expiry);
        field(4, &expiry, &mut out);
        varint(6 << 3, &mut out);
        varint(1, &mut out);
        out
    }

    /// The `antigravityUnifiedStateSync.oauthToken` value, with another topic entry first.
    pub fn unified(info: &[u8]) -> String {
        let entry = |key: &[u8], payload: &[u8]| {
            let mut row = Vec::new();
            field(1, STANDARD.encode(payload).as_bytes(), &mut row);
            let mut entry = Vec::new();
            field(1, key, &mut entry);
            field(2, &row, &mut entry);
            entry
        };
        let mut topic = Vec::new();
        field(1, &entry(b"someOtherSentinelKey", b"\x08\x01"), &mut topic);
        field(1, &entry(SENTINEL, info), &mut topic);
        STANDARD.encode(topic)
    }

    /// The legacy `jetskiStateSync.agentManagerInitState` value.
    pub fn legacy(info: &[u8]) -> String {
        let mut state = Vec::new();
        field(1, b"unrelated", &mut state);
        varint(2 << 3, &mut state);
        varint(300, &mut state);
        field(6, info, &mut state);
        STANDARD.encode(state)
    }
}

#[cfg(test)]
mod tests {
    use super::fixture::{legacy, token_info, unified};
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_unified_record_gives_the_refresh_token_and_the_status_the_email() {
        let info = token_info("ya29.x", "1//0g-refresh", 1_790_000_000);
        let got = session(&values(&[
            (UNIFIED_KEY, &unified(&info)),
            (
                STATUS_KEY,
                r#"{"name":"Ivy","email":"ivy@example.com","apiKey":"ya29.x"}"#,
            ),
        ]))
        .unwrap();
        assert_eq!(got.refresh_token, "1//0g-refresh");
        assert_eq!(got.email.as_deref(), Some("ivy@example.com"));
        assert_eq!(got.key, UNIFIED_KEY);
        assert!(
            !format!("{got:?}").contains("1//0g"),
            "Debug shows no token"
        );
    }

    #[test]
    fn the_legacy_record_is_read_when_there_is_no_unified_one() {
        let info = token_info("ya29.y", "1//0g-legacy", 1);
        let got = session(&values(&[(LEGACY_KEY, &legacy(&info))])).unwrap();
        assert_eq!(
            (got.refresh_token.as_str(), got.key),
            ("1//0g-legacy", LEGACY_KEY)
        );
        assert_eq!(got.email, None);
        // An empty unified record (signed out there) falls back to the legacy one.
        let empty = unified(&token_info("", "", 0));
        let got = session(&values(&[
            (UNIFIED_KEY, &empty),
            (LEGACY_KEY, &legacy(&info)),
        ]))
        .unwrap();
        assert_eq!(got.key, LEGACY_KEY);
    }

    #[test]
    fn signed_out_and_unreadable_states_are_told_apart() {
        assert_eq!(session(&values(&[])), Err(StateError::SignedOut));
        let signed_out = values(&[
            (STATUS_KEY, "null"),
            (UNIFIED_KEY, &unified(&token_info("", "", 0))),
        ]);
        assert_eq!(session(&signed_out), Err(StateError::SignedOut));
        let Err(StateError::Malformed(why)) = session(&values(&[(UNIFIED_KEY, "%%%")])) else {
            panic!("not malformed")
        };
        assert!(why.contains(UNIFIED_KEY) && why.contains("base64"), "{why}");
        // Cut-off protobuf.
        let cut = STANDARD.encode([0x0a, 0x10, 0x01]);
        let Err(StateError::Malformed(why)) = session(&values(&[(LEGACY_KEY, &cut)])) else {
            panic!("not malformed")
        };
        assert!(why.contains("cut off"), "{why}");
    }

    #[test]
    fn varints_and_skipped_wire_types_are_read() {
        // field 1 varint 300, field 2 fixed64, field 3 fixed32, field 4 bytes "ok".
        let msg = [
            0x08, 0xac, 0x02, 0x11, 1, 2, 3, 4, 5, 6, 7, 8, 0x1d, 1, 2, 3, 4, 0x22, 2, b'o', b'k',
        ];
        assert_eq!(first(&msg, 4).unwrap(), Some(&b"ok"[..]));
        assert_eq!(first(&msg, 9).unwrap(), None);
        assert!(first(&[0x0b], 1).unwrap_err().contains("wire type 3"));
    }
}
