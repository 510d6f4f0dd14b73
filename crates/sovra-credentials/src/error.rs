//! The one error type of this crate, [`CredentialError`], and the [`ErrorDetail`] its failure
//! classes carry (what is wrong, and the library error that says so, kept as the cause).

use std::sync::Arc;

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
    MalformedDocument(#[source] ErrorDetail),

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
    JsonLd(#[source] ErrorDetail),

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
    InvalidOptions(#[source] ErrorDetail),

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
    InvalidKey(#[source] ErrorDetail),

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
    MalformedStatusList(#[source] ErrorDetail),

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

/// What is wrong, for the failure classes of [`CredentialError`] that describe their input
/// (malformed document, key, options, status list, JSON-LD processing), with the error of the
/// library that found it (JSON parser, multibase, JSON-LD processor, GZIP, ...) kept as its
/// [`source`](std::error::Error::source).
///
/// Its text (shown by `Display`, and readable as a `&str` through `Deref`) is the message
/// followed by the cause's text, as the `String` these variants held before causes were kept.
/// Two details are equal when their texts are (a library error is neither `Clone` nor
/// `PartialEq` in general: it is shared behind an `Arc`).
#[derive(Clone, Debug)]
pub struct ErrorDetail {
    text: String,
    cause: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl ErrorDetail {
    /// A detail with no underlying library error.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            text: message.into(),
            cause: None,
        }
    }

    /// A detail whose cause is `cause`, the library error that found the problem.
    pub fn caused(
        message: impl std::fmt::Display,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            text: format!("{message}: {cause}"),
            cause: Some(Arc::new(cause)),
        }
    }
}

impl From<String> for ErrorDetail {
    fn from(message: String) -> Self {
        Self::new(message)
    }
}

impl From<&str> for ErrorDetail {
    fn from(message: &str) -> Self {
        Self::new(message)
    }
}

impl std::ops::Deref for ErrorDetail {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text
    }
}

impl std::fmt::Display for ErrorDetail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for ErrorDetail {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|c| c as &(dyn std::error::Error + 'static))
    }
}

impl PartialEq for ErrorDetail {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for ErrorDetail {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    /// The library error that found a problem is the cause of the detail, and displays as before.
    #[test]
    fn library_errors_are_kept_as_causes() {
        let err = crate::parse_document(b"{").unwrap_err();
        assert!(
            matches!(err, CredentialError::MalformedDocument(_)),
            "{err:?}"
        );
        let cause = err
            .source()
            .and_then(|d| d.source())
            .expect("JSON error kept");
        assert!(cause.downcast_ref::<serde_json::Error>().is_some());
        assert_eq!(
            err.to_string(),
            format!("malformed document: invalid JSON: {cause}")
        );

        let err = crate::keys::ed25519_public_key_from_multibase("!not multibase").unwrap_err();
        assert!(matches!(err, CredentialError::InvalidKey(_)), "{err:?}");
        let cause = err
            .source()
            .and_then(|d| d.source())
            .expect("multibase error kept");
        assert!(cause.downcast_ref::<multibase::Error>().is_some());
    }
}
