//! The ledger area: transaction submission and status, blocks, accounts, receipt chains and
//! state proofs.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ErrorBody;

/// Body of `POST /v1/txs`: one transaction or a batch, each the hex of its
/// canonical encoding.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    /// One transaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx: Option<String>,
    /// A batch of transactions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub txs: Option<Vec<String>>,
}

/// Result for one submitted transaction.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct SubmitResult {
    /// Transaction id (hex), when the bytes could be decoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Whether it was accepted into the mempool.
    pub accepted: bool,
    /// Error, when refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

/// Response of `POST /v1/txs`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SubmitResponse {
    /// One result per submitted transaction, in order.
    pub results: Vec<SubmitResult>,
}

/// A transaction's state as the node sees it.
///
/// Every transaction a node accepted ends in one of four final states: `completed` or `failed`
/// (included in a finalized block: `height`, `index`, `fee`, and `error` for a failure),
/// `replaced` (another transaction of the same signer used its nonce: `replaced_by` when this
/// node knows which, `height` where that nonce was found used) or `expired` (its
/// `expiry_height` was finalized without it). Before that it is `pending`. `replaced` and
/// `expired` are known to the nodes that held the transaction, for a bounded number of
/// transactions; a node that never held it answers 404.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct TxStatusView {
    /// Transaction id (hex).
    pub id: String,
    /// `pending` (in the mempool), or final: `completed`, `failed`, `replaced` or `expired`.
    pub status: String,
    /// Height of the block that includes it (`completed`, `failed`), or of the block that
    /// used its nonce (`replaced`), or at which it was dropped (`expired`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
    /// Position in that block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// Fee charged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fee: Option<u64>,
    /// Failure code and message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
    /// The last height at which it may be included (`pending`, `expired`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_height: Option<u64>,
    /// The transaction that used its nonce (hex), for `replaced` when this node saw it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
}

impl TxStatusView {
    /// Whether the status is final (anything but `pending`).
    pub fn is_final(&self) -> bool {
        self.status != "pending"
    }
}

/// A block header.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct HeaderView {
    /// Block id (hex).
    pub id: String,
    /// Parent id (hex).
    pub parent: String,
    /// Height.
    pub height: u64,
    /// Proposer timestamp, ms.
    pub timestamp_ms: u64,
    /// Transaction commitment (hex).
    pub tx_root: String,
    /// Number of transactions.
    pub tx_count: u32,
    /// State root after the block (hex).
    pub state_root: String,
    /// Hex of the canonical header encoding (what the id hashes).
    pub encoded: String,
}

impl HeaderView {
    /// The view of `h`.
    pub fn new(h: &sovra_types::BlockHeader) -> Self {
        use commonware_codec::Encode as _;
        use sovra_types::digest_hex;
        Self {
            id: digest_hex(&h.id()),
            parent: digest_hex(&h.parent),
            height: h.height,
            timestamp_ms: h.timestamp_ms,
            tx_root: digest_hex(&h.tx_root),
            tx_count: h.tx_count,
            state_root: digest_hex(&h.state_root),
            encoded: hex::encode(h.encode()),
        }
    }
}

/// A finalized block.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BlockView {
    /// The header.
    pub header: HeaderView,
    /// Ids of its transactions (hex), in order.
    pub txs: Vec<String>,
}

/// An identity's account.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct AccountView {
    /// The identity.
    pub did: String,
    /// Balance.
    pub balance: u64,
    /// The account's nonce in the committed state: the nonce of its next transaction to be
    /// finalized.
    pub nonce: u64,
    /// The nonce a new transaction of this signer should use: `nonce` plus this signer's
    /// transactions waiting in this node's mempool with the nonces that follow it (absent from
    /// older nodes: then `nonce`).
    #[serde(default)]
    pub next_nonce: u64,
    /// Receipt-chain head (hex).
    pub receipt_head: String,
    /// Receipt-chain length.
    pub receipt_count: u64,
    /// Height of the state this was read at.
    pub height: u64,
}

/// One receipt-chain entry.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct ReceiptView {
    /// Position in the chain.
    pub index: u64,
    /// Transaction id (hex).
    pub tx_id: String,
    /// Block height.
    pub height: u64,
    /// `pending`, `completed`, `failed` or `erased`.
    pub status: String,
    /// Failure details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
    /// The erased vault record, for an `erased` entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// Previous entry's hash (hex).
    pub prev: String,
    /// This entry's hash (hex).
    pub hash: String,
    /// Hex of the canonical entry encoding.
    pub encoded: String,
}

/// A page of receipt-chain entries.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ReceiptPage {
    /// Entries, oldest first.
    pub entries: Vec<ReceiptView>,
    /// Index to ask for next, if there are more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<u64>,
}

/// A state proof for one key against a finalized header.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ProofView {
    /// The logical key asked for.
    pub key: String,
    /// The hashed key (hex).
    pub key_hash: String,
    /// The value (hex), absent for an exclusion proof.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The finalized header the proof is against.
    pub header: HeaderView,
    /// The proof bytes (hex).
    pub proof: String,
}
