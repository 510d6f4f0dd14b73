//! The benchmarks' error type: a failed check of a benchmark's own (a round trip that came back
//! different, a node that did not start), or the error of the library it called, kept as the
//! source so the `sovra` binary prints the whole chain.

/// Why a benchmark stopped.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A check of the benchmark's own failed (what came back differs, a node did not start).
    #[error("{0}")]
    Failed(String),
    /// A step failed; `what` says which, `source` why.
    #[error("{what}")]
    Step {
        /// The step.
        what: &'static str,
        /// Its cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A file, process or thread operation failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The node's API or the client failed.
    #[error(transparent)]
    Client(Box<sovra_client::ClientError>),
    /// Writing or starting the benchmark's network failed.
    #[error(transparent)]
    Node(Box<sovra_node::NodeError>),
    /// Signing or verifying a credential failed.
    #[error(transparent)]
    Credential(#[from] sovra_credentials::CredentialError),
    /// Content addressing failed.
    #[error(transparent)]
    Content(Box<sovra_cas::CasError>),
    /// A key could not be made or used.
    #[error(transparent)]
    Crypto(#[from] sovra_crypto::CryptoError),
    /// A ledger value could not be built or parsed.
    #[error(transparent)]
    Types(#[from] sovra_types::TypesError),
    /// An HTTP request of the benchmark's own failed.
    #[error(transparent)]
    Http(Box<ureq::Error>),
    /// A JSON value could not be read or written.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// A key's bytes had the wrong length.
    #[error("key bytes of the wrong length")]
    KeyLength(#[from] std::array::TryFromSliceError),
}

impl From<ureq::Error> for BenchError {
    fn from(e: ureq::Error) -> Self {
        Self::Http(Box::new(e))
    }
}

impl BenchError {
    /// Wraps `source` as the cause of the step `what`.
    pub(crate) fn step(
        what: &'static str,
    ) -> impl FnOnce(Box<dyn std::error::Error + Send + Sync>) -> Self {
        move |source| Self::Step { what, source }
    }
}

impl From<sovra_client::ClientError> for BenchError {
    fn from(e: sovra_client::ClientError) -> Self {
        Self::Client(Box::new(e))
    }
}

impl From<sovra_node::NodeError> for BenchError {
    fn from(e: sovra_node::NodeError) -> Self {
        Self::Node(Box::new(e))
    }
}

impl From<sovra_cas::CasError> for BenchError {
    fn from(e: sovra_cas::CasError) -> Self {
        Self::Content(Box::new(e))
    }
}

/// A benchmark's result.
pub type Result<T, E = BenchError> = std::result::Result<T, E>;

/// Returns early with [`BenchError::Failed`] and a formatted message.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::error::BenchError::Failed(format!($($arg)*)))
    };
}
pub(crate) use bail;
