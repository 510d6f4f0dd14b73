//! The node library's error type: what starting, configuring or running a node can fail with,
//! each with its cause kept as the error's source (the `sovra` binary prints the whole chain).

use std::path::PathBuf;

/// An error of the node library.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// A file or directory operation failed; `what` says which ("reading config", ...).
    #[error("{what} {}", path.display())]
    File {
        /// What was being done.
        what: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A new file could not be created (it must not exist yet).
    #[error("creating {} (it must not exist)", path.display())]
    CreateNew {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// An I/O operation without a file of its own failed (a signal handler, a listener, a
    /// background thread).
    #[error("{what}")]
    Io {
        /// What was being done.
        what: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A config file is not valid TOML of the expected shape.
    #[error("parsing config {}", path.display())]
    ConfigSyntax {
        /// The config file.
        path: PathBuf,
        /// The parser's error.
        #[source]
        source: toml::de::Error,
    },
    /// A config could not be written as TOML.
    #[error("encoding the config")]
    ConfigEncode(#[from] toml::ser::Error),
    /// A config holds a value outside its allowed range.
    #[error("{0}")]
    InvalidConfig(&'static str),
    /// A validator key file does not hold hex.
    #[error("key file is not hex")]
    KeyFileHex(#[source] hex::FromHexError),
    /// A validator key file holds something other than a 32-byte seed.
    #[error("key file must hold a 32-byte seed")]
    KeyFileLength,
    /// A key could not be made or decoded.
    #[error(transparent)]
    Crypto(#[from] sovra_crypto::CryptoError),
    /// The genesis file is invalid.
    #[error(transparent)]
    Types(#[from] sovra_types::TypesError),
    /// A validator key named in genesis is not hex.
    #[error("validator key in genesis is not hex")]
    ValidatorKeyHex(#[source] hex::FromHexError),
    /// A validator's p2p address in genesis does not parse.
    #[error("validator p2p address {address:?}")]
    P2pAddress {
        /// The address as written in genesis.
        address: String,
        /// The parser's error.
        #[source]
        source: std::net::AddrParseError,
    },
    /// Genesis names one validator key twice.
    #[error("duplicate validator keys")]
    DuplicateValidators,
    /// The data directory is locked by another running node.
    #[error(
        "the data directory {} is in use by another running node (stop it first)",
        .0.display()
    )]
    DataDirInUse(PathBuf),
    /// A network already exists where one was to be written.
    #[error(
        "{} already holds a network (genesis.json exists); choose another --dir or delete it",
        .0.display()
    )]
    NetworkExists(PathBuf),
    /// A network size outside what `testnet init` and `devnet` accept.
    #[error("validators must be between 1 and 100")]
    ValidatorCount,
    /// Genesis could not be encoded as JSON.
    #[error("encoding genesis")]
    GenesisEncode(#[from] serde_json::Error),
    /// A store (index, content, vault, access log) failed; `what` says which operation.
    #[error("{what}")]
    Store {
        /// What was being done.
        what: &'static str,
        /// The store's error (boxed: it is large, and errors are rare).
        #[source]
        source: Box<sovra_store::StoreError>,
    },
    /// A store operation of a background pass failed.
    #[error(transparent)]
    StoreOp(Box<sovra_store::StoreError>),
    /// Walking a DAG of blocks failed.
    #[error(transparent)]
    Cas(Box<sovra_cas::CasError>),
    /// The ledger or the consensus engine failed.
    #[error(transparent)]
    Consensus(Box<sovra_consensus::ConsensusError>),
}

impl From<sovra_store::StoreError> for NodeError {
    fn from(e: sovra_store::StoreError) -> Self {
        Self::StoreOp(Box::new(e))
    }
}

impl From<sovra_cas::CasError> for NodeError {
    fn from(e: sovra_cas::CasError) -> Self {
        Self::Cas(Box::new(e))
    }
}

impl From<sovra_consensus::ConsensusError> for NodeError {
    fn from(e: sovra_consensus::ConsensusError) -> Self {
        Self::Consensus(Box::new(e))
    }
}

impl NodeError {
    /// A [`NodeError::File`] for `path`, for use in `map_err`.
    pub fn file(
        what: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::File { what, path, source }
    }

    /// A [`NodeError::Io`] saying `what`, for use in `map_err`.
    pub fn io(what: &str) -> impl FnOnce(std::io::Error) -> Self {
        let what = what.to_string();
        move |source| Self::Io { what, source }
    }

    /// A [`NodeError::Store`] saying `what`, for use in `map_err`.
    pub fn store(what: &'static str) -> impl FnOnce(sovra_store::StoreError) -> Self {
        move |source| Self::Store {
            what,
            source: Box::new(source),
        }
    }
}

/// The node library's result type.
pub type Result<T, E = NodeError> = std::result::Result<T, E>;
