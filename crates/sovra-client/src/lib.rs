//! The Sovra client library: builds and signs transactions with keys that
//! never leave the client, talks to a node's HTTP API, and checks what the
//! node says against finalized headers where it can.
//!
//! Depends only on `sovra-types`, `sovra-crypto`, `sovra-cas` (pure content addressing) and
//! `sovra-credentials` (pure proof computation), so wallets and apps can embed it without a node.

mod content;
mod credentials;
mod http;
mod identity;
mod proof;
mod vault;

#[cfg(test)]
mod tests;

pub use content::RemoteBlocks;
pub use credentials::ClientLedger;
pub use http::Client;
pub use identity::{DidVersionSelector, ProvenAbsent, VerifiedDid, check_resolution};
pub use proof::{Verified, verify_proof_view};
pub use vault::{OpenedRecord, RecordMeta, SealedVersion, VaultKeys, agreement_secret};

impl From<sovra_cas::CasError> for ClientError {
    fn from(e: sovra_cas::CasError) -> Self {
        Self::Content(Box::new(e))
    }
}

impl ClientError {
    /// `data` is not the block `cid` names.
    pub(crate) fn block(cid: &sovra_cas::Cid, source: sovra_cas::CasError) -> Self {
        Self::Block {
            cid: Box::new(*cid),
            source: Box::new(source),
        }
    }
}

/// Errors of the client.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The node could not be reached or the connection failed.
    #[error("cannot reach node at {url}: {source}")]
    Transport {
        /// URL asked.
        url: String,
        /// What went wrong (the HTTP client's or an I/O error).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The node answered with an error.
    #[error("node refused ({status}): {code}: {message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// Machine-readable code.
        code: String,
        /// Explanation.
        message: String,
    },
    /// The node's answer failed a check (a proof that does not verify, an answer that does not
    /// fit the question).
    #[error("bad answer from node: {0}")]
    BadResponse(String),
    /// The node's answer is not the JSON the API describes.
    #[error("bad answer from node: {url}: {source}")]
    Json {
        /// URL asked.
        url: String,
        /// Why it does not parse.
        #[source]
        source: serde_json::Error,
    },
    /// A record the node served does not decode.
    #[error("bad answer from node: {what}: {source}")]
    Decode {
        /// What was decoded.
        what: String,
        /// Why it does not decode.
        #[source]
        source: sovra_types::TypesError,
    },
    /// A block the node served is not the block its CID names.
    #[error("bad answer from node: block {cid}: {source}")]
    Block {
        /// The CID asked for.
        cid: Box<sovra_cas::Cid>,
        /// Why the bytes do not match.
        #[source]
        source: Box<sovra_cas::CasError>,
    },
    /// Local content import or verification failed.
    #[error("content: {0}")]
    Content(#[source] Box<sovra_cas::CasError>),
    /// A CAR export is longer than the caller's limit.
    #[error("content: the CAR is larger than {max_bytes} bytes (raise the limit to export it)")]
    CarTooLarge {
        /// The caller's limit.
        max_bytes: u64,
    },
    /// A vault step on the client cannot go on (no grant, no pending recovery, too few
    /// shares, ...).
    #[error("vault: {0}")]
    Vault(String),
    /// Encrypting, decrypting, wrapping or a share check failed on the client.
    #[error("vault: {0}")]
    Crypto(#[from] sovra_crypto::CryptoError),
    /// A vault step on the client failed, with why.
    #[error("vault: {what}: {source}")]
    VaultStep {
        /// The step.
        what: String,
        /// Why it failed.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A worker thread of the client panicked.
    #[error("the client's {0} thread panicked")]
    Worker(&'static str),
    /// Waiting for a transaction to finalize took too long.
    #[error("transaction {0} not final after {1:?}")]
    Timeout(String, std::time::Duration),
    /// A transaction was refused by the mempool.
    #[error("transaction refused: {code}: {message}")]
    Refused {
        /// Machine-readable code.
        code: String,
        /// Explanation.
        message: String,
    },
}
