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

pub use did_key::{decode_did_key, encode_did_key};
pub use keys::{BatchItem, PublicKey, Signature, SigningKey, batch_verify, random_bytes, verify};
pub use multikey::{MultikeyType, decode_multikey, encode_multikey, x25519_from_ed25519};

/// Errors produced by this crate.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// A `did:key` string could not be parsed or does not hold an Ed25519 key.
    #[error("invalid did:key: {0}")]
    InvalidDidKey(String),
    /// Bytes were not a valid Ed25519 public key, private key or signature.
    #[error("invalid key material: {0}")]
    InvalidKey(String),
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
    /// A key file is not valid keystore JSON.
    #[error("malformed key file {path}: {reason}")]
    Format {
        /// File concerned.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No key with this name exists in the keystore.
    #[error("no key named {0:?} in the keystore")]
    NotFound(String),
    /// A key with this name already exists.
    #[error("a key named {0:?} already exists")]
    AlreadyExists(String),
    /// The operating system's random number generator failed.
    #[error("system randomness unavailable: {0}")]
    Randomness(String),
}
