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

pub use content::RemoteBlocks;
pub use credentials::ClientLedger;
pub use http::Client;
pub use identity::{DidVersionSelector, ProvenAbsent, VerifiedDid, check_resolution};
pub use proof::{Verified, verify_proof_view};
pub use vault::{OpenedRecord, RecordMeta, SealedVersion, VaultKeys, agreement_secret};

/// Errors of the client.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The node could not be reached or the connection failed.
    #[error("cannot reach node at {url}: {message}")]
    Transport {
        /// URL asked.
        url: String,
        /// What went wrong.
        message: String,
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
    /// The node's answer could not be understood or failed verification.
    #[error("bad answer from node: {0}")]
    BadResponse(String),
    /// Local content import or verification failed.
    #[error("content: {0}")]
    Content(String),
    /// Encrypting, decrypting, wrapping or a share check failed on the client.
    #[error("vault: {0}")]
    Vault(String),
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
