//! The node area: node and chain status.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Node and chain status.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct StatusView {
    /// Chain id.
    pub chain_id: String,
    /// Native token symbol.
    pub token_symbol: String,
    /// Newest finalized height.
    pub finalized_height: u64,
    /// Its block id (hex).
    pub finalized_id: String,
    /// State root at that height (hex).
    pub state_root: String,
    /// Consensus public keys (hex) of the validator set of the next block's epoch (the
    /// genesis validators until stake chose a set).
    pub validators: Vec<String>,
    /// This node's consensus key (hex).
    pub node_key: String,
    /// Peers this node is configured to connect to (the other validators).
    pub peers: usize,
    /// Transactions waiting in the mempool.
    pub mempool_txs: usize,
    /// `synced`, or `syncing` while this node is behind the network (it then refuses
    /// submissions with `503` and code `syncing`).
    pub sync: String,
    /// Newest finalized height this node has seen certified by the network (at least
    /// `finalized_height`).
    pub network_height: u64,
    /// Finalized blocks this node has yet to commit: `network_height - finalized_height`.
    pub lag: u64,
    /// Age of this node's newest committed block by its timestamp, in milliseconds.
    pub tip_age_ms: u64,
}
