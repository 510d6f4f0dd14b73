//! Storage of a Sovra node.
//!
//! - [`state`]: the authenticated ledger state in a `commonware-storage`
//!   qmdb (`current::ordered::variable`), with speculative per-block batches
//!   (so a proposed block's state root is known before it is final),
//!   inclusion and exclusion proofs, and crash recovery to the last commit.
//! - [`content`]: node-local content blocks (IPFS-compatible, verified on every read) with
//!   staged uploads and garbage collection.
//! - [`vault_store`]: private vault blocks in per-owner namespaces, with a quota on staged
//!   uploads.
//! - [`index`]: node-local redb tables (finalized blocks, transaction
//!   locations, receipt-chain entries) for the API.

mod block_file;
pub mod content;
pub mod index;
pub mod state;
pub mod vault_log;
pub mod vault_store;

pub use content::{ContentStore, GcStats, UploadCharge};
pub use index::{Index, IndexedBlock, TxLocation};
pub use state::{SpeculativeState, StateProof, StateStore};
pub use vault_log::VaultLog;
pub use vault_store::{StagedQuota, VaultStore, vault_block_key};

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The authenticated state database failed.
    #[error("state database: {0}")]
    State(String),
    /// The index database failed.
    #[error("index database: {0}")]
    Index(String),
    /// A content block or CAR was refused.
    #[error("content: {0}")]
    Content(String),
    /// An upload would exceed a storage quota (the uploader's or the node's).
    #[error("quota exceeded: {0}")]
    Quota(String),
    /// An upload is larger than the node accepts in one request.
    #[error("too large: {0}")]
    TooLarge(String),
    /// Stored data could not be decoded.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Index(e.to_string())
            }
        }
    )*};
}
from_redb!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);
