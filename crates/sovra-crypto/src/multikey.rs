//! Public keys in the W3C Multikey form (`publicKeyMultibase`): base58btc
//! multibase (`z`) of the key's multicodec prefix followed by its bytes.
//! Ed25519 keys start `z6Mk`, X25519 keys `z6LS`.
//!
//! Also the conversion of an Ed25519 public key to the X25519 key-agreement
//! key on the same curve (the birational map from Edwards to Montgomery
//! form), which the did:key specification uses to derive a DID's
//! keyAgreement key.

use crate::{CryptoError, PublicKey};
use curve25519_dalek::edwards::CompressedEdwardsY;

/// Multicodec varint prefix of an Ed25519 public key (`ed25519-pub`, 0xed).
const ED25519_PREFIX: [u8; 2] = [0xed, 0x01];
/// Multicodec varint prefix of an X25519 public key (`x25519-pub`, 0xec).
const X25519_PREFIX: [u8; 2] = [0xec, 0x01];

/// The kinds of public key Sovra identities use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MultikeyType {
    /// Ed25519 signing key.
    Ed25519,
    /// X25519 key-agreement (encryption) key.
    X25519,
}

impl MultikeyType {
    fn prefix(self) -> [u8; 2] {
        match self {
            MultikeyType::Ed25519 => ED25519_PREFIX,
            MultikeyType::X25519 => X25519_PREFIX,
        }
    }

    /// The name used in errors and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            MultikeyType::Ed25519 => "Ed25519",
            MultikeyType::X25519 => "X25519",
        }
    }
}

/// Encodes a 32-byte public key as `publicKeyMultibase`.
pub fn encode_multikey(kind: MultikeyType, key: &[u8; 32]) -> String {
    let mut bytes = Vec::with_capacity(34);
    bytes.extend_from_slice(&kind.prefix());
    bytes.extend_from_slice(key);
    format!("z{}", bs58::encode(bytes).into_string())
}

/// Decodes a `publicKeyMultibase` string into its key type and 32 bytes.
///
/// Only the canonical form is accepted: base58btc, a known prefix, exactly 32
/// key bytes, and for Ed25519 a point that decodes.
pub fn decode_multikey(s: &str) -> Result<(MultikeyType, [u8; 32]), CryptoError> {
    let bad = |why: &str| CryptoError::InvalidKey(format!("{why}: {s:?}"));
    let encoded = s
        .strip_prefix('z')
        .ok_or_else(|| bad("only base58btc multibase ('z') is supported"))?;
    if encoded.len() > 64 {
        return Err(bad("too long for a multikey"));
    }
    let bytes = bs58::decode(encoded)
        .into_vec()
        .map_err(|_| bad("not base58btc"))?;
    if bytes.len() != 34 {
        return Err(bad("not a 32-byte key"));
    }
    let kind = match [bytes[0], bytes[1]] {
        ED25519_PREFIX => MultikeyType::Ed25519,
        X25519_PREFIX => MultikeyType::X25519,
        _ => return Err(bad("not an Ed25519 or X25519 multikey")),
    };
    let key: [u8; 32] = bytes[2..].try_into().expect("34 - 2 bytes");
    if kind == MultikeyType::Ed25519 {
        crate::keys::public_key_from_bytes(&key)?;
    }
    Ok((kind, key))
}

/// The X25519 public key corresponding to an Ed25519 public key
/// (`u = (1 + y) / (1 - y)`), as the did:key method derives keyAgreement keys.
pub fn x25519_from_ed25519(key: &PublicKey) -> Result<[u8; 32], CryptoError> {
    let bytes: [u8; 32] = key
        .as_ref()
        .try_into()
        .map_err(|_| CryptoError::InvalidKey("Ed25519 key is not 32 bytes".into()))?;
    let point = CompressedEdwardsY(bytes)
        .decompress()
        .ok_or_else(|| CryptoError::InvalidKey("not a point on the Edwards curve".into()))?;
    Ok(point.to_montgomery().to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode_did_key;

    /// The did:key specification's Ed25519 example and the X25519 keyAgreement
    /// key its DID document lists (libsodium's
    /// `crypto_sign_ed25519_pk_to_curve25519` gives the same key).
    #[test]
    fn did_key_spec_key_agreement_derivation() {
        let key =
            decode_did_key("did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp").unwrap();
        let x = x25519_from_ed25519(&key).unwrap();
        assert_eq!(
            encode_multikey(MultikeyType::X25519, &x),
            "z6LShs9GGnqk85isEBzzshkuVWrVKsRp24GnDuHk8QWkARMW"
        );
    }

    #[test]
    fn round_trips_and_rejects() {
        let pk = crate::SigningKey::from_test_seed(3).public_key();
        let raw: [u8; 32] = pk.as_ref().try_into().unwrap();
        for kind in [MultikeyType::Ed25519, MultikeyType::X25519] {
            let s = encode_multikey(kind, &raw);
            assert_eq!(decode_multikey(&s).unwrap(), (kind, raw));
        }
        assert!(encode_multikey(MultikeyType::Ed25519, &raw).starts_with("z6Mk"));
        assert!(encode_multikey(MultikeyType::X25519, &raw).starts_with("z6LS"));
        for bad in [
            "",
            "z",
            "u6Mk",
            "z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooW0",
            "zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme",
        ] {
            assert!(decode_multikey(bad).is_err(), "{bad}");
        }
    }
}
