//! The private vault area: record anchors, grants, access logs and erasure statements.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use sovra_types::{RecordId, VaultRecord};

/// A grant on a vault record.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct GrantView {
    /// Who may read.
    pub grantee: String,
    /// The record version the grant's wrapped key is for.
    pub version: u64,
    /// When the grant ends (unix ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<u64>,
    /// CID of the block holding the wrapped key.
    pub wrap: String,
}

/// A vault record's anchor as the ledger holds it (no keys, no plaintext).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct VaultRecordView {
    /// Record id (32 hex characters).
    pub id: String,
    /// Owner DID.
    pub owner: String,
    /// Current version.
    pub version: u64,
    /// Root CID of the ciphertext.
    pub content: String,
    /// Ciphertext size in bytes.
    pub size: u64,
    /// CID of the keys block (owner's wrapped key, sealed metadata).
    pub keys: String,
    /// Replication factor.
    pub replication: u8,
    /// Retention date (unix ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retain_until_ms: Option<u64>,
    /// Height that created it.
    pub created_height: u64,
    /// Height of the last change.
    pub updated_height: u64,
    /// Time of the last change (unix ms).
    pub updated_ms: u64,
    /// Height that erased it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub erased_height: Option<u64>,
    /// Whether its retention date has passed (as of the newest finalized block).
    pub expired: bool,
    /// Grants.
    pub grants: Vec<GrantView>,
}

impl VaultRecordView {
    /// The view of `record` at finalized time `now_ms`.
    pub fn new(id: &RecordId, record: &VaultRecord, now_ms: u64) -> Self {
        Self {
            id: id.to_string(),
            owner: record.owner.to_string(),
            version: record.version,
            content: record.content.to_string(),
            size: record.size,
            keys: record.keys.to_string(),
            replication: record.replication,
            retain_until_ms: record.retain_until_ms,
            created_height: record.created_height,
            updated_height: record.updated_height,
            updated_ms: record.updated_ms,
            erased_height: record.erased_height,
            expired: record.is_expired(now_ms),
            grants: record
                .grants
                .iter()
                .map(|g| GrantView {
                    grantee: g.grantee.to_string(),
                    version: g.version,
                    until_ms: g.until_ms,
                    wrap: g.wrap.to_string(),
                })
                .collect(),
        }
    }
}

/// A page of an owner's vault records.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct VaultRecordPage {
    /// The records, in id order.
    pub records: Vec<VaultRecordView>,
    /// Pass as `after` for the next page, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// One release of a record by a node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AccessEntry {
    /// Position in this node's log of the record.
    #[serde(default)]
    pub seq: u64,
    /// Who received it.
    pub accessor: String,
    /// `owner` or `grantee`.
    pub role: String,
    /// What was released: `content`, `keys` or `grant`.
    pub part: String,
    /// The record version released.
    pub version: u64,
    /// When (unix ms).
    pub time_ms: u64,
}

/// A node's access log of one record.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AccessLogView {
    /// Record id.
    pub record: String,
    /// The node that kept this log (consensus key, hex).
    pub node: String,
    /// Entries, oldest first.
    pub entries: Vec<AccessEntry>,
}

/// A node's statement about a record's erasure.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ErasureView {
    /// Record id.
    pub record: String,
    /// The node (consensus key, hex).
    pub node: String,
    /// Whether the ledger says the record is erased.
    pub erased: bool,
    /// Whether its retention date has passed.
    pub expired: bool,
    /// How many of the record's roots (content, keys, grant wraps) this node still holds.
    pub held_roots: u64,
    /// Deleted vault data may still sit in freed pages of the node's store file until its next
    /// rewrite.
    pub rewrite_pending: bool,
    /// Erased or expired, nothing held, store rewritten since: the node confirms the erasure.
    pub confirmed: bool,
    /// The statement the node signed, when it confirms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    /// The node's Ed25519 signature over `statement` (namespace `sovra/vault-erasure`), hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// The statement a node signs to confirm it erased `record`.
pub fn erasure_statement(chain_id: &str, record: &RecordId, node: &str) -> String {
    format!(
        "sovra vault erasure: chain {chain_id}, record {record}, node {node}: no ciphertext or wrapped key held"
    )
}

/// Namespace of erasure confirmations.
pub const ERASURE_NAMESPACE: &[u8] = b"sovra/vault-erasure";
