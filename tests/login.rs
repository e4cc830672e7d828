//! End-to-end tests of the login flows against the in-process simulator, on loopback only:
//! the browser login (listener and paste-back), the device grant, their failures, the CLI, and
//! the QR drawing.

mod login {
    pub mod browser;
    pub mod cli;
    pub mod client;
    pub mod device;
    pub mod failures;
    pub mod support;
}
