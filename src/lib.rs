//! anti-api-tui: a local OpenAI/Anthropic-compatible proxy over Antigravity, with a terminal console.

pub mod catalogue;
pub mod simulator;
pub mod translate;
