//! Google OAuth: token refresh, code exchange and userinfo against the configured endpoints.
//! (Interactive login flows build on these.)

mod google;

pub(crate) use google::describe_transport;
pub use google::{GoogleAuth, RefreshError, TokenGrant};
