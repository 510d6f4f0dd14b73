//! What the API needs from a node.

use crate::ApiError;
use sovra_types::{
    Did, SignedTransaction, StateKey, TxId,
    api::{AccountView, BlockView, ProofView, ReceiptPage, StatusView, SubmitResult, TxStatusView},
};
use std::future::Future;

/// The node behind the API.
pub trait Backend: Send + Sync + 'static {
    /// Offers decoded transactions (with their encoded sizes) to the mempool.
    fn submit(
        &self,
        txs: Vec<(SignedTransaction, usize)>,
    ) -> impl Future<Output = Vec<SubmitResult>> + Send;
    /// A transaction's status, if the node knows it.
    fn tx_status(
        &self,
        id: TxId,
    ) -> impl Future<Output = Result<Option<TxStatusView>, ApiError>> + Send;
    /// A finalized block (`None` height: the newest).
    fn block(
        &self,
        height: Option<u64>,
    ) -> impl Future<Output = Result<Option<BlockView>, ApiError>> + Send;
    /// An account at the newest finalized state.
    fn account(&self, did: Did) -> impl Future<Output = Result<AccountView, ApiError>> + Send;
    /// A page of an identity's receipt chain.
    fn receipts(
        &self,
        did: Did,
        from: u64,
        limit: usize,
    ) -> impl Future<Output = Result<ReceiptPage, ApiError>> + Send;
    /// Node and chain status.
    fn status(&self) -> impl Future<Output = Result<StatusView, ApiError>> + Send;
    /// An inclusion or exclusion proof against the newest finalized header.
    fn proof(&self, key: StateKey) -> impl Future<Output = Result<ProofView, ApiError>> + Send;
    /// Prometheus text exposition.
    fn metrics(&self) -> impl Future<Output = String> + Send;
}
