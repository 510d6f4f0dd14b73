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
mod spool;
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
    State(#[from] commonware_storage::qmdb::Error<commonware_storage::merkle::mmr::Family>),
    /// A state value is larger than the store holds.
    #[error("the value of {key} is {len} bytes; a state value is at most {max} bytes", max = state::MAX_VALUE_BYTES)]
    ValueTooLarge {
        /// Its key.
        key: Box<sovra_types::StateKey>,
        /// Its size.
        len: usize,
    },
    /// An index or block database (redb) failed.
    #[error("index database: {0}")]
    Index(#[from] redb::Error),
    /// A database file could not be replaced by its rewritten copy.
    #[error("replacing {}: {source}", path.display())]
    Replace {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// An upload could not be spooled to a local file before its import.
    #[error("spooling an upload in {}: {source}", dir.display())]
    Spool {
        /// The directory of the spool file.
        dir: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A content block or CAR was refused.
    #[error("content: {0}")]
    Content(#[from] sovra_cas::CasError),
    /// An upload would exceed a storage quota (the uploader's or the node's).
    #[error("quota exceeded: {0}")]
    Quota(String),
    /// An upload would fit only once uploads of the same uploader (or, for the node's total,
    /// of anyone) still in progress have finished; retry then.
    #[error("busy: {0}")]
    Busy(String),
    /// An upload is larger than the node accepts in one request.
    #[error("too large: {0}")]
    TooLarge(String),
    /// A value to store could not be encoded.
    #[error("encoding {what}: {source}")]
    Encode {
        /// What was being encoded.
        what: &'static str,
        /// Why it failed.
        #[source]
        source: serde_json::Error,
    },
    /// Stored data does not decode.
    #[error("corrupt stored data: {what}: {source}")]
    Corrupt {
        /// What was being decoded.
        what: &'static str,
        /// Why it does not decode.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Stored data is not in the shape it was written in.
    #[error("corrupt stored data: {0}")]
    Malformed(&'static str),
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Index(e.into())
            }
        }
    )*};
}
from_redb!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);
