//! Security checks as tests: loopback by default, no public bind without an API key, the key
//! on every route of both APIs, the DNS-rebinding guard, the body limit, private credential
//! files, no secret in logs, error messages or exports after a full run, and clients that never
//! finish (timeouts, the connection cap, h2c).

mod security {
    pub mod access;
    #[allow(dead_code)] // shared with the fault matrix and durability tests
    pub mod binary;
    pub mod bind;
    pub mod connections;
    pub mod scenario;

    #[path = "../proxy/support.rs"]
    #[allow(dead_code)]
    pub mod support;
}
