//! What the API needs from a node.

use crate::ApiError;
use crate::stream::BodyReader;
use sovra_api_types::{
    AccessEntry, AccountView, BlockView, ContentImportView, ContentStatusView, ErrorBody,
    ProofView, ReceiptPage, StatusView, SubmitResult, TxStatusView,
};
use sovra_types::{ContentId, Did, RecordId, SignedTransaction, StateKey, TxId, VaultRecord};
use std::future::Future;
use std::sync::Arc;

/// The node behind the API.
pub trait Backend: Send + Sync + 'static {
    /// Offers decoded transactions (with their encoded sizes) to the mempool: one result each,
    /// or `Err` to refuse the whole submission with `503` and that body (code `syncing` while
    /// the node is behind the network).
    fn submit(
        &self,
        txs: Vec<(SignedTransaction, usize)>,
    ) -> impl Future<Output = Result<Vec<SubmitResult>, ErrorBody>> + Send;
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
    /// An account at the newest finalized state, with the signer's next nonce from the
    /// node's pending view.
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
    /// A value at the newest finalized state (no proof).
    fn state_value(
        &self,
        key: StateKey,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, ApiError>> + Send;
    /// Proofs of several keys, all against the same newest finalized header.
    fn proofs(
        &self,
        keys: Vec<StateKey>,
    ) -> impl Future<Output = Result<Vec<ProofView>, ApiError>> + Send;
    /// The identities registered as verifiers (from the node's index), at most `limit`.
    fn verifier_dids(
        &self,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Did>, ApiError>> + Send;
    /// The asset classes `issuer` created (from the node's index), at most `limit`.
    fn asset_classes_of(
        &self,
        issuer: Did,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<sovra_types::AssetClassId>, ApiError>> + Send;
    /// The (class, token id) pairs `holder` has received (from the node's index; balances may
    /// since be zero), at most `limit`.
    fn asset_holdings_of(
        &self,
        holder: Did,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<(sovra_types::AssetClassId, u64)>, ApiError>> + Send;
    /// The (class, lock id) pairs of the locks made for `holder` (from the node's index;
    /// released locks are gone from state), at most `limit`.
    fn asset_locks_of(
        &self,
        holder: Did,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<(sovra_types::AssetClassId, u64)>, ApiError>> + Send;
    /// Validator candidates in DID order after `after` (from the node's index), at most
    /// `limit`.
    fn validators(
        &self,
        after: Option<Did>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Did>, ApiError>> + Send;
    /// Proposals, newest first, with the height each was submitted at (from the node's
    /// index), at most `limit`.
    fn proposals(
        &self,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<(u64, sovra_types::ProposalId)>, ApiError>> + Send;
    /// Challenges and tokens of DID-authenticated requests.
    fn auth(&self) -> &crate::auth::AuthStore;
    /// Prometheus text exposition.
    fn metrics(&self) -> impl Future<Output = String> + Send;
    /// Evidence of equivocation this node's consensus engines saw, oldest first.
    fn evidence(&self) -> Vec<sovra_types::evidence::Equivocation>;

    /// The content blocks this node holds (reads verify every block).
    type Blocks: sovra_cas::BlockSource + Send + Sync + 'static;
    /// The node's block store.
    fn blocks(&self) -> Arc<Self::Blocks>;
    /// The node's block store, asking first the peers that must hold `root` for blocks this
    /// node lacks.
    fn blocks_for(&self, root: &sovra_cas::Cid) -> Arc<Self::Blocks> {
        let _ = root;
        self.blocks()
    }
    /// Makes every block of the DAG under `cid` present on this node (fetching what it lacks
    /// from peers, the holders of `root` first), so an answer can be served whole; fails when a
    /// block cannot be had.
    fn fetch_dag(
        &self,
        root: sovra_cas::Cid,
        cid: sovra_cas::Cid,
    ) -> impl Future<Output = Result<(), ApiError>> + Send;
    /// Imports a CAR uploaded by `uploader` atomically, within the node's upload limit and the
    /// uploader's and the node's quotas of unpinned uploads.
    fn import_car(
        &self,
        uploader: Did,
        body: BodyReader,
    ) -> impl Future<Output = Result<ContentImportView, ApiError>> + Send;
    /// Pins of a content root and whether this node holds all of it.
    fn content_status(
        &self,
        cid: ContentId,
    ) -> impl Future<Output = Result<ContentStatusView, ApiError>> + Send;
    /// The CID an identity's public document points to, at the newest finalized state.
    fn public_doc(
        &self,
        owner: Did,
        name: String,
    ) -> impl Future<Output = Result<Option<ContentId>, ApiError>> + Send;

    /// One owner's namespace of the private vault's blocks on this node (and, fetched on
    /// demand, at peers).
    type VaultBlocks: sovra_cas::BlockSource + Send + Sync + 'static;
    /// The vault blocks in `owner`'s namespace: only blocks `owner` uploaded (or that were
    /// replicated into that namespace from a node where `owner` uploaded them).
    fn vault_blocks(&self, owner: &Did) -> Arc<Self::VaultBlocks>;
    /// Imports a CAR of vault blocks uploaded by `uploader` into `uploader`'s namespace,
    /// atomically, within the node's upload limit and `uploader`'s quota of unanchored uploads.
    fn import_vault_car(
        &self,
        uploader: Did,
        body: BodyReader,
    ) -> impl Future<Output = Result<ContentImportView, ApiError>> + Send;
    /// An owner's vault records from the node's index, in id order after `after`.
    fn vault_records_of(
        &self,
        owner: Did,
        after: Option<RecordId>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<(RecordId, VaultRecord)>, ApiError>> + Send;
    /// Appends a release to this node's access log of a record.
    fn vault_log_append(
        &self,
        id: RecordId,
        entry: AccessEntry,
    ) -> impl Future<Output = Result<(), ApiError>> + Send;
    /// This node's access log of a record.
    fn vault_log(
        &self,
        id: RecordId,
        from: u64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<AccessEntry>, ApiError>> + Send;
    /// How many of `roots` this node holds in `owner`'s namespace of its vault store.
    fn vault_held(
        &self,
        owner: Did,
        roots: Vec<ContentId>,
    ) -> impl Future<Output = Result<u64, ApiError>> + Send;
    /// Whether erased vault data may still sit in freed pages of this node's store (until
    /// the store's next rewrite).
    fn vault_rewrite_pending(&self) -> bool;
    /// This node's consensus key (hex).
    fn node_key(&self) -> String;
    /// Signs `message` under `namespace` with the node's consensus key (hex signature).
    fn node_sign(&self, namespace: &[u8], message: &[u8]) -> String;
}
