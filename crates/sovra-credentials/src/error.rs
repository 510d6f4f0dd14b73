//! The one error type of this crate, [`CredentialError`].

/// Everything that can go wrong while signing or verifying a Data Integrity
/// proof.
///
/// Each failure class has its own variant so callers (the API, the CLI, the
/// node) can map them to distinct answers: a tampered credential
/// ([`CredentialError::InvalidSignature`]) is not the same thing as a
/// credential that uses a context this node refuses to fetch
/// ([`CredentialError::UnknownContext`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// The input is not a well-formed secured or unsecured document: not a
    /// JSON object, a proof field of the wrong JSON type, a `proofValue` that
    /// is not base58btc multibase of 64 bytes, a proof set, and so on.
    #[error("malformed document: {0}")]
    MalformedDocument(String),

    /// The document (or the proof configuration) references a JSON-LD
    /// `@context` URL that is not in the offline context store. Remote
    /// contexts are never fetched.
    #[error("JSON-LD context `{url}` is not available offline; remote contexts are refused")]
    UnknownContext {
        /// The context URL that was refused.
        url: String,
    },

    /// JSON-LD expansion or RDF conversion failed for another reason, most
    /// often a term that no context defines (terms are never silently
    /// dropped, since dropped terms would be unsigned).
    #[error("JSON-LD processing failed: {0}")]
    JsonLd(String),

    /// The document uses JSON or JSON-LD features whose values would not be
    /// covered by the signature (safe mode, see [`crate::safe`]): a string
    /// where the context expects an IRI, a relative or blank node
    /// identifier, a `null`, a keyword-like key, an inline context, a
    /// number or language tag that does not survive, a free-floating value,
    /// and so on. Refused both when signing and when verifying.
    #[error("unsafe document (safe mode): {0}")]
    UnsafeDocument(String),

    /// The proof's `type` is not `DataIntegrityProof`, or its `cryptosuite`
    /// is not one of `eddsa-rdfc-2022` / `eddsa-jcs-2022`.
    #[error("unsupported proof: {0}")]
    UnsupportedCryptosuite(String),

    /// The [`ProofOptions`](crate::ProofOptions) given to
    /// [`sign`](crate::sign) are unusable (verification method is not an
    /// absolute IRI, `created` is not an XML Schema `dateTimeStamp`, ...).
    #[error("invalid proof options: {0}")]
    InvalidOptions(String),

    /// The caller's key lookup refused the proof's verification method.
    #[error("key lookup for verification method `{verification_method}` refused: {reason}")]
    KeyLookupRefused {
        /// The proof's `verificationMethod`.
        verification_method: String,
        /// The reason the lookup gave.
        reason: String,
    },

    /// Key material could not be decoded (wrong multibase, wrong multicodec,
    /// wrong length, or bytes that are not an Ed25519 point).
    #[error("invalid key: {0}")]
    InvalidKey(String),

    /// The signature does not verify: the document or its proof was altered
    /// after signing, or the key is not the one that signed.
    #[error(
        "signature invalid: the document or its proof was altered, or the key is not the signer's"
    )]
    InvalidSignature,

    /// The proof's `proofPurpose` is unknown, or is not the one the verifier
    /// expected.
    #[error("wrong proof purpose: expected {expected}, found `{found}`")]
    WrongProofPurpose {
        /// What the verifier accepts.
        expected: String,
        /// What the proof says.
        found: String,
    },

    /// The proof's `challenge` or `domain` is not the one the verifier
    /// expected.
    #[error("proof `{field}` mismatch: expected `{expected}`, found {found:?}")]
    ProofOptionMismatch {
        /// `"challenge"` or `"domain"`.
        field: &'static str,
        /// The value the verifier expected.
        expected: String,
        /// The value in the proof, if any.
        found: Option<String>,
    },

    /// The document has no `proof`.
    #[error("document has no proof")]
    MissingProof,

    /// A `credentialStatus` entry, a status list credential or its
    /// `encodedList` does not follow W3C Bitstring Status List v1.0 (the
    /// spec's `MALFORMED_VALUE_ERROR` and `STATUS_LIST_LENGTH_ERROR`), or
    /// uses a status purpose this crate does not support; see
    /// [`status`](crate::status).
    #[error("malformed status list: {0}")]
    MalformedStatusList(String),

    /// A status list index is not inside the status list (the spec's
    /// `RANGE_ERROR`).
    #[error("status list index {index} is out of range (the list has {length} entries)")]
    StatusIndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The number of entries (bits) of the list.
        length: usize,
    },
}
