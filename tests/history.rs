//! The request history end to end: a store attached to the real engine on the simulator, and
//! the `history` and `replay` commands of the built binary against a `serve --demo` instance.

// The proxy tests' harness, shared rather than copied; this crate uses part of it.
#[allow(dead_code)]
#[path = "proxy/support.rs"]
mod support;

mod history {
    pub mod cli;
    pub mod engine;
}
