//! `did:key` identifiers for Ed25519 keys, as the W3C CCG did:key method
//! specifies: `did:key:z` + base58btc(multicodec `ed25519-pub` (0xed 0x01) ||
//! 32-byte public key).

use crate::{CryptoError, PublicKey, keys::public_key_from_bytes};

/// The multicodec varint prefix of an Ed25519 public key.
const ED25519_MULTICODEC: [u8; 2] = [0xed, 0x01];
/// Prefix of every did:key.
const DID_KEY_PREFIX: &str = "did:key:";

/// The `did:key` of an Ed25519 public key.
pub fn encode_did_key(key: &PublicKey) -> String {
    let mut bytes = Vec::with_capacity(34);
    bytes.extend_from_slice(&ED25519_MULTICODEC);
    bytes.extend_from_slice(key.as_ref());
    format!("{DID_KEY_PREFIX}z{}", bs58::encode(bytes).into_string())
}

/// The Ed25519 public key a `did:key` names.
///
/// Rejects other key types, other multibase encodings, any string that is
/// not exactly the canonical encoding of its key, and bytes that are not a
/// point of the curve.
pub fn decode_did_key(did: &str) -> Result<PublicKey, CryptoError> {
    let raw = check_did_key(did)?;
    public_key_from_bytes(&raw)
}

/// Checks that `did` is the canonical `did:key` encoding of 32 Ed25519 key bytes and returns
/// them, without decompressing the point (one base58 decode). Whether the bytes are a valid key
/// is left to whoever verifies a signature with it ([`decode_did_key`]).
///
/// A base58 string decoding to exactly the 34 bytes `0xed 0x01 ‖ key` is the only encoding of
/// them: base58 writes a number in positional digits, unique but for leading `1`s, and each
/// leading `1` would add a leading zero byte, which the `0xed` prefix rules out. So no
/// re-encoding is needed to check canonicity.
pub fn check_did_key(did: &str) -> Result<[u8; 32], CryptoError> {
    let bad = |why: &str| CryptoError::InvalidDidKey(format!("{why}: {did:?}"));
    did.strip_prefix(DID_KEY_PREFIX)
        .ok_or_else(|| bad("does not start with did:key:"))?
        .strip_prefix('z')
        .ok_or_else(|| bad("only base58btc multibase ('z') is supported"))?;
    did_key_bytes(did).ok_or_else(|| bad("not an Ed25519 public key in base58btc"))
}

/// The raw 32 key bytes a `did:key` names, without decompressing the point or re-encoding
/// (cheap; for a DID already known to be canonical, such as a parsed `Did`, to compare
/// against a key). `None` if it is not an Ed25519 `did:key`.
pub fn did_key_bytes(did: &str) -> Option<[u8; 32]> {
    let encoded = did.strip_prefix(DID_KEY_PREFIX)?.strip_prefix('z')?;
    if encoded.len() > 64 {
        return None;
    }
    let mut bytes = [0u8; 40];
    let n = bs58::decode(encoded).onto(&mut bytes[..]).ok()?;
    if n != 34 || bytes[..2] != ED25519_MULTICODEC {
        return None;
    }
    bytes[2..34].try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_check_is_canonical_but_leaves_the_point_to_decoding() {
        let did = encode_did_key(&crate::SigningKey::from_test_seed(3).public_key());
        assert!(check_did_key(&did).is_ok());
        // A leading '1' (an extra zero byte) is not the canonical form.
        assert!(check_did_key(&did.replacen("did:key:z", "did:key:z1", 1)).is_err());
        // Not base58btc, wrong length, another key type.
        assert!(check_did_key("did:key:z6Mk0OIl").is_err());
        assert!(check_did_key(&did[..did.len() - 1]).is_err());
        assert!(check_did_key("did:key:z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc").is_err());
        // 32 bytes that are not a curve point: a well-formed did:key, but not a usable key.
        let off_curve = crate::keys::off_curve_bytes();
        let mut bytes = ED25519_MULTICODEC.to_vec();
        bytes.extend_from_slice(&off_curve);
        let did = format!("{DID_KEY_PREFIX}z{}", bs58::encode(bytes).into_string());
        assert_eq!(check_did_key(&did).unwrap(), off_curve);
        assert!(decode_did_key(&did).is_err());
    }

    #[test]
    fn key_bytes_match_the_key_without_decompressing() {
        let key = crate::SigningKey::from_test_seed(9).public_key();
        let did = encode_did_key(&key);
        assert_eq!(did_key_bytes(&did).unwrap().as_slice(), key.as_ref());
        assert_eq!(did_key_bytes("did:sovra:abc"), None);
        assert_eq!(
            did_key_bytes("did:key:z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc"),
            None
        );
        assert_eq!(did_key_bytes(&format!("{did}x")), None);
    }

    /// Test vector from the did:key specification (Ed25519 section).
    #[test]
    fn spec_vector_round_trips() {
        let did = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp";
        let key = decode_did_key(did).unwrap();
        assert_eq!(encode_did_key(&key), did);
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "did:key:",
            "did:web:example.com",
            "did:key:6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
            "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooW0",
            "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme",
        ] {
            assert!(decode_did_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn generated_keys_round_trip() {
        for seed in 0..20 {
            let pk = crate::SigningKey::from_test_seed(seed).public_key();
            assert_eq!(decode_did_key(&encode_did_key(&pk)).unwrap(), pk);
        }
    }
}
