//! One module per subcommand; each takes resolved paths and does one job.

pub mod accounts;
pub mod serve;
