//! Wrapping a record key for an identity: HPKE (RFC 9180, base mode) to the
//! identity's X25519 key-agreement key, with the suite
//! DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305, from the
//! `hpke` crate. Only the holder of the X25519 secret can unwrap.
//!
//! A wrapped key is `enc (32 bytes) ‖ ciphertext of the 32-byte key + tag (48 bytes)`.
//! The `info` string binds the wrap to its purpose (for example the record id
//! and version), so a wrapped key cannot be replayed into another context.
//!
//! Ed25519 identity keys convert to X25519: the public key with
//! [`x25519_from_ed25519`](crate::x25519_from_ed25519), the secret with
//! [`x25519_secret_from_seed`] (the clamped first half of SHA-512 of the
//! Ed25519 seed, as RFC 8032 derives the signing scalar), so a `did:key` or
//! a `did:sovra` key-agreement key derived from a signing key can receive
//! wrapped keys.

use crate::CryptoError;
use hpke::{
    Deserializable, OpModeR, OpModeS, Serializable, aead::ChaCha20Poly1305, kdf::HkdfSha256,
    kem::X25519HkdfSha256,
};
use zeroize::Zeroizing;

type Kem = X25519HkdfSha256;

/// Largest value [`seal_to`] seals (shares, keys: small secrets only).
pub const MAX_SEALED_LEN: usize = 1024;

/// Length of a wrapped 32-byte key.
pub const WRAPPED_KEY_LEN: usize = 32 + 32 + 16;

fn err(e: hpke::HpkeError) -> CryptoError {
    CryptoError::Hpke(e)
}

/// Seals `plaintext` (at most [`MAX_SEALED_LEN`] bytes) for the holder of the X25519
/// public key `recipient`: `enc (32 bytes) ‖ ciphertext + tag`.
pub fn seal_to(
    recipient: &[u8; 32],
    plaintext: &[u8],
    info: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    if plaintext.len() > MAX_SEALED_LEN {
        return Err(CryptoError::Sealed(format!(
            "at most {MAX_SEALED_LEN} bytes can be sealed to a key, not {}",
            plaintext.len()
        )));
    }
    let pk = <Kem as hpke::Kem>::PublicKey::from_bytes(recipient).map_err(err)?;
    let (enc, ct) = hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, Kem>(
        &OpModeS::Base,
        &pk,
        info,
        plaintext,
        b"",
    )
    .map_err(err)?;
    let mut out = Vec::with_capacity(32 + ct.len());
    out.extend_from_slice(&enc.to_bytes());
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Opens a value sealed with [`seal_to`] for the X25519 secret `secret` with the same `info`.
pub fn open_from(
    secret: &[u8; 32],
    sealed: &[u8],
    info: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if sealed.len() < 32 + 16 || sealed.len() > 32 + 16 + MAX_SEALED_LEN {
        return Err(CryptoError::Sealed(format!(
            "a sealed value is 48 to {} bytes, not {}",
            48 + MAX_SEALED_LEN,
            sealed.len()
        )));
    }
    let sk = <Kem as hpke::Kem>::PrivateKey::from_bytes(secret).map_err(err)?;
    let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(&sealed[..32]).map_err(err)?;
    hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
        &OpModeR::Base,
        &sk,
        &enc,
        info,
        &sealed[32..],
        b"",
    )
    .map(Zeroizing::new)
    .map_err(|_| CryptoError::Sealed("not sealed for this key, or altered".into()))
}

/// Wraps `key` for the holder of the X25519 public key `recipient`.
pub fn wrap_key(recipient: &[u8; 32], key: &[u8; 32], info: &[u8]) -> Result<Vec<u8>, CryptoError> {
    seal_to(recipient, key, info)
}

/// Unwraps a key wrapped for the X25519 secret `secret` with the same `info`.
pub fn unwrap_key(
    secret: &[u8; 32],
    wrapped: &[u8],
    info: &[u8],
) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    if wrapped.len() != WRAPPED_KEY_LEN {
        return Err(CryptoError::Sealed(format!(
            "a wrapped key is {WRAPPED_KEY_LEN} bytes, not {}",
            wrapped.len()
        )));
    }
    let plain = open_from(secret, wrapped, info)?;
    let key: [u8; 32] = plain
        .as_slice()
        .try_into()
        .map_err(|_| CryptoError::Sealed("wrapped value is not a 32-byte key".into()))?;
    Ok(Zeroizing::new(key))
}

/// The X25519 secret matching an Ed25519 seed's converted public key.
pub fn x25519_secret_from_seed(seed: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    use sha2::Digest as _;
    let digest = sha2::Sha512::digest(seed);
    let mut secret = [0u8; 32];
    secret.copy_from_slice(&digest[..32]);
    secret[0] &= 248;
    secret[31] &= 127;
    secret[31] |= 64;
    Zeroizing::new(secret)
}

/// The X25519 public key of an X25519 secret.
pub fn x25519_public(secret: &[u8; 32]) -> [u8; 32] {
    curve25519_dalek::MontgomeryPoint::mul_base_clamped(*secret).to_bytes()
}

/// A fresh random X25519 key pair (secret, public), e.g. a vault key.
pub fn x25519_keypair() -> Result<(Zeroizing<[u8; 32]>, [u8; 32]), CryptoError> {
    let secret = Zeroizing::new(crate::random_bytes::<32>()?);
    let public = x25519_public(&secret);
    Ok((secret, public))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SigningKey, x25519_from_ed25519};

    #[test]
    fn wraps_for_the_recipient_only() {
        let (secret, public) = x25519_keypair().unwrap();
        let (other, _) = x25519_keypair().unwrap();
        let key = [42u8; 32];
        let wrapped = wrap_key(&public, &key, b"record 1 v1").unwrap();
        assert_eq!(wrapped.len(), WRAPPED_KEY_LEN);
        assert_eq!(*unwrap_key(&secret, &wrapped, b"record 1 v1").unwrap(), key);
        assert!(
            unwrap_key(&other, &wrapped, b"record 1 v1").is_err(),
            "other key"
        );
        assert!(
            unwrap_key(&secret, &wrapped, b"record 2 v1").is_err(),
            "other info"
        );
        for i in [0, 31, 32, 60, 79] {
            let mut t = wrapped.clone();
            t[i] ^= 1;
            assert!(unwrap_key(&secret, &t, b"record 1 v1").is_err(), "flip {i}");
        }
        assert!(unwrap_key(&secret, &wrapped[..40], b"record 1 v1").is_err());
        // Wrapping twice gives different bytes (fresh ephemeral key).
        assert_ne!(wrapped, wrap_key(&public, &key, b"record 1 v1").unwrap());
    }

    #[test]
    fn ed25519_identity_keys_receive_wrapped_keys() {
        let signing = SigningKey::from_test_seed(5);
        let public = x25519_from_ed25519(&signing.public_key()).unwrap();
        let secret = x25519_secret_from_seed(&signing.seed());
        assert_eq!(x25519_public(&secret), public);
        let wrapped = wrap_key(&public, &[9u8; 32], b"ctx").unwrap();
        assert_eq!(*unwrap_key(&secret, &wrapped, b"ctx").unwrap(), [9u8; 32]);
    }
}
