//! Google accounts the proxy serves through: the stored records (0600, atomic), and the live pool
//! that hands out fresh access tokens, spaces requests and remembers cooldowns per (account, model).

mod pool;
mod quota;
mod record;

pub use pool::{AccountPool, Selection, SkipReason, Slot};
pub use quota::{AvailableModels, ModelQuota, OfferedModel, parse_available_models};
pub use record::{AccountRecord, AccountStatus, Cooldown, account_id_for};
