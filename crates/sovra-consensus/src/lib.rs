//! Consensus for Sovra: the application that commonware's simplex consensus
//! (with marshal for block dissemination, backfill and ordered delivery of
//! finalized blocks) drives, plus the mempool.
//!
//! - [`ledger`]: speculative execution of proposed blocks, verification by
//!   re-execution (a block whose state root differs is never voted for),
//!   and exactly-once commit of finalized blocks.
//! - [`application`]: the `Application` and `Reporter` glue.
//! - [`engine`]: wires simplex, marshal, broadcast and the resolver over p2p channels.
//! - [`gossip`]: transaction gossip between validators.
//! - [`mempool`]: bounded, batch-verified, fee-prioritised waiting room.
//! - [`dropped`]: what became of transactions the mempool dropped without including them.
//! - [`sync`]: whether this node is behind the network (it then refuses submissions).
//! - [`pause`]: reconnects to every peer after the process was paused, so it catches up as
//!   fast as after a restart.

pub mod application;
pub mod block;
pub mod dropped;
pub mod engine;
pub mod gossip;
pub mod ledger;
pub mod mempool;
pub mod pause;
pub mod sync;

pub use block::ChainBlock;
pub use ledger::Ledger;

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum ConsensusError {
    /// The store failed or holds inconsistent data.
    #[error("store: {0}")]
    Store(String),
    /// Configuration is invalid.
    #[error("config: {0}")]
    Config(String),
}
