//! Sovra content addressing: the IPFS-compatible half of public data.
//!
//! Everything here is pure computation over byte streams, shared by the client (which chunks
//! files before upload) and the node (which stores, verifies, replicates and serves blocks):
//!
//! - [`add`]: UnixFS import of files and directories with the two IPFS profiles in [`Profile`],
//!   streaming, giving the same CIDs as `ipfs add --cid-version=1`.
//! - [`block`]: blocks, CID parsing and hash verification, and the [`BlockSource`] /
//!   [`BlockSink`] traits a store implements.
//! - [`links`]: the links out of a block for the codecs we traverse (raw, dag-pb, dag-cbor, dag-json).
//! - [`dag`]: bounded depth-first traversal of a DAG, used for CAR export and for checking that a
//!   pinned DAG is complete.
//! - [`unixfs`]: path resolution and file and directory reading.
//! - [`car`]: CAR v1 import (every block verified, every length checked before it is read) and
//!   export.
//! - [`export`]: writing a UnixFS tree to disk, confined to the output path and bounded.

pub mod add;
pub mod block;
pub mod car;
pub mod dag;
mod error;
pub mod export;
pub mod links;
pub mod profile;
pub mod unixfs;

pub use add::{AddedEntry, Adder};
pub use block::{Block, BlockSink, BlockSource, MemoryBlocks, parse_cid, raw_cid, verify_block};
pub use cid::Cid;
pub use error::CasError;
pub use profile::Profile;

/// Limits that bound every structure read from the network or from a user.
pub mod limits {
    /// Largest block accepted anywhere (IPFS's bitswap limit is 2 MiB; our largest chunk is 1 MiB).
    pub const MAX_BLOCK_BYTES: usize = 2 * 1024 * 1024;
    /// Deepest DAG traversed (file trees are shallow; this bounds nested directories).
    pub const MAX_DAG_DEPTH: usize = 256;
    /// Most links read out of one block.
    pub const MAX_LINKS_PER_BLOCK: usize = 16_384;
    /// Most path segments resolved in one request.
    pub const MAX_PATH_SEGMENTS: usize = 256;
    /// Largest CID accepted (a sha2-512 CIDv1 is 68 bytes).
    pub const MAX_CID_BYTES: usize = 128;
    /// Largest CAR header read (a header names its roots; ours name one).
    pub const MAX_CAR_HEADER_BYTES: usize = 64 * 1024;
    /// Most roots a CAR header may name.
    pub const MAX_CAR_ROOTS: usize = 64;
}
