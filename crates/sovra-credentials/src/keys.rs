//! Ed25519 key helpers: `did:key` / Multikey public keys (`z6Mk...`,
//! multicodec `ed25519-pub` 0xed) and `privateKeyMultibase` seeds
//! (`z3u2...`, multicodec `ed25519-priv` 0x1300), both base58btc multibase.
//!
//! Decoding uses the `multibase` crate and ssi's `ssi-multicodec` tables.

use ed25519_dalek::SigningKey;
use ssi_multicodec::{ED25519_PRIV, ED25519_PUB, MultiEncoded, MultiEncodedBuf};

use crate::{CredentialError, ErrorDetail};

fn decode_multikey(value: &str, codec: u64, what: &str) -> Result<[u8; 32], CredentialError> {
    let (base, bytes) = multibase::decode(value).map_err(|e| {
        CredentialError::InvalidKey(ErrorDetail::caused(format!("{what}: not multibase"), e))
    })?;
    if base != multibase::Base::Base58Btc {
        return Err(CredentialError::InvalidKey(
            format!("{what}: expected base58btc multibase (`z...`), found {base:?}").into(),
        ));
    }
    let encoded = MultiEncoded::new(&bytes).map_err(|e| {
        CredentialError::InvalidKey(ErrorDetail::caused(
            format!("{what}: bad multicodec prefix"),
            e,
        ))
    })?;
    let (found, data) = encoded.parts();
    if found != codec {
        return Err(CredentialError::InvalidKey(
            format!("{what}: expected multicodec {codec:#x}, found {found:#x}").into(),
        ));
    }
    data.try_into().map_err(|_| {
        CredentialError::InvalidKey(
            format!("{what}: expected 32 bytes, found {}", data.len()).into(),
        )
    })
}

/// Decodes an Ed25519 `publicKeyMultibase` (`z6Mk...`, as in `did:key`
/// identifiers and Multikey verification methods) to the 32-byte key.
pub fn ed25519_public_key_from_multibase(multibase: &str) -> Result<[u8; 32], CredentialError> {
    decode_multikey(multibase, ED25519_PUB, "Ed25519 public key")
}

/// Decodes an Ed25519 `privateKeyMultibase` (`z3u2...`, multicodec
/// `ed25519-priv`) to the 32-byte secret seed.
pub fn ed25519_secret_key_from_multibase(multibase: &str) -> Result<[u8; 32], CredentialError> {
    decode_multikey(multibase, ED25519_PRIV, "Ed25519 private key")
}

/// Encodes a 32-byte Ed25519 public key as `publicKeyMultibase` (`z6Mk...`).
pub fn ed25519_public_key_to_multibase(public_key: &[u8; 32]) -> String {
    let encoded = MultiEncodedBuf::encode_bytes(ED25519_PUB, public_key);
    multibase::encode(multibase::Base::Base58Btc, encoded.as_bytes())
}

/// Decodes the Ed25519 public key of a `did:key` DID or DID URL
/// (`did:key:z6Mk...` or `did:key:z6Mk...#z6Mk...`). When a fragment is
/// present it must name the same key.
pub fn ed25519_public_key_from_did_key(did_or_url: &str) -> Result<[u8; 32], CredentialError> {
    let rest = did_or_url.strip_prefix("did:key:").ok_or_else(|| {
        CredentialError::InvalidKey(format!("`{did_or_url}` is not a did:key identifier").into())
    })?;
    let (id, fragment) = match rest.split_once('#') {
        Some((id, fragment)) => (id, Some(fragment)),
        None => (rest, None),
    };
    if let Some(fragment) = fragment
        && fragment != id
    {
        return Err(CredentialError::InvalidKey(
            format!("did:key fragment `{fragment}` does not name the DID's key `{id}`").into(),
        ));
    }
    ed25519_public_key_from_multibase(id)
}

/// The `did:key` verification method (`did:key:z6Mk...#z6Mk...`) of a 32-byte
/// Ed25519 public key.
pub fn did_key_verification_method(public_key: &[u8; 32]) -> String {
    let id = ed25519_public_key_to_multibase(public_key);
    format!("did:key:{id}#{id}")
}

/// The Ed25519 public key of a 32-byte secret seed.
pub fn ed25519_public_key_from_secret(secret_key: &[u8; 32]) -> [u8; 32] {
    SigningKey::from_bytes(secret_key)
        .verifying_key()
        .to_bytes()
}
