//! The one error type of the content-addressing crate.

use cid::Cid;

/// Why a content-addressing operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CasError {
    /// The text or bytes are not a CID (too long, or trailing bytes).
    #[error("invalid CID: {0}")]
    InvalidCid(String),
    /// The text does not parse as a CID.
    #[error("invalid CID: {text:?}: {source}")]
    CidText {
        /// The text given.
        text: String,
        /// Why it does not parse.
        #[source]
        source: cid::Error,
    },
    /// The bytes do not parse as a binary CID.
    #[error("invalid CID: {0}")]
    CidBytes(#[source] cid::Error),
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
    #[error("malformed block {cid}: {source}")]
    Malformed {
        /// The block.
        cid: Cid,
        /// The codec's decoding error (DAG-PB, DAG-CBOR or DAG-JSON).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A DAG exceeds a traversal limit.
    #[error("limit exceeded: {0}")]
    Limit(String),
    /// A CAR is larger than the caller's byte limit.
    #[error("limit exceeded: the CAR is larger than {max_bytes} bytes")]
    CarTooLarge {
        /// The limit.
        max_bytes: u64,
    },
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
    /// A path segment could not be looked up in a directory block (not a directory, an
    /// unsupported or malformed directory or HAMT bucket).
    #[error("cannot resolve {segment:?}: {source}")]
    Resolve {
        /// The segment.
        segment: String,
        /// The UnixFS resolver's error.
        #[source]
        source: Box<rust_unixfs::dir::ResolveError>,
    },
    /// A CAR file is malformed.
    #[error("malformed CAR: {0}")]
    Car(String),
    /// A CAR's header is not the DAG-CBOR it must be.
    #[error("malformed CAR: header: {0}")]
    CarHeader(#[source] serde_ipld_dagcbor::DecodeError<std::convert::Infallible>),
    /// A CAR block frame does not start with a CID.
    #[error("malformed CAR: block {block}: bad CID: {source}")]
    CarBlockCid {
        /// The index of the block frame in the CAR.
        block: u64,
        /// Why the CID does not parse.
        #[source]
        source: cid::Error,
    },
    /// A CAR frame's length prefix is not a varint.
    #[error("malformed CAR: frame length: {0}")]
    CarFrameLength(#[source] unsigned_varint::io::ReadError),
    /// Reading a CAR failed (the input, not its format).
    #[error("malformed CAR: {0}")]
    CarRead(#[source] std::io::Error),
    /// Writing a CAR failed.
    #[error("writing CAR: {0}")]
    CarWrite(#[source] fvm_ipld_car::Error),
    /// UnixFS tree construction or reading failed.
    #[error("unixfs: {0}")]
    UnixFs(String),
    /// A UnixFS directory tree could not be built from its entries.
    #[error("unixfs: {0}")]
    UnixFsTree(#[from] rust_unixfs::dir::builder::TreeBuildingFailed),
    /// A UnixFS directory tree could not be rendered into blocks.
    #[error("unixfs: {0}")]
    UnixFsBlocks(#[from] rust_unixfs::dir::builder::TreeConstructionFailed),
    /// A block met while walking a UnixFS file or symlink is not valid UnixFS.
    #[error("unixfs: {0}")]
    UnixFsWalk(#[from] rust_unixfs::walk::Error),
    /// An export failed before writing anything to its output.
    #[error("{0}; nothing was written")]
    NothingWritten(#[source] Box<CasError>),
    /// An export failed and its staging directory could not be removed either.
    #[error("{error}; the partial export in {} could not be removed ({cleanup})", .staging.display())]
    PartialExportLeft {
        /// Why the export failed.
        #[source]
        error: Box<CasError>,
        /// The staging directory left behind.
        staging: std::path::PathBuf,
        /// Why it could not be removed.
        cleanup: std::io::Error,
    },
    /// Reading or writing a stream failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// A block store failed; its own error is the source.
    #[error("block store: {0}")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl CasError {
    /// A [`CasError::Store`] keeping `cause` (a store's error, or a message saying what failed).
    pub fn store(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        CasError::Store(cause.into())
    }
}
