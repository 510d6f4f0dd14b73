//! Cryptography for Sovra: Ed25519 identity keys and signatures (single and
//! batch verification), `did:key` identifiers, and a keystore that encrypts
//! private keys at rest with a passphrase (Argon2id + XChaCha20-Poly1305).
//!
//! Everything here is built on well-reviewed crates (`commonware-cryptography`
//! for Ed25519, `argon2`, `chacha20poly1305`); this crate only fixes the
//! formats and namespaces Sovra uses.

pub mod did_key;
pub mod keys;
pub mod keystore;
pub mod multikey;
pub mod padding;
pub mod record;
pub mod shares;
pub mod wrap;

pub use did_key::{decode_did_key, encode_did_key};
pub use keys::{BatchItem, PublicKey, Signature, SigningKey, batch_verify, random_bytes, verify};
pub use multikey::{MultikeyType, decode_multikey, encode_multikey, x25519_from_ed25519};

/// Errors produced by this crate.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// A `did:key` string could not be parsed or does not hold an Ed25519 key.
    #[error("invalid did:key: {0}")]
    InvalidDidKey(String),
    /// Key material is malformed: not multibase, a wrong multicodec prefix or length, or not a
    /// point on the curve.
    #[error("invalid key material: {0}")]
    InvalidKey(String),
    /// Bytes do not decode as an Ed25519 public key, private key seed or signature.
    #[error("invalid {what}: {source}")]
    KeyBytes {
        /// What the bytes were meant to be.
        what: &'static str,
        /// Why they do not decode.
        #[source]
        source: commonware_codec::Error,
    },
    /// The keystore passphrase was wrong or the key file was altered.
    #[error("wrong passphrase or corrupted key file")]
    Decryption,
    /// A key file could not be read or written.
    #[error("keystore I/O error at {path}: {source}")]
    Io {
        /// File or directory concerned.
        path: String,
        /// Underlying error.
        source: std::io::Error,
    },
    /// A key file is not of the keystore's format (or a key name is not allowed).
    #[error("malformed key file {path}: {reason}")]
    Format {
        /// File concerned.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A key file is not JSON of the keystore's shape.
    #[error("malformed key file {path}: {source}")]
    KeyFileJson {
        /// File concerned.
        path: String,
        /// Why it does not parse.
        #[source]
        source: serde_json::Error,
    },
    /// Argon2id refused a key file's parameters or salt.
    #[error("key derivation (Argon2id) failed: {0}")]
    Kdf(#[source] argon2::Error),
    /// No key with this name exists in the keystore.
    #[error("no key named {0:?} in the keystore")]
    NotFound(String),
    /// A key with this name already exists.
    #[error("a key named {0:?} already exists")]
    AlreadyExists(String),
    /// An empty passphrase was given where a key or secret is stored (allowed only when the
    /// keystore was opened with [`keystore::Keystore::allow_empty_passphrase`]).
    #[error("an empty passphrase does not protect a key: choose a passphrase")]
    EmptyPassphrase,
    /// A sealed record, value or wrapped key could not be made or opened
    /// (wrong key, altered, truncated, or malformed).
    #[error("sealed data: {0}")]
    Sealed(String),
    /// Reading the input or writing the output of a sealed stream failed.
    #[error("sealed data: I/O: {0}")]
    SealedIo(#[source] std::io::Error),
    /// HPKE refused a key, or could not seal.
    #[error("sealed data: HPKE: {0}")]
    Hpke(#[source] hpke::HpkeError),
    /// The operating system's random number generator failed.
    #[error("system randomness unavailable: {0}")]
    Randomness(#[source] getrandom::Error),
    /// Threshold sharing bounds violated: need `1 <= threshold <= n <= 16`.
    #[error("invalid sharing parameters: {threshold}-of-{n} (need 1 <= threshold <= n <= 16)")]
    InvalidSharingParameters {
        /// Requested threshold.
        threshold: u8,
        /// Requested number of guardians.
        n: u8,
    },
    /// Encoded share, commitments or vault secret bytes are malformed.
    #[error("malformed secret-sharing data: {0}")]
    MalformedShareData(String),
    /// Fewer shares than the threshold were given to recombine.
    #[error("not enough shares: have {have}, need {need}")]
    NotEnoughShares {
        /// Shares given.
        have: usize,
        /// Threshold of the sharing.
        need: u8,
    },
    /// Two shares with the same guardian index were given.
    #[error("duplicate share for guardian {0}")]
    DuplicateShare(u8),
    /// The share of this guardian index fails verification against the
    /// commitments (tampered, from another sharing, or index out of range).
    #[error("share of guardian {0} does not match the commitments")]
    InvalidShare(u8),
    /// Secret splitting gave an unexpected layout, or the recovered secret does not match the
    /// commitments.
    #[error("secret sharing failed: {0}")]
    SecretSharing(String),
    /// The sharing library (`vsss-rs`) failed to split or to combine.
    #[error("secret sharing failed: {step}: {source}")]
    SharingLibrary {
        /// `split` or `combine`.
        step: &'static str,
        /// The library's error.
        #[source]
        source: shares::SharingError,
    },
}
