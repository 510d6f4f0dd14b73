//! Consensus for Sovra: the application that commonware's simplex consensus
//! (with marshal for block dissemination, backfill and ordered delivery of
//! finalized blocks) drives, plus the mempool.
//!
//! - [`ledger`]: speculative execution of proposed blocks, verification by
//!   re-execution (a block whose state root differs is never voted for),
//!   and exactly-once commit of finalized blocks.
//! - [`application`]: the `Application` and `Reporter` glue.
//! - [`engine`]: wires simplex, marshal, broadcast and the resolver over p2p channels.
//! - [`epochs`]: the validator set of each epoch (genesis, then chosen by stake) and the
//!   peers to connect to.
//! - [`orchestrator`]: one simplex engine per epoch, started at the epoch's first block.
//! - [`gossip`]: transaction gossip between validators.
//! - [`mempool`]: bounded, batch-verified, fee-prioritised waiting room.
//! - [`dropped`]: what became of transactions the mempool dropped without including them.
//! - [`sync`]: whether this node is behind the network (it then refuses submissions).
//! - `byzantine` (feature `byzantine`, for tests and the simulation campaign): Byzantine
//!   validators from commonware's simplex mocks.
//! - [`rejoin`]: a validator that may have lost its consensus journal votes only on views it
//!   cannot have voted on before.
//! - [`pause`]: reconnects to every peer after the process was paused, so it catches up as
//!   fast as after a restart.

pub mod application;
pub mod block;
#[cfg(feature = "byzantine")]
pub mod byzantine;
pub mod dropped;
pub mod engine;
pub mod epochs;
pub mod evidence;
pub mod gossip;
pub mod ledger;
pub mod mempool;
pub mod orchestrator;
pub mod pause;
pub mod rejoin;
pub mod sync;

pub use block::ChainBlock;
pub use ledger::{Ledger, Refusal, TxStatus};

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum ConsensusError {
    /// The store failed or holds corrupt data.
    #[error("store: {0}")]
    Store(#[from] sovra_store::StoreError),
    /// Execution could not run (the state it read is unreadable or corrupt).
    #[error("execution: {0}")]
    Execution(#[from] sovra_execution::ExecError),
    /// One of marshal's archives could not be opened.
    #[error("{what} archive: {source}")]
    Archive {
        /// Which archive.
        what: &'static str,
        /// Why.
        #[source]
        source: commonware_storage::archive::Error,
    },
    /// The data directory holds another chain.
    #[error("this data directory belongs to a chain with a different genesis")]
    GenesisMismatch,
    /// The index lacks a block the state says is committed.
    #[error("index lacks committed block {0}; the data directory is inconsistent")]
    MissingBlock(u64),
    /// The committed state is not the state of the indexed block at its height.
    #[error(
        "state root at height {0} does not match the indexed block; the data directory is inconsistent"
    )]
    StateRootMismatch(u64),
    /// A finalized block does not extend the committed tip.
    #[error("finalized block {height} does not extend the committed tip {committed}")]
    NotExtendingTip {
        /// The block's height.
        height: u64,
        /// The committed height.
        committed: u64,
    },
    /// Consensus needs epochs of at least two blocks (the first holds genesis).
    #[error("epoch_length {0} is too short for consensus: at least 2")]
    EpochLength(u64),
    /// A committed record the consensus layer reads does not decode.
    #[error("corrupt committed state: {0}")]
    CorruptState(String),
    /// Re-executing a finalized block fails: this node's state differs from the network's.
    #[error("finalized block {0} fails re-execution: this node's state has diverged")]
    Diverged(u64),
}
