//! End-to-end tests of the login flows against the in-process simulator, on loopback only:
//! the browser login (listener and paste-back), the device grant, their failures, the CLI, and
//! the QR drawing.

mod login {
    #[path = "../security/binary.rs"]
    #[allow(dead_code)] // shared with the security tests
    pub mod binary;
    pub mod browser;
    pub mod cli;
    pub mod client;
    pub mod device;
    pub mod failures;
    pub mod ide;
    pub mod support;
}
