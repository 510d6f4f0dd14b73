//! Ed25519 signing keys, public keys and signatures, with domain-separated
//! signing (a namespace is bound into every signature) and batch verification.

use crate::CryptoError;
use commonware_codec::{DecodeExt, Encode};
use commonware_cryptography::{BatchEntry, BatchVerifier, Signer, Verifier, ed25519};
use commonware_parallel::Sequential;
use zeroize::Zeroizing;

/// An Ed25519 public key (32 bytes).
pub type PublicKey = ed25519::PublicKey;
/// An Ed25519 signature (64 bytes).
pub type Signature = ed25519::Signature;

/// Fills a fresh buffer with `N` bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(CryptoError::Randomness)?;
    Ok(out)
}

/// An Ed25519 private key that signs Sovra messages.
///
/// The key is held by clients (wallets, the CLI, issuers); nodes only hold
/// their own consensus key.
#[derive(Clone)]
pub struct SigningKey {
    inner: ed25519::PrivateKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.public_key())
    }
}

impl SigningKey {
    /// Generates a new key from the operating system's randomness.
    pub fn generate() -> Result<Self, CryptoError> {
        let seed = Zeroizing::new(random_bytes::<32>()?);
        Self::from_seed(&seed)
    }

    /// Builds the key from its 32-byte seed (the RFC 8032 private key).
    pub fn from_seed(seed: &[u8; 32]) -> Result<Self, CryptoError> {
        let inner =
            ed25519::PrivateKey::decode(seed.to_vec()).map_err(|source| CryptoError::KeyBytes {
                what: "private key seed",
                source,
            })?;
        Ok(Self { inner })
    }

    /// Deterministic key for tests and development networks only.
    pub fn from_test_seed(seed: u64) -> Self {
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&seed.to_be_bytes());
        bytes[8..16].copy_from_slice(b"sovra-dv");
        Self::from_seed(&bytes).expect("any 32 bytes are a valid ed25519 seed")
    }

    /// The 32-byte seed. Handle with care: it is the private key.
    pub fn seed(&self) -> Zeroizing<[u8; 32]> {
        let encoded = self.inner.encode();
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(&encoded);
        out
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        self.inner.public_key()
    }

    /// Signs `msg` under `namespace` (domain separation).
    pub fn sign(&self, namespace: &[u8], msg: &[u8]) -> Signature {
        self.inner.sign(namespace, msg)
    }

    /// The commonware private key, for consensus and p2p.
    pub fn as_commonware(&self) -> &ed25519::PrivateKey {
        &self.inner
    }
}

/// Verifies one signature made by [`SigningKey::sign`].
pub fn verify(key: &PublicKey, namespace: &[u8], msg: &[u8], sig: &Signature) -> bool {
    key.verify(namespace, msg, sig)
}

/// One signature to check in a batch.
pub struct BatchItem<'a> {
    /// Signer's key.
    pub public_key: &'a PublicKey,
    /// Domain separation namespace.
    pub namespace: &'a [u8],
    /// Signed message.
    pub message: &'a [u8],
    /// Signature to check.
    pub signature: &'a Signature,
}

