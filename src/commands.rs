//! One module per subcommand; each takes resolved paths and does one job.

pub mod accounts;
pub mod console;
pub mod history;
pub mod login;
pub mod quota;
pub mod replay;
pub mod route;
pub mod serve;
