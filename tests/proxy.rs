//! End-to-end tests of the HTTP surface: the real router and engine on a loopback port, backed
//! by the in-process simulator.

mod proxy {
    pub mod access;
    pub mod anthropic;
    pub mod faults;
    pub mod fixtures;
    pub mod gemini_api;
    pub mod gemini_rules;
    pub mod models;
    pub mod openai;
    pub mod polling;
    pub mod refusals;
    pub mod responses;
    pub mod routing;
    pub mod structured;
    pub mod support;
    pub mod threads;
    pub mod transport;
}
