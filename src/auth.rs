//! Google OAuth: token refresh, code exchange and userinfo against the configured endpoints.
//! The interactive login flows (browser with PKCE, device grant) live in `login`, the import of
//! a local Antigravity IDE's account in `ide`.

mod google;
pub mod ide;
pub mod login;
mod refusal;
pub(crate) mod token_http;

pub(crate) use google::describe_transport;
pub use google::{GoogleAuth, RefreshError, TokenGrant};
pub use refusal::{CLIENT_SETTINGS_HELP, Refusal, Refused};
