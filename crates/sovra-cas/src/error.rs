//! The one error type of the content-addressing crate.

use cid::Cid;

/// Why a content-addressing operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CasError {
    /// The text or bytes are not a CID.
    #[error("invalid CID: {0}")]
    InvalidCid(String),
    /// The CID uses a hash function this node does not verify.
    #[error("unsupported hash function 0x{0:x} in CID")]
    UnsupportedHash(u64),
    /// The CID uses a codec this node does not traverse.
    #[error("unsupported codec 0x{0:x}")]
    UnsupportedCodec(u64),
    /// A block's bytes do not hash to its CID.
    #[error("block {0} does not match its hash")]
    HashMismatch(Cid),
    /// A block is larger than the limit.
    #[error("block of {size} bytes exceeds the limit of {limit} bytes")]
    BlockTooLarge {
        /// Size of the block.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A block could not be decoded as its codec says.
    #[error("malformed block {cid}: {reason}")]
    Malformed {
        /// The block.
        cid: Cid,
        /// What is wrong.
        reason: String,
    },
    /// A DAG exceeds a traversal limit.
    #[error("limit exceeded: {0}")]
    Limit(String),
    /// A block needed is not available.
    #[error("block {0} not found")]
    NotFound(Cid),
    /// A path does not exist in the DAG.
    #[error("path not found: {0}")]
    PathNotFound(String),
    /// A path segment walks into something that is not a directory.
    #[error("cannot resolve {segment:?}: {reason}")]
    NotADirectory {
        /// The segment.
        segment: String,
        /// What is there instead.
        reason: String,
    },
    /// A CAR file is malformed.
    #[error("malformed CAR: {0}")]
    Car(String),
    /// UnixFS tree construction or reading failed.
    #[error("unixfs: {0}")]
    UnixFs(String),
    /// Reading or writing a stream failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// A block store failed.
    #[error("block store: {0}")]
    Store(String),
}
