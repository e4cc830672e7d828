//! anti-api-tui: a local OpenAI/Anthropic-compatible proxy over Antigravity, with a terminal console.

pub mod accounts;
pub mod app;
pub mod atomic_file;
pub mod auth;
pub mod capture;
pub mod catalogue;
pub mod cli;
pub mod client_version;
pub mod commands;
pub mod config;
pub mod core;
pub mod descriptors;
pub mod events;
pub mod filter;
pub mod logging;
pub mod paths;
pub mod proxy;
pub mod routing;
pub mod signals;
pub mod simulator;
pub mod startup;
pub mod store;
pub mod translate;
pub mod ui;
pub mod upstream;
