//! The content area: CAR uploads, pins and named public documents.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Answer of `POST /v1/content`: what an uploaded CAR held.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct ContentImportView {
    /// The roots named in the CAR header.
    pub roots: Vec<String>,
    /// Blocks stored (each verified against its CID).
    pub blocks: u64,
    /// Bytes of block data stored.
    pub bytes: u64,
    /// Until when (unix milliseconds) the node keeps the blocks without a pin.
    pub kept_until_ms: u64,
}

/// One identity's pin of a content root.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct PinOwnerView {
    /// The identity.
    pub owner: String,
    /// The replication factor it asked for.
    pub replication: u8,
}

/// Answer of `GET /v1/content/{cid}`: who pins a root and whether this node holds all of it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct ContentStatusView {
    /// The root CID.
    pub cid: String,
    /// Finalized pins of this root.
    pub pins: Vec<PinOwnerView>,
    /// Whether every block of the DAG is held by this node.
    pub complete_here: bool,
    /// Blocks of the DAG found missing here (at most 100 are listed).
    pub missing: Vec<String>,
}

/// Answer of `GET /v1/accounts/{did}/public/{name}`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct PublicDocView {
    /// The identity.
    pub owner: String,
    /// The document name.
    pub name: String,
    /// The CID it points to.
    pub cid: String,
    /// Where to read it on this node's gateway.
    pub gateway_path: String,
}
