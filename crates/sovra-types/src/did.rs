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