/// Verifies many signatures at once; `true` only if every one is valid.
///
/// Batch verification is several times faster than checking one by one. On
/// `false`, callers that need to know which item failed check them one by one.
/// An empty batch is valid.
pub fn batch_verify(items: &[BatchItem<'_>]) -> Result<bool, CryptoError> {
    if items.is_empty() {
        return Ok(true);
    }
    let mut rng = commonware_utils::sys_rng();
    Ok(PublicKey::verify_batch(
        &mut rng,
        items,
        |_, item| BatchEntry {
            namespace: item.namespace,
            message: item.message,
            public_key: item.public_key,
            signature: item.signature,
        },
        &Sequential,
    ))
}

/// Parses a signature from its 64 raw bytes.
pub fn signature_from_bytes(bytes: &[u8]) -> Result<Signature, CryptoError> {
    Signature::decode(bytes.to_vec()).map_err(|source| CryptoError::KeyBytes {
        what: "signature",
        source,
    })
}

/// Parses a public key from its 32 raw bytes.
pub fn public_key_from_bytes(bytes: &[u8]) -> Result<PublicKey, CryptoError> {
    PublicKey::decode(bytes.to_vec()).map_err(|source| CryptoError::KeyBytes {
        what: "public key",
        source,
    })
}

/// 32 bytes that do not decode to an Ed25519 public key (no curve point has that y), for
/// tests of what happens to invalid keys.
#[cfg(test)]
pub(crate) fn off_curve_bytes() -> [u8; 32] {
    (0u8..=255)
        .map(|b| {
            let mut raw = [0u8; 32];
            raw[0] = b;
            raw[1] = 1;
            raw
        })
        .find(|raw| public_key_from_bytes(raw).is_err())
        .expect("about half of all y have no x")
}

/// Most decoded keys [`public_key_cached`] remembers; the cache starts over when full.
const KEY_CACHE_ENTRIES: usize = 65_536;

/// Parses a public key from its 32 raw bytes, remembering recent results: decoding a key
/// decompresses a curve point (the costliest step of decoding a transaction), and every node
/// decodes each transaction several times (admission, gossip, block broadcast, re-execution)
/// while the same senders sign many of them. A pure memo of [`public_key_from_bytes`].
pub fn public_key_cached(bytes: &[u8; 32]) -> Result<PublicKey, CryptoError> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<[u8; 32], PublicKey>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(key) = cache.lock().ok().and_then(|c| c.get(bytes).cloned()) {
        return Ok(key);
    }
    let key = public_key_from_bytes(bytes)?;
    if let Ok(mut c) = cache.lock() {
        if c.len() >= KEY_CACHE_ENTRIES {
            c.clear();
        }
        c.insert(*bytes, key.clone());
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_keys_decode_like_uncached_ones() {
        let key = SigningKey::from_test_seed(11).public_key();
        let raw: [u8; 32] = key.as_ref().try_into().unwrap();
        assert_eq!(public_key_cached(&raw).unwrap(), key);
        assert_eq!(public_key_cached(&raw).unwrap(), key);
        // Invalid bytes are refused every time (and never cached).
        let bad = off_curve_bytes();
        assert!(public_key_cached(&bad).is_err());
        assert!(public_key_cached(&bad).is_err());
    }

    #[test]
    fn sign_verify_and_namespace_separation() {
        let key = SigningKey::from_test_seed(1);
        let sig = key.sign(b"ns", b"hello");
        assert!(verify(&key.public_key(), b"ns", b"hello", &sig));
        assert!(!verify(&key.public_key(), b"other", b"hello", &sig));
        assert!(!verify(&key.public_key(), b"ns", b"hellp", &sig));
    }

    /// Undecodable key and signature bytes are reported with the codec's error as the cause.
    #[test]
    fn malformed_bytes_keep_their_cause() {
        use std::error::Error as _;
        for err in [
            public_key_from_bytes(&[1, 2, 3]).unwrap_err(),
            public_key_from_bytes(&off_curve_bytes()).unwrap_err(),
            signature_from_bytes(&[0u8; 10]).map(|_| ()).unwrap_err(),
        ] {
            assert!(matches!(err, CryptoError::KeyBytes { .. }), "{err:?}");
            let cause = err.source().expect("the decoding error is kept");
            assert!(cause.downcast_ref::<commonware_codec::Error>().is_some());
        }
    }

    #[test]
    fn seed_round_trip() {
        let key = SigningKey::generate().unwrap();
        let again = SigningKey::from_seed(&key.seed()).unwrap();
        assert_eq!(key.public_key(), again.public_key());
    }

    #[test]
    fn batch_detects_one_bad_signature() {
        let keys: Vec<_> = (0..8).map(SigningKey::from_test_seed).collect();
        let msgs: Vec<Vec<u8>> = (0..8u8).map(|i| vec![i; 10]).collect();
        let pks: Vec<_> = keys.iter().map(|k| k.public_key()).collect();
        let mut sigs: Vec<_> = keys
            .iter()
            .zip(&msgs)
            .map(|(k, m)| k.sign(b"n", m))
            .collect();
        let items = |sigs: &'_ [Signature]| -> bool {
            let batch: Vec<_> = (0..8)
                .map(|i| BatchItem {
                    public_key: &pks[i],
                    namespace: b"n",
                    message: &msgs[i],
                    signature: &sigs[i],
                })
                .collect();
            batch_verify(&batch).unwrap()
        };
        assert!(items(&sigs));
        sigs[3] = keys[3].sign(b"n", b"something else");
        assert!(!items(&sigs));
    }
}
