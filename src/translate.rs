//! Pure translation between the client wire formats, the IR and the Antigravity upstream format:
//! no I/O, no clock (ids and times are arguments).

pub mod anthropic;
pub mod antigravity;
pub mod client_api;
pub mod gemini;
pub mod identity;
pub mod ir;
pub mod openai;
pub mod responses;
pub mod schema;
pub mod structured;
pub mod wire_checks;
