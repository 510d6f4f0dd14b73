//! Execution modules. Each owns its actions, its state keys and its rules;
//! they talk through the small functions they export, not each other's keys.

pub mod accounts;
pub mod content;
pub mod identity;
pub mod receipts;
pub mod recovery;
pub mod registry;
pub mod vault;
