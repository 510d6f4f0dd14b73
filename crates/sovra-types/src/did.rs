//! Decentralized identifiers as account names.
//!
//! Every account is an identity named by a DID. The ledger accepts two
//! methods:
//! - `did:key` for Ed25519 keys: the key is the identity, no registration;
//! - `did:sovra:<id>`, a DID registered on this ledger whose document (keys,
//!   services, controllers) can change over time; `<id>` is the base58btc
//!   encoding of 16 bytes fixed when the DID is created (see
//!   `docs/did-sovra.md`).

use crate::{
    TypesError,
    codec::{bytes_size, read_text, write_bytes},
    limits::MAX_DID_LEN,
};
use commonware_codec::{Buf, EncodeSize, Error, Read, Write};
use sovra_crypto::{PublicKey, decode_did_key, encode_did_key};
use std::{fmt, str::FromStr};

/// Prefix of every `did:sovra`.
pub const SOVRA_PREFIX: &str = "did:sovra:";
/// Length of a `did:sovra` identifier before base58btc encoding.
pub const SOVRA_ID_BYTES: usize = 16;

/// The DID methods the ledger knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DidMethod {
    /// `did:key` (Ed25519): self-certifying, no ledger record.
    Key,
    /// `did:sovra`: a document kept on this ledger.
    Sovra,
}

/// Decodes a did:sovra identifier; `None` unless it is the canonical
/// encoding of exactly [`SOVRA_ID_BYTES`] bytes.
fn decode_sovra_id(id: &str) -> Option<[u8; SOVRA_ID_BYTES]> {
    if id.is_empty() || id.len() > 32 {
        return None;
    }
    let bytes: [u8; SOVRA_ID_BYTES] = bs58::decode(id).into_vec().ok()?.try_into().ok()?;
    (bs58::encode(bytes).into_string() == id).then_some(bytes)
}

/// Most DIDs a thread remembers as already validated ([`Did::parse`]); the memo is cleared when
/// it is full.
const VALIDATED_MEMO: usize = 4_096;

thread_local! {
    /// DIDs this thread has already found valid and canonical. Validation is a pure function of
    /// the string, so a hit gives exactly the answer validating again would; it saves the
    /// base58 decoding of DIDs that every transaction and state record repeats.
    static VALIDATED: std::cell::RefCell<std::collections::HashSet<Box<str>>> =
        std::cell::RefCell::new(std::collections::HashSet::new());
}

/// A validated, canonical DID naming an account.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Did(String);

impl Did {
    /// Parses and validates a DID string.
    pub fn parse(s: &str) -> Result<Self, TypesError> {
        if s.len() > MAX_DID_LEN {
            return Err(TypesError::Invalid(format!(
                "DID longer than {MAX_DID_LEN} bytes"
            )));
        }
        if VALIDATED.with(|m| m.borrow().contains(s)) {
            return Ok(Self(s.to_string()));
        }
        let did = Self::validate(s)?;
        VALIDATED.with(|m| {
            let mut m = m.borrow_mut();
            if m.len() >= VALIDATED_MEMO {
                m.clear();
            }
            m.insert(did.0.as_str().into());
        });
        Ok(did)
    }

    /// Validates a DID string of at most [`MAX_DID_LEN`] bytes (no memo).
    fn validate(s: &str) -> Result<Self, TypesError> {
        if s.starts_with("did:key:") {
            // Syntax and canonical encoding only: decompressing the point costs more than the
            // rest of decoding a transfer, and an invalid point cannot sign anyway (a signing
            // key is decompressed when its transaction is decoded).
            sovra_crypto::did_key::check_did_key(s)?;
            return Ok(Self(s.to_string()));
        }
        if let Some(id) = s.strip_prefix(SOVRA_PREFIX) {
            let bytes = decode_sovra_id(id).ok_or_else(|| {
                TypesError::Invalid(format!(
                    "a did:sovra identifier is the base58btc encoding of {SOVRA_ID_BYTES} bytes: {s:?}"
                ))
            })?;
            return Ok(Self::sovra(&bytes));
        }
        Err(TypesError::Invalid(format!(
            "unsupported DID method (expected did:key or did:sovra): {s:?}"
        )))
    }

    /// The `did:sovra` with the given identifier bytes.
    pub fn sovra(id: &[u8; SOVRA_ID_BYTES]) -> Self {
        Self(format!("{SOVRA_PREFIX}{}", bs58::encode(id).into_string()))
    }

    /// The DID's method.
    pub fn method(&self) -> DidMethod {
        if self.0.starts_with(SOVRA_PREFIX) {
            DidMethod::Sovra
        } else {
            DidMethod::Key
        }
    }

    /// The `did:key` identity of an Ed25519 public key.
    pub fn from_public_key(key: &PublicKey) -> Self {
        Self(encode_did_key(key))
    }

    /// The DID as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For a `did:key`, the public key it names.
    pub fn key(&self) -> Option<PublicKey> {
        decode_did_key(&self.0).ok()
    }
}

impl fmt::Display for Did {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Did {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Did({})", self.0)
    }
}

impl FromStr for Did {
    type Err = TypesError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for Did {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Did {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Did::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Write for Did {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        write_bytes(self.0.as_bytes(), buf);
    }
}

impl EncodeSize for Did {
    fn encode_size(&self) -> usize {
        bytes_size(self.0.as_bytes())
    }
}

impl Read for Did {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let s = read_text(buf, 1..=MAX_DID_LEN, "Did")?;
        Did::parse(&s).map_err(|_| Error::Invalid("Did", "not a valid canonical DID"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The memo of validated DIDs answers as validation does, and stays bounded.
    #[test]
    fn the_validation_memo_is_exact_and_bounded() {
        let key = Did::from_public_key(&sovra_crypto::SigningKey::from_test_seed(3).public_key());
        for _ in 0..2 {
            assert_eq!(Did::parse(key.as_str()).unwrap(), key);
        }
        // A near miss of a remembered DID is still refused.
        let mut bad = key.as_str().to_string();
        bad.push('x');
        assert!(Did::parse(&bad).is_err());
        assert!(Did::parse(&key.as_str()[..key.as_str().len() - 1]).is_err());
        for i in 0..(VALIDATED_MEMO as u32 + 10) {
            let mut id = [0u8; SOVRA_ID_BYTES];
            id[..4].copy_from_slice(&i.to_be_bytes());
            id[15] = 1;
            let did = Did::sovra(&id);
            assert_eq!(Did::parse(did.as_str()).unwrap(), did);
        }
        VALIDATED.with(|m| assert!(m.borrow().len() <= VALIDATED_MEMO));
        // Non-canonical encodings are refused whether or not their canonical form is remembered.
        assert!(Did::parse("did:sovra:1111111111111111111111").is_err());
    }
}
